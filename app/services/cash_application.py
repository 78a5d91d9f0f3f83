"""Applying statement lines to invoices, and a person's review of what the matcher proposed.

Applying a line records a payment for its full amount: cash allocations to the invoices it pays,
write-offs of small differences (bank fees) that travel with the payment, and whatever is left
stays on the customer's account as unapplied cash. Undoing reverses that payment, so the ledger
keeps both entries. What a person confirms teaches the matcher: the payer's IBAN and name now
point to that customer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from app.models.activity import Activity, AuditEntry
from app.models.bank import OPEN_LINE_STATES, LineState, MatchProposal, StatementLine
from app.models.customer import Customer, CustomerAlias, CustomerIban
from app.models.invoice import DocumentState, Invoice, InvoiceKind
from app.models.money import Money
from app.models.payment import Allocation, AllocationKind, Payment
from app.services.audit import event_time, record_audit
from app.services.bank_dto import ManualAllocation
from app.services.customer_emails import queue_payment_receipts
from app.services.dto import OpResult
from app.services.iban import normalize_iban
from app.services.invoice_queries import per_row_balances
from app.services.invoicing import open_minor, reverse_payment_in
from app.services.money_format import format_money
from app.services.promises import note_payments
from app.services.uow import UnitOfWork

#: What a change to a statement line touches in the window.
CHANGES = frozenset({"bank", "invoices", "customers"})


class CashApplicationError(ValueError):
    """A review action that cannot be done; the message says why in a bookkeeper's words."""


@dataclass(frozen=True)
class Application:
    """A line applied to a customer: ``(invoice_id, cash_minor, writeoff_minor)`` per invoice."""

    line: StatementLine
    customer_id: int
    allocations: tuple[tuple[int, int, int], ...]
    state: LineState
    confidence: int
    reason: str


def apply_lines(session: Session, actor: str, applications: Sequence[Application]) -> None:
    """Record the payments, allocations and write-offs of many lines in bulk.

    Everything is written in the session's transaction, then checked: no invoice went below zero.

    Raises:
        CashApplicationError: an invoice would be over-allocated (paid elsewhere meanwhile).
    """
    if not applications:
        return
    payment_ids = _insert_payments(session, applications)
    allocation_rows: list[dict[str, object]] = []
    activity_rows: list[dict[str, object]] = []
    audit_rows: list[dict[str, object]] = []
    line_rows: list[dict[str, object]] = []
    numbers = _numbers(session, {i for a in applications for i, _, _ in a.allocations})
    now = event_time(None)
    for application, payment_id in zip(applications, payment_ids, strict=True):
        allocation_rows.extend(_allocation_rows(application, payment_id))
        line_rows.append(
            {
                "id": application.line.id,
                "payment_id": payment_id,
                "customer_id": application.customer_id,
                "state": application.state,
                "confidence": application.confidence,
                "reason": application.reason,
                "matched_at": now,
            }
        )
        applied = [numbers[i] for i, _, _ in application.allocations]
        activity_rows.append(_activity_row(application, applied, actor))
        audit_rows.append(_audit_row(application, payment_id, applied, actor))
    # Bulk updates by primary key: thousands of lines without the unit of work's bookkeeping.
    session.execute(update(StatementLine), line_rows)
    if allocation_rows:
        session.execute(insert(Allocation), allocation_rows)
    session.execute(insert(Activity), activity_rows)
    session.execute(insert(AuditEntry), audit_rows)
    session.flush()
    _verify_open_amounts(session, {i for a in applications for i, _, _ in a.allocations})
    note_payments(session, actor, {a.customer_id for a in applications})
    queue_payment_receipts(session, actor, payment_ids)


def _insert_payments(session: Session, applications: Sequence[Application]) -> list[int]:
    rows = [
        {
            "customer_id": a.customer_id,
            "received_on": a.line.booking_date,
            "amount_minor": a.line.amount_minor,
            "currency": a.line.currency,
            "method": "bank transfer",
            "reference": a.line.remittance[:500],
            "payer_name": a.line.payer_name,
            "payer_iban": a.line.payer_iban[:34],
            "source": "bank",
        }
        for a in applications
    ]
    result = session.execute(
        insert(Payment).returning(Payment.id, sort_by_parameter_order=True), rows
    )
    return [int(row_id) for row_id in result.scalars()]


