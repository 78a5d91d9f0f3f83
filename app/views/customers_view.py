"""The Customers screen: the list with balances and one customer's account in full."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QByteArray,
    QModelIndex,
    QPoint,
    QSettings,
    QSortFilterProxyModel,
    Qt,
    Slot,
)
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyle,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.customers import add_note, get_customer, list_customers
from app.services.dto import CustomerDetail, CustomerRow
from app.services.excel_export import export_customers_xlsx
from app.services.file_import import ImportResult, import_customers
from app.services.iban import format_iban
from app.services.money_format import format_date
from app.services.tasks import TaskContext
from app.views import ask
from app.views.context import ViewContext
from app.views.customer_dialog import ROLE_TEXT, CustomerDialog
from app.views.import_messages import import_summary
from app.views.models.customer_table_model import (
    ROW_ROLE,
    SORT_ROLE,
    CustomerColumn,
    CustomerTableModel,
)
from app.views.screen import Screen
from app.views.style import (
    error_label,
    heading,
    money_text,
    muted,
    per_currency_text,
    show_form_error,
    warm_colour,
)
from app.views.workers import show_error

_DEFAULT_WIDTHS = (180, 76, 58, 90, 140, 100, 100)
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class CustomerDetailPane(QScrollArea):
    """One customer's account: header, contacts, payer accounts, open invoices, timeline."""

    def __init__(self, locale: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._locale = locale
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumWidth(320)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(12, 8, 12, 8)
        self.title = heading("")
        self.subtitle = muted(QLabel())
        self.subtitle.setWordWrap(True)
        self.hint = muted(QLabel("Select a customer to see their account."))
        self.facts = QFormLayout()
        self.contacts = _tree(["Name", "Role", "Email", "Phone"], stretch=2)
        self.payer = QLabel()
        self.payer.setWordWrap(True)
        self.payer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_invoices = _tree(["Number", "Due", "Open", "Days overdue"])
        self._build_timeline_widgets()

        self._sections: list[QWidget] = []
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.hint)
        facts_box = QWidget()
        facts_box.setLayout(self.facts)
        layout.addWidget(facts_box)
        for title, widget in (
            ("Contacts", self.contacts),
            ("How they pay", self.payer),
            ("Open invoices", self.open_invoices),
        ):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(widget)
            layout.addWidget(box)
            self._sections.append(box)
        timeline_box = QGroupBox("Timeline")
        timeline_layout = QVBoxLayout(timeline_box)
        note_row = QHBoxLayout()
        note_row.addWidget(self.note, 1)
        note_row.addWidget(self.add_note_button, 0, Qt.AlignmentFlag.AlignTop)
        timeline_layout.addLayout(note_row)
        timeline_layout.addWidget(self.note_error)
        timeline_layout.addWidget(self.timeline)
        layout.addWidget(timeline_box)
        self._sections.extend([timeline_box, facts_box])
        layout.addStretch(1)
        self.setWidget(body)
        self.show_customer(None)

    def _build_timeline_widgets(self) -> None:
        self.note = QPlainTextEdit()
        self.note.setObjectName("NoteEdit")
        self.note.setPlaceholderText("Write a note for the timeline: a call, a promise, a remark")
        self.note.setFixedHeight(64)
        self.note.setTabChangesFocus(True)
        self.add_note_button = QPushButton("Add note")
        self.note_error = error_label()
        self.timeline = _tree(["When", "What", "By"], stretch=1)
        self.timeline.setObjectName("Timeline")
        self.timeline.setWordWrap(True)

    def show_customer(self, customer: CustomerDetail | None) -> None:
        """Show a customer, or the hint when ``None``."""
        for section in (*self._sections, self.title, self.subtitle):
            section.setVisible(customer is not None)
        self.hint.setVisible(customer is None)
        while self.facts.rowCount():
            self.facts.removeRow(0)
        for tree in (self.contacts, self.open_invoices, self.timeline):
            tree.clear()
        if customer is None:
            return
        loc = self._locale
        self.title.setText(customer.name)
        open_text = per_currency_text(customer.open_by_currency, loc) or "nothing"
        self.subtitle.setText(f"{customer.code} · open {open_text}")
        limit = money_text(customer.credit_limit, loc) if customer.credit_limit else "none"
        for label, value in (
            ("Customer ID", customer.code),
            ("Terms", f"{customer.payment_terms_days} days net"),
            ("Currency", customer.currency),
            ("Segment", customer.segment or "—"),
            ("Owner", customer.owner or "nobody"),
            ("Credit limit", limit),
            ("Country", customer.country or "—"),
            ("VAT number", customer.vat_id or "—"),
            ("Address", customer.address.replace("\n", ", ") or "—"),
        ):
            value_label = QLabel(value)
            value_label.setTextFormat(Qt.TextFormat.PlainText)
            value_label.setWordWrap(True)
            value_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts.addRow(label, value_label)
        for contact in customer.contacts:
            self.contacts.addTopLevelItem(
                QTreeWidgetItem(
                    [
                        contact.name,
                        ROLE_TEXT.get(contact.role, contact.role),
                        contact.email,
                        contact.phone,
                    ]
                )
            )
        if not customer.contacts:
            self.contacts.addTopLevelItem(QTreeWidgetItem(["No contacts yet", "", "", ""]))
        ibans = ", ".join(format_iban(i) for i in customer.ibans) or "none known yet"
        aliases = ", ".join(customer.aliases) or "none"
        self.payer.setText(f"Bank accounts: {ibans}\nAlso pays as: {aliases}")
        self._show_open_invoices(customer)
        self._show_timeline(customer)
        for tree in (self.contacts, self.open_invoices):
            _fit(tree, max_rows=8)
        _fit(self.timeline, max_rows=14)

    def _show_open_invoices(self, customer: CustomerDetail) -> None:
        loc = self._locale
        warm = warm_colour()
        for invoice in customer.open_invoices:
            item = QTreeWidgetItem(
                [
                    invoice.number,
                    format_date(invoice.due_date, loc),
                    money_text(invoice.open_amount, loc),
                    str(invoice.days_overdue) if invoice.days_overdue else "",
                ]
            )
            item.setTextAlignment(2, _RIGHT)
            item.setTextAlignment(3, _RIGHT)
            if invoice.days_overdue:
                for column in (1, 2, 3):
                    item.setForeground(column, warm)
            self.open_invoices.addTopLevelItem(item)
        if not customer.open_invoices:
            self.open_invoices.addTopLevelItem(QTreeWidgetItem(["Nothing open", "", "", ""]))

    def _show_timeline(self, customer: CustomerDetail) -> None:
        for entry in customer.timeline:
            when = entry.occurred_at.astimezone().strftime("%Y-%m-%d %H:%M")
            item = QTreeWidgetItem([when, entry.summary, entry.author])
            item.setToolTip(1, entry.summary)
            self.timeline.addTopLevelItem(item)
        if not customer.timeline:
            self.timeline.addTopLevelItem(QTreeWidgetItem(["", "Nothing happened yet", ""]))

    def timeline_texts(self) -> list[str]:
        """The timeline's summaries, newest first."""
        items = (self.timeline.topLevelItem(i) for i in range(self.timeline.topLevelItemCount()))
        return [item.text(1) for item in items if item is not None]


