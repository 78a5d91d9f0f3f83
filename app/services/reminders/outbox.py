"""The outbox as people see it: what waits, what went, what failed; cancel, or queue one now."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.activity import Activity
from app.models.collections import OutboxItem, OutboxState, Tone
from app.models.customer import Customer
from app.models.invoice import Invoice
from app.services.audit import event_time, record_audit
from app.services.reminders.engine import Decision, DueStep
from app.services.reminders.run import letter_context, render_letter
from app.services.reminders.snapshot import (
    InvoiceFacts,
    PolicyFacts,
    StepFacts,
    read_snapshot,
    reminder_settings,
)
from app.services.reminders.templates import load_templates
from app.services.settings import load_settings
from app.services.uow import UnitOfWork

#: States a person may cancel: not sent, or perhaps sent and the person decides it is not to go.
CANCELLABLE = (OutboxState.QUEUED, OutboxState.FAILED, OutboxState.UNKNOWN)


class OutboxError(ValueError):
    """An outbox action that cannot be done; the message says why."""


@dataclass(frozen=True)
class OutboxRow:
    """One outgoing email in the outbox list."""

    id: int
    customer_id: int
    customer_name: str
    kind: str
    step: str
    invoices: tuple[str, ...]
    to: str
    subject: str
    state: str
    send_after: date
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str
    #: When a queued email that the server put off is tried again (``None``: when due).
    retry_at: datetime | None = None


@dataclass(frozen=True)
class OutboxEmail:
    """An outbox item with its rendered bodies, for the preview."""

    row: OutboxRow
    body_text: str
    body_html: str
    attach_invoices: bool
    attach_statement: bool


def list_outbox(
    uow: UnitOfWork, states: tuple[str, ...] = (), customer_id: int | None = None
) -> list[OutboxRow]:
    """Outbox items, newest first; only some states or one customer when asked."""
    with uow:
        stmt = select(OutboxItem, Customer.name).join(
            Customer, Customer.id == OutboxItem.customer_id
        )
        if states:
            stmt = stmt.where(OutboxItem.state.in_(states))
        if customer_id is not None:
            stmt = stmt.where(OutboxItem.customer_id == customer_id)
        rows = uow.session.execute(stmt.order_by(OutboxItem.id.desc())).all()
        numbers = _numbers(uow.session, [item for item, _ in rows])
        return [_row(item, name, numbers) for item, name in rows]


def get_outbox_email(uow: UnitOfWork, item_id: int) -> OutboxEmail:
    """One outbox item with its bodies.

    Raises:
        OutboxError: there is no such item.
    """
    with uow:
        found = uow.session.execute(
            select(OutboxItem, Customer.name)
            .join(Customer, Customer.id == OutboxItem.customer_id)
            .where(OutboxItem.id == item_id)
        ).first()
        if found is None:
            raise OutboxError(f"outbox item {item_id} does not exist")
        item, name = found
        row = _row(item, name, _numbers(uow.session, [item]))
        return OutboxEmail(
            row, item.body_text, item.body_html, item.attach_invoices, item.attach_statement
        )


def cancel_outbox_item(uow: UnitOfWork, item_id: int) -> None:
    """Cancel an email that was not sent; its dunning step stays taken, so it is not redecided.

    One that may have been sent (``unknown``) can be cancelled too: the person decides it is not
    to be sent (again), and the timeline says it may have gone out before.

    Raises:
        OutboxError: no such item, or it was sent, is being sent or is cancelled already.
    """
    with uow:
        item = uow.session.get(OutboxItem, item_id)
        if item is None:
            raise OutboxError(f"outbox item {item_id} does not exist")
        if item.state not in CANCELLABLE:
            raise OutboxError(
                f"outbox item {item_id} is {item.state}; only queued or failed emails can be "
                "cancelled, and emails that may have been sent"
            )
        before = item.state
        item.state = OutboxState.CANCELLED
        record_audit(
            uow.session,
            uow.actor,
            "cancel",
            "outbox",
            item_id,
            {"state": before},
            {"state": "cancelled"},
        )
        uow.session.add(
            Activity(
                customer_id=item.customer_id,
                kind="reminder",
                summary=(
                    f"Email cancelled, not to be sent again (it may have gone out before): "
                    f"{item.subject}"
                    if before == OutboxState.UNKNOWN
                    else f"Email cancelled before sending: {item.subject}"
                ),
                author=uow.actor,
            )
        )
        uow.commit()


#: States a person may send again: it failed, or it may have been sent and they checked.
RETRYABLE = (OutboxState.FAILED, OutboxState.UNKNOWN)


def retry_outbox_item(uow: UnitOfWork, item_id: int) -> None:
    """Queue a failed email again, or one that may have been sent after a person checked it.

    A person's retry starts afresh: the tries so far are forgotten, so the email gets the whole
    round of retries again instead of giving up at its first temporary refusal.

    Raises:
        OutboxError: no such item, or it is not failed or unknown.
    """
    with uow:
        item = uow.session.get(OutboxItem, item_id)
        if item is None:
            raise OutboxError(f"outbox item {item_id} does not exist")
        if item.state not in RETRYABLE:
            raise OutboxError(
                f"outbox item {item_id} is {item.state}; only failed emails and emails that may "
                "have been sent can be sent again"
            )
        before = item.state
        item.state = OutboxState.QUEUED
        item.retry_at = None
        item.attempts = 0
        item.last_error = ""
        record_audit(
            uow.session,
            uow.actor,
            "retry",
            "outbox",
            item_id,
            {"state": before},
            {"state": "queued"},
        )
        uow.session.add(
            Activity(
                customer_id=item.customer_id,
                kind="reminder",
                summary=f"Email to be sent again ({before} before): {item.subject}",
                author=uow.actor,
            )
        )
        uow.commit()


def record_sent(uow: UnitOfWork, item_id: int, sent_at: datetime, message_id: str = "") -> None:
    """Mark an email as sent at ``sent_at`` and note it on the customer's timeline.

    A person does this for an email that may have been sent (``unknown``) once they checked it
    arrived; the demo does it for its history.

    Raises:
        OutboxError: no such item, or it is not queued, sending or unknown.
    """
    with uow:
        item = uow.session.get(OutboxItem, item_id)
        if item is None:
            raise OutboxError(f"outbox item {item_id} does not exist")
        if item.state not in (OutboxState.QUEUED, OutboxState.SENDING, OutboxState.UNKNOWN):
            raise OutboxError(f"outbox item {item_id} is {item.state}, not waiting to be sent")
        if item.state != OutboxState.UNKNOWN:
            item.attempts += 1
        item.state = OutboxState.SENT
        item.sent_at = sent_at
        item.message_id = message_id or item.message_id
        uow.session.add(
            Activity(
                customer_id=item.customer_id,
                occurred_at=sent_at,
                kind="reminder",
                summary=f"Email sent to {item.to_addrs}: {item.subject}",
                author=uow.actor,
            )
        )
        uow.commit()


def queue_reminder_now(uow: UnitOfWork, customer_id: int, today: date) -> int:
    """Queue a reminder for a customer's overdue invoices at once, outside the policy's days.

    A person decides this, so pauses and the minimum interval do not hold it back; disputed
    invoices still stay out of it. The letter takes the customer's next step that is due or
    past, the policy's first overdue reminder otherwise.

    Returns:
        The outbox item's id.

    Raises:
        OutboxError: the customer has nothing overdue that may be chased, or no address.
    """
    values = load_settings(uow)
    with uow:
        session = uow.session
        snapshot = read_snapshot(session, reminder_settings(values))
        customer = snapshot.customers.get(customer_id)
        if customer is None:
            raise OutboxError(f"customer {customer_id} does not exist")
        overdue = [
            i
            for i in snapshot.invoices
            if i.customer_id == customer_id and i.due_date < today and i.dispute is None
        ]
        if not overdue:
            raise OutboxError(f"{customer.name} has no overdue invoice that is not disputed")
        if not customer.recipients:
            raise OutboxError(f"{customer.name} has no contact with an email address")
        step = _manual_step(snapshot.policies.get(customer.policy_id or -1), overdue, today)
        decision = Decision(
            customer_id,
            customer.policy_id or 0,
            step,
            tuple(DueStep(i, step) for i in overdue),
            customer.recipients,
        )
        letter = render_letter(
            load_templates(session),
            step.template,
            letter_context(snapshot, decision, today, values),
        )
        ids = [i.id for i in overdue]
        stamp = event_time(None).strftime("%Y%m%dT%H%M%S%f")
        item = OutboxItem(
            key=f"manual:{customer_id}:{stamp}",
            kind="reminder",
            customer_id=customer_id,
            step_name=step.name,
            invoice_ids=json.dumps(ids),
            to_addrs=", ".join(customer.recipients),
            subject=letter.subject,
            body_text=letter.body_text,
            body_html=letter.body_html,
            attach_invoices=True,
            send_after=today,
        )
        session.add(item)
        session.flush()
        session.add(
            Activity(
                customer_id=customer_id,
                kind="reminder",
                summary=f"Reminder queued by hand for {', '.join(i.number for i in overdue)}",
                author=uow.actor,
            )
        )
        record_audit(session, uow.actor, "queue", "outbox", item.id, after={"invoices": ids})
        uow.commit()
        return item.id


def _manual_step(policy: PolicyFacts | None, overdue: list[InvoiceFacts], today: date) -> StepFacts:
    """The firmest step whose day has come for the oldest invoice; a plain reminder otherwise."""
    if policy is not None:
        oldest = min(i.due_date for i in overdue)
        days = (today - oldest).days
        reached = [s for s in policy.steps if 0 <= s.offset_days <= days and s.action != "task"]
        if reached:
            return reached[-1]
    return StepFacts(0, "Reminder", 0, "reminder", Tone.NEUTRAL, "email", True, False)


def _numbers(session: Session, items: list[OutboxItem]) -> dict[int, str]:
    ids = {i for item in items for i in json.loads(item.invoice_ids or "[]")}
    if not ids:
        return {}
    rows = session.execute(select(Invoice.id, Invoice.number).where(Invoice.id.in_(ids)))
    return {invoice_id: number or "" for invoice_id, number in rows}


def _row(item: OutboxItem, customer_name: str, numbers: dict[int, str]) -> OutboxRow:
    return OutboxRow(
        id=item.id,
        customer_id=item.customer_id,
        customer_name=customer_name,
        kind=item.kind,
        step=item.step_name,
        invoices=tuple(numbers.get(i, "") for i in json.loads(item.invoice_ids or "[]")),
        to=item.to_addrs,
        subject=item.subject,
        state=item.state,
        send_after=item.send_after,
        created_at=item.created_at,
        sent_at=item.sent_at,
        attempts=item.attempts,
        last_error=item.last_error,
        retry_at=item.retry_at,
    )
