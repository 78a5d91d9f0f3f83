"""Property tests: over generated ledgers and a run of days, the engine's guards always hold.

Each example is a few customers with invoices, disputes, pauses, promises and credits; the
engine runs once a day for ten weeks, and what it decides is fed back as steps taken and emails
sent, as the outbox would. Payments arrive on random days and take invoices off the books.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.reminders.engine import decide_reminders
from app.services.reminders.snapshot import InvoiceFacts, LedgerSnapshot, ReminderSettings
from tests.unit.reminders.ledger_facts import (
    PER_INVOICE,
    STANDARD,
    TODAY,
    customer,
    invoice,
    promise,
    snapshot,
)

DAYS = 70


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[LedgerSnapshot, dict[int, int]]:
    """A snapshot on TODAY and, per invoice, the day (offset from TODAY) it gets paid, if ever."""
    customers = []
    invoices: list[InvoiceFacts] = []
    paid_on: dict[int, int] = {}
    promises = {}
    credits = {}
    next_id = 1
    for customer_id in range(1, draw(st.integers(1, 5)) + 1):
        paused = draw(st.one_of(st.none(), st.integers(-5, 40)))
        customers.append(
            customer(
                customer_id,
                policy_id=draw(st.sampled_from([STANDARD.id, PER_INVOICE.id])),
                excluded=draw(st.booleans()) and draw(st.booleans()),
                paused_until=None if paused is None else TODAY + timedelta(days=paused),
                recipients=draw(st.sampled_from([(), (f"ap{customer_id}@example.com",)])),
            )
        )
        for _ in range(draw(st.integers(1, 6))):
            invoices.append(
                invoice(
                    next_id,
                    days_overdue=draw(st.integers(-40, 90)),
                    customer_id=customer_id,
                    open_minor=draw(st.integers(1, 500_00)),
                    dispute=draw(st.sampled_from([None, None, None, "a credit note"])),
                )
            )
            payday = draw(st.one_of(st.none(), st.integers(0, DAYS)))
            if payday is not None:
                paid_on[next_id] = payday
            next_id += 1
        if draw(st.booleans()):
            promises[customer_id] = (
                promise(
                    customer_id, customer_id, TODAY + timedelta(days=draw(st.integers(-5, 30)))
                ),
            )
        if draw(st.booleans()):
            credits[customer_id] = {"EUR": draw(st.integers(0, 300_00))}
    last = {
        c.id: TODAY - timedelta(days=draw(st.integers(0, 10)))
        for c in customers
        if draw(st.booleans())
    }
    config = ReminderSettings(
        min_interval_days=draw(st.integers(0, 10)),
        stale_bank_days=7,
        promise_grace_days=draw(st.integers(0, 5)),
    )
    return (
        snapshot(
            customers,
            invoices,
            promises=promises,
            credits=credits,
            last_email=last,
            settings=config,
        ),
        paid_on,
    )


@settings(max_examples=150, deadline=None)
@given(ledgers())
def test_guards_hold_over_ten_weeks_of_daily_passes(
    case: tuple[LedgerSnapshot, dict[int, int]],
) -> None:
    facts, paid_on = case
    taken: set[tuple[int, int]] = set(facts.steps_taken)
    last_email = dict(facts.last_email)
    interval = facts.settings.min_interval_days
    grace = timedelta(days=facts.settings.promise_grace_days)
    for offset in range(DAYS):
        today = TODAY + timedelta(days=offset)
        open_now = tuple(i for i in facts.invoices if paid_on.get(i.id, DAYS + 1) > offset)
        plan = decide_reminders(
            replace(facts, invoices=open_now, steps_taken=frozenset(taken), last_email=last_email),
            today,
        )
        open_ids = {i.id for i in open_now}
        emailed: set[int] = set()
        for decision in plan.decisions:
            person = facts.customers[decision.customer_id]
            for due in decision.due:
                assert due.invoice.id in open_ids, "a paid invoice was chased"
                assert due.invoice.dispute is None, "a disputed invoice was chased"
                assert (due.invoice.id, due.step.id) not in taken, "a step was taken twice"
                taken.add((due.invoice.id, due.step.id))
            assert not person.excluded
            assert person.paused_until is None or today > person.paused_until
            for kept in facts.promises.get(person.id, ()):
                if today <= kept.promised_date + grace:
                    assert not decision.due, "reminded while a promise to pay was not yet due"
            if decision.sends_email:
                assert decision.recipients, "a letter to nobody"
                if decision.customer_id not in emailed:
                    previous = last_email.get(decision.customer_id)
                    assert previous is None or (today - previous).days >= interval
                emailed.add(decision.customer_id)
        for customer_id in emailed:
            last_email[customer_id] = today


@settings(max_examples=100, deadline=None)
@given(ledgers(), st.integers(0, DAYS))
def test_the_same_day_decided_twice_gives_the_same_plan(
    case: tuple[LedgerSnapshot, dict[int, int]], offset: int
) -> None:
    facts, _ = case
    today: date = TODAY + timedelta(days=offset)
    assert decide_reminders(facts, today) == decide_reminders(facts, today)
