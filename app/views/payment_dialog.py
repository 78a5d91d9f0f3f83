"""Record a payment against one invoice: amount, date received, reference."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from app.services.dto import InvoiceRow
from app.services.invoice_preview import Money, to_money
from app.views import ask
from app.views.inputs import (
    DateEdit,
    InputError,
    decimal_text,
    from_qdate,
    parse_decimal,
    to_qdate,
    use_medium_dates,
)
from app.views.style import error_label, money_text, show_form_error

METHODS = ("bank transfer", "card", "cash", "cheque", "direct debit", "other")


@dataclass(frozen=True)
class PaymentInput:
    """What the payment dialog collected."""

    amount: Money
    received_on: date
    reference: str
    method: str


class RecordPaymentDialog(QDialog):
    """Asks how much was received for an invoice; :meth:`payment` holds the answer."""

    #: Accepted with a valid amount: the :class:`PaymentInput`.
    payment_entered = Signal(object)

    def __init__(
        self, invoice: InvoiceRow, today: date, locale: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Record payment for {invoice.number}")
        self._invoice = invoice
        self._locale = locale
        self._qlocale = QLocale(locale)
        self._payment: PaymentInput | None = None
        self.amount = QLineEdit(decimal_text(invoice.open_amount.amount, self._qlocale))
        self.amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.received_on = DateEdit(to_qdate(today))
        self.received_on.setCalendarPopup(True)
        use_medium_dates(self.received_on, locale)
        self.reference = QLineEdit()
        self.reference.setPlaceholderText("As on the bank statement; shown with the invoice")
        self._method = QComboBox()
        self._method.addItems(list(METHODS))
        self.error = error_label()
        self.reference.setMinimumWidth(240)

        customer = QLabel(invoice.customer_name)
        customer.setTextFormat(Qt.TextFormat.PlainText)
        form = QFormLayout()
        form.addRow("Customer", customer)
        form.addRow("Open amount", QLabel(money_text(invoice.open_amount, locale)))
        form.addRow(f"&Amount received ({invoice.open_amount.currency})", self.amount)
        form.addRow("Received &on", self.received_on)
        form.addRow("&Reference", self.reference)
        form.addRow("&Method", self._method)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Record payment")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def payment(self) -> PaymentInput | None:
        """The payment entered, once accepted."""
        return self._payment

    @override
    def accept(self) -> None:
        open_amount = self._invoice.open_amount
        try:
            typed = parse_decimal(self.amount.text(), self._qlocale, what="amount received")
            amount = to_money(typed, open_amount.currency, what="amount received")
        except InputError as exc:
            self._show_error(str(exc))
            return
        if amount.minor <= 0:
            self._show_error("The amount received must be above zero.")
            return
        if amount > open_amount and not ask.confirm(
            self,
            "More than is open",
            f"{self._invoice.number} has {money_text(open_amount, self._locale)} open. "
            f"{money_text(amount - open_amount, self._locale)} will stay on the customer's "
            "account as unapplied cash. Record it?",
            "Record payment",
        ):
            return
        self._payment = PaymentInput(
            amount=amount,
            received_on=from_qdate(self.received_on.date()),
            reference=self.reference.text().strip(),
            method=self._method.currentText(),
        )
        self.payment_entered.emit(self._payment)
        super().accept()

    def _show_error(self, text: str) -> None:
        show_form_error(self.error, text)
        self.amount.setFocus()
        self.amount.selectAll()
