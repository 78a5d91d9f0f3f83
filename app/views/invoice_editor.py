"""The invoice editor: header, lines with live totals, save as draft, issue, PDF, email.

Totals are computed by the service (``invoice_preview.preview_totals``) with the functions that
store them, so what the editor shows is what the ledger will store.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QDate, QLocale, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QBrush, QDesktopServices, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from app.services.customers import CustomerChoice, list_customer_choices
from app.services.dto import DraftInvoice, DraftLine, InvoiceDetail
from app.services.invoice_preview import (
    DocumentState,
    InvoiceKind,
    Money,
    is_currency_code,
    line_net,
    preview_totals,
)
from app.services.invoice_queries import get_invoice
from app.services.invoicing import InvoicingError, create_draft, issue_invoice, update_draft
from app.services.money_format import format_percent
from app.services.pdf_invoices import write_invoice_pdf
from app.services.settings import TaxRateView, list_tax_rates
from app.services.tasks import TaskContext
from app.services.uow import UnitOfWork
from app.views import ask
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
from app.views.send_email_dialog import SendDocumentEmailDialog
from app.views.style import error_label, heading, money_text, muted, show_form_error, warm_colour

COMMON_CURRENCIES = ("EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "JPY")


class LineColumn:
    """Columns of the lines table."""

    DESCRIPTION = 0
    QUANTITY = 1
    UNIT_PRICE = 2
    DISCOUNT = 3
    TAX = 4
    NET = 5


LINE_TITLES = ("Description", "Quantity", "Unit price", "Discount %", "Tax rate", "Net")


@dataclass(frozen=True)
class _Form:
    """The editor's content, read and checked."""

    draft: DraftInvoice | None
    errors: tuple[str, ...]


