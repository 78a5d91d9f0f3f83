"""Follow-up tasks as a Qt table model: open ones first, the most overdue first among them."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt
from typing_extensions import override

from app.services.follow_ups import FollowUpRow
from app.services.invoice_preview import InvoiceStatus
from app.services.money_format import format_date
from app.views.models.table_support import ROW_ROLE, AnyIndex, ListTableModel, column_alignment
from app.views.style import status_marker, warm_colour


class TaskColumn(enum.IntEnum):
    """The columns of the task list."""

    DUE = 0
    STATE = 1
    TITLE = 2
    CUSTOMER = 3
    ASSIGNEE = 4


COLUMN_TITLES = ("Due", "State", "Task", "Customer", "Assignee")

#: What kind of task it is, in words ("call" -> "Call").
KIND_TEXT = {
    "task": "Task",
    "call": "Call",
    "escalation": "Escalation",
    "broken_promise": "Broken promise",
}


def state_text(task: FollowUpRow, today: date) -> str:
    """The state of a task in words: "Done", "3 days overdue", "Due today" or "Open"."""
    if task.done:
        return "Done"
    if task.days_overdue:
        return "1 day overdue" if task.days_overdue == 1 else f"{task.days_overdue} days overdue"
    return "Due today" if task.due_date == today else "Open"


def _state_status(task: FollowUpRow, today: date) -> str:
    if task.done:
        return InvoiceStatus.PAID
    if task.days_overdue or task.due_date == today:
        return InvoiceStatus.OVERDUE
    return InvoiceStatus.OPEN


class TaskTableModel(ListTableModel):
    """The rows of ``list_follow_ups``, in its order."""

    column_titles = COLUMN_TITLES

    def __init__(self, locale: str, today: date, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._locale = locale
        self._today = today
        self._rows: list[FollowUpRow] = []

    def set_rows(self, rows: list[FollowUpRow], today: date) -> None:
        """Show other tasks, as of ``today``."""
        self.beginResetModel()
        self._rows, self._today = list(rows), today
        self.endResetModel()

    def row_at(self, row: int) -> FollowUpRow | None:
        """The task in ``row``."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, task_id: int) -> int | None:
        """The row of a task."""
        return next((i for i, r in enumerate(self._rows) if r.id == task_id), None)

    @override
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    @override
    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        task = self.row_at(index.row()) if index.isValid() else None
        if task is None:
            return None
        column = TaskColumn(index.column())
        handlers: dict[int, Callable[[], Any]] = {
            Qt.ItemDataRole.DisplayRole: lambda: self._text(task, column),
            Qt.ItemDataRole.ToolTipRole: lambda: self._tooltip(task, column),
            Qt.ItemDataRole.DecorationRole: lambda: (
                status_marker(_state_status(task, self._today))
                if column == TaskColumn.STATE
                else None
            ),
            Qt.ItemDataRole.TextAlignmentRole: lambda: column_alignment(right=False),
            Qt.ItemDataRole.ForegroundRole: lambda: (
                warm_colour()
                if column in (TaskColumn.DUE, TaskColumn.STATE) and task.days_overdue
                else None
            ),
            ROW_ROLE: lambda: task,
        }
        handler = handlers.get(role)
        return handler() if handler is not None else None

    def _text(self, task: FollowUpRow, column: TaskColumn) -> str:
        if column == TaskColumn.DUE:
            return format_date(task.due_date, self._locale)
        if column == TaskColumn.STATE:
            return state_text(task, self._today)
        if column == TaskColumn.TITLE:
            return task.title
        if column == TaskColumn.CUSTOMER:
            number = f" · {task.invoice_number}" if task.invoice_number else ""
            return f"{task.customer_name}{number}"
        return task.assignee_name or "Nobody yet"

    def _tooltip(self, task: FollowUpRow, column: TaskColumn) -> str:
        if column == TaskColumn.TITLE:
            kind = KIND_TEXT.get(task.kind, task.kind)
            return f"{kind}: {task.title}" + (f"\n\n{task.notes}" if task.notes else "")
        return self._text(task, column)
