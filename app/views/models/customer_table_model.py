"""The customer list as a Qt table model, with open and overdue amounts per currency.

:class:`CustomerSortProxy` sorts it the way people read names (QCollator, so "Bäckerei" sits with
"Backhaus", not after "Brückner") and amounts by their value.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QCollator,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle
from typing_extensions import override

from app.services.dto import CustomerRow
from app.services.invoice_preview import Money
from app.views.models.table_support import (
    ROW_ROLE,
    AnyIndex,
    ListTableModel,
    column_alignment,
)
from app.views.style import money_text, per_currency_text, warm_colour

SORT_ROLE = Qt.ItemDataRole.UserRole + 2


class CustomerColumn(enum.IntEnum):
    """The columns of the customer list."""

    NAME = 0
    CODE = 1
    COUNTRY = 2
    SEGMENT = 3
    EMAIL = 4
    OPEN = 5
    OVERDUE = 6


COLUMN_TITLES = ("Name", "ID", "Country", "Segment", "Email", "Open", "Overdue")
_AMOUNTS = {CustomerColumn.OPEN, CustomerColumn.OVERDUE}


class CustomerTableModel(ListTableModel):
    """Customers as listed by ``list_customers`` (the whole list; it is one row per customer)."""

    column_titles = COLUMN_TITLES
    amount_columns = frozenset(_AMOUNTS)

    def __init__(self, locale: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._locale = locale
        self._rows: list[CustomerRow] = []
        self._limits: dict[int, Money] = {}
        self._warning: QIcon | None = None

    def set_rows(self, rows: list[CustomerRow], limits: dict[int, Money] | None = None) -> None:
        """Show another list; ``limits`` are the customers' credit limits (by customer id)."""
        self.beginResetModel()
        self._rows = rows
        self._limits = dict(limits or {})
        self.endResetModel()

    def over_limit(self, row: CustomerRow) -> tuple[Money, Money] | None:
        """(open, limit) when a customer owes more than their credit limit, in their currency."""
        limit = self._limits.get(row.id)
        owed = row.open_by_currency.get(row.currency)
        if limit is None or owed is None or limit.currency != owed.currency or owed <= limit:
            return None
        return owed, limit

    def _warning_icon(self) -> QIcon:
        if self._warning is None:
            style = QApplication.style()
            self._warning = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return self._warning

    def row_at(self, row: int) -> CustomerRow | None:
        """The customer in ``row``."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, customer_id: int) -> int | None:
        """The row of a customer."""
        return next((i for i, r in enumerate(self._rows) if r.id == customer_id), None)

    @override
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    @override
    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        column = CustomerColumn(index.column())
        handlers: dict[int, Callable[[], Any]] = {
            Qt.ItemDataRole.DisplayRole: lambda: self._text(row, column),
            Qt.ItemDataRole.ToolTipRole: lambda: self._tooltip(row, column),
            Qt.ItemDataRole.DecorationRole: lambda: (
                self._warning_icon()
                if column == CustomerColumn.NAME and self.over_limit(row)
                else None
            ),
            Qt.ItemDataRole.TextAlignmentRole: lambda: column_alignment(column in _AMOUNTS),
            Qt.ItemDataRole.ForegroundRole: lambda: (
                warm_colour()
                if column == CustomerColumn.OVERDUE and row.overdue_by_currency
                else None
            ),
            ROW_ROLE: lambda: row,
            SORT_ROLE: lambda: _sort_value(row, column),
        }
        handler = handlers.get(role)
        return handler() if handler is not None else None

    def _tooltip(self, row: CustomerRow, column: CustomerColumn) -> str:
        over = self.over_limit(row)
        if over is None or column not in (CustomerColumn.NAME, CustomerColumn.OPEN):
            return self._text(row, column)
        owed, limit = over
        return (
            f"{row.name}: over the credit limit of {money_text(limit, self._locale)} "
            f"by {money_text(owed - limit, self._locale)} ({money_text(owed, self._locale)} open)"
        )

    def _text(self, row: CustomerRow, column: CustomerColumn) -> str:
        values = {
            CustomerColumn.NAME: row.name,
            CustomerColumn.CODE: row.code,
            CustomerColumn.COUNTRY: row.country,
            CustomerColumn.SEGMENT: row.segment,
            CustomerColumn.EMAIL: row.email,
        }
        if column == CustomerColumn.OPEN:
            return per_currency_text(row.open_by_currency, self._locale)
        if column == CustomerColumn.OVERDUE:
            return per_currency_text(row.overdue_by_currency, self._locale)
        return values[column]


def _sort_value(row: CustomerRow, column: CustomerColumn) -> int | str:
    """Amounts sort by the customer's own currency (never summed across currencies)."""
    if column in _AMOUNTS:
        amounts = row.open_by_currency if column == CustomerColumn.OPEN else row.overdue_by_currency
        home = amounts.get(row.currency)
        if home is not None:
            return home.minor
        return max((m.minor for m in amounts.values()), default=0)
    return {
        CustomerColumn.NAME: row.name,
        CustomerColumn.CODE: row.code,
        CustomerColumn.COUNTRY: row.country,
        CustomerColumn.SEGMENT: row.segment,
        CustomerColumn.EMAIL: row.email,
    }[column]


class CustomerSortProxy(QSortFilterProxyModel):
    """Sorts names and texts as the locale does (accents and case with their letters)."""

    def __init__(self, locale: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._collator = QCollator(QLocale(locale))
        self._collator.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._collator.setNumericMode(True)
        self.setSortRole(SORT_ROLE)

    @override
    def lessThan(
        self,
        source_left: QModelIndex | QPersistentModelIndex,
        source_right: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        left, right = source_left.data(SORT_ROLE), source_right.data(SORT_ROLE)
        if isinstance(left, str) and isinstance(right, str):
            order = self._collator.compare(left, right)
            if order:
                return order < 0
            return source_left.row() < source_right.row()
        return super().lessThan(source_left, source_right)
