"""The statement of account PDF, read back with pypdf."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader

from app.models.customer import Customer
from app.models.money import Money
from app.services.clock import FixedClock
from app.services.customers import CustomerError
from app.services.dto import DraftInvoice, DraftLine
from app.services.invoicing import create_credit_note, create_draft, issue_invoice, record_payment
from app.services.pdf_statement import statement_pdf_bytes, write_statement_pdf
from app.services.settings import save_settings
from tests.conftest import TODAY, add_customer

COMPANY = {
    "company.name": "Duebook Demo GmbH",
    "company.address": "Hauptstraße 1\n10115 Berlin",
    "company.country": "DE",
    "company.iban": "DE89370400440532013000",
    "company.bic": "COBADEFFXXX",
    "company.bank_name": "Commerzbank",
    "invoice.payment_link": "https://pay.example.com/{number}?amount={amount}",
}


def invoice(uow, customer_id, gross, due, currency=None):
    draft = DraftInvoice(
        customer_id=customer_id,
        issue_date=due - timedelta(days=30),
        due_date=due,
        lines=(DraftLine("Consulting", Decimal(1), Decimal(gross)),),
        currency=currency,
    )
    invoice_id = create_draft(uow, draft)
    number = issue_invoice(uow, invoice_id)
    return invoice_id, number


def set_language(uow, customer_id, language, address=""):
    with uow:
        customer = uow.session.get_one(Customer, customer_id)
        customer.language, customer.address = language, address
        uow.commit()


def pdf_text(data):
    reader = PdfReader(io.BytesIO(data))
    return [page.extract_text() for page in reader.pages], reader


def statement(uow, customer_id, today=TODAY):
    with uow:
        return statement_pdf_bytes(uow.session, customer_id, today)


@pytest.fixture
def ledger(uow):
    save_settings(uow, COMPANY)
    customer = add_customer(uow, "K-100", "Acme Ltd", country="GB")
    set_language(uow, customer, "en", "1 High Street\nLondon")
    old_id, old = invoice(uow, customer, "1200.00", TODAY - timedelta(days=45))
    _, recent = invoice(uow, customer, "350.50", TODAY - timedelta(days=5))
    _, future = invoice(uow, customer, "99.00", TODAY + timedelta(days=10))
    _, dollars = invoice(uow, customer, "500.00", TODAY - timedelta(days=100), currency="USD")
    record_payment(
        uow, customer, Money.of("250.00", "EUR"), TODAY, [(old_id, Money.of("200.00", "EUR"))]
    )
    return {"customer": customer, "numbers": (old, recent, future, dollars)}


def test_english_statement_lists_open_items_aging_and_how_to_pay(uow, ledger):
    pages, reader = pdf_text(statement(uow, ledger["customer"]))
    text = "\n".join(pages)
    assert len(pages) == 1
    assert "Statement of account" in text
    assert "Duebook Demo GmbH" in text
    assert "Acme Ltd" in text
    assert "London" in text
    assert "K-100" in text
    assert "Nov 23, 2026" in text
    for number in ledger["numbers"]:
        assert number in text
    # 1,200.00 less 200.00 paid, 45 days overdue; the rest of the payment is unapplied.
    assert "€1,200.00" in text
    assert "€1,000.00" in text
    assert "45" in text
    assert "Open amounts by age" in text
    assert "31-60 days overdue" in text
    assert "$500.00" in text  # in its own currency column, 90+ days
    assert "Total open" in text
    assert "€1,449.50" in text  # 1,000.00 + 350.50 + 99.00
    assert "-€50.00" in text  # unapplied cash
    assert "€1,399.50" in text  # the balance
    assert "DE89 3704 0044 0532 0130 00" in text
    assert "COBADEFFXXX" in text
    assert "RF" in text
    assert "Please pay the overdue €1,350.50, $500.00 now." in text
    links = [
        annotation.get_object()["/A"]["/URI"]
        for annotation in reader.pages[0].get("/Annots", [])
        if annotation.get_object().get("/Subtype") == "/Link"
    ]
    old = ledger["numbers"][0]
    assert f"https://pay.example.com/{old}?amount=1000.00" in links


def test_german_statement_is_in_german(uow, ledger):
    set_language(uow, ledger["customer"], "de")
    text = "\n".join(pdf_text(statement(uow, ledger["customer"]))[0])
    assert "Kontoauszug" in text
    assert "Rechnungsnummer" in text
    assert "Tage überfällig" in text
    assert "Summe offen" in text
    assert "1.000,00 €" in text
    assert "23.11.2026" in text
    assert "Statement of account" not in text


@pytest.mark.parametrize(
    ("language", "word"),
    [("fr", "Relevé de compte"), ("es", "Extracto de cuenta"), ("nl", "Rekeningoverzicht")],
)
def test_other_languages(uow, ledger, language, word):
    set_language(uow, ledger["customer"], language)
    assert word in "\n".join(pdf_text(statement(uow, ledger["customer"]))[0])


def test_two_hundred_open_invoices_flow_over_pages(uow):
    customer = add_customer(uow, "BIG", "Big Buyer AG")
    numbers = [
        invoice(uow, customer, f"{100 + i}.00", TODAY - timedelta(days=i))[1] for i in range(200)
    ]
    pages, _ = pdf_text(statement(uow, customer))
    assert len(pages) >= 4
    text = "\n".join(pages)
    assert all(number in text for number in numbers)
    for page in pages[1:]:
        assert "Invoice no.\nIssue date\nDue date" in page  # the table's heading again
        assert "Statement of account · Big Buyer AG" in page  # the running header
    assert f"Page {len(pages)} of" in pages[-1]
    # 100.00 + ... + 299.00
    assert "€39,900.00" in text


def test_nothing_open(uow):
    customer = add_customer(uow, "Z", "Zero Ltd")
    text = "\n".join(pdf_text(statement(uow, customer))[0])
    assert "There are no open items on your account." in text
    assert "Open amounts by age" not in text


def test_credit_only_shows_the_balance(uow):
    customer = add_customer(uow, "CR", "Credit SARL")
    invoice_id, _ = invoice(uow, customer, "300.00", TODAY - timedelta(days=3))
    record_payment(
        uow, customer, Money.of("300.00", "EUR"), TODAY, [(invoice_id, Money.of("300.00", "EUR"))]
    )
    create_credit_note(uow, invoice_id, FixedClock(TODAY), "returned")
    text = "\n".join(pdf_text(statement(uow, customer))[0])
    assert "no open items" in text
    assert "-€300.00" in text


def test_write_to_a_file_and_unknown_customer(uow, ledger, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    path = write_statement_pdf(uow, ledger["customer"], TODAY, folder / "statement.pdf")
    assert path.read_bytes().startswith(b"%PDF")
    assert list(folder.iterdir()) == [path]
    with pytest.raises(CustomerError, match="no customer with id 999"):
        write_statement_pdf(uow, 999, TODAY, folder / "nobody.pdf")
    assert list(folder.iterdir()) == [path]
