"""One reconciliation run: every statement line waiting for it is matched, the sure ones applied.

The run is one transaction. It first writes (an audit entry), which on SQLite takes the write
lock, so the snapshot of open invoices it then reads cannot change under it; the matcher works
on that snapshot in memory, the applications are written in bulk, and a final check makes sure
no invoice was over-allocated.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from app.models.bank import OPEN_LINE_STATES, LineState, MatchProposal, StatementLine
from app.models.customer import Customer, CustomerAlias, CustomerIban
from app.models.invoice import DocumentState, Invoice, InvoiceKind
from app.models.money import to_minor
from app.services.audit import event_time, record_audit
from app.services.bank_dto import ReconcileSummary
from app.services.cash_application import Application, apply_lines
from app.services.invoice_queries import aggregated_balances
from app.services.matching.engine import Matcher
from app.services.matching.types import (
    BankLine,
    InvoiceItem,
    LineVerdict,
    PayerProfile,
    Proposal,
    WriteOffTolerance,
)
from app.services.settings import load_settings
from app.services.tasks import TaskContext
from app.services.uow import UnitOfWork

_PROGRESS_EVERY = 250


def reconcile(uow: UnitOfWork, *, auto: bool, ctx: TaskContext | None = None) -> ReconcileSummary:
    """Propose matches for every line waiting for review; with ``auto``, apply the sure ones.

    Args:
        uow: the unit of work.
        auto: apply what the matcher is sure of (the window's "apply confident matches").
        ctx: progress and cancel.

    Raises:
        CashApplicationError: an invoice was paid elsewhere during the run; nothing was applied.
    """
    ctx = ctx or TaskContext()
    tolerance = writeoff_tolerance(load_settings(uow))
    with uow:
        session = uow.session
        record_audit(session, uow.actor, "reconcile", "statement_lines", None, after={"auto": auto})
        session.flush()
        lines = list(
            session.scalars(
                select(StatementLine)
                .where(StatementLine.state.in_(OPEN_LINE_STATES), StatementLine.amount_minor > 0)
                .order_by(StatementLine.booking_date, StatementLine.id)
            )
        )
        ctx.report(0, len(lines), "Matching payments to invoices")
        matcher = Matcher(_payers(session), _invoices(session), tolerance=tolerance)
        bank_lines = [_bank_line(line) for line in lines]
        matcher.preview(bank_lines)  # an invoice quoted by two lines is paid by one at most
        verdicts = []
        applications = []
        for done, (line, bank_line) in enumerate(zip(lines, bank_lines, strict=True), 1):
            verdict = _without_rejected(matcher.match(bank_line), line)
            verdicts.append(verdict)
            if auto and verdict.auto and verdict.proposals:
                best = verdict.proposals[0]
                matcher.consume(best)
                applications.append(_application(line, best))
            if done % _PROGRESS_EVERY == 0:
                ctx.check_cancelled()
                ctx.report(done, len(lines), "Matching payments to invoices")
        ctx.check_cancelled()
        _store_proposals(session, lines, verdicts)
        apply_lines(session, uow.actor, applications)
        uow.commit()
    applied = {a.line.id for a in applications}
    suggested = sum(1 for v in verdicts if v.line_id not in applied and v.proposals)
    ctx.report(len(lines), len(lines), "Matched")
    return ReconcileSummary(
        lines=len(lines),
        auto_applied=len(applied),
        suggested=suggested,
        unmatched=len(lines) - len(applied) - suggested,
        applied_line_ids=tuple(a.line.id for a in applications),
    )


def writeoff_tolerance(settings: dict[str, str]) -> WriteOffTolerance:
    """The bank-fee tolerance from the settings (percent of open, and at most an amount)."""
    percent = Decimal(settings["matching.writeoff_percent"])
    return WriteOffTolerance(
        percent_bp=int(percent * 100),
        max_minor=to_minor(
            Decimal(settings["matching.writeoff_max"]), settings["company.currency"]
        ),
    )


def _payers(session: Session) -> list[PayerProfile]:
    aliases: dict[int, list[str]] = defaultdict(list)
    for customer_id, alias in session.execute(
        select(CustomerAlias.customer_id, CustomerAlias.alias)
    ):
        aliases[customer_id].append(alias)
    ibans: dict[int, list[str]] = defaultdict(list)
    for customer_id, iban in session.execute(select(CustomerIban.customer_id, CustomerIban.iban)):
        ibans[customer_id].append(iban)
    return [
        PayerProfile(row_id, name, tuple(aliases[row_id]), tuple(ibans[row_id]))
        for row_id, name in session.execute(select(Customer.id, Customer.name))
    ]


def _invoices(session: Session) -> Iterable[InvoiceItem]:
    totals, balances = aggregated_balances()
    rows = session.execute(
        select(
            Invoice.id,
            Invoice.number,
            Invoice.customer_id,
            Invoice.currency,
            Invoice.total_minor,
            balances.allocated,
            Invoice.issue_date,
            Invoice.due_date,
        )
        .outerjoin(totals, totals.c.invoice_id == Invoice.id)
        .where(Invoice.kind == InvoiceKind.INVOICE, Invoice.state == DocumentState.ISSUED)
    )
    for row_id, number, customer_id, currency, total, paid, issued, due in rows:
        yield InvoiceItem(
            row_id, number or "", customer_id, currency, total, max(total - paid, 0), issued, due
        )


def _bank_line(line: StatementLine) -> BankLine:
    return BankLine(
        line_id=line.id,
        booking_date=line.booking_date,
        amount_minor=line.amount_minor,
        currency=line.currency,
        payer_name=line.payer_name,
        payer_iban=line.payer_iban,
        remittance=line.remittance,
        structured_refs=line.refs,
        end_to_end_id=line.end_to_end_id,
    )


def _without_rejected(verdict: LineVerdict, line: StatementLine) -> LineVerdict:
    """Proposals a person rejected for this line are not proposed again."""
    rejected = line.rejected_sets()
    if not rejected:
        return verdict
    kept = tuple(
        p
        for p in verdict.proposals
        if frozenset(a.invoice_id for a in p.allocations) not in rejected
    )
    if kept == verdict.proposals:
        return verdict
    return LineVerdict(verdict.line_id, kept, False, verdict.customer_id, verdict.note)


def _application(line: StatementLine, proposal: Proposal) -> Application:
    return Application(
        line,
        proposal.customer_id,
        tuple((a.invoice_id, a.amount_minor, a.writeoff_minor) for a in proposal.allocations),
        LineState.AUTO,
        proposal.confidence,
        proposal.reason,
    )


def _store_proposals(
    session: Session, lines: list[StatementLine], verdicts: list[LineVerdict]
) -> None:
    """Replace the lines' proposals with the run's, and set each line's state and reason."""
    ids = [line.id for line in lines]
    for start in range(0, len(ids), 500):
        session.execute(
            delete(MatchProposal).where(MatchProposal.line_id.in_(ids[start : start + 500]))
        )
    rows: list[dict[str, object]] = []
    line_rows: list[dict[str, object]] = []
    now = event_time(None)
    for line, verdict in zip(lines, verdicts, strict=True):
        best = verdict.proposals[0] if verdict.proposals else None
        line_rows.append(
            {
                "id": line.id,
                "state": LineState.SUGGESTED if best else LineState.UNMATCHED,
                "customer_id": best.customer_id if best else verdict.customer_id,
                "confidence": best.confidence if best else 0,
                "reason": best.reason if best else "",
                "note": verdict.note,
                "matched_at": now,
            }
        )
        rows.extend(
            {
                "line_id": line.id,
                "rank": rank,
                "customer_id": proposal.customer_id,
                "confidence": proposal.confidence,
                "reason": proposal.reason,
                "allocations": json.dumps(
                    [[a.invoice_id, a.amount_minor, a.writeoff_minor] for a in proposal.allocations]
                ),
                "unapplied_minor": proposal.unapplied_minor,
            }
            for rank, proposal in enumerate(verdict.proposals)
        )
    if line_rows:  # bulk updates by primary key, without the unit of work's bookkeeping
        session.execute(update(StatementLine), line_rows)
    if rows:
        session.execute(insert(MatchProposal), rows)
