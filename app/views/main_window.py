"""The main window: a sidebar of screens, each with its toolbar, a search field, a status bar.

The status bar shows the ledger file and, once :meth:`MainWindow.attach_jobs` is called, the
scheduler's next reminder pass and last results.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QObject, QSize, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from app.services.scheduler import BackgroundJobs, JobResult
from app.services.settings import get_setting
from app.services.tasks import TaskContext
from app.views.bank_view import BankView
from app.views.context import ViewContext
from app.views.customers_view import CustomersView
from app.views.invoices_view import InvoicesView
from app.views.outbox_view import OutboxView
from app.views.schedule_status import (
    MAX_WIDTH_BESIDE_MESSAGE,
    JobResultBridge,
    ScheduleStatusLabel,
)
from app.views.screen import Screen
from app.views.settings_view import SettingsView
from app.views.statement_drop import StatementDropFilter
from app.views.tasks_view import TasksView
from app.views.worklist_view import WorklistView

SEARCH_DELAY_MS = 200
STATUS_MESSAGE_MS = 10000
#: The status bar's own margins and spacing between a message and the permanent labels.
MESSAGE_MARGIN = 40


class MainWindow(QMainWindow):
    """The Duebook window.

    Screens are added in sidebar order by :meth:`add_screen`; later screens (Worklist, Bank,
    Disputes, Reports) plug in the same way. The background jobs are optional: the composition
    root makes them with :attr:`job_results` as their ``on_result`` and hands them to
    :meth:`attach_jobs`; tests make windows without them.
    """

    def __init__(self, ctx: ViewContext, *, demo: bool = False) -> None:
        super().__init__()
        self._ctx = ctx
        self.setWindowTitle("Duebook (demo)" if demo else "Duebook")
        self.setObjectName("MainWindow")
        self._screens: list[Screen] = []
        self._outbox_badge = (0, "")

        self._build_sidebar()

        self._toolbars = QStackedWidget()
        self._build_search()
        self._stack = QStackedWidget()

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 6, 0)
        top.addWidget(self._toolbars, 1)
        top.addWidget(self._search)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        right_layout.addLayout(top)
        right_layout.addWidget(self._stack, 1)

        self._splitter = QSplitter(Qt.Orientation.Horizontal)
        self._splitter.setObjectName("MainSplitter")
        self._splitter.addWidget(self._sidebar)
        self._splitter.addWidget(right)
        self._splitter.setStretchFactor(1, 1)
        self._splitter.setCollapsible(1, False)
        self._splitter.setSizes([170, 1100])
        self.setCentralWidget(self._splitter)

        self._build_status_bar()

        for screen in (
            WorklistView(ctx),
            TasksView(ctx),
            InvoicesView(ctx),
            CustomersView(ctx),
            BankView(ctx),
            OutboxView(ctx),
            SettingsView(ctx),
        ):
            self.add_screen(screen)
        self._build_shortcuts()
        self._statement_drop = StatementDropFilter(self)
        self._statement_drop.files_dropped.connect(self._on_statement_drop_files_dropped)
        self.bank_view().review_count_changed.connect(self._on_bank_review_count_changed)
        self.bank_view().load_badge()
        outbox = self.outbox_view()
        outbox.queued_count_changed.connect(self._on_outbox_queued_count_changed)
        outbox.sending_note_changed.connect(self._on_outbox_sending_note_changed)
        outbox.load_badge()
        self._connect_collections()

        self._sidebar.currentRowChanged.connect(self._on_sidebar_current_row_changed)
        self._search.textChanged.connect(self._on_search_text_changed)
        self._search_timer.timeout.connect(self._on_search_timer_timeout)
        self.resize(1280, 800)
        self._restore_state()
        if self._sidebar.currentRow() < 0:
            self._sidebar.setCurrentRow(0)

    # -- screens -----------------------------------------------------------------------------

    def _build_sidebar(self) -> None:
        self._sidebar = QListWidget()
        self._sidebar.setObjectName("Sidebar")
        self._sidebar.setIconSize(QSize(20, 20))
        self._sidebar.setSpacing(2)
        self._sidebar.setFrameShape(QListWidget.Shape.NoFrame)
        self._sidebar.setMinimumWidth(120)
        self._sidebar.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._sidebar.setAccessibleName("Screens")

    def _build_search(self) -> None:
        self._search = QLineEdit()
        self._search.setObjectName("Search")
        self._search.setClearButtonEnabled(True)
        self._search.setMinimumWidth(260)
        self._search.setAccessibleName("Search")
        self._search.setToolTip("Type to filter the list; Down or Enter moves into it")
        self._search.installEventFilter(self)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)

    def _build_status_bar(self) -> None:
        """The ledger file; the scheduler joins it in :meth:`attach_jobs`."""
        # The file's name only (its folder in the tooltip): messages need the status bar's room.
        self._ledger_label = QLabel(self._ctx.ledger_path.name)
        self._ledger_label.setObjectName("LedgerFile")
        self._ledger_label.setToolTip(f"The ledger file: {self._ctx.ledger_path}")
        self.statusBar().addPermanentWidget(self._ledger_label)
        # A message too long for the room left is shortened; its tooltip says the whole of it.
        self.statusBar().messageChanged.connect(self._on_status_bar_message_changed)
        self._jobs: BackgroundJobs | None = None
        self.schedule_label: ScheduleStatusLabel | None = None
        self._last_failure = ""
        self._mail_minutes = ""
        #: Where the background jobs report; safe to call from their thread.
        self.job_results = JobResultBridge(self)
        self.job_results.result_arrived.connect(self._on_job_results_result_arrived)

    def add_screen(self, screen: Screen) -> None:
        """Add a screen to the sidebar (Ctrl+<its position> switches to it)."""
        self._screens.append(screen)
        self._stack.addWidget(screen)
        self._toolbars.addWidget(screen.toolbar)
        item = QListWidgetItem(screen.icon(), screen.title)
        item.setSizeHint(QSize(0, 34))
        self._sidebar.addItem(item)
        screen.status_reported.connect(self._on_screen_status_reported)
        screen.ledger_changed.connect(self._on_screen_ledger_changed)
        screen.screen_requested.connect(self._on_screen_screen_requested)

    def screens(self) -> list[Screen]:
        """The screens in sidebar order."""
        return list(self._screens)

    def current_screen(self) -> Screen:
        """The screen shown now."""
        return self._screens[max(self._stack.currentIndex(), 0)]

    def show_screen(self, position: int) -> None:
        """Switch to the screen at ``position`` (0-based) in the sidebar."""
        if 0 <= position < len(self._screens):
            self._sidebar.setCurrentRow(position)

    def search_field(self) -> QLineEdit:
        """The search field (Ctrl+F)."""
        return self._search

    def invoices_view(self) -> InvoicesView:
        """The Invoices screen."""
        return next(s for s in self._screens if isinstance(s, InvoicesView))

    def bank_view(self) -> BankView:
        """The Bank screen."""
        return next(s for s in self._screens if isinstance(s, BankView))

    def outbox_view(self) -> OutboxView:
        """The Outbox screen."""
        return next(s for s in self._screens if isinstance(s, OutboxView))

    def settings_view(self) -> SettingsView:
        """The Settings screen."""
        return next(s for s in self._screens if isinstance(s, SettingsView))

    # -- the background jobs -----------------------------------------------------------------

    def attach_jobs(self, jobs: BackgroundJobs) -> None:
        """Show the scheduler in the status bar and follow its results.

        ``jobs`` must report to :attr:`job_results`; the caller starts and stops them.
        """
        self._jobs = jobs
        self.schedule_label = ScheduleStatusLabel(self._ctx, jobs.status)
        self.statusBar().insertPermanentWidget(0, self.schedule_label)
        self.statusBar().messageChanged.connect(self.schedule_label.make_room)
        self.schedule_label.refresh()
        self._read_mail_minutes()

    @Slot(object)
    def _on_job_results_result_arrived(self, result: JobResult) -> None:
        """A background job finished: say so, read again what it changed, update the badge.

        The same failure again (the outbox tried every few minutes while email is not set up)
        is not repeated: the status label and the Outbox banner keep saying it.
        """
        repeated = not result.ok and result.message == self._last_failure
        self._last_failure = "" if result.ok else result.message
        if not repeated:
            self.show_message(result.message)
            for screen in self._screens:
                screen.mark_stale()
            self.outbox_view().load_badge()
        if self.schedule_label is not None:
            self.schedule_label.refresh()

    def _read_mail_minutes(self) -> None:
        """Send the outbox as often as the settings say (they may have changed)."""
        uow_factory = self._ctx.uow_factory

        def read(_: TaskContext) -> str:
            return get_setting(uow_factory(), "mail.check_minutes")

        self._ctx.runner.fetch(read, self._on_mail_minutes_read, lambda _exc: None)

    def _on_mail_minutes_read(self, minutes: str) -> None:
        if self._jobs is not None and self._mail_minutes and minutes != self._mail_minutes:
            self._jobs.set_mail_interval(int(minutes))
        self._mail_minutes = minutes

    # -- shortcuts ---------------------------------------------------------------------------

    def _build_shortcuts(self) -> None:
        for position in range(9):
            action = QAction(self)
            action.setShortcut(QKeySequence(f"Ctrl+{position + 1}"))
            action.triggered.connect(lambda _=False, p=position: self.show_screen(p))
            self.addAction(action)
        self._add_action("Ctrl+F", self._on_find_triggered)
        self._add_action("Ctrl+N", self._on_new_invoice_triggered)
        self._add_action("F5", self._on_refresh_triggered)
        self._add_action("Ctrl+I", self._on_import_triggered)
        self._add_action("Ctrl+O", self._on_open_statement_triggered)
        quit_action = self._add_action("Ctrl+Q", self.close)
        quit_action.setText("Quit")

    def _add_action(self, keys: str, slot: object) -> QAction:
        action = QAction(self)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    @override
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._search and event.type() == QEvent.Type.KeyPress:
            key = event.key() if isinstance(event, QKeyEvent) else None
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self._search_timer.isActive():  # filter now, not after the pause
                    self._search_timer.stop()
                    self._on_search_timer_timeout()
                return self.current_screen().focus_list()
        return super().eventFilter(watched, event)

    @Slot()
    def _on_find_triggered(self) -> None:
        self._search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self._search.selectAll()

    @Slot()
    def _on_new_invoice_triggered(self) -> None:
        view = self.invoices_view()
        self.show_screen(self._screens.index(view))
        view.new_invoice()

    @Slot()
    def _on_refresh_triggered(self) -> None:
        self.current_screen().refresh()
        self.show_message("Refreshed", 3000)

    @Slot()
    def _on_import_triggered(self) -> None:
        screen = self.current_screen()
        if not screen.can_import:
            screen = self.invoices_view()
            self.show_screen(self._screens.index(screen))
        screen.start_import()

    @Slot()
    def _on_open_statement_triggered(self) -> None:
        view = self.bank_view()
        self.show_screen(self._screens.index(view))
        view.open_statement()

    @Slot(list)
    def _on_statement_drop_files_dropped(self, paths: list[Path]) -> None:
        view = self.bank_view()
        self.show_screen(self._screens.index(view))
        view.import_files(paths)

    @Slot(int)
    def _on_outbox_queued_count_changed(self, count: int) -> None:
        self._outbox_badge = (count, self._outbox_badge[1])
        self._show_outbox_badge()

    @Slot(str)
    def _on_outbox_sending_note_changed(self, note: str) -> None:
        self._outbox_badge = (self._outbox_badge[0], note)
        self._show_outbox_badge()

    def _show_outbox_badge(self) -> None:
        """``Outbox  (3)``; when the emails do not go out, an icon that says why and a tooltip."""
        count, note = self._outbox_badge
        view = self.outbox_view()
        item = self._sidebar.item(self._screens.index(view))
        item.setText(f"{view.title}  ({count:,})" if count else view.title)
        sp = QStyle.StandardPixmap
        icon = {
            "paused": sp.SP_MediaPause,
            "not set up": sp.SP_MessageBoxInformation,
        }.get(note, sp.SP_MessageBoxWarning)
        item.setIcon(self.style().standardIcon(icon) if note else view.icon())
        waiting = f"{count:,} emails waiting to be sent" if count else ""
        why = f"sending: {note}" if note else ""
        words = "; ".join(part for part in (waiting, why) if part)
        item.setToolTip(words)
        item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{view.title}: {words or 'all sent'}")

    def _connect_collections(self) -> None:
        """The Worklist's badge, and the customer the Worklist and Tasks ask to open."""
        worklist = next(s for s in self._screens if isinstance(s, WorklistView))
        worklist.due_today_count_changed.connect(self._on_worklist_due_today_count_changed)
        worklist.customer_requested.connect(self.open_customer)
        tasks = next(s for s in self._screens if isinstance(s, TasksView))
        tasks.customer_requested.connect(self.open_customer)
        worklist.load_badge()

    @Slot(int)
    def _on_worklist_due_today_count_changed(self, count: int) -> None:
        position = next(i for i, s in enumerate(self._screens) if isinstance(s, WorklistView))
        item = self._sidebar.item(position)
        item.setText(f"Worklist  ({count:,})" if count else "Worklist")
        item.setToolTip(f"{count:,} customers to act on today" if count else "")

    @Slot(int)
    def open_customer(self, customer_id: int) -> None:
        """Show a customer's account on the Customers screen."""
        view = next(s for s in self._screens if isinstance(s, CustomersView))
        self.show_screen(self._screens.index(view))
        view.select_customer(customer_id)

    @Slot(int)
    def _on_bank_review_count_changed(self, count: int) -> None:
        view = self.bank_view()
        item = self._sidebar.item(self._screens.index(view))
        item.setText(f"{view.title}  ({count:,})" if count else view.title)
        item.setToolTip(f"{count:,} bank lines to review" if count else "")

    # -- slots -------------------------------------------------------------------------------

    @Slot(int)
    def _on_sidebar_current_row_changed(self, row: int) -> None:
        if not 0 <= row < len(self._screens):
            return
        screen = self._screens[row]
        self._search_timer.stop()
        self._stack.setCurrentIndex(row)
        self._toolbars.setCurrentIndex(row)
        self._search.blockSignals(True)
        self._search.setText(screen.search_text)
        self._search.blockSignals(False)
        self._search.setPlaceholderText(f"{screen.search_placeholder}  (Ctrl+F)")
        self._search.setVisible(screen.search_placeholder != "")
        screen.activate()

    @Slot(str)
    def _on_search_text_changed(self, _text: str) -> None:
        self._search_timer.start()

    @Slot()
    def _on_search_timer_timeout(self) -> None:
        self.current_screen().set_search(self._search.text())

    def show_message(self, message: str, timeout: int = STATUS_MESSAGE_MS) -> None:
        """Say ``message`` in the status bar for a while.

        The status bar cuts a message off where its permanent labels begin; a long one is
        shortened to the room there is, ending in "…", and said whole in the tooltip.
        """
        bar = self.statusBar()
        room = bar.width() - self._ledger_label.sizeHint().width() - MESSAGE_MARGIN
        if self.schedule_label is not None:
            room -= min(self.schedule_label.sizeHint().width(), MAX_WIDTH_BESIDE_MESSAGE)
        shown = bar.fontMetrics().elidedText(message, Qt.TextElideMode.ElideRight, max(room, 80))
        bar.showMessage(shown, timeout)
        bar.setToolTip(message)

    @Slot(str)
    def _on_status_bar_message_changed(self, message: str) -> None:
        if not message:
            self.statusBar().setToolTip("")

    @Slot(str)
    def _on_screen_status_reported(self, message: str) -> None:
        self.show_message(message)

    @Slot(str)
    def _on_screen_screen_requested(self, title: str) -> None:
        for position, screen in enumerate(self._screens):
            if screen.title == title:
                self.show_screen(position)
                return

    @Slot()
    def _on_screen_ledger_changed(self) -> None:
        sender = self.sender()
        for screen in self._screens:
            if screen is not sender:
                screen.mark_stale()
        self.outbox_view().load_badge()
        if self.schedule_label is not None:
            self.schedule_label.refresh()
        if isinstance(sender, SettingsView):
            self._read_mail_minutes()

    # -- state -------------------------------------------------------------------------------

    def _restore_state(self) -> None:
        settings = self._ctx.settings
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = settings.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        splitter = settings.value("window/splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self._splitter.restoreState(splitter)
        for screen in self._screens:
            screen.restore_state(settings)
        row = settings.value("window/screen", 0)
        try:
            self._sidebar.setCurrentRow(int(str(row)))
        except ValueError:
            self._sidebar.setCurrentRow(0)

    def save_state(self) -> None:
        """Remember size, position, splitters, column widths, sort orders and the screen."""
        settings = self._ctx.settings
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        settings.setValue("window/splitter", self._splitter.saveState())
        settings.setValue("window/screen", self._stack.currentIndex())
        for screen in self._screens:
            screen.save_state(settings)
        settings.sync()

    @override
    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        super().closeEvent(event)
