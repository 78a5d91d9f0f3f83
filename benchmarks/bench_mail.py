"""How fast the outbox goes out: 1,000 reminder emails, each with its invoice PDF, over SMTP.

Run ``python -m benchmarks.bench_mail [--count N]`` from the repository root. It builds a
throw-away ledger in a temporary folder (company settings with logo, IBAN and payment link, so
every PDF has a logo and a payment QR code; 1,000 customers in German, English and French, each
with one issued invoice of two to six lines ten days overdue), lets the reminder engine queue a
first reminder per customer (invoice PDF attached), starts the local SMTP server of
``tests/smtp_server.py`` (STARTTLS, AUTH, a self-signed certificate) and keeps the password in a
plain-text keyring in the temporary folder. Then it times ``send_outbox`` end to end: the PDF of
each invoice, the MIME message, SMTP over one connection and the ledger updates, with no rate
limit (``smtp.per_minute`` 0). It checks that every email arrived once with its PDF. Target
(issue 5 §6): 20 emails per second or more.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import keyring
from keyrings.alt.file import PlaintextKeyring

from app.models.customer import Contact, Customer
from app.services.dto import DraftInvoice, DraftLine
from app.services.invoicing import create_draft, issue_invoice
from app.services.mail.outbox_sender import send_outbox
from app.services.mail.password import store_password
from app.services.reminders.run import run_reminders
from app.services.settings import save_settings
from app.services.uow import UnitOfWork
from benchmarks.bench_pdf import ITEMS, company_ledger
from tests.smtp_server import LocalSmtpServer

TODAY = date(2026, 11, 23)
TARGET_PER_SECOND = 20.0
LANGUAGES = (("de", "DE"), ("en", "GB"), ("fr", "FR"))


def build_ledger(folder: Path, count: int) -> UnitOfWork:
    """Company settings, ``count`` customers with one overdue issued invoice each."""
    uow = company_ledger(folder, email="ar@duebook.example")
    with uow:
        customers = []
        for n in range(1, count + 1):
            language, country = LANGUAGES[n % len(LANGUAGES)]
            customer = Customer(
                code=f"C{n:05}",
                name=f"Kunde {n} Müller & Söhne GmbH",
                address=f"Königstraße {n}\n70173 Stuttgart",
                country=country,
                language=language,
                currency="EUR",
                payment_terms_days=30,
            )
            customer.contacts.append(Contact(name="Buchhaltung", email=f"ap{n}@kunde.example"))
            customers.append(customer)
        uow.session.add_all(customers)
        uow.commit()
        customer_ids = [c.id for c in customers]
    for n, customer_id in enumerate(customer_ids):
        lines = tuple(
            DraftLine(description, quantity, price, tax_rate_percent=rate)
            for description, quantity, price, rate in ITEMS[: 2 + n % 5]
        )
        draft = DraftInvoice(
            customer_id=customer_id,
            issue_date=TODAY - timedelta(days=40),
            lines=lines,
            po_number=f"PO-{4000 + n}",
        )
        issue_invoice(uow, create_draft(uow, draft))
    return uow


def main(argv: list[str] | None = None) -> int:
    """Build, queue, send and print the rate; exit 1 when under target or a message is missing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=1000, help="customers and emails")
    args = parser.parse_args(argv)
    count: int = args.count
    with tempfile.TemporaryDirectory(prefix="duebook-bench-mail-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        uow = build_ledger(folder, count)
        queued = run_reminders(uow, TODAY)
        emails = sum(1 for d in queued.decisions if d.email is not None)
        print(
            f"built a ledger with {count:,} customers and invoices and queued {emails:,} "
            f"reminders in {time.perf_counter() - started:.1f} s"
        )
        previous = keyring.get_keyring()
        # A throwaway plain-file keyring in the benchmark's temporary folder; the app refuses
        # such a keyring unless told, as here, that a readable password file is acceptable.
        os.environ["DUEBOOK_ALLOW_PLAIN_KEYRING"] = "1"
        backend = PlaintextKeyring()
        backend.file_path = str(folder / "keyring" / "keyring_pass.cfg")
        keyring.set_keyring(backend)
        try:
            with LocalSmtpServer(folder / "smtp") as server:
                save_settings(
                    uow,
                    {
                        "smtp.host": server.host,
                        "smtp.port": str(server.port),
                        "smtp.security": "starttls",
                        "smtp.user": server.user,
                        "smtp.from": "ar@duebook.example",
                        "smtp.ca_file": str(server.cafile),
                        "smtp.per_minute": "0",
                    },
                )
                store_password(server.host, server.user, server.password)
                started = time.perf_counter()
                report = send_outbox(uow, TODAY)
                elapsed = time.perf_counter() - started
                arrived = server.wait_for(emails, timeout=30)
                received = server.messages
                connections = server.connections
        finally:
            keyring.set_keyring(previous)
    ids = {str(r.message["Message-ID"]) for r in received}
    with_pdf = sum(
        1
        for r in received
        if [p.get_content_type() for p in r.message.iter_attachments()] == ["application/pdf"]
    )
    sent = report.count("sent")
    rate = sent / elapsed
    print(
        f"mail: {sent:,} emails with a PDF each sent in {elapsed:.1f} s = {rate:.1f} per second "
        f"(target >= {TARGET_PER_SECOND:.0f}/s)"
    )
    print(
        f"server: {len(received):,} received ({len(ids):,} distinct Message-IDs, {with_pdf:,} "
        f"with one PDF) over {connections} connection(s); report: {report.summary()}"
    )
    complete = arrived and sent == emails == count == len(received) == len(ids) == with_pdf
    if not complete:
        print("FAILED: not every email arrived exactly once with its PDF")
    return 0 if complete and rate >= TARGET_PER_SECOND else 1


if __name__ == "__main__":
    sys.exit(main())
