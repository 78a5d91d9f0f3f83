"""The Bank screen's statement lines as a Qt table model over a list of rows.

A filtered list of statement lines is a few thousand rows at most, read in one query
(``app.services.bank_queries.list_statement_lines``); sorting happens here, in memory.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication
from typing_extensions import override

from app.services.bank_dto import StatementLineRow
from app.services.invoice_preview import InvoiceStatus
from app.services.money_format import format_date
from app.views.models.table_support import ROW_ROLE, AnyIndex, SortedRowsModel, column_alignment
from app.views.style import money_text, status_marker

#: A line's state in words, as the list and the review pane say it.
LINE_STATE_TEXT: dict[str, str] = {
    "unmatched": "Unmatched",
    "suggested": "Suggested",
    "auto": "Applied automatically",
    "confirmed": "Confirmed",
    "ignored": "Not a customer payment",
}
#: The states a person still has to look at.
REVIEW_STATES = frozenset({"unmatched", "suggested"})
#: Each state's marker borrows the colour of the invoice status with the same meaning:
#: settled (green), waiting for a person (blue), needs attention (warm), out of play (grey).
_STATE_COLOURS: dict[str, str] = {
    "unmatched": InvoiceStatus.OVERDUE,
    "suggested": InvoiceStatus.OPEN,
    "auto": InvoiceStatus.PAID,
    "confirmed": InvoiceStatus.PAID,
    "ignored": InvoiceStatus.VOID,
}


class LineColumn(enum.IntEnum):
    """The columns of the statement line list."""

    DATE = 0
    PAYER = 1
    TEXT = 2
    AMOUNT = 3
    STATE = 4
    CONFIDENCE = 5


COLUMN_TITLES = ("Date", "Payer", "Text", "Amount", "State", "Confidence")
_RIGHT_COLUMNS = frozenset({LineColumn.AMOUNT, LineColumn.CONFIDENCE})
_SORT_KEYS: dict[int, Callable[[StatementLineRow], Any]] = {
    LineColumn.DATE: lambda r: (r.booking_date, r.line_id),
    LineColumn.PAYER: lambda r: (r.payer_name.casefold(), r.line_id),
    LineColumn.TEXT: lambda r: (r.remittance.casefold(), r.line_id),
    LineColumn.AMOUNT: lambda r: (r.amount.currency, r.amount.minor, r.line_id),
    LineColumn.STATE: lambda r: (LINE_STATE_TEXT.get(r.state, r.state), r.line_id),
    LineColumn.CONFIDENCE: lambda r: (r.confidence, r.line_id),
}


def state_marker(state: str) -> QIcon:
    """The coloured dot shown beside a line state's words."""
    return status_marker(_STATE_COLOURS.get(state, InvoiceStatus.VOID))


def confidence_text(confidence: int) -> str:
    """A confidence in thousandths as a whole percentage (``"87%"``), empty when none."""
    return f"{(confidence + 5) // 10}%" if confidence > 0 else ""


class StatementLineModel(SortedRowsModel[StatementLineRow]):
    """Statement lines, sortable by any column."""

    column_titles = COLUMN_TITLES
    amount_columns = _RIGHT_COLUMNS
    sort_keys = _SORT_KEYS
    default_sort = (LineColumn.DATE, False)

    def __init__(self, locale: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._locale = locale

    @override
    def row_id(self, row: StatementLineRow) -> int:
        return row.line_id

    # -- Qt overrides ------------------------------------------------------------------------

    @override
    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        handler = self._role_handlers.get(role)
        return handler(row, LineColumn(index.column())) if handler is not None else None

    @property
    def _role_handlers(self) -> dict[int, Callable[[StatementLineRow, LineColumn], Any]]:
        return {
            Qt.ItemDataRole.DisplayRole: self._text,
            ROW_ROLE: lambda row, _column: row,
            Qt.ItemDataRole.TextAlignmentRole: lambda _row, column: column_alignment(
                column in _RIGHT_COLUMNS
            ),
            Qt.ItemDataRole.DecorationRole: _decoration,
            Qt.ItemDataRole.ForegroundRole: _foreground,
            Qt.ItemDataRole.ToolTipRole: _tooltip,
        }

    def _text(self, row: StatementLineRow, column: LineColumn) -> str:
        texts: dict[LineColumn, Callable[[], str]] = {
            LineColumn.DATE: lambda: format_date(row.booking_date, self._locale),
            LineColumn.PAYER: lambda: row.payer_name or row.customer_name,
            LineColumn.TEXT: lambda: " ".join(row.remittance.split()),
            LineColumn.AMOUNT: lambda: money_text(row.amount, self._locale),
            LineColumn.STATE: lambda: LINE_STATE_TEXT.get(row.state, row.state),
            LineColumn.CONFIDENCE: lambda: (
                confidence_text(row.confidence) if row.state != "ignored" else ""
            ),
        }
        return texts[column]()


def _decoration(row: StatementLineRow, column: LineColumn) -> QIcon | None:
    return state_marker(row.state) if column == LineColumn.STATE else None


def _foreground(row: StatementLineRow, column: LineColumn) -> QColor | None:
    """Money out (debits) and lines out of play are in the secondary text colour."""
    if row.amount.minor < 0 or (row.state == "ignored" and column != LineColumn.STATE):
        return QApplication.palette().color(QPalette.ColorRole.PlaceholderText)
    return None


def _tooltip(row: StatementLineRow, column: LineColumn) -> str | None:
    if column == LineColumn.TEXT and row.remittance:
        return row.remittance
    if column in {LineColumn.STATE, LineColumn.CONFIDENCE} and row.reason:
        customer = f"{row.customer_name}: " if row.customer_name else ""
        return f"{customer}{row.reason}"
    if column == LineColumn.PAYER and row.customer_name and row.customer_name != row.payer_name:
        return f"Customer: {row.customer_name}"
    return None
