"""The Customers screen: balances per currency, the account detail, notes, the customer form."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QTableWidgetItem, QTreeWidget
from pytestqt.qtbot import QtBot

from app.services.customers import CustomerInput, get_customer, save_customer
from app.services.money_format import format_date
from app.services.settings import save_settings
from app.views.context import ViewContext
from app.views.customers_view import CustomersView
from app.views.main_window import MainWindow
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


def _names_in_order(view: CustomersView) -> list[str]:
    proxy = view.proxy
    return [proxy.index(row, CustomerColumn.NAME).data() for row in range(proxy.rowCount())]


def test_a_search_that_leaves_the_selected_customer_out_clears_the_detail(
    qtbot, view_ctx, sample_ledger
):
    view = _view(qtbot, view_ctx)
    view.select_customer(sample_ledger.customers["acme"])
    assert view.edit_action.isEnabled()

    view.set_search("nord")

    assert view.detail.hint.isVisibleTo(view.detail)
    assert not view.detail.title.isVisibleTo(view.detail)
    assert not view.edit_action.isEnabled()
    assert not view.note_action.isEnabled()
    assert not view.detail.add_note_button.isEnabled()


def test_a_search_without_a_match_says_so(qtbot, view_ctx, sample_ledger):
    view = _view(qtbot, view_ctx)

    view.set_search("luebke")

    assert view.list_pages.currentWidget() is view.no_match
    assert view.no_match.text() == "No customer matches 'luebke'"
    assert not view.is_empty_state_shown()


def test_an_empty_ledger_teaches_what_to_do(qtbot, view_ctx):
    view = _view(qtbot, view_ctx)

    assert view.is_empty_state_shown()
    assert view.empty_new_button.text() == "New customer"
    assert view.empty_import_button.text() == "Import from CSV/Excel"
    assert not view.export_action.isEnabled()


def test_new_customer_suggests_the_next_free_id_and_the_company_country(qtbot, view_ctx):
    uow = view_ctx.uow_factory()
    for code in ("K10279", "K10280", "OTHER"):
        save_customer(
            uow,
            CustomerInput(code=code, name=f"Firm {code}", currency="EUR", payment_terms_days=30),
        )
    view = _view(qtbot, view_ctx)

    dialog = view.new_customer()

    assert dialog.code.text() == "K10281"
    assert dialog.country.text() == ""
    assert dialog.country.placeholderText() == "e.g. DE"
    save_settings(uow, {"company.country": "AT", "company.currency": "CHF"})
    again = view.new_customer()
    assert again.country.text() == "AT"
    assert again.currency.text() == "CHF"


def test_names_sort_the_way_people_read_them(qtbot, view_ctx):
    uow = view_ctx.uow_factory()
    for code, name in (
        ("1", "Brückner AG"),
        ("2", "Backhaus Meyer"),
        ("3", "Bäckerei Schönfeld"),
        ("4", "apfel & co"),
    ):
        save_customer(
            uow, CustomerInput(code=code, name=name, currency="EUR", payment_terms_days=30)
        )
    view = _view(qtbot, view_ctx)

    assert _names_in_order(view) == [
        "apfel & co",
        "Bäckerei Schönfeld",
        "Backhaus Meyer",
        "Brückner AG",
    ]


def test_customers_over_their_credit_limit_are_marked(qtbot, view_ctx, sample_ledger):
    uow = view_ctx.uow_factory()
    acme = get_customer(uow, sample_ledger.customers["acme"], TODAY)
    save_customer(
        uow,
        CustomerInput(
            code=acme.code,
            name=acme.name,
            currency=acme.currency,
            payment_terms_days=acme.payment_terms_days,
            credit_limit=Decimal("1000"),
            contacts=acme.contacts,
        ),
        acme.id,
    )
    view = _view(qtbot, view_ctx)
    model = view.model
    acme_row = _row_of(view, "Acme Tools GmbH")
    nord_row = _row_of(view, "Nordlicht Handel AG")

    assert model.data(model.index(acme_row, CustomerColumn.NAME), Qt.ItemDataRole.DecorationRole)
    assert "over the credit limit of €1,000.00 by €785.00" in model.data(
        model.index(acme_row, CustomerColumn.NAME), Qt.ItemDataRole.ToolTipRole
    )
    assert not model.data(
        model.index(nord_row, CustomerColumn.NAME), Qt.ItemDataRole.DecorationRole
    )


def test_timeline_shows_local_times_and_business_days(qtbot, view_ctx, sample_ledger):
    view = _view(qtbot, view_ctx)
    view.select_customer(sample_ledger.customers["acme"])
    view.detail.note.setPlainText("Called Ana")
    view.detail.add_note_button.click()

    times = dict(zip(view.detail.timeline_texts(), view.detail.timeline_times(), strict=True))

    issued = next(t for t in times if t.startswith(f"Invoice {sample_ledger.numbers['overdue']}"))
    assert times[issued] == format_date(TODAY - timedelta(days=60), "en")  # a business day
    assert issued.endswith(f"due {format_date(TODAY - timedelta(days=30), 'en')}")  # not ISO
    assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s[AP]M", times["Called Ana"])


def test_down_in_the_search_moves_into_the_list(qtbot, view_ctx, sample_ledger):
    window = MainWindow(view_ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    window.show_screen(
        next(i for i, s in enumerate(window.screens()) if isinstance(s, CustomersView))
    )
    window.search_field().setFocus()

    qtbot.keyClick(window.search_field(), Qt.Key.Key_Down)

    customers = window.current_screen()
    assert isinstance(customers, CustomersView)
    assert customers.table.hasFocus()
    assert customers.selected_customer() is not None
