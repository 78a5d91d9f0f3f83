"""Collections in the demo ledger, so the worklist shows every kind of next action.

A reminder history, promises kept and broken, calls, a dispute, a pause, an exclusion and tasks.
Everything goes through the services, as events among the demo's payments: reminder passes run
weekly over the last two months and a few days ago and their letters are marked sent, so the
minimum interval and the steps already taken shape what is due today; today's pass is left for
the user to run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from app.models.collections import FollowUpKind, OutboxItem, OutboxState
from app.models.money import Money
from app.services.audit import record_activity
from app.services.collection_actions import (
    log_call,
    open_dispute,
    pause_reminders,
    set_reminder_exclusion,
)
from app.services.demo_profiles import CHRONIC, KEY_ACCOUNT, LATE, SLOW
from app.services.follow_ups import complete_follow_up, create_follow_up, list_follow_ups
from app.services.mail.outbox_sender import INTERRUPTED
from app.services.promises import record_promise
from app.services.reminders.outbox import list_outbox, record_sent
from app.services.reminders.run import run_reminders

if TYPE_CHECKING:  # the demo's builder imports this module to run its steps
    from app.services.demo import DemoBuild, DemoCustomer, PlannedInvoice

HISTORY_WEEKS = 9
#: The last pass ran a few days ago, so some steps have fallen due since: today's pass has work.
LAST_PASS_DAYS_AGO = 3
#: Demo fates that leave nothing to collect (the demo does not zero their open amount).
_NOT_RECEIVABLE = ("draft", "void", "credited")
#: Late in the day, after the day's payments and credit notes.
_RANK = 90


def plan_collections(demo: DemoBuild) -> None:
    """Schedule the reminder passes and the promises among the demo's events."""
    days = {demo.today - timedelta(days=LAST_PASS_DAYS_AGO)}
    monday = demo.today - timedelta(days=demo.today.weekday() or 7)
    days.update(monday - timedelta(weeks=week) for week in range(HISTORY_WEEKS))
    for day in sorted(days):
        demo.at(day, _RANK, _reminder_pass(demo, day))
    _plan_broken_promise(demo)
    _plan_kept_promise(demo)
    _plan_open_promise(demo)


def add_collection_actions(demo: DemoBuild) -> None:
    """What the owners did about customers lately: a dispute, a pause, an exclusion, tasks."""
    today = demo.today
    disputed = _with_overdue(demo, today, KEY_ACCOUNT, SLOW) or _with_overdue(
        demo, today, None, SLOW
    )
    if disputed is not None:
        customer, invoice = disputed
        for overdue in _overdue(demo, customer, today):
            open_dispute(
                demo.uow,
                _id(overdue),
                "Two of the twelve printed banners arrived damaged; the customer will not pay "
                "until they are credited.",
                "a credit note",
                demo.users[customer.owner],
                on=today - timedelta(days=6),
            )
        _as(demo, customer, lambda: create_follow_up(
            demo.uow,
            f"Agree the credit for the damaged banners on {invoice.number}",
            today + timedelta(days=2),
            customer_id=customer.id,
            invoice_id=_id(invoice),
            assignee_id=demo.users[customer.owner],
        ))  # fmt: skip
    taken = {disputed[0].id} if disputed else set()
    paused = _with_overdue(demo, today, None, SLOW, exclude=taken) or _with_overdue(
        demo, today, None, LATE, exclude=taken
    )
    if paused is not None:
        customer, _ = paused
        _as(demo, customer, lambda: pause_reminders(
            demo.uow,
            customer.id,
            today + timedelta(days=19),
            "CFO on holiday; the invoices wait for her approval",
            today=today,
        ))  # fmt: skip
    excluded = next((c for c in demo.customers if c.spec.name == "Northgate Foods plc"), None)
    if excluded is not None:
        _as(demo, excluded, lambda: set_reminder_exclusion(demo.uow, excluded.id, True))
    hartley = next((c for c in demo.customers if c.spec.name == "Hartley & Finch Ltd"), None)
    if hartley is not None:
        _as(demo, hartley, lambda: create_follow_up(
            demo.uow,
            "Re-send the October invoices with Hartley & Finch's PO numbers",
            today,
            customer_id=hartley.id,
            assignee_id=demo.users[hartley.owner],
        ))  # fmt: skip
    chronic = next(c for c in demo.customers if c.spec.behaviour == CHRONIC)
    _as(demo, chronic, lambda: create_follow_up(
        demo.uow,
        "Ask the managing director of Lübke about a payment plan",
        today - timedelta(days=2),
        customer_id=chronic.id,
        assignee_id=demo.users[chronic.owner],
    ))  # fmt: skip


