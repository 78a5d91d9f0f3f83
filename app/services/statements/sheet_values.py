"""The cells of a CSV/XLSX bank export: amounts, dates, direction marks and header words.

Amounts never pass through ``float``: a text cell is split into its sign, its digits and any
currency mark, then parsed with :func:`app.models.money.parse_amount`; a numeric XLSX cell
arrives already as a ``Decimal``.
"""

from __future__ import annotations

import functools
import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.models.money import parse_amount

#: A cell as read: text (always for CSV), or a number or a date from an XLSX cell.
Cell = str | Decimal | date

_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2212": "-"})
_MARK = r"(?:[A-Z]{3}|[€$£¥])"
_AMOUNT = re.compile(
    rf"(?P<code1>{_MARK})?\s*(?P<open>\()?\s*(?P<lead>[+-])?\s*(?P<code2>{_MARK})?\s*"
    r"(?P<core>[0-9](?:[0-9.,' ]*[0-9])?|[.,][0-9]+)"
    rf"\s*(?P<trail>[+-]|CR|DR|Cr|Dr)?\s*(?P<code3>{_MARK})?\s*(?P<close>\))?"
)
_SYMBOLS = {"€": "EUR", "£": "GBP"}
_TIME = re.compile(
    r"[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?\s*(?:Z|[+-][0-9]{2}:?[0-9]{2})?$"
)
_YMD = re.compile(r"([0-9]{4})([-/.:])([0-9]{1,2})\2([0-9]{1,2})")
_DMY = re.compile(r"([0-9]{1,2})([-/.])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})")
_COMPACT = re.compile(r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])")
_TEXT_MONTH = re.compile(r"([0-9]{1,2})([ -])([A-Za-z]{3,9})\.?\2([0-9]{4})")
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_WORDS = re.compile(r"[a-z0-9]+")

