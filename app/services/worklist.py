"""The collections worklist: who to chase today, in what order, and what to do, in words.

Built from the same snapshot as the reminder engine, so "2nd reminder due today" on the worklist
is exactly what the next reminder pass will send. The priority adds up what a collector weighs:
how much is overdue and for how long, a broken promise, how late the customer usually pays, and
the segment (key accounts first); customers with nothing to do today (paused, all disputed,
waiting on a promise) sink.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from app.models.collections import FollowUpKind, PromiseState
from app.models.money import Money
from app.services.aging import BUCKETS, bucket_of
from app.services.reminders.engine import (
    Decision,
    ReminderPlan,
    Skip,
    SkipReason,
    decide_reminders,
    next_step,
)
from app.services.reminders.snapshot import (
    CustomerFacts,
    FollowUpFacts,
    InvoiceFacts,
    LedgerSnapshot,
    PromiseFacts,
    load_snapshot,
)
from app.services.uow import UnitOfWork

#: Customers with an invoice falling due within this many days are on the list too.
SOON_DUE_DAYS = 7
#: Points for a letter due today by its tone: the later the step, the more it matters today.
_TONE_WEIGHTS = {"firm": 5, "final": 10}
#: A promise broken within this many days still leads the customer's next action.
BROKEN_PROMISE_DAYS = 14


@dataclass(frozen=True)
class WorklistRow:
    """One customer on the worklist."""

    customer_id: int
    customer_code: str
    customer_name: str
    segment: str
    owner_id: int | None
    owner_name: str
    overdue: tuple[Money, ...]
    open: tuple[Money, ...]
    #: The oldest bucket with an open amount; ``current`` when nothing is overdue yet.
    bucket: str
    oldest_days_overdue: int
    invoices_overdue: int
    priority: int
    next_action: str
    #: One word for the kind of action: reminder, call, task, escalate, dispute, paused,
    #: promise, wait, fix (no contact, stale bank data) or none.
    action_kind: str
    #: Something to do today (a step due, a task due, a broken promise to follow up).
    due_today: bool
    why: str


def load_worklist(uow: UnitOfWork, today: date) -> list[WorklistRow]:
    """The worklist for ``today``, highest priority first."""
    snapshot = load_snapshot(uow)
    return build_worklist(snapshot, decide_reminders(snapshot, today), today)


def filter_worklist(
    rows: Iterable[WorklistRow],
    *,
    segment: str = "",
    owner_id: int | None = None,
    bucket: str = "",
    today_only: bool = False,
) -> list[WorklistRow]:
    """The rows of one segment, owner or bucket; ``today_only`` keeps what is due today."""
    return [
        row
        for row in rows
        if (not segment or row.segment == segment)
        and (owner_id is None or row.owner_id == owner_id)
        and (not bucket or row.bucket == bucket)
        and (not today_only or row.due_today)
    ]


def build_worklist(snapshot: LedgerSnapshot, plan: ReminderPlan, today: date) -> list[WorklistRow]:
    """Rank every customer with an overdue or soon-due balance; pure."""
    decisions: dict[int, list[Decision]] = defaultdict(list)
    for decision in plan.decisions:
        decisions[decision.customer_id].append(decision)
    skips: dict[int, list[Skip]] = defaultdict(list)
    for skip in plan.skipped:
        skips[skip.customer_id].append(skip)
    soon = today + timedelta(days=SOON_DUE_DAYS)
    rows = [
        _row(
            snapshot,
            snapshot.customers[customer_id],
            open_invoices,
            decisions.get(customer_id, []),
            skips.get(customer_id, []),
            today,
        )
        for customer_id, open_invoices in snapshot.invoices_by_customer.items()
        if min(i.due_date for i in open_invoices) <= soon
    ]
    rows.sort(key=lambda r: (-r.priority, r.customer_name.casefold(), r.customer_id))
    return rows


@dataclass(frozen=True)
class _Action:
    text: str
    kind: str
    due_today: bool
    weight: int = 0


def _row(
    snapshot: LedgerSnapshot,
    customer: CustomerFacts,
    invoices: Sequence[InvoiceFacts],
    decisions: Sequence[Decision],
    skips: Sequence[Skip],
    today: date,
) -> WorklistRow:
    open_minor: dict[str, int] = defaultdict(int)
    overdue_minor: dict[str, int] = defaultdict(int)
    overdue_count = 0
    oldest_due = today
    for invoice in invoices:
        open_minor[invoice.currency] += invoice.open_minor
        if invoice.due_date < today:
            overdue_minor[invoice.currency] += invoice.open_minor
            overdue_count += 1
            oldest_due = min(oldest_due, invoice.due_date)
    oldest = (today - oldest_due).days
    action = _next_action(snapshot, customer, invoices, decisions, skips, today)
    overdue = _money(overdue_minor)
    return WorklistRow(
        customer_id=customer.id,
        customer_code=customer.code,
        customer_name=customer.name,
        segment=customer.segment,
        owner_id=customer.owner_id,
        owner_name=customer.owner_name,
        overdue=overdue,
        open=_money(open_minor),
        bucket=bucket_of(oldest) if overdue_count else BUCKETS[0],
        oldest_days_overdue=oldest,
        invoices_overdue=overdue_count,
        priority=_priority(snapshot, customer, overdue, oldest, action),
        next_action=action.text,
        action_kind=action.kind,
        due_today=action.due_today,
        why=_why(snapshot, customer, overdue, oldest, overdue_count),
    )


def _money(totals: Mapping[str, int]) -> tuple[Money, ...]:
    """Amounts per currency in minor units as Money, in currency order."""
    return tuple(Money(minor, currency) for currency, minor in sorted(totals.items()))


def _priority(
    snapshot: LedgerSnapshot,
    customer: CustomerFacts,
    overdue: Sequence[Money],
    oldest: int,
    action: _Action,
) -> int:
    """Points a collector would agree with; amounts in different currencies add as units."""
    units = sum(m.minor for m in overdue) / 100
    score = 10 * math.log10(1 + units) + min(oldest, 120) / 2
    late = snapshot.days_late.get(customer.id, 0)
    if late > 0:
        score += min(late, 60) / 4
    score += customer.segment_weight + action.weight
    if action.due_today:
        score += 10
    return round(score)


def _why(
    snapshot: LedgerSnapshot,
    customer: CustomerFacts,
    overdue: Sequence[Money],
    oldest: int,
    count: int,
) -> str:
    parts = []
    if count:
        amounts = ", ".join(f"{m.amount:,.2f} {m.currency}" for m in overdue)
        plural = "invoice" if count == 1 else "invoices"
        parts.append(f"{amounts} overdue on {count} {plural}, oldest {oldest} days")
    late = snapshot.days_late.get(customer.id)
    if late is not None and late > 3:
        parts.append(f"usually pays {late} days late")
    if customer.segment:
        parts.append(customer.segment)
    return "; ".join(parts)


def _next_action(
    snapshot: LedgerSnapshot,
    customer: CustomerFacts,
    invoices: Sequence[InvoiceFacts],
    decisions: Sequence[Decision],
    skips: Sequence[Skip],
    today: date,
) -> _Action:
    """The one thing to do next for this customer, most pressing first."""
    promises = snapshot.promises.get(customer.id, ())
    grace = snapshot.settings.promise_grace_days
    broken = _broken_promise(promises, today, grace)
    if broken is not None:
        broken_on = _when(broken.resolved_on or broken.promised_date, today)
        return _Action(f"promise to pay broken {broken_on}: call", "call", True, 25)
    task = _task_due(snapshot.follow_ups.get(customer.id, ()), today)
    if task is not None:
        kind = "escalate" if task.kind == FollowUpKind.ESCALATION else "task"
        return _Action(f"{task.title} (due {_when(task.due_date, today)})", kind, True, 15)
    emails = [d for d in decisions if d.sends_email]
    if emails:
        step = emails[0].step
        return _Action(f"{step.name} due today", "reminder", True, _TONE_WEIGHTS.get(step.tone, 0))
    if decisions:
        return _Action(f"{decisions[0].step.name} due today", "call", True)
    return _quiet_action(snapshot, customer, invoices, skips, today)


def _quiet_action(
    snapshot: LedgerSnapshot,
    customer: CustomerFacts,
    invoices: Sequence[InvoiceFacts],
    skips: Sequence[Skip],
    today: date,
) -> _Action:
    """When nothing is due today: why not (a pause, a promise, a dispute), or what comes next."""
    if customer.paused_until is not None and today <= customer.paused_until:
        why = f": {customer.pause_reason}" if customer.pause_reason else ""
        return _Action(f"paused until {_day(customer.paused_until)}{why}", "paused", False, -30)
    if customer.excluded:
        return _Action("excluded from reminders: follow up by hand", "task", False)
    waiting = _waiting_promise(
        snapshot.promises.get(customer.id, ()), today, snapshot.settings.promise_grace_days
    )
    if waiting is not None:
        amount = Money(waiting.amount_minor, waiting.currency)
        return _Action(
            f"promise to pay {amount.amount:,.2f} {amount.currency} by "
            f"{_day(waiting.promised_date)}: wait",
            "promise",
            False,
            -20,
        )
    held = _held_action(skips)
    if held is not None:
        return held
    overdue = [i for i in invoices if i.due_date < today]
    disputed = [i for i in overdue if i.dispute is not None]
    if disputed and len(disputed) == len(overdue):
        waiting_on = disputed[0].dispute or "a resolution"
        return _Action(f"disputed: waiting on {waiting_on}", "dispute", False, -30)
    return _upcoming(snapshot, customer, invoices, today)


def _broken_promise(
    promises: Iterable[PromiseFacts], today: date, grace: int
) -> PromiseFacts | None:
    """A promise broken lately, or past its day and grace while the pass has not yet said so."""
    for promise in promises:
        if promise.state == PromiseState.BROKEN and (
            promise.resolved_on is None or (today - promise.resolved_on).days <= BROKEN_PROMISE_DAYS
        ):
            return promise
        if promise.state == PromiseState.OPEN and today > promise.promised_date + timedelta(
            days=grace
        ):
            return promise
    return None


def _waiting_promise(
    promises: Iterable[PromiseFacts], today: date, grace: int
) -> PromiseFacts | None:
    return next(
        (
            p
            for p in promises
            if p.state == PromiseState.OPEN and today <= p.promised_date + timedelta(days=grace)
        ),
        None,
    )


def _task_due(tasks: Iterable[FollowUpFacts], today: date) -> FollowUpFacts | None:
    return next((t for t in tasks if t.due_date <= today), None)


def _held_action(skips: Sequence[Skip]) -> _Action | None:
    """Words for a due step held back by a guard that needs someone to fix something."""
    reasons = {skip.reason: skip.detail for skip in skips}
    if SkipReason.NO_CONTACT in reasons:
        return _Action("no email address for reminders: add a contact", "fix", True)
    if SkipReason.STALE_BANK_DATA in reasons:
        return _Action("reminder held: import a recent bank statement first", "fix", True)
    if SkipReason.MIN_INTERVAL in reasons:
        return _Action(
            f"next reminder held: {reasons[SkipReason.MIN_INTERVAL]}", "wait", False, -10
        )
    return None


def _upcoming(
    snapshot: LedgerSnapshot, customer: CustomerFacts, invoices: Sequence[InvoiceFacts], today: date
) -> _Action:
    policy = snapshot.policies.get(customer.policy_id) if customer.policy_id else None
    chasable = [i for i in invoices if i.dispute is None]
    if policy is None or customer.excluded:
        return _Action("no reminder policy: follow up by hand", "task", False)
    upcoming = [
        found
        for invoice in chasable
        if (found := next_step(policy, invoice, today, snapshot.steps_taken)) is not None
    ]
    if upcoming:
        step, on = min(upcoming, key=lambda found: found[1])
        days = (on - today).days
        when = "tomorrow" if days == 1 else f"in {days} days"
        return _Action(f"{step.name} due {when}", "wait", False)
    if any(i.due_date < today for i in chasable):
        return _Action("every reminder sent: call or escalate", "escalate", True, 10)
    return _Action("nothing to do yet", "none", False)


def _when(day: date, today: date) -> str:
    days = (today - day).days
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days == -1:
        return "tomorrow"
    if 1 < days <= 6:
        return f"{days} days ago"
    return f"on {_day(day)}"


def _day(day: date) -> str:
    return f"{day.day} {day.strftime('%b')}"
