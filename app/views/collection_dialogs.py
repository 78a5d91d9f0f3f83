"""The collector's small forms, and who "I" am for "My work today" and "My tasks".

Log a call, take a promise to pay, add a note, create a task, pause reminders, choose the
reminder contact or the reminder policy, open and resolve disputes. Each form checks what was
typed, saves through its service in the background and stays open with the service's words under
the fields when it refuses; once saved it says what it did (:attr:`ActionDialog.action_saved`)
and closes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QLocale, QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from app.services.collection_actions import (
    CALL_OUTCOMES,
    DisputeView,
    ReminderChoice,
    log_call,
    open_disputes,
    pause_reminders,
    resolve_dispute,
    set_customer_policy,
    set_reminder_contact,
    set_reminder_exclusion,
)
from app.services.customers import CustomerChoice, add_note
from app.services.dto import ContactView, InvoiceRow
from app.services.follow_ups import create_follow_up
from app.services.invoice_preview import Money, to_money
from app.services.money_format import format_date
from app.services.promises import record_promise
from app.services.reminders.policies import PolicyView
from app.services.tasks import TaskContext
from app.views.context import ViewContext
from app.views.inputs import (
    DateEdit,
    InputError,
    decimal_text,
    from_qdate,
    parse_decimal,
    to_qdate,
    use_medium_dates,
)
from app.views.style import error_label, money_text, muted, plain_label, show_form_error
from app.views.workers import describe_error

#: The QSettings key of the person using the window ("I am"), shared by Worklist and Tasks.
ME_KEY = "collections/me"

TaskFn = Callable[[TaskContext], Any]
_TOOLTIP = Qt.ItemDataRole.ToolTipRole


# -- who "I" am ------------------------------------------------------------------------------


def remembered_user(settings: QSettings) -> int | None:
    """The user chosen as "I am", or ``None`` before anyone was chosen."""
    value = str(settings.value(ME_KEY, ""))
    return int(value) if value.isdigit() else None


def remember_user(settings: QSettings, user_id: int | None) -> None:
    """Remember who uses the window (UI state, so QSettings)."""
    settings.setValue(ME_KEY, "" if user_id is None else str(user_id))


def fill_users(
    combo: QComboBox, users: Sequence[tuple[int, str]], selected: int | None, none_text: str
) -> None:
    """Offer ``users`` (id, name) in ``combo``, after a ``none_text`` entry, and select one."""
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(none_text, None)
    for user_id, name in users:
        combo.addItem(name, user_id)
    at = combo.findData(selected) if selected is not None else -1
    combo.setCurrentIndex(max(at, 0))
    combo.blockSignals(False)


def _date_edit(day: date, locale: str, minimum: date | None = None) -> DateEdit:
    edit = DateEdit(to_qdate(day))
    edit.setCalendarPopup(True)
    use_medium_dates(edit, locale)
    if minimum is not None:
        edit.setMinimumDate(to_qdate(minimum))
    return edit


def _fit_rows(widget: QListWidget, rows: int) -> None:
    """A short list exactly ``rows`` lines tall, its texts never scrolled sideways."""
    widget.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    widget.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    line = max(widget.sizeHintForRow(0), widget.fontMetrics().height() + 6)
    widget.setFixedHeight(line * rows + 2 * widget.frameWidth() + 4)


def _invoice_checklist(
    invoices: Sequence[InvoiceRow], locale: str, disputed: Collection[int] = ()
) -> QListWidget:
    """Open invoices to tick, each with its due date and open amount; ``disputed`` ones greyed."""
    widget = QListWidget()
    widget.setAccessibleName("Invoices")
    for invoice in invoices:
        state = "disputed" if invoice.id in disputed else "open"
        item = QListWidgetItem(
            f"{invoice.number}   due {format_date(invoice.due_date, locale)}   "
            f"{money_text(invoice.open_amount, locale)} {state}"
        )
        item.setData(Qt.ItemDataRole.UserRole, invoice)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Unchecked)
        if invoice.id in disputed:
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            item.setToolTip("Disputed already: resolve that dispute first")
        widget.addItem(item)
    _fit_rows(widget, max(min(len(invoices), 5), 2))
    return widget


def _checked(widget: QListWidget) -> list[InvoiceRow]:
    """The invoices ticked in an :func:`_invoice_checklist`."""
    found = []
    for position in range(widget.count()):
        item = widget.item(position)
        invoice = item.data(Qt.ItemDataRole.UserRole)
        if item.checkState() == Qt.CheckState.Checked and isinstance(invoice, InvoiceRow):
            found.append(invoice)
    return found


def _notes_edit(placeholder: str, lines: int = 4) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setPlaceholderText(placeholder)
    edit.setTabChangesFocus(True)
    edit.setFixedHeight(edit.fontMetrics().lineSpacing() * lines + 12)
    return edit


# -- the common form -------------------------------------------------------------------------


class ActionDialog(QDialog):
    """A small form over one customer that saves through a service in the background."""

    #: Saved: what was done, for the status bar ("Logged a call with Acme").
    action_saved = Signal(str)

    #: The words of the OK button and of the progress dialog.
    ok_text = "Save"
    progress_label = "Saving…"

    def __init__(
        self, ctx: ViewContext, title: str, customer_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(440)
        self._ctx = ctx
        self._fields: dict[str, QWidget] = {}
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        if customer_name:
            self.form.addRow("Customer", plain_label(customer_name))
        self.error = error_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.ok_text)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def _add_field(self, label: str, name: str, widget: QWidget) -> None:
        """A row of the form; ``name`` is the field the service's messages start with."""
        self.form.addRow(label, widget)
        self._fields[name] = widget

    def _task(self) -> tuple[TaskFn, str]:
        """The service call of what was typed and the words once it is done.

        Raises:
            InputError: something typed cannot be read; the message says what.
        """
        raise NotImplementedError

    @override
    def accept(self) -> None:
        try:
            task, message = self._task()
        except (InputError, ValueError) as exc:
            self.show_error(str(exc))
            return
        self.ok_button.setEnabled(False)
        self._ctx.runner.run(
            task,
            progress_label=self.progress_label,
            parent=self,
            on_success=lambda _: self._on_saved(message),
            on_failure=self._on_save_failed,
        )

    def _on_saved(self, message: str) -> None:
        self.action_saved.emit(message)
        super().accept()

    def _on_save_failed(self, exc: Exception) -> None:
        self.ok_button.setEnabled(True)
        self.show_error(describe_error(exc) if not isinstance(exc, ValueError) else str(exc))

    def show_error(self, message: str) -> None:
        """Show the service's words under the form; the field it names gets the cursor."""
        field, _, text = message.partition(": ")
        widget = self._fields.get(field.strip()) if text else None
        show_form_error(self.error, text if widget is not None else message)
        if widget is not None:
            widget.setFocus()


