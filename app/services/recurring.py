"""Recurring invoices: templates on a schedule whose due copies are issued by one service call."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

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
from app.services.audit import record_activity, record_audit
from app.services.clock import Clock
from app.services.dto import DraftLine
from app.services.invoicing import InvoicingError, line_amounts, next_number, vars_of
from app.services.settings import load_settings
from app.services.tasks import TaskContext
from app.services.uow import UnitOfWork

_MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.YEARLY: 12}


def add_months(day: date, months: int, anchor_day: int) -> date:
    """``day`` moved by whole months, on ``anchor_day`` or the month's last day if shorter."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(anchor_day, last))


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
