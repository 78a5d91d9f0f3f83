"""Reading numbers and dates that people type, the way their locale writes them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from PySide6.QtCore import QDate, QLocale, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDateEdit, QWidget
from typing_extensions import override

from app.services.invoice_preview import AmountError, medium_date_pattern, read_amount

#: Typed text that is not a number, or one that could be read two ways; the message says what
#: to write instead.
InputError = AmountError


def parse_decimal(text: str, locale: QLocale | None = None, *, what: str = "amount") -> Decimal:
    """A decimal number typed in the locale's way (``1.234,50`` in German), or plain ``1234.50``.

    Thousands separators count only between groups of three; ``500,00`` in English is refused
    with "Write 500.00 or 50,000" rather than guessed (``app.services.invoice_preview``).

    Raises:
        InputError: the text is not a number, or is unclear.
    """
    loc = locale if locale is not None else QLocale()
    return read_amount(text, loc.decimalPoint() or ".", loc.groupSeparator(), what=what)


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


def use_medium_dates(edit: QDateEdit, locale: str) -> None:
    """Show a date editor in the locale's medium form, the form lists and details use."""
    edit.setLocale(QLocale(locale))
    edit.setDisplayFormat(medium_date_pattern(locale))


class DateEdit(QDateEdit):
    """A date field that Tab always leaves; Left and Right move between day, month and year.

    ``QDateEdit`` itself swallows Tab while it shows its special value ("Any"), and otherwise
    walks Tab through the date's sections first, so keyboard users got stuck in it.
    """

    def __init__(self, day: QDate | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if day is not None:
            self.setDate(day)

    @override
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        others = event.modifiers() & ~(
            Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier
        )
        if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and others == Qt.KeyboardModifier.NoModifier:
            forward = key == Qt.Key.Key_Tab and not (
                event.modifiers() & Qt.KeyboardModifier.ShiftModifier
            )
            QWidget.focusNextPrevChild(self, forward)
            event.accept()
            return
        super().keyPressEvent(event)
