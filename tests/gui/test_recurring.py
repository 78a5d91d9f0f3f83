"""Recurring invoices in the window: making one, seeing and stopping it, issuing what is due.

The start-up catch-up is the daily pass of the background jobs: tests/gui/test_scheduler_status.py.
"""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QDate

from app.services.recurring import Frequency, list_recurring, make_recurring
from app.views.catch_up import issued_message
from app.views.customers_view import CustomersView
from tests.gui.conftest import open_invoices_view, select_invoice

pytestmark = pytest.mark.gui


def test_make_recurring_is_offered_for_one_issued_invoice(qtbot, view_ctx, sample_ledger):
    view = open_invoices_view(qtbot, view_ctx)

    select_invoice(view, sample_ledger.invoices["draft"])
    assert not view.recurring_action.isEnabled()
    select_invoice(view, sample_ledger.invoices["paid"])
    assert view.recurring_action.isEnabled()
    assert view.recurring_action in view._menu_actions()


def test_the_dialog_makes_the_selected_invoice_recurring(qtbot, view_ctx, sample_ledger):
    view = open_invoices_view(qtbot, view_ctx)
    messages: list[str] = []
    view.status_reported.connect(messages.append)
    number = sample_ledger.numbers["open"]  # issued on 18 Nov 2026, €595.00
    select_invoice(view, sample_ledger.invoices["open"])

    view.recurring_action.trigger()
    dialog = view.recurring_dialog
    assert dialog is not None
    assert dialog.isVisible()
    assert dialog.sentence.text() == (
        f"Duebook issues a copy of {number} for €595.00 every month from Dec 18, 2026."
    )
    assert dialog.past_hint.isHidden()
    dialog.frequency.setCurrentIndex(dialog.frequency.findText("Quarterly"))
    assert dialog.sentence.text().endswith("every quarter from Feb 18, 2027.")
    dialog.end_date.setDate(QDate(2027, 12, 31))
    assert dialog.sentence.text().endswith("from Feb 18, 2027 until Dec 31, 2027.")
    dialog.ok_button.click()

    [row] = list_recurring(view_ctx.uow_factory())
    assert row.customer_id == sample_ledger.customers["acme"]
    assert row.frequency is Frequency.QUARTERLY
    assert (row.next_date, row.end_date) == (date(2027, 2, 18), date(2027, 12, 31))
    assert row.total.minor == 59500
    assert not dialog.isVisible()
    assert messages[-1] == f"{number} will be issued again every quarter from Feb 18, 2027"


def test_the_dialog_shows_a_refusal_beside_the_form(qtbot, view_ctx, sample_ledger):
    view = open_invoices_view(qtbot, view_ctx)
    select_invoice(view, sample_ledger.invoices["open"])
    view.recurring_action.trigger()
    dialog = view.recurring_dialog
    assert dialog is not None

    dialog.first_date.setDate(dialog.first_date.date().addMonths(2))
    dialog.end_date.setDate(dialog.first_date.date().addDays(-1))
    dialog.ok_button.click()

    assert dialog.isVisible()
    assert dialog.error.text().startswith("The end date is before the first date")
    assert list_recurring(view_ctx.uow_factory()) == []


def test_the_customer_detail_lists_recurring_invoices_and_stops_one(
    qtbot, view_ctx, sample_ledger, asked
):
    uow_factory = view_ctx.uow_factory
    acme = sample_ledger.customers["acme"]
    make_recurring(
        uow_factory(), sample_ledger.invoices["open"], Frequency.MONTHLY, date(2026, 12, 18)
    )
    view = CustomersView(view_ctx)
    qtbot.addWidget(view)
    view.refresh()
    messages: list[str] = []
    view.status_reported.connect(messages.append)

    view.select_customer(sample_ledger.customers["nord"])
    assert view.detail.recurring_box.isHidden()
    view.select_customer(acme)
    assert not view.detail.recurring_box.isHidden()
    assert view.detail.recurring_texts() == [
        "Consulting | every month · next Dec 18, 2026 | €595.00"
    ]

    asked.confirm_answer = False
    view.detail.stop_buttons[0].click()
    assert list_recurring(uow_factory())[0].active
    asked.confirm_answer = True
    view.detail.stop_buttons[0].click()

    assert "Stop Consulting for Acme Tools GmbH?" in asked.confirmations[-1]
    assert not list_recurring(uow_factory())[0].active
    assert view.detail.recurring_box.isHidden()
    assert messages[-1] == "Stopped the recurring invoice Consulting"
    assert view.detail.timeline_texts()[0] == "Recurring invoice Consulting stopped"


def test_the_message_names_a_few_numbers():
    assert issued_message([]) == ""
    assert issued_message(["A", "B"]) == "Issued 2 recurring invoices (A, B)"
    many = [f"N{i}" for i in range(7)]
    assert issued_message(many) == "Issued 7 recurring invoices (N0, N1, N2, N3, N4 and 2 more)"
