"""IBANs and ISO 11649 creditor references: both are checked with ISO 7064 mod 97-10."""

from __future__ import annotations

import re

_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


def _as_digits(text: str) -> int:
    """Letters become numbers (A=10 … Z=35), digits stay: the form mod 97 is taken of."""
    return int("".join(str(int(ch, 36)) for ch in text))


def normalize_iban(text: str) -> str:
    """An IBAN without spaces, in upper case, with its check digits verified.

    Raises:
        ValueError: the text is not a valid IBAN (the message says why).
    """
    iban = re.sub(r"[\s-]", "", text).upper()
    if not _IBAN.match(iban):
        raise ValueError(f"not an IBAN: {text!r}")
    if _as_digits(iban[4:] + iban[:4]) % 97 != 1:
        raise ValueError(f"the IBAN {text!r} has wrong check digits")
    return iban


def is_valid_iban(text: str) -> bool:
    """Whether ``text`` is an IBAN with correct check digits."""
    try:
        normalize_iban(text)
    except ValueError:
        return False
    return True


def format_iban(iban: str) -> str:
    """An IBAN in groups of four for printing."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def creditor_reference(invoice_number: str) -> str:
    """The ISO 11649 (RF) creditor reference of an invoice number (formats.md).

    Example: ``INV-2026-00123`` gives ``RF80INV202600123``.
    """
    body = re.sub(r"[^A-Za-z0-9]", "", invoice_number).upper()[-21:]
    if not body:
        raise ValueError(f"the invoice number {invoice_number!r} has no letters or digits")
    check = 98 - _as_digits(body + "RF00") % 97
    return f"RF{check:02d}{body}"


def is_valid_creditor_reference(text: str) -> bool:
    """Whether ``text`` (spaces allowed) is an RF reference with correct check digits."""
    ref = re.sub(r"\s", "", text).upper()
    if not re.fullmatch(r"RF[0-9]{2}[A-Z0-9]{1,21}", ref):
        return False
    return _as_digits(ref[4:] + ref[:4]) % 97 == 1
