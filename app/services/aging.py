"""Aging: what each customer owes, by how long it is overdue, per currency.

Open amounts are derived as the invoice list derives them (total less active allocations, credit
notes allocated to an invoice included); a credit note's unallocated rest and a payment's unapplied
rest are the customer's unapplied cash. Everything is summed in SQL, two queries for the whole
ledger plus the customers' names, so the report stays fast over a hundred thousand invoices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, select, union_all
from sqlalchemy.orm import Session

from app.models.customer import Customer
from app.models.invoice import DocumentState, Invoice, InvoiceKind
from app.models.money import Money
from app.models.payment import Allocation, Payment
from app.services.customers import CustomerError
from app.services.invoice_queries import per_row_balances
from app.services.uow import UnitOfWork

#: The aging buckets, youngest first: not yet due (or due today), then days overdue.
BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
#: The last day overdue of each bucket after ``current``; the last bucket has no end.
_BUCKET_ENDS = (30, 60, 90)


def bucket_of(days_overdue: int) -> str:
    """The bucket of an amount ``days_overdue`` days past its due date (0 or less: current)."""
    if days_overdue <= 0:
        return BUCKETS[0]
    for bucket, last_day in zip(BUCKETS[1:], _BUCKET_ENDS, strict=False):
        if days_overdue <= last_day:
            return bucket
    return BUCKETS[-1]


@dataclass(frozen=True)
class CurrencyAging:
    """One customer's open amounts in one currency, by bucket, and its unapplied cash."""

    currency: str
    #: Open amount per bucket, every bucket of :data:`BUCKETS` present, in that order.
    buckets: dict[str, Money]
    #: Payments and credit notes not yet set against an invoice.
    unapplied: Money

    @property
    def total_open(self) -> Money:
        """Everything open, due or not."""
        return Money(sum(m.minor for m in self.buckets.values()), self.currency)

    @property
    def overdue(self) -> Money:
        """Everything open past its due date."""
        return self.total_open - self.buckets[BUCKETS[0]]

    @property
    def balance(self) -> Money:
        """What the customer owes on balance: open less unapplied (negative when in credit)."""
        return self.total_open - self.unapplied


@dataclass(frozen=True)
class CustomerAging:
    """A customer's aging, per currency (amounts are never added across currencies)."""

    customer_id: int
    code: str
    name: str
    by_currency: dict[str, CurrencyAging]


def _open_query(today: date) -> Select[*tuple[Any, ...]]:
    """Open amounts per customer and currency, one column per bucket in :data:`BUCKETS` order.

    Grouped by currency first, so SQLite reads the invoices in one pass over the table; each
    invoice's allocations come from the covering index, one look-up per invoice, which is as
    fast for the whole ledger as a grouped subquery and far faster for one customer.
    """
    open_amount = per_row_balances().open_amount()
    # Bucket by comparing due dates with day boundaries: portable, and no date arithmetic in SQL.
    starts = [today, *(today - timedelta(days=last_day) for last_day in _BUCKET_ENDS)]
    ranges = [Invoice.due_date >= today]
    ranges += [
        and_(Invoice.due_date >= start, Invoice.due_date < end)
        for start, end in zip(starts[1:], starts, strict=False)
    ]
    ranges.append(Invoice.due_date < starts[-1])
    sums = [func.sum(case((in_range, open_amount), else_=0)) for in_range in ranges]
    return (
        select(Invoice.customer_id, Invoice.currency, *sums)
        .where(open_amount > 0)
        .group_by(Invoice.currency, Invoice.customer_id)
    )


def _unapplied_query() -> Select[*tuple[Any, ...]]:
    """Unapplied cash and unused credit per customer and currency, in one query."""
    used_cash = (
        select(func.coalesce(func.sum(Allocation.amount_minor), 0))
        .where(Allocation.payment_id == Payment.id, Allocation.reversed_at.is_(None))
        .scalar_subquery()
    )
    cash = select(
        Payment.customer_id.label("customer_id"),
        Payment.currency.label("currency"),
        (Payment.amount_minor - used_cash).label("rest"),
    ).where(Payment.customer_id.is_not(None), Payment.reversed_at.is_(None))
    used_credit = (
        select(func.coalesce(func.sum(Allocation.amount_minor), 0))
        .where(Allocation.credit_note_id == Invoice.id, Allocation.reversed_at.is_(None))
        .scalar_subquery()
    )
    credit = select(Invoice.customer_id, Invoice.currency, Invoice.total_minor - used_credit).where(
        Invoice.kind == InvoiceKind.CREDIT_NOTE, Invoice.state == DocumentState.ISSUED
    )
    rests = union_all(cash, credit).subquery("rests")
    return (
        select(rests.c.customer_id, rests.c.currency, func.sum(rests.c.rest))
        .where(rests.c.rest > 0)
        .group_by(rests.c.currency, rests.c.customer_id)
    )


