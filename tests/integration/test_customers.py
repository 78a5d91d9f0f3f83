from datetime import date
from decimal import Decimal

import pytest

from app.models.money import Money
from app.services.customers import (
    CustomerError,
    CustomerInput,
    add_note,
    add_user,
    get_customer,
    list_customers,
    list_users,
    save_customer,
)
from app.services.dto import ContactView, DraftInvoice, DraftLine
from app.services.invoicing import create_credit_note, create_draft, issue_invoice, record_payment
from tests.conftest import TODAY

ACME = CustomerInput(
    code="ACME",
    name="Ærø Øst Å/S",
    currency="dkk",
    payment_terms_days=14,
    country="dk",
    segment="Key account",
    credit_limit=Decimal("50000"),
    contacts=(
        ContactView("Jens Holm", "jens@aero.example.dk", "", "billing"),
        ContactView("Mette", "ap@aero.example.dk", "", "reminders"),
    ),
    ibans=("DK50 0040 0440 1162 43",),
    aliases=("Ærø Holding",),
)


def test_create_and_read_a_customer_with_contacts_ibans_aliases(uow):
    owner = add_user(uow, "Sam Bookkeeper")
    customer_id = save_customer(uow, CustomerInput(**{**ACME.__dict__, "owner_id": owner}))
    detail = get_customer(uow, customer_id, TODAY)
    assert detail.name == "Ærø Øst Å/S"
    assert detail.currency == "DKK"
    assert detail.country == "DK"
    assert detail.ibans == ("DK5000400440116243",)
    assert detail.aliases == ("Ærø Holding",)
    assert [c.role for c in detail.contacts] == ["billing", "reminders"]
    assert detail.credit_limit == Money(5000000, "DKK")
    assert detail.owner == "Sam Bookkeeper"
    assert list_users(uow) == [(owner, "Sam Bookkeeper")]


def test_the_list_shows_open_and_overdue_balances_per_currency(uow):
    customer_id = save_customer(uow, ACME)
    lines = (DraftLine("Consulting", Decimal(1), Decimal(1000)),)
    for issued in (date(2026, 10, 1), date(2026, 11, 20)):
        issue_invoice(uow, create_draft(uow, DraftInvoice(customer_id, issued, lines)))
    [row] = list_customers(uow, TODAY)
    assert row.open_by_currency == {"DKK": Money(200000, "DKK")}
    assert row.overdue_by_currency == {"DKK": Money(100000, "DKK")}
    assert row.email == "jens@aero.example.dk"
    assert [r.name for r in list_customers(uow, TODAY, search="holding")] == ["Ærø Øst Å/S"]
    detail = get_customer(uow, customer_id, TODAY)
    assert [r.days_overdue for r in detail.open_invoices] == [(TODAY - date(2026, 10, 15)).days, 0]


def test_notes_go_on_the_timeline_newest_first(uow):
    customer_id = save_customer(uow, ACME)
    add_note(uow, customer_id, "Called Jens, invoice approved")
    add_note(uow, customer_id, "Sent copy of INV-1")
    timeline = get_customer(uow, customer_id, TODAY).timeline
    assert [t.summary for t in timeline] == ["Sent copy of INV-1", "Called Jens, invoice approved"]
    assert timeline[0].author == "tester"
    with pytest.raises(CustomerError, match="write something"):
        add_note(uow, customer_id, "  ")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": " "}, "customer_id: a customer needs an id"),
        ({"name": ""}, "name: a customer needs a name"),
        ({"currency": "euro"}, "currency: expected an ISO 4217 code"),
        ({"ibans": ("DK00 1234",)}, "iban: not an IBAN"),
        ({"contacts": (ContactView("x", "not-an-email", "", "billing"),)}, "email:"),
    ],
)
def test_bad_customer_input_names_the_field(uow, change, message):
    with pytest.raises(CustomerError, match=message):
        save_customer(uow, CustomerInput(**{**ACME.__dict__, **change}))
    assert list_customers(uow, TODAY) == []


def test_ids_are_unique_but_a_parent_company_iban_may_pay_for_several(uow):
    save_customer(uow, ACME)
    with pytest.raises(CustomerError, match="already used by another customer"):
        save_customer(uow, CustomerInput(**{**ACME.__dict__, "ibans": ()}))
    other = save_customer(uow, CustomerInput(**{**ACME.__dict__, "code": "OTHER"}))
    assert get_customer(uow, other, TODAY).ibans == ("DK5000400440116243",)


def test_editing_keeps_the_id_and_replaces_contacts(uow):
    customer_id = save_customer(uow, ACME)
    edited = CustomerInput(**{**ACME.__dict__, "name": "Ærø A/S", "contacts": ()})
    assert save_customer(uow, edited, customer_id) == customer_id
    detail = get_customer(uow, customer_id, TODAY)
    assert detail.name == "Ærø A/S"
    assert detail.contacts == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"country": "Germany"}, "country: expected a two-letter ISO code"),
        ({"language": "Deutsch (Österreich)"}, "language: expected a language code"),
        ({"name": "Ærø\nBcc: x@y.example"}, "name: must be one line"),
        ({"code": "X" * 101}, "customer_id: at most 100 characters"),
        (
            {"contacts": (ContactView("x", "a@b.example\nBcc: c@d.example", "", "billing"),)},
            "email:",
        ),
    ],
)
def test_what_the_database_or_a_mail_header_cannot_hold_is_refused(uow, change, message):
    with pytest.raises(CustomerError, match=message):
        save_customer(uow, CustomerInput(**{**ACME.__dict__, **change}))


def test_search_takes_percent_and_underscore_literally(uow):
    save_customer(
        uow, CustomerInput(**{**ACME.__dict__, "code": "ACME_1", "name": "Hundred % Ltd"})
    )
    save_customer(
        uow, CustomerInput(**{**ACME.__dict__, "code": "ACMEX1", "name": "Other", "ibans": ()})
    )
    assert [r.code for r in list_customers(uow, TODAY, search="ACME_")] == ["ACME_1"]
    assert [r.name for r in list_customers(uow, TODAY, search="%")] == ["Hundred % Ltd"]


def test_overpayments_and_unused_credit_show_as_unapplied(uow, clock):
    customer_id = save_customer(uow, ACME)
    lines = (DraftLine("Consulting", Decimal(1), Decimal(100)),)
    first = create_draft(uow, DraftInvoice(customer_id, date(2026, 11, 1), lines))
    issue_invoice(uow, first)
    record_payment(
        uow, customer_id, Money(15000, "DKK"), date(2026, 11, 5), [(first, Money(10000, "DKK"))]
    )
    create_credit_note(uow, first, clock, "Goodwill")
    detail = get_customer(uow, customer_id, TODAY)
    assert detail.unapplied_by_currency == {"DKK": Money(15000, "DKK")}
