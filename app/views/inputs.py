"""Reading numbers and dates that people type, the way their locale writes them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from PySide6.QtCore import QDate, QLocale

from app.models.money import parse_amount


class InputError(ValueError):
    """Typed text that is not a number; the message says what was expected."""


def parse_decimal(text: str, locale: QLocale | None = None, *, what: str = "amount") -> Decimal:
    """A decimal number typed in the locale's way (``1.234,50`` in German), or plain ``1234.50``.

    Raises:
        InputError: the text is not a number.
    """
    loc = locale if locale is not None else QLocale()
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace("%", "")
    if not cleaned:
        raise InputError(f"enter the {what}")
    decimal_sep = loc.decimalPoint() or "."
    group_sep = loc.groupSeparator().replace("\u00a0", "").replace(" ", "")
    attempts = [(decimal_sep, group_sep)]
    if decimal_sep != ".":
        attempts.append((".", ""))
    for dec, grp in attempts:
        try:
            return parse_amount(cleaned, dec, grp if grp != dec else "")
        except ValueError:
            continue
    example = f"1{group_sep}234{decimal_sep}50" if group_sep else f"1234{decimal_sep}50"
    raise InputError(f"the {what} {text.strip()!r} is not a number; write it like {example}")


def decimal_text(value: Decimal, locale: QLocale | None = None) -> str:
    """A Decimal for an input field, with the locale's decimal point and no grouping."""
    loc = locale if locale is not None else QLocale()
    text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    return text.replace(".", loc.decimalPoint() or ".")


def to_qdate(day: date) -> QDate:
    """A Python date as a QDate."""
    return QDate(day.year, day.month, day.day)


def from_qdate(day: QDate) -> date:
    """A QDate as a Python date."""
    return date(day.year(), day.month(), day.day())
