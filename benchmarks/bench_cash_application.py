"""Import plus automatic reconciliation through the real services, timed and scored.

    python -m benchmarks.bench_cash_application        # 2,000 customers, 10,000 open, 3,000 lines
    python -m benchmarks.bench_cash_application --big  # 5,000 customers, 50,000 open, 10,000 lines

The generated ledger (``benchmarks/statement_data.py``) is written into a real SQLite ledger file
with bulk inserts: customers with their aliases and payer IBANs, invoices (settled ones with a
payment and an allocation). The statement lines are written as a CAMT.053 file. Then the clock
runs over exactly what the window does after a drop: ``import_statement`` and
``reconcile(auto=True)``, each one transaction. The target is 10 s or less for the big run on a
2-core machine. The outcome is read back from the ledger and scored against the truth, as the
matcher benchmark does, so this also checks the service path (snapshot, consume, bulk apply).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, FromClause, insert, select

from app.models.bank import LineState, MatchProposal, StatementLine
from app.models.customer import Customer, CustomerAlias, CustomerIban
from app.models.db import open_ledger
from app.models.invoice import Invoice
from app.models.money import to_decimal
from app.models.payment import Allocation, Payment
from app.services.bank_import import import_statement
from app.services.reconciliation import reconcile
from app.services.statements.camt_writer import write_camt053
from app.services.statements.parsed import ParsedLine
from app.services.uow import UnitOfWork
from benchmarks.statement_data import Dataset, Truth, generate

ACCOUNT = "DE89370400440532013000"
CHUNK = 5_000


def _insert(connection: Connection, table: FromClause, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        connection.execute(insert(table), rows[start : start + CHUNK])


def write_ledger(path: Path, data: Dataset) -> None:
    """The dataset's customers and invoices as ledger rows, in one transaction."""
    engine = open_ledger(path).kw["bind"]
    now = datetime.now(UTC)
    currencies = {i.customer_id: i.currency for i in data.invoices}
    with engine.begin() as connection:
        _insert(connection, Customer.__table__, [
            {"id": p.customer_id, "code": f"C{p.customer_id:06d}", "name": p.name,
             "currency": currencies.get(p.customer_id, "EUR"), "payment_terms_days": 30,
             "created_at": now}
            for p in data.payers
        ])  # fmt: skip
        _insert(connection, CustomerAlias.__table__, [
            {"customer_id": p.customer_id, "alias": a} for p in data.payers for a in p.aliases
        ])  # fmt: skip
        pairs = {(p.customer_id, iban) for p in data.payers for iban in p.ibans}
        _insert(connection, CustomerIban.__table__, [
            {"customer_id": owner, "iban": iban} for owner, iban in sorted(pairs)
        ])  # fmt: skip
        _insert(connection, Invoice.__table__, [
            {"id": i.invoice_id, "number": i.number, "kind": "invoice", "state": "issued",
             "customer_id": i.customer_id, "currency": i.currency, "issue_date": i.issue_date,
             "due_date": i.due_date, "net_minor": i.total_minor, "tax_minor": 0,
             "total_minor": i.total_minor, "created_at": now, "issued_at": now}
            for i in data.invoices
        ])  # fmt: skip
        settled = [i for i in data.invoices if i.open_minor < i.total_minor]
        _insert(connection, Payment.__table__, [
            {"id": n, "customer_id": i.customer_id, "received_on": i.due_date,
             "amount_minor": i.total_minor - i.open_minor, "currency": i.currency,
             "created_at": now}
            for n, i in enumerate(settled, 1)
        ])  # fmt: skip
        _insert(connection, Allocation.__table__, [
            {"invoice_id": i.invoice_id, "kind": "cash", "payment_id": n,
             "amount_minor": i.total_minor - i.open_minor, "currency": i.currency,
             "allocated_on": i.due_date, "created_at": now}
            for n, i in enumerate(settled, 1)
        ])  # fmt: skip


def write_statement(path: Path, data: Dataset) -> None:
    """The dataset's lines as one CAMT.053 file; ``L<line_id>`` is each line's bank reference."""
    lines = [
        ParsedLine(
            booking_date=line.booking_date,
            amount=to_decimal(line.amount_minor, line.currency),
            currency=line.currency,
            bank_ref=f"L{line.line_id}",
            payer_name=line.payer_name,
            payer_iban=line.payer_iban,
            remittance=line.remittance,
            structured_refs=line.structured_refs,
            end_to_end_id=line.end_to_end_id,
        )
        for line in data.lines
    ]
    write_camt053(path, account_iban=ACCOUNT, currency="EUR", lines=lines)


