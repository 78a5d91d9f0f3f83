"""What the Bank screen lists and shows: statement lines, their proposals, invoices to pick."""

from __future__ import annotations

from sqlalchemy import Select, String, cast, func, or_, select
from sqlalchemy.orm import Session

from app.models.bank import (
    OPEN_LINE_STATES,
    BankAccount,
    LineState,
    MatchProposal,
    StatementImport,
    StatementLine,
)
from app.models.customer import Customer
from app.models.invoice import DocumentState, Invoice, InvoiceKind
from app.models.money import Money
from app.models.payment import Allocation, AllocationKind
from app.services.bank_dto import (
    LineFilter,
    PickableInvoice,
    ProposalInvoice,
    ProposalView,
    StatementLineDetail,
    StatementLineRow,
)
from app.services.cash_application import CashApplicationError
from app.services.invoice_queries import contains_pattern, per_row_balances
from app.services.uow import UnitOfWork

#: The filter value that lists the lines waiting for a person.
REVIEW = "review"


def list_statement_lines(uow: UnitOfWork, filt: LineFilter) -> list[StatementLineRow]:
    """The statement lines a filter selects, newest booking first."""
    stmt = (
        select(StatementLine, Customer.name)
        .outerjoin(Customer, Customer.id == StatementLine.customer_id)
        .order_by(StatementLine.booking_date.desc(), StatementLine.id.desc())
    )
    stmt = _filtered(stmt, filt)
    with uow:
        return [_row(line, name or "") for line, name in uow.session.execute(stmt)]


def _filtered(stmt: Select[StatementLine, str], filt: LineFilter) -> Select[StatementLine, str]:
    if filt.state == REVIEW:
        stmt = stmt.where(StatementLine.state.in_(OPEN_LINE_STATES))
    elif filt.state:
        stmt = stmt.where(StatementLine.state == filt.state)
    if filt.import_id is not None:
        stmt = stmt.where(StatementLine.import_id == filt.import_id)
    search = filt.search.strip()
    if search:
        pattern = contains_pattern(search)
        texts = [
            StatementLine.payer_name.ilike(pattern, escape="\\"),
            StatementLine.remittance.ilike(pattern, escape="\\"),
            StatementLine.structured_refs.ilike(pattern, escape="\\"),
            Customer.name.ilike(pattern, escape="\\"),
        ]
        digits = "".join(ch for ch in search if ch.isascii() and ch.isdigit())
        if digits:  # "1,200.00" finds the line of 1200.00 (120000 minor units)
            texts.append(cast(func.abs(StatementLine.amount_minor), String).like(f"%{digits}%"))
        stmt = stmt.where(or_(*texts))
    return stmt


def _row(line: StatementLine, customer_name: str) -> StatementLineRow:
    return StatementLineRow(
        line_id=line.id,
        booking_date=line.booking_date,
        amount=Money(line.amount_minor, line.currency),
        payer_name=line.payer_name,
        remittance=line.remittance,
        state=line.state,
        customer_name=customer_name,
        confidence=line.confidence,
        reason=line.reason,
    )


def count_lines_by_state(uow: UnitOfWork) -> dict[str, int]:
    """How many lines are in each state (every state present, zero when none)."""
    counts = dict.fromkeys((str(state) for state in LineState), 0)
    with uow:
        rows = uow.session.execute(
            select(StatementLine.state, func.count()).group_by(StatementLine.state)
        )
        counts.update({state: int(count) for state, count in rows})
    return counts


def review_totals(uow: UnitOfWork) -> dict[str, Money]:
    """The money waiting for review, per currency."""
    with uow:
        rows = uow.session.execute(
            select(StatementLine.currency, func.sum(StatementLine.amount_minor))
            .where(StatementLine.state.in_(OPEN_LINE_STATES))
            .group_by(StatementLine.currency)
            .order_by(StatementLine.currency)
        )
        return {currency: Money(int(total), currency) for currency, total in rows}


def get_statement_line(uow: UnitOfWork, line_id: int) -> StatementLineDetail:
    """One line with its proposals (ranked) and, once applied, where its cash went.

    Raises:
        CashApplicationError: there is no such line.
    """
    with uow:
        session = uow.session
        line = session.get(StatementLine, line_id)
        if line is None:
            raise CashApplicationError(f"there is no statement line with id {line_id}")
        names = _customer_names(session, line)
        account = session.get(BankAccount, line.bank_account_id)
        imported = session.get(StatementImport, line.import_id)
        applied, unapplied = _applied(session, line)
        return StatementLineDetail(
            row=_row(line, names.get(line.customer_id or 0, "")),
            account=account.account if account else "",
            file_name=imported.file_name if imported else "",
            value_date=line.value_date,
            payer_iban=line.payer_iban,
            structured_refs=line.refs,
            end_to_end_id=line.end_to_end_id,
            bank_code=line.bank_code,
            note=line.note,
            customer_id=line.customer_id,
            proposals=tuple(
                _proposal_view(session, p, line.currency, names) for p in line.proposals
            ),
            applied=applied,
            unapplied=unapplied,
            line_ref=line.line_ref,
        )


