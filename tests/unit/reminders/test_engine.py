"""The reminder engine on hand-made snapshots: which step, which letter, which guard."""

from __future__ import annotations

from datetime import timedelta

from app.services.reminders.engine import SkipReason, decide_reminders, due_step
from app.services.reminders.snapshot import ReminderSettings
from tests.unit.reminders.ledger_facts import (
    PER_INVOICE,
    STANDARD,
    TODAY,
    customer,
    invoice,
    promise,
    snapshot,
)


def _steps(plan: object) -> list[tuple[int, str, tuple[int, ...]]]:
    return [(d.customer_id, d.step.name, d.invoice_ids) for d in plan.decisions]  # type: ignore[attr-defined]


def _skips(plan: object) -> list[tuple[int, str, tuple[int, ...]]]:
    return [(s.customer_id, s.reason.value, s.invoice_ids) for s in plan.skipped]  # type: ignore[attr-defined]


def test_friendly_note_goes_three_days_before_due_and_not_after() -> None:
    before = invoice(1, days_overdue=-3)
    assert due_step(STANDARD, before, TODAY, set()).name == "Friendly note"  # type: ignore[union-attr]
    assert due_step(STANDARD, invoice(1, days_overdue=-4), TODAY, set()) is None
    assert due_step(STANDARD, invoice(1, days_overdue=2), TODAY, set()) is None


def test_an_invoice_found_long_overdue_gets_the_latest_step_not_the_first() -> None:
    found = invoice(1, days_overdue=40)
    assert due_step(STANDARD, found, TODAY, set()).name == "2nd reminder"  # type: ignore[union-attr]


def test_a_step_is_taken_once_and_never_an_earlier_one_after_a_later() -> None:
    overdue = invoice(1, days_overdue=40)
    assert due_step(STANDARD, overdue, TODAY, {(1, 13)}) is None
    assert due_step(STANDARD, overdue, TODAY, {(1, 12)}).name == "2nd reminder"  # type: ignore[union-attr]
    assert due_step(STANDARD, invoice(1, days_overdue=10), TODAY, {(1, 13)}) is None


def test_one_letter_per_customer_lists_every_invoice_due_a_step_with_the_firmest_step() -> None:
    plan = decide_reminders(
        snapshot(
            [customer(1)],
            [invoice(1, 8), invoice(2, 35), invoice(3, 2), invoice(4, -10)],
        ),
        TODAY,
    )
    assert _steps(plan) == [(1, "2nd reminder", (2, 1))]
    letter = plan.decisions[0]
    assert {(d.invoice.id, d.step.name) for d in letter.due} == {
        (1, "1st reminder"),
        (2, "2nd reminder"),
    }
    assert letter.key == "reminder:1:13:1,2"
    assert [d.invoice.id for d in letter.due] == [2, 1]


def test_per_invoice_policy_writes_one_letter_per_invoice() -> None:
    plan = decide_reminders(
        snapshot([customer(1, policy_id=PER_INVOICE.id)], [invoice(1, 8), invoice(2, 35)]), TODAY
    )
    assert sorted(_steps(plan)) == [(1, "1st reminder", (1,)), (1, "2nd reminder", (2,))]


def test_final_notice_is_an_escalation_with_a_task() -> None:
    plan = decide_reminders(snapshot([customer(1)], [invoice(1, 61)]), TODAY)
    (decision,) = plan.decisions
    assert decision.step.name == "Final notice"
    assert decision.sends_email
    assert decision.creates_task


def test_disputed_invoice_is_held_back_and_the_others_still_go() -> None:
    plan = decide_reminders(
        snapshot([customer(1)], [invoice(1, 8, dispute="a credit note"), invoice(2, 9)]),
        TODAY,
    )
    assert _steps(plan) == [(1, "1st reminder", (2,))]
    assert _skips(plan) == [(1, "disputed", (1,))]
    assert plan.skipped[0].detail == "a credit note"


def test_paused_customer_gets_nothing_until_the_pause_ends() -> None:
    paused = customer(1, paused_until=TODAY, pause_reason="CFO on holiday")
    plan = decide_reminders(snapshot([paused], [invoice(1, 8)]), TODAY)
    assert _steps(plan) == []
    assert _skips(plan) == [(1, "paused", (1,))]
    later = decide_reminders(snapshot([paused], [invoice(1, 9)]), TODAY + timedelta(days=1))
    assert _steps(later) == [(1, "1st reminder", (1,))]


