"""The invoice list model pages, sorts and filters in SQL."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.models.invoice import InvoiceStatus
from app.models.money import Money
from app.services.clock import FixedClock
from app.services.invoice_queries import InvoiceQuery, list_invoices
from app.services.invoicing import create_credit_note, void_invoice
from app.views.models import invoice_table_model
from app.views.models.invoice_table_model import (
    OVERDUE_ROLE,
    InvoiceColumn,
    InvoiceTableModel,
)
from app.views.models.table_support import ROW_ROLE
from app.views.style import warm_colour
from tests.gui.conftest import TODAY

pytestmark = pytest.mark.gui


def _column(model: InvoiceTableModel, column: InvoiceColumn) -> list[str]:
    return [model.data(model.index(row, column)) for row in range(model.rowCount())]


def test_sort_by_open_amount_descending_is_done_in_sql(view_ctx, sample_ledger):
    model = InvoiceTableModel(view_ctx)
    model.reload()

    model.sort(InvoiceColumn.OPEN, Qt.SortOrder.DescendingOrder)

    assert model.query().sort_key == "open_amount"
    assert model.query().descending
    assert _column(model, InvoiceColumn.OPEN) == [
        "€1,880.00",
        "€1,190.00",
        "€595.00",
        "£357.00",
        "£0.00",
        "—",  # the draft: nothing receivable, after every invoice in either order
    ]
    assert model.data(model.index(0, InvoiceColumn.NUMBER)) == sample_ledger.numbers["partly"]
    assert model.data(model.index(0, InvoiceColumn.STATUS)) == "Partly paid"


def test_sort_by_number_ascending(view_ctx, sample_ledger):
    model = InvoiceTableModel(view_ctx)
    model.reload()

    model.sort(InvoiceColumn.NUMBER, Qt.SortOrder.AscendingOrder)

    numbers = _column(model, InvoiceColumn.NUMBER)
    assert numbers[:-1] == sorted(sample_ledger.numbers.values())
    assert numbers[-1] == "(draft)"  # drafts have no number yet: last, whichever the order


def test_status_filter_lists_only_overdue_invoices(view_ctx, sample_ledger):
    model = InvoiceTableModel(view_ctx)
    model.set_query(InvoiceQuery(statuses=frozenset({InvoiceStatus.OVERDUE})))

    assert model.rowCount() == 2
    assert model.total_count() == 2
    assert set(_column(model, InvoiceColumn.STATUS)) == {"Overdue"}
    assert set(_column(model, InvoiceColumn.NUMBER)) == {
        sample_ledger.numbers["overdue"],
        sample_ledger.numbers["gbp_overdue"],
    }


def test_search_filters_by_customer_name(view_ctx, sample_ledger):
    model = InvoiceTableModel(view_ctx)
    model.set_query(InvoiceQuery(search="britannia"))

    assert set(_column(model, InvoiceColumn.CUSTOMER)) == {"Britannia Supplies Ltd"}
    assert model.rowCount() == 2


def test_overdue_rows_show_due_and_open_in_the_warm_colour(view_ctx, sample_ledger):
    model = InvoiceTableModel(view_ctx)
    model.reload()
    rows = {model.data(model.index(r, 0), ROW_ROLE).id: r for r in range(model.rowCount())}
    overdue, current = rows[sample_ledger.invoices["overdue"]], rows[sample_ledger.invoices["open"]]

    for column in (InvoiceColumn.DUE, InvoiceColumn.OPEN):
        colour = model.data(model.index(overdue, column), Qt.ItemDataRole.ForegroundRole)
        assert colour == warm_colour()
        assert model.data(model.index(current, column), Qt.ItemDataRole.ForegroundRole) is None
    assert model.data(model.index(overdue, 0), OVERDUE_ROLE) is True
    # never colour alone: the status is written out and has a marker
    assert model.data(model.index(overdue, InvoiceColumn.STATUS)) == "Overdue"
    assert model.data(model.index(overdue, InvoiceColumn.STATUS), Qt.ItemDataRole.DecorationRole)
    assert "Overdue by 30 days" in model.data(model.index(overdue, 0), Qt.ItemDataRole.ToolTipRole)


def test_amounts_are_right_aligned(view_ctx, sample_ledger):
    model = InvoiceTableModel(view_ctx)
    model.reload()
    alignment = model.data(model.index(0, InvoiceColumn.TOTAL), Qt.ItemDataRole.TextAlignmentRole)
    assert alignment & Qt.AlignmentFlag.AlignRight


def test_rows_are_read_in_pages_and_only_a_few_pages_are_kept(view_ctx, sample_ledger, monkeypatch):
    monkeypatch.setattr(invoice_table_model, "PAGE_SIZE", 2)
    monkeypatch.setattr(invoice_table_model, "CACHED_PAGES", 2)
    offsets: list[int] = []
    real = list_invoices

    def counting(uow, query, today, offset=0, limit=200):
        offsets.append(offset)
        return real(uow, query, today, offset, limit)

    monkeypatch.setattr(invoice_table_model, "list_invoices", counting)
    model = InvoiceTableModel(view_ctx)
    model.reload()

    assert model.rowCount() == 6  # from count_invoices, not from the rows read
    assert offsets == [0]
    last = model.data(model.index(5, InvoiceColumn.NUMBER))
    assert offsets == [0, 4]
    assert last
    model.data(model.index(2, InvoiceColumn.NUMBER))
    assert offsets == [0, 4, 2]
    model.data(model.index(0, InvoiceColumn.NUMBER))  # page 0 was dropped (two pages kept)
    assert offsets == [0, 4, 2, 0]


def test_footer_totals_are_per_currency(view_ctx, sample_ledger):
    model = InvoiceTableModel(view_ctx)
    received: list[dict[str, Money]] = []
    model.totals_loaded.connect(received.append)
    model.reload()

    totals = received[-1]
    assert totals["EUR"].minor == 119000 + 59500 + 188000
    assert totals["GBP"].minor == 35700


@pytest.mark.parametrize("order", [Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder])
@pytest.mark.parametrize("page_size", [200, 2])
def test_rows_with_nothing_open_come_last_by_open_amount(
    view_ctx, sample_ledger, monkeypatch, order, page_size
):
    monkeypatch.setattr(invoice_table_model, "PAGE_SIZE", page_size)
    uow = view_ctx.uow_factory()
    create_credit_note(uow, sample_ledger.invoices["paid"], FixedClock(TODAY), "goodwill")
    void_invoice(uow, sample_ledger.invoices["open"], "wrong customer")
    model = InvoiceTableModel(view_ctx)
    model.reload()

    model.sort(InvoiceColumn.OPEN, order)

    shown = _column(model, InvoiceColumn.OPEN)
    assert len(shown) == 7
    assert shown[-3:] == ["—", "—", "—"]  # the draft, the void and the credit note
    amounts = shown[:-3]
    assert "—" not in amounts
    assert amounts == (
        ["€1,880.00", "€1,190.00", "£357.00", "£0.00"]
        if order == Qt.SortOrder.DescendingOrder
        else ["£0.00", "£357.00", "€1,190.00", "€1,880.00"]
    )
