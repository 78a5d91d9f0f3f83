"""The Customers screen: balances per currency, the account detail, notes, the customer form."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QComboBox, QTableWidgetItem, QTreeWidget
from pytestqt.qtbot import QtBot

from app.services.customers import get_customer
from app.views.context import ViewContext
from app.views.customers_view import CustomersView
from app.views.models.customer_table_model import CustomerColumn
from tests.gui.conftest import TODAY

pytestmark = pytest.mark.gui


def _view(qtbot: QtBot, view_ctx: ViewContext) -> CustomersView:
    view = CustomersView(view_ctx)
    qtbot.addWidget(view)
    view.refresh()
    return view


def _row_of(view: CustomersView, name: str) -> int:
    model = view.model
    return next(r for r in range(model.rowCount()) if _name(view, r) == name)


def _name(view: CustomersView, row: int) -> str:
    customer = view.model.row_at(row)
    assert customer is not None
    return customer.name


def _cell(tree: QTreeWidget, row: int, column: int) -> str:
    item = tree.topLevelItem(row)
    assert item is not None
    return item.text(column)


def test_list_shows_open_and_overdue_per_currency(qtbot, view_ctx, sample_ledger):
    view = _view(qtbot, view_ctx)
    model = view.model
    acme = _row_of(view, "Acme Tools GmbH")
    brit = _row_of(view, "Britannia Supplies Ltd")

    assert model.data(model.index(acme, CustomerColumn.OPEN)) == "€1,785.00"
    assert model.data(model.index(acme, CustomerColumn.OVERDUE)) == "€1,190.00"
    assert model.data(model.index(brit, CustomerColumn.OVERDUE)) == "£357.00"
    assert model.data(model.index(acme, CustomerColumn.EMAIL)) == "ap@acme.example"


def test_search_requeries(qtbot, view_ctx, sample_ledger):
    view = _view(qtbot, view_ctx)

    view.set_search("nord")

    assert view.model.rowCount() == 1
    assert _name(view, 0) == "Nordlicht Handel AG"


def test_detail_shows_open_invoices_and_the_timeline_gets_a_note(qtbot, view_ctx, sample_ledger):
    view = _view(qtbot, view_ctx)
    view.select_customer(sample_ledger.customers["acme"])
    detail = view.detail
    assert detail.title.text() == "Acme Tools GmbH"
    numbers = [
        _cell(detail.open_invoices, i, 0) for i in range(detail.open_invoices.topLevelItemCount())
    ]
    assert numbers == [sample_ledger.numbers["overdue"], sample_ledger.numbers["open"]]
    assert _cell(detail.open_invoices, 0, 3) == "30"

    detail.note.setPlainText("Called Ana: payment promised for Friday")
    detail.add_note_button.click()

    assert detail.timeline_texts()[0] == "Called Ana: payment promised for Friday"
    assert detail.note.toPlainText() == ""


def test_empty_note_is_refused_in_words(qtbot, view_ctx, sample_ledger):
    view = _view(qtbot, view_ctx)
    view.select_customer(sample_ledger.customers["acme"])

    view.detail.add_note_button.click()

    assert view.detail.note_error.text() == "Write the note first."


def test_customer_form_creates_a_customer_with_a_contact(qtbot, view_ctx, sample_ledger):
    view = _view(qtbot, view_ctx)
    dialog = view.new_customer()
    dialog.code.setText("KIWI")
    dialog.name.setText("Kiwi Fruit Ltd")
    dialog.currency.setText("gbp")
    dialog.terms.setValue(21)
    dialog.credit_limit.setText("5000")
    dialog.contacts.setItem(0, 0, QTableWidgetItem("Tom Reed"))
    dialog.contacts.setItem(0, 1, QTableWidgetItem("tom@kiwi.example"))
    role = dialog.contacts.cellWidget(0, 3)
    assert isinstance(role, QComboBox)
    role.setCurrentIndex(1)  # reminders
    dialog.ibans.setPlainText("GB82 WEST 1234 5698 7654 32")

    dialog.accept()

    assert dialog.customer_id is not None
    saved = get_customer(view_ctx.uow_factory(), dialog.customer_id, TODAY)
    assert saved.currency == "GBP"
    assert saved.payment_terms_days == 21
    assert saved.credit_limit is not None
    assert saved.credit_limit.minor == 500000
    assert [(c.name, c.role) for c in saved.contacts] == [("Tom Reed", "reminders")]
    assert saved.ibans == ("GB82WEST12345698765432",)
    assert view.model.rowCount() == 4


def test_customer_form_shows_service_errors_beside_the_form(qtbot, view_ctx, sample_ledger):
    view = _view(qtbot, view_ctx)
    dialog = view.new_customer()
    dialog.code.setText("ACME")
    dialog.name.setText("Another Acme")

    dialog.accept()

    assert dialog.error.text() == "Customer ID: 'ACME' is already used by another customer"
    assert dialog.isVisible() or dialog.result() == 0
