"""The collections worklist as a Qt table model: who to chase, in priority order, and why.

:class:`WorklistSortProxy` keeps the rows that pass the screen's filters (segment, owner, bucket,
"my work today", the search) and sorts names as people read them and amounts by their value.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QCollator,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont, QIcon
from typing_extensions import override

from app.services.invoice_preview import InvoiceStatus
from app.services.worklist import WorklistRow, filter_worklist
from app.views.models.table_support import ROW_ROLE, AnyIndex, ListTableModel, column_alignment
from app.views.style import money_text, status_marker, warm_colour

SORT_ROLE = Qt.ItemDataRole.UserRole + 2


class WorklistColumn(enum.IntEnum):
    """The columns of the worklist."""

    RANK = 0
    CUSTOMER = 1
    OVERDUE = 2
    OLDEST = 3
    NEXT_ACTION = 4
    OWNER = 5
    SEGMENT = 6


COLUMN_TITLES = ("#", "Customer", "Overdue", "Oldest", "Next action", "Owner", "Segment")

#: The words of the aging buckets, as the filter and the "Oldest" column say them.
BUCKET_TEXT = {
    "current": "not yet due",
    "1-30": "1-30 days",
    "31-60": "31-60 days",
    "61-90": "61-90 days",
    "90+": "over 90 days",
}

#: The marker colour of a next action: due today in the warm colour, waiting ones grey.
_ACTION_MARKER = {
    "dispute": InvoiceStatus.PARTIALLY_PAID,
    "promise": InvoiceStatus.CREDIT_NOTE,
}


def overdue_text(row: WorklistRow, locale: str) -> str:
    """The overdue amounts of a customer per currency, never added across currencies."""
    return " · ".join(money_text(m, locale) for m in row.overdue if m.minor)


def oldest_text(row: WorklistRow) -> str:
    """How long the oldest invoice is overdue: "61 days", "due soon"."""
    if row.invoices_overdue == 0:
        return "due soon"
    return "1 day" if row.oldest_days_overdue == 1 else f"{row.oldest_days_overdue} days"


def action_marker(row: WorklistRow) -> QIcon:
    """A small dot beside the next action: warm when it is due today (with the words)."""
    if row.due_today:
        return status_marker(InvoiceStatus.OVERDUE)
    return status_marker(_ACTION_MARKER.get(row.action_kind, InvoiceStatus.DRAFT))


class WorklistTableModel(ListTableModel):
    """The rows of ``load_worklist``, in its priority order (the rank is that position)."""

    column_titles = COLUMN_TITLES
    amount_columns = frozenset({WorklistColumn.RANK, WorklistColumn.OVERDUE})

    def __init__(self, locale: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._locale = locale
        self._rows: list[WorklistRow] = []
        self._bold: QFont | None = None

    def set_rows(self, rows: list[WorklistRow]) -> None:
        """Show another worklist (highest priority first)."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[WorklistRow]:
        """Every row, filtered or not, in priority order."""
        return list(self._rows)

    def row_at(self, row: int) -> WorklistRow | None:
        """The customer in ``row``."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, customer_id: int) -> int | None:
        """The row of a customer."""
        return next((i for i, r in enumerate(self._rows) if r.customer_id == customer_id), None)

    @override
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    @override
    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        column = WorklistColumn(index.column())
        rank = index.row() + 1
        handlers: dict[int, Callable[[], Any]] = {
            Qt.ItemDataRole.DisplayRole: lambda: self._text(row, column, rank),
            Qt.ItemDataRole.ToolTipRole: lambda: self._tooltip(row, column),
            Qt.ItemDataRole.DecorationRole: lambda: (
                action_marker(row) if column == WorklistColumn.NEXT_ACTION else None
            ),
            Qt.ItemDataRole.TextAlignmentRole: lambda: column_alignment(
                column in self.amount_columns
            ),
            Qt.ItemDataRole.ForegroundRole: lambda: (
                warm_colour() if column == WorklistColumn.OVERDUE and row.invoices_overdue else None
            ),
            Qt.ItemDataRole.FontRole: lambda: (
                self._bold_font()
                if column == WorklistColumn.NEXT_ACTION and row.due_today
                else None
            ),
            ROW_ROLE: lambda: row,
            SORT_ROLE: lambda: self._sort_value(row, column, rank),
        }
        handler = handlers.get(role)
        return handler() if handler is not None else None

    def _bold_font(self) -> QFont:
        if self._bold is None:
            self._bold = QFont()
            self._bold.setBold(True)
        return self._bold

    def _text(self, row: WorklistRow, column: WorklistColumn, rank: int) -> str:
        if column == WorklistColumn.RANK:
            return str(rank)
        if column == WorklistColumn.OVERDUE:
            return overdue_text(row, self._locale)
        if column == WorklistColumn.OLDEST:
            return oldest_text(row)
        return {
            WorklistColumn.CUSTOMER: row.customer_name,
            WorklistColumn.NEXT_ACTION: row.next_action,
            WorklistColumn.OWNER: row.owner_name,
            WorklistColumn.SEGMENT: row.segment,
        }[column]

    def _tooltip(self, row: WorklistRow, column: WorklistColumn) -> str:
        if column == WorklistColumn.OLDEST:
            return f"Oldest bucket: {BUCKET_TEXT.get(row.bucket, row.bucket)}"
        if column == WorklistColumn.NEXT_ACTION:
            return f"{row.next_action} (due today)" if row.due_today else row.next_action
        if column == WorklistColumn.RANK:
            return f"Priority {row.priority}"
        if column == WorklistColumn.CUSTOMER:
            return f"{row.customer_name} ({row.customer_code})"
        return row.why

    def _sort_value(self, row: WorklistRow, column: WorklistColumn, rank: int) -> int | str:
        if column == WorklistColumn.RANK:
            return rank
        if column == WorklistColumn.OVERDUE:
            return max((m.minor for m in row.overdue), default=0)
        if column == WorklistColumn.OLDEST:
            return row.oldest_days_overdue if row.invoices_overdue else -1
        if column == WorklistColumn.NEXT_ACTION:
            return f"{0 if row.due_today else 1}{row.next_action}"
        return self._text(row, column, rank)


class WorklistSortProxy(QSortFilterProxyModel):
    """The worklist's filters and sort orders over :class:`WorklistTableModel`."""

    def __init__(self, locale: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._collator = QCollator(QLocale(locale))
        self._collator.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._collator.setNumericMode(True)
        self.setSortRole(SORT_ROLE)
        self._segment = ""
        self._owner_id: int | None = None
        self._bucket = ""
        self._today_only = False
        self._search = ""
        self._kept: set[int] | None = None

    def set_filters(
        self,
        *,
        segment: str = "",
        owner_id: int | None = None,
        bucket: str = "",
        today_only: bool = False,
        search: str = "",
    ) -> None:
        """Keep only the rows of a segment, owner and bucket whose name holds ``search``."""
        self.beginFilterChange()
        self._segment, self._owner_id, self._bucket = segment, owner_id, bucket
        self._today_only, self._search = today_only, search.strip().casefold()
        self._kept = None
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def _kept_ids(self) -> set[int]:
        if self._kept is None:
            source = self.sourceModel()
            rows = source.rows() if isinstance(source, WorklistTableModel) else []
            kept = filter_worklist(
                rows,
                segment=self._segment,
                owner_id=self._owner_id,
                bucket=self._bucket,
                today_only=self._today_only,
            )
            self._kept = {
                r.customer_id
                for r in kept
                if not self._search or self._search in r.customer_name.casefold()
            }
        return self._kept

    @override
    def setSourceModel(self, model: Any) -> None:
        super().setSourceModel(model)
        model.modelAboutToBeReset.connect(self._forget_kept)

    def _forget_kept(self) -> None:
        self._kept = None

    @override
    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        source = self.sourceModel()
        if not isinstance(source, WorklistTableModel):
            return True
        row = source.row_at(source_row)
        return row is not None and row.customer_id in self._kept_ids()

    @override
    def lessThan(
        self,
        source_left: QModelIndex | QPersistentModelIndex,
        source_right: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        left, right = source_left.data(SORT_ROLE), source_right.data(SORT_ROLE)
        if isinstance(left, str) and isinstance(right, str):
            order = self._collator.compare(left, right)
            if order:
                return order < 0
            return source_left.row() < source_right.row()
        if left == right:
            return source_left.row() < source_right.row()
        return bool(left < right)
