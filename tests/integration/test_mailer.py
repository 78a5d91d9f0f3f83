"""The sending core against a real SMTP server: what arrives, and what must not.

Everything here is the real code path: a ledger file, reminders queued by the engine or outbox
items written as the engine writes them, ``send_outbox`` with the password from a keyring (a
plain-text one under tmp_path), STARTTLS or implicit TLS with certificate checks, and the local
aiosmtpd of ``tests/smtp_server.py`` recording what it accepted.

The helpers at the top (a small ledger, the mail settings, queueing an item, reading the outbox)
are shared with ``test_mailer_faults.py``.
"""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from keyrings.alt.file import PlaintextKeyring
from pypdf import PdfReader
from sqlalchemy import select

from app.models.collections import OutboxItem, OutboxState
from app.models.customer import Contact, Customer
from app.services.file_import import import_customers, import_invoices
from app.services.mail.outbox_sender import send_outbox
from app.services.mail.password import store_password
from app.services.reminders.run import run_reminders
from app.services.settings import save_settings
from app.services.timeline import list_timeline
from app.services.uow import UnitOfWork
from tests.conftest import TODAY
from tests.smtp_server import LocalSmtpServer, Received

SENDER = "ar@duebook.example"
SENDER_NAME = "Müller & Söhne Buchhaltung"

CUSTOMERS = """customer_id,name,email,language,segment
ACME,Acme Trading Ltd,ap@acme.example,en,Standard
MUELLER,Müller & Söhne GmbH,buchhaltung@mueller.example,de,Standard
"""

#: number, customer, days overdue, total
INVOICES = [
    ("INV-A1", "ACME", 8, "120.00"),
    ("INV-A4", "ACME", 61, "200.00"),
    ("INV-M1", "MUELLER", 11, "1234.50"),
]


def build_ledger(uow: UnitOfWork, tmp_path: Path, extra_customers: int = 0) -> dict[str, int]:
    """Customers and overdue invoices through the CSV imports; customer ids by code.

    ACME's oldest invoice is 61 days overdue (the final notice: invoices and a statement
    attached), MUELLER's 11 days (the first reminder, in German: invoices only). Each of the
    ``extra_customers`` (``X0001``...) has one invoice 8 days overdue.
    """
    customers = CUSTOMERS + "".join(
        f"X{n:04d},Extra Customer {n} Ltd,ap{n}@extra.example,en,Standard\n"
        for n in range(1, extra_customers + 1)
    )
    invoices = [
        *INVOICES,
        *((f"INV-X{n:04d}", f"X{n:04d}", 8, "50.00") for n in range(1, extra_customers + 1)),
    ]
    customer_file = tmp_path / "customers.csv"
    customer_file.write_text(customers, encoding="utf-8")
    import_customers(uow, customer_file)
    rows = ["number,customer_id,issue_date,due_date,total,amount_paid"]
    for number, customer, overdue, total in invoices:
        due = TODAY - timedelta(days=overdue)
        rows.append(f"{number},{customer},{due - timedelta(days=30)},{due},{total},0")
    invoice_file = tmp_path / "invoices.csv"
    invoice_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_invoices(uow, invoice_file)
    save_settings(uow, {"company.name": "Duebook Demo GmbH", "company.email": SENDER})
    with uow:
        return dict(uow.session.execute(select(Customer.code, Customer.id)).all())


def configure_mail(uow: UnitOfWork, server: LocalSmtpServer, **extra: str) -> None:
    """Point the ledger's mail settings at ``server`` and keep its password in the keyring.

    No rate limit unless ``extra`` sets ``smtp.per_minute``; ``extra`` may override any key
    (``smtp.ca_file=""`` leaves the certificate to the system's trust store).
    """
    values = {
        "smtp.host": server.host,
        "smtp.port": str(server.port),
        "smtp.security": "tls" if server.mode == "tls" else "starttls",
        "smtp.user": server.user,
        "smtp.from": SENDER,
        "smtp.ca_file": str(server.cafile),
        "smtp.per_minute": "0",
    }
    save_settings(uow, values | extra)
    store_password(server.host, server.user, server.password)


