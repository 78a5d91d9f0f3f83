"""Recurring invoices: templates on a schedule whose due copies are issued by one service call."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session, selectinload

from app.models.base import utcnow
from app.models.customer import Customer
from app.models.invoice import (
    DocumentState,
    Frequency,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    RecurringTemplate,
    RecurringTemplateLine,
    compute_totals,
)
from app.models.money import Money
from app.services.audit import record_activity, record_audit
from app.services.clock import Clock
from app.services.dto import DraftLine, RecurringRow
from app.services.invoicing import InvoicingError, line_amounts, next_number, vars_of
from app.services.settings import load_settings
from app.services.tasks import TaskContext
from app.services.uow import UnitOfWork

__all__ = [
    "Frequency",
    "add_months",
    "create_recurring_template",
    "issue_due_recurring",
    "list_recurring",
    "make_recurring",
    "next_period",
    "recurring_rows",
    "stop_recurring",
]

_MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.YEARLY: 12}
#: Longest name a template holds (its column's size).
_NAME_LENGTH = 200


def add_months(day: date, months: int, anchor_day: int) -> date:
    """``day`` moved by whole months, on ``anchor_day`` or the month's last day if shorter."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(anchor_day, last))


def next_period(day: date, frequency: Frequency) -> date:
    """The date one period after ``day``, on the same day of the month where the month has it."""
    return add_months(day, _MONTHS[Frequency(frequency)], day.day)


def create_recurring_template(
    uow: UnitOfWork,
    customer_id: int,
    frequency: Frequency,
    first_date: date,
    lines: Sequence[DraftLine],
    name: str = "",
    end_date: date | None = None,
    description: str = "",
) -> int:
    """A new recurring invoice; its first copy is issued on ``first_date``.

    Raises:
        InvoicingError: unknown customer, no lines, or an end date before the first date.
    """
    if not lines:
        raise InvoicingError("a recurring invoice needs at least one line")
    if end_date is not None and end_date < first_date:
        raise InvoicingError("the end date is before the first date")
    with uow:
        customer = uow.session.get(Customer, customer_id)
        if customer is None:
            raise InvoicingError(f"there is no customer with id {customer_id}")
        template = RecurringTemplate(
            customer_id=customer.id,
            name=name.strip() or f"{frequency.value.title()} invoice",
            currency=customer.currency,
            frequency=frequency,
            next_date=first_date,
            anchor_day=first_date.day,
            end_date=end_date,
            payment_terms_days=customer.payment_terms_days,
            description=description.strip(),
        )
        template.lines = [
            RecurringTemplateLine(
                position=i,
                description=line.description,
                **vars_of(line_amounts(line, customer.currency)),
            )
            for i, line in enumerate(lines)
        ]
        uow.session.add(template)
        uow.session.flush()
        record_audit(uow.session, uow.actor, "create", "recurring_template", template.id)
        uow.commit()
        return template.id


def make_recurring(
    uow: UnitOfWork,
    invoice_id: int,
    frequency: Frequency,
    first_date: date,
    end_date: date | None = None,
) -> int:
    """A recurring invoice copying an issued invoice: its customer, lines and description.

    The copies keep the invoice's currency and its payment terms (the days from its issue date
    to its due date). The first copy is issued on ``first_date``, which must come after the
    invoice's own issue date.

    Returns:
        The new recurring invoice's id.

    Raises:
        InvoicingError: no such invoice; a draft, a void invoice or a credit note; an invoice
            that is itself a recurring copy; a first date on or before its issue date; an end
            date before the first date.
    """
    frequency = Frequency(frequency)
    with uow:
        session = uow.session
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            raise InvoicingError(f"there is no invoice with id {invoice_id}")
        number = invoice.number or "the draft"
        if invoice.kind == InvoiceKind.CREDIT_NOTE:
            raise InvoicingError(f"{number} is a credit note; only an invoice can be issued again")
        if invoice.state == DocumentState.DRAFT:
            raise InvoicingError(
                "the invoice is still a draft; issue it first, then make it recurring"
            )
        if invoice.state == DocumentState.VOID:
            raise InvoicingError(f"{number} is void; a void invoice cannot be issued again")
        if invoice.recurring_template_id is not None:
            raise InvoicingError(
                f"{number} is already a copy of a recurring invoice; it is issued again "
                "on its own schedule"
            )
        if first_date <= invoice.issue_date:
            raise InvoicingError(
                f"the first copy must come after {number}'s own date "
                f"({invoice.issue_date.isoformat()}); choose a later first date"
            )
        if end_date is not None and end_date < first_date:
            raise InvoicingError("the end date is before the first date; choose a later end")
        texts = [invoice.description] + [line.description for line in invoice.lines]
        title = next((t.strip().splitlines()[0] for t in texts if t.strip()), "")
        name = (title or f"{frequency.value.title()} invoice")[:_NAME_LENGTH]
        template = RecurringTemplate(
            customer_id=invoice.customer_id,
            name=name,
            currency=invoice.currency,
            frequency=frequency,
            next_date=first_date,
            anchor_day=first_date.day,
            end_date=end_date,
            payment_terms_days=max((invoice.due_date - invoice.issue_date).days, 0),
            description=invoice.description,
        )
        template.lines = [
            RecurringTemplateLine(
                position=line.position, description=line.description, **vars_of(line)
            )
            for line in invoice.lines
        ]
        session.add(template)
        session.flush()
        record_audit(
            session,
            uow.actor,
            "create",
            "recurring_template",
            template.id,
            after={"from_invoice": invoice.number, "frequency": frequency.value},
        )
        record_activity(
            session,
            invoice.customer_id,
            "invoice",
            f"{invoice.number} made recurring: issued again {frequency.value} "
            f"from {first_date.isoformat()}",
            invoice.id,
            uow.actor,
        )
        uow.commit()
        return template.id


