"""SWIFT MT940 customer statements, as banks really write them.

A file holds one or more statements, each starting at ``:20:``; SWIFT block wrappers
(``{1:…}{2:…}{4:`` … ``-}``), SOH/ETX bytes, header lines and ``:NS:`` fields are passed over.
Each ``:61:`` is one line; the ``:86:`` fields after it are read as German SEPA subfields
(``?20``-``?29`` with ``EREF+``/``SVWZ+`` markers), Dutch ``/EREF/…/REMI/…`` codes, or plain text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from app.services.iban import is_valid_iban
from app.services.statements.parsed import (
    ParsedFile,
    ParsedLine,
    ParsedStatement,
    StatementFileError,
)

_TAG = re.compile(r":(\d\d[A-Z]?|NS):(.*)")
#: Header bytes of SWIFT blocks 1-3 and the opening of block 4, before the first field.
_BLOCKS = re.compile(r"(?:\{[1235]:(?:[^{}]|\{[^{}]*\})*\})*(?:\{4:)?")
_CONTROL = "\x00\x01\x02\x03\x04\x1a\r"
_BALANCE = re.compile(r"(?P<mark>[CD])(?P<date>\d{6})(?P<currency>[A-Z]{3})?(?P<amount>\d[\d,]*)")
_LINE = re.compile(
    r"(?P<value_date>\d{6})(?P<entry_date>\d{4})?"
    r"(?P<mark>RC|RD|C|D)(?P<funds_code>[A-Z])?"
    r"(?P<amount>\d+(?:,\d*)?)"
    r"(?P<type>[A-Z][A-Z0-9 ]{3})?"
    r"(?P<reference>.*)"
)
#: C and RD (reversal of a debit) bring money in; D and RC (reversal of a credit) take it out.
_SIGNS = {"C": 1, "RD": 1, "D": -1, "RC": -1}
#: German ``:86:``: a three-digit business code, then ``?NN`` subfields (``>`` at some banks).
_GERMAN = re.compile(r"\s*\d{3}\s*([?>])")
_SUBFIELD_WIDTH = 27
_REMITTANCE_SUBFIELDS = frozenset(f"{n}" for n in (*range(20, 30), *range(60, 64)))
_SEPA_MARKER = re.compile(r"([A-Z]{4})\+")
#: SEPA markers whose value is an identifier, which ends at the first subfield not filled up.
_SEPA_IDS = frozenset(("EREF", "KREF", "MREF", "CRED", "DEBT", "PREF", "BREF", "RREF"))
_DUTCH = re.compile(
    r"/(EREF|PREF|MARF|CSID|CNTP|REMI|RTRN|ORDP|BENM|NAME|ADDR|IBAN|BIC|ISDT|TRCD|SUM|"
    r"ULTC|ULTD|ULTB|PURP|BUSP|IREF|CDTRREF|CDTRREFTP|CHGS|EXCH|OCMT)/"
)
#: ``NL77INGB0574908765EUR``: an IBAN-shaped account with its currency run on.
_IBAN_AND_CURRENCY = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{7,26}\d[A-Z]{3}")
_CREDITOR_REFERENCE = re.compile(r"RF\d\d[A-Z0-9]{1,21}")
_NOT_PROVIDED = "NOTPROVIDED"
_NO_REFERENCE = "NONREF"


@dataclass
class _Field:
    """One ``:TAG:`` field with its continuation lines; ``line`` is where the tag stands."""

    tag: str
    lines: list[str]
    line: int

    @property
    def first(self) -> str:
        return self.lines[0].strip()


@dataclass
class _Transaction:
    """A ``:61:`` field and the ``:86:`` fields that follow it."""

    start: _Field
    info: list[_Field] = field(default_factory=list)


@dataclass(frozen=True)
class _Details:
    """What an ``:86:`` field says about a line."""

    remittance: str = ""
    payer_name: str = ""
    payer_iban: str = ""
    end_to_end_id: str = ""
    structured_refs: tuple[str, ...] = ()


def parse_mt940(file: str, data: bytes, *, default_currency: str) -> ParsedFile:
    """Read an MT940 file.

    Args:
        file: The file's name, for messages.
        data: The file's bytes (UTF-8, CP852 or Windows-1252/Latin-1; told apart by content).
        default_currency: The currency of a statement whose balances give none.

    Returns:
        One statement per ``:20:``.

    Raises:
        StatementFileError: A date, amount or debit/credit mark cannot be read (the message
            names the line), or the file has no ``:20:`` statement.
    """
    groups = _statements(_fields(decode_mt940(data)))
    if not groups:
        raise StatementFileError(f"{file}: expected an MT940 statement starting with :20:")
    warnings: list[str] = []
    statements = tuple(_statement(file, group, default_currency) for group in groups)
    last = statements[-1]
    if last.opening_balance is not None and last.closing_balance is None:
        warnings.append(
            f"{file}: the last statement ({last.account or 'no account'}) ends without a"
            " closing balance (:62F:); the file may have been cut short"
        )
    return ParsedFile(format="mt940", statements=statements, warnings=tuple(warnings))


def decode_mt940(data: bytes) -> str:
    """The file's text: UTF-8 if it is valid UTF-8, else the 8-bit code page it reads best in.

    Central European banks (the Hungarian Raiffeisen export) still write DOS code page 852;
    most others Windows-1252. The one whose non-ASCII bytes come out as letters wins, and
    Windows-1252 wins a tie.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    high = b"".join(re.findall(rb"[\x80-\xff]+", data))
    best, best_score = "latin-1", -len(high) - 1
    for encoding in ("cp1252", "cp852"):
        try:
            letters = high.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = sum(1 if char.isalpha() else -1 for char in letters)
        if score > best_score:
            best, best_score = encoding, score
    return data.decode(best)


