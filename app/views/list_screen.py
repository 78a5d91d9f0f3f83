"""The base of the list screens (Invoices, Customers, Bank, …): a table beside a detail pane."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from PySide6.QtCore import QAbstractItemModel, QByteArray, QModelIndex, QPoint, QSettings, Qt, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QMenu,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.views import ask
from app.views.context import ViewContext
from app.views.empty_state import EmptyStatePage
from app.views.screen import Screen
from app.views.workers import describe_error

#: Room for a status icon in front of a column's text.
_ICON_WIDTH = 22

DialogT = TypeVar("DialogT", bound=QDialog)


class ListScreen(Screen):
    """A screen whose list sits beside a detail pane, with "New …", import and export actions.

    Subclasses set :attr:`noun` and :attr:`stretch_column`, build :attr:`table` with
    :meth:`_new_table`, :attr:`splitter` with :meth:`_new_splitter` and the pages with
    :meth:`_place_pages`, and override the hooks (the ``_on_…_triggered`` slots,
    :meth:`_reload_list`, :meth:`_load_detail`, :meth:`_menu_actions`).
    """

    #: What one row is, singular ("invoice"): in texts and the keys of the remembered state.
    noun = "row"
    #: The column that takes the width the others leave, so the list fits its pane.
    stretch_column = 0

    table: QTableView
    splitter: QSplitter
    pages: QStackedWidget
    export_action: QAction

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._detail_for: int | None = None

    # -- building ----------------------------------------------------------------------------

    def _action(
        self, text: str, slot: Callable[[], None], pixmap: QStyle.StandardPixmap | None = None
    ) -> QAction:
        action = QAction(text, self)
        if pixmap is not None:
            action.setIcon(self.style().standardIcon(pixmap))
        action.triggered.connect(slot)
        return action

    def _new_table(
        self, name: str, model: QAbstractItemModel, mode: QAbstractItemView.SelectionMode
    ) -> QTableView:
        """A table of whole rows over ``model``, wired to the selection, activation and menu."""
        table = QTableView()
        table.setObjectName(name)
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(mode)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        vertical = table.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionsMovable(True)
        header.setMinimumSectionSize(48)
        table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        table.activated.connect(self._on_table_activated)
        table.customContextMenuRequested.connect(self._on_table_context_menu_requested)
        return table

    def _size_columns(self, widest: Sequence[str], icon_column: int | None = None) -> None:
        """Size each column to its usual widest text (or its title), by the fonts in use.

        Args:
            widest: a text per column as wide as its usual values; "" leaves a column as it is.
            icon_column: the column whose cells show an icon before the text.
        """
        header = self.table.horizontalHeader()
        metrics, titles = self.table.fontMetrics(), header.fontMetrics()
        for column, text in enumerate(widest):
            if not text:
                continue
            title = str(self.table.model().headerData(column, Qt.Orientation.Horizontal))
            icon = _ICON_WIDTH if column == icon_column else 0
            header.resizeSection(
                column,
                max(
                    metrics.horizontalAdvance(text) + icon + 16,
                    titles.horizontalAdvance(title) + 28,
                ),
            )

    def _fit_columns(self) -> None:
        """The stretch column takes the width the others leave, so the list fits its pane."""
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(self.stretch_column, QHeaderView.ResizeMode.Stretch)

    def _list_with_footer(self, left: QWidget, right: QWidget) -> QWidget:
        """The table above a footer line: ``left`` (a count) and ``right`` (totals)."""
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        footer = QHBoxLayout()
        footer.setContentsMargins(4, 2, 4, 2)
        footer.addWidget(left)
        footer.addStretch(1)
        footer.addWidget(right)
        layout.addLayout(footer)
        return box

    def _new_splitter(
        self,
        name: str,
        widgets: tuple[QWidget, QWidget],
        stretch: tuple[int, int],
        sizes: list[int],
    ) -> QSplitter:
        """The list (left) and the detail pane (right), with their stretch and first widths."""
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName(name)
        for widget in widgets:
            splitter.addWidget(widget)
        for index, factor in enumerate(stretch):
            splitter.setStretchFactor(index, factor)
        splitter.setSizes(sizes)
        return splitter

    def _new_empty_state(self, title: str, text: str) -> EmptyStatePage:
        """The page shown while there is nothing to list, with "New …" and import buttons."""
        page = EmptyStatePage(title, text, f"New {self.noun}")
        self.empty_new_button, self.empty_import_button = page.new_button, page.import_button
        self.empty_new_button.clicked.connect(self._on_new_action_triggered)
        self.empty_import_button.clicked.connect(self._on_import_action_triggered)
        return page

    def _place_pages(self, empty_state: QWidget, filters: QLayout | None = None) -> None:
        """Lay out the filters (if any) above :attr:`splitter`, and the empty state as page 1."""
        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(8, 4, 8, 4)
        if filters is not None:
            content_layout.addLayout(filters)
        content_layout.addWidget(self.splitter, 1)
        self.pages = QStackedWidget()
        self.pages.addWidget(content)
        self.pages.addWidget(empty_state)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)

    # -- Screen hooks ------------------------------------------------------------------------

    def focus_list(self) -> bool:
        if self.is_empty_state_shown() or not self.table.model().rowCount():
            return False
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)
        return True

    def start_import(self) -> None:
        self._on_import_action_triggered()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue(f"{self.noun}s/header", self.table.horizontalHeader().saveState())
        settings.setValue(f"{self.noun}s/splitter", self.splitter.saveState())

    def restore_state(self, settings: QSettings) -> None:
        header = settings.value(f"{self.noun}s/header")
        if isinstance(header, QByteArray) and not header.isEmpty():
            self.table.horizontalHeader().restoreState(header)
            self._fit_columns()
        splitter = settings.value(f"{self.noun}s/splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.splitter.restoreState(splitter)

    # -- the list ----------------------------------------------------------------------------

    def is_empty_state_shown(self) -> bool:
        """Whether the "No … yet" page is shown."""
        return self.pages.currentIndex() == 1

    def _show_export_for(self, empty: bool) -> None:
        """Export is offered once there is something to export."""
        self.export_action.setEnabled(not empty)
        self.export_action.setToolTip(
            "Nothing to export yet" if empty else f"Export all {self.noun}s to an Excel file"
        )

    def _menu_actions(self) -> Sequence[QAction | None]:
        """The actions of the list's context menu, ``None`` for a separator."""
        return ()

    @Slot(QPoint)
    def _on_table_context_menu_requested(self, pos: QPoint) -> None:
        menu = QMenu(self)
        for action in self._menu_actions():
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.table.viewport().mapToGlobal(pos))

    @Slot()
    def _on_table_selection_changed(self) -> None:
        """Show the selected row in the detail pane."""

    @Slot(QModelIndex)
    def _on_table_activated(self, index: QModelIndex) -> None:
        """Open the activated row."""

    def _reload_list(self) -> None:
        """Read the list again."""

    def _load_detail(self, row_id: int | None) -> None:
        """Show ``row_id`` in the detail pane (nothing for ``None``)."""

    @Slot(int, str)
    def _on_form_row_saved(self, row_id: int, message: str) -> None:
        """The "New …" or edit form saved a row: read again and show that row."""
        self._detail_for = row_id
        self._after_change(message)

    def _after_change(self, message: str) -> None:
        self.status_reported.emit(message)
        self.ledger_changed.emit()
        self._reload_list()
        self._load_detail(self._detail_for)

    # -- actions -----------------------------------------------------------------------------

    def _show_dialog(self, dialog: DialogT) -> DialogT:
        """Open ``dialog`` over the screen without waiting for it; it is deleted once closed."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    @Slot()
    def _on_new_action_triggered(self) -> None:
        """Open the form for a new row."""

    @Slot()
    def _on_import_action_triggered(self) -> None:
        """Import rows from a spreadsheet."""


class StateFilterListScreen(ListScreen):
    """A list screen with a "Show" choice of states above its list (Bank, Outbox).

    It remembers the choice and the sort under :attr:`settings_key`. Subclasses build the choice
    with :meth:`_build_state_filter` and say how their model is sorted in :meth:`_sort_order`.
    """

    #: The group of the remembered sort and state filter ("bank").
    settings_key = "list"
    #: The sort when none is remembered: "column,descending" ("0,1": the first, descending).
    default_sort = "0,0"

    state_filter: QComboBox
    _filters: QHBoxLayout

    def _build_state_filter(self, labels: Sequence[str]) -> None:
        """Build :attr:`state_filter` with ``labels`` and its row, :attr:`_filters`."""
        self.state_filter = QComboBox()
        self.state_filter.setAccessibleName("Show")
        for label in labels:
            self.state_filter.addItem(label)
        caption = QLabel("&Show")
        caption.setBuddy(self.state_filter)
        self._filters = QHBoxLayout()
        self._filters.setSpacing(6)
        self._filters.addWidget(caption)
        self._filters.addWidget(self.state_filter)
        self._filters.addStretch(1)
        self.state_filter.currentIndexChanged.connect(self._on_state_filter_current_index_changed)

    def _sort_order(self) -> tuple[int, bool]:
        """The sort column of the list and whether it is descending."""
        raise NotImplementedError

    def save_state(self, settings: QSettings) -> None:
        super().save_state(settings)
        column, descending = self._sort_order()
        settings.setValue(f"{self.settings_key}/sort", f"{column},{'1' if descending else '0'}")
        settings.setValue(f"{self.settings_key}/filter", self.state_filter.currentIndex())

    def restore_state(self, settings: QSettings) -> None:
        super().restore_state(settings)
        sort = str(settings.value(f"{self.settings_key}/sort", self.default_sort))
        column, _, descending = sort.partition(",")
        if column.isdigit() and int(column) < self.table.model().columnCount():
            order = (
                Qt.SortOrder.DescendingOrder if descending == "1" else Qt.SortOrder.AscendingOrder
            )
            self.table.horizontalHeader().setSortIndicator(int(column), order)
        index = str(settings.value(f"{self.settings_key}/filter", 0))
        if index.isdigit() and int(index) < self.state_filter.count():
            self.state_filter.blockSignals(True)
            self.state_filter.setCurrentIndex(int(index))
            self.state_filter.blockSignals(False)

    @Slot()
    def _on_state_filter_current_index_changed(self) -> None:
        self._reload_list()

    def select_state_filter(self, label: str) -> None:
        """Choose a state filter by its label ("All lines")."""
        self.state_filter.setCurrentIndex(self.state_filter.findText(label))

    def _on_read_failed(self, exc: Exception) -> None:
        ask.warn(self, "Duebook", describe_error(exc))