def queue_email(
    uow: UnitOfWork,
    customer_id: int,
    *,
    to: str = "ap@acme.example",
    subject: str = "Your account",
    body_text: str = "Dear customer,\n\nplease pay.\n",
    body_html: str = "<p>Dear customer,</p><p>please pay.</p>",
    kind: str = "reminder",
    invoice_ids: tuple[int, ...] = (),
    attach_invoices: bool = False,
    attach_statement: bool = False,
    send_after: date = TODAY,
) -> int:
    """An outbox item as the engine or the invoice mailer writes it; its id."""
    with uow:
        item = OutboxItem(
            key=f"test-{uuid.uuid4().hex}",
            kind=kind,
            customer_id=customer_id,
            invoice_ids=json.dumps(list(invoice_ids)),
            to_addrs=to,
            subject=subject,
            body_text=body_text,
            body_html=body_html,
            attach_invoices=attach_invoices,
            attach_statement=attach_statement,
            state=OutboxState.QUEUED,
            send_after=send_after,
        )
        uow.session.add(item)
        uow.session.flush()
        item_id = item.id
        uow.commit()
    return item_id


@dataclass(frozen=True)
class ItemState:
    """An outbox item as the test reads it back."""

    id: int
    customer_id: int
    state: str
    attempts: int
    last_error: str
    message_id: str
    retry_at: datetime | None
    subject: str


def read_outbox(uow: UnitOfWork) -> dict[int, ItemState]:
    """Every outbox item by id."""
    with uow:
        items = uow.session.scalars(select(OutboxItem).order_by(OutboxItem.id)).all()
        return {
            i.id: ItemState(
                i.id,
                i.customer_id,
                i.state,
                i.attempts,
                i.last_error,
                i.message_id,
                i.retry_at,
                i.subject,
            )
            for i in items
        }


def message_ids(server: LocalSmtpServer) -> list[str]:
    """The Message-ID of every message the server accepted, in arrival order."""
    return [str(r.message["Message-ID"]) for r in server.messages]


def by_message_id(server: LocalSmtpServer) -> dict[str, Received]:
    return {str(r.message["Message-ID"]): r for r in server.messages}


def header_block(raw: bytes) -> bytes:
    """The top-level header lines of a message as received."""
    return raw.split(b"\r\n\r\n", 1)[0]


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def attachments(message: EmailMessage) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found[str(part.get_filename())] = payload
    return found


@pytest.fixture
def customers(
    uow: UnitOfWork,
    tmp_path: Path,
    smtp_server: LocalSmtpServer,
    test_keyring: PlaintextKeyring,
) -> dict[str, int]:
    """The small ledger, mail set up for the STARTTLS test server."""
    ids = build_ledger(uow, tmp_path)
    configure_mail(uow, smtp_server)
    return ids


def test_headers_encode_names_and_umlauts_and_carry_the_items_message_id(
    uow, customers, smtp_server
):
    save_settings(
        uow, {"smtp.from_name": SENDER_NAME, "smtp.reply_to": "zahlungen@duebook.example"}
    )
    subject = "Zahlungserinnerung für Müller & Söhne GmbH, Rechnung über 1.234,50 €"
    item_id = queue_email(
        uow, customers["MUELLER"], to="buchhaltung@mueller.example", subject=subject
    )

    report = send_outbox(uow, TODAY)

    assert report.states == {item_id: "sent"}
    assert report.problem == ""
    [received] = smtp_server.messages
    message = received.message
    head = header_block(received.raw)
    assert head.isascii(), "header lines go as ASCII, non-ASCII text as RFC 2047 words"
    assert b"=?utf-8?" in head
    assert message["From"].addresses[0].display_name == SENDER_NAME
    assert message["From"].addresses[0].addr_spec == SENDER
    assert str(message["To"]) == "buchhaltung@mueller.example"
    assert str(message["Subject"]) == subject
    assert str(message["Reply-To"]) == "zahlungen@duebook.example"
    sent_at = parsedate_to_datetime(str(message["Date"]))
    assert sent_at.tzinfo is not None
    assert abs(sent_at - datetime.now(sent_at.tzinfo)) < timedelta(minutes=5)
    stored = read_outbox(uow)[item_id]
    assert stored.state == OutboxState.SENT
    assert stored.attempts == 1
    assert stored.message_id.startswith("<")
    assert stored.message_id.endswith("@duebook.example>")
    assert str(message["Message-ID"]) == stored.message_id
    assert message["Bcc"] is None
    assert received.mail_from == SENDER
    assert received.rcpt_tos == ["buchhaltung@mueller.example"]


