"""Reading invoices: the paged, sorted and filtered list, and one invoice in full.

Open amounts and statuses are derived in SQL from the allocations, so that the list can sort and
filter on them over a hundred thousand invoices without loading them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    Subquery,
    and_,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import Label, UnaryExpression

from app.models.customer import Customer
from app.models.invoice import (
    QUANTITY_SCALE,
    DocumentState,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    compute_totals,
    derive_status,
    line_net_minor,
)
from app.models.money import Money, sum_by_currency
from app.models.payment import Allocation, AllocationKind, Payment
from app.services.dto import AllocationView, InvoiceDetail, InvoiceRow, LineView
from app.services.invoicing import InvoicingError
from app.services.tasks import TaskContext, cancellable_queries
from app.services.uow import UnitOfWork

SORT_KEYS = (
    "number",
    "customer",
    "issue_date",
    "due_date",
    "total",
    "open_amount",
    "status",
    "currency",
)


@dataclass(frozen=True)
class InvoiceQuery:
    """Which invoices to list and in what order; every field is optional."""

    search: str = ""
    statuses: frozenset[InvoiceStatus] = field(default_factory=frozenset)
    customer_id: int | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    currency: str | None = None
    include_credit_notes: bool = True
    sort_key: str = "issue_date"
    descending: bool = True


def contains_pattern(text: str) -> str:
    """A LIKE pattern (escaped with a backslash) that matches ``text`` anywhere, literally.

    Typing ``50%`` or ``ACME_2`` searches for those characters, not for LIKE's wildcards.
    """
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class Balances:
    """What is allocated to each invoice, and what derives from it, as SQL expressions."""

    allocated: ColumnElement[int]
    credited: ColumnElement[int]

    def open_amount(self, *, or_null: bool = False) -> ColumnElement[int]:
        """What is still receivable: 0 (or NULL) on drafts, voids and credit notes."""
        receivable = and_(
            Invoice.state == DocumentState.ISSUED, Invoice.kind == InvoiceKind.INVOICE
        )
        return case(
            (receivable, Invoice.total_minor - self.allocated), else_=None if or_null else 0
        )

    def status(self, today: date) -> ColumnElement[str]:
        """The status a user sees; the SQL twin of ``derive_status``."""
        return case(
            (Invoice.state == DocumentState.DRAFT, InvoiceStatus.DRAFT.value),
            (Invoice.state == DocumentState.VOID, InvoiceStatus.VOID.value),
            (Invoice.kind == InvoiceKind.CREDIT_NOTE, InvoiceStatus.CREDIT_NOTE.value),
            (
                Invoice.total_minor - self.allocated <= 0,
                case(
                    (
                        and_(self.credited > 0, self.credited >= Invoice.total_minor),
                        InvoiceStatus.CREDITED.value,
                    ),
                    else_=InvoiceStatus.PAID.value,
                ),
            ),
            (Invoice.due_date < today, InvoiceStatus.OVERDUE.value),
            (self.allocated > 0, InvoiceStatus.PARTIALLY_PAID.value),
            else_=InvoiceStatus.OPEN.value,
        )


def _credit_part() -> ColumnElement[int]:
    return case((Allocation.kind == AllocationKind.CREDIT_NOTE, Allocation.amount_minor), else_=0)


def aggregated_balances() -> tuple[Subquery, Balances]:
    """Balances of every invoice at once: the cheaper way when all rows must be looked at."""
    totals = (
        select(
            Allocation.invoice_id.label("invoice_id"),
            func.sum(Allocation.amount_minor).label("allocated"),
            func.sum(_credit_part()).label("credited"),
        )
        .where(Allocation.reversed_at.is_(None))
        .group_by(Allocation.invoice_id)
        .subquery("alloc")
    )
    balances = Balances(func.coalesce(totals.c.allocated, 0), func.coalesce(totals.c.credited, 0))
    return totals, balances


def per_row_balances() -> Balances:
    """Balances looked up invoice by invoice: the cheaper way for one page of rows."""
    active = and_(Allocation.invoice_id == Invoice.id, Allocation.reversed_at.is_(None))
    allocated = select(func.coalesce(func.sum(Allocation.amount_minor), 0)).where(active)
    credited = select(func.coalesce(func.sum(_credit_part()), 0)).where(active)
    return Balances(allocated.scalar_subquery(), credited.scalar_subquery())


def _needs_balances(query: InvoiceQuery) -> bool:
    return bool(query.statuses) or query.sort_key in ("open_amount", "status")


def _matching(query: InvoiceQuery, today: date) -> tuple[Select[Any], Balances]:
    """The ids of the invoices a query matches, with the balances joined only when needed."""
    stmt = select(Invoice.id)
    balances = per_row_balances()
    if _needs_balances(query):
        totals, balances = aggregated_balances()
        stmt = stmt.outerjoin(totals, totals.c.invoice_id == Invoice.id)
    conditions: list[ColumnElement[bool]] = []
    if query.search.strip():
        pattern = contains_pattern(query.search)
        customers = select(Customer.id).where(
            or_(
                Customer.name.ilike(pattern, escape="\\"), Customer.code.ilike(pattern, escape="\\")
            )
        )
        conditions.append(
            or_(
                Invoice.number.ilike(pattern, escape="\\"),
                Invoice.customer_id.in_(customers),
                Invoice.po_number.ilike(pattern, escape="\\"),
                Invoice.description.ilike(pattern, escape="\\"),
            )
        )
    if query.statuses:
        conditions.append(balances.status(today).in_([s.value for s in query.statuses]))
    if query.customer_id is not None:
        conditions.append(Invoice.customer_id == query.customer_id)
    if query.issued_from is not None:
        conditions.append(Invoice.issue_date >= query.issued_from)
    if query.issued_to is not None:
        conditions.append(Invoice.issue_date <= query.issued_to)
    if query.currency:
        conditions.append(Invoice.currency == query.currency)
    if not query.include_credit_notes:
        conditions.append(Invoice.kind == InvoiceKind.INVOICE)
    if conditions:
        stmt = stmt.where(and_(*conditions))
    return stmt, balances


def count_invoices(
    uow: UnitOfWork, query: InvoiceQuery, today: date, ctx: TaskContext | None = None
) -> int:
    """How many invoices the query matches.

    Raises:
        TaskCancelledError: ``ctx`` was cancelled while counting.
    """
    stmt, _ = _matching(query, today)
    with uow, cancellable_queries(uow.session, ctx):
        return int(uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def list_invoices(
    uow: UnitOfWork, query: InvoiceQuery, today: date, offset: int = 0, limit: int = 200
) -> list[InvoiceRow]:
    """One page of the invoice list, sorted and filtered in SQL.

    The page's ids are found first, touching the customers and the allocations only where the
    sort or the filter needs them; then the page's rows are read in full.
    """
    if query.sort_key not in SORT_KEYS:
        raise ValueError(f"cannot sort invoices by {query.sort_key!r}")
    ids, balances = _matching(query, today)
    keys: dict[str, ColumnElement[Any] | InstrumentedAttribute[Any]] = {
        "number": Invoice.number,
        "customer": Customer.name,
        "issue_date": Invoice.issue_date,
        "due_date": Invoice.due_date,
        "total": Invoice.total_minor,
        # Nothing receivable (drafts, voids, credit notes) sorts after every invoice, either way.
        "open_amount": balances.open_amount(or_null=True),
        "status": balances.status(today),
        "currency": Invoice.currency,
    }
    if query.sort_key == "customer":
        ids = ids.join(Customer, Customer.id == Invoice.customer_id)
    key: Label[Any] = keys[query.sort_key].label("sort_key")
    desc = query.descending
    # Where every invoice is summed anyway, a bare id as tie-break makes SQLite walk an index
    # and fetch each row (230 ms against 90 ms at 100,000 invoices); "id + 0" is no index's.
    tie_break = Invoice.id + 0 if _needs_balances(query) else Invoice.id
    page = (
        ids.add_columns(key)
        .order_by(_ordered(key, desc), _ordered(tie_break, desc))
        .offset(offset)
        .limit(limit)
        .subquery("page")
    )
    stmt = (
        select(*_row_columns(per_row_balances(), today))
        .join(page, page.c.id == Invoice.id)
        .join(Customer, Customer.id == Invoice.customer_id)
        .order_by(_ordered(page.c.sort_key, desc), _ordered(page.c.id, desc))
    )
    with uow:
        rows = uow.session.execute(stmt).all()
    return [_row(r, today) for r in rows]


def _ordered(
    column: ColumnElement[Any] | InstrumentedAttribute[Any], descending: bool
) -> UnaryExpression[Any]:
    # Drafts have no number: they come last either way, on SQLite and PostgreSQL alike.
    return (column.desc() if descending else column.asc()).nulls_last()


def _row_columns(balances: Balances, today: date) -> tuple[SQLColumnExpression[Any], ...]:
    """The columns of an :class:`InvoiceRow`, in the order :func:`_row` reads them."""
    return (
        Invoice.id,
        Invoice.number,
        Invoice.kind,
        Invoice.customer_id,
        Customer.name,
        Invoice.issue_date,
        Invoice.due_date,
        Invoice.total_minor,
        Invoice.currency,
        balances.open_amount(),
        balances.status(today),
    )


def _row(r: Sequence[Any], today: date) -> InvoiceRow:
    (inv_id, number, kind, customer_id, name, issued, due, total, currency, open_, status) = r
    state = InvoiceStatus(status)
    overdue = (today - due).days if state == InvoiceStatus.OVERDUE else 0
    return InvoiceRow(
        id=inv_id,
        number=number or "",
        kind=kind,
        customer_id=customer_id,
        customer_name=name,
        issue_date=issued,
        due_date=due,
        total=Money(total, currency),
        open_amount=Money(max(int(open_), 0), currency),
        status=state,
        days_overdue=overdue,
    )


def totals_by_currency(
    uow: UnitOfWork, query: InvoiceQuery, today: date, ctx: TaskContext | None = None
) -> dict[str, Money]:
    """Open amounts of the listed invoices, per currency (never added across currencies).

    Raises:
        TaskCancelledError: ``ctx`` was cancelled while summing.
    """
    ids, _ = _matching(query, today)
    totals, balances = aggregated_balances()
    stmt = (
        select(Invoice.currency, func.sum(balances.open_amount()))
        .outerjoin(totals, totals.c.invoice_id == Invoice.id)
        .where(Invoice.id.in_(ids))
        .group_by(Invoice.currency)
    )
    with uow, cancellable_queries(uow.session, ctx):
        rows = uow.session.execute(stmt).all()
    return sum_by_currency(Money(int(total or 0), cur) for cur, total in rows)


def open_invoice_rows(session: Session, customer_id: int, today: date) -> list[InvoiceRow]:
    """A customer's issued invoices with something open, oldest due first."""
    balances = per_row_balances()
    stmt = (
        select(*_row_columns(balances, today))
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(
            Invoice.customer_id == customer_id,
            Invoice.state == DocumentState.ISSUED,
            Invoice.kind == InvoiceKind.INVOICE,
            Invoice.total_minor - balances.allocated > 0,
        )
        .order_by(Invoice.due_date, Invoice.id)
    )
    return [_row(r, today) for r in session.execute(stmt).all()]