_CREDIT_MARKS = frozenset(
    {
        "c", "cr", "credit", "k", "kredit", "kreditas", "bij", "h", "haben", "+", "in", "abono",
        "avere", "credito", "entrata", "incoming",
    }
)  # fmt: skip
_DEBIT_MARKS = frozenset(
    {
        "d", "dr", "debit", "debet", "af", "s", "soll", "-", "out", "cargo", "dare", "debito",
        "addebito", "uscita", "outgoing",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class AmountText:
    """A text amount taken apart: its sign, its digits with separators, and a currency mark."""

    sign: int
    core: str
    currency: str


@dataclass(frozen=True, slots=True)
class DateShape:
    """How a date is written: ``key`` names the layout, ``first``/``second`` the leading numbers.

    ``key`` is ``ymd<sep>``, ``compact``, ``text<sep><b|B>`` (a month name) or ``dmy<sep><2|4>``
    for the layouts where day and month could be either way round.
    """

    key: str
    first: int = 0
    second: int = 0


def cell_text(cell: Cell) -> str:
    """A cell as the text a person sees (numbers plain, dates as YYYY-MM-DD)."""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, Decimal):
        return format(cell, "f")
    return cell.isoformat()


@functools.lru_cache(maxsize=4096)
def header_key(title: str) -> str:
    """A header or mark reduced to lower-case ASCII words: ``Währung`` -> ``wahrung``."""
    text = unicodedata.normalize("NFKD", title.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_WORDS.findall(text))


def plain_text(cell: Cell) -> str:
    """A text cell without the single quotes some banks wrap around free text."""
    text = cell_text(cell).strip()
    if len(text) > 1 and text[0] == text[-1] == "'":
        return text[1:-1].strip()
    return text.removeprefix("'")


# --------------------------------------------------------------------------------------------
# Amounts


def split_amount(text: str) -> AmountText | None:
    """The parts of an amount written as text, or None when it is not one.

    Understands ``-12,50``, ``+1.234,56``, ``1.234,56-``, ``(12.34)``, ``12.34 DR``, ``-.46``,
    ``'579,68 USD``, ``544,00 $`` and ``USD 9.126,07``.
    """
    cleaned = text.translate(_SPACES).strip().removeprefix("'").strip()
    found = _AMOUNT.fullmatch(cleaned)
    if found is None or bool(found["open"]) != bool(found["close"]):
        return None
    negative = found["lead"] == "-" or found["trail"] in ("-", "DR", "Dr") or found["open"]
    mark = found["code1"] or found["code2"] or found["code3"] or ""
    return AmountText(-1 if negative else 1, found["core"], _SYMBOLS.get(mark, mark))


def decimal_hint(core: str) -> str:
    """What the digits of an amount say about its decimal separator.

    Returns ``.`` or ``,`` when they show it, ``""`` for a whole number, and ``?`` when one
    separator is followed by exactly three digits (``1.234``: a thousand or one and a bit).
    """
    dots, commas = core.count("."), core.count(",")
    if dots and commas:
        return "." if core.rfind(".") > core.rfind(",") else ","
    if not dots and not commas:
        return ""
    sep = "." if dots else ","
    if core.count(sep) > 1:
        return ""
    head, _, tail = core.partition(sep)
    grouped = " " in head or "'" in head or len(head) > 3 or not head.strip("0")
    return sep if len(tail) != 3 or grouped else "?"


def thousands_hint(core: str) -> str:
    """The thousands separator the digits of an amount show, or ``""``."""
    for sep in (" ", "'"):
        if sep in core:
            return sep
    dots, commas = core.count("."), core.count(",")
    if dots and commas:
        return "," if core.rfind(".") > core.rfind(",") else "."
    if dots > 1:
        return "."
    return "," if commas > 1 else ""


def read_amount(cell: Cell, decimal_sep: str, thousands_sep: str) -> Decimal:
    """A signed amount from a cell.

    Raises:
        ValueError: the cell is not an amount written with these separators.
    """
    if isinstance(cell, Decimal):
        return cell
    parts = split_amount(cell) if isinstance(cell, str) else None
    if parts is None:
        raise ValueError(f"not an amount: {cell!r}")
    core = parts.core
    if thousands_sep in (" ", "'") or " " in core:
        core = core.replace(" ", thousands_sep or " ")
    value = parse_amount(core, decimal_sep, thousands_sep)
    return -value if parts.sign < 0 else value


def direction_sign(cell: Cell) -> int:
    """+1 for a credit mark (``C``, ``Bij``, ``Haben``...), -1 for a debit mark, 0 otherwise."""
    key = cell.strip().casefold() if isinstance(cell, str) else ""
    if key in _CREDIT_MARKS or header_key(key) in _CREDIT_MARKS:
        return 1
    if key in _DEBIT_MARKS or header_key(key) in _DEBIT_MARKS:
        return -1
    return 0


def currency_in(cell: Cell) -> str:
    """The ISO code a currency cell holds (``EUR``, ``€`` -> ``EUR``), or ``""``."""
    text = cell.strip() if isinstance(cell, str) else ""
    text = _SYMBOLS.get(text, text.upper())
    return text if len(text) == 3 and text.isascii() and text.isalpha() else ""


def iban_in(cell: Cell) -> str:
    """The IBAN-shaped value of a cell, upper case without blanks, or ``""``.

    Only the shape is checked: exports often carry masked or test numbers.
    """
    text = plain_text(cell).replace(" ", "").upper()
    return text if _IBAN.fullmatch(text) else ""


# --------------------------------------------------------------------------------------------
# Dates


def _date_part(text: str) -> str:
    """A date written with a time of day, without the time."""
    return _TIME.sub("", text.strip())


def _numeric_shape(text: str) -> DateShape | None:
    found = _YMD.fullmatch(text)
    if found:
        valid = 1 <= int(found[3]) <= 12 and 1 <= int(found[4]) <= 31
        return DateShape(f"ymd{found[2]}") if valid else None
    found = _DMY.fullmatch(text)
    if not found:
        return DateShape("compact") if _COMPACT.fullmatch(text) else None
    first, second = int(found[1]), int(found[3])
    if not (1 <= first <= 31 and 1 <= second <= 31) or min(first, second) > 12:
        return None
    return DateShape(f"dmy{found[2]}{len(found[4])}", first, second)


def date_shape(cell: Cell) -> DateShape | None:
    """How a cell writes a date, or None when it does not hold one."""
    if isinstance(cell, date):
        return DateShape("cell")
    text = _date_part(cell) if isinstance(cell, str) else ""
    shape = _numeric_shape(text)
    found = _TEXT_MONTH.fullmatch(text) if shape is None else None
    if found:
        return DateShape(f"text{found[2]}{'b' if len(found[3]) == 3 else 'B'}")
    return shape


def date_format(key: str, day_first: bool) -> str:
    """The ``strptime`` pattern of a :class:`DateShape` key."""
    if key == "cell":
        return "%Y-%m-%d"
    if key == "compact":
        return "%Y%m%d"
    if key.startswith("ymd"):
        sep = key[3]
        return f"%Y{sep}%m{sep}%d"
    if key.startswith("text"):
        sep = key[4]
        return f"%d{sep}%{key[5]}{sep}%Y"
    sep, year = key[3], "%Y" if key[4] == "4" else "%y"
    order = ("%d", "%m") if day_first else ("%m", "%d")
    return f"{order[0]}{sep}{order[1]}{sep}{year}"


def read_date(cell: Cell, pattern: str) -> date:
    """A date from a cell written as ``pattern`` (a time of day after it is ignored).

    Raises:
        ValueError: the cell is not a date written that way.
    """
    if isinstance(cell, date):
        return cell
    if not isinstance(cell, str):
        raise ValueError(f"not a date: {cell!r}")
    text = cell.strip()
    try:
        parts = time.strptime(text, pattern)
    except ValueError:
        parts = time.strptime(_date_part(text), pattern)
    return date(parts.tm_year, parts.tm_mon, parts.tm_mday)


def date_example(pattern: str) -> str:
    """31 December 2026 written as ``pattern``, for messages."""
    return date(2026, 12, 31).strftime(pattern)


def amount_example(decimal_sep: str, thousands_sep: str) -> str:
    """An amount written with these separators, for messages."""
    return f"-1{thousands_sep}234{decimal_sep}56"