def _reminder_pass(demo: DemoBuild, day: date) -> Callable[[], None]:
    def run() -> None:
        _work_tasks(demo, day)
        run_reminders(demo.uow, day)
        sent_at = datetime.combine(day, time(9, 0), tzinfo=UTC)
        queued = list_outbox(demo.uow, states=(OutboxState.QUEUED,))
        if day == demo.today - timedelta(days=LAST_PASS_DAYS_AGO) and len(queued) > 2:
            _mishaps(demo, day, queued[0].id, queued[1].id)
            queued = queued[2:]
        for item in queued:
            record_sent(demo.uow, item.id, sent_at)

    return run


def _mishaps(demo: DemoBuild, day: date, bounced: int, interrupted: int) -> None:
    """The last pass's mail had two mishaps a user must see: a refused address, a cut-off send."""
    with demo.uow:
        session = demo.uow.session
        failed = session.get(OutboxItem, bounced)
        unknown = session.get(OutboxItem, interrupted)
        if failed is None or unknown is None:  # pragma: no cover - ids come from the list
            return
        failed.state, failed.attempts = OutboxState.FAILED, 1
        failed.last_error = f"{failed.to_addrs}: 550 5.1.1 Recipient address rejected: User unknown"
        record_activity(
            session, failed.customer_id, "reminder", f"Email failed ({failed.last_error}): "
            f"{failed.subject}", author="mailer", on=day,
        )  # fmt: skip
        unknown.state, unknown.attempts, unknown.last_error = (
            OutboxState.UNKNOWN,
            1,
            INTERRUPTED,
        )
        record_activity(
            session, unknown.customer_id, "reminder",
            f"Email may have been sent: {unknown.subject}", author="mailer", on=day,
        )  # fmt: skip
        demo.uow.commit()


#: How the owners' calls about reminder tasks went, in turn.
_CALLS = (
    ("reached", "Spoke to accounts payable: the invoices are approved and go out in the next run."),
    ("left_voicemail", "Left a message asking for a payment date."),
    ("no_answer", "No answer; will try again after the next reminder."),
)


def _work_tasks(demo: DemoBuild, day: date) -> None:
    """The owners make the calls the reminder passes asked for, two days after they were due."""
    for number, task in enumerate(list_follow_ups(demo.uow, day)):
        if task.customer_id is None or task.kind not in (
            FollowUpKind.CALL,
            FollowUpKind.ESCALATION,
        ):
            continue
        if task.due_date > day - timedelta(days=2):
            continue
        outcome, notes = _CALLS[number % len(_CALLS)]
        actor = demo.uow.actor
        demo.uow.actor = task.assignee_name or actor
        try:
            log_call(demo.uow, task.customer_id, outcome, notes, on=day)
            complete_follow_up(demo.uow, task.id)
        finally:
            demo.uow.actor = actor


def _plan_broken_promise(demo: DemoBuild) -> None:
    """The chronic late payer promises on the phone to pay by last week, and does not."""
    customer = next(c for c in demo.customers if c.spec.behaviour == CHRONIC)
    taken = demo.today - timedelta(days=12)

    def run() -> None:
        overdue = _overdue(demo, customer, taken)
        if not overdue:
            return
        amount = sum(i.open_minor for i in overdue[:2])
        _as(demo, customer, lambda: log_call(
            demo.uow, customer.id, "reached",
            f"{customer.contact} promised to pay the two oldest invoices by the end of next week.",
            on=taken,
        ))  # fmt: skip
        _as(demo, customer, lambda: record_promise(
            demo.uow, customer.id, Money(amount, customer.currency),
            demo.today - timedelta(days=8), today=taken,
            invoice_ids=[_id(i) for i in overdue[:2]],
            note="Promised on the phone by the managing director's assistant.",
        ))  # fmt: skip

    demo.at(taken, _RANK - 1, run)


