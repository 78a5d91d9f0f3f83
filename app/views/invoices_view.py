"""The Invoices screen: the filtered list, the selected invoice's detail, and what to do with it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QDate, QModelIndex, QSettings, Qt, Slot
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QStyle,
    QWidget,
)

from app.services.customers import CustomerChoice, list_customer_choices
from app.services.dto import InvoiceDetail, InvoiceRow
from app.services.excel_export import export_invoices_xlsx
from app.services.file_import import import_invoices
from app.services.invoice_preview import (
    CreditNoteOfInvoice,
    InvoiceKind,
    InvoicePayment,
    InvoiceStatus,
    Money,
    credit_notes_of_invoice,
    payments_of_invoice,
)
from app.services.invoice_queries import InvoiceQuery, get_invoice
from app.services.invoicing import issue_invoice, record_payment, reverse_payment
from app.services.money_format import format_date
from app.services.pdf_invoices import export_invoice_pdfs, write_invoice_pdf
from app.services.settings import TaxRateView, list_tax_rates, load_settings
from app.services.tasks import TaskContext
from app.views import ask
from app.views.catch_up import issue_due_copies
from app.views.context import ViewContext
from app.views.correction_dialogs import CreditNoteDialog, VoidDialog
from app.views.inputs import DateEdit, from_qdate, use_medium_dates
from app.views.invoice_detail import InvoiceDetailPane, InvoiceShown
from app.views.invoice_editor import InvoiceDialog, search_as_you_type
from app.views.list_screen import ListScreen
from app.views.models.invoice_table_model import (
    COLUMN_SORT_KEYS,
    InvoiceColumn,
    InvoiceTableModel,
)
from app.views.models.table_support import ROW_ROLE
from app.views.payment_dialog import PaymentInput, RecordPaymentDialog
from app.views.recurring_dialog import RecurringDialog
from app.views.send_email_dialog import SendDocumentEmailDialog
from app.views.spreadsheet_actions import export_spreadsheet, import_spreadsheet
from app.views.style import STATUS_TEXT, muted, per_currency_text
from app.views.workers import show_error

_OPEN = frozenset({InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OVERDUE})
STATUS_FILTERS: tuple[tuple[str, frozenset[InvoiceStatus]], ...] = (
    ("All invoices", frozenset()),
    ("Open", _OPEN),
    ("Overdue", frozenset({InvoiceStatus.OVERDUE})),
    ("Partly paid", frozenset({InvoiceStatus.PARTIALLY_PAID})),
    ("Paid", frozenset({InvoiceStatus.PAID})),
    ("Draft", frozenset({InvoiceStatus.DRAFT})),
    ("Credited", frozenset({InvoiceStatus.CREDITED})),
    ("Void", frozenset({InvoiceStatus.VOID})),
)
_NO_DATE = QDate(2000, 1, 1)
#: Texts as wide as a column's widest usual value, to size the columns by the font.
_WIDEST = ("INV-2026-00000", "", "Dec 31, 2026", "Dec 31, 2026", "€188,888.88", "€188,888.88")


class InvoicesView(ListScreen):
    """The invoice list with filters, a detail pane, and the actions on the selected invoices."""

    title = "Invoices"
    search_placeholder = "Search number, customer, PO"
    can_import = True
    noun = "invoice"
    stretch_column = InvoiceColumn.CUSTOMER

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("InvoicesView")
        self._customers_loaded = False
        self._payment_row: InvoiceRow | None = None
        self.payment_dialog: RecordPaymentDialog | None = None
        self.email_dialog: SendDocumentEmailDialog | None = None
        self.void_dialog: VoidDialog | None = None
        self.credit_dialog: CreditNoteDialog | None = None
        self.recurring_dialog: RecurringDialog | None = None
        self.model = InvoiceTableModel(ctx, self)
        self._build_actions()
        self._build_filters()
        self._build_table()
        self.detail = InvoiceDetailPane(ctx.locale)
        self.detail.undo_payment_requested.connect(self._on_detail_undo_payment_requested)
        self._totals = muted(QLabel())
        self._totals.setObjectName("InvoiceTotals")
        self._count = muted(QLabel())

        list_box = self._list_with_footer(self._count, self._totals)

        self.splitter = self._new_splitter(
            "InvoicesSplitter", (list_box, self.detail), (2, 1), [840, 380]
        )
        self._place_pages(self._build_empty_state(), self._filters)

        self.model.reloaded.connect(self._on_model_reloaded)
        self.model.counted.connect(self._on_model_counted)
        self.model.totals_loaded.connect(self._on_model_totals_loaded)
        self.model.load_failed.connect(self._on_model_load_failed)
        self._update_actions()

    # -- building ----------------------------------------------------------------------------

    def icon(self) -> QIcon:
        return self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogDetailedView)

    def _build_actions(self) -> None:
        sp = QStyle.StandardPixmap
        self.new_action = self._action("New invoice", self._on_new_action_triggered, sp.SP_FileIcon)
        self.new_action.setToolTip("New invoice (Ctrl+N)")
        self.open_action = self._action("Open", self._on_open_action_triggered, sp.SP_DirOpenIcon)
        self.issue_action = self._action(
            "Issue", self._on_issue_action_triggered, sp.SP_DialogApplyButton
        )
        self.void_action = self._action("Void…", self._on_void_action_triggered)
        self.credit_action = self._action("Credit note…", self._on_credit_action_triggered)
        self.payment_action = self._action("Record payment…", self._on_payment_action_triggered)
        self.recurring_action = self._action(
            "Make recurring…", self._on_recurring_action_triggered, sp.SP_BrowserReload
        )
        self.recurring_action.setToolTip(
            "Issue a copy of this invoice every month, quarter or year"
        )
        self.pdf_action = self._action(
            "Save PDF…", self._on_pdf_action_triggered, sp.SP_DialogSaveButton
        )
        self.email_action = self._action("Send by email…", self._on_email_action_triggered)
        self.email_action.setToolTip("Email the invoice or credit note with its PDF")
        self.import_action = self._action(
            "Import…", self._on_import_action_triggered, sp.SP_ArrowDown
        )
        self.import_action.setToolTip("Import invoices from CSV or Excel (Ctrl+I)")
        self.export_action = self._action(
            "Export XLSX…", self._on_export_action_triggered, sp.SP_ArrowUp
        )
        self.delete_shortcut = QKeySequence(QKeySequence.StandardKey.Delete)
        self.void_action.setShortcut(self.delete_shortcut)
        self.void_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.void_action)
        for action in (
            self.new_action,
            self.open_action,
            self.issue_action,
            self.payment_action,
            self.pdf_action,
            self.email_action,
        ):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.credit_action)
        self.toolbar.addAction(self.void_action)
        self.toolbar.addAction(self.recurring_action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.import_action)
        self.toolbar.addAction(self.export_action)

    def _build_filters(self) -> None:
        self.status_filter = QComboBox()
        self.status_filter.setAccessibleName("Status")
        for label, _ in STATUS_FILTERS:
            self.status_filter.addItem(label)
        self.customer_filter = QComboBox()
        self.customer_filter.setAccessibleName("Customer")
        self.customer_filter.setEditable(True)
        self.customer_filter.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.customer_filter.setMinimumWidth(120)
        self.customer_filter.setMinimumContentsLength(10)
        self.customer_filter.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.customer_filter.addItem("All customers", None)
        search_as_you_type(self.customer_filter)
        self.issued_from = _optional_date_edit("Issued from", self.ctx.locale)
        self.issued_to = _optional_date_edit("Issued to", self.ctx.locale)
        self._filters = QHBoxLayout()
        self._filters.setSpacing(6)
        for label, widget in (
            ("Status", self.status_filter),
            ("Customer", self.customer_filter),
            ("Issued", self.issued_from),
            ("to", self.issued_to),
        ):
            caption = QLabel(label)
            caption.setBuddy(widget)
            self._filters.addWidget(caption)
            self._filters.addWidget(widget)
        self._filters.addStretch(1)
        self.status_filter.currentIndexChanged.connect(self._on_filter_changed)
        self.customer_filter.activated.connect(self._on_filter_changed)
        line = self.customer_filter.lineEdit()
        if line is not None:
            line.editingFinished.connect(self._on_customer_filter_editing_finished)
        self.issued_from.dateChanged.connect(self._on_filter_changed)
        self.issued_to.dateChanged.connect(self._on_filter_changed)

    def _build_table(self) -> None:
        self.table = self._new_table(
            "InvoiceTable", self.model, QAbstractItemView.SelectionMode.ExtendedSelection
        )
        self.table.setTabKeyNavigation(False)
        widest = (*_WIDEST, STATUS_TEXT[InvoiceStatus.PARTIALLY_PAID])
        self._size_columns(widest, icon_column=InvoiceColumn.STATUS)
        self._fit_columns()
        self._sync_sort_indicator()
        self.table.setSortingEnabled(True)

    def _build_empty_state(self) -> QWidget:
        page = self._new_empty_state(
            "No invoices yet",
            "Write your first invoice, or bring in the invoices from your accounting "
            "system as a CSV or Excel file.",
        )
        self.empty_settings_hint, self.empty_settings_button = page.add_hint(
            "Start with your company details in Settings: your name, address and bank "
            "account go on every invoice.",
            "Open Settings",
        )
        self._settings_widgets = (self.empty_settings_hint, self.empty_settings_button)
        self.empty_settings_button.clicked.connect(lambda: self.screen_requested.emit("Settings"))
        return page

    # -- Screen hooks ------------------------------------------------------------------------

    def set_search(self, text: str) -> None:
        super().set_search(text)
        if text.strip() != self.model.query().search:
            self.model.set_query(replace(self.model.query(), search=text.strip()))

    def refresh(self) -> None:
        self.stale = False
        self.model.reload()
        self._load_customers()
        self._load_company()
        self._load_detail(self._detail_for)

    def _load_company(self) -> None:
        uow_factory = self.ctx.uow_factory

        def read(_: TaskContext) -> bool:
            return not load_settings(uow_factory()).get("company.name", "").strip()

        self.ctx.runner.fetch(read, self._on_company_loaded, self._on_model_load_failed)

    def _on_company_loaded(self, missing: bool) -> None:
        for widget in self._settings_widgets:
            widget.setVisible(missing)

    def needs_company_details(self) -> bool:
        """Whether the empty state asks for the company details first."""
        return not self.empty_settings_button.isHidden()

    def save_state(self, settings: QSettings) -> None:
        super().save_state(settings)
        query = self.model.query()
        settings.setValue("invoices/sort_key", query.sort_key)
        settings.setValue("invoices/descending", "1" if query.descending else "0")

    def restore_state(self, settings: QSettings) -> None:
        super().restore_state(settings)
        key = str(settings.value("invoices/sort_key", "issue_date"))
        descending = str(settings.value("invoices/descending", "1")) == "1"
        if key in COLUMN_SORT_KEYS:
            self.table.setSortingEnabled(False)
            query = replace(self.model.query(), sort_key=key, descending=descending)
            self.model.set_query(query, reload=False)
            self._sync_sort_indicator()
            self.table.setSortingEnabled(True)

    def _sync_sort_indicator(self) -> None:
        query = self.model.query()
        if query.sort_key in COLUMN_SORT_KEYS:
            order = (
                Qt.SortOrder.DescendingOrder if query.descending else Qt.SortOrder.AscendingOrder
            )
            self.table.horizontalHeader().setSortIndicator(
                COLUMN_SORT_KEYS.index(query.sort_key), order
            )

    # -- the list ----------------------------------------------------------------------------

    def _current_query(self) -> InvoiceQuery:
        statuses = STATUS_FILTERS[max(self.status_filter.currentIndex(), 0)][1]
        customer = self.customer_filter.currentData()
        issued_from = self.issued_from.date()
        issued_to = self.issued_to.date()
        return replace(
            self.model.query(),
            statuses=statuses,
            include_credit_notes=not statuses,
            customer_id=customer if isinstance(customer, int) else None,
            issued_from=None if issued_from == _NO_DATE else from_qdate(issued_from),
            issued_to=None if issued_to == _NO_DATE else from_qdate(issued_to),
        )

    def _is_unfiltered(self) -> bool:
        query = self.model.query()
        return query == InvoiceQuery(sort_key=query.sort_key, descending=query.descending)

    @Slot()
    def _on_filter_changed(self) -> None:
        query = self._current_query()
        if query != self.model.query():
            self.model.set_query(query)

    @Slot()
    def _on_customer_filter_editing_finished(self) -> None:
        text = self.customer_filter.currentText().strip()
        index = self.customer_filter.findText(text, Qt.MatchFlag.MatchFixedString)
        if not text:
            index = 0
        if index >= 0 and index != self.customer_filter.currentIndex():
            self.customer_filter.setCurrentIndex(index)
        self._on_filter_changed()

    def select_status_filter(self, label: str) -> None:
        """Choose a status filter by its label ("Overdue")."""
        self.status_filter.setCurrentIndex(self.status_filter.findText(label))

    def _load_customers(self) -> None:
        uow_factory = self.ctx.uow_factory

        def read(_: TaskContext) -> list[CustomerChoice]:
            return list_customer_choices(uow_factory())

        self.ctx.runner.fetch(read, self._on_customers_loaded, self._on_model_load_failed)

    def _on_customers_loaded(self, customers: list[CustomerChoice]) -> None:
        current = self.customer_filter.currentData()
        self.customer_filter.blockSignals(True)
        self.customer_filter.clear()
        self.customer_filter.addItem("All customers", None)
        for customer in customers:
            self.customer_filter.addItem(customer.label, customer.id)
        index = self.customer_filter.findData(current) if current is not None else 0
        self.customer_filter.setCurrentIndex(max(index, 0))
        self.customer_filter.blockSignals(False)
        self._customers_loaded = True

    def _fit_numbers(self) -> None:
        """Widen the number column to the longest number shown: numbers are never cut short."""
        metrics = self.table.fontMetrics()
        rows = self.model.loaded_rows()
        widest = max((metrics.horizontalAdvance(r.number) for r in rows), default=0)
        header = self.table.horizontalHeader()
        if widest + 18 > header.sectionSize(InvoiceColumn.NUMBER):
            header.resizeSection(InvoiceColumn.NUMBER, widest + 18)

    def _on_model_reloaded(self, rows: int) -> None:
        self._fit_numbers()
        self._sync_sort_indicator()
        self._show_empty_state_if_needed()
        if self._detail_for is not None:
            row = self.model.row_of(self._detail_for)
            if row is not None:
                self.table.selectRow(row)
        self._count.setText(_count_text(rows, self.model.total_count()))
        self._update_actions()

    @Slot(int)
    def _on_model_counted(self, count: int) -> None:
        self._count.setText(_count_text(count, count))
        self._show_empty_state_if_needed()

    def _show_empty_state_if_needed(self) -> None:
        empty = self.model.total_count() == 0 and self._is_unfiltered()
        self.pages.setCurrentIndex(1 if empty else 0)
        self._show_export_for(empty)

    @Slot(dict)
    def _on_model_totals_loaded(self, totals: dict[str, Money]) -> None:
        text = per_currency_text(totals, self.ctx.locale)
        self._totals.setText(f"Open: {text}" if text else "Nothing open")

    @Slot(Exception)
    def _on_model_load_failed(self, exc: Exception) -> None:
        show_error(self, exc)

    # -- selection and detail ----------------------------------------------------------------

    def selected_rows(self) -> list[InvoiceRow]:
        """The selected invoices (those whose rows are loaded), top to bottom."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        found = [self.model.row_at(r) for r in rows]
        return [r for r in found if r is not None]

    def _current_row(self) -> InvoiceRow | None:
        selected = self.selected_rows()
        return selected[0] if len(selected) == 1 else None

    @Slot()
    def _on_table_selection_changed(self) -> None:
        row = self._current_row()
        self._update_actions()
        if row is None:
            if not self.selected_rows():
                self._detail_for = None
                self.detail.show_invoice(None)
            return
        if row.id != self._detail_for:
            self._load_detail(row.id)

    def _load_detail(self, invoice_id: int | None) -> None:
        self._detail_for = invoice_id
        if invoice_id is None:
            self.detail.show_invoice(None)
            return
        uow_factory, today = self.ctx.uow_factory, self.ctx.clock.today()

        def read(_: TaskContext) -> InvoiceShown:
            uow = uow_factory()
            detail = get_invoice(uow, invoice_id, today)
            return InvoiceShown(
                detail,
                tuple(payments_of_invoice(uow, invoice_id)),
                tuple(credit_notes_of_invoice(uow, invoice_id)),
            )

        self.ctx.runner.fetch(read, self._on_detail_loaded, self._on_detail_failed)

    def _on_detail_loaded(self, shown: InvoiceShown) -> None:
        if shown.detail.id == self._detail_for:
            self.detail.show_invoice(shown)

    def _on_detail_failed(self, exc: Exception) -> None:
        self.detail.show_invoice(None)

    def _update_actions(self) -> None:
        selected = self.selected_rows()
        row = selected[0] if len(selected) == 1 else None
        invoice = row is not None and row.kind == InvoiceKind.INVOICE
        status = row.status if row is not None else None
        self.open_action.setEnabled(row is not None)
        self.issue_action.setEnabled(status == InvoiceStatus.DRAFT)
        self.void_action.setEnabled(
            row is not None
            and status in {InvoiceStatus.DRAFT, InvoiceStatus.OPEN, InvoiceStatus.OVERDUE}
        )
        self.credit_action.setEnabled(invoice and status in _OPEN | {InvoiceStatus.PAID})
        self.payment_action.setEnabled(invoice and status in _OPEN)
        self.recurring_action.setEnabled(
            invoice and status not in {None, InvoiceStatus.DRAFT, InvoiceStatus.VOID}
        )
        self.pdf_action.setEnabled(
            bool(selected) and all(r.status != InvoiceStatus.VOID for r in selected)
        )
        self.email_action.setEnabled(
            row is not None and status not in {None, InvoiceStatus.DRAFT, InvoiceStatus.VOID}
        )

    @Slot(QModelIndex)
    def _on_table_activated(self, index: QModelIndex) -> None:
        row = index.data(ROW_ROLE)
        if isinstance(row, InvoiceRow):
            self.open_invoice(row.id)

    def _menu_actions(self) -> Sequence[QAction | None]:
        return (
            self.new_action,
            self.open_action,
            self.issue_action,
            None,
            self.void_action,
            self.credit_action,
            self.payment_action,
            self.recurring_action,
            None,
            self.pdf_action,
            self.email_action,
            self.import_action,
            self.export_action,
        )

    # -- actions -----------------------------------------------------------------------------

    def new_invoice(self) -> InvoiceDialog:
        """Open the editor on a new draft (Ctrl+N)."""
        return self._open_editor(None)

    def open_invoice(self, invoice_id: int) -> InvoiceDialog:
        """Open the editor on an invoice (read-only once issued)."""
        return self._open_editor(invoice_id)

    def _open_editor(self, invoice_id: int | None) -> InvoiceDialog:
        dialog = InvoiceDialog(self.ctx, invoice_id, parent=self)
        dialog.invoice_saved.connect(self._on_form_row_saved)
        return self._show_dialog(dialog)

    def _reload_list(self) -> None:
        self.model.reload()

    @Slot()
    def _on_new_action_triggered(self) -> None:
        self.new_invoice()

    @Slot()
    def _on_open_action_triggered(self) -> None:
        row = self._current_row()
        if row is not None:
            self.open_invoice(row.id)

    @Slot()
    def _on_issue_action_triggered(self) -> None:
        row = self._current_row()
        if row is None or row.status != InvoiceStatus.DRAFT:
            return
        if not ask.confirm(
            self,
            "Issue invoice",
            f"Issue the draft for {row.customer_name} ({self._money(row.total)})?\n\n"
            "It gets the next invoice number and can no longer be edited; "
            "corrections are made with a credit note.",
            "Issue",
        ):
            return
        uow_factory, invoice_id = self.ctx.uow_factory, row.id

        def issue(_: TaskContext) -> str:
            return issue_invoice(uow_factory(), invoice_id)

        self._detail_for = invoice_id
        self.ctx.runner.run(
            issue,
            progress_label="Issuing the invoice…",
            parent=self,
            on_success=lambda number: self._after_change(f"Issued {number}"),
        )

    @Slot()
    def _on_void_action_triggered(self) -> None:
        row = self._current_row()
        if row is None or not self.void_action.isEnabled():
            return
        self._detail_for = row.id
        self.void_dialog = VoidDialog(self.ctx, row.id, row.number, row.customer_name, self)
        self.void_dialog.voided.connect(self._on_void_dialog_voided)
        self._show_dialog(self.void_dialog)

    @Slot(int, str)
    def _on_void_dialog_voided(self, _invoice_id: int, message: str) -> None:
        self._after_change(message)

    @Slot()
    def _on_credit_action_triggered(self) -> None:
        row = self._current_row()
        if row is None or not self.credit_action.isEnabled():
            return
        uow_factory, today, invoice_id = self.ctx.uow_factory, self.ctx.clock.today(), row.id

        def read(
            _: TaskContext,
        ) -> tuple[InvoiceDetail, list[CreditNoteOfInvoice], list[TaxRateView]]:
            uow = uow_factory()
            return (
                get_invoice(uow, invoice_id, today),
                credit_notes_of_invoice(uow, invoice_id),
                list_tax_rates(uow),
            )

        self.ctx.runner.fetch(read, self._open_credit_dialog, self._on_model_load_failed)

    def _open_credit_dialog(
        self, loaded: tuple[InvoiceDetail, list[CreditNoteOfInvoice], list[TaxRateView]]
    ) -> None:
        invoice, credited, rates = loaded
        self._detail_for = invoice.id
        self.credit_dialog = CreditNoteDialog(self.ctx, invoice, tuple(credited), rates, self)
        self.credit_dialog.credit_note_issued.connect(
            lambda _id, number: self._after_change(
                f"Issued credit note {number} against {invoice.number}"
            )
        )
        self._show_dialog(self.credit_dialog)

    @Slot(object)
    def _on_detail_undo_payment_requested(self, payment: InvoicePayment) -> None:
        shown = self.detail.shown
        if shown is None:
            return
        invoice = shown.detail
        received = format_date(payment.received_on, self.ctx.locale)
        text = (
            f"Undo the payment of {self._money(payment.amount)} received on {received}"
            + (f" ({payment.reference})" if payment.reference else "")
            + f"?\n\n{invoice.number} is open again for {self._money(payment.applied)}."
        )
        if payment.amount != payment.applied:
            text += (
                " The whole payment is taken back, also where it went to other invoices "
                "or stayed on the customer's account."
            )
        text += " The payment stays in the audit log as undone."
        if not ask.confirm(self, "Undo payment", text, "Undo payment"):
            return
        uow_factory, payment_id = self.ctx.uow_factory, payment.payment_id

        def undo(_: TaskContext) -> None:
            reverse_payment(uow_factory(), payment_id)

        message = f"Undid the payment of {self._money(payment.amount)} — the invoice is open again"
        self._detail_for = invoice.id
        self.ctx.runner.run(
            undo,
            progress_label="Undoing the payment…",
            parent=self,
            on_success=lambda _: self._after_change(message),
        )

    @Slot()
    def _on_recurring_action_triggered(self) -> None:
        row = self._current_row()
        if row is None or not self.recurring_action.isEnabled():
            return
        self.recurring_dialog = RecurringDialog(self.ctx, row, self)
        self.recurring_dialog.recurring_made.connect(self._on_recurring_dialog_recurring_made)
        self._show_dialog(self.recurring_dialog)

    @Slot(int, str)
    def _on_recurring_dialog_recurring_made(self, _template_id: int, message: str) -> None:
        dialog = self.recurring_dialog
        self._after_change(message)
        if dialog is not None and dialog.chosen_first() <= self.ctx.clock.today():
            issue_due_copies(self.ctx, self, self._on_due_copies_issued)

    def _on_due_copies_issued(self, numbers: list[str], message: str) -> None:
        if numbers:
            self._after_change(message)
        elif message:
            self.status_reported.emit(message)

    @Slot()
    def _on_payment_action_triggered(self) -> None:
        row = self._current_row()
        if row is None or not self.payment_action.isEnabled():
            return
        self._payment_row = row
        self.payment_dialog = RecordPaymentDialog(
            row, self.ctx.clock.today(), self.ctx.locale, self
        )
        self.payment_dialog.payment_entered.connect(self._on_payment_dialog_payment_entered)
        self._show_dialog(self.payment_dialog)

    @Slot(object)
    def _on_payment_dialog_payment_entered(self, payment: PaymentInput) -> None:
        row = self._payment_row
        if row is None:
            return
        uow_factory = self.ctx.uow_factory
        applied = min(payment.amount, row.open_amount)

        def record(_: TaskContext) -> None:
            record_payment(
                uow_factory(),
                row.customer_id,
                payment.amount,
                payment.received_on,
                [(row.id, applied)],
                reference=payment.reference,
                method=payment.method,
            )

        message = f"Recorded {self._money(payment.amount)} from {row.customer_name} on {row.number}"
        self.ctx.runner.run(
            record,
            progress_label="Recording the payment…",
            parent=self,
            on_success=lambda _: self._after_change(message),
        )

    @Slot()
    def _on_email_action_triggered(self) -> None:
        row = self._current_row()
        if row is None or not self.email_action.isEnabled():
            return
        if self.email_dialog is not None:
            self.email_dialog.deleteLater()
        # Kept (not deleted on close) until the next one: a send under way reports to it.
        self.email_dialog = SendDocumentEmailDialog(self.ctx, row.id, self)
        self.email_dialog.email_sent.connect(lambda _id, words: self._after_change(words))
        self.email_dialog.open()

    @Slot()
    def _on_pdf_action_triggered(self) -> None:
        selected = [r for r in self.selected_rows() if r.status != InvoiceStatus.VOID]
        if not selected:
            return
        # The PDF is in the customer's language with its number formats: no locale passed.
        uow_factory, today = self.ctx.uow_factory, self.ctx.clock.today()
        if len(selected) == 1:
            row = selected[0]
            suggested = f"{row.number or 'draft-' + str(row.id)}.pdf"
            target = ask.choose_save_file(self, "Save invoice PDF", suggested, "PDF (*.pdf)")
            if target is None:
                return

            def write(_: TaskContext) -> Path:
                return write_invoice_pdf(uow_factory(), row.id, target, today)

            self.ctx.runner.run(
                write,
                progress_label=f"Writing {target.name}…",
                parent=self,
                on_success=lambda path: self.status_reported.emit(f"Saved {path.name}"),
                io=True,
            )
            return
        folder = ask.choose_folder(self, f"Save {len(selected)} invoice PDFs into")
        if folder is None:
            return
        ids = [r.id for r in selected]

        def write_all(ctx: TaskContext) -> list[Path]:
            return export_invoice_pdfs(uow_factory(), ids, folder, today, ctx)

        self.ctx.runner.run(
            write_all,
            progress_label=f"Writing {len(ids)} PDFs…",
            parent=self,
            on_success=lambda paths: self.status_reported.emit(
                f"Saved {len(paths)} PDFs in {folder}"
            ),
            io=True,
        )

    @Slot()
    def _on_import_action_triggered(self) -> None:
        import_spreadsheet(self, "invoice", import_invoices, self._after_change)

    @Slot()
    def _on_export_action_triggered(self) -> None:
        today = self.ctx.clock.today()
        export_spreadsheet(
            self, "invoice", lambda uow, path: export_invoices_xlsx(uow, path, today)
        )

    def _money(self, money: Money) -> str:
        return per_currency_text({money.currency: money}, self.ctx.locale) or "0"


def _optional_date_edit(name: str, locale: str) -> QDateEdit:
    edit = DateEdit()
    edit.setAccessibleName(name)
    edit.setCalendarPopup(True)
    use_medium_dates(edit, locale)
    edit.setMinimumDate(_NO_DATE)
    edit.setSpecialValueText("Any")
    edit.setDate(_NO_DATE)
    edit.setMinimumWidth(110)
    return edit


def _count_text(rows: int, total: int | None) -> str:
    if total is None:
        return f"{rows:,}+ invoices"
    return "1 invoice" if total == 1 else f"{total:,} invoices"
