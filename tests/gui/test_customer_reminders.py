"""The customer pane: reminders line and policy, disputes, statement of account, timeline filter."""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models.collections import Dispute
from app.models.customer import Customer
from app.services.collection_actions import open_dispute
from app.services.reminders.policies import CustomerReminders, list_policies
from app.views.collection_dialogs import (
    OpenDisputeDialog,
    ReminderPolicyDialog,
    ResolveDisputeDialog,
)
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


# -- the reminder policy, exclusion and disputes from the pane -----------------------------------

T = TypeVar("T", bound=QDialog)


def only_dialog(view: CustomersView, kind: type[T]) -> T:
    found: list[T] = [d for d in view.findChildren(kind) if d.isVisible()]
    assert len(found) == 1, found
    return found[0]


def customer_row(view_ctx: ViewContext, customer_id: int) -> tuple[int | None, bool]:
    uow = view_ctx.uow_factory()
    with uow:
        customer = uow.session.get_one(Customer, customer_id)
        return customer.policy_id, customer.reminders_excluded


def disputes(view_ctx: ViewContext) -> list[tuple[int, str, str, str]]:
    """Every dispute of the ledger: invoice id, state, reason and resolution."""
    uow = view_ctx.uow_factory()
    with uow:
        rows = uow.session.scalars(select(Dispute).order_by(Dispute.id))
        return [(d.invoice_id, d.state, d.reason, d.resolution) for d in rows]


def test_the_pane_chooses_a_policy_and_excludes_the_customer(qtbot, view_ctx, sample_ledger):
    view = _view(qtbot, view_ctx, sample_ledger)
    acme = sample_ledger.customers["acme"]
    key_account = next(
        p.id for p in list_policies(view_ctx.uow_factory()) if p.name == "Key account"
    )

    view.detail.policy_button.click()
    dialog = only_dialog(view, ReminderPolicyDialog)
    assert dialog.policy.currentText() == "The segment's policy (smb)"
    assert not dialog.excluded.isChecked()
    dialog.policy.setCurrentIndex(dialog.policy.findData(key_account))
    dialog.excluded.setChecked(True)
    with qtbot.waitSignal(view.status_reported) as status:
        dialog.accept()

    assert customer_row(view_ctx, acme) == (key_account, True)
    assert status.args == [
        "Reminders to Acme Tools GmbH: Key account policy, excluded from automatic reminders"
    ]
    assert view.detail.reminders.text() == (
        "Reminders: Key account policy (chosen for this customer) · "
        "excluded: no automatic reminders"
    )
    assert view.detail.timeline_texts()[:2] == [
        "No automatic reminders",
        "Reminder policy: Key account",
    ]

    view.detail.policy_button.click()
    again = only_dialog(view, ReminderPolicyDialog)
    assert again.policy.currentData() == key_account
    assert again.excluded.isChecked()
    again.policy.setCurrentIndex(0)
    again.excluded.setChecked(False)
    again.accept()

    assert customer_row(view_ctx, acme) == (None, False)
    assert view.detail.reminders.text() == "Reminders: Standard policy (the default)"


def test_the_pane_opens_a_dispute_on_chosen_invoices_and_resolves_it(
    qtbot, view_ctx, sample_ledger
):
    view = _view(qtbot, view_ctx, sample_ledger)
    numbers, ids = sample_ledger.numbers, sample_ledger.invoices
    assert view.detail.no_disputes.isVisibleTo(view)
    assert view.detail.dispute_texts() == []

    view.detail.dispute_button.click()
    dialog = only_dialog(view, OpenDisputeDialog)
    assert dialog.invoices.count() == 2  # the overdue and the open one
    for row in range(2):
        dialog.invoices.item(row).setCheckState(Qt.CheckState.Checked)
    dialog.reason.setText("Price differs from the quote")
    dialog.waiting_on.setText("a credit note")
    with qtbot.waitSignal(view.status_reported) as status:
        dialog.accept()

    assert disputes(view_ctx) == [
        (ids["overdue"], "open", "Price differs from the quote", ""),
        (ids["open"], "open", "Price differs from the quote", ""),
    ]
    assert status.args == [
        f"Dispute opened for Acme Tools GmbH: {numbers['overdue']}, {numbers['open']}"
    ]
    about = "Price differs from the quote · waiting on a credit note"
    assert view.detail.dispute_texts() == [
        f"{numbers['overdue']} · since Nov 23, 2026 | {about}",
        f"{numbers['open']} · since Nov 23, 2026 | {about}",
    ]
    assert not view.detail.no_disputes.isVisibleTo(view)
    assert (
        f"{numbers['open']} disputed: Price differs from the quote"
        in (view.detail.timeline_texts()[0])
    )

    view.detail.resolve_buttons[1].click()
    resolve = only_dialog(view, ResolveDisputeDialog)
    assert resolve.disputes.currentRow() == 1
    assert resolve.reason.text() == about
    resolve.resolution.setPlainText("Credit note for the difference")
    with qtbot.waitSignal(view.status_reported) as status:
        resolve.accept()

    assert disputes(view_ctx)[1] == (
        ids["open"], "resolved", "Price differs from the quote", "Credit note for the difference",
    )  # fmt: skip
    assert disputes(view_ctx)[0][1] == "open"
    assert status.args == [f"Dispute of {numbers['open']} resolved"]
    assert view.detail.dispute_texts() == [f"{numbers['overdue']} · since Nov 23, 2026 | {about}"]
    assert view.detail.timeline_texts()[0] == (
        f"Dispute of {numbers['open']} resolved: Credit note for the difference"
    )


def test_a_dispute_needs_an_invoice_and_a_reason_and_nothing_is_written(
    qtbot, view_ctx, sample_ledger, sync_runner
):
    view = _view(qtbot, view_ctx, sample_ledger)
    view.detail.dispute_button.click()
    dialog = only_dialog(view, OpenDisputeDialog)
    dialog.reason.setText("Wrong price")

    dialog.accept()

    assert dialog.isVisible()
    assert dialog.error.text() == "Tick the invoices the customer disputes"
    dialog.invoices.item(0).setCheckState(Qt.CheckState.Checked)
    dialog.reason.setText("  ")
    dialog.accept()
    assert dialog.isVisible()
    assert dialog.error.text() == "Say what the customer objects to"
    assert disputes(view_ctx) == []
    assert "Opening the dispute…" not in sync_runner.labels


def test_resolving_needs_a_resolution_and_a_disputed_invoice_is_not_offered_again(
    qtbot, view_ctx, sample_ledger, sync_runner
):
    open_dispute(
        view_ctx.uow_factory(), sample_ledger.invoices["overdue"], "Never delivered", on=TODAY
    )
    view = _view(qtbot, view_ctx, sample_ledger)
    assert len(view.detail.resolve_buttons) == 1

    view.detail.resolve_buttons[0].click()
    resolve = only_dialog(view, ResolveDisputeDialog)
    resolve.accept()

    assert resolve.isVisible()
    assert resolve.error.text() == "Say how the dispute was settled"
    assert [d[1] for d in disputes(view_ctx)] == ["open"]
    assert "Resolving the dispute…" not in sync_runner.labels
    resolve.reject()

    view.detail.dispute_button.click()
    dialog = only_dialog(view, OpenDisputeDialog)
    first = dialog.invoices.item(0)
    assert first.text().endswith("€1,190.00 disputed")
    assert not first.flags() & Qt.ItemFlag.ItemIsEnabled
    assert dialog.invoices.item(1).flags() & Qt.ItemFlag.ItemIsEnabled
