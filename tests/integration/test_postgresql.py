"""The same models and services on PostgreSQL (DESIGN.md: a team that outgrows one laptop).

Runs when ``DUEBOOK_TEST_POSTGRES_URL`` names an empty database it may wipe, e.g.
``postgresql+psycopg://duebook@127.0.0.1:55432/duebook_test`` (``.ci/run`` starts one).
"""

import os
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.models.db import head_revision, make_engine, make_session_factory, migrate
from app.models.invoice import Frequency, InvoiceStatus
from app.models.money import Money
from app.services.clock import FixedClock
from app.services.customers import CustomerInput, list_customers, save_customer
from app.services.dto import DraftInvoice, DraftLine
from app.services.invoice_queries import InvoiceQuery, list_invoices, totals_by_currency
from app.services.invoicing import create_credit_note, create_draft, issue_invoice, record_payment
from app.services.recurring import create_recurring_template, issue_due_recurring
from app.services.uow import UnitOfWork

URL = os.environ.get("DUEBOOK_TEST_POSTGRES_URL", "")
TODAY = date(2026, 11, 23)

pytestmark = pytest.mark.skipif(not URL, reason="DUEBOOK_TEST_POSTGRES_URL is not set")


@pytest.fixture
def pg_uow():
    engine = make_engine(URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    migrate(engine)
    yield UnitOfWork(make_session_factory(engine), actor="tester")
    engine.dispose()


def test_the_ledger_works_on_postgresql(pg_uow):
    uow = pg_uow
    with uow:
        assert uow.session.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            head_revision()
        )
    customer = save_customer(uow, CustomerInput("C1", "Łódź Spółka", "EUR", 14, country="PL"))
    lines = (DraftLine("Consulting", Decimal(2), Decimal("100.00"), Decimal(23)),)
    invoices = [
        create_draft(uow, DraftInvoice(customer, date(2026, 10, day), lines)) for day in (1, 2, 3)
    ]
    assert [issue_invoice(uow, i) for i in invoices[:2]] == ["INV-2026-00001", "INV-2026-00002"]
    record_payment(
        uow, customer, Money(24600, "EUR"), date(2026, 10, 10), [(invoices[0], Money(24600, "EUR"))]
    )
    create_credit_note(uow, invoices[1], FixedClock(TODAY), "Cancelled")
    create_recurring_template(uow, customer, Frequency.MONTHLY, date(2026, 9, 30), list(lines))
    assert len(issue_due_recurring(uow, FixedClock(TODAY))) == 2

    rows = list_invoices(uow, InvoiceQuery(sort_key="number", descending=False), TODAY)
    assert [r.status for r in rows] == [
        InvoiceStatus.CREDIT_NOTE,
        InvoiceStatus.PAID,
        InvoiceStatus.CREDITED,
        InvoiceStatus.OVERDUE,
        InvoiceStatus.OVERDUE,
        InvoiceStatus.DRAFT,
    ]
    by_open = list_invoices(uow, InvoiceQuery(sort_key="open_amount"), TODAY)
    assert by_open[0].open_amount == Money(24600, "EUR")
    assert totals_by_currency(uow, InvoiceQuery(), TODAY) == {"EUR": Money(49200, "EUR")}
    assert list_customers(uow, TODAY, search="spółka")[0].overdue_by_currency == {
        "EUR": Money(49200, "EUR")
    }
    with uow, pytest.raises(DBAPIError, match="append-only"):
        uow.session.execute(text("DELETE FROM audit_log"))
