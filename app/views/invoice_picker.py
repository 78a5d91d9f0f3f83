"""Open invoices to pick by hand for a statement line, with a running sum against its amount."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import QEvent, QLocale, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHeaderView,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from app.services.bank_dto import ManualAllocation, PickableInvoice
from app.services.invoice_preview import Money, to_money
from app.services.money_format import format_date
from app.views.inputs import InputError, decimal_text, parse_decimal
from app.views.style import money_text, muted, plain_label

SEARCH_DELAY_MS = 250


class PickColumn:
    """The columns of the picker."""

    INVOICE = 0
    CUSTOMER = 1
    DUE = 2
    OPEN = 3
    APPLY = 4


_TITLES = ["Invoice", "Customer", "Due", "Open", "Apply"]
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
#: The item data role holding a row's :class:`PickableInvoice`.
INVOICE_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class WriteoffLimits:
    """How large a difference may be written off as bank fees (``matching.writeoff_*``)."""

    percent: Decimal = Decimal(1)
    maximum: Decimal = Decimal("15.00")

    def allows(self, difference: Money, settled: Money) -> bool:
        """Whether ``difference`` is small enough beside the ``settled`` open amounts."""
        return (
            0 < difference.amount <= self.maximum
            and difference.amount * 100 <= settled.amount * self.percent
        )


@dataclass(frozen=True)
class PickedTotal:
    """The picks added up against the line's amount."""

    picked: Money
    line: Money
    allocations: tuple[ManualAllocation, ...]
    customer_ids: frozenset[int]

    @property
    def left(self) -> Money:
        """Cash of the line not applied (it stays on the customer's account)."""
        return (
            self.line - self.picked if self.picked < self.line else Money.zero(self.line.currency)
        )

    @property
    def short(self) -> Money:
        """How much more the picked invoices need than the line holds."""
        return (
            self.picked - self.line if self.picked > self.line else Money.zero(self.line.currency)
        )


