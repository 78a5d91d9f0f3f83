"""The Invoices screen: empty state, detail pane, actions on the selected invoice, import."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel
from pytestqt.qtbot import QtBot

from app.services.invoice_queries import get_invoice
from app.views.context import ViewContext
from app.views.invoices_view import InvoicesView
from app.views.models.invoice_table_model import ROW_ROLE, InvoiceColumn
from tests.gui.conftest import TODAY

pytestmark = pytest.mark.gui


def _view(qtbot: QtBot, view_ctx: ViewContext) -> InvoicesView:
    view = InvoicesView(view_ctx)
    qtbot.addWidget(view)
    view.refresh()
    return view


def _select(view: InvoicesView, invoice_id: int) -> None:
    model = view.model
    for row in range(model.rowCount()):
        if model.data(model.index(row, 0), ROW_ROLE).id == invoice_id:
            view.table.selectionModel().select(
                model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            return
    raise AssertionError(f"invoice {invoice_id} is not listed")


def test_empty_ledger_offers_new_invoice_and_import(qtbot, view_ctx):
    view = _view(qtbot, view_ctx)

    assert view.is_empty_state_shown()
    assert view.empty_new_button.text() == "New invoice"
    assert view.empty_import_button.text() == "Import from CSV/Excel"


def test_a_filter_that_matches_nothing_is_not_the_empty_state(qtbot, view_ctx, sample_ledger):
    view = _view(qtbot, view_ctx)
    assert not view.is_empty_state_shown()

    view.set_search("no such customer")

    assert view.model.rowCount() == 0
    assert not view.is_empty_state_shown()


def test_status_filter_combo_requeries(qtbot, view_ctx, sample_ledger):
    view = _view(qtbot, view_ctx)

    view.select_status_filter("Overdue")

    assert view.model.rowCount() == 2
    view.select_status_filter("Draft")
    assert view.model.rowCount() == 1
    assert view.model.data(view.model.index(0, InvoiceColumn.NUMBER)) == "(draft)"


def test_selecting_a_row_shows_its_detail_and_actions(qtbot, view_ctx, sample_ledger):
    view = _view(qtbot, view_ctx)

    _select(view, sample_ledger.invoices["partly"])

    assert view.detail._title.text() == f"Invoice {sample_ledger.numbers['partly']}"
    assert view.detail._status.text() == "Partly paid · open €1,880.00"
    assert view.payment_action.isEnabled()
    assert not view.issue_action.isEnabled()


def test_record_payment_settles_the_invoice(qtbot, view_ctx, sample_ledger):
    view = _view(qtbot, view_ctx)
    messages: list[str] = []
    view.status_reported.connect(messages.append)
    _select(view, sample_ledger.invoices["overdue"])

    view.payment_action.trigger()
    assert view.payment_dialog is not None
    view.payment_dialog.accept()

    detail = get_invoice(view_ctx.uow_factory(), sample_ledger.invoices["overdue"], TODAY)
    assert detail.open_amount.minor == 0
    assert messages[-1] == (
        f"Recorded €1,190.00 from Acme Tools GmbH on {sample_ledger.numbers['overdue']}"
    )


def test_void_asks_why(qtbot, view_ctx, sample_ledger, asked):
    view = _view(qtbot, view_ctx)
    _select(view, sample_ledger.invoices["open"])
    asked.text_answer = "sent to the wrong customer"

    view.void_action.trigger()

    detail = get_invoice(view_ctx.uow_factory(), sample_ledger.invoices["open"], TODAY)
    assert detail.state == "void"
    assert detail.void_reason == "sent to the wrong customer"


def test_import_reports_numbers(qtbot, view_ctx, sample_ledger, asked, tmp_path):
    csv = tmp_path / "invoices.csv"
    csv.write_text(
        "number,customer_id,issue_date,due_date,total,currency\n"
        "OLD-1,ACME,2026-09-01,2026-10-01,100.00,EUR\n"
        "OLD-2,NORD,2026-09-02,2026-10-02,250.50,EUR\n",
        encoding="utf-8",
    )
    asked.open_file = csv
    view = _view(qtbot, view_ctx)
    messages: list[str] = []
    view.status_reported.connect(messages.append)

    view.import_action.trigger()

    assert messages[-1] == "Imported 2 invoices from invoices.csv: 2 new, 0 updated"
    assert view.model.rowCount() == 8
