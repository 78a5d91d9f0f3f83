"""The Customers screen: the list with balances and one customer's account in full."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, Qt, Slot
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.services.customers import add_note, get_customer, list_customers
from app.services.dto import CustomerDetail, CustomerRow, RecurringRow
from app.services.excel_export import export_customers_xlsx
from app.services.file_import import import_customers
from app.services.invoice_preview import Money, credit_limits
from app.services.recurring import stop_recurring
from app.services.tasks import TaskContext
from app.views import ask
from app.views.context import ViewContext
from app.views.customer_detail import CustomerDetailPane
from app.views.customer_dialog import CustomerDialog
from app.views.list_screen import ListScreen
from app.views.models.customer_table_model import (
    CustomerColumn,
    CustomerSortProxy,
    CustomerTableModel,
)
from app.views.models.table_support import ROW_ROLE
from app.views.spreadsheet_actions import export_spreadsheet, import_spreadsheet
from app.views.style import muted, show_form_error
from app.views.workers import show_error

#: Texts as wide as a column's usual values (the name column takes what is left).
_WIDEST = ("", "K10000", "GB", "New customer", "", "€188,888.88", "€188,888.88")
_EMAIL_WIDTH = 140


class CustomersView(ListScreen):
    """The customer list and the selected customer's account."""

    title = "Customers"
    search_placeholder = "Search name, id, alias, email"
    can_import = True
    noun = "customer"
    stretch_column = CustomerColumn.NAME

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("CustomersView")
        self._loaded_once = False
        self.model = CustomerTableModel(ctx.locale, self)
        self.proxy = CustomerSortProxy(ctx.locale, self)
        self.proxy.setSourceModel(self.model)
        self._build_actions()
        self._build_table()
        self.detail = CustomerDetailPane(ctx.locale)
        self._count = muted(QLabel())
        self.no_match = muted(QLabel())
        self.no_match.setObjectName("NoCustomerMatches")
        self.no_match.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_match.setWordWrap(True)
        self.no_match.setTextFormat(Qt.TextFormat.PlainText)
        self.list_pages = QStackedWidget()
        self.list_pages.addWidget(self.table)
        self.list_pages.addWidget(self.no_match)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.list_pages, 1)
        left_layout.addWidget(self._count)
        self.splitter = self._new_splitter(
            "CustomersSplitter", (left, self.detail), (3, 2), [790, 420]
        )
        self._place_pages(
            self._new_empty_state(
                "No customers yet",
                "Add the people and companies you invoice, or bring them in from your "
                "accounting system as a CSV or Excel file.",
            )
        )
        self.detail.add_note_button.clicked.connect(self._on_add_note_button_clicked)
        self.detail.stop_recurring_requested.connect(self._on_detail_stop_recurring_requested)
        self._update_actions()

    def _build_table(self) -> None:
        self.table = self._new_table(
            "CustomerTable", self.proxy, QAbstractItemView.SelectionMode.SingleSelection
        )
        self._size_columns(_WIDEST)
        header = self.table.horizontalHeader()
        header.resizeSection(CustomerColumn.EMAIL, _EMAIL_WIDTH)
        self._fit_columns()
        header.setSortIndicator(CustomerColumn.NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)

    def icon(self) -> QIcon:
        return self.style().standardIcon(QStyle.StandardPixmap.SP_DirHomeIcon)

    def _build_actions(self) -> None:
        sp = QStyle.StandardPixmap
        self.new_action = self._action(
            "New customer", self._on_new_action_triggered, sp.SP_FileIcon
        )
        self.edit_action = self._action("Edit…", self._on_edit_action_triggered, sp.SP_DirOpenIcon)
        self.note_action = self._action("Add note", self._on_note_action_triggered)
        self.import_action = self._action(
            "Import…", self._on_import_action_triggered, sp.SP_ArrowDown
        )
        self.import_action.setToolTip("Import customers from CSV or Excel (Ctrl+I)")
        self.export_action = self._action(
            "Export XLSX…", self._on_export_action_triggered, sp.SP_ArrowUp
        )
        for action in (self.new_action, self.edit_action, self.note_action):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.import_action)
        self.toolbar.addAction(self.export_action)

    # -- Screen hooks ------------------------------------------------------------------------

    def set_search(self, text: str) -> None:
        super().set_search(text)
        self.refresh()

    def refresh(self) -> None:
        self.stale = False
        uow_factory, today, search = self.ctx.uow_factory, self.ctx.clock.today(), self.search_text

        def read(_: TaskContext) -> tuple[list[CustomerRow], dict[int, Money], str]:
            uow = uow_factory()
            return list_customers(uow, today, search), credit_limits(uow), search

        self.ctx.runner.fetch(read, self._on_customers_loaded, self._on_load_failed)

    def _reload_list(self) -> None:
        self.refresh()

    # -- list and detail ---------------------------------------------------------------------

    def _on_customers_loaded(self, loaded: tuple[list[CustomerRow], dict[int, Money], str]) -> None:
        rows, limits, search = loaded
        self._loaded_once = True
        self.model.set_rows(rows, limits)
        self._count.setText("1 customer" if len(rows) == 1 else f"{len(rows):,} customers")
        empty_ledger = not rows and not search.strip()
        self.pages.setCurrentIndex(1 if empty_ledger else 0)
        self.no_match.setText(f"No customer matches '{search.strip()}'")
        self.list_pages.setCurrentIndex(1 if not rows and not empty_ledger else 0)
        self._show_export_for(empty_ledger)
        if self._detail_for is not None and self.model.row_of(self._detail_for) is None:
            # the search left the selected customer out: show nothing rather than a stale one
            self._load_detail(None)
        elif self._detail_for is not None:
            self.select_customer(self._detail_for)
        self._update_actions()

    def _on_load_failed(self, exc: Exception) -> None:
        show_error(self, exc)

    def select_customer(self, customer_id: int) -> None:
        """Select a customer in the list (and show their account)."""
        row = self.model.row_of(customer_id)
        if row is None:
            self._load_detail(customer_id)
            self._update_actions()
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectRow(index.row())
        self.table.scrollTo(index)
        self._load_detail(customer_id)

    def selected_customer(self) -> CustomerRow | None:
        """The customer selected in the list."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        value = rows[0].data(ROW_ROLE)
        return value if isinstance(value, CustomerRow) else None

    @Slot()
    def _on_table_selection_changed(self) -> None:
        self._update_actions()
        customer = self.selected_customer()
        if customer is not None and customer.id != self._detail_for:
            self._load_detail(customer.id)

    def _load_detail(self, customer_id: int | None) -> None:
        self._detail_for = customer_id
        if customer_id is None:
            self.table.clearSelection()
            self.detail.show_customer(None)
            self._update_actions()
            return
        uow_factory, today = self.ctx.uow_factory, self.ctx.clock.today()

        def read(_: TaskContext) -> CustomerDetail:
            return get_customer(uow_factory(), customer_id, today)

        self.ctx.runner.fetch(read, self._on_detail_loaded, self._on_load_failed)

    def _on_detail_loaded(self, detail: CustomerDetail) -> None:
        if detail.id == self._detail_for:
            self.detail.show_customer(detail)
            self._update_actions()

    def _update_actions(self) -> None:
        has = self._detail_for is not None
        self.edit_action.setEnabled(has)
        self.note_action.setEnabled(has)
        self.detail.add_note_button.setEnabled(has)

    @Slot(QModelIndex)
    def _on_table_activated(self, index: QModelIndex) -> None:
        row = index.data(ROW_ROLE)
        if isinstance(row, CustomerRow):
            self.edit_customer(row.id)

    def _menu_actions(self) -> Sequence[QAction | None]:
        return (
            self.new_action,
            self.edit_action,
            self.note_action,
            None,
            self.import_action,
            self.export_action,
        )

    # -- actions -----------------------------------------------------------------------------

    def new_customer(self) -> CustomerDialog:
        """Open the form for a new customer."""
        return self._open_dialog(None)

    def edit_customer(self, customer_id: int) -> CustomerDialog:
        """Open the form on a customer."""
        return self._open_dialog(customer_id)

    def _open_dialog(self, customer_id: int | None) -> CustomerDialog:
        dialog = CustomerDialog(self.ctx, customer_id, self)
        dialog.customer_saved.connect(self._on_form_row_saved)
        return self._show_dialog(dialog)

    @Slot()
    def _on_new_action_triggered(self) -> None:
        self.new_customer()

    @Slot()
    def _on_edit_action_triggered(self) -> None:
        if self._detail_for is not None:
            self.edit_customer(self._detail_for)

    @Slot()
    def _on_note_action_triggered(self) -> None:
        self.detail.note.setFocus()

    @Slot()
    def _on_add_note_button_clicked(self) -> None:
        customer_id = self._detail_for
        text = self.detail.note.toPlainText()
        if customer_id is None:
            return
        if not text.strip():
            show_form_error(self.detail.note_error, "Write the note first.")
            return
        uow_factory = self.ctx.uow_factory

        def save(_: TaskContext) -> None:
            add_note(uow_factory(), customer_id, text)

        def saved(_: object) -> None:
            self.detail.note.clear()
            show_form_error(self.detail.note_error, "")
            self.status_reported.emit("Note added to the timeline")
            self._load_detail(customer_id)

        self.ctx.runner.run(save, progress_label="Saving the note…", parent=self, on_success=saved)

    @Slot(object)
    def _on_detail_stop_recurring_requested(self, row: RecurringRow) -> None:
        if not ask.confirm(
            self,
            "Stop recurring invoice",
            f"Stop {row.name} for {row.customer_name}?\n\nNo more copies are issued; the "
            "invoices already issued stay as they are.",
            "Stop",
        ):
            return
        uow_factory, template_id = self.ctx.uow_factory, row.id

        def stop(_: TaskContext) -> None:
            stop_recurring(uow_factory(), template_id)

        self.ctx.runner.run(
            stop,
            progress_label="Stopping the recurring invoice…",
            parent=self,
            on_success=lambda _: self._after_change(f"Stopped the recurring invoice {row.name}"),
        )

    @Slot()
    def _on_import_action_triggered(self) -> None:
        import_spreadsheet(self, "customer", import_customers, self._after_change)

    @Slot()
    def _on_export_action_triggered(self) -> None:
        export_spreadsheet(self, "customer", export_customers_xlsx)