class InvoicePicker(QWidget):
    """A search field and a checkable list of open invoices with an editable amount each.

    Checking an invoice applies its whole open amount; the amount can be lowered (a partial
    payment). When the picks need a little more than the line holds, a check box offers to
    write the difference off as bank fees.
    """

    #: The search text changed (after a pause): the screen reads matching open invoices.
    search_changed = Signal(str)
    #: Picks or amounts changed.
    picks_changed = Signal()

    def __init__(self, locale: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._locale = locale
        self._qlocale = QLocale(locale)
        self._line: Money | None = None
        self._limits = WriteoffLimits()
        self._picked: dict[int, PickableInvoice] = {}
        self._writeoff_offered = False
        self.search = QLineEdit()
        self.search.setObjectName("PickerSearch")
        self.search.setPlaceholderText("Search invoice number or customer")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search open invoices")
        self.search.installEventFilter(self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self.tree = QTreeWidget()
        self.tree.setObjectName("PickerInvoices")
        self.tree.setHeaderLabels(_TITLES)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setEditTriggers(QTreeWidget.EditTrigger.NoEditTriggers)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.setToolTip("Space picks an invoice, F2 changes the amount to apply")
        self.tree.installEventFilter(self)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(PickColumn.CUSTOMER, QHeaderView.ResizeMode.Stretch)
        self.tree.headerItem().setTextAlignment(PickColumn.OPEN, _RIGHT)
        self.tree.headerItem().setTextAlignment(PickColumn.APPLY, _RIGHT)
        self.sum_label = plain_label()
        self.sum_label.setObjectName("PickedSum")
        self.problem = muted(plain_label())
        self.writeoff = QCheckBox()
        self.writeoff.setObjectName("WriteoffCheck")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.sum_label)
        layout.addWidget(self.problem)
        layout.addWidget(self.writeoff)
        self.search.textChanged.connect(self._on_search_text_changed)
        self._timer.timeout.connect(self._on_timer_timeout)
        self.tree.itemChanged.connect(self._on_tree_item_changed)
        self.tree.itemDoubleClicked.connect(self._on_tree_item_double_clicked)
        self.writeoff.toggled.connect(self._on_writeoff_toggled)
        self.start(None)

    # -- what is shown -----------------------------------------------------------------------

    def start(self, line: Money | None) -> None:
        """Begin picking for a line of this amount (nothing picked yet), or clear."""
        self._line = line
        self._picked.clear()
        self._timer.stop()
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.tree.clear()
        self._update_sum()

    def set_writeoff_limits(self, limits: WriteoffLimits) -> None:
        """How large a difference may be written off as bank fees."""
        self._limits = limits
        self._update_sum()

    def show_invoices(self, invoices: list[PickableInvoice]) -> None:
        """List these open invoices below the ones already picked (which stay, with amounts)."""
        amounts = {inv_id: self._item_of(inv_id).text(PickColumn.APPLY) for inv_id in self._picked}
        self.tree.blockSignals(True)
        self.tree.clear()
        for invoice in self._picked.values():
            self._add_item(invoice, amounts[invoice.invoice_id])
        for invoice in invoices:
            if invoice.invoice_id not in self._picked:
                self._add_item(invoice, "")
        self.tree.blockSignals(False)
        self._update_sum()

    def _add_item(self, invoice: PickableInvoice, amount: str) -> None:
        item = QTreeWidgetItem(
            [
                invoice.number,
                invoice.customer_name,
                format_date(invoice.due_date, self._locale),
                money_text(invoice.open, self._locale),
                amount,
            ]
        )
        item.setData(PickColumn.INVOICE, INVOICE_ROLE, invoice)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEditable)
        picked = invoice.invoice_id in self._picked
        item.setCheckState(
            PickColumn.INVOICE, Qt.CheckState.Checked if picked else Qt.CheckState.Unchecked
        )
        item.setTextAlignment(PickColumn.OPEN, _RIGHT)
        item.setTextAlignment(PickColumn.APPLY, _RIGHT)
        self.tree.addTopLevelItem(item)

    def _item_of(self, invoice_id: int) -> QTreeWidgetItem:
        for row in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(row)
            if item is not None and _invoice(item).invoice_id == invoice_id:
                return item
        raise KeyError(invoice_id)

    def set_picked(self, invoice_id: int, picked: bool = True) -> None:
        """Check or uncheck an invoice of the list."""
        state = Qt.CheckState.Checked if picked else Qt.CheckState.Unchecked
        self._item_of(invoice_id).setCheckState(PickColumn.INVOICE, state)

    def set_amount(self, invoice_id: int, text: str) -> None:
        """Type the amount to apply to a picked invoice."""
        self._item_of(invoice_id).setText(PickColumn.APPLY, text)

    # -- the sum -----------------------------------------------------------------------------

    def total(self) -> PickedTotal:
        """The picks and what they add up to; raises InputError for an unreadable amount.

        The line's cash goes to the invoices in the order they were picked; what the last
        ones miss is written off when the check box says so, else it stays open.
        """
        line = self._line
        if line is None:
            raise InputError("Select a statement line first.")
        picked, cash_left = Money.zero(line.currency), line
        allocations: list[ManualAllocation] = []
        writeoff = self._writeoff_offered and self.writeoff.isChecked()
        for invoice in self._picked.values():
            amount = self._amount_of(invoice)
            picked += amount
            cash = min(amount, cash_left) if cash_left.minor > 0 else Money.zero(line.currency)
            cash_left -= cash
            rest = amount - cash
            allocations.append(
                ManualAllocation(
                    invoice.invoice_id, cash, rest if writeoff and rest.minor else None
                )
            )
        customers = frozenset(i.customer_id for i in self._picked.values())
        return PickedTotal(picked, line, tuple(allocations), customers)

    def _amount_of(self, invoice: PickableInvoice) -> Money:
        text = self._item_of(invoice.invoice_id).text(PickColumn.APPLY)
        what = f"amount for {invoice.number}"
        amount = to_money(parse_decimal(text, self._qlocale, what=what), invoice.open.currency)
        if amount.minor <= 0:
            raise InputError(f"The {what} must be above zero.")
        if amount > invoice.open:
            open_text = money_text(invoice.open, self._locale)
            raise InputError(f"{invoice.number} has only {open_text} open.")
        return amount

    def _update_sum(self) -> None:
        self._writeoff_offered = False
        self.writeoff.setVisible(False)
        self.problem.setVisible(False)
        if self._line is None or not self._picked:
            self.sum_label.setText(
                "Pick the invoices this payment is for."
                if self.tree.topLevelItemCount()
                else "No open invoices to pick here; search by invoice number or customer."
            )
            self.picks_changed.emit()
            return
        try:
            total = self.total()
        except InputError as exc:
            self.sum_label.setText(str(exc))
            self.picks_changed.emit()
            return
        loc = self._locale
        text = f"Selected {money_text(total.picked, loc)} of {money_text(total.line, loc)}"
        if total.left.minor:
            text += f" — {money_text(total.left, loc)} left"
        elif total.short.minor:
            text += f" — {money_text(total.short, loc)} short"
        self.sum_label.setText(text)
        if len(total.customer_ids) > 1:
            self.problem.setText("Pick invoices of one customer: a payment is applied to one.")
            self.problem.setVisible(True)
        elif total.left.minor:
            self.problem.setText("What is left stays on the customer's account as unapplied cash.")
            self.problem.setVisible(True)
        elif total.short.minor:
            self._offer_writeoff(total)
        self.picks_changed.emit()

    def _offer_writeoff(self, total: PickedTotal) -> None:
        if self._limits.allows(total.short, total.picked):
            self._writeoff_offered = True
            self.writeoff.blockSignals(True)
            self.writeoff.setText(f"Write off {money_text(total.short, self._locale)} as bank fees")
            self.writeoff.setVisible(True)
            self.writeoff.blockSignals(False)
        else:
            self.problem.setText("The last invoice picked stays open for the difference.")
            self.problem.setVisible(True)

    # -- slots -------------------------------------------------------------------------------

    @Slot(str)
    def _on_search_text_changed(self, _text: str) -> None:
        self._timer.start()

    @Slot()
    def _on_timer_timeout(self) -> None:
        self.search_changed.emit(self.search.text().strip())

    def search_now(self) -> None:
        """Search at once rather than after the typing pause."""
        self._timer.stop()
        self._on_timer_timeout()

    @Slot(QTreeWidgetItem, int)
    def _on_tree_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        invoice = _invoice(item)
        checked = item.checkState(PickColumn.INVOICE) == Qt.CheckState.Checked
        if column == PickColumn.INVOICE and checked != (invoice.invoice_id in self._picked):
            self.tree.blockSignals(True)
            if checked:
                self._picked[invoice.invoice_id] = invoice
                item.setText(PickColumn.APPLY, decimal_text(invoice.open.amount, self._qlocale))
                self.writeoff.setChecked(True)
            else:
                del self._picked[invoice.invoice_id]
                item.setText(PickColumn.APPLY, "")
            self.tree.blockSignals(False)
        self._update_sum()

    @Slot(QTreeWidgetItem, int)
    def _on_tree_item_double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        if item.checkState(PickColumn.INVOICE) == Qt.CheckState.Checked:
            self.tree.editItem(item, PickColumn.APPLY)

    @Slot(bool)
    def _on_writeoff_toggled(self, _checked: bool) -> None:
        self.picks_changed.emit()

    @override
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        key = event.key()
        if watched is self.search and key in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.search_now()
            first = self.tree.topLevelItem(0)
            if first is not None:
                self.tree.setFocus(Qt.FocusReason.TabFocusReason)
                self.tree.setCurrentItem(first)
            return True
        item = self.tree.currentItem()
        if watched is self.tree and item is not None:
            if key == Qt.Key.Key_Space:
                for chosen in self.tree.selectedItems() or [item]:
                    on = chosen.checkState(PickColumn.INVOICE) != Qt.CheckState.Checked
                    chosen.setCheckState(
                        PickColumn.INVOICE, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
                    )
                return True
            if key == Qt.Key.Key_F2:
                self._on_tree_item_double_clicked(item, PickColumn.APPLY)
                return True
        return super().eventFilter(watched, event)


def _invoice(item: QTreeWidgetItem) -> PickableInvoice:
    invoice = item.data(PickColumn.INVOICE, INVOICE_ROLE)
    if not isinstance(invoice, PickableInvoice):
        raise TypeError("a picker row without its invoice")
    return invoice
