"""How fast invoice PDFs are written: 1,000 issued one-page invoices through export_invoice_pdfs.

Run ``python benchmarks/bench_pdf.py [COUNT]`` with the project installed (``pip install -e .``).
It builds a throw-away ledger in a temporary folder (company settings with IBAN, logo, payment
link and footer, so every PDF has a logo, a payment QR code and a link; customers who read
German, French, a language without texts and none), times the batch export and prints PDFs per
second.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from PIL import Image, ImageDraw

from app.models.customer import Customer
from app.models.db import open_ledger
from app.services.dto import DraftInvoice, DraftLine
from app.services.invoicing import create_draft, issue_invoice
from app.services.pdf_invoices import export_invoice_pdfs
from app.services.settings import save_settings
from app.services.tasks import TaskContext
from app.services.uow import UnitOfWork

TODAY = date(2026, 11, 23)
CUSTOMERS = (
    ("Łódź Spółka z o.o.", "ul. Piotrkowska 104\n90-926 Łódź", "PL", "pl"),
    ("Ærø Øst Å/S", "Vestergade 12\n5970 Ærøskøbing", "DK", ""),
    ("Müller & Söhne GmbH", "Königstraße 5\n70173 Stuttgart", "DE", "de"),
    ("Société Générale de Café", "12 rue de la Paix\n75002 Paris", "FR", "fr-FR"),
)
ITEMS = (
    ("Consulting, senior (hours)", Decimal("7.5"), Decimal("145.00"), Decimal(19)),
    ("Espresso machine service", Decimal(1), Decimal("89.90"), Decimal(19)),
    ("Coffee beans, 1 kg bag", Decimal(12), Decimal("18.40"), Decimal(7)),
    ("Travel expenses", Decimal(1), Decimal("62.15"), Decimal(19)),
    ("Cups, printed (box of 50)", Decimal(4), Decimal("23.00"), Decimal(7)),
    ("Support plan, monthly", Decimal(1), Decimal("49.00"), Decimal(19)),
)


def company_ledger(folder: Path, email: str = "billing@duebook.example") -> UnitOfWork:
    """A new ledger in ``folder`` with a German company's settings and a logo."""
    uow = UnitOfWork(open_ledger(folder / "ledger.sqlite3"), actor="bench")
    logo = folder / "logo.png"
    image = Image.new("RGB", (360, 120), "white")
    ImageDraw.Draw(image).rectangle((10, 10, 350, 110), outline="navy", width=6)
    image.save(logo)
    save_settings(
        uow,
        {
            "company.name": "Duebook Demo GmbH",
            "company.address": "Friedrichstraße 1\n10117 Berlin",
            "company.country": "DE",
            "company.email": email,
            "company.vat_id": "DE123456789",
            "company.iban": "DE89 3704 0044 0532 0130 00",
            "company.bic": "COBADEFFXXX",
            "company.bank_name": "Commerzbank",
            "company.logo_path": str(logo),
            "invoice.payment_link": "https://pay.duebook.example/{number}?amount={amount}",
            "invoice.footer": "Duebook Demo GmbH · Amtsgericht Berlin HRB 12345",
        },
    )
    return uow


def build_ledger(folder: Path, count: int) -> tuple[UnitOfWork, list[int]]:
    """A ledger with company settings, four customers and ``count`` issued invoices."""
    uow = company_ledger(folder)
    with uow:
        customers = [
            Customer(
                code=f"C{i:03}",
                name=name,
                address=address,
                country=country,
                language=language,
                currency="EUR",
                payment_terms_days=30,
            )
            for i, (name, address, country, language) in enumerate(CUSTOMERS, start=1)
        ]
        uow.session.add_all(customers)
        uow.commit()
        customer_ids = [c.id for c in customers]
    ids = []
    for n in range(count):
        lines = tuple(
            DraftLine(description, quantity, price, tax_rate_percent=rate)
            for description, quantity, price, rate in ITEMS[: 2 + n % 5]
        )
        draft = DraftInvoice(
            customer_id=customer_ids[n % len(customer_ids)],
            issue_date=TODAY - timedelta(days=n % 60),
            lines=lines,
            po_number=f"PO-{4000 + n}",
        )
        invoice_id = create_draft(uow, draft)
        issue_invoice(uow, invoice_id)
        ids.append(invoice_id)
    return uow, ids


def main() -> None:
    """Build the ledger, export every invoice and print the rate."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory(prefix="duebook-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        uow, ids = build_ledger(folder, count)
        print(
            f"built a ledger with {count} issued invoices in {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        paths = export_invoice_pdfs(uow, ids, folder / "pdf", TODAY, TaskContext())
        elapsed = time.perf_counter() - started
        size = sum(path.stat().st_size for path in paths)
        print(
            f"export_invoice_pdfs: {len(paths)} PDFs in {elapsed:.2f} s = "
            f"{len(paths) / elapsed:.1f} PDFs/second ({elapsed / len(paths) * 1000:.1f} ms each, "
            f"{size / len(paths) / 1024:.0f} KiB each)"
        )


if __name__ == "__main__":
    main()
