"""The Tasks screen ("My tasks"): follow-ups to do, the most overdue first; Done and Reopen.

"Mine" uses the same "I am" person as the Worklist (one QSettings key), "Everyone" shows all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QModelIndex, QSettings, QSortFilterProxyModel, Qt, Signal, Slot
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.services.customers import CustomerChoice, list_customer_choices, list_users
from app.services.follow_ups import (
    FollowUpRow,
    complete_follow_up,
    list_follow_ups,
    reopen_follow_up,
)
from app.services.money_format import format_date
from app.services.tasks import TaskContext
from app.views.collection_dialogs import (
    TaskDialog,
    remember_user,
    remembered_user,
)
from app.views.collection_screen import CollectionListScreen
from app.views.context import ViewContext
from app.views.empty_state import EmptyStatePage
from app.views.models.table_support import ROW_ROLE
from app.views.models.task_table_model import KIND_TEXT, TaskColumn, TaskTableModel, state_text
from app.views.style import heading, muted, plain_label

_WIDEST = ("Nov 28, 2026", "12 days overdue", "", "Lübke Elektrotechnik GmbH", "Jonas Becker")


@dataclass(frozen=True)
class _Loaded:
    tasks: list[FollowUpRow]
    users: list[tuple[int, str]]


class TaskDetailPane(QScrollArea):
    """One task: what, for whom, by when, its notes, and Done or Reopen."""

    def __init__(self, locale: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._locale = locale
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumWidth(280)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.title = heading("")
        self.title.setWordWrap(True)
        self.subtitle = muted(plain_label(selectable=True))
        self.facts = plain_label(selectable=True)
        self.notes = plain_label(selectable=True)
        self.notes.setObjectName("TaskNotes")
        self.hint = muted(QLabel("Select a task to see it in full."))
        self.done_button = QPushButton("&Done")
        self.reopen_button = QPushButton("&Reopen")
        self.open_button = QPushButton("&Open customer")
        buttons = QHBoxLayout()
        for button in (self.done_button, self.reopen_button, self.open_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(4)
        for widget in (self.title, self.subtitle, self.hint):
            layout.addWidget(widget)
        layout.addSpacing(8)
        layout.addWidget(self.facts)
        layout.addSpacing(8)
        layout.addWidget(self.notes)
        layout.addSpacing(12)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.setWidget(content)
        self.show_task(None, date.min)

    def show_task(self, task: FollowUpRow | None, today: date) -> None:
        """Show a task (``today`` is the day its state is told for), or the hint."""
        has = task is not None
        for widget in (self.facts, self.notes, self.done_button, self.reopen_button):
            widget.setVisible(has)
        self.open_button.setVisible(has and task is not None and task.customer_id is not None)
        self.hint.setVisible(not has)
        if task is None:
            self.title.setText("")
            self.subtitle.setText("")
            return
        self.title.setText(task.title)
        kind = KIND_TEXT.get(task.kind, task.kind)
        customer = f" for {task.customer_name}" if task.customer_name else ""
        self.subtitle.setText(f"{kind}{customer}")
        due = format_date(task.due_date, self._locale)
        lines = [f"Due {due} ({state_text(task, today).lower()})"]
        if task.invoice_number:
            lines.append(f"Invoice {task.invoice_number}")
        lines.append(f"Assigned to {task.assignee_name or 'nobody yet'}")
        if task.created_by:
            lines.append(f"Created by {task.created_by}")
        self.facts.setText("\n".join(lines))
        self.notes.setText(task.notes)
        self.notes.setVisible(bool(task.notes))
        self.done_button.setVisible(not task.done)
        self.reopen_button.setVisible(task.done)


class TasksView(CollectionListScreen):
    """Follow-up tasks, mine or everyone's, the most overdue first."""

    title = "Tasks"
    search_placeholder = "Search task or customer"
    noun = "task"
    stretch_column = TaskColumn.TITLE

    #: Asks the window to show a customer on the Customers screen (its id).
    customer_requested = Signal(int)

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("TasksView")
        self._users: list[tuple[int, str]] = []
        self.model = TaskTableModel(ctx.locale, ctx.clock.today(), self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._build_actions()
        self._build_filters()
        self.table = self._new_table(
            "TaskTable", self.proxy, QAbstractItemView.SelectionMode.SingleSelection
        )
        self._size_columns(_WIDEST, icon_column=TaskColumn.STATE)
        self._fit_columns()
        self.detail = TaskDetailPane(ctx.locale)
        self.detail.done_button.clicked.connect(self._on_done_action_triggered)
        self.detail.reopen_button.clicked.connect(self._on_reopen_action_triggered)
        self.detail.open_button.clicked.connect(self._on_open_action_triggered)
        self._count = muted(QLabel())
        self._count.setObjectName("TaskCount")
        self.splitter = self._new_splitter(
            "TasksSplitter",
            (self._list_with_footer(self._count, QLabel()), self.detail),
            (4, 1),
            [880, 300],
        )
        page = EmptyStatePage(
            "No tasks",
            "Tasks to call a customer, escalate or follow a broken promise up appear here; "
            "reminder runs make some, and you can create your own.",
            "New task",
        )
        page.import_button.hide()
        page.new_button.clicked.connect(self._on_new_action_triggered)
        self._place_pages(page, self._filters)
        self._update_actions()

    def icon(self) -> QIcon:
        return self.style().standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton)

    def _build_actions(self) -> None:
        sp = QStyle.StandardPixmap
        self.new_action = self._action("New task…", self._on_new_action_triggered, sp.SP_FileIcon)
        self.done_action = self._action(
            "Done", self._on_done_action_triggered, sp.SP_DialogApplyButton
        )
        self.done_action.setToolTip("Mark the selected task done (Ctrl+D)")
        self.done_action.setShortcut(QKeySequence("Ctrl+D"))
        self.reopen_action = self._action("Reopen", self._on_reopen_action_triggered)
        self.open_action = self._action(
            "Open customer", self._on_open_action_triggered, sp.SP_DirHomeIcon
        )
        self.done_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.done_action)
        self.toolbar.addAction(self.new_action)
        self.toolbar.addSeparator()
        for action in (self.done_action, self.reopen_action, self.open_action):
            self.toolbar.addAction(action)

    def _build_filters(self) -> None:
        self.mine_button = QPushButton("&Mine")
        self.everyone_button = QPushButton("&Everyone")
        self.whose = QButtonGroup(self)
        for button in (self.mine_button, self.everyone_button):
            button.setCheckable(True)
            self.whose.addButton(button)
        self.everyone_button.setChecked(True)
        self.show_done = QCheckBox("Show &done")
        self._new_me_combo('Who you are, for "My tasks" and the Worklist\'s "My work today"')
        self._filters = QHBoxLayout()
        self._filters.setSpacing(6)
        self._filters.addWidget(self.mine_button)
        self._filters.addWidget(self.everyone_button)
        self._filters.addSpacing(12)
        self._filters.addWidget(self.show_done)
        self._filters.addStretch(1)
        self._add_me_combo(self._filters)
        self.whose.buttonToggled.connect(self._on_whose_button_toggled)
        self.show_done.toggled.connect(self._on_show_done_toggled)
        self.me_combo.currentIndexChanged.connect(self._on_me_combo_current_index_changed)

    # -- Screen hooks ------------------------------------------------------------------------

    def set_search(self, text: str) -> None:
        super().set_search(text)
        self.proxy.setFilterFixedString(text.strip())
        self._show_count()

    def refresh(self) -> None:
        self.stale = False
        uow_factory, today = self.ctx.uow_factory, self.ctx.clock.today()
        me = remembered_user(self.ctx.settings)
        mine = self.mine_button.isChecked()
        open_only = not self.show_done.isChecked()

        def read(_: TaskContext) -> _Loaded:
            tasks = (
                []
                if mine and me is None
                else list_follow_ups(
                    uow_factory(), today, assignee_id=me if mine else None, open_only=open_only
                )
            )
            return _Loaded(tasks, list_users(uow_factory()))

        self.ctx.runner.fetch(read, self._on_tasks_loaded, self._on_load_failed)

    def _reload_list(self) -> None:
        self.refresh()

    def activate(self) -> None:
        # "I am" may have been chosen on the Worklist since
        self.stale = True
        super().activate()

    def save_state(self, settings: QSettings) -> None:
        super().save_state(settings)
        settings.setValue("tasks/mine", self.mine_button.isChecked())

    def restore_state(self, settings: QSettings) -> None:
        super().restore_state(settings)
        mine = str(settings.value("tasks/mine", "false")) == "true"
        self.whose.blockSignals(True)
        (self.mine_button if mine else self.everyone_button).setChecked(True)
        self.whose.blockSignals(False)

    # -- the list ----------------------------------------------------------------------------

    def _on_tasks_loaded(self, loaded: _Loaded) -> None:
        keep = self._detail_for
        self._users = loaded.users
        self._fill_me_combo(loaded.users)
        self.model.set_rows(loaded.tasks, self.ctx.clock.today())
        everyone = not self.mine_button.isChecked() and not self.show_done.isChecked()
        self.pages.setCurrentIndex(1 if everyone and not loaded.tasks else 0)
        self._show_count()
        if keep is not None and self.select_task(keep):
            return
        self.table.clearSelection()
        self._show_detail(None)

    def _show_count(self) -> None:
        shown = self.proxy.rowCount()
        tasks = [self.model.row_at(r) for r in range(self.model.rowCount())]
        overdue = sum(1 for t in tasks if t is not None and t.days_overdue)
        text = "1 task" if shown == 1 else f"{shown:,} tasks"
        if overdue:
            text += f" · {overdue:,} overdue"
        if self.mine_button.isChecked() and self.me() is None:
            text = 'Choose who you are ("I am") to see your tasks'
        self._count.setText(text)

    def shown_tasks(self) -> list[FollowUpRow]:
        """The tasks listed, in the order shown."""
        found = [self.proxy.index(r, 0).data(ROW_ROLE) for r in range(self.proxy.rowCount())]
        return [t for t in found if isinstance(t, FollowUpRow)]

    def select_task(self, task_id: int) -> bool:
        """Select a task in the list; whether it is listed."""
        row = self.model.row_of(task_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        self.table.selectRow(index.row())
        self.table.scrollTo(index)
        self._show_detail(self.model.row_at(row))
        return True

    def selected_task(self) -> FollowUpRow | None:
        """The task selected in the list."""
        rows = self.table.selectionModel().selectedRows()
        value = rows[0].data(ROW_ROLE) if rows else None
        return value if isinstance(value, FollowUpRow) else None

    @Slot()
    def _on_table_selection_changed(self) -> None:
        self._show_detail(self.selected_task())

    def _show_detail(self, task: FollowUpRow | None) -> None:
        self._detail_for = task.id if task is not None else None
        self.detail.show_task(task, self.ctx.clock.today())
        self._update_actions()

    def _task(self) -> FollowUpRow | None:
        at = self.model.row_of(self._detail_for) if self._detail_for is not None else None
        return self.model.row_at(at) if at is not None else None

    def _update_actions(self) -> None:
        task = self._task()
        self.done_action.setEnabled(task is not None and not task.done)
        self.reopen_action.setEnabled(task is not None and task.done)
        self.open_action.setEnabled(task is not None and task.customer_id is not None)

    @Slot(QModelIndex)
    def _on_table_activated(self, index: QModelIndex) -> None:
        task = index.data(ROW_ROLE)
        if isinstance(task, FollowUpRow) and task.customer_id is not None:
            self.customer_requested.emit(task.customer_id)

    def _menu_actions(self) -> Sequence[QAction | None]:
        return (self.done_action, self.reopen_action, None, self.open_action, self.new_action)

    @Slot()
    def _on_whose_button_toggled(self) -> None:
        self.refresh()

    @Slot(bool)
    def _on_show_done_toggled(self, _checked: bool) -> None:
        self.refresh()

    @Slot(int)
    def _on_me_combo_current_index_changed(self, _index: int) -> None:
        remember_user(self.ctx.settings, self.me())
        if self.mine_button.isChecked():
            self.refresh()

    # -- actions -----------------------------------------------------------------------------

    @Slot()
    def _on_done_action_triggered(self) -> None:
        task = self._task()
        if task is None or task.done:
            return
        uow_factory, task_id = self.ctx.uow_factory, task.id

        def done(_: TaskContext) -> None:
            complete_follow_up(uow_factory(), task_id)

        self._run_action(done, "Marking the task done…", f"Done: {task.title}", "Done")

    @Slot()
    def _on_reopen_action_triggered(self) -> None:
        task = self._task()
        if task is None or not task.done:
            return
        uow_factory, task_id = self.ctx.uow_factory, task.id

        def reopen(_: TaskContext) -> None:
            reopen_follow_up(uow_factory(), task_id)

        self._run_action(reopen, "Reopening the task…", f"Reopened: {task.title}", "Reopen")

    @Slot()
    def _on_new_action_triggered(self) -> None:
        uow_factory = self.ctx.uow_factory

        def read(_: TaskContext) -> list[CustomerChoice]:
            return list_customer_choices(uow_factory())

        def chosen(customers: list[CustomerChoice]) -> None:
            self.new_task(customers)

        self.ctx.runner.fetch(read, chosen, self._on_load_failed)

    def new_task(self, customers: Sequence[CustomerChoice]) -> TaskDialog:
        """Open the form for a new task (for one of ``customers``, or none)."""
        task = self._task()
        dialog = TaskDialog(
            self.ctx,
            self._users,
            customers=customers,
            assignee_id=self.me(),
            parent=self,
        )
        if task is not None and task.customer_id is not None and dialog.customer is not None:
            dialog.customer.setCurrentIndex(max(dialog.customer.findData(task.customer_id), 0))
        dialog.action_saved.connect(self._after_action)
        return self._show_dialog(dialog)

    @Slot()
    def _on_open_action_triggered(self) -> None:
        task = self._task()
        if task is not None and task.customer_id is not None:
            self.customer_requested.emit(task.customer_id)