# -- the forms -------------------------------------------------------------------------------


class NoteDialog(ActionDialog):
    """Add a note to a customer's timeline."""

    ok_text = "Add note"
    progress_label = "Saving the note…"

    def __init__(
        self,
        ctx: ViewContext,
        customer_id: int,
        customer_name: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, "Add note", customer_name, parent)
        self._customer_id, self._customer_name = customer_id, customer_name
        self.text = _notes_edit("What happened, what was agreed", lines=6)
        self._add_field("&Note", "note", self.text)

    @override
    def _task(self) -> tuple[TaskFn, str]:
        text, customer_id = self.text.toPlainText(), self._customer_id
        if not text.strip():
            raise InputError("note: write the note first")
        uow_factory = self._ctx.uow_factory

        def save(_: TaskContext) -> None:
            add_note(uow_factory(), customer_id, text)

        return save, f"Note added for {self._customer_name}"


class PromiseDialog(ActionDialog):
    """Take a promise to pay: how much, in which currency, by when, for which invoices."""

    ok_text = "Record promise"
    progress_label = "Recording the promise…"

    def __init__(
        self,
        ctx: ViewContext,
        customer_id: int,
        customer_name: str,
        overdue: Sequence[Money],
        open_invoices: Sequence[InvoiceRow],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, "Promise to pay", customer_name, parent)
        self._customer_id, self._customer_name = customer_id, customer_name
        self._qlocale = QLocale(ctx.locale)
        self._today = ctx.clock.today()
        self._overdue = {m.currency: m for m in overdue}
        self.amount = QLineEdit()
        self.amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.currency = QComboBox()
        currencies = list(
            dict.fromkeys([*self._overdue, *(i.open_amount.currency for i in open_invoices)])
        )
        self.currency.addItems(currencies or ["EUR"])
        self.currency.setEditable(not currencies)
        self.promised_date = _date_edit(self._today + timedelta(days=7), ctx.locale, self._today)
        self.invoices = _invoice_checklist(open_invoices, ctx.locale)
        self.setMinimumWidth(520)
        self.note = _notes_edit("What the customer said", lines=3)
        self._add_field("&Amount", "amount", self.amount)
        self._add_field("C&urrency", "currency", self.currency)
        self._add_field("&By", "promised_date", self.promised_date)
        self._add_field("&Invoices (optional)", "invoices", self.invoices)
        self._add_field("&Note", "note", self.note)
        hint = muted(plain_label("Leave the invoices unticked for the whole overdue balance."))
        self.form.addRow("", hint)
        self.currency.currentTextChanged.connect(self._on_currency_current_text_changed)
        self.invoices.itemChanged.connect(self._on_invoices_item_changed)
        self._on_currency_current_text_changed(self.currency.currentText())

    def _on_currency_current_text_changed(self, currency: str) -> None:
        overdue = self._overdue.get(currency)
        if overdue is not None and overdue.minor > 0:
            self.amount.setText(decimal_text(overdue.amount, self._qlocale))

    def _on_invoices_item_changed(self, _item: QListWidgetItem) -> None:
        """Ticking invoices makes the amount their open total (in their currency)."""
        checked = _checked(self.invoices)
        currencies = {i.open_amount.currency for i in checked}
        if len(currencies) != 1:
            return
        currency = currencies.pop()
        total = sum((i.open_amount.minor for i in checked), 0)
        self.currency.setCurrentText(currency)
        self.amount.setText(decimal_text(Money(total, currency).amount, self._qlocale))

    @override
    def _task(self) -> tuple[TaskFn, str]:
        currency = self.currency.currentText().strip().upper()
        typed = parse_decimal(self.amount.text(), self._qlocale, what="amount")
        amount = to_money(typed, currency, what="amount")
        promised = from_qdate(self.promised_date.date())
        invoice_ids = [i.id for i in _checked(self.invoices)]
        note, customer_id, today = self.note.toPlainText(), self._customer_id, self._today
        uow_factory = self._ctx.uow_factory

        def save(_: TaskContext) -> int:
            return record_promise(
                uow_factory(),
                customer_id,
                amount,
                promised,
                today=today,
                invoice_ids=invoice_ids,
                note=note,
            )

        when = format_date(promised, self._ctx.locale)
        return save, (
            f"{self._customer_name} promised to pay {money_text(amount, self._ctx.locale)} "
            f"by {when}"
        )


