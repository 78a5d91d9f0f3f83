"""The pane beside the customer list: one customer's account in full.

Besides the account it offers what a collector does from it: choose the reminder policy (or no
automatic reminders), open and resolve disputes, and save the statement of account.
"""

from __future__ import annotations

import re
from datetime import date

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.collection_actions import (
    DisputeView,
    ReminderChoice,
    list_open_disputes,
    reminder_choice,
)
from app.services.customers import get_customer, list_users
from app.services.dto import CustomerDetail, RecurringRow, TimelineEntry
from app.services.iban import format_iban
from app.services.invoice_preview import format_timestamp
from app.services.money_format import format_date
from app.services.pdf_statement import write_statement_pdf
from app.services.reminders.policies import (
    CustomerReminders,
    PolicyView,
    customer_reminders,
    list_policies,
)
from app.services.tasks import TaskContext
from app.services.timeline import TIMELINE_KINDS, list_timeline
from app.views import ask
from app.views.collection_dialogs import (
    ActionDialog,
    OpenDisputeDialog,
    ReminderPolicyDialog,
    ResolveDisputeDialog,
    dispute_reason,
    dispute_title,
    remembered_user,
)
from app.views.context import ViewContext
from app.views.customer_dialog import ROLE_TEXT
from app.views.recurring_dialog import EVERY
from app.views.screen import Screen
from app.views.style import (
    WrappingDelegate,
    error_label,
    fit_height,
    heading,
    money_text,
    muted,
    per_currency_text,
    plain_label,
    warm_colour,
)
from app.views.workers import describe_error, show_error

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
#: The timeline is never shorter than this, whatever else the pane shows.
_TIMELINE_MIN_HEIGHT = 180


