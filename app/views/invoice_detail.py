"""The pane beside the invoice list: one invoice's lines, totals, allocations and status."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.dto import InvoiceDetail
from app.services.invoice_preview import InvoiceKind, InvoiceStatus
from app.services.money_format import format_date, format_percent, format_quantity
from app.views.style import STATUS_TEXT, heading, money_text, muted, status_marker, warm_colour

_ALLOCATION_KINDS = {"cash": "Payment", "credit_note": "Credit note", "write_off": "Write-off"}
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_OPEN_STATES = {InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OVERDUE}


class InvoiceDetailPane(QScrollArea):
    """Shows one :class:`InvoiceDetail`, or a hint when nothing is selected."""

    def __init__(self, locale: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._locale = locale
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumWidth(260)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(8)

        self._title = heading("")
        self._status = QLabel()
        self._status.setTextFormat(Qt.TextFormat.PlainText)
        self._marker = QLabel()
        self._marker.setFixedWidth(14)
        status_row = QHBoxLayout()
        status_row.setSpacing(4)
        status_row.addWidget(self._marker)
        status_row.addWidget(self._status, 1)
        self._hint = muted(QLabel("Select an invoice to see its lines and payments."))
        self._hint.setWordWrap(True)

        self._form = QFormLayout()
        self._form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self._customer = self._value_label()
        self._issued = self._value_label()
        self._due = self._value_label()
        self._reference = self._value_label()
        self._form.addRow("Customer", self._customer)
        self._form.addRow("Issued", self._issued)
        self._form.addRow("Due", self._due)
        self._form.addRow("PO / description", self._reference)

        self._lines = _small_tree(["Description", "Qty", "Unit price", "Tax", "Net"])
        self._totals = QFormLayout()
        self._totals.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self._allocations = _small_tree(["Date", "Kind", "From", "Amount"], stretch=2)
        self._allocations_title = heading("Payments and credits", size_delta=0)

        layout.addWidget(self._title)
        layout.addLayout(status_row)
        layout.addWidget(self._hint)
        layout.addLayout(self._form)
        self._lines_title = heading("Lines", size_delta=0)
        layout.addWidget(self._lines_title)
        layout.addWidget(self._lines)
        layout.addLayout(self._totals)
        layout.addWidget(self._allocations_title)
        layout.addWidget(self._allocations)
        layout.addStretch(1)
        self.setWidget(body)
        self.show_invoice(None)

    @staticmethod
    def _value_label() -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def show_invoice(self, invoice: InvoiceDetail | None) -> None:
        """Show an invoice, or the hint when ``None``."""
        widgets: list[QWidget] = [
            self._title,
            self._status,
            self._marker,
            self._lines,
            self._allocations,
        ]
        for widget in widgets:
            widget.setVisible(invoice is not None)
        self._allocations_title.setVisible(invoice is not None)
        self._lines_title.setVisible(invoice is not None)
        self._hint.setVisible(invoice is None)
        for row in range(self._form.rowCount()):
            for role in (QFormLayout.ItemRole.LabelRole, QFormLayout.ItemRole.FieldRole):
                layout_item = self._form.itemAt(row, role)
                field = layout_item.widget() if layout_item is not None else None
                if field is not None:
                    field.setVisible(invoice is not None)
        _clear_form(self._totals)
        self._lines.clear()
        self._allocations.clear()
        if invoice is None:
            return
        loc = self._locale
        credit = invoice.kind == InvoiceKind.CREDIT_NOTE
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
        self._due.setText(format_date(invoice.due_date, loc))
        palette = self._due.palette()
        if invoice.status == InvoiceStatus.OVERDUE and not credit:
            palette.setColor(self._due.foregroundRole(), warm_colour())
        else:
            palette = self.palette()
        self._due.setPalette(palette)
        self._reference.setText(
            " · ".join(x for x in (invoice.po_number, invoice.description) if x) or "—"
        )

        self._show_lines(invoice)
        self._show_totals(invoice, credit)
        self._show_allocations(invoice)

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
            for column in range(1, 5):
                tree_item.setTextAlignment(column, _RIGHT)
            if line.discount_percent:
                tree_item.setToolTip(0, f"Discount {format_percent(line.discount_percent, loc)}")
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

    def _show_allocations(self, invoice: InvoiceDetail) -> None:
        loc = self._locale
        for allocation in invoice.allocations:
            tree_item = QTreeWidgetItem(
                [
                    format_date(allocation.allocated_on, loc),
                    _ALLOCATION_KINDS.get(allocation.kind, allocation.kind)
                    + (" (undone)" if allocation.reversed else ""),
                    allocation.source,
                    money_text(allocation.amount, loc),
                ]
            )
            tree_item.setTextAlignment(3, _RIGHT)
            self._allocations.addTopLevelItem(tree_item)
        if not invoice.allocations:
            self._allocations.addTopLevelItem(QTreeWidgetItem(["", "None yet", "", ""]))
        _fit(self._allocations)


def _amount(text: str) -> QLabel:
    label = QLabel(text)
    label.setAlignment(_RIGHT)
    return label


def _small_tree(headers: list[str], stretch: int = 0) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setHeaderLabels(headers)
    tree.setRootIsDecorated(False)
    tree.setUniformRowHeights(True)
    tree.setSelectionMode(QTreeWidget.SelectionMode.NoSelection)
    tree.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    tree.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    header = tree.header()
    header.setStretchLastSection(False)
    tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    for column in range(len(headers)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return tree


def _fit(tree: QTreeWidget) -> None:
    """Make a small tree exactly as tall as its rows, so the pane scrolls rather than the tree."""
    rows = tree.topLevelItemCount()
    row_height = max(tree.sizeHintForRow(0), tree.fontMetrics().height() + 4)
    tree.setFixedHeight(tree.header().sizeHint().height() + max(rows, 1) * row_height + 6)


def _clear_form(form: QFormLayout) -> None:
    while form.rowCount():
        form.removeRow(0)