class TaskDialog(ActionDialog):
    """Create a follow-up task: what, for whom, by when; for a customer or one to choose."""

    ok_text = "Create task"
    progress_label = "Creating the task…"

    def __init__(
        self,
        ctx: ViewContext,
        users: Sequence[tuple[int, str]],
        *,
        customer_id: int | None = None,
        customer_name: str = "",
        customers: Sequence[CustomerChoice] = (),
        assignee_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, "Create task", customer_name if customer_id else "", parent)
        self._customer_id = customer_id
        self.customer: QComboBox | None = None
        if customer_id is None:
            self.customer = QComboBox()
            self.customer.addItem("No customer", None)
            for choice in customers:
                self.customer.addItem(choice.label, choice.id)
            self._add_field("Cu&stomer", "customer", self.customer)
        self.title = QLineEdit()
        self.title.setPlaceholderText("Call about the overdue invoices")
        self.assignee = QComboBox()
        fill_users(self.assignee, users, assignee_id, "Nobody yet")
        today = ctx.clock.today()
        self.due_date = _date_edit(today, ctx.locale)
        self.notes = _notes_edit("More words (optional)", lines=3)
        self._add_field("&Title", "title", self.title)
        self._add_field("&Assignee", "assignee", self.assignee)
        self._add_field("&Due", "due_date", self.due_date)
        self._add_field("&Notes", "notes", self.notes)
        self.title.setFocus()

    @override
    def _task(self) -> tuple[TaskFn, str]:
        title, notes = self.title.text(), self.notes.toPlainText()
        if not title.strip():
            raise InputError("title: a task needs a title")
        due = from_qdate(self.due_date.date())
        assignee = self.assignee.currentData()
        assignee_id = assignee if isinstance(assignee, int) else None
        customer_id = self._customer_id
        if self.customer is not None:
            chosen = self.customer.currentData()
            customer_id = chosen if isinstance(chosen, int) else None
        uow_factory = self._ctx.uow_factory

        def save(_: TaskContext) -> int:
            return create_follow_up(
                uow_factory(),
                title,
                due,
                customer_id=customer_id,
                assignee_id=assignee_id,
                notes=notes,
            )

        who = f" for {self.assignee.currentText()}" if assignee_id is not None else ""
        return save, f"Task created{who}: {title.strip()}"