def test_no_reply_to_header_unless_one_is_set(uow, customers, smtp_server):
    queue_email(uow, customers["ACME"])
    send_outbox(uow, TODAY)
    [received] = smtp_server.messages
    assert received.message["Reply-To"] is None
    assert str(received.message["From"]) == f"Duebook Demo GmbH <{SENDER}>"


def test_text_and_html_alternatives_arrive_decoded(uow, customers, smtp_server):
    text = "Sehr geehrte Damen und Herren,\n\noffen sind 1.234,50 € (fällig am 12.11.2026).\n"
    html = "<p>Sehr geehrte Damen und Herren,</p><p>offen sind <b>1.234,50 €</b>.</p>\n"
    queue_email(uow, customers["MUELLER"], body_text=text, body_html=html)

    send_outbox(uow, TODAY)

    [received] = smtp_server.messages
    body = received.message
    assert body.get_content_type() == "multipart/alternative", "no attachment: no mixed part"
    assert [p.get_content_type() for p in body.iter_parts()] == ["text/plain", "text/html"]
    plain = received.message.get_body(preferencelist=("plain",))
    rich = received.message.get_body(preferencelist=("html",))
    assert plain is not None
    assert rich is not None
    assert plain.get_content_charset() == "utf-8"
    # On the wire every line ends in CRLF; the content is the same text.
    assert plain.get_content().replace("\r\n", "\n") == text
    assert rich.get_content().replace("\r\n", "\n") == html


def test_reminders_carry_their_invoice_pdfs_and_the_statement_when_the_step_says_so(
    uow, customers, smtp_server
):
    queued = run_reminders(uow, TODAY)
    steps = {d.customer_code: d.step for d in queued.decisions}
    assert steps == {"ACME": "Final notice", "MUELLER": "1st reminder"}

    report = send_outbox(uow, TODAY)

    assert report.count("sent") == 2
    arrived = {r.rcpt_tos[0]: r for r in smtp_server.messages}
    acme = attachments(arrived["ap@acme.example"].message)
    assert sorted(acme) == ["INV-A1.pdf", "INV-A4.pdf", "statement-ACME-2026-11-23.pdf"]
    assert "INV-A4" in pdf_text(acme["INV-A4.pdf"])
    assert "INV-A1" in pdf_text(acme["INV-A1.pdf"])
    statement = pdf_text(acme["statement-ACME-2026-11-23.pdf"])
    assert "INV-A1" in statement
    assert "INV-A4" in statement
    mueller = attachments(arrived["buchhaltung@mueller.example"].message)
    assert list(mueller) == ["INV-M1.pdf"], "the first reminder attaches no statement"
    assert "INV-M1" in pdf_text(mueller["INV-M1.pdf"])
    for part in arrived["ap@acme.example"].message.iter_attachments():
        assert part.get_content_type() == "application/pdf"


def test_a_blind_copy_to_the_sender_is_in_the_envelope_only(uow, customers, smtp_server):
    save_settings(uow, {"smtp.bcc_self": "yes"})
    queue_email(uow, customers["ACME"])

    send_outbox(uow, TODAY)

    [received] = smtp_server.messages
    assert received.rcpt_tos == ["ap@acme.example", SENDER]
    assert received.message["Bcc"] is None
    assert b"bcc:" not in received.raw.lower()
    assert str(received.message["To"]) == "ap@acme.example"


def test_one_connection_for_the_whole_batch(uow, tmp_path, smtp_server, test_keyring):
    build_ledger(uow, tmp_path, extra_customers=6)
    configure_mail(uow, smtp_server)
    run_reminders(uow, TODAY)

    report = send_outbox(uow, TODAY)

    assert report.count("sent") == 8
    assert len(smtp_server.messages) == 8
    assert {r.session_id for r in smtp_server.messages} == {1}
    assert smtp_server.connections == 1


def test_the_rate_limit_waits_between_messages(uow, customers, smtp_server):
    save_settings(uow, {"smtp.per_minute": "30"})
    for _ in range(4):
        queue_email(uow, customers["ACME"])
    waits: list[float] = []

    report = send_outbox(uow, TODAY, sleep=waits.append)

    assert report.count("sent") == 4
    assert len(waits) == 3, "no wait before the first message"
    assert all(1.5 < w <= 2.0 for w in waits), waits


