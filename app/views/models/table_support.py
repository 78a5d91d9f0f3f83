"""What the list models share: the row role and fixed column titles over a flat table."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from typing_extensions import override

#: The role under which a model gives the whole row (its DTO) of an index.
ROW_ROLE = Qt.ItemDataRole.UserRole + 1

AnyIndex = QModelIndex | QPersistentModelIndex


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