#: How a call went, in words, in the order the chooser offers them.
OUTCOME_TEXT = {
    "reached": "Reached them",
    "left_voicemail": "Left a voicemail",
    "no_answer": "No answer",
    "wrong_number": "Wrong number",
}


class LogCallDialog(ActionDialog):
    """Note how a call with a customer went, on its timeline."""

    ok_text = "Log call"
    progress_label = "Logging the call…"

    def __init__(
        self,
        ctx: ViewContext,
        customer_id: int,
        customer_name: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, "Log call", customer_name, parent)
        self._customer_id, self._customer_name = customer_id, customer_name
        self.outcome = QComboBox()
        for outcome in CALL_OUTCOMES:
            self.outcome.addItem(OUTCOME_TEXT.get(outcome, outcome.replace("_", " ")), outcome)
        self.call_date = _date_edit(ctx.clock.today(), ctx.locale)
        self.call_date.setMaximumDate(to_qdate(ctx.clock.today()))
        self.notes = _notes_edit("What was said; a promise to pay has its own form")
        self._add_field("&Outcome", "outcome", self.outcome)
        self._add_field("&On", "on", self.call_date)
        self._add_field("&Notes", "notes", self.notes)

    @override
    def _task(self) -> tuple[TaskFn, str]:
        outcome = str(self.outcome.currentData())
        notes, customer_id = self.notes.toPlainText(), self._customer_id
        day = from_qdate(self.call_date.date())
        on = None if day == self._ctx.clock.today() else day
        uow_factory = self._ctx.uow_factory

        def save(_: TaskContext) -> None:
            log_call(uow_factory(), customer_id, outcome, notes, on)

        words = self.outcome.currentText().lower()
        return save, f"Logged a call with {self._customer_name}: {words}"


class PauseDialog(ActionDialog):
    """Pause a customer's automatic reminders until a day, for a reason."""

    ok_text = "Pause reminders"
    progress_label = "Pausing the reminders…"

    def __init__(
        self,
        ctx: ViewContext,
        customer_id: int,
        customer_name: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, "Pause reminders", customer_name, parent)
        self._customer_id, self._customer_name = customer_id, customer_name
        self._today = ctx.clock.today()
        tomorrow = self._today + timedelta(days=1)
        self.until = _date_edit(self._today + timedelta(days=14), ctx.locale, tomorrow)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("CFO on holiday; waiting for the new purchase order")
        self._add_field("Pause &until", "until", self.until)
        self._add_field("&Reason", "reason", self.reason)
        hint = muted(plain_label("No reminder goes out until then; you can resume them earlier."))
        self.form.addRow("", hint)

    @override
    def _task(self) -> tuple[TaskFn, str]:
        reason, customer_id, today = self.reason.text(), self._customer_id, self._today
        if not reason.strip():
            raise InputError("reason: say why the reminders pause")
        until = from_qdate(self.until.date())
        uow_factory = self._ctx.uow_factory

        def save(_: TaskContext) -> None:
            pause_reminders(uow_factory(), customer_id, until, reason, today=today)

        when = format_date(until, self._ctx.locale)
        return save, f"Reminders to {self._customer_name} paused until {when}"


