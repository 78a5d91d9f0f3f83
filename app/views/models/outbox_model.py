"""The outbox as a Qt table model over a list of rows, sorted in memory."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QLocale, QObject, Qt, QTime
from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import QApplication
from typing_extensions import override

from app.services.invoice_preview import InvoiceStatus, format_timestamp
from app.services.money_format import format_date
from app.services.reminders.outbox import OutboxRow
from app.views.models.table_support import ROW_ROLE, AnyIndex, SortedRowsModel
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
_SORT_KEYS: dict[int, Callable[[OutboxRow], Any]] = {
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


class OutboxTableModel(SortedRowsModel[OutboxRow]):
    """Outbox items, sortable by any column."""

    column_titles = COLUMN_TITLES
    sort_keys = _SORT_KEYS
    default_sort = (OutboxColumn.SEND_AFTER, True)

    def __init__(self, locale: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._locale = locale

    @override
    def row_id(self, row: OutboxRow) -> int:
        return row.id

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
