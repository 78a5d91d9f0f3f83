"""The reminder engine: which dunning steps are due today, for whom, and why others are held back.

A pure function of a :class:`LedgerSnapshot` and a date; nothing here reads or writes the ledger.
For each open invoice the step due is the latest one whose day has come and that was not taken
yet (an invoice found 40 days overdue gets the +30 letter, not the friendly note); a step before
the due date is only due while the invoice is not yet overdue. Then the guards, in this order:
the customer is excluded or paused; the invoice is disputed or covered by a promise to pay that
is not yet due (plus grace); bank data is too old to know the invoice is still unpaid; credits
on the account cover the balance; the customer had an email too recently; nobody to write to.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from datetime import date, timedelta

from app.models.collections import StepAction
from app.services.reminders.snapshot import (
    CustomerFacts,
    InvoiceFacts,
    LedgerSnapshot,
    PolicyFacts,
    StepFacts,
)


class SkipReason(enum.StrEnum):
    """Why a due step was held back (formats.md, ``reminders run --json``)."""

    DISPUTED = "disputed"
    PAUSED = "paused"
    PROMISE = "promise"
    MIN_INTERVAL = "min-interval"
    STALE_BANK_DATA = "stale-bank-data"
    EXCLUDED = "excluded"
    NO_CONTACT = "no-contact"


@dataclass(frozen=True)
class DueStep:
    """One invoice and the step due for it today."""

    invoice: InvoiceFacts
    step: StepFacts


@dataclass(frozen=True)
class Decision:
    """A letter (and/or task) to make: the customer, its leading step and the invoices it covers.

    In an account-level letter the invoices may be at different steps; the letter takes the
    firmest of them and every invoice records its own step as taken.
    """

    customer_id: int
    policy_id: int
    step: StepFacts
    due: tuple[DueStep, ...]
    recipients: tuple[str, ...]

    @property
    def invoice_ids(self) -> tuple[int, ...]:
        """The invoices in the letter, oldest due first."""
        return tuple(d.invoice.id for d in self.due)

    @property
    def key(self) -> str:
        """Unique per customer, step and invoice set: the outbox refuses a second copy."""
        ids = ",".join(str(i) for i in sorted(self.invoice_ids))
        return f"reminder:{self.customer_id}:{self.step.id}:{ids}"

    @property
    def sends_email(self) -> bool:
        """Email and escalation steps write; task steps only make work for a person."""
        return self.step.action != StepAction.TASK

    @property
    def creates_task(self) -> bool:
        """Task and escalation steps create a follow-up for the customer's owner."""
        return self.step.action in (StepAction.TASK, StepAction.ESCALATION)


@dataclass(frozen=True)
class Skip:
    """Due steps held back, with the reason."""

    customer_id: int
    invoice_ids: tuple[int, ...]
    reason: SkipReason
    detail: str = ""


@dataclass(frozen=True)
class ReminderPlan:
    """Everything one pass decided."""

    today: date
    decisions: tuple[Decision, ...]
    skipped: tuple[Skip, ...]
    warnings: tuple[str, ...]


def due_step(
    policy: PolicyFacts,
    invoice: InvoiceFacts,
    today: date,
    taken: frozenset[tuple[int, int]] | set[tuple[int, int]],
) -> StepFacts | None:
    """The step to take for ``invoice`` today, if any.

    The latest step whose day has come and that comes after every step already taken; a step
    before the due date only while the invoice is not overdue.
    """
    taken_ids = {step.id for step in policy.steps if (invoice.id, step.id) in taken}
    return _step_due(policy, (today - invoice.due_date).days, taken_ids)


def _step_due(
    policy: PolicyFacts, days_overdue: int, taken_ids: Set[int] | None
) -> StepFacts | None:
    """:func:`due_step` for an invoice ``days_overdue`` days past due and its steps taken."""
    after = (
        max((s.offset_days for s in policy.steps if s.id in taken_ids), default=None)
        if taken_ids
        else None
    )
    chosen: StepFacts | None = None
    for step in policy.steps:
        if step.offset_days > days_overdue:
            break
        if after is not None and step.offset_days <= after:
            continue
        if step.offset_days < 0 and days_overdue > 0:
            continue
        chosen = step
    return chosen


def next_step(
    policy: PolicyFacts,
    invoice: InvoiceFacts,
    today: date,
    taken: frozenset[tuple[int, int]] | set[tuple[int, int]],
) -> tuple[StepFacts, date] | None:
    """The next step still to come for ``invoice`` after today, and its day."""
    after = max(
        (s.offset_days for s in policy.steps if (invoice.id, s.id) in taken),
        default=None,
    )
    for step in policy.steps:
        on = invoice.due_date + timedelta(days=step.offset_days)
        if on <= today or (after is not None and step.offset_days <= after):
            continue
        return step, on
    return None


def decide_reminders(snapshot: LedgerSnapshot, today: date) -> ReminderPlan:
    """Decide one pass of the reminder engine.

    Args:
        snapshot: the ledger as read by :func:`read_snapshot`.
        today: the day of the pass.

    Returns:
        The letters and tasks to make, the due steps held back and why, and warnings.
    """
    warnings: list[str] = []
    stale = _bank_data_stale(snapshot, today)
    if stale:
        warnings.append(stale)
    decisions: list[Decision] = []
    skipped: list[Skip] = []
    taken = snapshot.taken_by_invoice
    for customer_id, invoices in snapshot.invoices_by_customer.items():
        customer = snapshot.customers[customer_id]
        policy = snapshot.policies.get(customer.policy_id) if customer.policy_id else None
        if policy is None or not policy.steps:
            continue
        due = [
            DueStep(invoice, step)
            for invoice in invoices
            if (step := _step_due(policy, (today - invoice.due_date).days, taken.get(invoice.id)))
            is not None
        ]
        if not due:
            continue
        made, held = _guard(snapshot, customer, policy, due, invoices, today, bool(stale))
        decisions.extend(made)
        skipped.extend(held)
    return ReminderPlan(today, tuple(decisions), tuple(skipped), tuple(warnings))