def _of_customer(
    stmt: Select[*tuple[Any, ...]], customer_id: int | None
) -> Select[*tuple[Any, ...]]:
    """``stmt`` (customer id first) narrowed to one customer, or left whole."""
    if customer_id is None:
        return stmt
    return stmt.where(stmt.selected_columns[0] == customer_id)


def _aging(
    session: Session, today: date, customer_id: int | None = None, currency: str | None = None
) -> dict[int, CustomerAging]:
    """Both queries' rows merged into one :class:`CustomerAging` per customer."""
    zeros: dict[str, Money] = {}

    def money(minor: int | None, cur: str) -> Money:
        # Most buckets are empty; one shared zero per currency keeps the report fast.
        if not minor:
            return zeros.setdefault(cur, Money.zero(cur))
        return Money(int(minor), cur)

    buckets: dict[int, dict[str, dict[str, Money]]] = {}
    unapplied: dict[int, dict[str, Money]] = {}
    # The currency is picked here, not in SQL: SQLite would read the invoices through the customer
    # index one by one to filter on it, two and a half times slower than reading the table.
    for owner, cur, *sums in session.execute(_of_customer(_open_query(today), customer_id)):
        if currency is not None and cur != currency:
            continue
        buckets.setdefault(owner, {})[cur] = {
            bucket: money(part, cur) for bucket, part in zip(BUCKETS, sums, strict=True)
        }
    for owner, cur, rest in session.execute(_of_customer(_unapplied_query(), customer_id)):
        if currency is not None and cur != currency:
            continue
        unapplied.setdefault(owner, {})[cur] = money(rest, cur)
    customers = select(Customer.id, Customer.code, Customer.name)
    if customer_id is not None:
        customers = customers.where(Customer.id == customer_id)
    names = {row.id: (row.code, row.name) for row in session.execute(customers)}
    owners = sorted({*buckets, *unapplied})
    result: dict[int, CustomerAging] = {}
    for owner in owners:
        own_buckets, own_unapplied = buckets.get(owner, {}), unapplied.get(owner, {})
        result[owner] = CustomerAging(
            customer_id=owner,
            code=names[owner][0],
            name=names[owner][1],
            by_currency={
                cur: CurrencyAging(
                    currency=cur,
                    buckets=own_buckets.get(cur) or dict.fromkeys(BUCKETS, money(0, cur)),
                    unapplied=own_unapplied.get(cur) or money(0, cur),
                )
                for cur in sorted({*own_buckets, *own_unapplied})
            },
        )
    return result


def aging_by_customer(
    uow: UnitOfWork, today: date, currency: str | None = None
) -> list[CustomerAging]:
    """The aging of every customer with something open or unapplied, by name.

    Args:
        uow: the unit of work to read with.
        today: the day the amounts are aged on.
        currency: only this currency (an ISO code), or ``None`` for all of them.

    Returns:
        One entry per customer, each with its currencies; customers with nothing open and no
        unapplied cash are left out.
    """
    with uow:
        rows = _aging(uow.session, today, currency=currency)
    return sorted(rows.values(), key=lambda row: (row.name.casefold(), row.customer_id))


def aging_of_customer(session: Session, customer_id: int, today: date) -> CustomerAging:
    """One customer's aging, inside the caller's transaction (a statement, the worklist).

    Raises:
        CustomerError: there is no such customer.
    """
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise CustomerError(f"there is no customer with id {customer_id}")
    rows = _aging(session, today, customer_id=customer_id)
    return rows.get(customer_id) or CustomerAging(customer.id, customer.code, customer.name, {})
