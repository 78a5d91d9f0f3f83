"""The Outbox screen: emails waiting, sent, failed or perhaps sent, and what goes out tomorrow.

Each email's state is said in words with its attempts, the server's last answer and when a put-off
email is tried again. A failed email can be retried; one that may have been sent (``unknown``)
waits for a person to send it again or mark it as sent. "Send now" sends what is due, "Pause all
sending" holds everything back, and a banner says why emails do not go out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, Signal, Slot
from PySide6.QtGui import QAction, QFontDatabase, QIcon, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTabWidget,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from app.services.daily_pass import PassResult
from app.services.invoice_preview import format_timestamp
from app.services.mail.outbox_sender import INTERRUPTED, SendReport
from app.services.money_format import format_date
from app.services.reminders.outbox import (
    OutboxEmail,
    OutboxRow,
    cancel_outbox_item,
    get_outbox_email,
    list_outbox,
    record_sent,
    retry_outbox_item,
)
from app.services.reminders.run import DecisionView, ReminderRunResult, SkipView, run_reminders
from app.services.scheduler import run_daily_pass_now, send_and_record
from app.services.settings import save_settings
from app.services.tasks import TaskContext
from app.services.wording import plural
from app.views import ask
from app.views.context import ViewContext
from app.views.list_screen import StateFilterListScreen
from app.views.models.outbox_model import (
    CANCELLABLE_STATES,
    OUTBOX_STATE_TEXT,
    OutboxColumn,
    OutboxTableModel,
    clock_text,
)
from app.views.outbox_sending import (
    SendingBanner,
    SendingState,
    outcome_words,
    read_sending_state,
)
from app.views.style import (
    WrappingDelegate,
    envelope_icon,
    heading,
    muted,
    plain_label,
    warm_colour,
)
from app.views.workers import describe_error

#: The state filter: (label, states listed; empty for all).
STATE_FILTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Not sent yet", ("queued", "sending", "failed", "unknown")),
    ("Waiting to send", ("queued", "sending")),
    ("Failed or may have been sent", ("failed", "unknown")),
    ("Sent", ("sent",)),
    ("Cancelled", ("cancelled",)),
    ("All emails", ()),
)
#: Why a due reminder is held back, in words (engine's ``SkipReason`` values).
SKIP_REASON_TEXT: dict[str, str] = {
    "disputed": "Disputed",
    "paused": "Reminders paused",
    "promise": "Promise to pay",
    "min-interval": "Reminded recently",
    "stale-bank-data": "Bank data too old",
    "excluded": "Excluded from reminders",
    "no-contact": "No email address",
}
#: The states that are not sent and not given up: the footer counts them.
_UNSENT = ("queued", "sending", "failed", "unknown")
_WIDEST = (
    "Dec 31, 2026",
    "Schäfer Sportartikel GmbH",
    "2nd reminder",
    "INV-2026-00042",
    "",
    "May have been sent",
)
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_DELETE = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)


def skip_reason_text(skip: SkipView, locale: str = "en") -> str:
    """Why a reminder is held back, in words, with the engine's detail (dates as the locale's)."""
    words = SKIP_REASON_TEXT.get(skip.reason, skip.reason.replace("-", " ").capitalize())
    if not skip.detail:
        return words

    def local(match: re.Match[str]) -> str:
        try:
            return format_date(date.fromisoformat(match.group(0)), locale)
        except ValueError:
            return match.group(0)

    return f"{words}: {_ISO_DATE.sub(local, skip.detail)}"


class EmailPreviewPane(QWidget):
    """An email as it would go out: To, subject, attachments, and its body as HTML or text."""

    #: The Text/HTML switch changed (``True`` for HTML), to remember it.
    format_changed = Signal(bool)

    def __init__(self, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.subject = heading("", size_delta=2)
        self.subject.setWordWrap(True)
        self.to = plain_label(selectable=True)
        self.attachments = muted(plain_label(selectable=True))
        self.note = plain_label(selectable=True)
        self.note.setObjectName("EmailNote")
        palette = self.note.palette()
        palette.setColor(QPalette.ColorRole.WindowText, warm_colour(palette))
        self.note.setPalette(palette)
        self.hint = muted(QLabel(hint))
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.html_button = QPushButton("HTML")
        self.text_button = QPushButton("Text")
        self.switch = QButtonGroup(self)
        for button in (self.html_button, self.text_button):
            button.setCheckable(True)
            button.setAutoDefault(False)
            self.switch.addButton(button)
        self.html_button.setChecked(True)
        self.html_button.setToolTip("The email as most mail programs show it")
        self.text_button.setToolTip("The plain-text part, for mail programs that show no HTML")
        self.body = QTextBrowser()
        self.body.setObjectName("EmailBody")
        self.body.setOpenLinks(False)
        self.body.setAccessibleName("Email body")
        self._text = ""
        self._html = ""

        switch_row = QHBoxLayout()
        switch_row.setSpacing(0)
        switch_row.addWidget(self.attachments, 1)
        switch_row.addSpacing(8)
        switch_row.addWidget(self.html_button)
        switch_row.addWidget(self.text_button)
        self._details = QWidget()
        details = QVBoxLayout(self._details)
        details.setContentsMargins(0, 0, 0, 0)
        details.addWidget(self.subject)
        details.addWidget(self.to)
        details.addWidget(self.note)
        details.addLayout(switch_row)
        details.addWidget(self.body, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self._details, 1)
        layout.addWidget(self.hint, 1)
        self.html_button.toggled.connect(self._on_html_button_toggled)
        self.show_email(None)

    def show_email(
        self,
        subject: str | None,
        *,
        to: str = "",
        attachments: Sequence[str] | None = None,
        body_text: str = "",
        body_html: str = "",
        note: str = "",
    ) -> None:
        """Show an email (``subject`` ``None``: the hint instead).

        ``attachments`` are the files' names; ``None`` when not known (nothing is said).
        """
        self._details.setVisible(subject is not None)
        self.hint.setVisible(subject is None)
        self.subject.setText(subject or "")
        self.to.setText(f"To: {to}" if to else "To: nobody (no email address)")
        if attachments is None:
            self.attachments.setText("")
        else:
            self.attachments.setText(
                "Attached: " + ", ".join(attachments) if attachments else "No attachments"
            )
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self._text, self._html = body_text, body_html
        has_html = bool(body_html.strip())
        self.html_button.setEnabled(has_html)
        self.html_button.setToolTip(
            "The email as most mail programs show it" if has_html else "This email has no HTML part"
        )
        self._show_body()

    def set_note(self, note: str) -> None:
        """Say the shown email's state again (it changed while the email stayed shown)."""
        self.note.setText(note)
        self.note.setVisible(bool(note) and self._details.isVisibleTo(self))

    def set_html(self, html: bool) -> None:
        """Choose the HTML (or the plain-text) view."""
        (self.html_button if html else self.text_button).setChecked(True)

    def showing_html(self) -> bool:
        """Whether the HTML part is shown (it is chosen and the email has one)."""
        return self.html_button.isChecked() and bool(self._html.strip())

    def _show_body(self) -> None:
        if self.showing_html():
            self.body.document().setDefaultFont(self.font())
            self.body.setHtml(self._html)
        else:  # the text body's invoice table lines up in a fixed-width font, as mail shows it
            self.body.document().setDefaultFont(
                QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
            )
            self.body.setPlainText(self._text)

    @Slot(bool)
    def _on_html_button_toggled(self, on: bool) -> None:
        self._show_body()
        self.format_changed.emit(on)


