"""What a collector does from the worklist or a customer: calls, pauses, policies, disputes.

Every action is one transaction, audit-logged and shown on the customer's timeline (kinds
``call``, ``pause``, ``policy`` and ``dispute``). Bad input raises :class:`CollectionError` naming
the field, and then nothing is written. :func:`reminder_choice` and :func:`list_open_disputes`
read what the forms of these actions start from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.collections import Dispute, DisputeState, ReminderPolicy
from app.models.company import User
from app.models.customer import Customer
from app.models.invoice import DocumentState, Invoice, InvoiceKind
from app.services.audit import record_activity, record_audit
from app.services.uow import UnitOfWork

#: How a call went.
CALL_OUTCOMES = ("reached", "left_voicemail", "no_answer", "wrong_number")
_OUTCOME_WORDS = {
    "reached": "reached",
    "left_voicemail": "left a voicemail",
    "no_answer": "no answer",
    "wrong_number": "wrong number",
}


class CollectionError(ValueError):
    """A collections action that cannot be done; the message names the field."""


@dataclass(frozen=True)
class DisputeView:
    """An open dispute as the window lists it.

    Attributes:
        owner: the name of who looks after it, ``""`` for nobody.
    """

    id: int
    invoice_id: int
    invoice_number: str
    reason: str
    waiting_on: str
    opened_on: date
    owner: str


@dataclass(frozen=True)
class ReminderChoice:
    """What a customer chose about automatic reminders.

    Attributes:
        policy_id: its own reminder policy; ``None`` when its segment's applies.
        excluded: it gets no automatic reminders.
        segment: its segment, whose policy applies without its own.
    """

    policy_id: int | None
    excluded: bool
    segment: str


def _customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise CollectionError(f"customer: there is no customer with id {customer_id}")
    return customer


def _required(field: str, text: str) -> str:
    if not text.strip():
        raise CollectionError(f"{field}: required")
    return text.strip()


def log_call(
    uow: UnitOfWork, customer_id: int, outcome: str, notes: str = "", on: date | None = None
) -> None:
    """Note a phone call with a customer on its timeline.

    Args:
        uow: the unit of work.
        customer_id: who was called.
        outcome: one of :data:`CALL_OUTCOMES`.
        notes: what was said.
        on: the day of the call; ``None`` for now.

    Raises:
        CollectionError: unknown customer or outcome.
    """
    if outcome not in CALL_OUTCOMES:
        raise CollectionError(
            f"outcome: expected one of {', '.join(CALL_OUTCOMES)}, got {outcome!r}"
        )
    with uow:
        customer = _customer(uow.session, customer_id)
        summary = f"Call: {_OUTCOME_WORDS[outcome]}" + (
            f". {notes.strip()}" if notes.strip() else ""
        )
        record_activity(uow.session, customer.id, "call", summary, author=uow.actor, on=on)
        record_audit(
            uow.session, uow.actor, "call", "customer", customer.id,
            after={"outcome": outcome, "notes": notes.strip(), "on": on},
        )  # fmt: skip
        uow.commit()


def pause_reminders(
    uow: UnitOfWork, customer_id: int, until: date, reason: str, *, today: date
) -> None:
    """Stop automatic reminders to a customer until a day (they stay paused through it).

    Raises:
        CollectionError: unknown customer, no reason, or ``until`` not after ``today``.
    """
    why = _required("reason", reason)
    if until <= today:
        raise CollectionError(f"until: must be after today, got {until.isoformat()}")
    with uow:
        customer = _customer(uow.session, customer_id)
        before = {
            "until": customer.reminders_paused_until,
            "reason": customer.reminders_pause_reason,
        }
        customer.reminders_paused_until, customer.reminders_pause_reason = until, why
        record_audit(
            uow.session, uow.actor, "pause", "customer", customer.id, before,
            {"until": until, "reason": why},
        )  # fmt: skip
        record_activity(
            uow.session, customer.id, "pause",
            f"Reminders paused until {until.isoformat()}: {why}", author=uow.actor,
        )  # fmt: skip
        uow.commit()


def resume_reminders(uow: UnitOfWork, customer_id: int) -> None:
    """End a pause: automatic reminders go to the customer again.

    Raises:
        CollectionError: unknown customer, or its reminders are not paused.
    """
    with uow:
        customer = _customer(uow.session, customer_id)
        if customer.reminders_paused_until is None:
            raise CollectionError(f"{customer.name}: reminders are not paused")
        before = {
            "until": customer.reminders_paused_until,
            "reason": customer.reminders_pause_reason,
        }
        customer.reminders_paused_until, customer.reminders_pause_reason = None, ""
        record_audit(uow.session, uow.actor, "resume", "customer", customer.id, before)
        record_activity(uow.session, customer.id, "pause", "Reminders resumed", author=uow.actor)
        uow.commit()


def set_reminder_exclusion(uow: UnitOfWork, customer_id: int, excluded: bool) -> None:
    """Take a customer out of automatic reminders for good, or back in; nothing if unchanged.

    Raises:
        CollectionError: unknown customer.
    """
    with uow:
        customer = _customer(uow.session, customer_id)
        if customer.reminders_excluded == excluded:
            return
        customer.reminders_excluded = excluded
        record_audit(
            uow.session, uow.actor, "set", "customer", customer.id,
            {"reminders_excluded": not excluded}, {"reminders_excluded": excluded},
        )  # fmt: skip
        words = "No automatic reminders" if excluded else "Automatic reminders again"
        record_activity(uow.session, customer.id, "policy", words, author=uow.actor)
        uow.commit()


def reminder_choice(uow: UnitOfWork, customer_id: int) -> ReminderChoice:
    """A customer's own reminder policy and exclusion, as the reminder form edits them.

    Raises:
        CollectionError: unknown customer.
    """
    with uow:
        customer = _customer(uow.session, customer_id)
        return ReminderChoice(customer.policy_id, customer.reminders_excluded, customer.segment)


def set_customer_policy(uow: UnitOfWork, customer_id: int, policy_id: int | None) -> None:
    """Give a customer its own reminder policy, or ``None`` for its segment's.

    Raises:
        CollectionError: unknown customer or policy.
    """
    with uow:
        session = uow.session
        customer = _customer(session, customer_id)
        policy = session.get(ReminderPolicy, policy_id) if policy_id is not None else None
        if policy_id is not None and policy is None:
            raise CollectionError(f"policy: there is no reminder policy with id {policy_id}")
        if customer.policy_id == policy_id:
            return
        record_audit(
            session, uow.actor, "set", "customer", customer.id,
            {"policy_id": customer.policy_id}, {"policy_id": policy_id},
        )  # fmt: skip
        customer.policy_id = policy_id
        words = f"Reminder policy: {policy.name}" if policy else "Reminder policy: the segment's"
        record_activity(session, customer.id, "policy", words, author=uow.actor)
        uow.commit()


def set_reminder_contact(uow: UnitOfWork, customer_id: int, contact_id: int) -> None:
    """Send a customer's reminders to one contact: it gets the ``reminders`` role, others lose it.

    A contact that loses the role becomes ``other``.

    Raises:
        CollectionError: unknown customer, a contact of another customer, or one without email.
    """
    with uow:
        customer = _customer(uow.session, customer_id)
        chosen = next((c for c in customer.contacts if c.id == contact_id), None)
        if chosen is None:
            raise CollectionError(f"contact: {customer.name} has no contact with id {contact_id}")
        if not chosen.email.strip():
            raise CollectionError(f"contact: {chosen.name or 'this contact'} has no email address")
        before = [c.id for c in customer.contacts if c.role == "reminders"]
        for contact in customer.contacts:
            if contact.role == "reminders" and contact is not chosen:
                contact.role = "other"
        chosen.role = "reminders"
        record_audit(
            uow.session, uow.actor, "set", "customer", customer.id,
            {"reminder_contacts": before}, {"reminder_contacts": [chosen.id]},
        )  # fmt: skip
        who = f"{chosen.name} <{chosen.email}>" if chosen.name else chosen.email
        record_activity(
            uow.session, customer.id, "policy", f"Reminders go to {who}", author=uow.actor
        )
        uow.commit()


def open_dispute(
    uow: UnitOfWork,
    invoice_id: int,
    reason: str,
    waiting_on: str = "",
    owner_id: int | None = None,
    *,
    on: date,
) -> int:
    """Record a customer's dispute of an invoice; it is not chased while the dispute is open.

    Args:
        uow: the unit of work.
        invoice_id: the disputed invoice.
        reason: the customer's objection.
        waiting_on: what would settle it ("a credit note", "proof of delivery").
        owner_id: who looks after it (a user).
        on: the day it was raised.

    Returns:
        The dispute's id.

    Raises:
        CollectionError: no reason, an unknown or unissued invoice, an unknown owner, or a
            dispute of the invoice is open already.
    """
    return open_disputes(uow, [invoice_id], reason, waiting_on, owner_id, on=on)[0]


def open_disputes(
    uow: UnitOfWork,
    invoice_ids: Sequence[int],
    reason: str,
    waiting_on: str = "",
    owner_id: int | None = None,
    *,
    on: date,
) -> list[int]:
    """Record one dispute per invoice for the same objection, all in one transaction.

    Args:
        uow: the unit of work.
        invoice_ids: the disputed invoices.
        reason: the customer's objection.
        waiting_on: what would settle it ("a credit note", "proof of delivery").
        owner_id: who looks after the disputes (a user).
        on: the day they were raised.

    Returns:
        The disputes' ids, in the order of ``invoice_ids``.

    Raises:
        CollectionError: no reason or no invoice, an unknown or unissued invoice, an unknown
            owner, or a dispute of one of the invoices is open already; then none is recorded.
    """
    why = _required("reason", reason)
    if not invoice_ids:
        raise CollectionError("invoices: choose the disputed invoices")
    with uow:
        session = uow.session
        if owner_id is not None and session.get(User, owner_id) is None:
            raise CollectionError(f"owner: there is no user with id {owner_id}")
        ids = [
            _open_dispute(session, uow.actor, invoice_id, why, waiting_on.strip(), owner_id, on)
            for invoice_id in dict.fromkeys(invoice_ids)
        ]
        uow.commit()
        return ids


def _open_dispute(
    session: Session,
    actor: str,
    invoice_id: int,
    why: str,
    waiting_on: str,
    owner_id: int | None,
    on: date,
) -> int:
    invoice = session.get(Invoice, invoice_id)
    if (
        invoice is None
        or invoice.state != DocumentState.ISSUED
        or invoice.kind != InvoiceKind.INVOICE
    ):
        raise CollectionError(f"invoice: id {invoice_id} is not an issued invoice")
    already = select(Dispute.id).where(
        Dispute.invoice_id == invoice_id, Dispute.state == DisputeState.OPEN
    )
    if session.scalar(already) is not None:
        raise CollectionError(f"invoice: {invoice.number} is disputed already")
    dispute = Dispute(
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        reason=why,
        waiting_on=waiting_on,
        owner_id=owner_id,
        state=DisputeState.OPEN,
        opened_on=on,
    )
    session.add(dispute)
    session.flush()
    record_audit(
        session, actor, "open", "dispute", dispute.id,
        after={"invoice": invoice.number, "reason": why, "waiting_on": waiting_on},
    )  # fmt: skip
    waiting = f" (waiting on {waiting_on})" if waiting_on else ""
    record_activity(
        session, invoice.customer_id, "dispute",
        f"{invoice.number} disputed: {why}{waiting}", invoice.id, actor, on=on,
    )  # fmt: skip
    return dispute.id


def list_open_disputes(uow: UnitOfWork, customer_id: int) -> list[DisputeView]:
    """A customer's open disputes, the oldest first.

    Raises:
        CollectionError: unknown customer.
    """
    with uow:
        session = uow.session
        _customer(session, customer_id)
        rows = session.execute(
            select(Dispute, Invoice.number, User.name)
            .join(Invoice, Invoice.id == Dispute.invoice_id)
            .outerjoin(User, User.id == Dispute.owner_id)
            .where(Dispute.customer_id == customer_id, Dispute.state == DisputeState.OPEN)
            .order_by(Dispute.opened_on, Dispute.id)
        ).all()
        return [
            DisputeView(
                id=dispute.id,
                invoice_id=dispute.invoice_id,
                invoice_number=number or "",
                reason=dispute.reason,
                waiting_on=dispute.waiting_on,
                opened_on=dispute.opened_on,
                owner=owner or "",
            )
            for dispute, number, owner in rows
        ]


def resolve_dispute(uow: UnitOfWork, dispute_id: int, resolution: str, *, on: date) -> None:
    """Close a dispute, saying how it was settled; its invoice is chased again if still open.

    Raises:
        CollectionError: no resolution, an unknown dispute, or one resolved already.
    """
    how = _required("resolution", resolution)
    with uow:
        session = uow.session
        dispute = session.get(Dispute, dispute_id)
        if dispute is None:
            raise CollectionError(f"dispute: there is no dispute with id {dispute_id}")
        if dispute.state != DisputeState.OPEN:
            raise CollectionError(f"dispute: resolved already on {dispute.resolved_on}")
        dispute.state, dispute.resolved_on, dispute.resolution = DisputeState.RESOLVED, on, how
        record_audit(
            session, uow.actor, "resolve", "dispute", dispute.id,
            {"state": DisputeState.OPEN}, {"state": DisputeState.RESOLVED, "resolution": how},
        )  # fmt: skip
        number = session.get_one(Invoice, dispute.invoice_id).number
        record_activity(
            session, dispute.customer_id, "dispute", f"Dispute of {number} resolved: {how}",
            dispute.invoice_id, uow.actor, on=on,
        )  # fmt: skip
        uow.commit()