def test_a_line_break_in_the_subject_cannot_add_a_header(uow, customers, smtp_server):
    evil = queue_email(uow, customers["ACME"], subject="Your account\r\nBcc: evil@x.example")
    report = send_outbox(uow, TODAY)

    assert report.states == {evil: "failed"}
    item = read_outbox(uow)[evil]
    assert item.state == OutboxState.FAILED
    assert "Subject" in item.last_error
    assert "line break" in item.last_error
    assert smtp_server.messages == []
    timeline = list_timeline(uow, customers["ACME"])
    assert "line break" in timeline[0].summary


def test_a_line_break_in_a_recipients_name_cannot_add_one_either(uow, customers, smtp_server):
    evil = queue_email(uow, customers["ACME"], to='"Anna\r\nBcc: evil@x.example" <ap@acme.example>')
    also = queue_email(uow, customers["ACME"], to="Anna\nBcc: evil@x.example <ap@acme.example>")
    good = queue_email(uow, customers["ACME"])

    report = send_outbox(uow, TODAY)

    assert report.states == {evil: "failed", also: "failed", good: "sent"}
    items = read_outbox(uow)
    assert "To: a line break is not allowed" in items[evil].last_error
    assert "To: a line break is not allowed" in items[also].last_error
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["ap@acme.example"]


def test_a_contact_name_with_line_breaks_stays_out_of_the_headers(uow, customers, smtp_server):
    with uow:
        acme = uow.session.get(Customer, customers["ACME"])
        assert acme is not None
        uow.session.add(
            Contact(
                customer_id=acme.id,
                name="Anna Smith\r\nBcc: evil@x.example",
                email="anna@acme.example",
                role="reminders",
            )
        )
        uow.commit()
    run_reminders(uow, TODAY)

    send_outbox(uow, TODAY)

    arrived = {r.rcpt_tos[0]: r for r in smtp_server.messages}
    received = arrived["anna@acme.example"]
    assert received.rcpt_tos == ["anna@acme.example"]
    assert received.message["Bcc"] is None
    assert b"evil@x.example" not in header_block(received.raw)
    assert all("evil@x.example" not in r.rcpt_tos for r in smtp_server.messages)


def test_implicit_tls(uow, tmp_path, smtp_server_tls, test_keyring):
    ids = build_ledger(uow, tmp_path)
    configure_mail(uow, smtp_server_tls)
    item_id = queue_email(uow, ids["ACME"])

    report = send_outbox(uow, TODAY)

    assert report.states == {item_id: "sent"}
    [received] = smtp_server_tls.messages
    assert str(received.message["Message-ID"]) == read_outbox(uow)[item_id].message_id


def test_certificates_are_checked_by_default(uow, customers, smtp_server):
    save_settings(uow, {"smtp.ca_file": ""})
    first = queue_email(uow, customers["ACME"])
    second = queue_email(uow, customers["MUELLER"], to="buchhaltung@mueller.example")

    report = send_outbox(uow, TODAY)

    assert "certificate is not trusted" in report.problem
    assert report.states == {}
    assert report.waiting == 2
    assert smtp_server.messages == []
    items = read_outbox(uow)
    assert [items[first].state, items[second].state] == [OutboxState.QUEUED] * 2
    assert [items[first].attempts, items[second].attempts] == [0, 0]
    assert items[first].retry_at is None


def test_a_wrong_password_leaves_the_items_queued_and_says_so(uow, customers, smtp_server):
    store_password(smtp_server.host, smtp_server.user, "not-the-password")
    first = queue_email(uow, customers["ACME"])
    second = queue_email(uow, customers["ACME"])

    report = send_outbox(uow, TODAY)

    assert "refused the user name or password" in report.problem
    assert smtp_server.user in report.problem
    assert "not-the-password" not in report.problem
    assert report.waiting == 2
    assert smtp_server.messages == []
    items = read_outbox(uow)
    assert {items[first].state, items[second].state} == {OutboxState.QUEUED}
    assert {items[first].attempts, items[second].attempts} == {0}


# -- addresses beyond ASCII (review finding 1a) ------------------------------------------------


