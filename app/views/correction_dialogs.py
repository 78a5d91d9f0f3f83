"""Correcting an invoice: voiding it with a reason, or crediting all or part of it.

Both dialogs are opened with ``open()`` (never ``exec()``), check what was typed before they
close, and show the service's refusals beside the form in plain words.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QLocale, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from app.services.dto import DraftLine, InvoiceDetail
from app.services.invoice_preview import (
    CreditNoteOfInvoice,
    Money,
    preview_totals,
    to_money,
)
from app.services.invoicing import create_credit_note, void_invoice
from app.services.money_format import format_percent
from app.services.settings import TaxRateView
from app.services.tasks import TaskContext
from app.views.context import ViewContext
from app.views.inputs import InputError, parse_decimal
from app.views.style import (
    error_label,
    fit_window,
    heading,
    money_text,
    muted,
    plain_label,
    show_form_error,
)
from app.views.workers import describe_error


class VoidDialog(QDialog):
    """Asks why an invoice (or a draft) is voided; an empty reason keeps it open."""

    #: Voided: the invoice's id and a status message ("Voided INV-2026-00042").
    voided = Signal(int, str)

    def __init__(
        self,
        ctx: ViewContext,
        invoice_id: int,
        number: str,
        customer_name: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._invoice_id = invoice_id
        draft = not number
        self.label = f"the draft for {customer_name}" if draft else number
        self.setWindowTitle("Void draft" if draft else f"Void {number}")
        if draft:
            what = (
                f"Void the draft invoice for {customer_name}? It was never numbered; it stays "
                "in the list as void, so nothing is deleted."
            )
        else:
            what = (
                f"Void invoice {number} for {customer_name}? Its number stays used and the "
                "invoice stays in the list as void; nothing is deleted."
            )
        self.text = plain_label(what)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("For example: sent to the wrong customer")
        self.error = error_label()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Void")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Why?", self.reason)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        fit_window(self, 460)

    @override
    def accept(self) -> None:
        reason = self.reason.text().strip()
        if not reason:
            show_form_error(self.error, "Say why it is voided; the reason is kept with it.")
            self.reason.setFocus()
            return
        uow_factory, invoice_id = self._ctx.uow_factory, self._invoice_id

        def void(_: TaskContext) -> None:
            void_invoice(uow_factory(), invoice_id, reason)

        self._ctx.runner.run(
            void,
            progress_label="Voiding…",
            parent=self,
            on_success=lambda _: self._on_voided(),
            on_failure=lambda exc: show_form_error(self.error, describe_error(exc)),
        )

    def _on_voided(self) -> None:
        self.voided.emit(self._invoice_id, f"Voided {self.label}")
        super().accept()


class CreditNoteDialog(QDialog):
    """Credits a whole invoice, or a part: a net amount at a tax rate, with a reason."""

    #: Issued: the credit note's id and number.
    credit_note_issued = Signal(int, str)

    def __init__(
        self,
        ctx: ViewContext,
        invoice: InvoiceDetail,
        credited: tuple[CreditNoteOfInvoice, ...],
        rates: list[TaxRateView],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._invoice = invoice
        self._qlocale = QLocale(ctx.locale)
        already = sum((n.total for n in credited), Money(0, invoice.currency))
        self.left = invoice.total - already
        self.setWindowTitle(f"Credit note for {invoice.number}")
        self._build_fields(rates)
        self._build_layout(credited, bool(already))
        self.whole.toggled.connect(self._on_choice_toggled)
        self.amount.textChanged.connect(self._on_input_changed)
        self.tax_rate.currentIndexChanged.connect(self._on_input_changed)
        self.amount.textEdited.connect(self._on_amount_text_edited)
        self._on_choice_toggled()
        fit_window(self, 560)

    def _build_fields(self, rates: list[TaxRateView]) -> None:
        invoice, loc = self._invoice, self._ctx.locale
        self.whole = QRadioButton(f"&Whole invoice: {money_text(invoice.total, loc)}")
        self.part = QRadioButton("&Part of it:")
        choice = QButtonGroup(self)
        choice.addButton(self.whole)
        choice.addButton(self.part)
        self.amount = QLineEdit()
        self.amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.amount.setPlaceholderText("Net amount")
        self.tax_rate = QComboBox()
        invoice_rates = [line.tax_rate_percent for line in invoice.lines]
        offered = list(dict.fromkeys([*invoice_rates, *(r.percent for r in rates)]))
        names = {r.percent: r.name for r in rates}
        for percent in offered:
            name = names.get(percent)
            text = format_percent(percent, loc)
            self.tax_rate.addItem(f"{name} ({text})" if name else text, str(percent))
        self.reason = QLineEdit(f"Credit for invoice {invoice.number}")
        self.preview = muted(QLabel())
        self.error = error_label()

    def _build_layout(self, credited: tuple[CreditNoteOfInvoice, ...], partly: bool) -> None:
        invoice, loc = self._invoice, self._ctx.locale
        intro = plain_label(
            f"Invoice {invoice.number} for {invoice.customer_name}: "
            f"{money_text(invoice.total, loc)}, open {money_text(invoice.open_amount, loc)}."
        )
        notes = [f"{n.number} ({money_text(n.total, loc)})" for n in credited if n.number]
        already_label = muted(
            plain_label(
                f"Already credited: {', '.join(notes)}. Left to credit: "
                f"{money_text(self.left, loc)}."
                if notes
                else "Nothing credited yet."
            )
        )
        part_row = QHBoxLayout()
        part_row.addWidget(self.part)
        part_row.addWidget(self.amount, 1)
        part_row.addWidget(QLabel("net at"))
        part_row.addWidget(self.tax_rate)
        form = QFormLayout()
        form.addRow("&Reason", self.reason)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Issue credit note")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(f"Credit note for {invoice.number}", size_delta=2))
        layout.addWidget(intro)
        layout.addWidget(already_label)
        layout.addSpacing(6)
        layout.addWidget(self.whole)
        layout.addLayout(part_row)
        layout.addLayout(form)
        layout.addWidget(self.preview)
        layout.addWidget(
            muted(
                plain_label(
                    "Whatever the credit note gives back beyond what is open stays on the "
                    "customer's account as credit."
                )
            )
        )
        layout.addWidget(self.error)
        layout.addWidget(buttons)

        if partly:
            self.whole.setEnabled(False)
            self.whole.setToolTip("Part of the invoice was credited already; credit the rest")
            self.part.setChecked(True)
        else:
            self.whole.setChecked(True)

    def _rate(self) -> Decimal:
        return Decimal(str(self.tax_rate.currentData() or "0"))

    def _part_line(self) -> DraftLine:
        """The part credited as one line.

        Raises:
            InputError: the amount is not a number, not above zero, or has too many decimals.
        """
        text = self.amount.text()
        net = parse_decimal(text, self._qlocale, what="amount to credit")
        net = to_money(net, self._invoice.currency, what="amount to credit").amount
        if net <= 0:
            raise InputError("the amount to credit must be above zero")
        reason = self.reason.text().strip() or f"Credit for invoice {self._invoice.number}"
        return DraftLine(reason, Decimal(1), net, self._rate())

    @Slot()
    def _on_choice_toggled(self) -> None:
        part = self.part.isChecked()
        self.amount.setEnabled(part)
        self.tax_rate.setEnabled(part)
        if part:
            self.amount.setFocus()
        self._on_input_changed()

    @Slot()
    def _on_amount_text_edited(self) -> None:
        if not self.part.isChecked():
            self.part.setChecked(True)

    @Slot()
    def _on_input_changed(self) -> None:
        show_form_error(self.error, "")
        loc = self._ctx.locale
        if self.whole.isChecked():
            self.preview.setText(
                f"The credit note gives back {money_text(self._invoice.total, loc)}."
            )
            return
        try:
            line = self._part_line()
        except InputError:
            self.preview.setText("")
            return
        total = preview_totals([line], self._invoice.currency).total
        self.preview.setText(f"The credit note gives back {money_text(total, loc)} with tax.")

    @override
    def accept(self) -> None:
        invoice = self._invoice
        lines: list[DraftLine] | None = None
        if self.part.isChecked():
            try:
                line = self._part_line()
            except InputError as exc:
                show_form_error(self.error, str(exc))
                self.amount.setFocus()
                return
            if not self.reason.text().strip():
                show_form_error(self.error, "Write the reason; it is printed on the credit note.")
                self.reason.setFocus()
                return
            total = preview_totals([line], invoice.currency).total
            if total > self.left:
                loc = self._ctx.locale
                show_form_error(
                    self.error,
                    f"That is {money_text(total, loc)} with tax, more than is left to credit on "
                    f"{invoice.number} ({money_text(self.left, loc)}). Credit less.",
                )
                self.amount.setFocus()
                return
            lines = [line]
        reason = self.reason.text().strip()
        uow_factory, clock, invoice_id = self._ctx.uow_factory, self._ctx.clock, invoice.id

        def credit(_: TaskContext) -> tuple[int, str]:
            return create_credit_note(uow_factory(), invoice_id, clock, reason, lines)

        self._ctx.runner.run(
            credit,
            progress_label="Issuing the credit note…",
            parent=self,
            on_success=self._on_issued,
            on_failure=self._on_failed,
        )

    def _on_issued(self, result: tuple[int, str]) -> None:
        note_id, number = result
        self.credit_note_issued.emit(int(note_id), str(number))
        super().accept()

    def _on_failed(self, exc: Exception) -> None:
        message = describe_error(exc)
        if "exceeds what is left to credit" in message:
            message = (
                f"That is more than is left to credit on {self._invoice.number} "
                f"({money_text(self.left, self._ctx.locale)}). Credit less."
            )
        show_form_error(self.error, message)