def _fields(text: str) -> Iterator[_Field]:
    """The ``:TAG:`` fields of the text, skipping wrappers, headers and message ends."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    current: _Field | None = None
    for number, raw in enumerate(lines, 1):
        line = raw.strip(_CONTROL)
        if line.startswith("{"):
            line = _BLOCKS.sub("", line, count=1)
        match = _TAG.match(line)
        if match:
            if current is not None:
                yield current
            current = _Field(match[1], [match[2]], number)
        elif line.startswith("-") and not _continues_info(current, lines, number):
            if current is not None:
                yield current
            current = None  # the end of a message: what follows up to a tag is a header
        elif current is not None and line.strip():
            current.lines.append(line)
    if current is not None:
        yield current


def _continues_info(current: _Field | None, lines: list[str], number: int) -> bool:
    """Whether a line starting with ``-`` is text inside ``:86:`` rather than a message end."""
    if current is None or current.tag != "86" or number >= len(lines):
        return False
    following = lines[number].strip(_CONTROL)
    return bool(following.strip()) and not following.startswith(("{", ":", "-"))


def _statements(fields: Iterator[_Field]) -> list[list[_Field]]:
    groups: list[list[_Field]] = []
    for item in fields:
        if item.tag == "20":
            groups.append([item])
        elif groups:
            groups[-1].append(item)
    return groups


def _statement(file: str, fields: list[_Field], default_currency: str) -> ParsedStatement:
    account = statement_id = currency = ""
    opening = closing = None
    transactions: list[_Transaction] = []
    open_transaction = False
    for item in fields:
        tag = item.tag
        if tag == "61":
            transactions.append(_Transaction(item))
            open_transaction = True
        elif tag == "86" and open_transaction:
            transactions[-1].info.append(item)
        elif tag == "NS":
            continue
        else:
            open_transaction = False
        if tag == "25":
            account = _account(item.first)
        elif tag in ("28", "28C") or (tag == "20" and not statement_id):
            statement_id = item.first
        elif tag in ("60F", "60M"):
            opening, currency = _balance(file, item, currency)
        elif tag in ("62F", "62M"):
            closing, currency = _balance(file, item, currency)
    currency = currency or default_currency
    return ParsedStatement(
        account=account,
        currency=currency,
        lines=tuple(_line(file, transaction, currency) for transaction in transactions),
        statement_id=statement_id,
        opening_balance=opening,
        closing_balance=closing,
    )


def _account(text: str) -> str:
    """The IBAN in ``:25:`` (without a trailing currency), else the account as written."""
    compact = "".join(text.split()).upper()
    if is_valid_iban(compact):
        return compact
    if _IBAN_AND_CURRENCY.fullmatch(compact):
        return compact[:-3]
    return text.strip()


def _balance(file: str, item: _Field, currency: str) -> tuple[Decimal, str]:
    match = _BALANCE.fullmatch(item.first)
    if match is None:
        raise StatementFileError(
            f"{file}, line {item.line}: expected a :{item.tag}: balance such as"
            f" 'C240131EUR1234,56', got {item.first!r}"
        )
    amount = _amount(file, item, match["amount"])
    return (amount if match["mark"] == "C" else -amount), match["currency"] or currency


def _amount(file: str, item: _Field, text: str) -> Decimal:
    whole, _, cents = text.partition(",")
    if not whole.isdigit() or not (cents == "" or cents.isdigit()):
        raise StatementFileError(
            f"{file}, line {item.line}: expected an amount such as 1234,56 in :{item.tag}:,"
            f" got {text!r}"
        )
    return Decimal(f"{whole}.{cents}")


def _date(file: str, item: _Field, text: str) -> date:
    try:
        year = int(text[:2])
        return date(year + (2000 if year < 70 else 1900), int(text[2:4]), int(text[4:6]))
    except ValueError:
        raise StatementFileError(
            f"{file}, line {item.line}: expected a :{item.tag}: date YYMMDD such as 240131,"
            f" got {text!r}"
        ) from None


def _entry_date(file: str, item: _Field, value_date: date, text: str) -> date:
    """The booking date ``MMDD`` in the year that puts it nearest the value date."""
    nearest = []
    for year in (value_date.year - 1, value_date.year, value_date.year + 1):
        try:
            nearest.append(date(year, int(text[:2]), int(text[2:])))
        except ValueError:
            raise StatementFileError(
                f"{file}, line {item.line}: expected a :61: booking date MMDD such as 0131,"
                f" got {text!r}"
            ) from None
    return min(nearest, key=lambda day: abs((day - value_date).days))


def _line(file: str, transaction: _Transaction, currency: str) -> ParsedLine:
    item = transaction.start
    match = _LINE.fullmatch(item.first)
    if match is None:
        raise StatementFileError(
            f"{file}, line {item.line}: expected a :61: line such as"
            f" '2401310131C1234,56NTRFNONREF', got {item.first!r}"
        )
    value_date = _date(file, item, match["value_date"])
    entry_date = match["entry_date"]
    _, _, bank_ref = match["reference"].partition("//")
    details = _info(transaction.info)
    supplementary = " ".join(" ".join(item.lines[1:]).split())
    return ParsedLine(
        booking_date=_entry_date(file, item, value_date, entry_date) if entry_date else value_date,
        amount=_SIGNS[match["mark"]] * _amount(file, item, match["amount"]),
        currency=currency,
        bank_ref="" if bank_ref.strip() == _NO_REFERENCE else bank_ref.strip(),
        value_date=value_date,
        payer_name=details.payer_name,
        payer_iban=details.payer_iban,
        remittance=details.remittance or supplementary,
        structured_refs=details.structured_refs,
        end_to_end_id=details.end_to_end_id,
        bank_code=(match["type"] or "").strip(),
        source_line=item.line,
    )


def _info(fields: list[_Field]) -> _Details:
    """What the ``:86:`` fields of a line say, in whichever of the three styles they use."""
    if not fields:
        return _Details()
    joined = "".join(line for item in fields for line in item.lines)
    german = _GERMAN.match(joined)
    if german:
        return _german(joined, german[1])
    if _DUTCH.match(joined):
        return _dutch(joined)
    text = " ".join(line for item in fields for line in item.lines)
    return _Details(remittance=" ".join(text.split()))


def _subfields(text: str, separator: str) -> list[tuple[str, str]]:
    """``(number, text)`` of each ``?NN`` subfield, in order."""
    pieces = re.split(rf"{re.escape(separator)}(\d\d)", text)
    return list(zip(pieces[1::2], pieces[2::2], strict=True))


def _joined(pieces: list[tuple[str, bool]]) -> str:
    """Subfields as one text: a full one (27 characters) runs on into the next, mid-word.

    ``pieces`` are ``(text, full)``; a subfield left short ends a word, so a space follows it.
    """
    out: list[str] = []
    for text, full in pieces:
        out.append(text)
        if not full:
            out.append(" ")
    return " ".join("".join(out).split())


def _german(text: str, separator: str) -> _Details:
    subfields = _subfields(text, separator)
    values: dict[str, list[tuple[str, bool]]] = {}
    key = ""
    continues = False
    for number, piece in subfields:
        if number not in _REMITTANCE_SUBFIELDS:
            continue
        full = len(piece) >= _SUBFIELD_WIDTH
        marker = _SEPA_MARKER.match(piece)
        if marker:
            key = marker[1]
        elif key in _SEPA_IDS and not continues:
            key = ""  # an identifier ends where its subfield is not filled up
        values.setdefault(key, []).append((piece[marker.end() :] if marker else piece, full))
        continues = full
    found = {name: _joined(pieces) for name, pieces in values.items()}
    by_number = dict(subfields)
    end_to_end = found.get("EREF", "")
    if end_to_end.upper() == _NOT_PROVIDED:
        end_to_end = ""
    remittance = " ".join(filter(None, (found.get(""), found.get("SVWZ"))))
    svwz = "".join(found.get("SVWZ", "").split()).upper()
    refs = (end_to_end, svwz if _CREDITOR_REFERENCE.fullmatch(svwz) else "")
    iban = "".join((by_number.get("31") or by_number.get("38", "")).split()).upper()
    name = by_number.get("32", "")
    return _Details(
        remittance=remittance,
        payer_name=_joined([(name, len(name) >= _SUBFIELD_WIDTH), (by_number.get("33", ""), True)]),
        payer_iban=iban if is_valid_iban(iban) else "",
        end_to_end_id=end_to_end,
        structured_refs=tuple(ref for ref in refs if ref),
    )


def _dutch(text: str) -> _Details:
    """Dutch ``/CODE/value`` fields: ``/EREF/``, ``/CNTP/IBAN/BIC/NAME/CITY``, ``/REMI/``."""
    marks = list(_DUTCH.finditer(text))
    values: dict[str, str] = {}
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following else len(text)
        values.setdefault(mark[1], text[mark.end() : end])
    counterparty = values.get("CNTP", "").split("/")
    name = counterparty[2] if len(counterparty) > 2 else values.get("NAME", "").strip("/")
    iban = "".join((counterparty[0] or values.get("IBAN", "")).split()).upper()
    remittance, refs = _dutch_remittance(values.get("REMI", ""))
    end_to_end = values.get("EREF", "").strip("/ ")
    return _Details(
        remittance=remittance,
        payer_name=" ".join(name.split()),
        payer_iban=iban if is_valid_iban(iban) else "",
        end_to_end_id="" if end_to_end.upper() == _NOT_PROVIDED else end_to_end,
        structured_refs=refs,
    )


def _dutch_remittance(value: str) -> tuple[str, tuple[str, ...]]:
    """``USTD//text/`` is free text, ``STRD/CUR/reference/`` a creditor reference."""
    if value.startswith("USTD//"):
        value = value[len("USTD//") :]
    elif value.startswith("STRD/"):
        parts = [part for part in value.split("/") if part]
        reference = parts[-1] if len(parts) > 1 else ""
        return reference, (reference,) if reference else ()
    return " ".join(value.strip("/").split()), ()
