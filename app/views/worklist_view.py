"""The Worklist screen: the customers to chase today, most pressing first, and what to do next.

The list comes from ``load_worklist`` (the same plan the reminder pass follows), is filtered in
place by segment, owner, oldest bucket, "My work today" and the search, and each action (send a
reminder now, log a call, take a promise, pause reminders, choose the reminder policy, open or
resolve a dispute, ...) goes through its service and reads the list again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QSettings, Qt, Signal, Slot
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.services.aging import BUCKETS
from app.services.collection_actions import (
    DisputeView,
    ReminderChoice,
    list_open_disputes,
    reminder_choice,
    resume_reminders,
)
from app.services.customers import get_customer, list_contacts, list_users
from app.services.dto import ContactView, CustomerDetail
from app.services.invoice_preview import Money
from app.services.reminders.outbox import queue_reminder_now
from app.services.reminders.policies import PolicyView, list_policies
from app.services.reminders.run import ReminderRunResult, run_reminders
from app.services.tasks import TaskContext
from app.services.wording import plural
from app.services.worklist import WorklistRow, load_worklist
from app.views import ask
from app.views.collection_dialogs import (
    ActionDialog,
    LogCallDialog,
    NoteDialog,
    OpenDisputeDialog,
    PauseDialog,
    PromiseDialog,
    ReminderContactDialog,
    ReminderPolicyDialog,
    ResolveDisputeDialog,
    TaskDialog,
    fill_users,
    remember_user,
    remembered_user,
)
from app.views.collection_screen import CollectionListScreen
from app.views.context import ViewContext
from app.views.empty_state import EmptyStatePage
from app.views.models.table_support import ROW_ROLE
from app.views.models.worklist_model import (
    BUCKET_TEXT,
    WorklistColumn,
    WorklistSortProxy,
    WorklistTableModel,
    action_marker,
    overdue_text,
)
from app.views.style import heading, money_text, muted, plain_label, warm_colour

#: Texts as wide as a column's usual values (the next action takes what is left).
_WIDEST = ("88", "Lübke Elektrotechnik GmbH", "€18,888.88", "120 days", "", "Jonas Becker", "")
_SEGMENT_WIDTH = 90


@dataclass(frozen=True)
class _Loaded:
    """What one read of the screen brings: the worklist and the people."""

    rows: list[WorklistRow]
    users: list[tuple[int, str]]


def run_summary(result: ReminderRunResult) -> str:
    """What a reminder pass did, in numbers: "Queued 12 reminders, 2 tasks; 5 held back"."""
    text = f"Queued {plural(result.queued, 'reminder')}, {plural(result.tasks, 'task')}"
    if result.skipped:
        text += f"; {len(result.skipped):,} held back"
    if result.warnings:
        text += f" ({plural(len(result.warnings), 'warning')}: see the Worklist)"
    return text


class WorklistDetailPane(QScrollArea):
    """The selected customer: what to do next and why, with a button for each action."""

    def __init__(self, locale: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._locale = locale
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumWidth(260)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.title = heading("")
        self.title.setWordWrap(True)
        self.subtitle = muted(plain_label(selectable=True))
        self.hint = muted(QLabel("Select a customer to see what to do next."))
        self.next_caption = muted(QLabel("Next action"))
        self.next_action = plain_label(selectable=True)
        self.next_action.setObjectName("NextAction")
        font = self.next_action.font()
        font.setBold(True)
        font.setPointSize(font.pointSize() + 1)
        self.next_action.setFont(font)
        self.marker = QLabel()
        self.why_caption = muted(QLabel("Why"))
        self.why = plain_label(selectable=True)
        self.why.setObjectName("Why")
        self.amounts = plain_label(selectable=True)

        self._build_buttons()
        self._place()
        self.show_row(None)

    def _build_buttons(self) -> None:
        self.send_button = QPushButton("&Send reminder now")
        self.call_button = QPushButton("&Log call…")
        self.promise_button = QPushButton("&Promise to pay…")
        self.note_button = QPushButton("Add &note…")
        self.task_button = QPushButton("Create &task…")
        self.pause_button = QPushButton("Pa&use reminders…")
        self.contact_button = QPushButton("Reminder &contact…")
        self.policy_button = QPushButton("Reminder polic&y…")
        self.dispute_button = QPushButton("Open dispute…")
        self.resolve_button = QPushButton("&Resolve dispute…")
        self.open_button = QPushButton("&Open customer")

    def _place(self) -> None:
        buttons = QGridLayout()
        buttons.setHorizontalSpacing(6)
        for at, button in enumerate(self.buttons()):
            buttons.addWidget(button, at // 2, at % 2)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.hint)
        layout.addSpacing(10)
        layout.addWidget(self.next_caption)
        action_row = QHBoxLayout()
        action_row.addWidget(self.marker, 0, Qt.AlignmentFlag.AlignTop)
        action_row.addWidget(self.next_action, 1)
        layout.addLayout(action_row)
        layout.addSpacing(8)
        layout.addWidget(self.why_caption)
        layout.addWidget(self.why)
        layout.addSpacing(4)
        layout.addWidget(self.amounts)
        layout.addSpacing(12)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.setWidget(content)
        # wide enough for the buttons side by side (the pane never scrolls sideways)
        scroll_bar = self.verticalScrollBar().sizeHint().width()
        self.setMinimumWidth(content.minimumSizeHint().width() + scroll_bar)

    def buttons(self) -> tuple[QPushButton, ...]:
        """The action buttons, in the order the eye and Tab take them."""
        return (
            self.send_button,
            self.call_button,
            self.promise_button,
            self.note_button,
            self.task_button,
            self.pause_button,
            self.contact_button,
            self.policy_button,
            self.dispute_button,
            self.resolve_button,
            self.open_button,
        )

    def show_row(self, row: WorklistRow | None) -> None:
        """Show a customer of the worklist, or the hint to select one."""
        has = row is not None
        for widget in (
            self.next_caption,
            self.next_action,
            self.marker,
            self.why_caption,
            self.why,
            self.amounts,
            *self.buttons(),
        ):
            widget.setVisible(has)
        self.hint.setVisible(not has)
        if row is None:
            self.title.setText("")
            self.subtitle.setText("")
            return
        self.title.setText(row.customer_name)
        owner = f"owner {row.owner_name}" if row.owner_name else "no owner"
        self.subtitle.setText(" · ".join(p for p in (row.customer_code, row.segment, owner) if p))
        self.next_caption.setText("Next action · due today" if row.due_today else "Next action")
        self.next_action.setText(row.next_action[:1].upper() + row.next_action[1:])
        self.marker.setPixmap(action_marker(row).pixmap(12, 12))
        self.why.setText(row.why[:1].upper() + row.why[1:] if row.why else "Nothing overdue yet.")
        overdue = overdue_text(row, self._locale) or "nothing yet"
        opened = " · ".join(money_text(m, self._locale) for m in row.open if m.minor)
        self.amounts.setText(f"Overdue: {overdue}\nOpen in all: {opened}")
        paused = row.action_kind == "paused"
        self.pause_button.setText("Res&ume reminders" if paused else "Pa&use reminders…")


class WorklistView(CollectionListScreen):
    """Who to chase today, in priority order, and the actions to chase them."""

    title = "Worklist"
    search_placeholder = "Search customer name"
    noun = "worklist"
    stretch_column = WorklistColumn.NEXT_ACTION

    #: How many customers have something to do today (the sidebar badge).
    due_today_count_changed = Signal(int)
    #: Asks the window to show a customer on the Customers screen (its id).
    customer_requested = Signal(int)

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("WorklistView")
        self._users: list[tuple[int, str]] = []
        self._loaded_once = False
        self.model = WorklistTableModel(ctx.locale, self)
        self.proxy = WorklistSortProxy(ctx.locale, self)
        self.proxy.setSourceModel(self.model)
        self._build_actions()
        self._build_filters()
        self._build_table()
        self.detail = WorklistDetailPane(ctx.locale)
        self._connect_detail()
        self._count = muted(QLabel())
        self._count.setObjectName("WorklistCount")
        self._totals = muted(QLabel())
        self._totals.setObjectName("WorklistTotals")
        self._totals.setMinimumWidth(40)  # cut short rather than widen the window
        self.no_match = muted(QLabel("No customer matches these filters."))
        self.no_match.setObjectName("NoWorklistMatches")
        self.no_match.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_match.setWordWrap(True)
        self.list_pages = QStackedWidget()
        self.list_pages.addWidget(self._list_with_footer(self._count, self._totals))
        self.list_pages.addWidget(self.no_match)
        self.splitter = self._new_splitter(
            "WorklistSplitter", (self.list_pages, self.detail), (4, 1), [880, 300]
        )
        self._place_pages(self._build_empty_state(), self._filters)
        self._update_actions()

    # -- building ----------------------------------------------------------------------------

    def icon(self) -> QIcon:
        return self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogDetailedView)

    def _build_actions(self) -> None:
        sp = QStyle.StandardPixmap
        self.run_action = self._action(
            "Run reminders", self._on_run_action_triggered, sp.SP_MediaPlay
        )
        self.run_action.setToolTip(
            "Decide today's reminders for every customer and queue them in the outbox"
        )
        self.send_action = self._action(
            "Send reminder now", self._on_send_action_triggered, sp.SP_ArrowForward
        )
        self.send_action.setToolTip(
            "Queue a reminder for the selected customer's overdue invoices now (Ctrl+Shift+R)"
        )
        self.send_action.setShortcut(QKeySequence("Ctrl+Shift+R"))
        self.call_action = self._action("Log call…", self._on_call_action_triggered)
        self.call_action.setShortcut(QKeySequence("Ctrl+L"))
        self.call_action.setToolTip("Note how a call went (Ctrl+L)")
        self.promise_action = self._action("Promise to pay…", self._on_promise_action_triggered)
        self.promise_action.setShortcut(QKeySequence("Ctrl+Shift+P"))
        self.promise_action.setToolTip("The customer promised to pay by a date (Ctrl+Shift+P)")
        self.pause_action = self._action("Pause reminders…", self._on_pause_action_triggered)
        self.note_action = self._action("Add note…", self._on_note_action_triggered)
        self.note_action.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.task_action = self._action("Create task…", self._on_task_action_triggered)
        self.task_action.setShortcut(QKeySequence("Ctrl+T"))
        self.contact_action = self._action("Reminder contact…", self._on_contact_action_triggered)
        self.policy_action = self._action("Reminder policy…", self._on_policy_action_triggered)
        self.policy_action.setToolTip(
            "Choose the customer's reminder policy, or exclude them from automatic reminders"
        )
        self.dispute_action = self._action("Open dispute…", self._on_dispute_action_triggered)
        self.dispute_action.setToolTip("The customer disputes invoices: stop chasing them")
        self.resolve_action = self._action("Resolve dispute…", self._on_resolve_action_triggered)
        self.resolve_action.setToolTip("Close a dispute, saying how it was settled")
        self.open_action = self._action(
            "Open customer", self._on_open_action_triggered, sp.SP_DirHomeIcon
        )
        for action in self._row_actions():
            if not action.shortcut().isEmpty():
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                self.addAction(action)
        self.toolbar.addAction(self.run_action)
        self.toolbar.addSeparator()
        for action in (self.send_action, self.call_action, self.promise_action):
            self.toolbar.addAction(action)
        more = QMenu(self)
        for entry in self._menu_actions()[3:]:  # the toolbar shows the first three
            if entry is None:
                more.addSeparator()
            else:
                more.addAction(entry)
        self.more_button = QToolButton()
        self.more_button.setText("More")
        self.more_button.setMenu(more)
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more_button.setToolTip("Pause reminders, open a dispute, add a note, …")
        self.toolbar.addWidget(self.more_button)

    def _row_actions(self) -> tuple[QAction, ...]:
        return (
            self.send_action,
            self.call_action,
            self.promise_action,
            self.pause_action,
            self.note_action,
            self.task_action,
            self.contact_action,
            self.policy_action,
            self.dispute_action,
            self.resolve_action,
            self.open_action,
        )

    def _build_filters(self) -> None:
        self.segment_filter = QComboBox()
        self.segment_filter.setAccessibleName("Segment")
        self.segment_filter.addItem("All segments", "")
        self.owner_filter = QComboBox()
        self.owner_filter.setAccessibleName("Owner")
        self.owner_filter.addItem("Everyone", None)
        self.bucket_filter = QComboBox()
        self.bucket_filter.setAccessibleName("Oldest overdue")
        self.bucket_filter.addItem("Any age", "")
        for bucket in BUCKETS:
            self.bucket_filter.addItem(BUCKET_TEXT[bucket], bucket)
        self.mine_today = QCheckBox("&My work today")
        self.mine_today.setToolTip("Only my customers with something to do today")
        self._new_me_combo('Who you are, for "My work today" and "My tasks"')
        self.warning = QLabel()
        self.warning.setObjectName("ReminderWarnings")
        self.warning.setWordWrap(True)
        self.warning.setTextFormat(Qt.TextFormat.PlainText)
        palette = self.warning.palette()
        palette.setColor(self.warning.foregroundRole(), warm_colour(palette))
        self.warning.setPalette(palette)
        self.warning.hide()

        for combo in (self.segment_filter, self.owner_filter, self.bucket_filter, self.me_combo):
            # as wide as their texts, but they give way before the window must grow
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.setMinimumWidth(72)
        row = QHBoxLayout()
        row.setSpacing(6)
        for caption, combo in (
            ("S&egment", self.segment_filter),
            ("O&wner", self.owner_filter),
            ("Ol&dest", self.bucket_filter),
        ):
            label = QLabel(caption)
            label.setBuddy(combo)
            row.addWidget(label)
            row.addWidget(combo)
        row.addWidget(self.mine_today)
        row.addStretch(1)
        self._add_me_combo(row)
        self._filters = QVBoxLayout()
        self._filters.setSpacing(4)
        self._filters.addLayout(row)
        self._filters.addWidget(self.warning)
        for combo in (self.segment_filter, self.owner_filter, self.bucket_filter):
            combo.currentIndexChanged.connect(self._on_filter_changed)
        self.mine_today.toggled.connect(self._on_filter_changed)
        self.me_combo.currentIndexChanged.connect(self._on_me_combo_current_index_changed)

    def _build_table(self) -> None:
        self.table = self._new_table(
            "WorklistTable", self.proxy, QAbstractItemView.SelectionMode.SingleSelection
        )
        self._size_columns(_WIDEST, icon_column=WorklistColumn.NEXT_ACTION)
        header = self.table.horizontalHeader()
        header.resizeSection(WorklistColumn.SEGMENT, _SEGMENT_WIDTH)
        self._fit_columns()
        header.setSortIndicator(WorklistColumn.RANK, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)

    def _build_empty_state(self) -> QWidget:
        page = EmptyStatePage(
            "Nobody to chase",
            "No customer has an overdue invoice or one falling due within a week. Customers "
            "appear here, most pressing first, as their invoices fall due.",
            "Show invoices",
        )
        page.import_button.hide()
        self.empty_invoices_button = page.new_button
        self.empty_invoices_button.clicked.connect(lambda: self.screen_requested.emit("Invoices"))
        return page

    def _connect_detail(self) -> None:
        pane = self.detail
        pane.send_button.clicked.connect(self._on_send_action_triggered)
        pane.call_button.clicked.connect(self._on_call_action_triggered)
        pane.promise_button.clicked.connect(self._on_promise_action_triggered)
        pane.note_button.clicked.connect(self._on_note_action_triggered)
        pane.task_button.clicked.connect(self._on_task_action_triggered)
        pane.pause_button.clicked.connect(self._on_pause_action_triggered)
        pane.contact_button.clicked.connect(self._on_contact_action_triggered)
        pane.policy_button.clicked.connect(self._on_policy_action_triggered)
        pane.dispute_button.clicked.connect(self._on_dispute_action_triggered)
        pane.resolve_button.clicked.connect(self._on_resolve_action_triggered)
        pane.open_button.clicked.connect(self._on_open_action_triggered)

    # -- Screen hooks ------------------------------------------------------------------------

    def set_search(self, text: str) -> None:
        super().set_search(text)
        self._apply_filters()

    def refresh(self) -> None:
        self.stale = False
        uow_factory, today = self.ctx.uow_factory, self.ctx.clock.today()

        def read(_: TaskContext) -> _Loaded:
            return _Loaded(load_worklist(uow_factory(), today), list_users(uow_factory()))

        self.ctx.runner.drop_queued("worklist")
        self.ctx.runner.fetch(
            read, self._on_worklist_loaded, self._on_load_failed, group="worklist"
        )

    def activate(self) -> None:
        # "I am" may have been chosen on the Tasks screen since
        me = remembered_user(self.ctx.settings)
        if me != self.me() and self.me_combo.findData(me) >= 0:
            self.me_combo.setCurrentIndex(self.me_combo.findData(me))
        super().activate()

    def mark_stale(self) -> None:
        """Another screen changed the ledger: read again now, so the badge stays true."""
        self.stale = True
        self.refresh()

    def load_badge(self) -> None:
        """Read the worklist for the sidebar badge (the screen is read with it)."""
        self.refresh()

    def _reload_list(self) -> None:
        self.refresh()

    def save_state(self, settings: QSettings) -> None:
        super().save_state(settings)
        settings.setValue("worklist/mine_today", self.mine_today.isChecked())
        settings.setValue("worklist/bucket", self.bucket_filter.currentData() or "")

    def restore_state(self, settings: QSettings) -> None:
        super().restore_state(settings)
        for widget in (self.mine_today, self.bucket_filter):
            widget.blockSignals(True)
        self.mine_today.setChecked(str(settings.value("worklist/mine_today", "false")) == "true")
        at = self.bucket_filter.findData(str(settings.value("worklist/bucket", "")))
        self.bucket_filter.setCurrentIndex(max(at, 0))
        for widget in (self.mine_today, self.bucket_filter):
            widget.blockSignals(False)
        self._apply_filters()

    # -- the list ----------------------------------------------------------------------------

    def _on_worklist_loaded(self, loaded: _Loaded) -> None:
        self._loaded_once = True
        self._users = loaded.users
        self._fill_choices(loaded)
        self.model.set_rows(loaded.rows)
        self.due_today_count_changed.emit(sum(1 for r in loaded.rows if r.due_today))
        self.pages.setCurrentIndex(0 if loaded.rows else 1)
        self._apply_filters()

    def _fill_choices(self, loaded: _Loaded) -> None:
        """The segments and people of the ledger in the filters; choices made are kept."""
        segment = self.segment_filter.currentData() or ""
        self.segment_filter.blockSignals(True)
        self.segment_filter.clear()
        self.segment_filter.addItem("All segments", "")
        for name in sorted({r.segment for r in loaded.rows if r.segment}, key=str.casefold):
            self.segment_filter.addItem(name, name)
        self.segment_filter.setCurrentIndex(max(self.segment_filter.findData(segment), 0))
        self.segment_filter.blockSignals(False)
        owner = self.owner_filter.currentData()
        fill_users(self.owner_filter, loaded.users, owner, "Everyone")
        self._fill_me_combo(loaded.users)
        self.mine_today.setEnabled(self.me() is not None)

    def _apply_filters(self) -> None:
        keep = self._detail_for
        mine = self.mine_today.isChecked() and self.me() is not None
        owner = self.owner_filter.currentData()
        self.proxy.set_filters(
            segment=self.segment_filter.currentData() or "",
            owner_id=self.me() if mine else (owner if isinstance(owner, int) else None),
            bucket=self.bucket_filter.currentData() or "",
            today_only=mine,
            search=self.search_text,
        )
        self.owner_filter.setEnabled(not mine)
        shown = [self.proxy.index(r, 0).data(ROW_ROLE) for r in range(self.proxy.rowCount())]
        rows = [r for r in shown if isinstance(r, WorklistRow)]
        due = sum(1 for r in rows if r.due_today)
        self._count.setText(f"{plural(len(rows), 'customer')} · {due:,} due today")
        self._totals.setText(_totals_text(rows, self.ctx.locale))
        self.list_pages.setCurrentIndex(0 if rows or not self.model.rowCount() else 1)
        if keep is not None and self._select(keep):
            return
        self.table.clearSelection()
        self._show_detail(None)

    def _select(self, customer_id: int) -> bool:
        row = self.model.row_of(customer_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        self.table.selectRow(index.row())
        self.table.scrollTo(index)
        self._show_detail(self.model.row_at(row))
        return True

    def select_customer(self, customer_id: int) -> bool:
        """Select a customer in the list; whether they are listed (and shown by the filters)."""
        return self._select(customer_id)

    def selected_row(self) -> WorklistRow | None:
        """The customer selected in the list."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        value = rows[0].data(ROW_ROLE)
        return value if isinstance(value, WorklistRow) else None

    def shown_rows(self) -> list[WorklistRow]:
        """The rows the filters leave, in the order shown."""
        found = [self.proxy.index(r, 0).data(ROW_ROLE) for r in range(self.proxy.rowCount())]
        return [r for r in found if isinstance(r, WorklistRow)]

    @Slot()
    def _on_table_selection_changed(self) -> None:
        self._show_detail(self.selected_row())

    def _show_detail(self, row: WorklistRow | None) -> None:
        self._detail_for = row.customer_id if row is not None else None
        self.detail.show_row(row)
        self._update_actions()

    def _update_actions(self) -> None:
        row = self._row()
        for action in self._row_actions():
            action.setEnabled(row is not None)
        paused = row is not None and row.action_kind == "paused"
        self.pause_action.setText("Resume reminders" if paused else "Pause reminders…")

    def _row(self) -> WorklistRow | None:
        if self._detail_for is None:
            return None
        at = self.model.row_of(self._detail_for)
        return self.model.row_at(at) if at is not None else None

    @Slot(QModelIndex)
    def _on_table_activated(self, index: QModelIndex) -> None:
        row = index.data(ROW_ROLE)
        if isinstance(row, WorklistRow):
            self.customer_requested.emit(row.customer_id)

    def _menu_actions(self) -> Sequence[QAction | None]:
        return (
            self.send_action,
            self.call_action,
            self.promise_action,
            self.pause_action,
            self.policy_action,
            self.contact_action,
            None,
            self.dispute_action,
            self.resolve_action,
            None,
            self.note_action,
            self.task_action,
            None,
            self.open_action,
        )

    @Slot()
    def _on_filter_changed(self) -> None:
        self._apply_filters()

    @Slot(int)
    def _on_me_combo_current_index_changed(self, _index: int) -> None:
        remember_user(self.ctx.settings, self.me())
        self.mine_today.setEnabled(self.me() is not None)
        self._apply_filters()

    # -- actions -----------------------------------------------------------------------------

    def _open_form(self, dialog: ActionDialog) -> ActionDialog:
        dialog.action_saved.connect(self._after_action)
        return self._show_dialog(dialog)

    def _with_detail(self, then: Callable[[WorklistRow, CustomerDetail], Any]) -> None:
        """Read the selected customer's contacts and open invoices, then go on with them."""
        row = self._row()
        if row is None:
            return
        uow_factory, today, customer_id = (
            self.ctx.uow_factory,
            self.ctx.clock.today(),
            row.customer_id,
        )

        def read(_: TaskContext) -> CustomerDetail:
            return get_customer(uow_factory(), customer_id, today)

        self.ctx.runner.fetch(read, lambda detail: then(row, detail), self._on_load_failed)

    @Slot()
    def _on_run_action_triggered(self) -> None:
        uow_factory, today = self.ctx.uow_factory, self.ctx.clock.today()

        def run(_: TaskContext) -> ReminderRunResult:
            return run_reminders(uow_factory(), today)

        self.ctx.runner.run(
            run,
            progress_label="Deciding today's reminders…",
            parent=self,
            on_success=self._on_reminders_run,
            on_failure=lambda exc: self._on_action_failed("Run reminders", exc),
        )

    def _on_reminders_run(self, result: ReminderRunResult) -> None:
        self.show_warnings(result.warnings)
        self._after_action(run_summary(result))

    def show_warnings(self, warnings: Sequence[str]) -> None:
        """Show what the last reminder pass warned about above the list (until the next pass)."""
        text = "\n".join(f"⚠ {w[:1].upper()}{w[1:]}" for w in warnings)
        self.warning.setText(text)
        self.warning.setVisible(bool(text))

    @Slot()
    def _on_send_action_triggered(self) -> None:
        row = self._row()
        if row is None:
            return
        if not ask.confirm(
            self,
            "Send reminder now",
            f"Queue a reminder to {row.customer_name} for their overdue invoices now?\n\n"
            "It waits in the outbox until it is sent, and can be cancelled there.",
            "Queue reminder",
        ):
            return
        uow_factory, today, customer_id = (
            self.ctx.uow_factory,
            self.ctx.clock.today(),
            row.customer_id,
        )

        def queue(_: TaskContext) -> int:
            return queue_reminder_now(uow_factory(), customer_id, today)

        self._run_action(
            queue,
            "Queueing the reminder…",
            f"Reminder to {row.customer_name} queued in the outbox",
            "Send reminder now",
        )

    @Slot()
    def _on_call_action_triggered(self) -> None:
        row = self._row()
        if row is not None:
            self.log_call(row)

    def log_call(self, row: WorklistRow) -> ActionDialog:
        """Open the form to log a call with a customer."""
        return self._open_form(LogCallDialog(self.ctx, row.customer_id, row.customer_name, self))

    @Slot()
    def _on_promise_action_triggered(self) -> None:
        self._with_detail(self._open_promise)

    def _open_promise(self, row: WorklistRow, detail: CustomerDetail) -> ActionDialog:
        overdue = [m for m in row.overdue if m.minor] or [
            Money(0, c) for c in dict.fromkeys(m.currency for m in row.open)
        ]
        invoices = [i for i in detail.open_invoices if i.open_amount.minor > 0]
        return self._open_form(
            PromiseDialog(self.ctx, row.customer_id, row.customer_name, overdue, invoices, self)
        )

    @Slot()
    def _on_pause_action_triggered(self) -> None:
        """Pause reminders (or resume them when paused)."""
        row = self._row()
        if row is None:
            return
        if row.action_kind != "paused":
            self._open_form(PauseDialog(self.ctx, row.customer_id, row.customer_name, self))
            return
        uow_factory, customer_id = self.ctx.uow_factory, row.customer_id

        def resume(_: TaskContext) -> None:
            resume_reminders(uow_factory(), customer_id)

        self._run_action(
            resume,
            "Resuming the reminders…",
            f"Reminders to {row.customer_name} resumed",
            "Resume reminders",
        )

    @Slot()
    def _on_note_action_triggered(self) -> None:
        row = self._row()
        if row is not None:
            self._open_form(NoteDialog(self.ctx, row.customer_id, row.customer_name, self))

    @Slot()
    def _on_task_action_triggered(self) -> None:
        row = self._row()
        if row is None:
            return
        assignee = row.owner_id if row.owner_id is not None else self.me()
        self._open_form(
            TaskDialog(
                self.ctx,
                self._users,
                customer_id=row.customer_id,
                customer_name=row.customer_name,
                assignee_id=assignee,
                parent=self,
            )
        )

    @Slot()
    def _on_contact_action_triggered(self) -> None:
        """Choose which contact receives the reminders."""
        row = self._row()
        if row is None:
            return
        uow_factory, customer_id = self.ctx.uow_factory, row.customer_id

        def read(_: TaskContext) -> list[tuple[int, ContactView]]:
            return list_contacts(uow_factory(), customer_id)

        def chosen(contacts: list[tuple[int, ContactView]]) -> None:
            self._open_form(
                ReminderContactDialog(self.ctx, row.customer_id, row.customer_name, contacts, self)
            )

        self.ctx.runner.fetch(read, chosen, self._on_load_failed)

    @Slot()
    def _on_policy_action_triggered(self) -> None:
        """Choose the reminder policy, or take the customer out of automatic reminders."""
        row = self._row()
        if row is None:
            return
        uow_factory, customer_id = self.ctx.uow_factory, row.customer_id

        def read(_: TaskContext) -> tuple[ReminderChoice, list[PolicyView]]:
            return reminder_choice(uow_factory(), customer_id), list_policies(uow_factory())

        def chosen(loaded: tuple[ReminderChoice, list[PolicyView]]) -> None:
            choice, policies = loaded
            self._open_form(
                ReminderPolicyDialog(
                    self.ctx, row.customer_id, row.customer_name, choice, policies, self
                )
            )

        self.ctx.runner.fetch(read, chosen, self._on_load_failed)

    @Slot()
    def _on_dispute_action_triggered(self) -> None:
        """Open a dispute on some of the customer's open invoices."""
        row = self._row()
        if row is None:
            return
        uow_factory, today, customer_id = (
            self.ctx.uow_factory,
            self.ctx.clock.today(),
            row.customer_id,
        )

        def read(_: TaskContext) -> tuple[CustomerDetail, list[DisputeView]]:
            return (
                get_customer(uow_factory(), customer_id, today),
                list_open_disputes(uow_factory(), customer_id),
            )

        def chosen(loaded: tuple[CustomerDetail, list[DisputeView]]) -> None:
            detail, disputes = loaded
            owner = row.owner_id if row.owner_id is not None else self.me()
            self._open_form(
                OpenDisputeDialog(
                    self.ctx,
                    row.customer_id,
                    row.customer_name,
                    detail.open_invoices,
                    disputes,
                    self._users,
                    owner,
                    self,
                )
            )

        self.ctx.runner.fetch(read, chosen, self._on_load_failed)

    @Slot()
    def _on_resolve_action_triggered(self) -> None:
        """Resolve one of the customer's open disputes."""
        row = self._row()
        if row is None:
            return
        uow_factory, customer_id = self.ctx.uow_factory, row.customer_id

        def read(_: TaskContext) -> list[DisputeView]:
            return list_open_disputes(uow_factory(), customer_id)

        def chosen(disputes: list[DisputeView]) -> None:
            if not disputes:
                ask.inform(self, "Resolve dispute", f"{row.customer_name} has no open dispute.")
                return
            self._open_form(
                ResolveDisputeDialog(self.ctx, row.customer_name, disputes, parent=self)
            )

        self.ctx.runner.fetch(read, chosen, self._on_load_failed)

    @Slot()
    def _on_open_action_triggered(self) -> None:
        row = self._row()
        if row is not None:
            self.customer_requested.emit(row.customer_id)


def _totals_text(rows: Sequence[WorklistRow], locale: str) -> str:
    """The overdue amounts of the rows shown, per currency, never added across currencies."""
    totals: dict[str, int] = {}
    for row in rows:
        for money in row.overdue:
            totals[money.currency] = totals.get(money.currency, 0) + money.minor
    amounts = " · ".join(money_text(Money(m, c), locale) for c, m in sorted(totals.items()) if m)
    return f"Overdue {amounts}" if amounts else ""
