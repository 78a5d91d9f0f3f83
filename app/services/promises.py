"""Promises to pay: taking one, tracking what the customer paid towards it, kept or broken.

A promise is kept as soon as the payments the customer sent since it was taken (received on or
after that day, in its currency) reach its amount, or the invoices it names are settled. Payments
are noted the moment they are recorded (:func:`note_payments`, called by the payment services in
their transaction); :func:`settle_promises` does it again for every open promise and breaks the
ones whose date and grace have passed, with a follow-up task for the customer's owner.

This module is imported by :mod:`app.services.invoicing`, so it reads open amounts with its own
small query rather than through the invoice services.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.models.collections import FollowUp, FollowUpKind, PromiseState, PromiseToPay
from app.models.company import User
from app.models.customer import Customer
from app.models.invoice import DocumentState, Invoice, InvoiceKind
from app.models.money import Money
from app.models.payment import Allocation, Payment
from app.services.audit import event_time, record_activity, record_audit
from app.services.follow_ups import add_follow_up
from app.services.money_format import format_money
from app.services.uow import UnitOfWork

#: How many ids one ``IN (...)`` query takes.
_CHUNK = 500


class PromiseError(ValueError):
    """A promise that cannot be taken or changed; the message names the field."""


@dataclass(frozen=True)
class PromiseRow:
    """A promise to pay as lists and the customer view show it."""

    id: int
    customer_id: int
    customer_name: str
    amount: Money
    #: What the customer paid since the promise was taken.
    paid: Money
    promised_date: date
    #: The invoices it is for; empty for the customer's overdue balance.
    invoice_ids: tuple[int, ...]
    taken_by: str
    taken_on: date
    note: str
    state: PromiseState
    resolved_on: date | None


@dataclass(frozen=True)
class PromiseOutcome:
    """What a settling run decided: the ids of the promises it found kept and broken."""

    kept: tuple[int, ...]
    broken: tuple[int, ...]


def _describe(promise: PromiseToPay) -> str:
    amount = format_money(Money(promise.amount_minor, promise.currency))
    return f"Promise to pay {amount} by {promise.promised_date.isoformat()}"


def _invoice_ids(promise: PromiseToPay) -> list[int]:
    return [int(i) for i in json.loads(promise.invoice_ids or "[]")]


def _open_amounts(
    session: Session, invoice_ids: Sequence[int]
) -> dict[int, tuple[int, date | None]]:
    """What is open on each invoice, and the day of its latest active allocation (if any)."""
    stmt = (
        select(
            Invoice.id,
            Invoice.total_minor - func.coalesce(func.sum(Allocation.amount_minor), 0),
            func.max(Allocation.allocated_on),
        )
        .outerjoin(
            Allocation,
            and_(Allocation.invoice_id == Invoice.id, Allocation.reversed_at.is_(None)),
        )
        .where(Invoice.id.in_(invoice_ids))
        .group_by(Invoice.id, Invoice.total_minor)
    )
    return {invoice_id: (int(rest), last) for invoice_id, rest, last in session.execute(stmt)}


def _check_invoices(
    session: Session, customer_id: int, currency: str, invoice_ids: Sequence[int]
) -> None:
    open_amounts = _open_amounts(session, invoice_ids)
    for invoice_id in invoice_ids:
        invoice = session.get(Invoice, invoice_id)
        if (
            invoice is None
            or invoice.state != DocumentState.ISSUED
            or invoice.kind != InvoiceKind.INVOICE
        ):
            raise PromiseError(f"invoices: id {invoice_id} is not an issued invoice")
        if invoice.customer_id != customer_id:
            raise PromiseError(f"invoices: {invoice.number} belongs to another customer")
        if invoice.currency != currency:
            raise PromiseError(
                f"invoices: {invoice.number} is in {invoice.currency}, not {currency}"
            )
        if open_amounts[invoice_id][0] <= 0:
            raise PromiseError(f"invoices: {invoice.number} is paid already")


def record_promise(
    uow: UnitOfWork,
    customer_id: int,
    amount: Money,
    promised_date: date,
    *,
    today: date,
    invoice_ids: Sequence[int] = (),
    note: str = "",
    taken_by: str | None = None,
) -> int:
    """Take a customer's promise to pay an amount by a date.

    Args:
        uow: the unit of work.
        customer_id: who promised.
        amount: how much; its currency is the one the payments must come in.
        promised_date: by when; today or later.
        today: the day the promise is taken on.
        invoice_ids: the open invoices it is for; none for the customer's overdue balance.
        note: what was said.
        taken_by: who took it; the unit of work's user when ``None``.

    Returns:
        The promise's id.

    Raises:
        PromiseError: the amount is not above zero, the date is past, the customer does not exist,
            or an invoice is not the customer's, not open or in another currency.
    """
    if amount.minor <= 0:
        raise PromiseError(f"amount: a promise must be above zero, got {format_money(amount)}")
    if promised_date < today:
        raise PromiseError(f"promised_date: {promised_date.isoformat()} is in the past")
    ids = list(dict.fromkeys(invoice_ids))
    with uow:
        session = uow.session
        if session.get(Customer, customer_id) is None:
            raise PromiseError(f"customer: there is no customer with id {customer_id}")
        _check_invoices(session, customer_id, amount.currency, ids)
        promise = PromiseToPay(
            customer_id=customer_id,
            amount_minor=amount.minor,
            currency=amount.currency,
            promised_date=promised_date,
            invoice_ids=json.dumps(ids),
            taken_by=(taken_by if taken_by is not None else uow.actor).strip(),
            taken_at=event_time(today),
            note=note.strip(),
            state=PromiseState.OPEN,
            paid_minor=0,
        )
        session.add(promise)
        session.flush()
        record_audit(
            session, uow.actor, "create", "promise", promise.id,
            after={"amount": str(amount), "date": promised_date, "invoices": ids},
        )  # fmt: skip
        numbers = session.scalars(select(Invoice.number).where(Invoice.id.in_(ids))).all()
        summary = _describe(promise) + (f" ({', '.join(map(str, numbers))})" if numbers else "")
        if promise.note:
            summary += f": {promise.note}"
        record_activity(
            session, customer_id, "promise", summary, ids[0] if ids else None, uow.actor
        )
        uow.commit()
        return promise.id


def cancel_promise(uow: UnitOfWork, promise_id: int, today: date, reason: str = "") -> None:
    """Withdraw an open promise (taken by mistake, or replaced by a new one).

    Raises:
        PromiseError: there is no such promise, or it is no longer open.
    """
    with uow:
        promise = uow.session.get(PromiseToPay, promise_id)
        if promise is None:
            raise PromiseError(f"there is no promise to pay with id {promise_id}")
        if promise.state != PromiseState.OPEN:
            raise PromiseError(f"the promise is {promise.state} already; only open ones cancel")
        promise.state, promise.resolved_on = PromiseState.CANCELLED, today
        record_audit(
            uow.session, uow.actor, "cancel", "promise", promise.id,
            {"state": PromiseState.OPEN}, {"state": PromiseState.CANCELLED, "reason": reason},
        )  # fmt: skip
        why = f": {reason.strip()}" if reason.strip() else ""
        record_activity(
            uow.session, promise.customer_id, "promise", f"{_describe(promise)} cancelled{why}",
            author=uow.actor,
        )  # fmt: skip
        uow.commit()


def list_promises(
    uow: UnitOfWork, customer_id: int | None = None, state: str | None = None
) -> list[PromiseRow]:
    """Promises to pay by promised date, of one customer or all, in one state or any.

    Raises:
        PromiseError: ``state`` is not a promise state.
    """
    if state is not None and state not in set(PromiseState):
        raise PromiseError(f"state: expected one of {', '.join(PromiseState)}, got {state!r}")
    stmt = (
        select(PromiseToPay, Customer.name)
        .join(Customer, Customer.id == PromiseToPay.customer_id)
        .order_by(PromiseToPay.promised_date, PromiseToPay.id)
    )
    if customer_id is not None:
        stmt = stmt.where(PromiseToPay.customer_id == customer_id)
    if state is not None:
        stmt = stmt.where(PromiseToPay.state == state)
    with uow:
        return [
            PromiseRow(
                id=p.id,
                customer_id=p.customer_id,
                customer_name=name,
                amount=Money(p.amount_minor, p.currency),
                paid=Money(p.paid_minor, p.currency),
                promised_date=p.promised_date,
                invoice_ids=tuple(_invoice_ids(p)),
                taken_by=p.taken_by,
                taken_on=p.taken_at.date(),
                note=p.note,
                state=PromiseState(p.state),
                resolved_on=p.resolved_on,
            )
            for p, name in uow.session.execute(stmt)
        ]


def _kept_on(session: Session, promise: PromiseToPay) -> date | None:
    """Update what was paid towards a promise; the day it was kept, or ``None`` if not yet."""
    payments = session.execute(
        select(Payment.received_on, Payment.amount_minor)
        .where(
            Payment.customer_id == promise.customer_id,
            Payment.currency == promise.currency,
            Payment.reversed_at.is_(None),
            Payment.received_on >= promise.taken_at.date(),
        )
        .order_by(Payment.received_on, Payment.id)
    ).all()
    promise.paid_minor = sum(amount for _, amount in payments)
    running = 0
    for received_on, amount in payments:
        running += amount
        if running >= promise.amount_minor:
            return received_on
    invoice_ids = _invoice_ids(promise)
    if not invoice_ids:
        return None
    open_amounts = _open_amounts(session, invoice_ids).values()
    if any(rest > 0 for rest, _ in open_amounts):
        return None
    return max((last for _, last in open_amounts if last is not None), default=None)


def note_payments(session: Session, actor: str, customer_ids: Iterable[int]) -> list[int]:
    """Bring the open promises of these customers up to date after payments were recorded.

    Called in the transaction that records the payments; cheap when none of the customers has
    an open promise (one query per 500 customers).

    Returns:
        The ids of the promises found kept.
    """
    ids = sorted(set(customer_ids))
    promises = [
        promise
        for start in range(0, len(ids), _CHUNK)
        for promise in session.scalars(
            select(PromiseToPay)
            .where(
                PromiseToPay.customer_id.in_(ids[start : start + _CHUNK]),
                PromiseToPay.state == PromiseState.OPEN,
            )
            .order_by(PromiseToPay.id)
        )
    ]
    kept: list[int] = []
    for promise in promises:
        kept_on = _kept_on(session, promise)
        if kept_on is None:
            continue
        promise.state, promise.resolved_on = PromiseState.KEPT, kept_on
        after = {"state": PromiseState.KEPT, "paid": promise.paid_minor}
        record_audit(session, actor, "keep", "promise", promise.id, {"state": "open"}, after)
        paid = format_money(Money(promise.paid_minor, promise.currency))
        record_activity(
            session, promise.customer_id, "promise", f"{_describe(promise)} kept (paid {paid})",
            author=actor, on=kept_on,
        )  # fmt: skip
        kept.append(promise.id)
    return kept


def _owner(session: Session, customer: Customer) -> int | None:
    """The customer's owner if that person still works in the ledger."""
    if customer.owner_id is None:
        return None
    user = session.get(User, customer.owner_id)
    return user.id if user is not None and user.active else None