def get_invoice(uow: UnitOfWork, invoice_id: int, today: date) -> InvoiceDetail:
    """One invoice or credit note with its lines, tax summary, allocations and status.

    Raises:
        InvoicingError: there is no such invoice.
    """
    with uow:
        invoice = uow.session.get(Invoice, invoice_id)
        if invoice is None:
            raise InvoicingError(f"there is no invoice with id {invoice_id}")
        return _detail(uow.session, invoice, today)


def get_invoice_by_number(uow: UnitOfWork, number: str, today: date) -> InvoiceDetail:
    """One invoice by its number.

    Raises:
        InvoicingError: no invoice has that number.
    """
    with uow:
        invoice = uow.session.scalars(select(Invoice).where(Invoice.number == number)).first()
        if invoice is None:
            raise InvoicingError(f"there is no invoice numbered {number}")
        return _detail(uow.session, invoice, today)


def _detail(session: Session, invoice: Invoice, today: date) -> InvoiceDetail:
    cur = invoice.currency
    allocations = list(
        session.scalars(
            select(Allocation).where(Allocation.invoice_id == invoice.id).order_by(Allocation.id)
        )
    )
    active = [a for a in allocations if a.reversed_at is None]
    paid = sum(a.amount_minor for a in active)
    credited = sum(a.amount_minor for a in active if a.kind == AllocationKind.CREDIT_NOTE)
    totals = compute_totals(invoice.lines, cur) if invoice.lines else None
    tax_rows: tuple[tuple[Decimal, Money, Money], ...] = ()
    if totals is not None:
        tax_rows = tuple(
            (Decimal(rate) / 100, Money(totals.net_by_rate[rate], cur), Money(tax, cur))
            for rate, tax in sorted(totals.tax_by_rate.items())
        )
    credited_number = ""
    if invoice.credited_invoice_id is not None:
        original = session.get(Invoice, invoice.credited_invoice_id)
        credited_number = original.number or "" if original else ""
    customer = invoice.customer
    status = derive_status(
        invoice.state, invoice.total_minor, paid, credited, invoice.due_date, today
    )
    receivable = invoice.state == DocumentState.ISSUED and not invoice.is_credit_note
    if invoice.is_credit_note and invoice.state == DocumentState.ISSUED:
        status = InvoiceStatus.CREDIT_NOTE
    return InvoiceDetail(
        id=invoice.id,
        number=invoice.number or "",
        kind=invoice.kind,
        state=invoice.state,
        status=status,
        customer_id=customer.id,
        customer_code=customer.code,
        customer_name=customer.name,
        customer_address=customer.address,
        customer_country=customer.country,
        customer_vat_id=customer.vat_id,
        currency=cur,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        po_number=invoice.po_number,
        description=invoice.description,
        notes=invoice.notes,
        lines=tuple(
            LineView(
                description=line.description,
                quantity=Decimal(line.quantity_milli) / QUANTITY_SCALE,
                unit_price=Money(line.unit_price_minor, cur),
                discount_percent=Decimal(line.discount_bp) / 100,
                tax_rate_percent=Decimal(line.tax_rate_bp) / 100,
                net=Money(line_net_minor(line, cur), cur),
            )
            for line in invoice.lines
        ),
        net=Money(invoice.net_minor, cur),
        tax_by_rate=tax_rows,
        tax=Money(invoice.tax_minor, cur),
        total=Money(invoice.total_minor, cur),
        open_amount=Money(max(invoice.total_minor - paid, 0) if receivable else 0, cur),
        allocations=tuple(_allocation_view(session, a) for a in allocations),
        credited_invoice_number=credited_number,
        void_reason=invoice.void_reason,
    )


def _allocation_view(session: Session, allocation: Allocation) -> AllocationView:
    source = allocation.note
    if allocation.payment_id is not None:
        payment = session.get(Payment, allocation.payment_id)
        source = payment.reference if payment else ""
    elif allocation.credit_note_id is not None:
        note = session.get(Invoice, allocation.credit_note_id)
        source = note.number or "" if note else ""
    return AllocationView(
        id=allocation.id,
        kind=allocation.kind,
        amount=Money(allocation.amount_minor, allocation.currency),
        allocated_on=allocation.allocated_on,
        source=source,
        reversed=allocation.reversed_at is not None,
    )
