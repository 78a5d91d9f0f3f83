"""The invoice list as a Qt table model over paged, sorted and filtered SQL queries.

The model never holds the whole list: ``rowCount`` comes from ``count_invoices``, rows are read in
pages of :data:`PAGE_SIZE` by offset when the view first asks for them, and a few recent pages
are kept (least recently used first out). Sorting and filtering re-query in SQL. Reads run in the
background through the runner; until a page arrives its rows show a placeholder, so scrolling to
the end of a hundred thousand invoices never freezes the window.
"""

from __future__ import annotations

import enum
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QColor, QIcon
from typing_extensions import override

from app.services.dto import InvoiceRow
from app.services.invoice_preview import InvoiceKind, InvoiceStatus, Money, sum_by_currency
from app.services.invoice_queries import (
    InvoiceQuery,
    count_invoices,
    list_invoices,
    totals_by_currency,
)
from app.services.money_format import format_date
from app.services.tasks import TaskContext
from app.views.context import ViewContext
from app.views.models.table_support import (
    ROW_ROLE,
    AnyIndex,
    ListTableModel,
    column_alignment,
)
from app.views.style import STATUS_TEXT, money_text, status_marker, warm_colour

PAGE_SIZE = 200
CACHED_PAGES = 10
MAX_IN_FLIGHT = 2
#: Pages asked for but not started yet; older wishes are dropped when the user scrolls on.
MAX_WANTED = 6
#: The runner group of this model's reads: a new query drops the queued reads of the old one.
READ_GROUP = "invoice-list"

OVERDUE_ROLE = Qt.ItemDataRole.UserRole + 2

_NOTHING_RECEIVABLE = {InvoiceStatus.DRAFT, InvoiceStatus.VOID, InvoiceStatus.CREDIT_NOTE}


class InvoiceColumn(enum.IntEnum):
    """The columns of the invoice list."""

    NUMBER = 0
    CUSTOMER = 1
    ISSUED = 2
    DUE = 3
    TOTAL = 4
    OPEN = 5
    STATUS = 6


COLUMN_TITLES = ("Number", "Customer", "Issued", "Due", "Total", "Open", "Status")
#: The SQL sort key of each column (``app.services.invoice_queries.SORT_KEYS``).
COLUMN_SORT_KEYS = (
    "number",
    "customer",
    "issue_date",
    "due_date",
    "total",
    "open_amount",
    "status",
)
_AMOUNT_COLUMNS = {InvoiceColumn.TOTAL, InvoiceColumn.OPEN}
_OVERDUE_COLUMNS = {InvoiceColumn.DUE, InvoiceColumn.OPEN}


