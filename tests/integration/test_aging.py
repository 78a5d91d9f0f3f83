"""Aging buckets per customer and currency, on a real ledger file."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from app.models.money import Money
from app.services.aging import BUCKETS, aging_by_customer, aging_of_customer, bucket_of
from app.services.clock import FixedClock
from app.services.customers import CustomerError
from app.services.dto import DraftInvoice, DraftLine
from app.services.invoicing import create_credit_note, create_draft, issue_invoice, record_payment
from tests.conftest import TODAY, add_customer


def invoice(uow, customer_id, gross, due, currency=None):
    """An issued invoice of ``gross`` (no tax) falling due on ``due``; returns its id."""
    draft = DraftInvoice(
        customer_id=customer_id,
        issue_date=due - timedelta(days=30),
        due_date=due,
        lines=(DraftLine("Consulting", Decimal(1), Decimal(gross)),),
        currency=currency,
    )
    invoice_id = create_draft(uow, draft)
    issue_invoice(uow, invoice_id)
    return invoice_id


def days_ago(days):
    return TODAY - timedelta(days=days)


def eur(text):
    return Money.of(text, "EUR")


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-10, "current"),
        (0, "current"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "90+"),
        (1000, "90+"),
    ],
)
def test_bucket_of(days, bucket):
    assert bucket_of(days) == bucket


def test_open_amounts_fall_into_their_buckets(uow):
    customer = add_customer(uow)
    invoice(uow, customer, "100.00", TODAY + timedelta(days=5))
    invoice(uow, customer, "10.00", TODAY)  # due today: still current
    invoice(uow, customer, "200.00", days_ago(1))
    invoice(uow, customer, "300.00", days_ago(30))
    invoice(uow, customer, "400.00", days_ago(31))
    invoice(uow, customer, "500.00", days_ago(75))
    invoice(uow, customer, "600.00", days_ago(90))
    invoice(uow, customer, "700.00", days_ago(91))

    [row] = aging_by_customer(uow, TODAY)
    amounts = row.by_currency["EUR"]
    assert list(amounts.buckets) == list(BUCKETS)
    assert amounts.buckets == {
        "current": eur("110.00"),
        "1-30": eur("500.00"),
        "31-60": eur("400.00"),
        "61-90": eur("1100.00"),
        "90+": eur("700.00"),
    }
    assert amounts.total_open == eur("2810.00")
    assert amounts.overdue == eur("2700.00")
    assert (row.customer_id, row.name) == (customer, "Müller & Söhne GmbH")


def test_payments_and_credit_notes_are_netted_and_the_rest_is_unapplied(uow):
    customer = add_customer(uow)
    paid_in_part = invoice(uow, customer, "1000.00", days_ago(45))
    credited = invoice(uow, customer, "250.00", days_ago(10))
    invoice(uow, customer, "80.00", days_ago(100))
    # 400 of a 500 payment go to the invoice; 100 stays on account.
    record_payment(uow, customer, eur("500.00"), days_ago(3), [(paid_in_part, eur("400.00"))])
    create_credit_note(uow, credited, FixedClock(TODAY), "damaged goods")

    amounts = aging_of_customer_in(uow, customer).by_currency["EUR"]
    assert amounts.buckets["31-60"] == eur("600.00")
    assert amounts.buckets["1-30"] == Money.zero("EUR")
    assert amounts.buckets["90+"] == eur("80.00")
    assert amounts.total_open == eur("680.00")
    assert amounts.unapplied == eur("100.00")
    assert amounts.balance == eur("580.00")


def test_credit_beyond_what_was_open_is_unapplied(uow):
    customer = add_customer(uow)
    half_paid = invoice(uow, customer, "300.00", days_ago(5))
    record_payment(uow, customer, eur("200.00"), days_ago(2), [(half_paid, eur("200.00"))])
    # The credit note credits 300 of which only 100 were open: 200 stays as credit.
    create_credit_note(uow, half_paid, FixedClock(TODAY), "cancelled order")
    [row] = aging_by_customer(uow, TODAY)
    amounts = row.by_currency["EUR"]
    assert amounts.total_open == Money.zero("EUR")
    assert amounts.unapplied == eur("200.00")
    assert amounts.balance == eur("-200.00")


def test_currencies_are_kept_apart_and_can_be_filtered(uow):
    alpha = add_customer(uow, "A1", "Alpha Ltd", currency="GBP", country="GB")
    beta = add_customer(uow, "B1", "beta GmbH")
    invoice(uow, alpha, "100.00", days_ago(40))
    invoice(uow, alpha, "70.00", days_ago(5), currency="EUR")
    invoice(uow, beta, "50.00", days_ago(2))
    record_payment(uow, beta, eur("20.00"), days_ago(1))

    rows = aging_by_customer(uow, TODAY)
    assert [r.name for r in rows] == ["Alpha Ltd", "beta GmbH"]
    assert set(rows[0].by_currency) == {"EUR", "GBP"}
    assert rows[0].by_currency["GBP"].buckets["31-60"] == Money.of("100.00", "GBP")
    assert rows[0].by_currency["EUR"].buckets["1-30"] == eur("70.00")
    assert rows[1].by_currency["EUR"].unapplied == eur("20.00")

    only_gbp = aging_by_customer(uow, TODAY, currency="GBP")
    assert [(r.customer_id, set(r.by_currency)) for r in only_gbp] == [(alpha, {"GBP"})]


def test_settled_drafts_and_void_invoices_are_left_out(uow):
    settled = add_customer(uow, "S1", "Settled AG")
    paid = invoice(uow, settled, "90.00", days_ago(20))
    record_payment(uow, settled, eur("90.00"), days_ago(1), [(paid, eur("90.00"))])
    create_draft(
        uow,
        DraftInvoice(settled, days_ago(60), (DraftLine("Draft", Decimal(1), Decimal(5)),)),
    )
    assert aging_by_customer(uow, TODAY) == []
    assert aging_of_customer_in(uow, settled).by_currency == {}


def test_an_unknown_customer_is_named(uow):
    with uow, pytest.raises(CustomerError, match="no customer with id 999"):
        aging_of_customer(uow.session, 999, TODAY)


def aging_of_customer_in(uow, customer_id, today=TODAY):
    with uow:
        return aging_of_customer(uow.session, customer_id, today)
