"""The customer pane's reminders line, statement of account button and timeline filter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pytestqt.qtbot import QtBot

from app.models.customer import Customer
from app.services.reminders.policies import CustomerReminders
from app.views.context import ViewContext
from app.views.customer_detail import reminders_text
from app.views.customers_view import CustomersView
from tests.gui.conftest import TODAY, SampleLedger

pytestmark = pytest.mark.gui


def _view(qtbot: QtBot, view_ctx: ViewContext, sample_ledger: SampleLedger) -> CustomersView:
    view = CustomersView(view_ctx)
    qtbot.addWidget(view)
    view.resize(1300, 800)
    view.refresh()
    view.select_customer(sample_ledger.customers["acme"])
    return view


def test_the_pane_says_which_policy_reminds_the_customer(qtbot, view_ctx, sample_ledger):
    view = _view(qtbot, view_ctx, sample_ledger)
    assert view.detail.reminders.text() == "Reminders: Standard policy (the default)"
    assert view.detail.statement_button.isVisibleTo(view)


def test_a_paused_customer_says_so(qtbot, view_ctx, sample_ledger):
    uow = view_ctx.uow_factory()
    with uow:
        customer = uow.session.get(Customer, sample_ledger.customers["acme"])
        assert customer is not None
        customer.reminders_excluded = True
        customer.reminders_paused_until = TODAY + timedelta(days=10)
        customer.reminders_pause_reason = "CFO on holiday"
        uow.commit()
    view = _view(qtbot, view_ctx, sample_ledger)
    text = view.detail.reminders.text()
    assert "excluded: no automatic reminders" in text
    assert "paused until Dec 3, 2026 (CFO on holiday)" in text


def test_reminders_text_words_each_source() -> None:
    state = CustomerReminders("Key account", "segment", "Key account", False, None, "")
    assert reminders_text(state, "en") == "Reminders: Key account policy (segment Key account)"
    own = CustomerReminders("Gentle", "customer", "", False, None, "")
    assert "chosen for this customer" in reminders_text(own, "en")
    assert "no reminder policy" in reminders_text(
        CustomerReminders("", "", "", False, None, ""), "en"
    )


def test_the_statement_of_account_is_saved(qtbot, view_ctx, sample_ledger, asked, tmp_path):
    asked.save_file = tmp_path / "statement.pdf"
    view = _view(qtbot, view_ctx, sample_ledger)
    with qtbot.waitSignal(view.status_reported) as status:
        view.detail.statement_button.click()
    assert status.args == ["Saved the statement of account to statement.pdf"]
    assert asked.save_file.read_bytes().startswith(b"%PDF")


def test_the_timeline_filters_by_kind(qtbot, view_ctx, sample_ledger):
    view = _view(qtbot, view_ctx, sample_ledger)
    view.select_customer(sample_ledger.customers["nord"])  # an invoice, a draft and a payment
    everything = view.detail.timeline_texts()
    assert len(everything) >= 2
    filter_ = view.detail.timeline_filter
    filter_.setCurrentIndex(filter_.findData("invoice"))
    invoices = view.detail.timeline_texts()
    assert 0 < len(invoices) < len(everything)
    filter_.setCurrentIndex(filter_.findData("dispute"))
    assert view.detail.timeline_texts() == ["No disputes yet"]
    filter_.setCurrentIndex(0)
    assert view.detail.timeline_texts() == everything