class CustomersView(Screen):
    """The customer list and the selected customer's account."""

    title = "Customers"
    search_placeholder = "Search name, id, alias, email"
    can_import = True

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("CustomersView")
        self._detail_for: int | None = None
        self.model = CustomerTableModel(ctx.locale, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self._build_actions()
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
        for column, width in enumerate(_DEFAULT_WIDTHS):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        header.setSortIndicator(CustomerColumn.NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.detail = CustomerDetailPane(ctx.locale)
        self._count = muted(QLabel())

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self._count)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("CustomersSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([800, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.splitter)

        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.table.activated.connect(self._on_table_activated)
        self.table.customContextMenuRequested.connect(self._on_table_context_menu_requested)
        self.detail.add_note_button.clicked.connect(self._on_add_note_button_clicked)
        self._update_actions()

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

        def read(_: TaskContext) -> list[CustomerRow]:
            return list_customers(uow_factory(), today, search)

        self.ctx.runner.fetch(read, self._on_customers_loaded, self._on_load_failed)

    def start_import(self) -> None:
        self._on_import_action_triggered()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("customers/header", self.table.horizontalHeader().saveState())
        settings.setValue("customers/splitter", self.splitter.saveState())

    def restore_state(self, settings: QSettings) -> None:
        header = settings.value("customers/header")
        if isinstance(header, QByteArray) and not header.isEmpty():
            self.table.horizontalHeader().restoreState(header)
        splitter = settings.value("customers/splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.splitter.restoreState(splitter)

    # -- list and detail ---------------------------------------------------------------------

    def _on_customers_loaded(self, rows: list[CustomerRow]) -> None:
        self.model.set_rows(rows)
        self._count.setText("1 customer" if len(rows) == 1 else f"{len(rows):,} customers")
        if self._detail_for is not None:
            self.select_customer(self._detail_for)

    def _on_load_failed(self, exc: Exception) -> None:
        show_error(self, exc)

    def select_customer(self, customer_id: int) -> None:
        """Select a customer in the list (and show their account)."""
        row = self.model.row_of(customer_id)
        if row is None:
            self._load_detail(customer_id)
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
            self.detail.show_customer(None)
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
        path = ask.choose_open_file(self, "Import customers", ask.SPREADSHEET_FILTER)
        if path is None:
            return
        uow_factory = self.ctx.uow_factory

        def run_import(_: TaskContext) -> ImportResult:
            return import_customers(uow_factory(), path)

        def done(result: ImportResult) -> None:
            message, warnings = import_summary(result, "customer", path)
            self._after_change(message)
            if warnings:
                ask.inform(self, "Import finished with warnings", message, warnings)

        self.ctx.runner.run(
            run_import, progress_label=f"Importing {path.name}…", parent=self, on_success=done
        )

    @Slot()
    def _on_export_action_triggered(self) -> None:
        suggested = f"customers-{self.ctx.clock.today().isoformat()}.xlsx"
        path = ask.choose_save_file(self, "Export customers", suggested, "Excel (*.xlsx)")
        if path is None:
            return
        uow_factory = self.ctx.uow_factory

        def export(_: TaskContext) -> int:
            return export_customers_xlsx(uow_factory(), path)

        self.ctx.runner.run(
            export,
            progress_label=f"Writing {path.name}…",
            parent=self,
            on_success=lambda n: self.status_reported.emit(
                f"Exported {n} customers to {Path(path).name}"
            ),
            io=True,
        )


def _tree(headers: list[str], stretch: int = 0) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setHeaderLabels(headers)
    tree.setRootIsDecorated(False)
    tree.setUniformRowHeights(True)
    tree.setAlternatingRowColors(False)
    tree.setSelectionMode(QTreeWidget.SelectionMode.NoSelection)
    tree.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    header = tree.header()
    header.setStretchLastSection(False)
    for column in range(len(headers)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return tree


def _fit(tree: QTreeWidget, max_rows: int) -> None:
    rows = min(max(tree.topLevelItemCount(), 1), max_rows)
    row_height = max(tree.sizeHintForRow(0), tree.fontMetrics().height() + 4)
    tree.setFixedHeight(tree.header().sizeHint().height() + rows * row_height + 6)