class CustomerDetailPane(QScrollArea):
    """One customer's account: header, reminders, contacts, invoices, disputes, timeline."""

    #: The Stop button of a recurring invoice was clicked (the :class:`RecurringRow`).
    stop_recurring_requested = Signal(object)

    def __init__(self, locale: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._locale = locale
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumWidth(340)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.title = heading("")
        self.title.setWordWrap(True)
        self.subtitle = muted(plain_label(selectable=True))
        self.unapplied = plain_label(selectable=True)
        self.unapplied.setObjectName("Unapplied")
        self.unapplied.setToolTip(
            "Money of this customer's not set against an invoice yet: the rest of payments "
            "that were more than what they paid, and credit notes beyond what was open"
        )
        self.hint = muted(QLabel("Select a customer to see their account."))
        self._build_reminder_widgets()
        self.facts = QFormLayout()
        self.contacts = _tree(["Contact", "Email and phone"], stretch=1)
        self.contacts.setItemDelegate(WrappingDelegate(self.contacts))
        self.contacts.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.payer = plain_label(selectable=True)
        self.open_invoices = _tree(["Number", "Due", "Open", "Days late"], stretch=3)
        self.recurring_box = QGroupBox("Recurring invoices")
        self.recurring_box.setObjectName("RecurringInvoices")
        self._recurring_layout = QVBoxLayout(self.recurring_box)
        self.recurring_rows = QWidget()
        self.recurring_grid = QGridLayout(self.recurring_rows)
        self._recurring_layout.addWidget(self.recurring_rows)
        self.stop_buttons: list[QPushButton] = []
        self._build_timeline_widgets()
        self._build_layout()
        self.show_customer(None)

    def _build_reminder_widgets(self) -> None:
        self._ctx: ViewContext | None = None
        self._customer: CustomerDetail | None = None
        self.reminders = plain_label(selectable=True)
        self.reminders.setObjectName("CustomerReminders")
        self.reminders.setToolTip("The reminder policy in force, and whether reminders are off")
        self.statement_button = QPushButton("Statement of account…")
        self.statement_button.setToolTip("Save this customer's statement of account as a PDF")
        self.statement_button.clicked.connect(self._on_statement_button_clicked)
        self.policy_button = QPushButton("Reminder policy…")
        self.policy_button.setToolTip(
            "Choose this customer's reminder policy, or exclude them from automatic reminders"
        )
        self.policy_button.clicked.connect(self._on_policy_button_clicked)
        self._disputes: list[DisputeView] = []
        self.disputes_box = QGroupBox("Disputes")
        self.disputes_box.setObjectName("Disputes")
        self._disputes_layout = QVBoxLayout(self.disputes_box)
        self.dispute_rows = QWidget()
        self._disputes_layout.addWidget(self.dispute_rows)
        self.resolve_buttons: list[QPushButton] = []
        self._dispute_labels: list[tuple[QLabel, QLabel]] = []
        self.no_disputes = muted(QLabel("No open disputes."))
        self.dispute_button = QPushButton("Open dispute…")
        self.dispute_button.setToolTip("The customer disputes invoices: stop chasing them")
        self.dispute_button.clicked.connect(self._on_dispute_button_clicked)
        dispute_row = QHBoxLayout()
        dispute_row.addWidget(self.no_disputes, 1)
        dispute_row.addWidget(self.dispute_button, 0, Qt.AlignmentFlag.AlignRight)
        self._disputes_layout.addLayout(dispute_row)
        self.timeline_filter = QComboBox()
        self.timeline_filter.setObjectName("TimelineFilter")
        self.timeline_filter.setAccessibleName("Show events")
        self.timeline_filter.addItem("All events", None)
        for kind, label in TIMELINE_KINDS.items():
            self.timeline_filter.addItem(label, kind)
        self.timeline_filter.currentIndexChanged.connect(self._on_timeline_filter_changed)

    def set_context(self, ctx: ViewContext) -> None:
        """The window's collaborators, to read reminders and filtered timelines.

        Without it, the pane uses the context of the screen it sits in.
        """
        self._ctx = ctx

    def _context(self) -> ViewContext | None:
        if self._ctx is not None:
            return self._ctx
        screen = self._screen()
        return screen.ctx if screen is not None else None

    def _screen(self) -> Screen | None:
        widget = self.parentWidget()
        while widget is not None and not isinstance(widget, Screen):
            widget = widget.parentWidget()
        return widget

    def _build_timeline_widgets(self) -> None:
        self.note = QPlainTextEdit()
        self.note.setObjectName("NoteEdit")
        self.note.setPlaceholderText("Write a note for the timeline: a call, a promise, a remark")
        self.note.setFixedHeight(64)
        self.note.setTabChangesFocus(True)
        self.add_note_button = QPushButton("Add note")
        self.note_error = error_label()
        self.timeline = _tree(["When", "What", "By"], stretch=1)
        self.timeline.setObjectName("Timeline")
        # the summary wraps in the width left by the time and the author
        self.timeline.setItemDelegate(WrappingDelegate(self.timeline))
        self.timeline.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.timeline.setMinimumHeight(_TIMELINE_MIN_HEIGHT)

    def _build_layout(self) -> None:
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(12, 8, 12, 8)
        self._sections: list[QWidget] = []
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.unapplied)
        layout.addWidget(self.hint)
        self._reminders_row = QWidget()
        reminders_column = QVBoxLayout(self._reminders_row)
        reminders_column.setContentsMargins(0, 4, 0, 4)
        reminders_column.addWidget(self.reminders)
        buttons = QHBoxLayout()
        buttons.addWidget(self.policy_button)
        buttons.addWidget(self.statement_button)
        buttons.addStretch(1)
        reminders_column.addLayout(buttons)
        layout.addWidget(self._reminders_row)
        facts_box = QWidget()
        facts_box.setLayout(self.facts)
        layout.addWidget(facts_box)
        for title, widget in (
            ("Contacts", self.contacts),
            ("How they pay", self.payer),
            ("Open invoices", self.open_invoices),
        ):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(widget)
            layout.addWidget(box)
            self._sections.append(box)
        layout.addWidget(self.disputes_box)
        layout.addWidget(self.recurring_box)
        timeline_box = QGroupBox("Timeline")
        timeline_layout = QVBoxLayout(timeline_box)
        note_row = QHBoxLayout()
        note_row.addWidget(self.note, 1)
        note_row.addWidget(self.add_note_button, 0, Qt.AlignmentFlag.AlignTop)
        timeline_layout.addLayout(note_row)
        timeline_layout.addWidget(self.note_error)
        filter_row = QHBoxLayout()
        filter_label = QLabel("&Show")
        filter_label.setBuddy(self.timeline_filter)
        filter_row.addWidget(filter_label)
        filter_row.addWidget(self.timeline_filter)
        filter_row.addStretch(1)
        timeline_layout.addLayout(filter_row)
        timeline_layout.addWidget(self.timeline, 1)
        layout.addWidget(timeline_box, 1)  # the timeline takes the height that is left
        self._sections.extend([timeline_box, facts_box, self._reminders_row, self.disputes_box])
        self.setWidget(body)

    def show_customer(self, customer: CustomerDetail | None) -> None:
        """Show a customer, or the hint when ``None``."""
        for section in (*self._sections, self.title, self.subtitle):
            section.setVisible(customer is not None)
        self.hint.setVisible(customer is None)
        self.recurring_box.setVisible(customer is not None and bool(customer.recurring))
        self.unapplied.setVisible(customer is not None and bool(customer.unapplied_by_currency))
        while self.facts.rowCount():
            self.facts.removeRow(0)
        for tree in (self.contacts, self.open_invoices, self.timeline):
            tree.clear()
        previous, self._customer = self._customer, customer
        if customer is None:
            return
        if previous is None or previous.id != customer.id:
            self.timeline_filter.blockSignals(True)
            self.timeline_filter.setCurrentIndex(0)
            self.timeline_filter.blockSignals(False)
        self._load_reminders(customer.id)
        loc = self._locale
        self.title.setText(customer.name)
        open_text = per_currency_text(customer.open_by_currency, loc) or "nothing"
        self.subtitle.setText(f"{customer.code} · open {open_text}")
        unapplied = per_currency_text(customer.unapplied_by_currency, loc)
        self.unapplied.setText(
            f"Unapplied: {unapplied} (overpayments and unused credit)" if unapplied else ""
        )
        self.unapplied.setVisible(bool(unapplied))
        self._show_facts(customer)
        for contact in customer.contacts:
            role = ROLE_TEXT.get(contact.role, contact.role)
            reach = "\n".join(x for x in (contact.email, contact.phone) if x) or "—"
            item = QTreeWidgetItem([f"{contact.name or '—'}\n{role}", reach])
            item.setToolTip(1, reach)
            self.contacts.addTopLevelItem(item)
        if not customer.contacts:
            self.contacts.addTopLevelItem(QTreeWidgetItem(["No contacts yet", ""]))
        ibans = ", ".join(format_iban(i) for i in customer.ibans) or "none known yet"
        aliases = ", ".join(customer.aliases) or "none"
        self.payer.setText(f"Bank accounts: {ibans}\nAlso pays as: {aliases}")
        self._show_open_invoices(customer)
        self._show_recurring(customer.recurring)
        if self.timeline_filter.currentIndex() > 0:
            self._load_timeline()
        else:
            self._show_timeline(customer.timeline)
        for tree in (self.contacts, self.open_invoices):
            _fit(tree, max_rows=8)

    def _show_facts(self, customer: CustomerDetail) -> None:
        loc = self._locale
        limit = money_text(customer.credit_limit, loc) if customer.credit_limit else "none"
        home = customer.open_by_currency.get(customer.currency)
        if customer.credit_limit and home is not None and home > customer.credit_limit:
            limit += f" — over it by {money_text(home - customer.credit_limit, loc)}"
        for label, value in (
            ("Customer ID", customer.code),
            ("Terms", f"{customer.payment_terms_days} days net"),
            ("Currency", customer.currency),
            ("Segment", customer.segment or "—"),
            ("Owner", customer.owner or "nobody"),
            ("Credit limit", limit),
            ("Country", customer.country or "—"),
            ("VAT number", customer.vat_id or "—"),
            ("Address", customer.address.replace("\n", ", ") or "—"),
        ):
            value_label = plain_label(value, selectable=True)
            if label == "Credit limit" and "over it" in value:
                palette = value_label.palette()
                palette.setColor(value_label.foregroundRole(), warm_colour())
                value_label.setPalette(palette)
            self.facts.addRow(label, value_label)

    def _show_open_invoices(self, customer: CustomerDetail) -> None:
        loc = self._locale
        warm = warm_colour()
        for invoice in customer.open_invoices:
            item = QTreeWidgetItem(
                [
                    invoice.number,
                    format_date(invoice.due_date, loc),
                    money_text(invoice.open_amount, loc),
                    str(invoice.days_overdue) if invoice.days_overdue else "",
                ]
            )
            item.setTextAlignment(2, _RIGHT)
            item.setTextAlignment(3, _RIGHT)
            if invoice.days_overdue:
                for column in (1, 2, 3):
                    item.setForeground(column, warm)
            self.open_invoices.addTopLevelItem(item)
        if not customer.open_invoices:
            self.open_invoices.addTopLevelItem(QTreeWidgetItem(["Nothing open", "", "", ""]))

    def _show_recurring(self, rows: tuple[RecurringRow, ...]) -> None:
        """Each recurring invoice: its name and amount, how often and when next, and Stop."""
        loc = self._locale
        self._recurring_layout.removeWidget(self.recurring_rows)
        self.recurring_rows.deleteLater()
        self.recurring_rows = QWidget()
        grid = self.recurring_grid = QGridLayout(self.recurring_rows)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setColumnStretch(0, 1)
        grid.setHorizontalSpacing(12)
        self._recurring_layout.addWidget(self.recurring_rows)
        self.stop_buttons = []
        for index, row in enumerate(rows):
            when = f"{EVERY[row.frequency]} · next {format_date(row.next_date, loc)}"
            if row.end_date is not None:
                when += f" · until {format_date(row.end_date, loc)}"
            name = plain_label(row.name, selectable=True)
            amount = plain_label(money_text(row.total, loc), selectable=True)
            amount.setAlignment(_RIGHT)
            amount.setWordWrap(False)
            schedule = muted(plain_label(when, selectable=True))
            stop = QPushButton("Stop")
            stop.setToolTip(f"Issue no more copies of {row.name}")
            stop.setAccessibleName(f"Stop {row.name}")
            stop.clicked.connect(lambda _=False, r=row: self.stop_recurring_requested.emit(r))
            self.stop_buttons.append(stop)
            top = 2 * index
            grid.addWidget(name, top, 0)
            grid.addWidget(amount, top, 1)
            grid.addWidget(schedule, top + 1, 0, 1, 2)
            grid.addWidget(stop, top, 2, 2, 1, Qt.AlignmentFlag.AlignVCenter)

    def recurring_texts(self) -> list[str]:
        """What the recurring section shows, one line per invoice: name, schedule, amount."""
        grid, lines = self.recurring_grid, []
        for index in range(len(self.stop_buttons)):
            cells = (grid.itemAtPosition(2 * index + r, c) for r, c in ((0, 0), (1, 0), (0, 1)))
            texts = [
                w.text()
                for cell in cells
                if cell is not None and isinstance(w := cell.widget(), QLabel)
            ]
            lines.append(" | ".join(texts))
        return lines

    def _show_timeline(self, entries: tuple[TimelineEntry, ...]) -> None:
        loc = self._locale
        self.timeline.clear()
        for entry in entries:
            when = format_timestamp(entry.occurred_at, loc)
            summary = _local_dates(entry.summary, loc)
            item = QTreeWidgetItem([when, summary, entry.author])
            item.setToolTip(1, summary)
            item.setTextAlignment(0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            self.timeline.addTopLevelItem(item)
        if not entries:
            nothing = (
                "Nothing happened yet"
                if self.timeline_filter.currentIndex() <= 0
                else (f"No {self.timeline_filter.currentText().lower()} yet")
            )
            self.timeline.addTopLevelItem(QTreeWidgetItem(["", nothing, ""]))

    # -- reminders, the statement and the timeline filter ------------------------------------

    def _load_reminders(self, customer_id: int) -> None:
        """Read how reminders stand and the open disputes (both need the ledger)."""
        ctx = self._context()
        self.reminders.setText("")
        self._show_disputes([])
        self._reminders_row.setVisible(ctx is not None)
        self.disputes_box.setVisible(ctx is not None)
        if ctx is None:
            return
        uow_factory, today = ctx.uow_factory, ctx.clock.today()

        def read(_: TaskContext) -> tuple[int, CustomerReminders, list[DisputeView]]:
            return (
                customer_id,
                customer_reminders(uow_factory(), customer_id, today),
                list_open_disputes(uow_factory(), customer_id),
            )

        ctx.runner.fetch(read, self._on_reminders_loaded, lambda _exc: None)

    def _on_reminders_loaded(
        self, loaded: tuple[int, CustomerReminders, list[DisputeView]]
    ) -> None:
        customer_id, state, disputes = loaded
        if self._customer is None or self._customer.id != customer_id:
            return
        self.reminders.setText(reminders_text(state, self._locale))
        self._show_disputes(disputes)

    def _show_disputes(self, disputes: list[DisputeView]) -> None:
        """Each open dispute in a line with its Resolve button; "No open disputes" without."""
        self._disputes = disputes
        self._disputes_layout.removeWidget(self.dispute_rows)
        self.dispute_rows.deleteLater()
        self.dispute_rows = QWidget()
        grid = QGridLayout(self.dispute_rows)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setColumnStretch(0, 1)
        self._disputes_layout.insertWidget(0, self.dispute_rows)
        self.resolve_buttons, self._dispute_labels = [], []
        for index, dispute in enumerate(disputes):
            title = plain_label(dispute_title(dispute, self._locale), selectable=True)
            reason = muted(plain_label(dispute_reason(dispute), selectable=True))
            self._dispute_labels.append((title, reason))
            resolve = QPushButton("Resolve…")
            resolve.setToolTip(f"Close the dispute of {dispute.invoice_number}")
            resolve.setAccessibleName(f"Resolve the dispute of {dispute.invoice_number}")
            resolve.clicked.connect(lambda _=False, d=dispute: self._resolve(d))
            self.resolve_buttons.append(resolve)
            top = 2 * index
            grid.addWidget(title, top, 0)
            grid.addWidget(reason, top + 1, 0)
            grid.addWidget(resolve, top, 1, 2, 1, Qt.AlignmentFlag.AlignVCenter)
        self.dispute_rows.setVisible(bool(disputes))
        self.no_disputes.setVisible(not disputes)

    def dispute_texts(self) -> list[str]:
        """The open disputes as the pane lists them: "INV-7 · since … | what it is about"."""
        return [f"{title.text()} | {reason.text()}" for title, reason in self._dispute_labels]

    # -- the collector's actions -------------------------------------------------------------

    def _open_form(self, dialog: ActionDialog) -> ActionDialog:
        dialog.action_saved.connect(self._after_change)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _after_change(self, message: str) -> None:
        """An action saved: say so, tell the other screens and read the customer again."""
        ctx, customer, screen = self._context(), self._customer, self._screen()
        if screen is not None:
            screen.status_reported.emit(message)
            screen.ledger_changed.emit()
        if ctx is None or customer is None:
            return
        uow_factory, today, customer_id = ctx.uow_factory, ctx.clock.today(), customer.id

        def read(_: TaskContext) -> CustomerDetail:
            return get_customer(uow_factory(), customer_id, today)

        def loaded(detail: CustomerDetail) -> None:
            if self._customer is not None and self._customer.id == detail.id:
                self.show_customer(detail)

        ctx.runner.fetch(read, loaded, lambda exc: show_error(self, exc))

    @Slot()
    def _on_policy_button_clicked(self) -> None:
        ctx, customer = self._context(), self._customer
        if ctx is None or customer is None:
            return
        uow_factory = ctx.uow_factory

        def read(_: TaskContext) -> tuple[ReminderChoice, list[PolicyView]]:
            return reminder_choice(uow_factory(), customer.id), list_policies(uow_factory())

        def chosen(loaded: tuple[ReminderChoice, list[PolicyView]]) -> None:
            choice, policies = loaded
            self._open_form(
                ReminderPolicyDialog(ctx, customer.id, customer.name, choice, policies, self)
            )

        ctx.runner.fetch(read, chosen, lambda exc: show_error(self, exc))

    @Slot()
    def _on_dispute_button_clicked(self) -> None:
        ctx, customer = self._context(), self._customer
        if ctx is None or customer is None:
            return
        uow_factory = ctx.uow_factory

        def read(_: TaskContext) -> tuple[list[DisputeView], list[tuple[int, str]]]:
            return list_open_disputes(uow_factory(), customer.id), list_users(uow_factory())

        def chosen(loaded: tuple[list[DisputeView], list[tuple[int, str]]]) -> None:
            disputes, users = loaded
            me = remembered_user(ctx.settings)
            self._open_form(
                OpenDisputeDialog(
                    ctx,
                    customer.id,
                    customer.name,
                    customer.open_invoices,
                    disputes,
                    users,
                    me,
                    self,
                )
            )

        ctx.runner.fetch(read, chosen, lambda exc: show_error(self, exc))

    def _resolve(self, dispute: DisputeView) -> ActionDialog | None:
        """Open the form to resolve one of the disputes shown."""
        ctx, customer = self._context(), self._customer
        if ctx is None or customer is None:
            return None
        return self._open_form(
            ResolveDisputeDialog(ctx, customer.name, self._disputes, dispute.id, self)
        )

    @Slot()
    def _on_statement_button_clicked(self) -> None:
        ctx, customer = self._context(), self._customer
        if ctx is None or customer is None:
            return
        today = ctx.clock.today()
        path = ask.choose_save_file(
            self,
            "Save the statement of account",
            f"Statement {customer.code} {today.isoformat()}.pdf",
            "PDF files (*.pdf)",
        )
        if path is None:
            return
        uow_factory, customer_id = ctx.uow_factory, customer.id

        def write(_: TaskContext) -> object:
            return write_statement_pdf(uow_factory(), customer_id, today, path)

        def done(_: object) -> None:
            screen = self._screen()
            if screen is not None:
                screen.status_reported.emit(f"Saved the statement of account to {path.name}")

        ctx.runner.run(
            write,
            progress_label="Writing the statement of account…",
            parent=self,
            on_success=done,
            on_failure=lambda exc: ask.warn(self, "Statement of account", describe_error(exc)),
            io=True,
        )

    @Slot()
    def _on_timeline_filter_changed(self) -> None:
        if self._customer is None:
            return
        if self.timeline_filter.currentIndex() <= 0:
            self._show_timeline(self._customer.timeline)
        else:
            self._load_timeline()

    def _load_timeline(self) -> None:
        ctx, customer = self._context(), self._customer
        kind = self.timeline_filter.currentData()
        if customer is None or not isinstance(kind, str):
            return
        if ctx is None:  # no ledger to ask: filter what the account holds
            self._show_timeline(tuple(e for e in customer.timeline if e.kind == kind))
            return
        uow_factory, customer_id = ctx.uow_factory, customer.id

        def read(_: TaskContext) -> tuple[int, str, list[TimelineEntry]]:
            return customer_id, kind, list_timeline(uow_factory(), customer_id, {kind})

        ctx.runner.fetch(read, self._on_timeline_loaded, lambda _exc: None)

    def _on_timeline_loaded(self, loaded: tuple[int, str, list[TimelineEntry]]) -> None:
        customer_id, kind, entries = loaded
        if (
            self._customer is not None
            and self._customer.id == customer_id
            and self.timeline_filter.currentData() == kind
        ):
            self._show_timeline(tuple(entries))

    def timeline_texts(self) -> list[str]:
        """The timeline's summaries, newest first."""
        items = (self.timeline.topLevelItem(i) for i in range(self.timeline.topLevelItemCount()))
        return [item.text(1) for item in items if item is not None]

    def timeline_times(self) -> list[str]:
        """When each timeline event happened, as shown, newest first."""
        items = (self.timeline.topLevelItem(i) for i in range(self.timeline.topLevelItemCount()))
        return [item.text(0) for item in items if item is not None]


def reminders_text(state: CustomerReminders, locale: str) -> str:
    """How reminders stand for a customer, in one line."""
    if not state.policy_name:
        policy = "no reminder policy applies"
    elif state.source == "customer":
        policy = f"{state.policy_name} policy (chosen for this customer)"
    elif state.source == "segment":
        policy = f"{state.policy_name} policy (segment {state.segment})"
    else:
        policy = f"{state.policy_name} policy (the default)"
    parts = [f"Reminders: {policy}"]
    if state.excluded:
        parts.append("excluded: no automatic reminders")
    if state.paused_until is not None:
        why = f" ({state.pause_reason})" if state.pause_reason else ""
        parts.append(f"paused until {format_date(state.paused_until, locale)}{why}")
    return " · ".join(parts)


def _local_dates(text: str, locale: str) -> str:
    """Dates written as 2026-11-01 in a stored text, as the rest of the window writes them."""

    def local(match: re.Match[str]) -> str:
        try:
            day = date.fromisoformat(match.group(0))
        except ValueError:
            return match.group(0)
        return format_date(day, locale)

    return _ISO_DATE.sub(local, text)


def _tree(headers: list[str], stretch: int = 0) -> QTreeWidget:
    """A short list: its columns fit their contents and ``stretch`` takes the width left."""
    tree = QTreeWidget()
    tree.setHeaderLabels(headers)
    tree.setRootIsDecorated(False)
    tree.setUniformRowHeights(True)
    tree.setAlternatingRowColors(False)
    tree.setSelectionMode(QTreeWidget.SelectionMode.NoSelection)
    tree.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    header = tree.header()
    header.setStretchLastSection(False)
    for column in range(len(headers)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return tree


def _fit(tree: QTreeWidget, max_rows: int) -> None:
    fit_height(tree, max_rows)
