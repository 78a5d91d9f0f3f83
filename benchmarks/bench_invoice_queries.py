"""The invoice list's SQL, without the window: one page of 200 rows per sort and filter.

Run ``python benchmarks/bench_invoice_queries.py [--customers N] [--invoices N] [--fresh]``. It
uses the same cached ledger as ``bench_window.py`` (100,000 invoices, 10,000 customers) and prints
the best of three runs of each query. The window's budget for the first screen is 150 ms, so the
SQL should stay well under it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from app.models.db import open_ledger
from app.models.invoice import InvoiceStatus
from app.services.invoice_queries import (
    SORT_KEYS,
    InvoiceQuery,
    count_invoices,
    list_invoices,
    totals_by_currency,
)
from app.services.uow import UnitOfWork

sys.path.insert(0, str(Path(__file__).parent))
from generate_ledger import cached_ledger

TODAY = date(2026, 11, 23)
BUDGET_MS = 150


def best_ms(run: Callable[[], object], tries: int = 3) -> float:
    best = float("inf")
    for _ in range(tries):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--fresh", action="store_true", help="generate the ledger again")
    args = parser.parse_args()
    uow = UnitOfWork(open_ledger(cached_ledger(args.customers, args.invoices, TODAY, args.fresh)))

    def page(query: InvoiceQuery, offset: int = 0) -> Callable[[], object]:
        return lambda: list_invoices(uow, query, TODAY, offset, 200)

    cases: list[tuple[str, Callable[[], object]]] = [
        (
            f"sort {key} {'desc' if desc else 'asc'}",
            page(InvoiceQuery(sort_key=key, descending=desc)),
        )
        for key in SORT_KEYS
        for desc in (False, True)
    ]
    for status in (InvoiceStatus.OVERDUE, InvoiceStatus.OPEN, InvoiceStatus.PAID):
        chosen = frozenset({status})
        cases.append((f"filter {status.value}", page(InvoiceQuery(statuses=chosen))))
        by_open = InvoiceQuery(statuses=chosen, sort_key="open_amount")
        cases.append((f"filter {status.value}, sorted by open", page(by_open)))
    overdue = InvoiceQuery(statuses=frozenset({InvoiceStatus.OVERDUE}))
    cases += [
        ("search 'GmbH'", page(InvoiceQuery(search="GmbH"))),
        ("search an invoice number", page(InvoiceQuery(search="INV-2026-0004"))),
        ("last page", page(InvoiceQuery(), offset=99_800)),
        ("count all (after the page)", lambda: count_invoices(uow, InvoiceQuery(), TODAY)),
        ("count overdue (after the page)", lambda: count_invoices(uow, overdue, TODAY)),
        ("totals (after the page)", lambda: totals_by_currency(uow, InvoiceQuery(), TODAY)),
    ]
    over = 0
    for label, run in cases:
        ms = best_ms(run)
        flag = "  > budget" if ms > BUDGET_MS and "after the page" not in label else ""
        over += bool(flag)
        print(f"{label:44} {ms:8.1f} ms{flag}")
    print(f"{len(cases)} queries, {over} over the {BUDGET_MS} ms budget for a first screen")
    return 0


if __name__ == "__main__":
    sys.exit(main())
