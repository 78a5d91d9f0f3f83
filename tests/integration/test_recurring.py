"""Making an issued invoice recurring, listing recurring invoices, stopping one (real SQLite)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.models.activity import AuditEntry
from app.models.invoice import Frequency
from app.models.money import Money
from app.services.clock import FixedClock
from app.services.customers import get_customer
from app.services.dto import DraftInvoice, DraftLine
from app.services.invoice_queries import InvoiceQuery, get_invoice, list_invoices
from app.services.invoicing import (
    InvoicingError,
    create_credit_note,
    create_draft,
    issue_invoice,
    void_invoice,
)
from app.services.recurring import (
    issue_due_recurring,
    list_recurring,
    make_recurring,
    next_period,
    stop_recurring,
)
from tests.conftest import TODAY, add_customer

LINES = (
    DraftLine("Hosting, December", Decimal(1), Decimal("120.00"), Decimal(19)),
    DraftLine("Support hours", Decimal("2.5"), Decimal("80.00"), Decimal(19), Decimal(10)),
)
ISSUED = date(2026, 11, 15)


def _draft(uow, customer_id, issued=ISSUED, description="Hosting and support"):
    draft = DraftInvoice(
        customer_id=customer_id,
        issue_date=issued,
        due_date=issued + timedelta(days=14),
        lines=LINES,
        description=description,
    )
    return create_draft(uow, draft)


def _issued(uow, customer_id, **kwargs):
    invoice_id = _draft(uow, customer_id, **kwargs)
    return invoice_id, issue_invoice(uow, invoice_id)


def test_an_issued_invoice_becomes_a_recurring_invoice_with_its_lines(uow):
    customer = add_customer(uow)
    invoice_id, number = _issued(uow, customer)

    template_id = make_recurring(uow, invoice_id, Frequency.MONTHLY, date(2026, 12, 15))

    invoice = get_invoice(uow, invoice_id, TODAY)
    [row] = list_recurring(uow)
    assert row.id == template_id
    assert row.customer_id == customer
    assert row.customer_name == "Müller & Söhne GmbH"
    assert row.name == "Hosting and support"
    assert row.frequency is Frequency.MONTHLY
    assert row.next_date == date(2026, 12, 15)
    assert row.end_date is None
    assert row.active
    assert row.total == invoice.total
    timeline = [e.summary for e in get_customer(uow, customer, TODAY).timeline]
    assert f"{number} made recurring: issued again monthly from 2026-12-15" in timeline
    with uow:
        audit = uow.session.execute(
            select(AuditEntry.action, AuditEntry.entity_id).where(
                AuditEntry.entity == "recurring_template"
            )
        ).one()
    assert tuple(audit) == ("create", template_id)


def test_the_copies_repeat_the_invoice_and_its_payment_terms(uow):
    customer = add_customer(uow, terms=30)
    invoice_id, _ = _issued(uow, customer)  # due in 14 days, not the customer's 30
    make_recurring(uow, invoice_id, Frequency.MONTHLY, date(2026, 12, 15), date(2027, 1, 31))

    issued = issue_due_recurring(uow, FixedClock(date(2027, 3, 1)))

    assert len(issued) == 2  # 15 Dec and 15 Jan; the end date stops February
    rows = list_invoices(uow, InvoiceQuery(sort_key="issue_date", descending=False), TODAY)
    original = get_invoice(uow, invoice_id, TODAY)
    copies = [get_invoice(uow, r.id, TODAY) for r in rows if r.number in issued]
    assert [c.issue_date for c in copies] == [date(2026, 12, 15), date(2027, 1, 15)]
    assert [c.due_date for c in copies] == [date(2026, 12, 29), date(2027, 1, 29)]
    for copy in copies:
        assert copy.total == original.total
        assert copy.description == "Hosting and support"
        assert [line.description for line in copy.lines] == [line.description for line in LINES]
    [row] = list_recurring(uow)
    assert not row.active


def test_a_recurring_invoice_without_a_description_is_named_after_its_first_line(uow):
    customer = add_customer(uow)
    invoice_id, _ = _issued(uow, customer, description="")

    make_recurring(uow, invoice_id, Frequency.QUARTERLY, date(2027, 2, 15))

    assert list_recurring(uow)[0].name == "Hosting, December"


@pytest.mark.parametrize(
    ("what", "message"),
    [
        ("draft", "still a draft; issue it first"),
        ("void", "is void"),
        ("credit note", "is a credit note"),
    ],
)
def test_only_issued_invoices_become_recurring(uow, what, message):
    customer = add_customer(uow)
    if what == "draft":
        target = _draft(uow, customer)
    else:
        invoice_id, _ = _issued(uow, customer)
        if what == "void":
            void_invoice(uow, invoice_id, "sent twice")
            target = invoice_id
        else:
            target, _ = create_credit_note(uow, invoice_id, FixedClock(TODAY), "too much")

    with pytest.raises(InvoicingError, match=message):
        make_recurring(uow, target, Frequency.MONTHLY, date(2026, 12, 15))

    assert list_recurring(uow) == []


def test_dates_that_make_no_sense_are_refused(uow):
    customer = add_customer(uow)
    invoice_id, number = _issued(uow, customer)

    with pytest.raises(InvoicingError, match=f"must come after {number}"):
        make_recurring(uow, invoice_id, Frequency.MONTHLY, ISSUED)
    with pytest.raises(InvoicingError, match="end date is before the first date"):
        make_recurring(uow, invoice_id, Frequency.MONTHLY, date(2026, 12, 15), date(2026, 12, 1))
    with pytest.raises(InvoicingError, match="no invoice with id 999"):
        make_recurring(uow, 999, Frequency.MONTHLY, date(2026, 12, 15))


def test_a_recurring_copy_is_not_made_recurring_again(uow):
    customer = add_customer(uow)
    invoice_id, _ = _issued(uow, customer)
    make_recurring(uow, invoice_id, Frequency.MONTHLY, date(2026, 12, 15))
    [copy_number] = issue_due_recurring(uow, FixedClock(date(2026, 12, 20)))
    rows = list_invoices(uow, InvoiceQuery(), TODAY)
    copy_id = next(r.id for r in rows if r.number == copy_number)

    with pytest.raises(InvoicingError, match="already a copy of a recurring invoice"):
        make_recurring(uow, copy_id, Frequency.MONTHLY, date(2027, 1, 20))


def test_the_list_is_per_customer_running_first_with_totals_from_the_lines(uow):
    acme = add_customer(uow, "ACME", "Acme")
    brit = add_customer(uow, "BRIT", "Brit Ltd", currency="GBP")
    acme_invoice, _ = _issued(uow, acme)
    brit_invoice, _ = _issued(uow, brit)
    late = make_recurring(uow, acme_invoice, Frequency.YEARLY, date(2027, 11, 15))
    soon = make_recurring(uow, acme_invoice, Frequency.MONTHLY, date(2026, 12, 15))
    stopped = make_recurring(uow, acme_invoice, Frequency.MONTHLY, date(2026, 12, 1))
    make_recurring(uow, brit_invoice, Frequency.QUARTERLY, date(2027, 2, 15))
    stop_recurring(uow, stopped)

    rows = list_recurring(uow, acme)

    assert [r.id for r in rows] == [soon, late, stopped]
    assert [r.active for r in rows] == [True, True, False]
    # 120.00 + 2.5 x 80.00 less 10% = 300.00 net, 19% tax 57.00
    assert rows[0].total == Money(35700, "EUR")
    assert len(list_recurring(uow)) == 4
    assert list_recurring(uow, brit)[0].total == Money(35700, "GBP")
    assert [r.id for r in get_customer(uow, acme, TODAY).recurring] == [soon, late]


def test_a_stopped_recurring_invoice_issues_nothing_more(uow):
    customer = add_customer(uow)
    invoice_id, _ = _issued(uow, customer)
    template_id = make_recurring(uow, invoice_id, Frequency.MONTHLY, date(2026, 12, 15))

    stop_recurring(uow, template_id)
    stop_recurring(uow, template_id)  # once more changes nothing

    assert issue_due_recurring(uow, FixedClock(date(2027, 3, 1))) == []
    assert not list_recurring(uow)[0].active
    detail = get_customer(uow, customer, TODAY)
    assert detail.recurring == ()
    stops = [e.summary for e in detail.timeline if "stopped" in e.summary]
    assert stops == ["Recurring invoice Hosting and support stopped"]
    with uow:
        audits = uow.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity == "recurring_template")
        ).all()
    assert audits == ["create", "stop"]
    with pytest.raises(InvoicingError, match="no recurring invoice with id 999"):
        stop_recurring(uow, 999)


@pytest.mark.parametrize(
    ("frequency", "day", "expected"),
    [
        (Frequency.MONTHLY, date(2026, 11, 23), date(2026, 12, 23)),
        (Frequency.MONTHLY, date(2027, 1, 31), date(2027, 2, 28)),
        (Frequency.QUARTERLY, date(2026, 11, 30), date(2027, 2, 28)),
        (Frequency.YEARLY, date(2028, 2, 29), date(2029, 2, 28)),
    ],
)
def test_next_period(frequency, day, expected):
    assert next_period(day, frequency) == expected