def test_accented_domains_go_in_their_ascii_form_in_the_envelope_and_the_headers(
    uow, customers, smtp_server
):
    item_id = queue_email(uow, customers["MUELLER"], to="info@müller.de, post@straße.de")

    report = send_outbox(uow, TODAY)

    assert report.states == {item_id: "sent"}
    [received] = smtp_server.messages
    # IDNA 2008 as registries use it: ß stays a letter of its own (not "strasse.de").
    assert received.rcpt_tos == ["info@xn--mller-kva.de", "post@xn--strae-oqa.de"]
    assert not received.smtp_utf8
    head = header_block(received.raw)
    assert head.isascii()
    assert b"To: info@xn--mller-kva.de, post@xn--strae-oqa.de\r\n" in head
    assert b"=?utf-8?" not in head.split(b"To: ", 1)[1].split(b"\r\n", 1)[0]
    assert read_outbox(uow)[item_id].state == OutboxState.SENT


def test_an_accented_sender_domain_goes_in_its_ascii_form_and_so_does_the_message_id(
    uow, customers, smtp_server
):
    save_settings(uow, {"smtp.from": "ar@müller-söhne.de"})
    item_id = queue_email(uow, customers["ACME"])

    report = send_outbox(uow, TODAY)

    assert report.states == {item_id: "sent"}
    [received] = smtp_server.messages
    assert received.mail_from == "ar@xn--mller-shne-kcb9d.de"
    assert received.message["From"].addresses[0].addr_spec == "ar@xn--mller-shne-kcb9d.de"
    message_id = read_outbox(uow)[item_id].message_id
    assert message_id.isascii()
    assert message_id.endswith("@xn--mller-shne-kcb9d.de>")


def test_an_accented_local_part_fails_in_words_when_the_server_has_no_smtputf8(
    uow, customers, smtp_server
):
    before = queue_email(uow, customers["ACME"])
    accented = queue_email(uow, customers["MUELLER"], to="jürgen@mueller.example")
    after = queue_email(uow, customers["ACME"])

    report = send_outbox(uow, TODAY)

    assert report.states == {before: "sent", accented: "failed", after: "sent"}
    assert report.problem == ""
    item = read_outbox(uow)[accented]
    assert item.state == OutboxState.FAILED
    assert item.last_error.startswith("jürgen@mueller.example has letters such as ä, é or ß")
    assert "does not offer SMTPUTF8" in item.last_error
    assert [r.rcpt_tos for r in smtp_server.messages] == [["ap@acme.example"]] * 2
    latest = list_timeline(uow, customers["MUELLER"])[0]
    assert latest.summary.startswith("Email failed (jürgen@mueller.example has letters")
    assert send_outbox(uow, TODAY).states == {}, "failed for good, not tried again"


def test_an_accented_local_part_goes_with_smtputf8_when_the_server_offers_it(
    uow, tmp_path, smtp_server_utf8, test_keyring
):
    ids = build_ledger(uow, tmp_path)
    configure_mail(uow, smtp_server_utf8)
    accented = queue_email(uow, ids["MUELLER"], to="jürgen@müller.de", subject="Zahlung für Jürgen")
    plain = queue_email(uow, ids["ACME"])

    report = send_outbox(uow, TODAY)

    assert report.states == {accented: "sent", plain: "sent"}
    first, second = smtp_server_utf8.messages
    assert first.smtp_utf8
    assert "SMTPUTF8" in first.mail_options
    assert first.rcpt_tos == ["jürgen@xn--mller-kva.de"]
    assert "To: jürgen@xn--mller-kva.de\r\n".encode() in header_block(first.raw)
    assert first.message["Subject"] == "Zahlung für Jürgen"
    assert not second.smtp_utf8, "an ASCII message goes without SMTPUTF8"
    assert header_block(second.raw).isascii()


def test_an_accented_from_address_without_smtputf8_stops_the_batch_and_says_so(
    uow, customers, smtp_server
):
    save_settings(uow, {"smtp.from": "jürgen@duebook.example"})
    ids = [queue_email(uow, customers["ACME"]) for _ in range(3)]

    report = send_outbox(uow, TODAY)

    assert report.states == {}
    assert report.waiting == 3
    assert report.problem.startswith("jürgen@duebook.example has letters such as ä, é or ß")
    assert "From address is in Settings → Email" in report.problem
    items = read_outbox(uow)
    assert [items[i].state for i in ids] == [OutboxState.QUEUED] * 3
    assert [items[i].attempts for i in ids] == [0] * 3
    assert smtp_server.messages == []