class ReminderContactDialog(ActionDialog):
    """Choose which of a customer's contacts receives the reminders."""

    ok_text = "Send reminders here"
    progress_label = "Saving the reminder contact…"

    def __init__(
        self,
        ctx: ViewContext,
        customer_id: int,
        customer_name: str,
        contacts: Sequence[tuple[int, ContactView]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, "Reminder contact", customer_name, parent)
        self._customer_id, self._customer_name = customer_id, customer_name
        self.contacts = QListWidget()
        self.contacts.setAccessibleName("Contacts")
        for contact_id, contact in contacts:
            item = QListWidgetItem(contact_text(contact))
            item.setData(Qt.ItemDataRole.UserRole, contact_id)
            if not contact.email.strip():
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                item.setToolTip("No email address: add one on the Customers screen first")
            self.contacts.addItem(item)
            if contact.role == "reminders" or (self.contacts.currentRow() < 0 and contact.email):
                self.contacts.setCurrentItem(item)
        rows = max(min(len(contacts), 6), 2)
        _fit_rows(self.contacts, rows)
        self._add_field("&Send reminders to", "contact", self.contacts)
        if not contacts:
            self.form.addRow(
                "", muted(plain_label("No contacts yet: add one on the Customers screen first."))
            )
            self.ok_button.setEnabled(False)
        self.contacts.itemDoubleClicked.connect(lambda _: self.accept())

    @override
    def _task(self) -> tuple[TaskFn, str]:
        item = self.contacts.currentItem()
        contact_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if not isinstance(contact_id, int) or item is None:
            raise InputError("contact: choose the contact first")
        customer_id, who = self._customer_id, item.text()
        uow_factory = self._ctx.uow_factory

        def save(_: TaskContext) -> None:
            set_reminder_contact(uow_factory(), customer_id, contact_id)

        return save, f"Reminders to {self._customer_name} go to {who}"


class ReminderPolicyDialog(ActionDialog):
    """Choose a customer's reminder policy (or its segment's) and whether it gets any at all."""

    ok_text = "Save"
    progress_label = "Saving the reminder policy…"

    def __init__(
        self,
        ctx: ViewContext,
        customer_id: int,
        customer_name: str,
        choice: ReminderChoice,
        policies: Sequence[PolicyView],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, "Reminder policy", customer_name, parent)
        self._customer_id, self._customer_name = customer_id, customer_name
        self.policy = QComboBox()
        segment = (
            f"The segment's policy ({choice.segment})" if choice.segment else "The default policy"
        )
        self.policy.addItem(segment, None)
        self.policy.setItemData(
            0, "The policy of the customer's segment, as for the others in it", _TOOLTIP
        )
        for policy in policies:
            self.policy.addItem(policy.name, policy.id)
            days = ", ".join(f"{s.name} (day {s.offset_days})" for s in policy.steps)
            self.policy.setItemData(self.policy.count() - 1, days or "No steps yet", _TOOLTIP)
        self.policy.setCurrentIndex(max(self.policy.findData(choice.policy_id), 0))
        self.excluded = QCheckBox("&Exclude from automatic reminders")
        self.excluded.setChecked(choice.excluded)
        self._add_field("&Policy", "policy", self.policy)
        self._add_field("", "excluded", self.excluded)
        hint = muted(
            plain_label(
                "An excluded customer gets no reminder until you include them again; "
                "follow them up by hand. To stop reminders for a while, pause them instead."
            )
        )
        self.form.addRow("", hint)

    @override
    def _task(self) -> tuple[TaskFn, str]:
        chosen = self.policy.currentData()
        policy_id = chosen if isinstance(chosen, int) else None
        excluded, customer_id = self.excluded.isChecked(), self._customer_id
        uow_factory = self._ctx.uow_factory

        def save(_: TaskContext) -> None:
            set_customer_policy(uow_factory(), customer_id, policy_id)
            set_reminder_exclusion(uow_factory(), customer_id, excluded)

        name = self.policy.currentText()
        words = "the segment's policy" if policy_id is None else f"{name} policy"
        if excluded:
            words += ", excluded from automatic reminders"
        return save, f"Reminders to {self._customer_name}: {words}"


class OpenDisputeDialog(ActionDialog):
    """Record that a customer disputes some of its open invoices: why, and what would settle it."""

    ok_text = "Open dispute"
    progress_label = "Opening the dispute…"

    def __init__(
        self,
        ctx: ViewContext,
        customer_id: int,
        customer_name: str,
        open_invoices: Sequence[InvoiceRow],
        disputes: Sequence[DisputeView],
        users: Sequence[tuple[int, str]],
        owner_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, "Open dispute", customer_name, parent)
        self._customer_name = customer_name
        self._today = ctx.clock.today()
        disputed = {d.invoice_id for d in disputes}
        self.invoices = _invoice_checklist(open_invoices, ctx.locale, disputed)
        self.setMinimumWidth(520)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("The price differs from the quote")
        self.waiting_on = QLineEdit()
        self.waiting_on.setPlaceholderText("A credit note, proof of delivery (optional)")
        self.owner = QComboBox()
        fill_users(self.owner, users, owner_id, "Nobody yet")
        self._add_field("&Invoices", "invoices", self.invoices)
        self._add_field("&Reason", "reason", self.reason)
        self._add_field("&Waiting on", "waiting_on", self.waiting_on)
        self._add_field("&Looked after by", "owner", self.owner)
        if all(i.id in disputed for i in open_invoices):
            nothing = (
                "Every open invoice is disputed already."
                if open_invoices
                else ("Nothing open to dispute.")
            )
            self.form.addRow("", muted(plain_label(nothing)))
            self.ok_button.setEnabled(False)
        else:
            hint = "The disputed invoices get no reminders until the dispute is resolved."
            self.form.addRow("", muted(plain_label(hint)))

    @override
    def _task(self) -> tuple[TaskFn, str]:
        invoices = _checked(self.invoices)
        if not invoices:
            raise InputError("invoices: tick the invoices the customer disputes")
        reason, waiting_on = self.reason.text(), self.waiting_on.text()
        if not reason.strip():
            raise InputError("reason: say what the customer objects to")
        owner = self.owner.currentData()
        owner_id = owner if isinstance(owner, int) else None
        invoice_ids, today = [i.id for i in invoices], self._today
        uow_factory = self._ctx.uow_factory

        def save(_: TaskContext) -> list[int]:
            return open_disputes(uow_factory(), invoice_ids, reason, waiting_on, owner_id, on=today)

        numbers = ", ".join(i.number for i in invoices)
        return save, f"Dispute opened for {self._customer_name}: {numbers}"


class ResolveDisputeDialog(ActionDialog):
    """Close one of a customer's open disputes, saying how it was settled."""

    ok_text = "Resolve dispute"
    progress_label = "Resolving the dispute…"

    def __init__(
        self,
        ctx: ViewContext,
        customer_name: str,
        disputes: Sequence[DisputeView],
        selected_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, "Resolve dispute", customer_name, parent)
        self._today = ctx.clock.today()
        self.setMinimumWidth(520)
        self.disputes = QListWidget()
        self.disputes.setAccessibleName("Disputes")
        for dispute in disputes:
            item = QListWidgetItem(dispute_title(dispute, ctx.locale))
            item.setData(Qt.ItemDataRole.UserRole, dispute)
            item.setToolTip(dispute_reason(dispute))
            self.disputes.addItem(item)
        _fit_rows(self.disputes, max(min(len(disputes), 4), 2))
        self.reason = muted(plain_label())
        self.disputes.currentItemChanged.connect(self._on_disputes_current_item_changed)
        for row, dispute in enumerate(disputes):
            if dispute.id == selected_id or row == 0:
                self.disputes.setCurrentRow(row)
        self.resolution = _notes_edit("Credit note for the difference; the rest is due", lines=3)
        self._add_field("&Dispute", "dispute", self.disputes)
        self.form.addRow("", self.reason)
        self._add_field("&Resolution", "resolution", self.resolution)
        hint = "Its invoice is chased again if something is still open."
        self.form.addRow("", muted(plain_label(hint)))
        self.resolution.setFocus()

    def _on_disputes_current_item_changed(self, item: QListWidgetItem | None) -> None:
        """Under the list, what the chosen dispute is about."""
        dispute = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        self.reason.setText(dispute_reason(dispute) if isinstance(dispute, DisputeView) else "")

    @override
    def _task(self) -> tuple[TaskFn, str]:
        item = self.disputes.currentItem()
        dispute = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if not isinstance(dispute, DisputeView):
            raise InputError("dispute: choose the dispute first")
        resolution, today = self.resolution.toPlainText(), self._today
        if not resolution.strip():
            raise InputError("resolution: say how the dispute was settled")
        uow_factory, dispute_id = self._ctx.uow_factory, dispute.id

        def save(_: TaskContext) -> None:
            resolve_dispute(uow_factory(), dispute_id, resolution, on=today)

        return save, f"Dispute of {dispute.invoice_number} resolved"


def dispute_title(dispute: DisputeView, locale: str) -> str:
    """Which invoice a dispute is about and since when: "INV-7 · since Nov 3, 2026"."""
    return f"{dispute.invoice_number} · since {format_date(dispute.opened_on, locale)}"


def dispute_reason(dispute: DisputeView) -> str:
    """What a dispute is about: "Price differs · waiting on a credit note"."""
    waiting = f" · waiting on {dispute.waiting_on}" if dispute.waiting_on else ""
    return f"{dispute.reason}{waiting}"


def contact_text(contact: ContactView) -> str:
    """A contact as a chooser shows it: "Ana Berg <ap@acme.example> (billing)"."""
    name = contact.name or contact.email
    email = f" <{contact.email}>" if contact.name and contact.email else ""
    role = f" ({contact.role})" if contact.role else ""
    return f"{name}{email}{role}"
