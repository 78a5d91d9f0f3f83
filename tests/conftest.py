"""Shared fixtures: a real SQLite ledger file in a temporary folder, a unit of work, a clock."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from app.models.customer import Customer
from app.models.db import SessionFactory, open_ledger
from app.services.clock import FixedClock
from app.services.uow import UnitOfWork

pytest_plugins = ["tests.smtp_fixtures"]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# No test touches the real keyring: without the `test_keyring` fixture every keyring call fails
# as on a machine without one (keyrings.alt, installed for tests, would otherwise write a file
# in the home folder).
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
os.environ["DUEBOOK_ALLOW_PLAIN_KEYRING"] = "1"  # the test_keyring fixture is a PlaintextKeyring

TODAY = date(2026, 11, 23)


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.sqlite3"


@pytest.fixture
def session_factory(ledger_path: Path) -> SessionFactory:
    return open_ledger(ledger_path)


@pytest.fixture
def uow(session_factory: SessionFactory) -> UnitOfWork:
    return UnitOfWork(session_factory, actor="tester")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TODAY)


def add_customer(
    uow: UnitOfWork,
    code: str = "C001",
    name: str = "Müller & Söhne GmbH",
    currency: str = "EUR",
    terms: int = 30,
    country: str = "DE",
) -> int:
    """A customer straight into the ledger, for tests that need one."""
    with uow:
        customer = Customer(
            code=code, name=name, currency=currency, payment_terms_days=terms, country=country
        )
        uow.session.add(customer)
        uow.commit()
        return customer.id