def _expected(truth: Truth) -> set[tuple[int, int, int]]:
    return {(a.invoice_id, a.amount_minor, a.writeoff_minor) for a in truth.allocations}


def score(path: Path, data: Dataset) -> dict[str, Any]:
    """Read the outcome back from the ledger and compare it with the truth."""
    engine = open_ledger(path).kw["bind"]
    truths = {f"ref:L{t.line_id}": t for t in data.truths}
    tally: Counter[str] = Counter()
    with engine.connect() as connection:
        lines = connection.execute(
            select(StatementLine.id, StatementLine.line_ref, StatementLine.state,
                   StatementLine.payment_id)
        ).all()  # fmt: skip
        applied: dict[int, set[tuple[int, int, int]]] = {}
        for payment_id, invoice_id, kind, amount in connection.execute(
            select(Allocation.payment_id, Allocation.invoice_id, Allocation.kind,
                   Allocation.amount_minor).where(Allocation.payment_id.is_not(None))
        ):  # fmt: skip
            applied.setdefault(payment_id, set()).add((invoice_id, kind, amount))
        proposals: dict[int, list[set[tuple[int, int, int]]]] = {}
        for line_id, allocations in connection.execute(
            select(MatchProposal.line_id, MatchProposal.allocations).order_by(MatchProposal.rank)
        ):
            proposals.setdefault(line_id, []).append({tuple(a) for a in json.loads(allocations)})
    for line_id, line_ref, state, payment_id in lines:
        truth = truths.get(line_ref)
        if truth is None:
            continue
        tally["paying"] += truth.pays_invoices
        if state == LineState.AUTO:
            tally["auto"] += 1
            got = _as_triples(applied.get(payment_id, set()))
            tally["auto_right"] += truth.pays_invoices and got == _expected(truth)
        elif truth.pays_invoices:
            tally["review"] += 1
            top = proposals.get(line_id, [])[:3]
            tally["review_hit"] += any(p == _expected(truth) for p in top)
    return dict(tally)


def _as_triples(parts: set[tuple[int, str, int]]) -> set[tuple[int, int, int]]:
    by_invoice: dict[int, list[int]] = {}
    for invoice_id, kind, amount in parts:
        slot = by_invoice.setdefault(invoice_id, [0, 0])
        slot[0 if kind == "cash" else 1] += amount
    return {(i, cash, writeoff) for i, (cash, writeoff) in by_invoice.items()}


def _percent(part: int, whole: int) -> str:
    return f"{Decimal(100 * part) / Decimal(max(whole, 1)):.2f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--big", action="store_true", help="5,000 / 50,000 / 10,000")
    args = parser.parse_args()
    sizes = (5_000, 50_000, 10_000) if args.big else (2_000, 10_000, 3_000)
    folder = Path(tempfile.mkdtemp(prefix="duebook-bench-cash-"))
    started = time.perf_counter()
    data = generate(*sizes)
    ledger, statement = folder / "ledger.sqlite3", folder / "statement.xml"
    write_ledger(ledger, data)
    write_statement(statement, data)
    megabytes = statement.stat().st_size / 1e6
    setup = time.perf_counter() - started
    print(f"customers {sizes[0]:,}, open invoices {sizes[1]:,}, lines {sizes[2]:,} "
          f"(set-up {setup:.1f} s, CAMT file {megabytes:.1f} MB)")  # fmt: skip
    uow = UnitOfWork(open_ledger(ledger), actor="bench")
    began = time.perf_counter()
    summary = import_statement(uow, statement)
    imported = time.perf_counter()
    result = reconcile(uow, auto=True)
    done = time.perf_counter()
    print(f"import      {imported - began:6.2f} s  ({summary.new:,} new lines)")
    print(f"reconcile   {done - imported:6.2f} s  ({result.auto_applied:,} applied automatically, "
          f"{result.suggested:,} suggested, {result.unmatched:,} unmatched)")  # fmt: skip
    print(f"total       {done - began:6.2f} s  (target: 10 s for --big)")
    tally = score(ledger, data)
    print(
        f"auto-applied of the lines that pay invoices  {_percent(tally['auto'], tally['paying'])}"
    )
    print(
        f"right among automatic applications        {_percent(tally['auto_right'], tally['auto'])}"
    )
    top3 = _percent(tally["review_hit"], tally["review"])
    print(f"truth among the top 3 of the rest         {top3}")


if __name__ == "__main__":
    main()
