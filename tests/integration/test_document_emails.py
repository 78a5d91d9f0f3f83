"""Invoices, credit notes and receipts by email, sent to a real local SMTP server.

The ledger is made through the services; the server is the STARTTLS one of
``tests/smtp_server.py`` and its password sits in a keyring under ``tmp_path``.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.models.activity import Activity
from app.models.collections import OutboxItem, OutboxState
from app.models.invoice import Frequency, Invoice
from app.models.money import Money
from app.services.audit import event_time
from app.services.bank_dto import LineFilter, ManualAllocation
from app.services.bank_import import import_statement
from app.services.bank_queries import list_statement_lines
from app.services.cash_application import apply_line
from app.services.clock import FixedClock
from app.services.customers import CustomerInput, save_customer
from app.services.daily_pass import run_daily_pass
from app.services.document_emails import (
    RECENT_COPY_DAYS,
    DocumentEmailError,
    preview_document_email,
    queue_document_email,
    queue_issued_invoice_emails,
    queue_recurring_emails,
    send_now,
)
from app.services.dto import ContactView, DraftInvoice, DraftLine
from app.services.iban import creditor_reference
from app.services.invoice_queries import get_invoice
from app.services.invoicing import create_credit_note, create_draft, issue_invoice, record_payment
from app.services.mail.password import store_password
from app.services.recurring import create_recurring_template, issue_due_recurring
from app.services.settings import save_settings
from app.services.statements.camt_writer import write_camt053
from app.services.statements.parsed import ParsedLine
from app.services.uow import UnitOfWork
from tests.conftest import TODAY
from tests.smtp_server import LocalSmtpServer

COMPANY_IBAN = "DE89370400440532013000"
DASH = "\u2013"  # the en dash between a subject's parts


@dataclass(frozen=True)
class Ledger:
    """The customers of the test ledger by short name."""

    uow: UnitOfWork
    server: LocalSmtpServer
    mueller: int
    acme: int
    nomail: int


def _customer(
    uow: UnitOfWork,
    code: str,
    name: str,
    language: str,
    contacts: tuple[ContactView, ...],
    *,
    by_email: bool = False,
) -> int:
    return save_customer(
        uow,
        CustomerInput(
            code=code,
            name=name,
            currency="EUR",
            payment_terms_days=30,
            country="DE",
            language=language,
            contacts=contacts,
            invoices_by_email=by_email,
        ),
    )


def _invoice(uow: UnitOfWork, customer_id: int, price: str, *, issue: bool = True) -> int:
    invoice_id = create_draft(
        uow,
        DraftInvoice(
            customer_id=customer_id,
            issue_date=TODAY - timedelta(days=3),
            due_date=TODAY + timedelta(days=27),
            lines=(DraftLine("Wartung Maschinenpark", Decimal(1), Decimal(price), Decimal(19)),),
        ),
    )
    if issue:
        issue_invoice(uow, invoice_id)
    return invoice_id


@pytest.fixture
def ledger(uow: UnitOfWork, smtp_server: LocalSmtpServer, test_keyring: object) -> Ledger:
    save_settings(
        uow,
        {
            "company.name": "Duebook Demo GmbH",
            "company.email": "ar@duebook.example",
            "company.country": "DE",
            "company.iban": COMPANY_IBAN,
            "smtp.host": smtp_server.host,
            "smtp.port": str(smtp_server.port),
            "smtp.user": smtp_server.user,
            "smtp.from": "ar@duebook.example",
            "smtp.from_name": "Duebook Demo GmbH",
            "smtp.ca_file": str(smtp_server.cafile),
            "smtp.per_minute": "0",
        },
    )
    store_password(smtp_server.host, smtp_server.user, smtp_server.password)
    mueller = _customer(
        uow,
        "MUELLER",
        "Müller & Söhne GmbH",
        "de",
        (
            ContactView("Jürgen Weiß", "buchhaltung@mueller.example", "", "billing"),
            ContactView("Eva Roth", "einkauf@mueller.example", "", "other"),
        ),
    )
    acme = _customer(
        uow, "ACME", "Acme Trading Ltd", "en",
        (ContactView("", "ap@acme.example", "", "billing"),),
    )  # fmt: skip
    nomail = _customer(uow, "NOMAIL", "Ohne Post KG", "de", ())
    return Ledger(uow, smtp_server, mueller, acme, nomail)


def _pdf_text(message: EmailMessage) -> tuple[str, str]:
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    data = part.get_content()
    assert isinstance(data, bytes)
    reader = PdfReader(io.BytesIO(data))
    return part.get_filename() or "", "\n".join(page.extract_text() for page in reader.pages)


def _body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def _header_bytes(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0]


def _outbox(uow: UnitOfWork) -> list[OutboxItem]:
    with uow:
        items = list(uow.session.scalars(select(OutboxItem).order_by(OutboxItem.id)))
        uow.session.expunge_all()
    return items


def _timeline(uow: UnitOfWork, customer_id: int) -> list[str]:
    with uow:
        return list(
            uow.session.scalars(
                select(Activity.summary)
                .where(Activity.customer_id == customer_id)
                .order_by(Activity.id)
            )
        )


# --- an invoice by hand --------------------------------------------------------------------


def test_an_issued_invoice_arrives_with_its_pdf_in_the_customers_language(ledger: Ledger) -> None:
    uow = ledger.uow
    invoice_id = _invoice(uow, ledger.mueller, "1000.00")
    item_id = queue_document_email(uow, invoice_id, TODAY)
    [item] = _outbox(uow)
    number = item.subject.split()[1]
    assert (item.id, item.kind, item.key) == (item_id, "invoice", f"document:{invoice_id}:1")
    assert item.attach_invoices
    assert item.to_addrs == "buchhaltung@mueller.example"
    assert f"Invoice {number} queued for email to buchhaltung@mueller.example" in _timeline(
        uow, ledger.mueller
    )

    words = send_now(uow, item_id, TODAY)

    assert words == "Sent the invoice to buchhaltung@mueller.example."
    [received] = ledger.server.messages
    message = received.message
    assert received.rcpt_tos == ["buchhaltung@mueller.example"]
    assert message["Subject"] == f"Rechnung {number} {DASH} Müller & Söhne GmbH"
    # Non-ASCII travels encoded: the raw header block is plain ASCII.
    headers = _header_bytes(received.raw)
    headers.decode("ascii")
    assert b"=?utf-8?" in headers.lower()
    text = _body(message, "plain")
    assert text.startswith("Guten Tag Jürgen Weiß,\n\nanbei erhalten Sie unsere Rechnung")
    assert "Zu zahlender Betrag: 1.190,00\xa0€" in text
    assert f"Verwendungszweck: {creditor_reference(number)}" in text
    assert "IBAN DE89 3704 0044 0532 0130 00" in text
    assert "Mit freundlichen Grüßen\n\nDuebook Demo GmbH\nar@duebook.example" in text
    html = _body(message, "html")
    assert "Müller &amp; Söhne" not in html  # the name is not in the HTML body at all
    assert f"<strong>{number}</strong>" in html
    filename, pdf = _pdf_text(message)
    assert filename == f"{number}.pdf"
    assert number in pdf
    assert "1.190,00" in pdf
    [sent] = _outbox(uow)
    assert sent.state == OutboxState.SENT


def test_an_english_customer_gets_english_words_and_a_payment_link(ledger: Ledger) -> None:
    uow = ledger.uow
    save_settings(uow, {"invoice.payment_link": "https://pay.example.com/{reference}?a={amount}"})
    invoice_id = _invoice(uow, ledger.acme, "100.00")
    preview = preview_document_email(uow, invoice_id, TODAY)
    reference = creditor_reference(preview.number)
    assert preview.to == ("ap@acme.example",)
    assert preview.subject == f"Invoice {preview.number} {DASH} Acme Trading Ltd"
    assert preview.body_text.startswith("Dear Sir or Madam,\n\nPlease find attached our invoice")
    assert "Amount due: €119.00" in preview.body_text
    assert f"You can also pay online: https://pay.example.com/{reference}?a=119.00" in (
        preview.body_text
    )
    assert preview.attachment == f"{preview.number}.pdf"
    item_id = queue_document_email(uow, invoice_id, TODAY)
    assert send_now(uow, item_id, TODAY) == "Sent the invoice to ap@acme.example."
    html = _body(ledger.server.messages[0].message, "html")
    assert f'<a href="https://pay.example.com/{reference}?a=119.00">' in html


def test_a_credit_note_goes_as_a_credit_note(ledger: Ledger) -> None:
    uow = ledger.uow
    invoice_id = _invoice(uow, ledger.acme, "100.00")
    note_id, note_number = create_credit_note(uow, invoice_id, FixedClock(TODAY), "wrong price")
    item_id = queue_document_email(uow, note_id, TODAY)
    [item] = _outbox(uow)
    assert item.kind == "credit_note"
    assert item.subject == f"Credit note {note_number} {DASH} Acme Trading Ltd"
    assert "Payment reference" not in item.body_text
    assert send_now(uow, item_id, TODAY) == "Sent the credit note to ap@acme.example."
    filename, pdf = _pdf_text(ledger.server.messages[0].message)
    assert filename == f"{note_number}.pdf"
    assert note_number in pdf
    assert f"Credit note {note_number} queued for email to ap@acme.example" in _timeline(
        uow, ledger.acme
    )


def test_each_deliberate_send_is_an_item_of_its_own_and_to_may_be_typed(ledger: Ledger) -> None:
    uow = ledger.uow
    invoice_id = _invoice(uow, ledger.mueller, "10.00")
    queue_document_email(uow, invoice_id, TODAY)
    queue_document_email(uow, invoice_id, TODAY, to="eva@example.com; jo@example.org")
    first, second = _outbox(uow)
    assert (first.key, second.key) == (f"document:{invoice_id}:1", f"document:{invoice_id}:2")
    assert second.to_addrs == "eva@example.com, jo@example.org"


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("not an address", r"To: 'not an address' is not an email address"),
        ("", r"To: enter at least one email address"),
        ("a@example.com\nBcc: evil@example.com", r"line break"),
    ],
)
def test_a_typed_address_is_checked(ledger: Ledger, to: str, message: str) -> None:
    invoice_id = _invoice(ledger.uow, ledger.mueller, "10.00")
    with pytest.raises(DocumentEmailError, match=message):
        queue_document_email(ledger.uow, invoice_id, TODAY, to=to)
    assert _outbox(ledger.uow) == []


def test_a_draft_is_refused(ledger: Ledger) -> None:
    draft_id = _invoice(ledger.uow, ledger.mueller, "10.00", issue=False)
    with pytest.raises(DocumentEmailError, match=r"draft invoice for Müller & Söhne GmbH .* issue"):
        queue_document_email(ledger.uow, draft_id, TODAY)
    with pytest.raises(DocumentEmailError, match="draft"):
        preview_document_email(ledger.uow, draft_id, TODAY)
    assert _outbox(ledger.uow) == []


def test_a_customer_without_an_address_is_refused_by_name(ledger: Ledger) -> None:
    invoice_id = _invoice(ledger.uow, ledger.nomail, "10.00")
    assert preview_document_email(ledger.uow, invoice_id, TODAY).to == ()
    with pytest.raises(DocumentEmailError, match=r"^Ohne Post KG has no email address"):
        queue_document_email(ledger.uow, invoice_id, TODAY)
    assert _outbox(ledger.uow) == []
    queue_document_email(ledger.uow, invoice_id, TODAY, to="chef@ohnepost.example")
    assert [i.to_addrs for i in _outbox(ledger.uow)] == ["chef@ohnepost.example"]


def test_markup_in_a_customer_name_is_escaped_in_the_html_body(ledger: Ledger) -> None:
    uow = ledger.uow
    evil = _customer(
        uow, "EVIL", "<b>Evil</b> & Co", "en",
        (ContactView("<img src=x>", "ap@evil.example", "", "billing"),),
    )  # fmt: skip
    item_id = queue_document_email(uow, _invoice(uow, evil, "10.00"), TODAY)
    send_now(uow, item_id, TODAY)
    message = ledger.server.messages[0].message
    html = _body(message, "html")
    assert "<img" not in html
    assert "Dear &lt;img src=x&gt;," in html
    assert message["Subject"].endswith(f"{DASH} <b>Evil</b> & Co")


def test_without_email_set_up_the_invoice_waits_and_says_why(uow: UnitOfWork) -> None:
    contact = ContactView("", "a@acme.example", "", "billing")
    customer = _customer(uow, "ACME", "Acme", "en", (contact,))
    item_id = queue_document_email(uow, _invoice(uow, customer, "10.00"), TODAY)
    assert send_now(uow, item_id, TODAY) == (
        "The invoice waits in the outbox: email is not set up: enter the SMTP server in "
        "Settings → Email"
    )
    [item] = _outbox(uow)
    assert item.state == OutboxState.QUEUED


def test_a_refused_message_is_reported_as_failed(ledger: Ledger) -> None:
    ledger.server.reject_recipient("ap@acme.example", code=550)
    item_id = queue_document_email(ledger.uow, _invoice(ledger.uow, ledger.acme, "10.00"), TODAY)
    words = send_now(ledger.uow, item_id, TODAY)
    assert words.startswith("The invoice was not sent: ")
    assert words.endswith("It is in the Outbox, marked failed.")


# --- recurring copies ----------------------------------------------------------------------


def test_a_recurring_copy_is_emailed_by_the_daily_pass_once(ledger: Ledger) -> None:
    uow = ledger.uow
    by_email = _customer(
        uow, "ABO", "Abo Kunde GmbH", "de",
        (ContactView("", "rechnung@abo.example", "", "billing"),), by_email=True,
    )  # fmt: skip
    lines = (DraftLine("Wartungsvertrag", Decimal(1), Decimal("250.00"), Decimal(19)),)
    create_recurring_template(uow, by_email, Frequency.MONTHLY, TODAY, lines, "Wartung")
    create_recurring_template(uow, ledger.acme, Frequency.MONTHLY, TODAY, lines, "Not by email")

    result = run_daily_pass(uow, TODAY)

    assert len(result.issued) == 2
    assert result.mail is not None
    assert result.mail.count("sent") == 1
    [received] = ledger.server.messages
    assert received.rcpt_tos == ["rechnung@abo.example"]
    number = received.message["Subject"].split()[1]
    assert number in result.issued
    filename, pdf = _pdf_text(received.message)
    assert filename == f"{number}.pdf"
    assert number in pdf
    assert "297,50" in pdf

    again = run_daily_pass(uow, TODAY)
    assert again.issued == ()
    assert queue_issued_invoice_emails(uow, list(result.issued), TODAY) == 0
    assert len(ledger.server.messages) == 1


def _abo(uow: UnitOfWork) -> int:
    """A customer who receives invoices by email, with a monthly recurring invoice from today."""
    customer = _customer(
        uow, "ABO", "Abo Kunde GmbH", "de",
        (ContactView("", "rechnung@abo.example", "", "billing"),), by_email=True,
    )  # fmt: skip
    lines = (DraftLine("Wartungsvertrag", Decimal(1), Decimal("250.00"), Decimal(19)),)
    create_recurring_template(uow, customer, Frequency.MONTHLY, TODAY, lines, "Wartung")
    return customer


def _document_keys(uow: UnitOfWork) -> list[str]:
    return [i.key for i in _outbox(uow) if i.kind == "invoice"]


def _invoice_id(uow: UnitOfWork, number: str) -> int:
    with uow:
        return uow.session.scalars(select(Invoice.id).where(Invoice.number == number)).one()


def test_a_copy_issued_by_a_run_that_stopped_before_queueing_is_emailed_once(
    ledger: Ledger,
) -> None:
    uow = ledger.uow
    _abo(uow)
    # The run issues the copy in one transaction and stops before the one that queues its email.
    [number] = issue_due_recurring(uow, FixedClock(TODAY))
    assert _document_keys(uow) == []

    result = run_daily_pass(uow, TODAY)

    assert result.issued == ()  # nothing new was due: the copy was issued before
    assert _document_keys(uow) == [f"document:{_invoice_id(uow, number)}:1"]
    [received] = ledger.server.messages
    assert received.rcpt_tos == ["rechnung@abo.example"]
    assert number in received.message["Subject"]

    run_daily_pass(uow, TODAY)
    run_daily_pass(uow, TODAY + timedelta(days=1))
    assert len(_document_keys(uow)) == 1
    assert len(ledger.server.messages) == 1


def test_a_copy_left_behind_long_ago_is_not_emailed_now(ledger: Ledger) -> None:
    uow = ledger.uow
    _abo(uow)
    [number] = issue_due_recurring(uow, FixedClock(TODAY))
    with uow:
        copy = uow.session.scalars(select(Invoice).where(Invoice.number == number)).one()
        copy.issued_at = event_time(TODAY - timedelta(days=RECENT_COPY_DAYS + 1))
        uow.commit()

    assert queue_recurring_emails(uow, TODAY) == 0
    assert _document_keys(uow) == []


def test_a_copy_emailed_by_hand_is_not_emailed_again(ledger: Ledger) -> None:
    uow = ledger.uow
    _abo(uow)
    [number] = issue_due_recurring(uow, FixedClock(TODAY))
    invoice_id = _invoice_id(uow, number)
    queue_document_email(uow, invoice_id, TODAY, to="chef@abo.example")

    assert queue_recurring_emails(uow, TODAY) == 0
    assert _document_keys(uow) == [f"document:{invoice_id}:1"]


def test_two_passes_at_once_queue_a_copy_once(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    uow = ledger.uow
    _abo(uow)
    [number] = issue_due_recurring(uow, FixedClock(TODAY))
    invoice_id = _invoice_id(uow, number)
    looked: list[int] = []

    def get_invoice_while_another_pass_queues(*args: object) -> object:
        if not looked:  # the other pass queues the copy after this one looked
            looked.append(invoice_id)
            queue_document_email(uow, invoice_id, TODAY)
        return get_invoice(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(
        "app.services.document_emails.get_invoice", get_invoice_while_another_pass_queues
    )

    assert queue_recurring_emails(uow, TODAY) == 0
    assert _document_keys(uow) == [f"document:{invoice_id}:1"]


def test_a_recurring_copy_without_address_is_noted_once(ledger: Ledger) -> None:
    uow = ledger.uow
    silent = _customer(uow, "SILENT", "Stumm AG", "de", (), by_email=True)
    lines = (DraftLine("Wartungsvertrag", Decimal(1), Decimal("250.00"), Decimal(19)),)
    create_recurring_template(uow, silent, Frequency.MONTHLY, TODAY, lines, "Wartung")

    run_daily_pass(uow, TODAY)
    run_daily_pass(uow, TODAY + timedelta(days=1))

    notes = [s for s in _timeline(uow, silent) if "not emailed" in s]
    assert len(notes) == 1
    assert _document_keys(uow) == []


def test_a_recurring_copy_for_a_customer_without_address_is_noted(ledger: Ledger) -> None:
    uow = ledger.uow
    silent = _customer(uow, "SILENT", "Stumm AG", "de", (), by_email=True)
    invoice_id = _invoice(uow, silent, "10.00")
    assert queue_issued_invoice_emails(uow, [invoice_id], TODAY) == 0
    assert any("not emailed: Stumm AG has no email address" in s for s in _timeline(uow, silent))


# --- receipts ------------------------------------------------------------------------------


def _pay(uow: UnitOfWork, customer_id: int, invoices: list[tuple[int, str]], amount: str) -> int:
    return record_payment(
        uow,
        customer_id,
        Money(int(Decimal(amount) * 100), "EUR"),
        TODAY - timedelta(days=1),
        [(i, Money(int(Decimal(a) * 100), "EUR")) for i, a in invoices],
    )


def test_no_receipt_unless_receipts_are_switched_on(ledger: Ledger) -> None:
    invoice_id = _invoice(ledger.uow, ledger.mueller, "100.00")
    _pay(ledger.uow, ledger.mueller, [(invoice_id, "119.00")], "119.00")
    assert _outbox(ledger.uow) == []


def test_a_receipt_per_payment_and_never_twice(ledger: Ledger) -> None:
    uow = ledger.uow
    save_settings(uow, {"mail.receipts": "yes"})
    first = _invoice(uow, ledger.mueller, "100.00")
    second = _invoice(uow, ledger.mueller, "200.00")
    payment_id = _pay(uow, ledger.mueller, [(first, "119.00"), (second, "100.00")], "250.00")
    other = _pay(uow, ledger.acme, [(_invoice(uow, ledger.acme, "50.00"), "59.50")], "59.50")
    _pay(uow, ledger.nomail, [(_invoice(uow, ledger.nomail, "50.00"), "59.50")], "59.50")
    items = _outbox(uow)
    assert [(i.key, i.kind, i.attach_invoices) for i in items] == [
        (f"receipt:{payment_id}", "receipt", False),
        (f"receipt:{other}", "receipt", False),
    ]
    assert any(s.startswith("Receipt for the payment of €250.00") for s in _timeline(
        uow, ledger.mueller
    ))  # fmt: skip

    run_daily_pass(uow, TODAY)
    run_daily_pass(uow, TODAY)

    messages = {m.rcpt_tos[0]: m.message for m in ledger.server.messages}
    assert len(ledger.server.messages) == 2
    german = messages["buchhaltung@mueller.example"]
    assert german["Subject"] == f"Zahlungseingang {DASH} vielen Dank {DASH} Duebook Demo GmbH"
    text = _body(german, "plain")
    assert "vielen Dank für Ihre Zahlung über 250,00\xa0€" in text
    assert "Wir haben sie diesen Rechnungen zugeordnet:" in text
    rows = [re.split(r" {2,}", line) for line in text.splitlines() if line.startswith("INV-")]
    assert [row[1:] for row in rows] == [
        ["119,00\xa0€", "vollständig bezahlt"],
        ["100,00\xa0€", "138,00\xa0€"],
    ]
    assert "Der verbleibende Betrag von 31,00\xa0€ bleibt als Guthaben" in text
    assert list(german.iter_attachments()) == []
    english = _body(messages["ap@acme.example"], "plain")
    assert "Thank you for your payment of €59.50" in english
    assert "this invoice:" in english


def test_a_statement_line_applied_gets_its_receipt(ledger: Ledger, tmp_path: Path) -> None:
    uow = ledger.uow
    save_settings(uow, {"mail.receipts": "yes"})
    invoice_id = _invoice(uow, ledger.acme, "100.00")
    path = tmp_path / "stmt.xml"
    line = ParsedLine(
        booking_date=TODAY - timedelta(days=2),
        amount=Decimal("119.00"),
        currency="EUR",
        bank_ref="B1",
        payer_name="ACME TRADING",
        payer_iban="",
        remittance="Payment",
    )
    write_camt053(path, account_iban=COMPANY_IBAN, currency="EUR", lines=[line])
    import_statement(uow, path)
    [row] = list_statement_lines(uow, LineFilter())
    apply_line(uow, row.line_id, ledger.acme, [ManualAllocation(invoice_id, Money(11900, "EUR"))])
    [item] = _outbox(uow)
    assert item.kind == "receipt"
    assert item.key.startswith("receipt:")
    assert item.send_after == TODAY - timedelta(days=2)
    assert "€119.00" in item.body_text
    assert "paid in full" in item.body_text


@pytest.mark.parametrize(
    ("language", "invoice", "credit_note", "receipt"),
    [
        ("en", "Invoice", "Credit note", "Thank you for your payment"),
        ("de", "Rechnung", "Rechnungskorrektur", "vielen Dank für Ihre Zahlung"),
        ("fr", "Facture", "Avoir", "Nous vous remercions pour votre paiement"),
        ("es", "Factura", "Factura rectificativa", "Le agradecemos su pago"),
        ("nl", "Factuur", "Creditfactuur", "Hartelijk dank voor uw betaling"),
    ],
)
def test_every_language_writes_the_three_emails(
    uow: UnitOfWork, language: str, invoice: str, credit_note: str, receipt: str
) -> None:
    save_settings(uow, {"company.name": "Duebook Demo GmbH", "mail.receipts": "yes"})
    contact = ContactView("", "ap@customer.example", "", "billing")
    customer = _customer(uow, "C1", "Kunde", language, (contact,))
    invoice_id = _invoice(uow, customer, "100.00")
    other_id = _invoice(uow, customer, "50.00")
    note_id, _ = create_credit_note(uow, other_id, FixedClock(TODAY), "wrong")
    queue_document_email(uow, invoice_id, TODAY)
    queue_document_email(uow, note_id, TODAY)
    _pay(uow, customer, [(invoice_id, "119.00")], "119.00")
    items = _outbox(uow)
    assert [i.kind for i in items] == ["invoice", "credit_note", "receipt"]
    assert items[0].subject.startswith(f"{invoice} INV-")
    assert items[1].subject.startswith(f"{credit_note} CN-")
    assert credit_note.lower() in items[1].body_text.lower()
    assert receipt in items[2].body_text
    for item in items:
        assert "{{" not in item.body_text
        assert "{%" not in item.body_text
        assert "\n\n\n" not in item.body_text
        assert item.body_html.startswith(f'<!DOCTYPE html>\n<html lang="{language}">')
