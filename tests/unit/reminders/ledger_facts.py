"""Small hand-made snapshots for the reminder engine and the worklist, written like fixtures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta

from app.services.reminders.snapshot import (
    CustomerFacts,
    FollowUpFacts,
    InvoiceFacts,
    LedgerSnapshot,
    PolicyFacts,
    PromiseFacts,
    ReminderSettings,
    StepFacts,
)

TODAY = date(2026, 11, 23)

STANDARD = PolicyFacts(
    id=1,
    name="Standard",
    per_invoice=False,
    steps=(
        StepFacts(11, "Friendly note", -3, "friendly", "friendly", "email", True, False),
        StepFacts(12, "1st reminder", 7, "reminder", "neutral", "email", True, False),
        StepFacts(13, "2nd reminder", 30, "firm", "firm", "email", True, True),
        StepFacts(14, "Final notice", 60, "final", "final", "escalation", True, True),
    ),
)
PER_INVOICE = replace(STANDARD, id=2, name="Per invoice", per_invoice=True)


def customer(customer_id: int = 1, **changes: object) -> CustomerFacts:
    """A customer on the Standard policy with one reminder address."""
    base = CustomerFacts(
        id=customer_id,
        code=f"C{customer_id:03}",
        name=f"Customer {customer_id}",
        language="en",
        segment="Standard",
        segment_weight=0,
        owner_id=None,
        owner_name="",
        policy_id=STANDARD.id,
        excluded=False,
        paused_until=None,
        pause_reason="",
        recipients=(f"ap{customer_id}@example.com",),
        contact_name="Alex",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def invoice(
    invoice_id: int,
    days_overdue: int,
    customer_id: int = 1,
    open_minor: int = 100_00,
    **changes: object,
) -> InvoiceFacts:
    """An open invoice ``days_overdue`` days past due on :data:`TODAY` (negative: not yet due)."""
    due = TODAY - timedelta(days=days_overdue)
    base = InvoiceFacts(
        id=invoice_id,
        customer_id=customer_id,
        number=f"INV-{invoice_id:05}",
        currency="EUR",
        issue_date=due - timedelta(days=30),
        due_date=due,
        total_minor=open_minor,
        open_minor=open_minor,
        dispute=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def promise(
    promise_id: int,
    customer_id: int,
    promised: date,
    invoice_ids: frozenset[int] = frozenset(),
    state: str = "open",
) -> PromiseFacts:
    """A promise to pay 100.00 EUR by ``promised``."""
    return PromiseFacts(promise_id, customer_id, 100_00, "EUR", promised, invoice_ids, state, None)


def snapshot(
    customers: list[CustomerFacts],
    invoices: list[InvoiceFacts],
    *,
    steps_taken: set[tuple[int, int]] | None = None,
    last_email: dict[int, date] | None = None,
    promises: Mapping[int, tuple[PromiseFacts, ...]] | None = None,
    follow_ups: dict[int, tuple[FollowUpFacts, ...]] | None = None,
    credits: dict[int, dict[str, int]] | None = None,
    newest_import: date | None = None,
    settings: ReminderSettings | None = None,
) -> LedgerSnapshot:
    """A snapshot with the Standard and Per-invoice policies."""
    return LedgerSnapshot(
        customers={c.id: c for c in customers},
        policies={STANDARD.id: STANDARD, PER_INVOICE.id: PER_INVOICE},
        invoices=tuple(sorted(invoices, key=lambda i: (i.customer_id, i.due_date, i.id))),
        credits=credits or {},
        steps_taken=frozenset(steps_taken or set()),
        last_email=last_email or {},
        promises=promises or {},
        follow_ups=follow_ups or {},
        days_late={},
        newest_import=newest_import,
        settings=settings or ReminderSettings(),
    )