def list_recurring(uow: UnitOfWork, customer_id: int | None = None) -> list[RecurringRow]:
    """Recurring invoices (of one customer, or all): those still running first, next one first.

    Args:
        uow: the unit of work.
        customer_id: only this customer's; ``None`` for everyone's.
    """
    with uow:
        return recurring_rows(uow.session, customer_id)


def recurring_rows(session: Session, customer_id: int | None = None) -> list[RecurringRow]:
    """:func:`list_recurring` inside a transaction that is already open."""
    query = (
        select(RecurringTemplate, Customer.name)
        .join(Customer, Customer.id == RecurringTemplate.customer_id)
        .options(selectinload(RecurringTemplate.lines))
        .order_by(
            RecurringTemplate.active.desc(), RecurringTemplate.next_date, RecurringTemplate.id
        )
    )
    if customer_id is not None:
        query = query.where(RecurringTemplate.customer_id == customer_id)
    return [
        RecurringRow(
            id=template.id,
            customer_id=template.customer_id,
            customer_name=customer_name,
            name=template.name,
            frequency=Frequency(template.frequency),
            next_date=template.next_date,
            end_date=template.end_date,
            active=template.active,
            total=Money(
                compute_totals(template.lines, template.currency).total_minor, template.currency
            ),
        )
        for template, customer_name in session.execute(query)
    ]


def stop_recurring(uow: UnitOfWork, template_id: int) -> None:
    """Stop a recurring invoice: no more copies are issued. Those already issued stay.

    Stopping one that has already stopped changes nothing.

    Raises:
        InvoicingError: there is no such recurring invoice.
    """
    with uow:
        session = uow.session
        template = session.get(RecurringTemplate, template_id)
        if template is None:
            raise InvoicingError(f"there is no recurring invoice with id {template_id}")
        if not template.active:
            return
        template.active = False
        record_audit(
            session,
            uow.actor,
            "stop",
            "recurring_template",
            template.id,
            before={"active": True, "next_date": template.next_date},
            after={"active": False},
        )
        record_activity(
            session,
            template.customer_id,
            "invoice",
            f"Recurring invoice {template.name} stopped",
            None,
            uow.actor,
        )
        uow.commit()


def issue_due_recurring(uow: UnitOfWork, clock: Clock, ctx: TaskContext | None = None) -> list[str]:
    """Issue every copy of every active template that has fallen due up to today.

    A template missed for several periods (the laptop was off) issues each missed copy, each
    dated on its own period. One transaction for the whole run.

    Returns:
        The numbers of the invoices issued, in order.
    """
    ctx = ctx or TaskContext()
    today = clock.today()
    pattern = load_settings(uow)["invoice.number_pattern"]
    issued: list[str] = []
    with uow:
        session = uow.session
        templates = list(
            session.scalars(
                select(RecurringTemplate).where(
                    RecurringTemplate.active, RecurringTemplate.next_date <= today
                )
            )
        )
        for done, template in enumerate(templates):
            ctx.check_cancelled()
            ctx.report(done, len(templates), template.name)
            period = template.next_date
            while period <= today and _claim_period(session, template, period):
                issued.append(_issue_copy(uow, template, period, pattern))
                period = template.next_date
                if not template.active:
                    break
        uow.commit()
    return issued


def _claim_period(session: Session, template: RecurringTemplate, period: date) -> bool:
    """Move the template past ``period`` unless another run already has; True if this run did.

    The conditional update is what keeps the scheduler and a ``cron`` run, started together,
    from billing the same month twice: only one of them finds ``next_date`` still at ``period``.
    """
    following = add_months(period, _MONTHS[Frequency(template.frequency)], template.anchor_day)
    still_active = template.end_date is None or following <= template.end_date
    result = session.execute(
        update(RecurringTemplate)
        .where(RecurringTemplate.id == template.id, RecurringTemplate.next_date == period)
        .values(next_date=following, active=still_active)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        return False
    template.next_date, template.active = following, still_active
    return True


def _issue_copy(
    uow: UnitOfWork, template: RecurringTemplate, issue_date: date, pattern: str
) -> str:
    session = uow.session
    invoice = Invoice(
        kind=InvoiceKind.INVOICE,
        state=DocumentState.ISSUED,
        customer_id=template.customer_id,
        currency=template.currency,
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=template.payment_terms_days),
        description=template.description,
        recurring_template_id=template.id,
        source="recurring",
        issued_at=utcnow(),
    )
    invoice.lines = [
        InvoiceLine(position=line.position, description=line.description, **vars_of(line))
        for line in template.lines
    ]
    totals = compute_totals(template.lines, template.currency)
    invoice.net_minor, invoice.tax_minor = totals.net_minor, totals.tax_minor
    invoice.total_minor = totals.total_minor
    invoice.number = next_number(session, "invoice", pattern, issue_date)
    session.add(invoice)
    session.flush()
    record_audit(
        session, uow.actor, "issue", "invoice", invoice.id, after={"number": invoice.number}
    )
    record_activity(
        session,
        template.customer_id,
        "invoice",
        f"Recurring invoice {invoice.number} issued ({template.name})",
        invoice.id,
        uow.actor,
        on=issue_date,
    )
    return invoice.number
