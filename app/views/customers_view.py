"""The Customers screen: the list with balances and one customer's account in full."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, QModelIndex, QPoint, QSettings, Qt, Slot
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMenu,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.customers import add_note, get_customer, list_customers
from app.services.dto import CustomerDetail, CustomerRow
from app.services.excel_export import export_customers_xlsx
from app.services.file_import import import_customers
from app.services.invoice_preview import Money, credit_limits
from app.services.tasks import TaskContext
from app.views.context import ViewContext
from app.views.customer_detail import CustomerDetailPane
from app.views.customer_dialog import CustomerDialog
from app.views.empty_state import EmptyStatePage
from app.views.models.customer_table_model import (
    ROW_ROLE,
    CustomerColumn,
    CustomerSortProxy,
    CustomerTableModel,
)
from app.views.screen import Screen
from app.views.spreadsheet_actions import export_spreadsheet, import_spreadsheet
from app.views.style import muted, show_form_error
from app.views.workers import show_error

#: Texts as wide as a column's usual values (the name column takes what is left).
_WIDEST = ("", "K10000", "GB", "New customer", "", "€188,888.88", "€188,888.88")
_EMAIL_WIDTH = 140


class CustomersView(Screen):
    """The customer list and the selected customer's account."""

    title = "Customers"
    search_placeholder = "Search name, id, alias, email"
    can_import = True

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("CustomersView")
        self._detail_for: int | None = None
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
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("CustomersSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([790, 420])
        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(8, 4, 8, 4)
        content_layout.addWidget(self.splitter)
        self.pages = QStackedWidget()
        self.pages.addWidget(content)
        self.pages.addWidget(self._build_empty_state())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)

        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.table.activated.connect(self._on_table_activated)
        self.table.customContextMenuRequested.connect(self._on_table_context_menu_requested)
        self.detail.add_note_button.clicked.connect(self._on_add_note_button_clicked)
        self._update_actions()

    def _build_table(self) -> None:
        self.table = QTableView()
        self.table.setObjectName("CustomerTable")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionsMovable(True)
        header.setMinimumSectionSize(48)
        metrics, titles = self.table.fontMetrics(), header.fontMetrics()
        for column, text in enumerate(_WIDEST):
            if text:
                title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
                header.resizeSection(
                    column,
                    max(metrics.horizontalAdvance(text) + 16, titles.horizontalAdvance(title) + 28),
                )
        header.resizeSection(CustomerColumn.EMAIL, _EMAIL_WIDTH)
        self._fit_columns()
        header.setSortIndicator(CustomerColumn.NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)

    def _fit_columns(self) -> None:
        """The name column takes the width the others leave, so the list fits its pane."""
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(CustomerColumn.NAME, QHeaderView.ResizeMode.Stretch)

    def _build_empty_state(self) -> QWidget:
        page = EmptyStatePage(
            "No customers yet",
            "Add the people and companies you invoice, or bring them in from your "
            "accounting system as a CSV or Excel file.",
            "New customer",
        )
        self.empty_new_button, self.empty_import_button = page.new_button, page.import_button
        self.empty_new_button.clicked.connect(self._on_new_action_triggered)
        self.empty_import_button.clicked.connect(self._on_import_action_triggered)
        return page

    def is_empty_state_shown(self) -> bool:
        """Whether the "No customers yet" page is shown."""
        return self.pages.currentIndex() == 1

    def icon(self) -> QIcon:
        return self.style().standardIcon(QStyle.StandardPixmap.SP_DirHomeIcon)

    def _action(
        self, text: str, slot: Callable[[], None], pixmap: QStyle.StandardPixmap | None = None
    ) -> QAction:
        action = QAction(text, self)
        if pixmap is not None:
            action.setIcon(self.style().standardIcon(pixmap))
        action.triggered.connect(slot)
        return action

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

    def focus_list(self) -> bool:
        if self.is_empty_state_shown() or not self.proxy.rowCount():
            return False
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)
        return True

    def start_import(self) -> None:
        self._on_import_action_triggered()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("customers/header", self.table.horizontalHeader().saveState())
        settings.setValue("customers/splitter", self.splitter.saveState())

    def restore_state(self, settings: QSettings) -> None:
        header = settings.value("customers/header")
        if isinstance(header, QByteArray) and not header.isEmpty():
            self.table.horizontalHeader().restoreState(header)
            self._fit_columns()
        splitter = settings.value("customers/splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.splitter.restoreState(splitter)

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
        self.export_action.setEnabled(not empty_ledger)
        self.export_action.setToolTip(
            "Nothing to export yet" if empty_ledger else "Export all customers to an Excel file"
        )
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

    @Slot(QPoint)
    def _on_table_context_menu_requested(self, pos: QPoint) -> None:
        menu = QMenu(self)
        for action in (
            self.new_action,
            self.edit_action,
            self.note_action,
            None,
            self.import_action,
            self.export_action,
        ):
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.table.viewport().mapToGlobal(pos))

    # -- actions -----------------------------------------------------------------------------

    def new_customer(self) -> CustomerDialog:
        """Open the form for a new customer."""
        return self._open_dialog(None)

    def edit_customer(self, customer_id: int) -> CustomerDialog:
        """Open the form on a customer."""
        return self._open_dialog(customer_id)

    def _open_dialog(self, customer_id: int | None) -> CustomerDialog:
        dialog = CustomerDialog(self.ctx, customer_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.customer_saved.connect(self._on_dialog_customer_saved)
        dialog.open()
        return dialog

    @Slot(int, str)
    def _on_dialog_customer_saved(self, customer_id: int, message: str) -> None:
        self._detail_for = customer_id
        self._after_change(message)

    def _after_change(self, message: str) -> None:
        self.status_reported.emit(message)
        self.ledger_changed.emit()
        self.refresh()
        self._load_detail(self._detail_for)

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

    @Slot()
    def _on_import_action_triggered(self) -> None:
        import_spreadsheet(self, "customer", import_customers, self._after_change)

    @Slot()
    def _on_export_action_triggered(self) -> None:
        export_spreadsheet(self, "customer", export_customers_xlsx)