def _allocation_rows(application: Application, payment_id: int) -> list[dict[str, object]]:
    line = application.line
    rows: list[dict[str, object]] = []
    for invoice_id, cash, writeoff in application.allocations:
        common = {
            "invoice_id": invoice_id,
            "currency": line.currency,
            "payment_id": payment_id,
            "allocated_on": line.booking_date,
        }
        if cash > 0:
            rows.append({**common, "kind": AllocationKind.CASH, "amount_minor": cash, "note": ""})
        if writeoff > 0:
            rows.append(
                {
                    **common,
                    "kind": AllocationKind.WRITE_OFF,
                    "amount_minor": writeoff,
                    "note": "bank fees deducted from the payment",
                }
            )
    return rows


def _numbers(session: Session, invoice_ids: set[int]) -> dict[int, str]:
    numbers: dict[int, str] = {}
    ids = sorted(invoice_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.execute(select(Invoice.id, Invoice.number).where(Invoice.id.in_(chunk)))
        numbers.update((row_id, number or str(row_id)) for row_id, number in rows)
    return numbers


def _activity_row(application: Application, numbers: list[str], actor: str) -> dict[str, object]:
    line = application.line
    amount = format_money(Money(line.amount_minor, line.currency))
    paid = ", ".join(numbers) if numbers else "on account, no invoice yet"
    how = "matched automatically" if application.state == LineState.AUTO else "applied"
    return {
        "customer_id": application.customer_id,
        "occurred_at": event_time(line.booking_date),
        "kind": "payment",
        "summary": f"Payment of {amount} received by bank transfer, {how} ({paid})",
        "invoice_id": application.allocations[0][0] if application.allocations else None,
        "author": actor,
    }


def _audit_row(
    application: Application, payment_id: int, numbers: list[str], actor: str
) -> dict[str, object]:
    after = {
        "statement_line": application.line.id,
        "state": str(application.state),
        "invoices": numbers,
        "amount": application.line.amount_minor,
        "currency": application.line.currency,
    }
    return {
        "actor": actor,
        "action": "apply",
        "entity": "payment",
        "entity_id": payment_id,
        "before": "",
        "after": json.dumps(after, sort_keys=True),
    }


def _verify_open_amounts(session: Session, invoice_ids: set[int]) -> None:
    """No invoice may end up with more allocated than its total.

    Checked inside the writing transaction: a payment recorded by another window at the same
    moment cannot slip past it.
    """
    ids = sorted(invoice_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        allocated = per_row_balances().allocated
        over = session.execute(
            select(Invoice.number).where(Invoice.id.in_(chunk), allocated > Invoice.total_minor)
        ).first()
        if over is not None:
            raise CashApplicationError(
                f"invoice {over.number} was paid or credited elsewhere at the same time; "
                "nothing was applied, match again"
            )


def _line(session: Session, line_id: int) -> StatementLine:
    line = session.get(StatementLine, line_id)
    if line is None:
        raise CashApplicationError(f"there is no statement line with id {line_id}")
    return line


def _open_line(session: Session, line_id: int) -> StatementLine:
    line = _line(session, line_id)
    if line.state not in OPEN_LINE_STATES:
        raise CashApplicationError("this line is already dealt with; undo it first to change it")
    if line.amount_minor <= 0:
        raise CashApplicationError("only money received can be applied to invoices")
    return line


def _proposal(line: StatementLine, rank: int) -> MatchProposal:
    proposal = next((p for p in line.proposals if p.rank == rank), None)
    if proposal is None:
        raise CashApplicationError("this line has no such proposal; pick invoices by hand")
    return proposal


def accept_proposal(uow: UnitOfWork, line_id: int, rank: int = 0) -> OpResult:
    """Apply a line as the matcher proposed (the best proposal by default).

    Raises:
        CashApplicationError: the line is not waiting for review, or has no such proposal.
    """
    with uow:
        line = _open_line(uow.session, line_id)
        proposal = _proposal(line, rank)
        triples = tuple(proposal.allocation_triples())
        _check_invoices(uow.session, proposal.customer_id, line.currency, triples)
        application = Application(
            line,
            proposal.customer_id,
            triples,
            LineState.CONFIRMED,
            proposal.confidence,
            proposal.reason,
        )
        apply_lines(uow.session, uow.actor, [application])
        _learn_payer(uow.session, line, proposal.customer_id)
        uow.commit()
        return OpResult(CHANGES, _applied_message(uow.session, line, triples))


def apply_line(
    uow: UnitOfWork, line_id: int, customer_id: int, allocations: Sequence[ManualAllocation]
) -> OpResult:
    """Apply a line as a person chose.

    The cash may be split across invoices with differences written off; what is left stays on
    the customer's account.

    Raises:
        CashApplicationError: the choice does not fit the line or the invoices.
    """
    triples = tuple(
        (a.invoice_id, a.cash.minor, a.writeoff.minor if a.writeoff else 0) for a in allocations
    )
    with uow:
        line = _open_line(uow.session, line_id)
        if uow.session.get(Customer, customer_id) is None:
            raise CashApplicationError(f"there is no customer with id {customer_id}")
        for allocation in allocations:
            for part in (allocation.cash, allocation.writeoff):
                if part is not None and part.currency != line.currency:
                    raise CashApplicationError(
                        f"the line is in {line.currency}, not {part.currency}"
                    )
        cash = sum(c for _, c, _ in triples)
        if cash > line.amount_minor:
            line_amount = format_money(Money(line.amount_minor, line.currency))
            raise CashApplicationError(
                f"{format_money(Money(cash, line.currency))} is more than the line's {line_amount}"
            )
        _check_invoices(uow.session, customer_id, line.currency, triples)
        reason = "applied by hand" if triples else "put on the customer's account"
        application = Application(line, customer_id, triples, LineState.CONFIRMED, 1000, reason)
        apply_lines(uow.session, uow.actor, [application])
        _learn_payer(uow.session, line, customer_id)
        uow.commit()
        return OpResult(CHANGES, _applied_message(uow.session, line, triples))


def _check_invoices(
    session: Session, customer_id: int, currency: str, triples: Sequence[tuple[int, int, int]]
) -> None:
    """Each invoice is the customer's, issued, in the line's currency, with enough open."""
    for invoice_id, cash, writeoff in triples:
        invoice = session.get(Invoice, invoice_id)
        if (
            invoice is None
            or invoice.state != DocumentState.ISSUED
            or invoice.kind != InvoiceKind.INVOICE
        ):
            raise CashApplicationError(f"invoice id {invoice_id} is not an issued invoice")
        if invoice.customer_id != customer_id:
            raise CashApplicationError(f"invoice {invoice.number} belongs to another customer")
        if invoice.currency != currency:
            raise CashApplicationError(f"invoice {invoice.number} is in {invoice.currency}")
        if cash < 0 or writeoff < 0 or cash + writeoff == 0:
            raise CashApplicationError(f"the amount for {invoice.number} must be above zero")
        still_open = open_minor(session, invoice)
        if cash + writeoff > still_open:
            raise CashApplicationError(
                f"{format_money(Money(cash + writeoff, currency))} is more than the "
                f"{format_money(Money(still_open, currency))} open on {invoice.number}"
            )


def _learn_payer(session: Session, line: StatementLine, customer_id: int) -> None:
    """The payer's IBAN and name now point to the customer a person confirmed."""
    try:
        iban = normalize_iban(line.payer_iban) if line.payer_iban else ""
    except ValueError:
        iban = ""
    known_iban = select(CustomerIban).where(
        CustomerIban.iban == iban, CustomerIban.customer_id == customer_id
    )
    if iban and session.scalar(known_iban) is None:
        session.add(CustomerIban(customer_id=customer_id, iban=iban))
    name = " ".join(line.payer_name.split())
    customer = session.get(Customer, customer_id)
    if not name or customer is None or name.casefold() == customer.name.casefold():
        return
    known = session.scalar(
        select(CustomerAlias).where(
            CustomerAlias.customer_id == customer_id,
            func.lower(CustomerAlias.alias) == name.lower(),
        )
    )
    if known is None:
        session.add(CustomerAlias(customer_id=customer_id, alias=name[:300]))


def _applied_message(
    session: Session, line: StatementLine, triples: Sequence[tuple[int, int, int]]
) -> str:
    amount = format_money(Money(line.amount_minor, line.currency))
    numbers = list(_numbers(session, {i for i, _, _ in triples}).values())
    target = ", ".join(numbers) if numbers else "the customer's account"
    return f"Applied {amount} from {line.payer_name or 'the payer'} to {target}"


def reject_proposal(uow: UnitOfWork, line_id: int, rank: int) -> OpResult:
    """Drop a proposal; matching again will not bring back the same invoices for this line.

    Raises:
        CashApplicationError: the line is not waiting for review, or has no such proposal.
    """
    with uow:
        line = _open_line(uow.session, line_id)
        proposal = _proposal(line, rank)
        rejected = json.loads(line.rejected or "[]")
        rejected.append(sorted(i for i, _, _ in proposal.allocation_triples()))
        line.rejected = json.dumps(rejected)
        line.proposals.remove(proposal)
        for new_rank, rest in enumerate(line.proposals):
            rest.rank = new_rank
        _describe_best(line)
        record_audit(uow.session, uow.actor, "reject", "statement_line", line.id)
        uow.commit()
        return OpResult(frozenset({"bank"}), "Proposal rejected")


def _describe_best(line: StatementLine) -> None:
    """The line's state, confidence and reason follow its best remaining proposal."""
    best: MatchProposal | None = line.proposals[0] if line.proposals else None
    line.state = LineState.SUGGESTED if best else LineState.UNMATCHED
    line.confidence = best.confidence if best else 0
    line.reason = best.reason if best else ""


def mark_not_customer_payment(uow: UnitOfWork, line_id: int, reason: str = "") -> OpResult:
    """Set a credit aside as not a customer payment (interest, a refund, a payout).

    Raises:
        CashApplicationError: the line is already dealt with.
    """
    with uow:
        line = _line(uow.session, line_id)
        if line.state not in OPEN_LINE_STATES:
            raise CashApplicationError("this line is already dealt with; undo it first")
        line.state = LineState.IGNORED
        line.reason = reason.strip() or "not a customer payment"
        line.confidence = 0
        record_audit(
            uow.session,
            uow.actor,
            "ignore",
            "statement_line",
            line.id,
            after={"reason": line.reason},
        )
        uow.commit()
        return OpResult(frozenset({"bank"}), "Marked as not a customer payment")


def undo_line(uow: UnitOfWork, line_id: int) -> OpResult:
    """Undo an application or a "not a customer payment" mark; the line waits for review again.

    An application's payment is reversed, so its invoices reopen.

    Raises:
        CashApplicationError: the line is waiting for review already, or it is money out.
    """
    with uow:
        line = _line(uow.session, line_id)
        if line.state in OPEN_LINE_STATES:
            raise CashApplicationError("this line is not applied; there is nothing to undo")
        _undo(uow.session, uow.actor, line)
        uow.commit()
        return OpResult(CHANGES, "Undone; the line waits for review again")


def undo_lines(uow: UnitOfWork, line_ids: Sequence[int]) -> OpResult:
    """Undo the applications of many lines at once (a whole run), as one transaction.

    Lines that are no longer applied (a person undid one already) are left as they are.
    """
    undone = 0
    with uow:
        for line_id in line_ids:
            line = _line(uow.session, line_id)
            if line.state in (LineState.AUTO, LineState.CONFIRMED):
                _undo(uow.session, uow.actor, line)
                undone += 1
        uow.commit()
    noun = "payment" if undone == 1 else "payments"
    return OpResult(CHANGES, f"Undid {undone} {noun}; the lines wait for review again")


def _undo(session: Session, actor: str, line: StatementLine) -> None:
    if line.amount_minor <= 0:
        raise CashApplicationError("money out is never a customer payment")
    if line.payment_id is not None:
        reverse_payment_in(session, actor, line.payment_id)
        line.payment_id = None
    _describe_best(line)
    record_audit(session, actor, "undo", "statement_line", line.id)