class InvoiceDialog(QDialog):
    """Create or edit a draft invoice; an issued invoice opens read-only."""

    #: Saved, issued or emailed: the invoice's id and a status message ("Issued INV-2026-00042").
    invoice_saved = Signal(int, str)

    def __init__(
        self, ctx: ViewContext, invoice_id: int | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._qlocale = QLocale(ctx.locale)
        self.invoice_id = invoice_id
        self.detail: InvoiceDetail | None = None
        self._customers: dict[int, CustomerChoice] = {}
        self._tax_rates: list[TaxRateView] = []
        self._due_edited = False
        self._setting_due = False
        self._loading = False
        self._dirty = False
        self.issued_number = ""
        self.email_dialog: SendDocumentEmailDialog | None = None
        self.setWindowTitle("New invoice" if invoice_id is None else "Invoice")
        self.setObjectName("InvoiceDialog")
        self.resize(980, 680)
        self.setSizeGripEnabled(True)
        self._build()
        self._load()

    # -- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        self.title = heading("New invoice")
        self.read_only_banner = banner()
        self.state_label = muted(QLabel("Draft: nothing is numbered until you issue it."))

        self._build_header_fields()
        header = self._header_layout()

        self._build_lines_table()
        self.add_line_button = QPushButton("&Add line")
        self.remove_line_button = QPushButton("&Remove line")
        line_buttons = QHBoxLayout()
        line_buttons.addWidget(self.add_line_button)
        line_buttons.addWidget(self.remove_line_button)
        line_buttons.addStretch(1)

        totals_row = self._totals_layout(line_buttons)

        self.error = error_label()

        # Alt+letter: each letter once in the whole editor (see _header_layout for the fields)
        self.save_button = QPushButton("&Save draft")
        self.issue_button = QPushButton("&Issue…")
        self.pdf_button = QPushButton("Save PD&F…")
        self.open_pdf_button = QPushButton("&Open PDF")
        self.email_button = QPushButton("Send by e&mail…")
        self.email_button.setToolTip("Email it with its PDF to the customer's billing contact")
        self.email_button.hide()
        self.close_button = QPushButton("C&lose")
        buttons = QHBoxLayout()
        buttons.addWidget(self.pdf_button)
        buttons.addWidget(self.open_pdf_button)
        buttons.addWidget(self.email_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.issue_button)
        self.save_button.setDefault(True)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.read_only_banner)
        layout.addWidget(self.state_label)
        layout.addSpacing(6)
        layout.addLayout(header)
        layout.addWidget(self.lines, 1)
        layout.addLayout(totals_row)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

        self._connect_signals()

    # -- loading -----------------------------------------------------------------------------

    def _header_layout(self) -> QGridLayout:
        header = QGridLayout()
        header.setHorizontalSpacing(12)
        left = QFormLayout()
        left.addRow("&Customer", self.customer)
        left.addRow("&PO number", self.po_number)
        left.addRow("&Description", self.description)
        right = QFormLayout()
        right.addRow("Issue da&te", self.issue_date)
        due_row = QHBoxLayout()
        due_row.addWidget(self.due_date)
        due_row.addWidget(self.due_hint, 1)
        due_label = QLabel("Du&e date")
        due_label.setBuddy(self.due_date)
        right.addRow(due_label, due_row)
        right.addRow("C&urrency", self.currency)
        header.addLayout(left, 0, 0)
        header.addLayout(right, 0, 1)
        header.setColumnStretch(0, 3)
        header.setColumnStretch(1, 2)
        return header

    def _totals_layout(self, line_buttons: QHBoxLayout) -> QHBoxLayout:
        self.totals = QFormLayout()
        self.totals.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.net_label = _amount_label()
        self.tax_box = QVBoxLayout()
        self.tax_box.setSpacing(2)
        self.total_label = _amount_label(bold=True)
        self.total_label.setObjectName("TotalLabel")
        self.totals.addRow("Net", self.net_label)
        self.totals.addRow("Tax", self.tax_box)
        self.totals.addRow("Total", self.total_label)
        totals_row = QHBoxLayout()
        totals_row.addLayout(line_buttons, 1)
        totals_row.addLayout(self.totals)
        return totals_row

    def _build_header_fields(self) -> None:
        self.customer = QComboBox()
        self.customer.setEditable(True)
        self.customer.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.customer.setMinimumWidth(320)
        search_as_you_type(self.customer, "Type to search customers")
        self.issue_date = DateEdit(to_qdate(self._ctx.clock.today()))
        self.issue_date.setCalendarPopup(True)
        use_medium_dates(self.issue_date, self._ctx.locale)
        self.due_date = DateEdit(to_qdate(self._ctx.clock.today()))
        self.due_date.setCalendarPopup(True)
        use_medium_dates(self.due_date, self._ctx.locale)
        self.due_hint = muted(QLabel())
        self.currency = QComboBox()
        self.currency.setEditable(True)
        self.currency.addItems(list(COMMON_CURRENCIES))
        self.currency.setMaximumWidth(90)
        self.po_number = QLineEdit()
        self.po_number.setPlaceholderText("The customer's order number, if any")
        self.description = QLineEdit()
        self.description.setPlaceholderText("What the invoice is for, printed above the lines")

    def _build_lines_table(self) -> None:
        self.lines = QTableWidget(0, len(LINE_TITLES))
        self.lines.setObjectName("InvoiceLines")
        self.lines.setHorizontalHeaderLabels(list(LINE_TITLES))
        self.lines.verticalHeader().hide()
        self.lines.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.lines.setEditTriggers(
            QAbstractItemView.EditTrigger.AllEditTriggers
            & ~QAbstractItemView.EditTrigger.CurrentChanged
        )
        head = self.lines.horizontalHeader()
        head.setSectionResizeMode(LineColumn.DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        for column, width in (
            (LineColumn.QUANTITY, 90),
            (LineColumn.UNIT_PRICE, 110),
            (LineColumn.DISCOUNT, 90),
            (LineColumn.TAX, 230),
            (LineColumn.NET, 120),
        ):
            head.resizeSection(column, width)
        for column in (
            LineColumn.QUANTITY,
            LineColumn.UNIT_PRICE,
            LineColumn.DISCOUNT,
            LineColumn.NET,
        ):
            item = self.lines.horizontalHeaderItem(column)
            if item is not None:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def _connect_signals(self) -> None:
        self.customer.currentIndexChanged.connect(self._on_customer_current_index_changed)
        self.issue_date.dateChanged.connect(self._on_issue_date_date_changed)
        self.due_date.dateChanged.connect(self._on_due_date_date_changed)
        self.currency.currentTextChanged.connect(self._on_currency_current_text_changed)
        self.po_number.textEdited.connect(self._mark_dirty)
        self.description.textEdited.connect(self._mark_dirty)
        self.lines.itemChanged.connect(self._on_lines_item_changed)
        self.add_line_button.clicked.connect(self._on_add_line_button_clicked)
        self.remove_line_button.clicked.connect(self._on_remove_line_button_clicked)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.issue_button.clicked.connect(self._on_issue_button_clicked)
        self.pdf_button.clicked.connect(self._on_pdf_button_clicked)
        self.open_pdf_button.clicked.connect(self._on_open_pdf_button_clicked)
        self.email_button.clicked.connect(self._on_email_button_clicked)
        self.close_button.clicked.connect(self.reject)
        QShortcut(QKeySequence("Ctrl+S"), self, self._on_save_button_clicked)

    def _load(self) -> None:
        uow_factory, invoice_id, today = (
            self._ctx.uow_factory,
            self.invoice_id,
            self._ctx.clock.today(),
        )

        def read(
            _: TaskContext,
        ) -> tuple[list[CustomerChoice], list[TaxRateView], InvoiceDetail | None]:
            uow: UnitOfWork = uow_factory()
            detail = get_invoice(uow, invoice_id, today) if invoice_id is not None else None
            return list_customer_choices(uow), list_tax_rates(uow), detail

        self.setEnabled(False)
        self._ctx.runner.fetch(read, self._on_loaded, self._on_load_failed)

    def _on_load_failed(self, exc: Exception) -> None:
        self.setEnabled(True)
        show_form_error(self.error, str(exc))

    def _on_loaded(
        self, loaded: tuple[list[CustomerChoice], list[TaxRateView], InvoiceDetail | None]
    ) -> None:
        customers, rates, detail = loaded
        self._loading = True
        self._tax_rates = rates
        self._customers = {c.id: c for c in customers}
        self.customer.blockSignals(True)
        self.customer.clear()
        for choice in customers:
            self.customer.addItem(choice.label, choice.id)
        self.customer.setCurrentIndex(-1)
        self.customer.blockSignals(False)
        if detail is None:
            self.add_line()
        else:
            self._show_detail(detail)
        self._loading = False
        self._dirty = False
        self.setEnabled(True)
        self._recompute()
        self._update_buttons()
        if detail is None:
            self.customer.setFocus()

    def _show_detail(self, detail: InvoiceDetail) -> None:
        self.detail = detail
        index = self.customer.findData(detail.customer_id)
        if index < 0:
            self.customer.addItem(
                f"{detail.customer_name} ({detail.customer_code})", detail.customer_id
            )
            index = self.customer.count() - 1
        self.customer.setCurrentIndex(index)
        self.issue_date.setDate(to_qdate(detail.issue_date))
        self._set_due(detail.due_date)
        self._due_edited = True
        self._set_currency(detail.currency)
        self.po_number.setText(detail.po_number)
        self.description.setText(detail.description)
        self.lines.setRowCount(0)
        for line in detail.lines:
            self.add_line(
                DraftLine(
                    description=line.description,
                    quantity=line.quantity,
                    unit_price=line.unit_price.amount,
                    tax_rate_percent=line.tax_rate_percent,
                    discount_percent=line.discount_percent,
                )
            )
        self._show_state(detail)

    def _show_state(self, detail: InvoiceDetail) -> None:
        credit = detail.kind == InvoiceKind.CREDIT_NOTE
        kind = "Credit note" if credit else "Invoice"
        if detail.state == DocumentState.DRAFT:
            self.title.setText(f"Draft invoice for {detail.customer_name}")
            self.state_label.setText("Draft: nothing is numbered until you issue it.")
            self.setWindowTitle(f"Draft invoice for {detail.customer_name}")
            return
        self.title.setText(f"{kind} {detail.number}")
        self.setWindowTitle(f"{kind} {detail.number}")
        if detail.state == DocumentState.VOID:
            self.read_only_banner.setText("Void: read only — it can no longer be changed")
            self.state_label.setText(f"Voided: {detail.void_reason}")
        elif credit:
            self.read_only_banner.setText(
                f"Issued: read only — it credits {detail.credited_invoice_number or 'an invoice'}"
            )
            self.state_label.setText(f"Total {money_text(detail.total, self._ctx.locale)}")
        else:
            self.read_only_banner.setText("Issued: read only — credit it to change")
            self.state_label.setText(
                f"Open: {money_text(detail.open_amount, self._ctx.locale)}. To correct it, "
                "issue a credit note (Invoices ▸ Credit note…)."
            )
        self.read_only_banner.show()
        self._set_read_only()

    def _set_read_only(self) -> None:
        for widget in (
            self.customer,
            self.issue_date,
            self.due_date,
            self.currency,
            self.po_number,
            self.description,
        ):
            widget.setEnabled(False)  # greyed: visibly not for typing into
        self.lines.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        palette = self.lines.palette()
        window = palette.color(QPalette.ColorRole.Window)
        palette.setColor(QPalette.ColorRole.Base, window)
        palette.setColor(QPalette.ColorRole.AlternateBase, window)
        self.lines.setPalette(palette)
        for row in range(self.lines.rowCount()):
            combo = self.lines.cellWidget(row, LineColumn.TAX)
            if combo is not None:
                combo.setEnabled(False)
        self.add_line_button.hide()
        self.remove_line_button.hide()
        self.save_button.hide()
        self.issue_button.hide()
        self.close_button.setDefault(True)

    def is_read_only(self) -> bool:
        """Whether the invoice is issued (or void) and so cannot be edited."""
        return self.detail is not None and self.detail.state != DocumentState.DRAFT

    # -- lines -------------------------------------------------------------------------------

    def add_line(self, line: DraftLine | None = None) -> int:
        """Append a line (empty, with the default tax rate) and return its row."""
        row = self.lines.rowCount()
        was_loading = self._loading
        self._loading = True
        self.lines.insertRow(row)
        values = line or DraftLine("", Decimal(1), Decimal(0), self._default_rate())
        cells = {
            LineColumn.DESCRIPTION: values.description,
            LineColumn.QUANTITY: decimal_text(values.quantity, self._qlocale),
            LineColumn.UNIT_PRICE: decimal_text(values.unit_price, self._qlocale) if line else "",
            LineColumn.DISCOUNT: decimal_text(values.discount_percent, self._qlocale)
            if values.discount_percent
            else "",
        }
        for column, text in cells.items():
            item = QTableWidgetItem(text)
            if column != LineColumn.DESCRIPTION:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.lines.setItem(row, column, item)
        net = QTableWidgetItem("")
        net.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        net.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.lines.setItem(row, LineColumn.NET, net)
        combo = QComboBox()
        combo.setFrame(False)
        for rate in self._tax_rates:
            combo.addItem(
                f"{rate.name} ({format_percent(rate.percent, self._ctx.locale)})", str(rate.percent)
            )
        index = self._rate_index(combo, values.tax_rate_percent)
        combo.setCurrentIndex(index)
        combo.currentIndexChanged.connect(self._on_tax_combo_current_index_changed)
        self.lines.setCellWidget(row, LineColumn.TAX, combo)
        self._loading = was_loading
        if not self._loading:
            self._mark_dirty()
            self._recompute()
        return row

    def _rate_index(self, combo: QComboBox, percent: Decimal) -> int:
        for i in range(combo.count()):
            if Decimal(str(combo.itemData(i))) == percent:
                return i
        combo.addItem(format_percent(percent, self._ctx.locale), str(percent))
        return combo.count() - 1

    def _default_rate(self) -> Decimal:
        defaults = [r.percent for r in self._tax_rates if r.is_default]
        if defaults:
            return defaults[0]
        return self._tax_rates[0].percent if self._tax_rates else Decimal(0)

    def set_line(
        self,
        row: int,
        description: str,
        quantity: str,
        unit_price: str,
        tax_percent: Decimal,
        discount: str = "",
    ) -> None:
        """Fill a line as if typed (used by tests and by pasting)."""
        for column, text in (
            (LineColumn.DESCRIPTION, description),
            (LineColumn.QUANTITY, quantity),
            (LineColumn.UNIT_PRICE, unit_price),
            (LineColumn.DISCOUNT, discount),
        ):
            cell = self.lines.item(row, column)
            if cell is not None:
                cell.setText(text)
        combo = self.lines.cellWidget(row, LineColumn.TAX)
        if isinstance(combo, QComboBox):
            combo.setCurrentIndex(self._rate_index(combo, tax_percent))

    def set_customer(self, customer_id: int) -> None:
        """Choose the customer (as if picked from the list)."""
        self.customer.setCurrentIndex(self.customer.findData(customer_id))

    # -- reading the form --------------------------------------------------------------------

    def _currency_code(self) -> str:
        return self.currency.currentText().strip().upper()

    def _read_lines(self, currency: str) -> tuple[list[DraftLine], list[str], dict[int, int]]:
        """The typed lines, the problems found, and each valid line's net in minor units."""
        lines: list[DraftLine] = []
        errors: list[str] = []
        nets: dict[int, int] = {}
        for row in range(self.lines.rowCount()):
            texts = {
                c: (cell.text() if (cell := self.lines.item(row, c)) is not None else "")
                for c in range(4)
            }
            if not any(texts[c].strip() for c in (LineColumn.DESCRIPTION, LineColumn.UNIT_PRICE)):
                continue
            bad_cells: list[int] = []
            try:
                quantity = parse_decimal(
                    texts[LineColumn.QUANTITY] or "1", self._qlocale, what="quantity"
                )
            except InputError as exc:
                errors.append(f"Line {row + 1}: {exc}")
                bad_cells.append(LineColumn.QUANTITY)
                quantity = Decimal(0)
            try:
                price = parse_decimal(
                    texts[LineColumn.UNIT_PRICE], self._qlocale, what="unit price"
                )
            except InputError as exc:
                errors.append(f"Line {row + 1}: {exc}")
                bad_cells.append(LineColumn.UNIT_PRICE)
                price = Decimal(0)
            try:
                discount = (
                    parse_decimal(texts[LineColumn.DISCOUNT], self._qlocale, what="discount")
                    if texts[LineColumn.DISCOUNT].strip()
                    else Decimal(0)
                )
            except InputError as exc:
                errors.append(f"Line {row + 1}: {exc}")
                bad_cells.append(LineColumn.DISCOUNT)
                discount = Decimal(0)
            combo = self.lines.cellWidget(row, LineColumn.TAX)
            rate = Decimal(str(combo.currentData())) if isinstance(combo, QComboBox) else Decimal(0)
            line = DraftLine(texts[LineColumn.DESCRIPTION].strip(), quantity, price, rate, discount)
            if not line.description:
                errors.append(f"Line {row + 1}: describe what is charged")
                bad_cells.append(LineColumn.DESCRIPTION)
            if not bad_cells and currency:
                try:
                    nets[row] = line_net(line, currency).minor
                except InvoicingError as exc:
                    errors.append(f"Line {row + 1}: {exc}")
                    bad_cells.extend(
                        [LineColumn.QUANTITY, LineColumn.UNIT_PRICE, LineColumn.DISCOUNT]
                    )
            self._mark_cells(row, bad_cells)
            if not bad_cells or bad_cells == [LineColumn.DESCRIPTION]:
                lines.append(line)
        return lines, errors, nets

    def _mark_cells(self, row: int, bad: list[int]) -> None:
        was_loading = self._loading
        self._loading = True
        for column in (
            LineColumn.DESCRIPTION,
            LineColumn.QUANTITY,
            LineColumn.UNIT_PRICE,
            LineColumn.DISCOUNT,
        ):
            item = self.lines.item(row, column)
            if item is None:
                continue
            if column in bad:
                item.setForeground(QBrush(warm_colour()))
                item.setToolTip("Check this value")
            else:
                item.setData(Qt.ItemDataRole.ForegroundRole, None)
                item.setToolTip("")
        self._loading = was_loading

    def _read_form(self) -> _Form:
        errors: list[str] = []
        currency = self._currency_code()
        if not is_currency_code(currency):
            errors.append(f"The currency {currency!r} is not a three-letter ISO code such as EUR")
            currency = ""
        customer_id = self.customer.currentData()
        if not isinstance(customer_id, int) or self.customer.currentIndex() < 0:
            errors.append("Choose the customer")
        issue = from_qdate(self.issue_date.date())
        due = from_qdate(self.due_date.date())
        if due < issue:
            errors.append("The due date is before the issue date")
        lines, line_errors, _ = self._read_lines(currency)
        errors.extend(line_errors)
        if not lines and not line_errors:
            errors.append("Add at least one line")
        if errors or not isinstance(customer_id, int):
            return _Form(None, tuple(errors))
        draft = DraftInvoice(
            customer_id=customer_id,
            issue_date=issue,
            lines=tuple(lines),
            due_date=due,
            currency=currency,
            po_number=self.po_number.text().strip(),
            description=self.description.text().strip(),
        )
        return _Form(draft, ())

    # -- live totals -------------------------------------------------------------------------

    def _recompute(self) -> None:
        if self._loading:
            return
        currency = self._currency_code()
        if not is_currency_code(currency):
            self.total_label.setText("—")
            return
        lines, errors, nets = self._read_lines(currency)
        was_loading = self._loading
        self._loading = True
        for row in range(self.lines.rowCount()):
            net_item = self.lines.item(row, LineColumn.NET)
            if net_item is not None:
                net_item.setText(
                    money_text(Money(nets[row], currency), self._ctx.locale) if row in nets else ""
                )
        self._loading = was_loading
        totals = preview_totals(lines, currency)
        loc = self._ctx.locale
        self.net_label.setText(money_text(totals.net, loc))
        while self.tax_box.count():
            layout_item = self.tax_box.takeAt(0)
            widget = layout_item.widget() if layout_item is not None else None
            if widget is not None:
                widget.deleteLater()
        if not totals.tax_by_rate:
            self.tax_box.addWidget(_amount_label(money_text(Money(0, currency), loc)))
        for tax in totals.tax_by_rate:
            percent = format_percent(tax.rate_percent, loc)
            net = money_text(tax.net, loc)
            label = _amount_label(f"{percent} on {net}:  {money_text(tax.tax, loc)}")
            self.tax_box.addWidget(label)
        self.total_label.setText(money_text(totals.total, loc))
        show_form_error(self.error, "; ".join(errors[:3]) + ("." if errors else ""))

    def tax_texts(self) -> list[str]:
        """The tax lines shown under the lines ("19% on €100.00:  €19.00")."""
        texts: list[str] = []
        for i in range(self.tax_box.count()):
            item = self.tax_box.itemAt(i)
            widget = item.widget() if item is not None else None
            if isinstance(widget, QLabel):
                texts.append(widget.text())
        return texts

    # -- due date ----------------------------------------------------------------------------

    def _set_due(self, due: date) -> None:
        self._setting_due = True
        self.due_date.setDate(to_qdate(due))
        self._setting_due = False

    def _set_currency(self, code: str) -> None:
        index = self.currency.findText(code)
        if index < 0:
            self.currency.addItem(code)
            index = self.currency.count() - 1
        self.currency.setCurrentIndex(index)

    def _default_due(self) -> None:
        customer_id = self.customer.currentData()
        choice = self._customers.get(customer_id) if isinstance(customer_id, int) else None
        if choice is None:
            self.due_hint.setText("")
            return
        days = choice.payment_terms_days
        self.due_hint.setText(f"{days} days net (the customer's terms)")
        if not self._due_edited:
            self._set_due(from_qdate(self.issue_date.date()) + timedelta(days=days))

    # -- slots -------------------------------------------------------------------------------

    @Slot()
    def _mark_dirty(self) -> None:
        if not self._loading:
            self._dirty = True

    @Slot(int)
    def _on_customer_current_index_changed(self, _index: int) -> None:
        if self._loading:
            return
        customer_id = self.customer.currentData()
        choice = self._customers.get(customer_id) if isinstance(customer_id, int) else None
        if choice is not None:
            self._set_currency(choice.currency)
            self.title.setText(
                f"New invoice for {choice.name}" if self.invoice_id is None else self.title.text()
            )
        self._default_due()
        self._mark_dirty()
        self._recompute()

    @Slot(QDate)
    def _on_issue_date_date_changed(self, _day: QDate) -> None:
        if self._loading:
            return
        self._default_due()
        self._mark_dirty()
        self._recompute()

    @Slot(QDate)
    def _on_due_date_date_changed(self, _day: QDate) -> None:
        if self._loading or self._setting_due:
            return
        self._due_edited = True
        self.due_hint.setText("set by hand")
        self._mark_dirty()

    @Slot(str)
    def _on_currency_current_text_changed(self, _text: str) -> None:
        self._mark_dirty()
        self._recompute()

    @Slot(QTableWidgetItem)
    def _on_lines_item_changed(self, item: QTableWidgetItem) -> None:
        if self._loading or item.column() == LineColumn.NET:
            return
        self._mark_dirty()
        self._recompute()

    @Slot(int)
    def _on_tax_combo_current_index_changed(self, _index: int) -> None:
        if self._loading:
            return
        self._mark_dirty()
        self._recompute()

    @Slot()
    def _on_add_line_button_clicked(self) -> None:
        row = self.add_line()
        self.lines.setCurrentCell(row, LineColumn.DESCRIPTION)
        cell = self.lines.item(row, LineColumn.DESCRIPTION)
        if cell is not None:
            self.lines.editItem(cell)

    @Slot()
    def _on_remove_line_button_clicked(self) -> None:
        rows = sorted({i.row() for i in self.lines.selectedIndexes()}, reverse=True)
        if not rows and self.lines.currentRow() >= 0:
            rows = [self.lines.currentRow()]
        for row in rows:
            self.lines.removeRow(row)
        if rows:
            self._mark_dirty()
            self._recompute()

    # -- saving ------------------------------------------------------------------------------

    @Slot()
    def _on_save_button_clicked(self) -> None:
        self.save_draft()

    def save_draft(self, then: str = "") -> bool:
        """Save the draft in the background; ``then`` is "issue", "pdf", "open" or ""."""
        if self.is_read_only():
            return False
        form = self._read_form()
        if form.draft is None:
            show_form_error(self.error, "; ".join(form.errors) + ".")
            return False
        draft = form.draft
        uow_factory, invoice_id = self._ctx.uow_factory, self.invoice_id

        def save(_: TaskContext) -> int:
            uow = uow_factory()
            if invoice_id is None:
                return int(create_draft(uow, draft))
            update_draft(uow, invoice_id, draft)
            return invoice_id

        self._ctx.runner.run(
            save,
            progress_label="Saving the draft…",
            parent=self,
            on_success=lambda new_id: self._on_saved(int(new_id), then),
            on_failure=self._on_save_failed,
        )
        return True

    def _on_saved(self, invoice_id: int, then: str) -> None:
        self.invoice_id = invoice_id
        self._dirty = False
        name = self.customer.currentText()
        self.setWindowTitle(f"Draft invoice for {name}")
        self.title.setText(f"Draft invoice for {name}")
        self._update_buttons()
        if then == "issue":
            self._issue_saved()
            return
        self.invoice_saved.emit(invoice_id, f"Saved the draft for {name}")
        if then in {"pdf", "open"}:
            self._write_pdf(open_after=then == "open")

    def _on_save_failed(self, exc: Exception) -> None:
        show_form_error(self.error, str(exc))

    @Slot()
    def _on_issue_button_clicked(self) -> None:
        form = self._read_form()
        if form.draft is None:
            show_form_error(self.error, "; ".join(form.errors) + ".")
            return
        total = self.total_label.text()
        if not ask.confirm(
            self,
            "Issue invoice",
            f"Issue this invoice to {self.customer.currentText()} for {total}?\n\n"
            "It gets the next number and can no longer be edited; corrections are made "
            "with a credit note.",
            "Issue",
        ):
            return
        self.save_draft(then="issue")

    def _issue_saved(self) -> None:
        uow_factory, invoice_id = self._ctx.uow_factory, self.invoice_id
        if invoice_id is None:
            return

        def issue(_: TaskContext) -> str:
            return issue_invoice(uow_factory(), invoice_id)

        self._ctx.runner.run(
            issue,
            progress_label="Issuing…",
            parent=self,
            on_success=self._on_issued,
            on_failure=self._on_save_failed,
        )

    def _on_issued(self, number: object) -> None:
        self.issued_number = str(number)
        if self.invoice_id is not None:
            self.invoice_saved.emit(self.invoice_id, f"Issued {self.issued_number}")
        self._reload_detail()
        ask.inform(
            self,
            "Invoice issued",
            f"The invoice is issued as {self.issued_number}.\n\n"
            "Send it by email, or save its PDF to send it yourself.",
        )

    def _reload_detail(self) -> None:
        uow_factory, invoice_id, today = (
            self._ctx.uow_factory,
            self.invoice_id,
            self._ctx.clock.today(),
        )
        if invoice_id is None:
            return

        def read(_: TaskContext) -> InvoiceDetail:
            return get_invoice(uow_factory(), invoice_id, today)

        def shown(detail: InvoiceDetail) -> None:
            self.detail = detail
            self._show_state(detail)
            self._update_buttons()

        self._ctx.runner.fetch(read, shown, self._on_save_failed)

    # -- PDF ---------------------------------------------------------------------------------

    @Slot()
    def _on_pdf_button_clicked(self) -> None:
        if not self.is_read_only() and (self._dirty or self.invoice_id is None):
            self.save_draft(then="pdf")
            return
        self._write_pdf(open_after=False)

    @Slot()
    def _on_open_pdf_button_clicked(self) -> None:
        if not self.is_read_only() and (self._dirty or self.invoice_id is None):
            self.save_draft(then="open")
            return
        self._write_pdf(open_after=True)

    def _write_pdf(self, *, open_after: bool) -> None:
        invoice_id = self.invoice_id
        if invoice_id is None:
            return
        number = self.detail.number if self.detail is not None else ""
        if open_after:
            target = Path(tempfile.mkdtemp(prefix="duebook-pdf-"))
        else:
            suggested = f"{number or 'draft-' + str(invoice_id)}.pdf"
            chosen = ask.choose_save_file(self, "Save invoice PDF", suggested, "PDF (*.pdf)")
            if chosen is None:
                return
            target = chosen
        # The PDF is in the customer's language with its number formats: no locale passed.
        uow_factory, today = self._ctx.uow_factory, self._ctx.clock.today()

        def write(_: TaskContext) -> Path:
            return write_invoice_pdf(uow_factory(), invoice_id, target, today)

        def written(path: Path) -> None:
            if open_after:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
            else:
                show_form_error(self.error, "")
                self.state_label.setText(f"{self.state_label.text()}  Saved {path.name}.")

        self._ctx.runner.run(
            write,
            progress_label="Writing the PDF…",
            parent=self,
            on_success=written,
            on_failure=self._on_save_failed,
            io=True,
        )

    # -- email -------------------------------------------------------------------------------

    def can_email(self) -> bool:
        """Whether the document is issued (not a draft, not void) and so may be emailed."""
        return self.detail is not None and self.detail.state == DocumentState.ISSUED

    @Slot()
    def _on_email_button_clicked(self) -> None:
        if self.invoice_id is None or not self.can_email():
            return
        # Closed while it sends, a dialog stays alive to hear the outcome (the status bar says it).
        old = self.email_dialog
        if old is not None and old.busy:
            old.open()
            return
        if old is not None:
            old.deleteLater()
        dialog = SendDocumentEmailDialog(self._ctx, self.invoice_id, self)
        dialog.email_sent.connect(self._on_email_sent)
        self.email_dialog = dialog
        dialog.open()

    def _on_email_sent(self, _item_id: int, words: str) -> None:
        if self.invoice_id is not None:
            self.invoice_saved.emit(self.invoice_id, words)

    def _update_buttons(self) -> None:
        read_only = self.is_read_only()
        self.save_button.setVisible(not read_only)
        self.issue_button.setVisible(not read_only)
        self.email_button.setVisible(self.can_email())

    @override
    def reject(self) -> None:
        if (
            self._dirty
            and not self.is_read_only()
            and not ask.confirm(
                self,
                "Unsaved changes",
                "Close without saving your changes?",
                "Close without saving",
            )
        ):
            return
        super().reject()


def search_as_you_type(combo: QComboBox, placeholder: str = "") -> None:
    """Let an editable combo box find its items by any part of their text."""
    line = combo.lineEdit()
    if line is not None and placeholder:
        line.setPlaceholderText(placeholder)
    completer = combo.completer()
    if completer is not None:
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)


def banner(text: str = "") -> QLabel:
    """A hidden strip across a dialog's top that says what state it is in ("read only")."""
    label = QLabel(text)
    label.setObjectName("ReadOnlyBanner")
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setFrameShape(QFrame.Shape.StyledPanel)
    label.setMargin(6)
    label.setAutoFillBackground(True)
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.Window, palette.color(QPalette.ColorRole.ToolTipBase))
    palette.setColor(QPalette.ColorRole.WindowText, palette.color(QPalette.ColorRole.ToolTipText))
    label.setPalette(palette)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    label.hide()
    return label


def _amount_label(text: str = "", *, bold: bool = False) -> QLabel:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    label.setMinimumWidth(120)
    if bold:
        font = label.font()
        font.setBold(True)
        font.setPointSize(font.pointSize() + 1)
        label.setFont(font)
    return label
