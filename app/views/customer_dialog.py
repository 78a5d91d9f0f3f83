"""New and edit customer: every field of ``CustomerInput``, contacts with their roles."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import QLocale, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from app.services.customers import CustomerInput, get_customer, list_users, save_customer
from app.services.dto import ContactView, CustomerDetail
from app.services.invoice_preview import CONTACT_ROLES, next_customer_code
from app.services.settings import load_settings
from app.services.tasks import TaskContext
from app.views.context import ViewContext
from app.views.inputs import InputError, decimal_text, parse_decimal
from app.views.style import error_label, heading, show_form_error


@dataclass(frozen=True)
class _Loaded:
    """What the form reads before it is filled."""

    users: list[tuple[int, str]]
    detail: CustomerDetail | None
    next_code: str
    country: str
    currency: str
    terms: int


ROLE_TEXT = {
    "billing": "Billing (gets invoices)",
    "reminders": "Reminders",
    "accounts_payable": "Accounts payable",
    "other": "Other",
}


class CustomerDialog(QDialog):
    """Create a customer (``customer_id`` None) or edit one."""

    #: Saved: the customer's id and a status message.
    customer_saved = Signal(int, str)

    def __init__(
        self, ctx: ViewContext, customer_id: int | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._qlocale = QLocale(ctx.locale)
        self.customer_id = customer_id
        self.setWindowTitle("New customer" if customer_id is None else "Edit customer")
        self.setObjectName("CustomerDialog")
        self.resize(860, 640)
        self.setSizeGripEnabled(True)
        self._build()
        self._load()

    def _build(self) -> None:
        self._build_fields()

        top = self._top_layout()

        contacts_box = self._contacts_box()

        payer = self._payer_box()

        self.error = error_label()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(heading("New customer" if self.customer_id is None else "Edit customer"))
        layout.addLayout(top)
        layout.addWidget(contacts_box, 1)
        layout.addWidget(payer)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.add_contact_button.clicked.connect(self._on_add_contact_button_clicked)
        self.remove_contact_button.clicked.connect(self._on_remove_contact_button_clicked)
        self._fields: dict[str, QWidget] = {
            "customer_id": self.code,
            "name": self.name,
            "currency": self.currency,
            "payment_terms_days": self.terms,
            "iban": self.ibans,
            "email": self.contacts,
            "contact role": self.contacts,
            "credit_limit": self.credit_limit,
        }

    # -- loading -----------------------------------------------------------------------------

    def _build_fields(self) -> None:
        self.code = QLineEdit()
        self.code.setPlaceholderText("The id in your accounting system, e.g. C1042")
        self.code.setToolTip("Suggested: the next free number; type the id you use elsewhere")
        self.name = QLineEdit()
        self.currency = QLineEdit("EUR")
        self.currency.setMaxLength(3)
        self.currency.setMaximumWidth(70)
        self.terms = QSpinBox()
        self.terms.setRange(0, 365)
        self.terms.setValue(30)
        self.terms.setSuffix(" days")
        self.phone = QLineEdit()
        self.address = QPlainTextEdit()
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(70)
        self.country = QLineEdit()
        self.country.setMaxLength(2)
        self.country.setMaximumWidth(80)
        self.country.setPlaceholderText("e.g. DE")
        self.country.setToolTip("Two letters (ISO 3166), such as DE, AT, FR or GB")
        self.language = QLineEdit()
        self.language.setMaximumWidth(80)
        self.language.setPlaceholderText("e.g. de")
        self.language.setToolTip("The language of their invoices and reminders: de, en, fr-CH")
        self.segment = QLineEdit()
        self.vat_id = QLineEdit()
        self.credit_limit = QLineEdit()
        self.credit_limit.setPlaceholderText("No limit")
        self.credit_limit.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.owner = QComboBox()
        self.owner.addItem("Nobody", None)

    def _top_layout(self) -> QGridLayout:
        account = QFormLayout()
        account.addRow("Customer &ID", self.code)
        account.addRow("&Name", self.name)
        account.addRow("&Address", self.address)
        account.addRow("C&ountry", self.country)
        account.addRow("&Phone", self.phone)
        account.addRow("&VAT number", self.vat_id)
        terms = QFormLayout()
        terms.addRow("C&urrency", self.currency)
        terms.addRow("Payment &terms", self.terms)
        terms.addRow("&Language", self.language)
        terms.addRow("&Segment", self.segment)
        terms.addRow("Credit &limit", self.credit_limit)
        terms.addRow("O&wner", self.owner)
        top = QGridLayout()
        top.addLayout(account, 0, 0)
        top.addLayout(terms, 0, 1)
        top.setColumnStretch(0, 3)
        top.setColumnStretch(1, 2)
        return top

    def _contacts_box(self) -> QGroupBox:
        self.contacts = QTableWidget(0, 4)
        self.contacts.setObjectName("Contacts")
        self.contacts.setHorizontalHeaderLabels(["Name", "Email", "Phone", "Role"])
        self.contacts.verticalHeader().hide()
        self.contacts.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        head = self.contacts.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        head.resizeSection(2, 130)
        head.resizeSection(3, 190)
        self.add_contact_button = QPushButton("Add contact")
        self.remove_contact_button = QPushButton("Remove contact")
        self.invoices_by_email = QCheckBox("Send invoices by e&mail")
        self.invoices_by_email.setObjectName("InvoicesByEmail")
        self.invoices_by_email.setToolTip(
            "Recurring invoices are emailed with their PDF to the billing contact as they are "
            "issued"
        )
        contact_buttons = QHBoxLayout()
        contact_buttons.addWidget(self.add_contact_button)
        contact_buttons.addWidget(self.remove_contact_button)
        contact_buttons.addStretch(1)
        contact_buttons.addWidget(self.invoices_by_email)
        contacts_box = QGroupBox("Contacts")
        contacts_layout = QVBoxLayout(contacts_box)
        contacts_layout.addWidget(self.contacts)
        contacts_layout.addLayout(contact_buttons)
        return contacts_box

    def _payer_box(self) -> QGroupBox:
        self.ibans = QPlainTextEdit()
        self.ibans.setTabChangesFocus(True)
        self.ibans.setPlaceholderText("One IBAN per line")
        self.aliases = QPlainTextEdit()
        self.aliases.setTabChangesFocus(True)
        self.aliases.setPlaceholderText("One name per line: a parent company, a trading name")
        payer = QGroupBox("How they pay")
        payer_layout = QFormLayout(payer)
        payer_layout.addRow("Bank accounts (IBAN)", self.ibans)
        payer_layout.addRow("Also pays as", self.aliases)
        return payer

    def _load(self) -> None:
        uow_factory, customer_id, today = (
            self._ctx.uow_factory,
            self.customer_id,
            self._ctx.clock.today(),
        )

        def read(_: TaskContext) -> _Loaded:
            uow = uow_factory()
            detail = get_customer(uow, customer_id, today) if customer_id is not None else None
            company = load_settings(uow) if detail is None else {}
            terms = company.get("invoice.payment_terms_days", "")
            return _Loaded(
                users=list_users(uow),
                detail=detail,
                next_code=next_customer_code(uow) if detail is None else "",
                country=company.get("company.country", ""),
                currency=company.get("company.currency", ""),
                terms=int(terms) if terms.isdigit() else 30,
            )

        self._ctx.runner.fetch(read, self._on_loaded, lambda e: show_form_error(self.error, str(e)))

    def _on_loaded(self, loaded: _Loaded) -> None:
        detail = loaded.detail
        for user_id, name in loaded.users:
            self.owner.addItem(name, user_id)
        if detail is None:
            # a new customer starts with the company's own defaults, really filled in
            self.code.setText(loaded.next_code)
            self.country.setText(loaded.country)
            if loaded.currency:
                self.currency.setText(loaded.currency)
            self.terms.setValue(loaded.terms)
            self.add_contact(ContactView("", "", "", "billing"))
            self.name.setFocus()
            return
        self.code.setText(detail.code)
        self.name.setText(detail.name)
        self.currency.setText(detail.currency)
        self.terms.setValue(detail.payment_terms_days)
        self.phone.setText(detail.phone)
        self.address.setPlainText(detail.address)
        self.country.setText(detail.country)
        self.language.setText(detail.language)
        self.segment.setText(detail.segment)
        self.vat_id.setText(detail.vat_id)
        if detail.credit_limit is not None:
            self.credit_limit.setText(decimal_text(detail.credit_limit.amount, self._qlocale))
        owner = self.owner.findText(detail.owner) if detail.owner else 0
        self.owner.setCurrentIndex(max(owner, 0))
        for contact in detail.contacts:
            self.add_contact(contact)
        self.ibans.setPlainText("\n".join(detail.ibans))
        self.aliases.setPlainText("\n".join(detail.aliases))
        self.invoices_by_email.setChecked(detail.invoices_by_email)
        self.name.setFocus()

    def add_contact(self, contact: ContactView) -> int:
        """Append a contact row and return its index."""
        row = self.contacts.rowCount()
        self.contacts.insertRow(row)
        for column, text in enumerate((contact.name, contact.email, contact.phone)):
            self.contacts.setItem(row, column, QTableWidgetItem(text))
        role = QComboBox()
        role.setFrame(False)
        for key in CONTACT_ROLES:
            role.addItem(ROLE_TEXT.get(key, key), key)
        role.setCurrentIndex(max(role.findData(contact.role), 0))
        self.contacts.setCellWidget(row, 3, role)
        return row

    # -- reading and saving ------------------------------------------------------------------

    def customer_input(self) -> CustomerInput:
        """The form as a ``CustomerInput``.

        Raises:
            InputError: the credit limit is not a number.
        """
        limit_text = self.credit_limit.text().strip()
        limit: Decimal | None = (
            parse_decimal(limit_text, self._qlocale, what="credit limit") if limit_text else None
        )
        owner = self.owner.currentData()
        return CustomerInput(
            code=self.code.text().strip(),
            name=self.name.text().strip(),
            currency=self.currency.text().strip().upper(),
            payment_terms_days=self.terms.value(),
            phone=self.phone.text(),
            address=self.address.toPlainText(),
            country=self.country.text(),
            language=self.language.text(),
            segment=self.segment.text(),
            vat_id=self.vat_id.text(),
            credit_limit=limit,
            owner_id=owner if isinstance(owner, int) else None,
            contacts=tuple(self._contacts()),
            ibans=tuple(t.strip() for t in self.ibans.toPlainText().splitlines() if t.strip()),
            aliases=tuple(t.strip() for t in self.aliases.toPlainText().splitlines() if t.strip()),
            invoices_by_email=self.invoices_by_email.isChecked(),
        )

    def _contacts(self) -> list[ContactView]:
        contacts: list[ContactView] = []
        for row in range(self.contacts.rowCount()):
            cells = [self.contacts.item(row, c) for c in range(3)]
            name, email, phone = (c.text().strip() if c is not None else "" for c in cells)
            role = self.contacts.cellWidget(row, 3)
            role_key = role.currentData() if isinstance(role, QComboBox) else "billing"
            if name or email or phone:
                contacts.append(ContactView(name, email, phone, str(role_key)))
        return contacts

    @override
    def accept(self) -> None:
        try:
            data = self.customer_input()
        except InputError as exc:
            self.show_error(f"credit_limit: {exc}")
            return
        uow_factory, customer_id = self._ctx.uow_factory, self.customer_id

        def save(_: TaskContext) -> int:
            return save_customer(uow_factory(), data, customer_id)

        self._ctx.runner.run(
            save,
            progress_label="Saving the customer…",
            parent=self,
            on_success=lambda new_id: self._on_saved(int(new_id), data.name),
            on_failure=lambda exc: self.show_error(str(exc)),
        )

    def _on_saved(self, customer_id: int, name: str) -> None:
        verb = "Added" if self.customer_id is None else "Saved"
        self.customer_id = customer_id
        self.customer_saved.emit(customer_id, f"{verb} customer {name}")
        super().accept()

    def show_error(self, message: str) -> None:
        """Show a service error beside the form and put the cursor in the field it names."""
        field, _, text = message.partition(": ")
        widget = self._fields.get(field.strip()) if text else None
        show_form_error(self.error, _plain(field.strip(), text) if widget else message)
        if widget is not None:
            widget.setFocus()

    @Slot()
    def _on_add_contact_button_clicked(self) -> None:
        row = self.add_contact(ContactView("", "", "", "billing"))
        self.contacts.setCurrentCell(row, 0)
        cell = self.contacts.item(row, 0)
        if cell is not None:
            self.contacts.editItem(cell)

    @Slot()
    def _on_remove_contact_button_clicked(self) -> None:
        row = self.contacts.currentRow()
        if row >= 0:
            self.contacts.removeRow(row)


_FIELD_NAMES = {
    "customer_id": "Customer ID",
    "name": "Name",
    "currency": "Currency",
    "payment_terms_days": "Payment terms",
    "iban": "Bank accounts",
    "email": "Contact email",
    "contact role": "Contact role",
    "credit_limit": "Credit limit",
}


def _plain(field: str, text: str) -> str:
    """``"iban: not an IBAN: 'x'"`` as ``"Bank accounts: not an IBAN: 'x'"``."""
    return f"{_FIELD_NAMES.get(field, field)}: {text}"
