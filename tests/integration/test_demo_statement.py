"""The demo statement shows every kind of match when it is dropped on the demo ledger."""

from __future__ import annotations

from collections import Counter

import pytest

from app.services.bank_dto import LineFilter
from app.services.bank_import import import_statement
from app.services.bank_queries import list_statement_lines
from app.services.demo_statement import DEMO_STATEMENT_NAME, write_demo_statement
from app.services.reconciliation import reconcile
from app.services.uow import UnitOfWork
from tests.conftest import TODAY
from tests.integration.test_demo import build


@pytest.fixture(scope="module")
def matched(tmp_path_factory: pytest.TempPathFactory) -> UnitOfWork:
    folder = tmp_path_factory.mktemp("demo-statement")
    uow = build(folder / "demo.sqlite3")
    path = write_demo_statement(uow, folder, TODAY)
    assert path.name == DEMO_STATEMENT_NAME
    summary = import_statement(uow, path)
    assert summary.format == "camt053"
    assert summary.new == summary.lines >= 20
    reconcile(uow, auto=True)
    return uow


def test_every_state_shows(matched):
    states = Counter(row.state for row in list_statement_lines(matched, LineFilter()))
    assert states["auto"] >= 12
    assert states["suggested"] >= 3
    assert states["unmatched"] + states["ignored"] >= 4


def test_reasons_name_the_kinds_of_match(matched):
    reasons = " | ".join(row.reason for row in list_statement_lines(matched, LineFilter()))
    for phrase in ("exact amount", "written as", "one digit", "RF", "bank fee", "already paid"):
        assert phrase in reasons