def _bank_data_stale(snapshot: LedgerSnapshot, today: date) -> str:
    newest = snapshot.newest_import
    limit = snapshot.settings.stale_bank_days
    if newest is None or (today - newest).days <= limit:
        return ""
    return (
        f"The newest bank statement was imported on {newest.isoformat()}, more than {limit} days "
        "ago: no overdue reminder goes out until a newer statement is imported, so no one is "
        "chased for an invoice they have already paid."
    )


def _guard(
    snapshot: LedgerSnapshot,
    customer: CustomerFacts,
    policy: PolicyFacts,
    due: list[DueStep],
    invoices: Sequence[InvoiceFacts],
    today: date,
    stale: bool,
) -> tuple[list[Decision], list[Skip]]:
    held: dict[SkipReason, tuple[list[int], str]] = {}

    def hold(items: Iterable[DueStep], reason: SkipReason, detail: str = "") -> None:
        ids, _ = held.setdefault(reason, ([], detail))
        ids.extend(d.invoice.id for d in items)

    if customer.excluded:
        hold(due, SkipReason.EXCLUDED)
        return [], _skips(customer.id, held)
    if customer.paused_until is not None and today <= customer.paused_until:
        hold(due, SkipReason.PAUSED, customer.pause_reason)
        return [], _skips(customer.id, held)
    kept: list[DueStep] = []
    promised = _promised_invoices(snapshot, customer.id, invoices, today)
    for item in due:
        if item.invoice.dispute is not None:
            hold([item], SkipReason.DISPUTED, item.invoice.dispute)
        elif item.invoice.id in promised:
            hold([item], SkipReason.PROMISE, promised[item.invoice.id])
        elif stale and today > item.invoice.due_date:
            hold([item], SkipReason.STALE_BANK_DATA)
        else:
            kept.append(item)
    kept = _not_covered_by_credits(snapshot, customer.id, kept, invoices)
    emails = [d for d in kept if d.step.action != StepAction.TASK]
    tasks = [d for d in kept if d.step.action == StepAction.TASK]
    decisions = [
        Decision(customer.id, policy.id, _firmest(group), tuple(group), ())
        for group in _letters(policy, tasks)
    ]
    if emails:
        last = snapshot.last_email.get(customer.id)
        interval = snapshot.settings.min_interval_days
        if last is not None and (today - last).days < interval:
            hold(emails, SkipReason.MIN_INTERVAL, f"last email on {last.isoformat()}")
        elif not customer.recipients:
            hold(emails, SkipReason.NO_CONTACT)
        else:
            decisions.extend(
                Decision(customer.id, policy.id, _firmest(group), tuple(group), customer.recipients)
                for group in _letters(policy, emails)
            )
    return decisions, _skips(customer.id, held)


def _skips(customer_id: int, held: dict[SkipReason, tuple[list[int], str]]) -> list[Skip]:
    """One skip per reason, its invoices in the order they fall due."""
    return [Skip(customer_id, tuple(ids), reason, detail) for reason, (ids, detail) in held.items()]


def _letters(policy: PolicyFacts, due: list[DueStep]) -> list[list[DueStep]]:
    """One letter per customer, oldest invoice first, or one per invoice when the policy says."""
    if not due:
        return []
    if policy.per_invoice:
        return [[d] for d in due]
    return [sorted(due, key=lambda d: (d.invoice.due_date, d.invoice.id))]


def _firmest(group: list[DueStep]) -> StepFacts:
    """The step a letter takes: the latest of its invoices' steps."""
    return max(group, key=lambda d: d.step.offset_days).step


def _promised_invoices(
    snapshot: LedgerSnapshot, customer_id: int, invoices: Sequence[InvoiceFacts], today: date
) -> dict[int, str]:
    """Invoices under an open promise to pay that is not yet due (plus grace), with its words."""
    grace = timedelta(days=snapshot.settings.promise_grace_days)
    result: dict[int, str] = {}
    for promise in snapshot.promises.get(customer_id, ()):
        if promise.state != "open" or today > promise.promised_date + grace:
            continue
        words = f"promised to pay by {promise.promised_date.isoformat()}"
        for invoice in invoices:
            if invoice.id in promise.invoice_ids or (
                not promise.invoice_ids and invoice.currency == promise.currency
            ):
                result.setdefault(invoice.id, words)
    return result


def _not_covered_by_credits(
    snapshot: LedgerSnapshot,
    customer_id: int,
    due: list[DueStep],
    invoices: Sequence[InvoiceFacts],
) -> list[DueStep]:
    """Drop the due steps of a currency whose open balance the account's credits cover."""
    credits = snapshot.credits.get(customer_id, {})
    if not credits:
        return due
    open_by_currency: dict[str, int] = defaultdict(int)
    for invoice in invoices:
        open_by_currency[invoice.currency] += invoice.open_minor
    return [
        d for d in due if open_by_currency[d.invoice.currency] > credits.get(d.invoice.currency, 0)
    ]
