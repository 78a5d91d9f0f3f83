"""Record a payment against one invoice: amount, date received, reference."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from app.models.money import Money, to_minor
from app.services.dto import InvoiceRow
from app.views.inputs import InputError, decimal_text, from_qdate, parse_decimal, to_qdate
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
        self._payment: PaymentInput | None = None
        self._amount = QLineEdit(decimal_text(invoice.open_amount.amount))
        self._amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        self._date = QDateEdit(to_qdate(today))
        self._date.setCalendarPopup(True)
        self._reference = QLineEdit()
        self._reference.setPlaceholderText("As on the bank statement")
        self._method = QComboBox()
        self._method.addItems(list(METHODS))
        self._error = error_label()

        form = QFormLayout()
        form.addRow("Customer", QLabel(invoice.customer_name))
        form.addRow("Open amount", QLabel(money_text(invoice.open_amount, locale)))
        form.addRow(f"Amount received ({invoice.open_amount.currency})", self._amount)
        form.addRow("Received on", self._date)
        form.addRow("Reference", self._reference)
        form.addRow("Method", self._method)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Record payment")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self._error)
        layout.addWidget(buttons)

    def payment(self) -> PaymentInput | None:
        """The payment entered, once accepted."""
        return self._payment

    @override
    def accept(self) -> None:
        currency = self._invoice.open_amount.currency
        try:
            amount = parse_decimal(self._amount.text(), what="amount received")
        except InputError as exc:
            self._show_error(str(exc))
            return
        if amount <= 0:
            self._show_error("The amount received must be above zero.")
            return
        self._payment = PaymentInput(
            amount=Money(to_minor(amount, currency), currency),
            received_on=from_qdate(self._date.date()),
            reference=self._reference.text().strip(),
            method=self._method.currentText(),
        )
        self.payment_entered.emit(self._payment)
        super().accept()

    def _show_error(self, text: str) -> None:
        show_form_error(self._error, text)
        self._amount.setFocus()
