"""The reconciliation export (formats.md): one CSV row per allocation of every statement line."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.bank import LineState, MatchProposal, StatementLine
from app.models.invoice import Invoice
from app.models.money import to_decimal
from app.services.bank_queries import applied_allocations
from app.services.uow import UnitOfWork

COLUMNS = (
    "line_ref",
    "booking_date",
    "line_amount",
    "invoice_number",
    "applied_amount",
    "writeoff_amount",
    "status",
    "confidence",
    "reason",
)

#: How each line state is named in the export; lines set aside count as unmatched.
_STATUS = {
    LineState.AUTO: "auto",
    LineState.CONFIRMED: "confirmed",
    LineState.SUGGESTED: "suggested",
    LineState.UNMATCHED: "unmatched",
    LineState.IGNORED: "unmatched",
}


def export_reconciliation(uow: UnitOfWork, path: Path) -> int:
    """Write the export for every statement line; returns the number of rows written.

    The file is written beside its final name and moved into place, so a failure never leaves
    half a file.
    """
    with uow:
        rows = list(_rows(uow.session))
    handle, temporary = tempfile.mkstemp(prefix=".export-", suffix=".csv", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(COLUMNS)
            writer.writerows(rows)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(rows)


def public_line_ref(line_ref: str) -> str:
    """The bank's reference as the bank wrote it, or Duebook's fingerprint id."""
    return line_ref.removeprefix("ref:")


def _rows(session: Session) -> Iterator[list[str]]:
    lines = session.scalars(
        select(StatementLine).order_by(StatementLine.booking_date, StatementLine.id)
    )
    numbers: dict[int, str | None] = dict(session.execute(select(Invoice.id, Invoice.number)).all())
    for line in lines:
        status = _STATUS[LineState(line.state)]
        head = [
            public_line_ref(line.line_ref),
            line.booking_date.isoformat(),
            _amount(line.amount_minor, line.currency),
        ]
        tail = [status, _confidence(line.confidence if status != "unmatched" else 0), line.reason]
        parts = _parts(session, line)
        if not parts:
            yield [*head, "", "0", "0", *tail]
            continue
        for invoice_id, cash, writeoff in parts:
            yield [
                *head,
                numbers.get(invoice_id) or "",
                _amount(cash, line.currency),
                _amount(writeoff, line.currency),
                *tail,
            ]


def _parts(session: Session, line: StatementLine) -> list[tuple[int, int, int]]:
    """``(invoice_id, cash, writeoff)`` applied, or proposed for a suggested line."""
    if line.payment_id is not None:
        allocations = applied_allocations(session, line.payment_id)
        return [
            (invoice_id, cash, writeoff) for invoice_id, (cash, writeoff) in allocations.items()
        ]
    if line.state == LineState.SUGGESTED:
        best = session.scalar(
            select(MatchProposal)
            .where(MatchProposal.line_id == line.id)
            .order_by(MatchProposal.rank)
            .limit(1)
        )
        return best.allocation_triples() if best else []
    return []


def _amount(minor: int, currency: str) -> str:
    return f"{to_decimal(minor, currency):f}"


def _confidence(thousandths: int) -> str:
    return f"{Decimal(thousandths).scaleb(-3):.3f}"
