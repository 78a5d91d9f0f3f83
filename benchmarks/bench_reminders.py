"""The worklist and a reminder pass at scale: 10,000 customers and 100,000 invoices.

Run ``python -m benchmarks.bench_reminders [--customers N] [--invoices N] [--fresh]``. It copies
the cached ledger of ``generate_ledger.py`` (about 15 % of the invoices open, many overdue), puts
the customers into segments, opens disputes on some invoices and records promises to pay, then
prints the best of three worklist builds (and of each of its stages: reading the snapshot, the
engine's decisions, the ranked rows) and the time of one real reminder pass (decisions,
rendering every letter, writing the outbox) on the copy. Budgets (issue 4): worklist 1 s,
reminder pass 5 s.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import text

from app.models.db import open_ledger
from app.services.reminders.engine import decide_reminders
from app.services.reminders.run import run_reminders
from app.services.reminders.snapshot import load_snapshot
from app.services.settings import save_settings
from app.services.uow import UnitOfWork
from app.services.worklist import build_worklist, load_worklist

sys.path.insert(0, str(Path(__file__).parent))
from generate_ledger import cached_ledger

TODAY = date(2026, 11, 23)
WORKLIST_BUDGET_S = 1.0
PASS_BUDGET_S = 5.0


def _prepare(path: Path) -> UnitOfWork:
    """Segments, disputes and promises on the copy, as a ledger in use has them."""
    uow = UnitOfWork(open_ledger(path), actor="bench")
    save_settings(uow, {"company.name": "Bench GmbH", "company.email": "ar@bench.example"})
    promised = (TODAY + timedelta(days=3)).isoformat()
    with uow:
        for statement in (
            "UPDATE customers SET segment = 'Key account' WHERE id % 10 = 0",
            "UPDATE customers SET segment = 'New customer' WHERE id % 10 = 1",
            "UPDATE customers SET segment = 'Standard' WHERE segment = ''",
            "UPDATE customers SET reminders_paused_until = '2026-12-12', "
            "reminders_pause_reason = 'CFO on holiday' WHERE id % 97 = 0",
            "INSERT INTO disputes (invoice_id, customer_id, reason, waiting_on, state, opened_on,"
            " resolution) SELECT id, customer_id, 'price', 'a credit note', 'open',"
            " '2026-11-01', '' FROM invoices"
            " WHERE kind = 'invoice' AND state = 'issued' AND id % 53 = 0",
            "INSERT INTO promises_to_pay (customer_id, amount_minor, currency, promised_date,"
            " invoice_ids, taken_by, taken_at, note, state, paid_minor) SELECT id, 10000,"
            " currency, :promised, '[]', 'bench', '2026-11-20 09:00:00', '', 'open', 0"
            " FROM customers WHERE id % 41 = 0",
        ):
            uow.session.execute(text(statement), {"promised": promised})
        uow.commit()
    return uow


def _worklist_stages(uow: UnitOfWork) -> tuple[float, float, float]:
    """The best of three of each stage of ``load_worklist``: snapshot, engine, worklist rows."""
    best = [float("inf")] * 3
    for _ in range(3):
        started = time.perf_counter()
        snapshot = load_snapshot(uow)
        read = time.perf_counter()
        plan = decide_reminders(snapshot, TODAY)
        decided = time.perf_counter()
        build_worklist(snapshot, plan, TODAY)
        built = time.perf_counter()
        times = (read - started, decided - read, built - decided)
        best = [min(b, t) for b, t in zip(best, times, strict=True)]
    return best[0], best[1], best[2]


def main(argv: list[str] | None = None) -> int:
    """Print the figures; exit 1 when a budget is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--fresh", action="store_true", help="generate the ledger again")
    args = parser.parse_args(argv)
    source = cached_ledger(args.customers, args.invoices, TODAY, fresh=args.fresh)
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "ledger.sqlite3"
        shutil.copy(source, copy)
        uow = _prepare(copy)
        best = float("inf")
        rows = []
        for _ in range(3):
            started = time.perf_counter()
            rows = load_worklist(uow, TODAY)
            best = min(best, time.perf_counter() - started)
        due = sum(1 for r in rows if r.due_today)
        read, decide, build = _worklist_stages(uow)
        print(
            f"worklist: {len(rows):,} customers ({due:,} due today) in {best:.3f} s "
            f"(budget {WORKLIST_BUDGET_S:.1f} s; best of three per stage: read {read:.3f} s, "
            f"decide {decide:.3f} s, build {build:.3f} s)"
        )
        started = time.perf_counter()
        result = run_reminders(uow, TODAY)
        elapsed = time.perf_counter() - started
        emails = sum(1 for d in result.decisions if d.email is not None)
        print(
            f"reminder pass: {emails:,} letters rendered and queued, {result.tasks:,} tasks, "
            f"{len(result.skipped):,} held back, in {elapsed:.3f} s (budget {PASS_BUDGET_S:.1f} s)"
        )
    return 0 if best <= WORKLIST_BUDGET_S and elapsed <= PASS_BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
