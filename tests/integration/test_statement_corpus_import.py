"""Every real statement imports into a ledger once: a second import finds nothing new."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from app.services.bank_dto import LineFilter
from app.services.bank_import import import_statement
from app.services.bank_queries import list_statement_lines
from app.services.reconciliation import reconcile

CORPUS = Path(__file__).resolve().parents[1] / "data" / "real-statements"
with (CORPUS / "MANIFEST.csv").open(encoding="utf-8", newline="") as manifest:
    ROWS = list(csv.DictReader(manifest))


@pytest.mark.parametrize("row", ROWS, ids=[row["file"] for row in ROWS])
def test_imports_once_with_the_manifest_totals(uow, row):
    path = CORPUS / row["file"]
    first = import_statement(uow, path)
    assert (first.lines, first.new, first.duplicates) == (int(row["transactions"]),) * 2 + (0,)
    assert first.credits_total == Decimal(row["credits_total"])
    assert first.debits_total == Decimal(row["debits_total"])
    again = import_statement(uow, path)
    assert (again.new, again.duplicates) == (0, int(row["transactions"]))
    # Nothing in the corpus pays an invoice of this empty ledger.
    assert reconcile(uow, auto=True).auto_applied == 0
    stored = list_statement_lines(uow, LineFilter())
    assert len(stored) >= first.lines