class InvoiceTableModel(ListTableModel):
    """Invoices matching an :class:`InvoiceQuery`, read page by page in the background."""

    column_titles = COLUMN_TITLES
    amount_columns = frozenset(_AMOUNT_COLUMNS)

    #: The first page of a new query is shown; the argument is the number of rows known.
    reloaded = Signal(int)
    #: The number of matching invoices is known.
    counted = Signal(int)
    #: Open amounts of the listed invoices per currency (``dict[str, Money]``).
    totals_loaded = Signal(dict)
    #: A read failed; the view shows it.
    load_failed = Signal(Exception)

    def __init__(self, ctx: ViewContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._query = InvoiceQuery()
        self._generation = 0
        self._row_count = 0
        self._total_count: int | None = None
        self._first_page_shown = False
        self._pending_count: int | None = None
        self._count_task: Callable[[TaskContext], tuple[int, dict[str, Money]]] | None = None
        self._count_cancel = threading.Event()
        self._pages: OrderedDict[int, list[InvoiceRow]] = OrderedDict()
        self._wanted: OrderedDict[int, None] = OrderedDict()
        self._in_flight: set[int] = set()

    # -- the query ---------------------------------------------------------------------------

    def query(self) -> InvoiceQuery:
        """What the model lists now."""
        return self._query

    def set_query(self, query: InvoiceQuery, *, reload: bool = True) -> None:
        """List other invoices or in another order; re-queries in SQL unless told not to yet."""
        self._query = query
        if reload:
            self.reload()

    def total_count(self) -> int | None:
        """How many invoices match, once counted."""
        return self._total_count

    def is_loading(self) -> bool:
        """Whether the first page of the current query is still on its way."""
        return not self._first_page_shown

    def reload(self) -> None:
        """Read the current query again (after a change, or F5); the old rows stay until then."""
        self._generation += 1
        generation = self._generation
        self._first_page_shown = False
        self._pending_count = None
        self._wanted.clear()
        self._in_flight.clear()
        query, today, uow_factory = self._query, self._ctx.clock.today(), self._ctx.uow_factory

        def first_page(_: TaskContext) -> list[InvoiceRow]:
            return list_invoices(uow_factory(), query, today, 0, PAGE_SIZE)

        # A count still running for the previous query is stopped: its answer is not wanted, and
        # it would slow the new query down.
        self._count_cancel.set()
        self._count_cancel = cancel = threading.Event()

        def counted_and_totalled(_: TaskContext) -> tuple[int, dict[str, Money]]:
            ctx = TaskContext(cancel_event=cancel)
            return (
                count_invoices(uow_factory(), query, today, ctx),
                totals_by_currency(uow_factory(), query, today, ctx),
            )

        self._count_task = counted_and_totalled
        self._ctx.runner.drop_queued(READ_GROUP)
        self._ctx.runner.fetch(
            first_page,
            lambda rows: self._on_first_page_loaded(generation, rows),
            self._failed,
            group=READ_GROUP,
        )

    def _failed(self, exc: Exception) -> None:
        self.load_failed.emit(exc)

    def _on_first_page_loaded(self, generation: int, rows: list[InvoiceRow]) -> None:
        if generation != self._generation:
            return
        if len(rows) < PAGE_SIZE:
            # Every matching invoice is on this page: count and total it here rather than ask
            # the ledger again (which would also compete with the next query as the user types).
            self._count_task = None
            self.totals_loaded.emit(sum_by_currency(row.open_amount for row in rows))
        if self._count_task is not None:
            # counted after the first page, so that the page has the machine to itself
            self._ctx.runner.fetch(
                self._count_task,
                lambda result: self._on_count_loaded(generation, *result),
                self._failed,
                group=READ_GROUP,
            )
            self._count_task = None
        self.beginResetModel()
        self._pages.clear()
        self._pages[0] = rows
        self._first_page_shown = True
        if len(rows) < PAGE_SIZE:
            self._row_count = len(rows)
            self._total_count = len(rows)
        elif self._pending_count is not None:
            self._row_count = self._pending_count
            self._total_count = self._pending_count
        else:
            self._row_count = len(rows)
            self._total_count = None
        self.endResetModel()
        self.reloaded.emit(self._row_count)
        if self._total_count is not None:
            self.counted.emit(self._total_count)

    def _on_count_loaded(self, generation: int, count: int, totals: dict[str, Money]) -> None:
        if generation != self._generation:
            return
        self.totals_loaded.emit(totals)
        if not self._first_page_shown:
            self._pending_count = count
            return
        if self._total_count is not None:
            return
        self._total_count = count
        if count > self._row_count:
            self.beginInsertRows(QModelIndex(), self._row_count, count - 1)
            self._row_count = count
            self.endInsertRows()
        self.counted.emit(count)

    # -- pages -------------------------------------------------------------------------------

    def row_at(self, row: int) -> InvoiceRow | None:
        """The invoice shown in ``row``, if its page is loaded (it is asked for otherwise)."""
        if not 0 <= row < self._row_count:
            return None
        page_no = row // PAGE_SIZE
        page = self._pages.get(page_no)
        if page is None:
            self._want(page_no)
            page = self._pages.get(page_no)  # a synchronous runner has already read it
            if page is None:
                return None
        self._pages.move_to_end(page_no)
        offset = row % PAGE_SIZE
        return page[offset] if offset < len(page) else None

    def loaded_rows(self) -> list[InvoiceRow]:
        """The rows of the pages read so far (no page is asked for)."""
        return [row for page in self._pages.values() for row in page]

    def row_of(self, invoice_id: int) -> int | None:
        """The row of an invoice among the loaded pages."""
        for page_no, page in self._pages.items():
            for offset, row in enumerate(page):
                if row.id == invoice_id:
                    return page_no * PAGE_SIZE + offset
        return None

    def _want(self, page_no: int) -> None:
        if not self._first_page_shown or page_no in self._in_flight:
            return
        self._wanted[page_no] = None
        self._wanted.move_to_end(page_no)
        while len(self._wanted) > MAX_WANTED:
            self._wanted.popitem(last=False)
        self._pump()

    def _pump(self) -> None:
        while self._wanted and len(self._in_flight) < MAX_IN_FLIGHT:
            page_no, _ = self._wanted.popitem(last=True)
            if page_no not in self._pages and page_no not in self._in_flight:
                self._fetch_page(page_no)

    def _fetch_page(self, page_no: int) -> None:
        self._in_flight.add(page_no)
        generation = self._generation
        query, today, uow_factory = self._query, self._ctx.clock.today(), self._ctx.uow_factory

        def page(_: TaskContext) -> list[InvoiceRow]:
            return list_invoices(uow_factory(), query, today, page_no * PAGE_SIZE, PAGE_SIZE)

        self._ctx.runner.fetch(
            page,
            lambda rows: self._on_page_loaded(generation, page_no, rows),
            lambda exc: self._on_page_failed(generation, page_no, exc),
            group=READ_GROUP,
        )

    def _on_page_loaded(self, generation: int, page_no: int, rows: list[InvoiceRow]) -> None:
        if generation != self._generation:
            return
        self._in_flight.discard(page_no)
        self._pages[page_no] = rows
        self._pages.move_to_end(page_no)
        while len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)
        first = page_no * PAGE_SIZE
        last = min(first + PAGE_SIZE, self._row_count) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMN_TITLES) - 1))
        self._pump()

    def _on_page_failed(self, generation: int, page_no: int, exc: Exception) -> None:
        if generation == self._generation:
            self._in_flight.discard(page_no)
            self.load_failed.emit(exc)

    # -- Qt overrides ------------------------------------------------------------------------

    @override
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._row_count

    @override
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMN_SORT_KEYS):
            return
        descending = order == Qt.SortOrder.DescendingOrder
        key = COLUMN_SORT_KEYS[column]
        if key == self._query.sort_key and descending == self._query.descending:
            return
        self.set_query(replace(self._query, sort_key=key, descending=descending))

    @override
    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        column = InvoiceColumn(index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return column_alignment(column in _AMOUNT_COLUMNS)
        row = self.row_at(index.row())
        if row is None:
            placeholder = role == Qt.ItemDataRole.DisplayRole and column == InvoiceColumn.NUMBER
            return "…" if placeholder else None
        handler = self._role_handlers.get(role)
        return handler(row, column) if handler is not None else None

    @property
    def _role_handlers(self) -> dict[int, Callable[[InvoiceRow, InvoiceColumn], Any]]:
        return {
            Qt.ItemDataRole.DisplayRole: self._text,
            ROW_ROLE: lambda row, _column: row,
            OVERDUE_ROLE: lambda row, _column: _is_overdue(row),
            Qt.ItemDataRole.ForegroundRole: _foreground,
            Qt.ItemDataRole.DecorationRole: _decoration,
            Qt.ItemDataRole.ToolTipRole: lambda row, _column: self._tooltip(row),
        }

    def _text(self, row: InvoiceRow, column: InvoiceColumn) -> str:
        locale = self._ctx.locale
        credit = _is_credit_note(row)
        texts: dict[InvoiceColumn, Callable[[], str]] = {
            InvoiceColumn.NUMBER: lambda: row.number or "(draft)",
            InvoiceColumn.CUSTOMER: lambda: row.customer_name,
            InvoiceColumn.ISSUED: lambda: format_date(row.issue_date, locale),
            InvoiceColumn.DUE: lambda: "" if credit else format_date(row.due_date, locale),
            InvoiceColumn.TOTAL: lambda: money_text(-row.total if credit else row.total, locale),
            InvoiceColumn.OPEN: lambda: (
                "—"
                if credit or row.status in _NOTHING_RECEIVABLE
                else money_text(row.open_amount, locale)
            ),
            InvoiceColumn.STATUS: lambda: STATUS_TEXT[_status_key(row)],
        }
        return texts[column]()

    def _tooltip(self, row: InvoiceRow) -> str:
        if _is_credit_note(row):
            return f"Credit note {row.number} for {row.customer_name}"
        if row.status == InvoiceStatus.OVERDUE:
            days = "1 day" if row.days_overdue == 1 else f"{row.days_overdue} days"
            return f"Overdue by {days}"
        return STATUS_TEXT[row.status]


def _foreground(row: InvoiceRow, column: InvoiceColumn) -> QColor | None:
    return warm_colour() if column in _OVERDUE_COLUMNS and _is_overdue(row) else None


def _decoration(row: InvoiceRow, column: InvoiceColumn) -> QIcon | None:
    return status_marker(_status_key(row)) if column == InvoiceColumn.STATUS else None


def _is_credit_note(row: InvoiceRow) -> bool:
    return row.kind == InvoiceKind.CREDIT_NOTE


def _is_overdue(row: InvoiceRow) -> bool:
    return row.status == InvoiceStatus.OVERDUE and not _is_credit_note(row)


def _status_key(row: InvoiceRow) -> str:
    """Credit notes show as such, whatever their derived payment status."""
    if _is_credit_note(row) and row.status != InvoiceStatus.VOID:
        return InvoiceStatus.CREDIT_NOTE
    return row.status