def _customer_names(session: Session, line: StatementLine) -> dict[int, str]:
    ids = {p.customer_id for p in line.proposals} | {line.customer_id or 0}
    rows = session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids)))
    return {int(row_id): str(name) for row_id, name in rows}


def _open_amounts(session: Session, invoice_ids: list[int]) -> dict[int, tuple[str, int]]:
    allocated = per_row_balances().allocated
    rows = session.execute(
        select(Invoice.id, Invoice.number, Invoice.total_minor - allocated).where(
            Invoice.id.in_(invoice_ids)
        )
    )
    return {row_id: (number or str(row_id), int(still_open)) for row_id, number, still_open in rows}


def _proposal_view(
    session: Session, proposal: MatchProposal, currency: str, names: dict[int, str]
) -> ProposalView:
    triples = proposal.allocation_triples()
    opens = _open_amounts(session, [i for i, _, _ in triples])
    invoices = tuple(
        ProposalInvoice(
            invoice_id=invoice_id,
            number=opens.get(invoice_id, ("?", 0))[0],
            open=Money(opens.get(invoice_id, ("?", 0))[1], currency),
            cash=Money(cash, currency),
            writeoff=Money(writeoff, currency),
        )
        for invoice_id, cash, writeoff in triples
    )
    return ProposalView(
        rank=proposal.rank,
        customer_id=proposal.customer_id,
        customer_name=names.get(proposal.customer_id, ""),
        confidence=proposal.confidence,
        reason=proposal.reason,
        invoices=invoices,
        unapplied=Money(proposal.unapplied_minor, currency),
    )


def applied_allocations(session: Session, payment_id: int) -> dict[int, list[int]]:
    """``invoice_id -> [cash, writeoff]`` of a payment's active allocations."""
    parts: dict[int, list[int]] = {}
    rows = session.execute(
        select(Allocation.invoice_id, Allocation.kind, Allocation.amount_minor).where(
            Allocation.payment_id == payment_id, Allocation.reversed_at.is_(None)
        )
    )
    for invoice_id, kind, amount in rows:
        slot = parts.setdefault(invoice_id, [0, 0])
        slot[0 if kind == AllocationKind.CASH else 1] += amount
    return parts


def _applied(
    session: Session, line: StatementLine
) -> tuple[tuple[ProposalInvoice, ...], Money | None]:
    if line.payment_id is None:
        return (), None
    parts = applied_allocations(session, line.payment_id)
    opens = _open_amounts(session, list(parts))
    currency = line.currency
    applied = tuple(
        ProposalInvoice(
            invoice_id=invoice_id,
            number=opens[invoice_id][0],
            open=Money(opens[invoice_id][1], currency),
            cash=Money(cash, currency),
            writeoff=Money(writeoff, currency),
        )
        for invoice_id, (cash, writeoff) in parts.items()
    )
    unapplied = line.amount_minor - sum(cash for cash, _ in parts.values())
    return applied, Money(unapplied, currency)


def pickable_invoices(
    uow: UnitOfWork,
    *,
    currency: str,
    customer_id: int | None = None,
    search: str = "",
    limit: int = 200,
) -> list[PickableInvoice]:
    """Open invoices in a currency to apply a line to by hand, oldest due first.

    ``search`` looks in the number, the customer's name and the PO number.
    """
    allocated = per_row_balances().allocated
    open_minor = Invoice.total_minor - allocated
    stmt = (
        select(Invoice, Customer.name, open_minor)
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(
            Invoice.kind == InvoiceKind.INVOICE,
            Invoice.state == DocumentState.ISSUED,
            Invoice.currency == currency,
            open_minor > 0,
        )
        .order_by(Invoice.due_date, Invoice.id)
        .limit(limit)
    )
    if customer_id is not None:
        stmt = stmt.where(Invoice.customer_id == customer_id)
    if search.strip():
        pattern = contains_pattern(search.strip())
        stmt = stmt.where(
            or_(
                Invoice.number.ilike(pattern, escape="\\"),
                Customer.name.ilike(pattern, escape="\\"),
                Invoice.po_number.ilike(pattern, escape="\\"),
            )
        )
    with uow:
        return [
            PickableInvoice(
                invoice_id=invoice.id,
                number=invoice.number or "",
                customer_id=invoice.customer_id,
                customer_name=name,
                issue_date=invoice.issue_date,
                due_date=invoice.due_date,
                total=Money(invoice.total_minor, invoice.currency),
                open=Money(int(still_open), invoice.currency),
            )
            for invoice, name, still_open in uow.session.execute(stmt)
        ]