def _attachments(
    attach_invoices: bool, attach_statement: bool, invoices: Sequence[str]
) -> list[str]:
    names: list[str] = []
    if attach_invoices:
        names.extend(f"{number}.pdf" for number in invoices)
    if attach_statement:
        names.append("the statement of account as on the day it is sent (PDF)")
    return names


def _tree(headers: list[str], name: str, stretch: int) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setObjectName(name)
    tree.setHeaderLabels(headers)
    tree.setRootIsDecorated(False)
    tree.setUniformRowHeights(True)
    tree.setAlternatingRowColors(True)
    tree.setAllColumnsShowFocus(True)
    header = tree.header()
    header.setStretchLastSection(False)
    for column in range(len(headers)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return tree


class TomorrowPane(QWidget):
    """What the reminder engine would do tomorrow: the letters, the tasks, what it holds back."""

    def __init__(self, locale: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._locale = locale
        self.result: ReminderRunResult | None = None
        self.title = heading("Tomorrow's reminders")
        self.summary = muted(plain_label())
        self._build_warnings()
        self.going = _tree(["Customer", "Step", "Invoices", "Subject"], "TomorrowGoing", 3)
        self.held = _tree(["Customer", "Invoices", "Why not"], "TomorrowHeld", 2)
        for tree, widths in ((self.going, (180, 100, 130)), (self.held, (170, 110))):
            for column, width in enumerate(widths):
                tree.header().resizeSection(column, width)
        self.preview = EmailPreviewPane("Select a reminder to see its email.")
        self.held.setItemDelegate(WrappingDelegate(self.held))  # the reasons wrap, never cut

        warning_row = QHBoxLayout()
        warning_row.addWidget(self.warning_icon, 0, Qt.AlignmentFlag.AlignTop)
        warning_row.addWidget(self.warnings, 1)
        self._warning_box = QWidget()
        self._warning_box.setLayout(warning_row)
        self.going_title = heading("Going out", size_delta=1)
        self.held_title = heading("Held back", size_delta=1)
        lists = QSplitter(Qt.Orientation.Horizontal)
        lists.setObjectName("TomorrowLists")
        for title, tree in ((self.going_title, self.going), (self.held_title, self.held)):
            box = QWidget()
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(0, 0, 0, 0)
            box_layout.addWidget(title)
            box_layout.addWidget(tree, 1)
            lists.addWidget(box)
        lists.setSizes([640, 460])
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("TomorrowSplitter")
        self.splitter.addWidget(lists)
        self.splitter.addWidget(self.preview)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([280, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self._warning_box)
        layout.addWidget(self.splitter, 1)
        self.going.currentItemChanged.connect(self._on_going_current_item_changed)
        self.show_result(None)

    def _build_warnings(self) -> None:
        self.warnings = plain_label(selectable=True)
        self.warnings.setObjectName("ReminderWarnings")
        font = self.warnings.font()
        font.setBold(True)
        self.warnings.setFont(font)
        palette = self.warnings.palette()
        palette.setColor(QPalette.ColorRole.WindowText, warm_colour(palette))
        self.warnings.setPalette(palette)
        self.warning_icon = QLabel()
        self.warning_icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(24, 24)
        )

    def show_loading(self) -> None:
        """Say that the engine is deciding."""
        self.summary.setText("Working out what would go out…")

    def show_result(self, result: ReminderRunResult | None) -> None:
        """Show a dry run's decisions (``None``: nothing read yet)."""
        self.result = result
        self.going.clear()
        self.held.clear()
        self.preview.show_email(None)
        if result is None:
            self.summary.setText("")
            self._warning_box.hide()
            return
        loc = self._locale
        self.title.setText(f"Tomorrow's reminders, {format_date(result.today, loc)}")
        emails = sum(1 for d in result.decisions if d.email is not None)
        tasks = sum(1 for d in result.decisions if d.task)
        self.summary.setText(
            f"{plural(emails, 'email')} and {plural(tasks, 'task')} would go out; "
            f"{plural(len(result.skipped), 'customer')} held back. "
            "Nothing is queued by looking: the reminder run does that on the day."
        )
        self.warnings.setText("\n".join(result.warnings))
        self._warning_box.setVisible(bool(result.warnings))
        for decision in result.decisions:
            self.going.addTopLevelItem(self._decision_item(decision))
        if not result.decisions:
            self.going.addTopLevelItem(QTreeWidgetItem(["Nothing goes out tomorrow", "", "", ""]))
        for skip in result.skipped:
            why = skip_reason_text(skip, loc)
            item = QTreeWidgetItem([skip.customer_name, ", ".join(skip.invoices), why])
            item.setToolTip(2, why)
            item.setToolTip(1, ", ".join(skip.invoices))
            self.held.addTopLevelItem(item)
        if not result.skipped:
            self.held.addTopLevelItem(QTreeWidgetItem(["Nothing is held back", "", ""]))
        self.going_title.setText(f"Going out ({len(result.decisions):,})")
        self.held_title.setText(f"Held back ({len(result.skipped):,})")
        first = self.going.topLevelItem(0)
        if result.decisions and first is not None:
            self.going.setCurrentItem(first)

    def _decision_item(self, decision: DecisionView) -> QTreeWidgetItem:
        subject = (
            decision.email.subject
            if decision.email is not None
            else "Task for the customer's owner (no email)"
        )
        item = QTreeWidgetItem(
            [decision.customer_name, decision.step, ", ".join(decision.invoices), subject]
        )
        item.setData(0, Qt.ItemDataRole.UserRole, decision)
        item.setToolTip(3, subject)
        item.setToolTip(2, ", ".join(decision.invoices))
        return item

    def texts(self, tree: QTreeWidget) -> list[list[str]]:
        """A list's rows as shown, for tests and screenshots."""
        return [
            [item.text(c) for c in range(tree.columnCount())]
            for item in (tree.topLevelItem(i) for i in range(tree.topLevelItemCount()))
            if item is not None
        ]

    @Slot(QTreeWidgetItem, QTreeWidgetItem)
    def _on_going_current_item_changed(
        self, current: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None
    ) -> None:
        decision = current.data(0, Qt.ItemDataRole.UserRole) if current is not None else None
        if not isinstance(decision, DecisionView):
            self.preview.show_email(None)
            return
        note = "The customer's owner also gets a task to follow this up." if decision.task else ""
        if decision.email is None:
            self.preview.show_email(
                decision.step,
                to=", ".join(decision.to),
                note="No email for this step: it makes a task for the customer's owner.",
            )
            return
        self.preview.show_email(
            decision.email.subject,
            to=", ".join(decision.to),
            body_text=decision.email.body_text,
            body_html=decision.email.body_html,
            note=note,
        )


@dataclass(frozen=True)
class OutboxListing:
    """One read of the list: the items shown and the ones not sent yet (for counts)."""

    rows: list[OutboxRow]
    unsent: list[OutboxRow]
    sending: SendingState


class OutboxView(StateFilterListScreen):
    """The outbox list beside the selected email, and tomorrow's reminders."""

    title = "Outbox"
    search_placeholder = "Search customer, subject, invoice, address"
    noun = "outbox item"
    stretch_column = OutboxColumn.SUBJECT
    settings_key = "outbox"
    default_sort = "0,1"

    #: The number of emails waiting to be sent changed (the sidebar badge).
    queued_count_changed = Signal(int)
    #: Whether emails go out changed: a word for the badge ("paused"), "" when they go out.
    sending_note_changed = Signal(str)

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("OutboxView")
        self.model = OutboxTableModel(ctx.locale, self)
        self._email: OutboxEmail | None = None
        self._tomorrow_stale = True
        self.sending = SendingState(0)
        self._build_actions()
        self._build_state_filter([label for label, _ in STATE_FILTERS])
        self._build_table()
        self.preview = EmailPreviewPane("Select an email to see it as the customer will.")
        self.preview.format_changed.connect(self._on_preview_format_changed)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.preview, 1)
        right_layout.addLayout(self._build_item_buttons())
        self._count = muted(QLabel())
        self._totals = muted(QLabel())
        self._totals.setObjectName("OutboxTotals")
        self.list_pages = QStackedWidget()
        self.list_pages.addWidget(self._list_with_footer(self._count, self._totals))
        self.list_pages.addWidget(self._build_empty_list())
        self.splitter = self._new_splitter(
            "OutboxSplitter", (self.list_pages, right), (2, 3), [280, 420]
        )
        # list above, the email below: a letter's invoice table needs the window's width
        self.splitter.setOrientation(Qt.Orientation.Vertical)
        self.tomorrow = TomorrowPane(ctx.locale)
        self.tomorrow.preview.format_changed.connect(self._on_preview_format_changed)
        self.banner = SendingBanner(ctx.locale)
        self.banner.resume_requested.connect(self.pause_action.trigger)
        self.banner.settings_requested.connect(self._on_banner_settings_requested)
        self.banner.send_requested.connect(self.send_action.trigger)
        self._place_tabs()
        self._update_actions()

    # -- building ----------------------------------------------------------------------------

    def icon(self) -> QIcon:
        return envelope_icon(palette=self.palette())

    def _build_actions(self) -> None:
        sp = QStyle.StandardPixmap
        self.run_action = self._action(
            "Run reminders now", self._on_run_action_triggered, sp.SP_MediaPlay
        )
        self.run_action.setToolTip(
            "Today's daily pass now, as at the reminder time: issue the recurring invoices due, "
            "decide today's reminders and send the outbox"
        )
        self.send_action = self._action("Send now", self._on_send_action_triggered)
        self.send_action.setIcon(envelope_icon(sending=True, palette=self.palette()))
        self.send_action.setToolTip("Send the emails that are due now, without waiting")
        self.tomorrow_action = self._action(
            "Tomorrow's reminders", self._on_tomorrow_action_triggered, sp.SP_MediaSeekForward
        )
        self.tomorrow_action.setToolTip("What would go out tomorrow, and what is held back and why")
        self.pause_action = QAction("Pause all sending", self)
        self.pause_action.setIcon(self.style().standardIcon(sp.SP_MediaPause))
        self.pause_action.triggered.connect(self._on_pause_action_triggered)
        self.pause_action.setCheckable(True)
        self.pause_action.setToolTip(
            "Hold every email back (they wait in the outbox) until you turn this off"
        )
        self.cancel_action = self._action(
            "Cancel email", self._on_cancel_action_triggered, sp.SP_DialogCancelButton
        )
        self.cancel_action.setToolTip("Do not send the selected email (Delete)")
        self.retry_action = self._action(
            "Retry", self._on_retry_action_triggered, sp.SP_BrowserReload
        )
        self.retry_action.setToolTip("Send the failed email again")
        self.send_again_action = self._action(
            "Send again…", self._on_send_again_action_triggered, sp.SP_BrowserReload
        )
        self.send_again_action.setToolTip(
            "It did not arrive: send it again (if it did go out, it arrives twice)"
        )
        self.mark_sent_action = self._action(
            "Mark as sent", self._on_mark_sent_action_triggered, sp.SP_DialogYesButton
        )
        self.mark_sent_action.setToolTip("It did go out (you found it in your sent mail)")
        for action in (self.run_action, self.send_action, self.tomorrow_action):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.pause_action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.cancel_action)

    def _build_item_buttons(self) -> QHBoxLayout:
        """The decisions on the selected email, under its preview."""
        self.send_again_button = QPushButton("Send again…")
        self.mark_sent_button = QPushButton("Mark as sent")
        self.retry_button = QPushButton("Retry")
        self.cancel_button = QPushButton("Cancel this email")
        self.cancel_button.setToolTip("Do not send it; the reminder step stays taken")
        self._item_buttons = (
            (self.send_again_button, self.send_again_action, frozenset({"unknown"})),
            (self.mark_sent_button, self.mark_sent_action, frozenset({"unknown"})),
            (self.retry_button, self.retry_action, frozenset({"failed"})),
            (self.cancel_button, self.cancel_action, CANCELLABLE_STATES),
        )
        row = QHBoxLayout()
        row.setContentsMargins(8, 0, 4, 4)
        row.addStretch(1)
        for button, action, _ in self._item_buttons:
            if button is not self.cancel_button:
                button.setToolTip(action.toolTip())
            button.setAutoDefault(False)
            button.clicked.connect(action.trigger)
            row.addWidget(button)
        return row

    def _build_table(self) -> None:
        self.table = self._new_table(
            "OutboxTable", self.model, QAbstractItemView.SelectionMode.SingleSelection
        )
        self.table.installEventFilter(self)
        self._size_columns(_WIDEST, icon_column=OutboxColumn.STATE)
        self._fit_columns()
        self.table.horizontalHeader().setSortIndicator(
            OutboxColumn.SEND_AFTER, Qt.SortOrder.DescendingOrder
        )
        self.table.setSortingEnabled(True)

    def _build_empty_list(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(2)
        self.empty_title = heading("", size_delta=4)
        self.empty_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_text = muted(
            QLabel(
                "Reminders wait here until they are sent. Run today's reminders now, or look "
                "at what would go out tomorrow and why some customers are held back."
            )
        )
        self.empty_text.setWordWrap(True)
        self.empty_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_run_button = QPushButton("Run reminders now")
        self.empty_tomorrow_button = QPushButton("Tomorrow's reminders")
        self.empty_run_button.clicked.connect(self._on_run_action_triggered)
        self.empty_tomorrow_button.clicked.connect(self._on_tomorrow_action_triggered)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.empty_run_button)
        row.addWidget(self.empty_tomorrow_button)
        row.addStretch(1)
        layout.addWidget(self.empty_title)
        layout.addWidget(self.empty_text)
        layout.addSpacing(12)
        layout.addLayout(row)
        layout.addStretch(3)
        return page

    def _place_tabs(self) -> None:
        outbox = QWidget()
        outbox_layout = QVBoxLayout(outbox)
        outbox_layout.setContentsMargins(8, 4, 8, 4)
        outbox_layout.addLayout(self._filters)
        outbox_layout.addWidget(self.splitter, 1)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("OutboxTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(outbox, "Outbox")
        self.tabs.addTab(self.tomorrow, "Tomorrow's reminders")
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        # ListScreen's empty-state page is not used: the empty list teaches inside the tab.
        self.pages = QStackedWidget()
        self.pages.addWidget(self.tabs)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        banner_row = QHBoxLayout()
        banner_row.setContentsMargins(8, 6, 8, 0)
        banner_row.addWidget(self.banner)
        layout.addLayout(banner_row)
        layout.addWidget(self.pages, 1)

    # -- Screen hooks ------------------------------------------------------------------------

    def set_search(self, text: str) -> None:
        super().set_search(text)
        self._reload_list()

    def refresh(self) -> None:
        self.stale = False
        self._tomorrow_stale = True
        self._reload_list()
        if self.tabs.currentIndex() == 1:
            self.load_tomorrow()

    def focus_list(self) -> bool:
        if self.tabs.currentIndex() != 0 or self.list_pages.currentIndex() != 0:
            return False
        return super().focus_list()

    def _sort_order(self) -> tuple[int, bool]:
        return self.model.sort_order()

    def save_state(self, settings: QSettings) -> None:
        super().save_state(settings)
        settings.setValue("outbox/html", "1" if self.preview.html_button.isChecked() else "0")
        settings.setValue("outbox/tomorrow_splitter", self.tomorrow.splitter.saveState())

    def restore_state(self, settings: QSettings) -> None:
        super().restore_state(settings)
        html = str(settings.value("outbox/html", "1")) == "1"
        self.preview.set_html(html)
        self.tomorrow.preview.set_html(html)
        splitter = settings.value("outbox/tomorrow_splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.tomorrow.splitter.restoreState(splitter)

    # -- the list ----------------------------------------------------------------------------

    def _states(self) -> tuple[str, ...]:
        return STATE_FILTERS[max(self.state_filter.currentIndex(), 0)][1]

    def _reload_list(self) -> None:
        uow_factory, states = self.ctx.uow_factory, self._states()
        password_check = self.ctx.password_check

        def read(_: TaskContext) -> OutboxListing:
            unsent = list_outbox(uow_factory(), _UNSENT)
            rows = (
                [r for r in unsent if r.state in states]
                if set(states) <= set(_UNSENT) and states
                else list_outbox(uow_factory(), states)
            )
            waiting = sum(1 for r in unsent if r.state == "queued")
            sending = read_sending_state(uow_factory(), waiting, password_check)
            return OutboxListing(rows, unsent, sending)

        self.ctx.runner.fetch(read, self._on_listing_loaded, self._on_read_failed, group="outbox")

    def load_badge(self) -> None:
        """Read how many emails wait to be sent and whether they go out, for the sidebar badge."""
        uow_factory, password_check = self.ctx.uow_factory, self.ctx.password_check

        def read(_: TaskContext) -> SendingState:
            uow = uow_factory()
            return read_sending_state(uow, len(list_outbox(uow, ("queued",))), password_check)

        self.ctx.runner.fetch(read, self._show_sending, self._on_read_failed)

    def _show_sending(self, state: SendingState) -> None:
        """The badge, the banner and the pause switch say whether emails go out."""
        self.sending = state
        self.queued_count_changed.emit(state.waiting)
        self.sending_note_changed.emit(state.badge_note())
        self.banner.show_state(state)
        self.pause_action.setChecked(state.paused)
        if self._email is not None and self._email.row.id == self._detail_for:
            self.preview.set_note(self._state_note(self._email.row))

    def _matches(self, row: OutboxRow) -> bool:
        words = self.search_text.casefold().split()
        if not words:
            return True
        text = " ".join((row.customer_name, row.subject, row.to, row.step, *row.invoices))
        return all(word in text.casefold() for word in words)

    def _on_listing_loaded(self, listing: OutboxListing) -> None:
        keep = self._detail_for
        rows = [r for r in listing.rows if self._matches(r)]
        self.model.set_rows(rows)
        self._show_sending(listing.sending)
        self._count.setText(plural(len(rows), "email"))
        counts = [
            plural(sum(1 for r in listing.unsent if r.state in states), words, words)
            for words, states in (
                ("waiting", ("queued", "sending")),
                ("failed", ("failed",)),
                ("may have been sent", ("unknown",)),
            )
            if any(r.state in states for r in listing.unsent)
        ]
        self._totals.setText(" · ".join(counts) if counts else "Nothing waiting to be sent")
        self._show_empty(not rows)
        found = self.model.row_of(keep) if keep is not None else None
        if found is None and rows:
            found = 0
        if found is None:
            self.table.clearSelection()
            self._load_detail(None)
        else:
            self.table.selectRow(found)
            self._load_detail(self.model.rows()[found].id)
        self._update_actions()

    def _show_empty(self, empty: bool) -> None:
        self.list_pages.setCurrentIndex(1 if empty else 0)
        if not empty:
            return
        label = STATE_FILTERS[max(self.state_filter.currentIndex(), 0)][0]
        if self.search_text.strip():
            self.empty_title.setText(f"No email matches “{self.search_text.strip()}”")
        elif self._states() and "queued" in self._states():
            self.empty_title.setText("Nothing waiting to be sent")
        else:
            self.empty_title.setText(f"No emails: {label.lower()}")

    # -- selection and the preview -----------------------------------------------------------

    def current_item(self) -> OutboxRow | None:
        """The selected outbox item."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    @Slot()
    def _on_table_selection_changed(self) -> None:
        row = self.current_item()
        if row is None:
            self._load_detail(None)
        elif row.id != self._detail_for or self._email is None:
            self._load_detail(row.id)
        self._update_actions()

    def _load_detail(self, row_id: int | None) -> None:
        self._detail_for = row_id
        if row_id is None:
            self._email = None
            self.preview.show_email(None)
            self._update_actions()
            return
        uow_factory = self.ctx.uow_factory

        def read(_: TaskContext) -> OutboxEmail:
            return get_outbox_email(uow_factory(), row_id)

        self.ctx.runner.fetch(read, self._on_email_loaded, self._on_read_failed, group="email")

    def _on_email_loaded(self, email: OutboxEmail) -> None:
        if email.row.id != self._detail_for:
            return
        self._email = email
        row = email.row
        self.preview.show_email(
            row.subject,
            to=row.to,
            attachments=_attachments(email.attach_invoices, email.attach_statement, row.invoices),
            body_text=email.body_text,
            body_html=email.body_html,
            note=self._state_note(row),
        )
        self._update_actions()

    def _state_note(self, row: OutboxRow) -> str:
        """The state of the selected email in words: attempts, the server's answer, what next."""
        loc = self.ctx.locale
        answer = row.last_error or "no reason given"
        if row.last_error == INTERRUPTED:  # its advice is the line below
            answer = "Duebook stopped while it was being sent."
        tries = plural(row.attempts, "attempt")
        if row.state == "queued":
            return self._queued_note(row, answer, tries)
        notes = {
            "sent": "",
            "failed": (
                f"Failed after {tries}. The server's answer: {answer}\n"
                "Retry sends it again; Cancel gives it up."
            ),
            "unknown": (
                f"Unknown: may have been sent. {answer}\n"
                "Look in your sent mail: Mark as sent if it went out, Send again if it did not "
                "(it may then arrive twice), Cancel if it should not go at all."
            ),
            "cancelled": "Cancelled: it will not be sent.",
        }
        state = OUTBOX_STATE_TEXT.get(row.state, row.state)
        return notes.get(row.state, f"{state} since {format_timestamp(row.created_at, loc)}")

    def _queued_note(self, row: OutboxRow, answer: str, tries: str) -> str:
        """Why a waiting email has not gone: what holds all back now, else its own last answer.

        What holds every email back (paused, not set up, the last send's problem) is said first:
        an email queued again keeps no answer of its earlier tries, and the newest send's problem
        is the one that counts.
        """
        loc = self.ctx.locale
        sending = self.sending
        if sending.paused or sending.setup_problem:
            return f"Waiting: {sending.holding_back()}"
        if row.retry_at is not None:
            return (
                f"Not sent yet, next try after {clock_text(row.retry_at, loc)} ({tries} so "
                f"far). The server's answer: {answer}"
            )
        if sending.last_problem:
            return f"Waiting: {sending.last_problem}"
        return f"Not sent yet: {row.last_error}" if row.last_error else ""

    @Slot(bool)
    def _on_preview_format_changed(self, html: bool) -> None:
        for pane in (self.preview, self.tomorrow.preview):
            if pane.html_button.isChecked() != html:
                pane.set_html(html)

    def _update_actions(self) -> None:
        row = self.current_item()
        shown = row is not None and self._email is not None and self._email.row.id == row.id
        for button, action, states in self._item_buttons:
            offered = row is not None and row.state in states
            action.setEnabled(shown and offered)
            button.setEnabled(shown and offered)
            button.setVisible(offered)
            if action is not self.cancel_action:
                action.setVisible(offered)

    def _menu_actions(self) -> Sequence[QAction | None]:
        return (
            self.send_again_action,
            self.mark_sent_action,
            self.retry_action,
            self.cancel_action,
            None,
            self.send_action,
            self.run_action,
            self.tomorrow_action,
        )

    @override
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.table
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in _DELETE
        ):
            self._on_cancel_action_triggered()
            return True
        return super().eventFilter(watched, event)

    # -- actions -----------------------------------------------------------------------------

    @Slot()
    def _on_cancel_action_triggered(self) -> None:
        row = self.current_item()
        if row is None or row.state not in CANCELLABLE_STATES:
            return
        if not ask.confirm(
            self,
            "Cancel email",
            f"Do not send the email to {row.customer_name} ({row.subject})? The reminder step "
            "still counts as taken, so it is not decided again.",
            "Don't send it",
        ):
            return
        uow_factory, item_id = self.ctx.uow_factory, row.id

        def cancel(_: TaskContext) -> None:
            cancel_outbox_item(uow_factory(), item_id)

        def done(_: object) -> None:
            self.status_reported.emit(f"Cancelled the email to {row.customer_name}")
            self.ledger_changed.emit()
            self._email = None
            self._reload_list()

        self.ctx.runner.run(
            cancel,
            progress_label="Cancelling the email…",
            parent=self,
            on_success=done,
            on_failure=lambda exc: ask.warn(self, "Cancel email", describe_error(exc)),
        )

    def _after_item_change(self, message: str) -> None:
        self.status_reported.emit(message)
        self.ledger_changed.emit()
        self._email = None
        self._reload_list()

    def _send_again(self, title: str, state: str) -> None:
        """Queue a failed or perhaps-sent email again and send it at once."""
        row = self.current_item()
        if row is None or row.state != state:
            return
        if state == "unknown" and not ask.confirm(
            self,
            title,
            f"Send the email to {row.customer_name} again ({row.subject})? It may have gone out "
            "already, so it may arrive twice. Look in your sent mail first if you can.",
            "Send again",
        ):
            return
        uow_factory, today, item_id = self.ctx.uow_factory, self.ctx.clock.today(), row.id

        def send(_: TaskContext) -> SendReport:
            uow = uow_factory()
            retry_outbox_item(uow, item_id)
            return send_and_record(uow, today, only=(item_id,))

        def done(report: SendReport) -> None:
            outcome = outcome_words(report, item_id)
            self._after_item_change(f"The email to {row.customer_name}: {outcome}")

        self.ctx.runner.run(
            send,
            progress_label="Sending the email…",
            parent=self,
            on_success=done,
            on_failure=lambda exc: ask.warn(self, title, describe_error(exc)),
            io=True,
        )

    @Slot()
    def _on_retry_action_triggered(self) -> None:
        self._send_again("Retry", "failed")

    @Slot()
    def _on_send_again_action_triggered(self) -> None:
        self._send_again("Send again", "unknown")

    @Slot()
    def _on_mark_sent_action_triggered(self) -> None:
        row = self.current_item()
        if row is None or row.state != "unknown":
            return
        uow_factory, item_id = self.ctx.uow_factory, row.id

        def mark(_: TaskContext) -> None:
            record_sent(uow_factory(), item_id, datetime.now(UTC))

        self.ctx.runner.run(
            mark,
            progress_label="Marking the email as sent…",
            parent=self,
            on_success=lambda _: self._after_item_change(
                f"Marked the email to {row.customer_name} as sent"
            ),
            on_failure=lambda exc: ask.warn(self, "Mark as sent", describe_error(exc)),
        )

    @Slot()
    def _on_send_action_triggered(self) -> None:
        """Send what is due now, in the background; the status bar says what came of it."""
        uow_factory, today = self.ctx.uow_factory, self.ctx.clock.today()

        def send(_: TaskContext) -> SendReport:
            return send_and_record(uow_factory(), today)

        self.ctx.runner.run(
            send,
            progress_label="Sending the outbox…",
            parent=self,
            on_success=self._on_send_finished,
            on_failure=lambda exc: ask.warn(self, "Send now", describe_error(exc)),
            io=True,
        )

    def _on_send_finished(self, report: SendReport) -> None:
        self.status_reported.emit(f"Mail: {report.summary()}")
        self.ledger_changed.emit()
        self._reload_list()

    @Slot(bool)
    def _on_pause_action_triggered(self, paused: bool) -> None:
        uow_factory = self.ctx.uow_factory

        def store(_: TaskContext) -> None:
            save_settings(uow_factory(), {"mail.paused": "yes" if paused else "no"})

        def done(_: object) -> None:
            waiting = plural(self.sending.waiting, "email")
            self.status_reported.emit(
                f"Sending paused: {waiting} wait in the outbox until you resume"
                if paused
                else f"Sending resumed: {waiting} go out with the next send (or Send now)"
            )
            self.ledger_changed.emit()
            self._reload_list()

        def failed(exc: Exception) -> None:
            self.pause_action.setChecked(not paused)
            ask.warn(self, "Pause all sending", describe_error(exc))

        self.ctx.runner.run(
            store,
            progress_label="Pausing sending…" if paused else "Resuming sending…",
            parent=self,
            on_success=done,
            on_failure=failed,
        )

    @Slot()
    def _on_banner_settings_requested(self) -> None:
        self.screen_requested.emit("Settings")

    @Slot()
    def _on_run_action_triggered(self) -> None:
        """Today's daily pass now: recurring invoices, reminders and sending, as the scheduler."""
        uow_factory, today = self.ctx.uow_factory, self.ctx.clock.today()

        def run(_: TaskContext) -> PassResult:
            return run_daily_pass_now(uow_factory(), today)

        self.ctx.runner.run(
            run,
            progress_label="Deciding and sending today's reminders…",
            parent=self,
            on_success=self._on_run_finished,
            on_failure=lambda exc: ask.warn(self, "Run reminders", describe_error(exc)),
            io=True,
        )

    def _on_run_finished(self, passed: PassResult) -> None:
        result = passed.reminders
        message = (
            f"Queued {plural(result.queued, 'reminder')}, {plural(result.tasks, 'task')}; "
            f"{len(result.skipped):,} held back"
        )
        if passed.issued:
            message = f"Issued {plural(len(passed.issued), 'recurring invoice')}; {message}"
        if passed.mail is not None:
            message += f"; mail: {passed.mail.summary()}"
        self.status_reported.emit(message)
        if result.warnings:
            ask.inform(self, "Run reminders", message, "\n".join(result.warnings))
        self.ledger_changed.emit()
        self._tomorrow_stale = True
        self.tabs.setCurrentIndex(0)
        if result.queued:
            self.select_state_filter("Waiting to send")
        self._reload_list()

    @Slot()
    def _on_tomorrow_action_triggered(self) -> None:
        self.tabs.setCurrentIndex(1)

    @Slot(int)
    def _on_tabs_current_changed(self, index: int) -> None:
        if index == 1 and self._tomorrow_stale:
            self.load_tomorrow()
        self.cancel_action.setVisible(index == 0)

    def load_tomorrow(self) -> None:
        """Decide tomorrow's reminders without writing anything, and show them."""
        self._tomorrow_stale = False
        uow_factory = self.ctx.uow_factory
        tomorrow = self.ctx.clock.today() + timedelta(days=1)
        self.tomorrow.show_loading()

        def read(_: TaskContext) -> ReminderRunResult:
            return run_reminders(uow_factory(), tomorrow, dry_run=True)

        self.ctx.runner.fetch(read, self.tomorrow.show_result, self._on_tomorrow_failed)

    def _on_tomorrow_failed(self, exc: Exception) -> None:
        self._tomorrow_stale = True
        self.tomorrow.summary.setText(describe_error(exc))