def settle_promises(
    session: Session, today: date, grace_days: int, actor: str = "duebook"
) -> PromiseOutcome:
    """Find open promises kept, and break those whose date plus grace has passed.

    A broken promise gets a follow-up task for the customer's owner, due today, and an entry on
    the timeline. Running it again changes nothing: only open promises are looked at, and the
    task's unique key (``promise:<id>``) is checked before it is made. The caller commits.

    Args:
        session: the transaction's session.
        today: the day it runs on.
        grace_days: days after the promised date before a promise counts as broken
            (the ``reminders.promise_grace_days`` setting).
        actor: who or what runs it.

    Raises:
        PromiseError: ``grace_days`` is negative.
    """
    if grace_days < 0:
        raise PromiseError(f"grace_days: must not be negative, got {grace_days}")
    open_customers = session.scalars(
        select(PromiseToPay.customer_id).where(PromiseToPay.state == PromiseState.OPEN).distinct()
    ).all()
    kept = note_payments(session, actor, open_customers)
    overdue = session.scalars(
        select(PromiseToPay)
        .where(
            PromiseToPay.state == PromiseState.OPEN,
            PromiseToPay.promised_date < today - timedelta(days=grace_days),
        )
        .order_by(PromiseToPay.id)
    ).all()
    broken: list[int] = []
    for promise in overdue:
        promise.state, promise.resolved_on = PromiseState.BROKEN, today
        after = {"state": PromiseState.BROKEN, "paid": promise.paid_minor}
        record_audit(session, actor, "break", "promise", promise.id, {"state": "open"}, after)
        paid = format_money(Money(promise.paid_minor, promise.currency))
        record_activity(
            session, promise.customer_id, "promise", f"{_describe(promise)} broken (paid {paid})",
            author=actor,
        )  # fmt: skip
        key = f"promise:{promise.id}"
        if session.scalar(select(FollowUp.id).where(FollowUp.key == key)) is None:
            customer = session.get_one(Customer, promise.customer_id)
            add_follow_up(
                session, actor, f"Broken promise: {customer.name}"[:300], today,
                customer_id=customer.id, assignee_id=_owner(session, customer),
                notes=f"{_describe(promise)}; paid {paid} since it was taken.",
                kind=FollowUpKind.BROKEN_PROMISE, key=key,
            )  # fmt: skip
        broken.append(promise.id)
    return PromiseOutcome(kept=tuple(kept), broken=tuple(broken))