def test_excluded_customer_is_skipped_with_its_reason() -> None:
    plan = decide_reminders(snapshot([customer(1, excluded=True)], [invoice(1, 8)]), TODAY)
    assert _skips(plan) == [(1, "excluded", (1,))]


def test_promise_holds_its_invoices_until_its_date_plus_grace() -> None:
    facts = [customer(1)], [invoice(1, 8), invoice(2, 8)]
    promised = {1: (promise(1, 1, TODAY + timedelta(days=2), frozenset({1})),)}
    plan = decide_reminders(snapshot(*facts, promises=promised), TODAY)
    assert _skips(plan) == [(1, "promise", (1,))]
    assert _steps(plan) == [(1, "1st reminder", (2,))]
    grace_over = TODAY + timedelta(days=2 + 3 + 1)
    after = decide_reminders(snapshot(*facts, promises=promised), grace_over)
    assert _skips(after) == []


def test_a_promise_without_invoices_covers_the_whole_account() -> None:
    promised = {1: (promise(1, 1, TODAY + timedelta(days=5)),)}
    plan = decide_reminders(
        snapshot([customer(1)], [invoice(1, 8), invoice(2, 31)], promises=promised), TODAY
    )
    assert _skips(plan) == [(1, "promise", (2, 1))]


def test_minimum_interval_since_the_last_email_holds_the_letter() -> None:
    recent = {1: TODAY - timedelta(days=4)}
    plan = decide_reminders(snapshot([customer(1)], [invoice(1, 8)], last_email=recent), TODAY)
    assert _skips(plan) == [(1, "min-interval", (1,))]
    older = {1: TODAY - timedelta(days=5)}
    plan = decide_reminders(snapshot([customer(1)], [invoice(1, 8)], last_email=older), TODAY)
    assert _steps(plan) == [(1, "1st reminder", (1,))]


def test_no_reminder_address_is_a_skip_not_a_letter_to_nobody() -> None:
    plan = decide_reminders(snapshot([customer(1, recipients=())], [invoice(1, 8)]), TODAY)
    assert _skips(plan) == [(1, "no-contact", (1,))]


def test_stale_bank_data_holds_overdue_reminders_with_a_warning_but_not_friendly_notes() -> None:
    old_import = TODAY - timedelta(days=8)
    plan = decide_reminders(
        snapshot(
            [customer(1), customer(2)],
            [invoice(1, 8), invoice(2, -3, customer_id=2)],
            newest_import=old_import,
        ),
        TODAY,
    )
    assert _skips(plan) == [(1, "stale-bank-data", (1,))]
    assert _steps(plan) == [(2, "Friendly note", (2,))]
    assert "2026-11-15" in plan.warnings[0]
    fresh = decide_reminders(
        snapshot([customer(1)], [invoice(1, 8)], newest_import=TODAY - timedelta(days=7)), TODAY
    )
    assert fresh.warnings == ()
    assert _steps(fresh) == [(1, "1st reminder", (1,))]


def test_ledger_without_bank_imports_is_never_stale() -> None:
    plan = decide_reminders(snapshot([customer(1)], [invoice(1, 8)], newest_import=None), TODAY)
    assert plan.warnings == ()


def test_credits_covering_the_balance_mean_no_letter() -> None:
    credits = {1: {"EUR": 100_00}}
    plan = decide_reminders(snapshot([customer(1)], [invoice(1, 8)], credits=credits), TODAY)
    assert _steps(plan) == []
    partly = {1: {"EUR": 50_00}}
    plan = decide_reminders(snapshot([customer(1)], [invoice(1, 8)], credits=partly), TODAY)
    assert _steps(plan) == [(1, "1st reminder", (1,))]


def test_customer_without_a_policy_is_not_chased() -> None:
    plan = decide_reminders(snapshot([customer(1, policy_id=None)], [invoice(1, 8)]), TODAY)
    assert plan.decisions == ()
    assert plan.skipped == ()


def test_settings_change_the_guards() -> None:
    settings = ReminderSettings(min_interval_days=10, stale_bank_days=2, promise_grace_days=0)
    plan = decide_reminders(
        snapshot(
            [customer(1)],
            [invoice(1, 8)],
            last_email={1: TODAY - timedelta(days=9)},
            settings=settings,
        ),
        TODAY,
    )
    assert _skips(plan) == [(1, "min-interval", (1,))]
    assert SkipReason.MIN_INTERVAL in {s.reason for s in plan.skipped}