def _plan_kept_promise(demo: DemoBuild) -> None:
    """A late payer promises a payment a few days before it arrives (the payment keeps it)."""
    window = (demo.today - timedelta(days=30), demo.today - timedelta(days=3))
    payment = next(
        (
            p
            for p in sorted(demo.payments, key=lambda p: p.day, reverse=True)
            if p.customer.spec.behaviour in (LATE, SLOW)
            and window[0] <= p.day <= window[1]
            and p.customer.spec.behaviour != CHRONIC
        ),
        None,
    )
    if payment is None:
        return
    taken = payment.day - timedelta(days=4)

    def run() -> None:
        expected = sum(i.open_minor * percent // 100 for i, percent in payment.items) * 9 // 10
        if expected <= 0:
            return
        customer = payment.customer
        _as(demo, customer, lambda: log_call(
            demo.uow, customer.id, "reached",
            f"{customer.contact} confirmed the payment is in this week's run.", on=taken,
        ))  # fmt: skip
        _as(demo, customer, lambda: record_promise(
            demo.uow, customer.id, Money(expected, customer.currency), payment.day,
            today=taken, note="Confirmed on the phone.",
        ))  # fmt: skip

    demo.at(taken, _RANK - 1, run)


def _plan_open_promise(demo: DemoBuild) -> None:
    """A late payer promises to pay next week: its reminders wait."""
    taken = demo.today - timedelta(days=2)

    def run() -> None:
        found = _with_overdue(demo, taken, None, LATE)
        if found is None:
            return
        customer, _ = found
        amount = sum(i.open_minor for i in _overdue(demo, customer, taken))
        _as(demo, customer, lambda: log_call(
            demo.uow, customer.id, "reached",
            f"{customer.contact} will pay everything overdue with next Friday's payment run.",
            on=taken,
        ))  # fmt: skip
        _as(demo, customer, lambda: record_promise(
            demo.uow, customer.id, Money(amount, customer.currency),
            demo.today + timedelta(days=5), today=taken,
        ))  # fmt: skip

    demo.at(taken, _RANK - 1, run)


def _overdue(demo: DemoBuild, customer: DemoCustomer, day: date) -> list[PlannedInvoice]:
    """The customer's invoices open and overdue on ``day``, oldest first."""
    return sorted(
        (
            i
            for i in demo.invoices
            if i.customer is customer
            and i.id is not None
            and i.open_minor > 0
            and i.due_date < day
            and i.fate not in _NOT_RECEIVABLE
        ),
        key=lambda i: i.due_date,
    )


def _with_overdue(
    demo: DemoBuild,
    day: date,
    segment: str | None,
    behaviour: str,
    exclude: set[int] | None = None,
) -> tuple[DemoCustomer, PlannedInvoice] | None:
    """The first customer of a segment and behaviour with an overdue invoice on ``day``."""
    for customer in demo.customers:
        if customer.spec.behaviour != behaviour or (segment and customer.spec.segment != segment):
            continue
        if exclude and customer.id in exclude:
            continue
        overdue = _overdue(demo, customer, day)
        if overdue and not list_follow_ups(demo.uow, day, customer_id=customer.id):
            return customer, overdue[0]
    return None


def _as(demo: DemoBuild, customer: DemoCustomer, action: Callable[[], object]) -> None:
    """Run an action as the customer's owner, so the timeline names who did it."""
    actor = demo.uow.actor
    demo.uow.actor = customer.owner
    try:
        action()
    finally:
        demo.uow.actor = actor


def _id(invoice: PlannedInvoice) -> int:
    if invoice.id is None:
        raise ValueError(f"the demo invoice of {invoice.issue_date} was never issued")
    return invoice.id
