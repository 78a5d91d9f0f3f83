"""The outbox as a Qt table model over a list of rows, sorted in memory."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QLocale, QModelIndex, QObject, Qt, QTime
from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import QApplication
from typing_extensions import override

from app.services.invoice_preview import InvoiceStatus, format_timestamp
from app.services.money_format import format_date
from app.services.reminders.outbox import OutboxRow
from app.views.models.table_support import ROW_ROLE, AnyIndex, ListTableModel
from app.views.style import status_marker

#: An outbox state in words.
OUTBOX_STATE_TEXT: dict[str, str] = {
    "queued": "Waiting",
    "sending": "Sending",
    "sent": "Sent",
    "failed": "Failed",
    "unknown": "May have been sent",
    "cancelled": "Cancelled",
}
#: Each state's marker borrows an invoice status colour of the same meaning.
_STATE_COLOURS: dict[str, str] = {
    "queued": InvoiceStatus.OPEN,
    "sending": InvoiceStatus.PARTIALLY_PAID,
    "sent": InvoiceStatus.PAID,
    "failed": InvoiceStatus.OVERDUE,
    "unknown": InvoiceStatus.OVERDUE,
    "cancelled": InvoiceStatus.VOID,
}
#: The states a person may cancel.
CANCELLABLE_STATES = frozenset({"queued", "failed", "unknown"})
#: The states a person may send again (``retry_outbox_item``).
RETRYABLE_STATES = frozenset({"failed", "unknown"})


def clock_text(at: datetime, locale: str) -> str:
    """A moment as this computer's local time of day (``"2:05 PM"``), with its date if not today."""
    local = at.astimezone()
    clock = QLocale(locale).toString(
        QTime(local.hour, local.minute), QLocale.FormatType.ShortFormat
    )
    if local.date() == datetime.now().astimezone().date():
        return clock
    return f"{format_date(local.date(), locale)}, {clock}"


def state_text(row: OutboxRow, locale: str) -> str:
    """An item's state in words; a queued email the server put off says when it is tried again."""
    words = OUTBOX_STATE_TEXT.get(row.state, row.state)
    if row.state == "queued" and row.retry_at is not None:
        return f"{words}, next try after {clock_text(row.retry_at, locale)}"
    return words


class OutboxColumn(enum.IntEnum):
    """The columns of the outbox list."""

    SEND_AFTER = 0
    CUSTOMER = 1
    STEP = 2
    INVOICES = 3
    SUBJECT = 4
    STATE = 5


COLUMN_TITLES = ("Send on", "Customer", "Step", "Invoices", "Subject", "State")
_SORT_KEYS: dict[OutboxColumn, Callable[[OutboxRow], Any]] = {
    OutboxColumn.SEND_AFTER: lambda r: (r.send_after, r.id),
    OutboxColumn.CUSTOMER: lambda r: (r.customer_name.casefold(), r.id),
    OutboxColumn.STEP: lambda r: (r.step.casefold(), r.id),
    OutboxColumn.INVOICES: lambda r: (", ".join(r.invoices), r.id),
    OutboxColumn.SUBJECT: lambda r: (r.subject.casefold(), r.id),
    OutboxColumn.STATE: lambda r: (OUTBOX_STATE_TEXT.get(r.state, r.state), r.id),
}


def outbox_state_marker(state: str) -> QIcon:
    """The coloured dot beside an outbox state's words."""
    return status_marker(_STATE_COLOURS.get(state, InvoiceStatus.VOID))


class OutboxTableModel(ListTableModel):
    """Outbox items, sortable by any column."""

    column_titles = COLUMN_TITLES

    def __init__(self, locale: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._locale = locale
        self._rows: list[OutboxRow] = []
        self._sort: tuple[OutboxColumn, bool] = (OutboxColumn.SEND_AFTER, True)

    def set_rows(self, rows: list[OutboxRow]) -> None:
        """Show these items, in the current sort order."""
        self.beginResetModel()
        self._rows = list(rows)
        self._sort_rows()
        self.endResetModel()

    def rows(self) -> list[OutboxRow]:
        """The items shown, top to bottom."""
        return list(self._rows)

    def row_at(self, row: int) -> OutboxRow | None:
        """The item shown in ``row``."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, item_id: int) -> int | None:
        """The row showing an item, if it is listed."""
        return next((i for i, r in enumerate(self._rows) if r.id == item_id), None)

    def sort_order(self) -> tuple[int, bool]:
        """The sort column and whether it is descending."""
        return int(self._sort[0]), self._sort[1]

    def _sort_rows(self) -> None:
        column, descending = self._sort
        self._rows.sort(key=_SORT_KEYS[column], reverse=descending)

    @override
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    @override
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMN_TITLES):
            return
        self.layoutAboutToBeChanged.emit()
        self._sort = (OutboxColumn(column), order == Qt.SortOrder.DescendingOrder)
        self._sort_rows()
        self.layoutChanged.emit()

    @override
    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        column = OutboxColumn(index.column())
        handlers: dict[int, Callable[[], Any]] = {
            Qt.ItemDataRole.DisplayRole: lambda: self._text(row, column),
            ROW_ROLE: lambda: row,
            Qt.ItemDataRole.DecorationRole: lambda: (
                outbox_state_marker(row.state) if column == OutboxColumn.STATE else None
            ),
            Qt.ItemDataRole.ForegroundRole: lambda: (
                QApplication.palette().color(QPalette.ColorRole.PlaceholderText)
                if row.state == "cancelled"
                else None
            ),
            Qt.ItemDataRole.ToolTipRole: lambda: self._tooltip(row, column),
        }
        handler = handlers.get(role)
        return handler() if handler is not None else None

    def _text(self, row: OutboxRow, column: OutboxColumn) -> str:
        texts: dict[OutboxColumn, Callable[[], str]] = {
            OutboxColumn.SEND_AFTER: lambda: format_date(row.send_after, self._locale),
            OutboxColumn.CUSTOMER: lambda: row.customer_name,
            OutboxColumn.STEP: lambda: row.step,
            OutboxColumn.INVOICES: lambda: ", ".join(row.invoices),
            OutboxColumn.SUBJECT: lambda: row.subject,
            OutboxColumn.STATE: lambda: state_text(row, self._locale),
        }
        return texts[column]()

    def _tooltip(self, row: OutboxRow, column: OutboxColumn) -> str | None:
        if column == OutboxColumn.STATE:
            if row.state in {"failed", "unknown", "queued"} and row.last_error:
                tries = f"{row.attempts} attempt{'' if row.attempts == 1 else 's'}"
                return f"{state_text(row, self._locale)}: {row.last_error} ({tries})"
            if row.sent_at is not None:
                return f"Sent {format_timestamp(row.sent_at, self._locale)}"
        if column == OutboxColumn.SUBJECT:
            return f"To {row.to}: {row.subject}"
        if column == OutboxColumn.INVOICES and row.invoices:
            return ", ".join(row.invoices)
        return None
