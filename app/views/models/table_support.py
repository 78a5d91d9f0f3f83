"""What the list models share: the row role, fixed column titles and rows sorted in memory."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from typing_extensions import override

#: The role under which a model gives the whole row (its DTO) of an index.
ROW_ROLE = Qt.ItemDataRole.UserRole + 1

AnyIndex = QModelIndex | QPersistentModelIndex
RowT = TypeVar("RowT")


def column_alignment(right: bool) -> Qt.AlignmentFlag:
    """Amounts align right, texts left; both centre vertically."""
    horizontal = Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
    return horizontal | Qt.AlignmentFlag.AlignVCenter


class ListTableModel(QAbstractTableModel):
    """A flat table whose columns are fixed: subclasses set the titles and the amount columns."""

    #: The title of each column, left to right.
    column_titles: tuple[str, ...] = ()
    #: The columns of amounts, aligned right (their titles too).
    amount_columns: frozenset[int] = frozenset()

    @override
    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.column_titles)

    @override
    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.column_titles[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section in self.amount_columns:
            return column_alignment(right=True)
        return None


class SortedRowsModel(ListTableModel, Generic[RowT]):
    """A flat table over a list of rows, sorted in memory by any column.

    Subclasses set the sort key of each column and the default sort, and say how a row's id is read.
    """

    #: The sort key of each column's rows (each ends in the row's id, so ties keep one order).
    sort_keys: Mapping[int, Callable[[RowT], Any]]
    #: The sort column and whether it is descending, before a person picks another.
    default_sort: tuple[int, bool]

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[RowT] = []
        self._sort = self.default_sort

    def row_id(self, row: RowT) -> int:
        """The id of the thing a row shows."""
        raise NotImplementedError

    def set_rows(self, rows: list[RowT]) -> None:
        """Show these rows, in the current sort order."""
        self.beginResetModel()
        self._rows = list(rows)
        self._sort_rows()
        self.endResetModel()

    def rows(self) -> list[RowT]:
        """The rows shown, top to bottom."""
        return list(self._rows)

    def row_at(self, row: int) -> RowT | None:
        """The row shown in ``row``."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, row_id: int) -> int | None:
        """The row showing the thing with this id, if it is listed."""
        return next((i for i, r in enumerate(self._rows) if self.row_id(r) == row_id), None)

    def sort_order(self) -> tuple[int, bool]:
        """The sort column and whether it is descending."""
        return int(self._sort[0]), self._sort[1]

    def _sort_rows(self) -> None:
        column, descending = self._sort
        self._rows.sort(key=self.sort_keys[column], reverse=descending)

    @override
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    @override
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.column_titles):
            return
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order == Qt.SortOrder.DescendingOrder)
        self._sort_rows()
        self.layoutChanged.emit()
