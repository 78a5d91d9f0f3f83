"""A customer's timeline, newest first and filtered by kind, on a real ledger file."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.models.money import Money
from app.services.customers import add_note, get_customer
from app.services.dto import DraftInvoice, DraftLine
from app.services.invoicing import create_draft, issue_invoice, record_payment
from app.services.timeline import TIMELINE_KINDS, TimelineError, list_timeline
from tests.conftest import TODAY, add_customer


@pytest.fixture
def customer(uow):
    customer_id = add_customer(uow)
    draft = DraftInvoice(
        customer_id, date(2026, 10, 1), (DraftLine("Work", Decimal(1), Decimal(100)),)
    )
    invoice_id = create_draft(uow, draft)
    issue_invoice(uow, invoice_id)
    record_payment(uow, customer_id, Money(4000, "EUR"), TODAY - timedelta(days=1))
    add_note(uow, customer_id, "Asked for a copy of the invoice")
    return customer_id


def test_newest_first_and_filtered_by_kind(uow, customer):
    entries = list_timeline(uow, customer)
    kinds = [e.kind for e in entries]
    assert set(kinds) == {"invoice", "payment", "note"}
    times = [e.occurred_at for e in entries]
    assert times == sorted(times, reverse=True)
    assert kinds[0] == "note"
    assert entries[0].author == "tester"
    only = list_timeline(uow, customer, kinds={"payment", "note"})
    assert [e.kind for e in only] == ["note", "payment"]
    assert len(list_timeline(uow, customer, limit=1)) == 1
    # The customer view shows the same events.
    assert get_customer(uow, customer, TODAY).timeline == tuple(entries)


def test_every_kind_the_ledger_writes_has_a_label():
    written = {"invoice", "payment", "credit_note", "write_off", "note"}
    collections = {"reminder", "call", "promise", "dispute", "task", "pause", "policy"}
    assert written | collections <= TIMELINE_KINDS.keys()
    assert all(label.strip() for label in TIMELINE_KINDS.values())


@pytest.mark.parametrize(
    ("customer_id", "kinds", "limit", "message"),
    [
        (999, None, 500, "customer: there is no customer with id 999"),
        (None, {"payment", "gossip"}, 500, "kinds: unknown gossip"),
        (None, None, 0, "limit: at least 1"),
    ],
)
def test_bad_requests_are_named(uow, customer, customer_id, kinds, limit, message):
    with pytest.raises(TimelineError, match=message):
        list_timeline(uow, customer_id or customer, kinds, limit)
