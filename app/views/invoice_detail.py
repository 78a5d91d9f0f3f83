"""The pane beside the invoice list: one invoice's lines, totals, payments, credit notes, status."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPoint, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.dto import InvoiceDetail
from app.services.invoice_preview import (
    CreditNoteOfInvoice,
    InvoiceKind,
    InvoicePayment,
    InvoiceStatus,
)
from app.services.money_format import format_date, format_percent, format_quantity
from app.views.style import (
    STATUS_TEXT,
    WrappingDelegate,
    fit_height,
    heading,
    money_text,
    muted,
    plain_label,
    status_marker,
    warm_colour,
)

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_OPEN_STATES = {InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OVERDUE}
#: The item data role holding a payment row's :class:`InvoicePayment`.
PAYMENT_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class InvoiceShown:
    """Everything the pane shows of one invoice, read together in one task."""

    detail: InvoiceDetail
    payments: tuple[InvoicePayment, ...] = ()
    credit_notes: tuple[CreditNoteOfInvoice, ...] = ()


class InvoiceDetailPane(QScrollArea):
    """Shows one invoice, or a hint when nothing is selected."""

    #: "Undo payment" was chosen for a payment: the :class:`InvoicePayment`.
    undo_payment_requested = Signal(object)

    def __init__(self, locale: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._locale = locale
        self.shown: InvoiceShown | None = None
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumWidth(300)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._build_header()
        self._build_tables()
        self._build_layout()
        self.payments.itemSelectionChanged.connect(self._on_payments_item_selection_changed)
        self.payments.customContextMenuRequested.connect(
            self._on_payments_custom_context_menu_requested
        )
        self.undo_payment_button.clicked.connect(self._on_undo_payment_button_clicked)
        self.show_invoice(None)

    def _build_header(self) -> None:
        self._title = heading("")
        self._status = QLabel()
        self._status.setTextFormat(Qt.TextFormat.PlainText)
        self._status.setWordWrap(True)
        self._marker = QLabel()
        self._marker.setFixedWidth(14)
        self._hint = muted(QLabel("Select an invoice to see its lines and payments."))
        self._hint.setWordWrap(True)
        self._form = QFormLayout()
        self._form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self._customer = plain_label(selectable=True)
        self._issued = plain_label(selectable=True)
        self._due = plain_label(selectable=True)
        self._reference = plain_label(selectable=True)
        self._form.addRow("Customer", self._customer)
        self._form.addRow("Issued", self._issued)
        self._form.addRow("Due", self._due)
        self._form.addRow("PO / description", self._reference)

    def _build_tables(self) -> None:
        self._lines_title = heading("Lines", size_delta=0)
        self._lines = _small_tree(["Description", "Qty", "Unit price", "Tax", "Net"])
        self._lines.setItemDelegate(WrappingDelegate(self._lines))
        self._totals = QFormLayout()
        self._totals.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self._payments_title = heading("Payments", size_delta=0)
        self.payments = _small_tree(["Received", "Reference", "Amount"], stretch=1)
        self.payments.setObjectName("InvoicePayments")
        self.payments.setSelectionMode(QTreeWidget.SelectionMode.SingleSelection)
        self.payments.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.payments.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.undo_payment_button = QPushButton("&Undo payment…")
        self.undo_payment_button.setToolTip(
            "Take the selected payment back: the invoice is open again for its amount"
        )
        self.undo_payment_button.setEnabled(False)
        self._credit_notes_title = heading("Credit notes", size_delta=0)
        self.credit_notes = _small_tree(
            ["Credit note", "Date", "Amount", "Settled here"], stretch=1
        )
        self.credit_notes.setObjectName("InvoiceCreditNotes")

    def _build_layout(self) -> None:
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(8)
        status_row = QHBoxLayout()
        status_row.setSpacing(4)
        status_row.addWidget(self._marker, 0, Qt.AlignmentFlag.AlignTop)
        status_row.addWidget(self._status, 1)
        undo_row = QHBoxLayout()
        undo_row.addStretch(1)
        undo_row.addWidget(self.undo_payment_button)
        layout.addWidget(self._title)
        layout.addLayout(status_row)
        layout.addWidget(self._hint)
        layout.addLayout(self._form)
        layout.addWidget(self._lines_title)
        layout.addWidget(self._lines)
        layout.addLayout(self._totals)
        layout.addWidget(self._payments_title)
        layout.addWidget(self.payments)
        layout.addLayout(undo_row)
        layout.addWidget(self._credit_notes_title)
        layout.addWidget(self.credit_notes)
        layout.addStretch(1)
        self.setWidget(body)

    def show_invoice(self, shown: InvoiceShown | InvoiceDetail | None) -> None:
        """Show an invoice (with its payments and credit notes), or the hint when ``None``."""
        if isinstance(shown, InvoiceDetail):
            shown = InvoiceShown(shown)
        self.shown = shown
        invoice = shown.detail if shown is not None else None
        header: list[QWidget] = [
            self._title,
            self._status,
            self._marker,
            self._lines,
            self._lines_title,
        ]
        for widget in header:
            widget.setVisible(invoice is not None)
        self._hint.setVisible(invoice is None)
        for row in range(self._form.rowCount()):
            for role in (QFormLayout.ItemRole.LabelRole, QFormLayout.ItemRole.FieldRole):
                layout_item = self._form.itemAt(row, role)
                field = layout_item.widget() if layout_item is not None else None
                if field is not None:
                    field.setVisible(invoice is not None)
        _clear_form(self._totals)
        self._lines.clear()
        self.payments.clear()
        self.credit_notes.clear()
        credit = invoice is not None and invoice.kind == InvoiceKind.CREDIT_NOTE
        receivable = invoice is not None and not credit and invoice.state == "issued"
        has_notes = receivable and shown is not None and bool(shown.credit_notes)
        payments: list[QWidget] = [self._payments_title, self.payments, self.undo_payment_button]
        for part in payments:
            part.setVisible(receivable)
        self._credit_notes_title.setVisible(has_notes)
        self.credit_notes.setVisible(has_notes)
        if shown is None or invoice is None:
            return
        self._show_header(invoice, credit)
        self._show_lines(invoice)
        self._show_totals(invoice, credit)
        if receivable:
            self._show_payments(shown)
        if has_notes:
            self._show_credit_notes(shown)
        self._on_payments_item_selection_changed()

    def _show_header(self, invoice: InvoiceDetail, credit: bool) -> None:
        loc = self._locale
        kind = "Credit note" if credit else "Invoice"
        self._title.setText(
            f"{kind} {invoice.number}" if invoice.number else f"Draft {kind.lower()}"
        )
        status_key = (
            InvoiceStatus.CREDIT_NOTE
            if credit and invoice.status != InvoiceStatus.VOID
            else invoice.status
        )
        status = STATUS_TEXT[status_key]
        if not credit and invoice.status in _OPEN_STATES:
            status = f"{status} · open {money_text(invoice.open_amount, loc)}"
        if invoice.credited_invoice_number:
            status += f" · credits {invoice.credited_invoice_number}"
        if invoice.void_reason:
            status += f" · voided: {invoice.void_reason}"
        self._status.setText(status)
        self._marker.setPixmap(status_marker(status_key).pixmap(12, 12))
        self._customer.setText(f"{invoice.customer_name} ({invoice.customer_code})")
        self._issued.setText(format_date(invoice.issue_date, loc))
        self._due.setText("—" if credit else format_date(invoice.due_date, loc))
        palette = self._due.palette()
        if invoice.status == InvoiceStatus.OVERDUE and not credit:
            palette.setColor(self._due.foregroundRole(), warm_colour())
        else:
            palette = self.palette()
        self._due.setPalette(palette)
        self._reference.setText(
            " · ".join(x for x in (invoice.po_number, invoice.description) if x) or "—"
        )

    def _show_lines(self, invoice: InvoiceDetail) -> None:
        loc = self._locale
        for line in invoice.lines:
            tree_item = QTreeWidgetItem(
                [
                    line.description,
                    format_quantity(line.quantity, loc),
                    money_text(line.unit_price, loc),
                    format_percent(line.tax_rate_percent, loc),
                    money_text(line.net, loc),
                ]
            )
            tree_item.setToolTip(0, line.description)
            for column in range(1, 5):
                tree_item.setTextAlignment(column, _RIGHT)
            if line.discount_percent:
                tree_item.setToolTip(
                    0, f"{line.description}\nDiscount {format_percent(line.discount_percent, loc)}"
                )
            self._lines.addTopLevelItem(tree_item)
        _fit(self._lines)

    def _show_totals(self, invoice: InvoiceDetail, credit: bool) -> None:
        loc = self._locale
        self._totals.addRow("Net", _amount(money_text(invoice.net, loc)))
        for rate, _net, tax in invoice.tax_by_rate:
            self._totals.addRow(f"Tax {format_percent(rate, loc)}", _amount(money_text(tax, loc)))
        total = _amount(money_text(invoice.total, loc))
        font = total.font()
        font.setBold(True)
        total.setFont(font)
        self._totals.addRow("Total", total)
        if not credit and invoice.state == "issued":
            self._totals.addRow("Open", _amount(money_text(invoice.open_amount, loc)))

    def _show_payments(self, shown: InvoiceShown) -> None:
        loc = self._locale
        payments = {p.allocation_id: p for p in shown.payments}
        for allocation in shown.detail.allocations:
            if allocation.kind == "credit_note":
                continue  # listed with the credit notes
            payment = payments.get(allocation.id)
            undone = allocation.reversed or (payment is not None and payment.reversed)
            if allocation.kind == "cash":
                what = allocation.source or (payment.method if payment else "") or "—"
            else:
                what = f"Write-off: {allocation.source}" if allocation.source else "Write-off"
            amount = money_text(allocation.amount, loc)
            tree_item = QTreeWidgetItem(
                [
                    format_date(allocation.allocated_on, loc),
                    what + (" (undone)" if undone else ""),
                    amount,
                ]
            )
            tree_item.setTextAlignment(2, _RIGHT)
            if payment is not None:
                tree_item.setData(0, PAYMENT_ROLE, payment)
                tip = f"{payment.method.capitalize()}, {money_text(payment.amount, loc)} in all"
                if payment.reference:
                    tip += f"\nReference: {payment.reference}"
                tree_item.setToolTip(1, tip)
            if undone:
                tree_item.setDisabled(True)
            self.payments.addTopLevelItem(tree_item)
        if not self.payments.topLevelItemCount():
            empty = QTreeWidgetItem(["", "None yet", ""])
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.payments.addTopLevelItem(empty)
        _fit(self.payments)

    def _show_credit_notes(self, shown: InvoiceShown) -> None:
        loc = self._locale
        for note in shown.credit_notes:
            tree_item = QTreeWidgetItem(
                [
                    note.number,
                    format_date(note.issue_date, loc),
                    money_text(note.total, loc),
                    money_text(note.applied, loc),
                ]
            )
            for column in (2, 3):
                tree_item.setTextAlignment(column, _RIGHT)
            rest = note.total - note.applied
            tip = note.reason
            if rest:
                tip += f"\n{money_text(rest, loc)} stays on the customer's account as credit"
            tree_item.setToolTip(0, tip)
            tree_item.setToolTip(3, tip)
            self.credit_notes.addTopLevelItem(tree_item)
        _fit(self.credit_notes)

    # -- undoing a payment -------------------------------------------------------------------

    def selected_payment(self) -> InvoicePayment | None:
        """The payment selected in the payments list, unless it was undone already."""
        for tree_item in self.payments.selectedItems():
            payment = tree_item.data(0, PAYMENT_ROLE)
            if isinstance(payment, InvoicePayment) and not payment.reversed:
                return payment
        return None

    def select_payment(self, row: int) -> None:
        """Select a row of the payments list."""
        tree_item = self.payments.topLevelItem(row)
        if tree_item is not None:
            self.payments.setCurrentItem(tree_item)

    @Slot()
    def _on_payments_item_selection_changed(self) -> None:
        self.undo_payment_button.setEnabled(self.selected_payment() is not None)

    @Slot()
    def _on_undo_payment_button_clicked(self) -> None:
        payment = self.selected_payment()
        if payment is not None:
            self.undo_payment_requested.emit(payment)

    @Slot(QPoint)
    def _on_payments_custom_context_menu_requested(self, pos: QPoint) -> None:
        tree_item = self.payments.itemAt(pos)
        if tree_item is not None:
            self.payments.setCurrentItem(tree_item)
        menu = QMenu(self)
        action = menu.addAction("Undo payment…")
        action.setEnabled(self.selected_payment() is not None)
        action.triggered.connect(self._on_undo_payment_button_clicked)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.payments.viewport().mapToGlobal(pos))


def _amount(text: str) -> QLabel:
    label = QLabel(text)
    label.setAlignment(_RIGHT)
    return label


def _small_tree(headers: list[str], stretch: int = 0) -> QTreeWidget:
    """A short list that grows with its rows; ``stretch`` takes the width left and elides."""
    tree = QTreeWidget()
    tree.setHeaderLabels(headers)
    tree.setRootIsDecorated(False)
    tree.setSelectionMode(QTreeWidget.SelectionMode.NoSelection)
    tree.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    tree.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    header = tree.header()
    header.setStretchLastSection(False)
    for column in range(len(headers)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    for column in range(len(headers)):
        item = tree.headerItem()
        if column and item is not None and column != stretch:
            item.setTextAlignment(column, _RIGHT)
    return tree


def _fit(tree: QTreeWidget) -> None:
    """Make a small tree exactly as tall as its rows, so the pane scrolls rather than the tree."""
    fit_height(tree)


def _clear_form(form: QFormLayout) -> None:
    while form.rowCount():
        form.removeRow(0)
