"""Invoice PDFs as a customer sees them: real ledger, real reportlab output, text read back.

The company is German. Most tests bill customers who read English (``language="en"``); the
language tests near the end bill customers in other languages.
"""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PageObject, PdfReader
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from sqlalchemy import event

from app.models.customer import Customer
from app.models.db import SessionFactory
from app.models.money import Money
from app.services.clock import FixedClock
from app.services.dto import DraftInvoice, DraftLine
from app.services.iban import creditor_reference
from app.services.invoice_queries import get_invoice
from app.services.invoicing import create_credit_note, create_draft, issue_invoice, void_invoice
from app.services.money_format import format_date, format_money, format_percent
from app.services.pdf_invoices import (
    FONT,
    QR_GAP,
    PdfError,
    epc_qr_payload,
    export_invoice_pdfs,
    invoice_payment_link,
    invoice_pdf_name,
    invoice_qr_payload,
    render_invoice_pdf,
    write_invoice_pdf,
)
from app.services.pdf_texts import TEXTS, country_name, document_language
from app.services.resources import resources_dir
from app.services.settings import load_settings, save_settings
from app.services.tasks import TaskCancelledError, TaskContext
from app.services.uow import UnitOfWork
from tests.conftest import TODAY, add_customer

IBAN = "DE89370400440532013000"
COMPANY = {
    "company.name": "Duebook Demo GmbH",
    "company.address": "Friedrichstraße 1\n10117 Berlin",
    "company.country": "DE",
    "company.iban": "DE89 3704 0044 0532 0130 00",
    "company.bic": "COBADEFFXXX",
    "company.bank_name": "Commerzbank",
    "invoice.payment_link": (
        "https://pay.example.com/{number}?amount={amount}&currency={currency}&ref={reference}"
    ),
    "invoice.footer": "Duebook Demo GmbH · Amtsgericht Berlin HRB 12345",
}
TWO_RATES = (
    DraftLine("Consulting", Decimal(10), Decimal("100.00"), tax_rate_percent=Decimal(19)),
    DraftLine("Coffee beans", Decimal(2), Decimal("50.00"), tax_rate_percent=Decimal(7)),
)


def pdf_text(source: Path | bytes) -> list[str]:
    """The text of each page."""
    reader = PdfReader(io.BytesIO(source) if isinstance(source, bytes) else source)
    return [page.extract_text() for page in reader.pages]


def words(fragment: str) -> re.Pattern[str]:
    """A pattern for a sentence that may be wrapped onto several lines of the extracted text."""
    return re.compile(r"\s+".join(re.escape(word) for word in fragment.split()))


def add_reader(uow: UnitOfWork, language: str = "en", **kwargs: Any) -> int:
    """A customer (German unless ``country`` says otherwise) who reads ``language``."""
    customer_id = add_customer(uow, **kwargs)
    with uow:
        row = uow.session.get(Customer, customer_id)
        assert row is not None
        row.language = language
        uow.commit()
    return customer_id


def issue(
    uow: UnitOfWork,
    customer_id: int,
    lines: tuple[DraftLine, ...] = TWO_RATES,
    po_number: str = "",
    issue_date: date = TODAY,
) -> int:
    invoice_id = create_draft(
        uow,
        DraftInvoice(
            customer_id=customer_id, issue_date=issue_date, lines=lines, po_number=po_number
        ),
    )
    issue_invoice(uow, invoice_id)
    return invoice_id


@pytest.fixture
def company(uow: UnitOfWork) -> dict[str, str]:
    save_settings(uow, COMPANY)
    return load_settings(uow)


@pytest.fixture
def invoice_id(uow: UnitOfWork, company: dict[str, str]) -> int:
    customer = add_reader(uow, "en")
    return issue(uow, customer, po_number="PO-4711")


def test_invoice_pdf_has_number_totals_due_date_terms_and_bank_details(
    uow: UnitOfWork, invoice_id: int, tmp_path: Path
) -> None:
    path = write_invoice_pdf(uow, invoice_id, tmp_path / "invoice.pdf", TODAY)

    assert path == tmp_path / "invoice.pdf"
    [text] = pdf_text(path)
    assert "Invoice" in text
    assert "INV-2026-00001" in text
    assert "Müller & Söhne GmbH" in text
    assert "PO-4711" in text
    assert "Nov 23, 2026" in text  # issued
    assert "Dec 23, 2026" in text  # due after the customer's 30 days
    assert "Payable within 30 days" in text
    assert re.search(r"Reference\s+RF\d\dINV202600001", text)
    assert creditor_reference("INV-2026-00001") in text
    assert "DE89 3704 0044 0532 0130 00" in text
    assert "COBADEFFXXX" in text
    assert "Commerzbank" in text
    assert "Friedrichstraße 1" in text
    assert "Amtsgericht Berlin HRB 12345" in text
    assert re.search(r"Page 1 of\s*1", text)


def test_tax_summary_per_rate_and_totals(uow: UnitOfWork, invoice_id: int, tmp_path: Path) -> None:
    [text] = pdf_text(write_invoice_pdf(uow, invoice_id, tmp_path / "i.pdf", TODAY))

    # 10 x 100.00 at 19% and 2 x 50.00 at 7%
    assert re.search(r"VAT 7%\s+€100\.00\s+€7\.00", text)
    assert re.search(r"VAT 19%\s+€1,000\.00\s+€190\.00", text)
    assert re.search(r"Net total\s+€1,100\.00", text)
    assert re.search(r"Tax total\s+€197\.00", text)
    assert re.search(r"Total\s+€1,297\.00", text)
    assert re.search(r"Consulting\s+10\s+€100\.00\s+19%\s+€1,000\.00", text)


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("Łódź Spółka", "ul. Piotrkowska 104\n90-926 Łódź"),
        ("Ærø Øst Å/S", "Vestergade 12\n5970 Ærøskøbing"),
        ("Müller", "Königstraße 5\n70173 Stuttgart"),
    ],
)
def test_customer_names_with_accented_polish_and_nordic_letters(
    uow: UnitOfWork, company: dict[str, str], tmp_path: Path, name: str, address: str
) -> None:
    customer = add_customer(uow, code="X1", name=name)
    with uow:
        row = uow.session.get(Customer, customer)
        assert row is not None
        row.address = address
        uow.commit()
    invoice = get_invoice(uow, issue(uow, customer), TODAY)
    target = tmp_path / "i.pdf"

    render_invoice_pdf(invoice, company, target)

    [text] = pdf_text(target)
    assert name in text
    for line in address.splitlines():
        assert line in text


def test_text_from_the_ledger_is_printed_literally_not_as_markup(
    uow: UnitOfWork, company: dict[str, str], tmp_path: Path
) -> None:
    customer = add_customer(uow, name="Smith & <Jones>")
    long = "Spare parts <i>for</i> the & machine, " * 6
    lines = (
        DraftLine("<b>Tools & <script>", Decimal(1), Decimal("10.00")),
        DraftLine(long, Decimal(1), Decimal("5.00")),
    )
    invoice_id = issue(uow, customer, lines, po_number="<PO & 1>")

    text = " ".join(pdf_text(write_invoice_pdf(uow, invoice_id, tmp_path / "i.pdf", TODAY)))

    assert "<b>Tools & <script>" in text
    assert "Smith & <Jones>" in text
    assert "<PO & 1>" in text
    assert "Spare parts <i>for</i> the & machine" in text
    assert "&amp;" not in text


def test_long_invoice_flows_onto_several_pages_with_the_header_repeated(
    uow: UnitOfWork, company: dict[str, str], tmp_path: Path
) -> None:
    customer = add_reader(uow, "en")
    lines = tuple(
        DraftLine(f"Item {n:02}", Decimal(1), Decimal("1.00"), tax_rate_percent=Decimal(19))
        for n in range(1, 81)
    )
    invoice_id = issue(uow, customer, lines)

    pages = pdf_text(write_invoice_pdf(uow, invoice_id, tmp_path / "long.pdf", TODAY))

    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert re.search(r"Description\s+Qty\s+Unit price\s+Discount\s+Tax\s+Net", page)
        assert re.search(rf"Page {number} of\s*{len(pages)}", page)
        assert "Amtsgericht Berlin HRB 12345" in page
    text = "\n".join(pages)
    assert all(f"Item {n:02}" in text for n in range(1, 81))
    assert re.search(r"Total\s+€95\.20", pages[-1])  # 80.00 + 19% tax


def test_credit_note_names_the_credited_invoice_and_asks_for_no_payment(
    uow: UnitOfWork, invoice_id: int, clock: FixedClock, tmp_path: Path
) -> None:
    note_id, note_number = create_credit_note(uow, invoice_id, clock, "Damaged goods")
    note = get_invoice(uow, note_id, TODAY)

    [text] = pdf_text(write_invoice_pdf(uow, note_id, tmp_path, TODAY))

    assert note_number == "CN-2026-00001"
    assert "Credit note" in text
    assert note_number in text
    assert re.search(r"Credits invoice\s+INV-2026-00001", text)
    assert "Damaged goods" in text
    assert re.search(r"Total credited\s+€1,297\.00", text)
    assert "Scan to pay" not in text
    assert "Pay online" not in text
    assert "Please pay" not in text
    assert "RF" not in text
    assert invoice_qr_payload(note, COMPANY) is None
    assert invoice_payment_link(note, COMPANY["invoice.payment_link"]) == ""
    assert (tmp_path / "CN-2026-00001.pdf").exists()


def test_epc_payload_lines_follow_epc069_12() -> None:
    payload = epc_qr_payload(
        name="Duebook Demo GmbH",
        iban="DE89 3704 0044 0532 0130 00",
        amount=Money.of("1234.50", "EUR"),
        reference="RF80INV202600123",
        bic="COBADEFFXXX",
    )

    assert payload.split("\n") == [
        "BCD",
        "002",
        "1",
        "SCT",
        "COBADEFFXXX",
        "Duebook Demo GmbH",
        "DE89370400440532013000",
        "EUR1234.50",
        "",
        "RF80INV202600123",
    ]
    assert len(payload.encode("utf-8")) <= 331


def test_epc_payload_without_bic_and_with_a_long_name() -> None:
    payload = epc_qr_payload("Å" * 80, IBAN, Money(5, "EUR"), "RF18539007547034")

    lines = payload.split("\n")
    assert lines[4] == ""
    assert lines[5] == "Å" * 70
    assert lines[7] == "EUR0.05"

    emoji = "\U0001f600"  # four bytes in UTF-8
    wide = epc_qr_payload(emoji * 70, IBAN, Money(5, "EUR"), "RF18539007547034")
    assert len(wide.encode("utf-8")) <= 331
    assert wide.split("\n")[5].startswith(emoji * 50)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Money(100, "USD"), "EUR only"),
        (Money(0, "EUR"), "0.01"),
        (Money(100_000_000_000, "EUR"), "999999999.99"),
    ],
)
def test_epc_payload_refuses_what_the_standard_cannot_carry(amount: Money, message: str) -> None:
    with pytest.raises(PdfError, match=re.escape(message)):
        epc_qr_payload("Duebook", IBAN, amount, "RF80INV202600123")


def test_eur_invoice_with_iban_gets_the_payment_qr_code(
    uow: UnitOfWork, invoice_id: int, company: dict[str, str], tmp_path: Path
) -> None:
    invoice = get_invoice(uow, invoice_id, TODAY)
    reference = creditor_reference("INV-2026-00001")

    payload = invoice_qr_payload(invoice, company)

    assert payload == "\n".join(
        [
            "BCD", "002", "1", "SCT", "COBADEFFXXX", "Duebook Demo GmbH", IBAN,
            "EUR1297.00", "", reference,
        ]
    )  # fmt: skip
    reader = PdfReader(write_invoice_pdf(uow, invoice_id, tmp_path / "i.pdf", TODAY))
    text = reader.pages[0].extract_text()
    assert "Scan to pay (SEPA)" in text
    assert words(f"quoting the reference {reference}.").search(text)


def test_usd_invoice_and_missing_iban_get_no_qr_code(
    uow: UnitOfWork, company: dict[str, str], tmp_path: Path
) -> None:
    customer = add_reader(uow, "en", code="US1", name="Acme Corp", currency="USD", country="US")
    usd_id = issue(uow, customer)
    usd = get_invoice(uow, usd_id, TODAY)

    assert invoice_qr_payload(usd, company) is None
    [text] = pdf_text(write_invoice_pdf(uow, usd_id, tmp_path / "usd.pdf", TODAY))
    assert "Scan to pay" not in text
    assert re.search(r"Total\s+\$1,297\.00", text)
    assert "DE89 3704 0044 0532 0130 00" in text  # the bank details still show

    eur = get_invoice(uow, issue(uow, add_customer(uow, code="E1")), TODAY)
    assert invoice_qr_payload(eur, {**company, "company.iban": ""}) is None


def test_payment_link_is_filled_in_and_clickable(
    uow: UnitOfWork, invoice_id: int, tmp_path: Path
) -> None:
    reference = creditor_reference("INV-2026-00001")
    expected = f"https://pay.example.com/INV-2026-00001?amount=1297.00&currency=EUR&ref={reference}"
    invoice = get_invoice(uow, invoice_id, TODAY)
    assert invoice_payment_link(invoice, COMPANY["invoice.payment_link"]) == expected

    reader = PdfReader(write_invoice_pdf(uow, invoice_id, tmp_path / "i.pdf", TODAY))

    page = reader.pages[0]
    annotations = page.annotations
    assert annotations is not None
    uris = [annotation.get_object()["/A"]["/URI"] for annotation in annotations]
    assert uris
    assert set(uris) == {expected}  # one clickable area per printed line of the link
    assert "Pay online" in page.extract_text()


def test_payment_link_with_an_unknown_placeholder_is_a_clear_error(
    uow: UnitOfWork, invoice_id: int
) -> None:
    invoice = get_invoice(uow, invoice_id, TODAY)
    with pytest.raises(PdfError, match=r"invoice\.payment_link"):
        invoice_payment_link(invoice, "https://pay.example.com/{customer}")


def test_logo_is_drawn_when_set_and_skipped_when_empty(
    uow: UnitOfWork, invoice_id: int, tmp_path: Path
) -> None:
    without = PdfReader(write_invoice_pdf(uow, invoice_id, tmp_path / "plain.pdf", TODAY))
    assert len(without.pages[0].images) == 0

    logo = tmp_path / "logo.png"
    Image.new("RGBA", (2400, 800), (10, 40, 120, 255)).save(logo)
    save_settings(uow, {"company.logo_path": str(logo)})
    with_logo = PdfReader(write_invoice_pdf(uow, invoice_id, tmp_path / "logo.pdf", TODAY))

    [image] = with_logo.pages[0].images
    assert image.image is not None
    assert image.image.width <= 700  # shrunk to print resolution, not embedded at 2400 px


def test_jpeg_logo_is_accepted(uow: UnitOfWork, invoice_id: int, tmp_path: Path) -> None:
    logo = tmp_path / "logo.jpg"
    Image.new("RGB", (300, 100), (200, 30, 30)).save(logo, "JPEG")
    save_settings(uow, {"company.logo_path": str(logo)})

    reader = PdfReader(write_invoice_pdf(uow, invoice_id, tmp_path / "i.pdf", TODAY))

    assert len(reader.pages[0].images) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the logo file"),
        (b"GIF89a not what we take", "is not a PNG or JPEG image"),
        (b"\x89PNG\r\n\x1a\n but then garbage", "is damaged"),
    ],
)
def test_unreadable_logo_is_an_error_naming_the_file(
    uow: UnitOfWork, invoice_id: int, tmp_path: Path, content: bytes | None, message: str
) -> None:
    logo = tmp_path / "company-logo.png"
    if content is not None:
        logo.write_bytes(content)
    save_settings(uow, {"company.logo_path": str(logo)})
    target = tmp_path / "i.pdf"

    with pytest.raises(PdfError, match=message) as raised:
        write_invoice_pdf(uow, invoice_id, target, TODAY)

    assert str(logo) in str(raised.value)
    assert not target.exists()


def test_draft_prints_a_draft_marker_and_no_number_reference_or_qr(
    uow: UnitOfWork, company: dict[str, str], tmp_path: Path
) -> None:
    draft_id = create_draft(
        uow, DraftInvoice(customer_id=add_reader(uow, "en"), issue_date=TODAY, lines=TWO_RATES)
    )
    draft = get_invoice(uow, draft_id, TODAY)

    path = write_invoice_pdf(uow, draft_id, tmp_path, TODAY)

    assert path == tmp_path / f"draft-{draft_id}.pdf"
    [text] = pdf_text(path)
    assert "DRAFT" in text
    assert "Draft invoice" in text
    assert "INV-" not in text
    assert "RF" not in text
    assert "Scan to pay" not in text
    assert "Pay online" not in text
    assert re.search(r"Total\s+€1,297\.00", text)
    assert invoice_qr_payload(draft, company) is None


def test_void_invoice_is_marked_and_not_payable(
    uow: UnitOfWork, invoice_id: int, tmp_path: Path
) -> None:
    void_invoice(uow, invoice_id, "Issued twice")

    [text] = pdf_text(write_invoice_pdf(uow, invoice_id, tmp_path / "v.pdf", TODAY))

    assert "VOID" in text
    assert "Please do not pay it" in text
    assert "Issued twice" in text
    assert "Scan to pay" not in text


def test_render_to_a_stream_with_a_german_locale(uow: UnitOfWork, invoice_id: int) -> None:
    invoice = get_invoice(uow, invoice_id, TODAY)
    out = io.BytesIO()

    render_invoice_pdf(invoice, COMPANY, out, locale="de_DE")

    data = out.getvalue()
    assert data.startswith(b"%PDF")
    [text] = pdf_text(data)
    assert "1.297,00" in text
    assert "23.12.2026" in text


def test_export_writes_one_file_per_invoice_and_reports_progress(
    uow: UnitOfWork, company: dict[str, str], tmp_path: Path
) -> None:
    customer = add_customer(uow)
    ids = [issue(uow, customer) for _ in range(3)]
    reports: list[tuple[int, int, str]] = []
    folder = tmp_path / "out"

    paths = export_invoice_pdfs(
        uow, ids, folder, TODAY, TaskContext(report=lambda *a: reports.append(a))
    )

    names = [f"INV-2026-0000{n}.pdf" for n in (1, 2, 3)]
    assert paths == [folder / name for name in names]
    assert sorted(p.name for p in folder.iterdir()) == names
    assert reports == [(0, 3, ""), (1, 3, names[0]), (2, 3, names[1]), (3, 3, names[2])]
    for path, number in zip(paths, ("00001", "00002", "00003"), strict=True):
        assert f"INV-2026-{number}" in pdf_text(path)[0]


def test_cancelled_export_removes_the_files_it_wrote(
    uow: UnitOfWork, company: dict[str, str], tmp_path: Path
) -> None:
    customer = add_customer(uow)
    ids = [issue(uow, customer) for _ in range(4)]
    folder = tmp_path / "out"
    ctx = TaskContext()

    def cancel_after_two(done: int, total: int, label: str) -> None:
        if done == 2:
            ctx.cancel()

    ctx.report = cancel_after_two

    with pytest.raises(TaskCancelledError):
        export_invoice_pdfs(uow, ids, folder, TODAY, ctx)

    assert list(folder.iterdir()) == []


def test_file_names_are_made_safe(uow: UnitOfWork, company: dict[str, str], tmp_path: Path) -> None:
    save_settings(uow, {"invoice.number_pattern": "R/{year}/{seq:03}"})
    invoice_id = issue(uow, add_customer(uow))
    invoice = get_invoice(uow, invoice_id, TODAY)

    assert invoice.number == "R/2026/001"
    assert invoice_pdf_name(invoice) == "R_2026_001.pdf"
    [path] = export_invoice_pdfs(uow, [invoice_id], tmp_path, TODAY, TaskContext())
    assert path == tmp_path / "R_2026_001.pdf"
    assert "R/2026/001" in pdf_text(path)[0]


def test_money_dates_and_percentages_are_formatted_by_locale() -> None:
    assert format_money(Money.of("1234.5", "EUR")) == "€1,234.50"
    assert format_money(Money.of("1234.5", "EUR"), "de_DE") == "1.234,50\xa0€"
    assert format_money(Money.of("1234.5", "EUR"), "fr") == "1\u202f234,50\xa0€"
    assert format_money(Money.of("1234.5", "EUR"), "de-CH") == "EUR\xa01\u2019234.50"
    assert format_date(date(2026, 12, 23), "de") == "23.12.2026"
    assert format_date(date(2026, 11, 23), "fr") == "23 nov. 2026"
    assert format_date(date(2026, 11, 23), "fr-CH") == "23 nov. 2026"
    assert format_money(Money(123450, "JPY")) == "¥123,450"
    assert format_money(Money(-1234567, "KWD")) == "-KWD1,234.567"
    assert format_date(date(2026, 12, 23)) == "Dec 23, 2026"
    assert format_percent(Decimal("7.5")) == "7.5%"
    with pytest.raises(ValueError, match="unknown locale"):
        format_money(Money(1, "EUR"), "xx")


def test_bundled_fonts_and_their_license_ship_in_resources() -> None:
    fonts = resources_dir() / "fonts"
    assert (fonts / "DejaVuSans.ttf").is_file()
    assert (fonts / "DejaVuSans-Bold.ttf").is_file()
    assert "Bitstream" in (fonts / "LICENSE-DejaVu.txt").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- languages


def test_german_customer_gets_a_german_invoice(
    uow: UnitOfWork, company: dict[str, str], tmp_path: Path
) -> None:
    invoice_id = issue(uow, add_reader(uow, "de"), po_number="PO-4711")

    [text] = pdf_text(write_invoice_pdf(uow, invoice_id, tmp_path / "r.pdf", TODAY))

    assert "Rechnung" in text
    assert re.search(r"Rechnungsnummer\s+INV-2026-00001", text)
    assert re.search(r"Rechnungsdatum\s+23\.11\.2026", text)
    assert re.search(r"Fällig am\s+23\.12\.2026", text)
    assert "Zahlbar innerhalb von 30 Tagen" in text
    assert re.search(r"Bestellnummer\s+PO-4711", text)
    assert re.search(r"Verwendungszweck\s+RF\d\dINV202600001", text)
    assert re.search(r"Bezeichnung\s+Menge\s+Einzelpreis\s+Rabatt\s+USt\.\s+Netto", text)
    assert re.search(r"Consulting\s+10\s+100,00\s€\s+19%\s+1\.000,00\s€", text)
    assert re.search(r"USt\. 19%\s+1\.000,00\s€\s+190,00\s€", text)
    assert re.search(r"Summe netto\s+1\.100,00\s€", text)
    assert re.search(r"Gesamtbetrag\s+1\.297,00\s€", text)
    assert re.search(r"Zu zahlender Betrag\s+1\.297,00\s€", text)
    assert words("Bitte überweisen Sie 1.297,00 € bis zum 23.12.2026 unter Angabe des").search(
        text.replace("\xa0", " ")
    )
    assert "Mit Banking-App scannen" in text
    assert re.search(r"Seite 1 von\s*1", text)
    for english in ("Invoice", "Due date", "Nov 23, 2026", "Dec 23, 2026", "€1,297.00", "Page"):
        assert english not in text


def test_customer_without_a_language_gets_the_company_country_language(
    uow: UnitOfWork, company: dict[str, str], tmp_path: Path
) -> None:
    german = issue(uow, add_reader(uow, "", code="D1"))
    [text] = pdf_text(write_invoice_pdf(uow, german, tmp_path / "de.pdf", TODAY))
    assert "Rechnung" in text
    assert "23.12.2026" in text

    save_settings(uow, {"company.country": ""})
    [text] = pdf_text(write_invoice_pdf(uow, german, tmp_path / "en.pdf", TODAY))
    assert "Invoice" in text
    assert "Dec 23, 2026" in text


@pytest.mark.parametrize(
    ("language", "country", "title", "issued", "due", "total", "germany", "home"),
    [
        (
            "fr",
            "FR",
            "Facture",
            "23 nov. 2026",
            "23 déc. 2026",
            "1 297,00 €",
            "Allemagne",
            "France",
        ),
        ("es", "ES", "Factura", "23 nov 2026", "23 dic 2026", "1.297,00 €", "Alemania", "España"),
        (
            "nl",
            "NL",
            "Factuur",
            "23 nov 2026",
            "23 dec 2026",
            "€ 1.297,00",
            "Duitsland",
            "Nederland",
        ),
    ],
)
def test_french_spanish_and_dutch_invoices(
    uow: UnitOfWork,
    company: dict[str, str],
    tmp_path: Path,
    language: str,
    country: str,
    title: str,
    issued: str,
    due: str,
    total: str,
    germany: str,
    home: str,
) -> None:
    invoice_id = issue(uow, add_reader(uow, language, country=country))

    [text] = pdf_text(write_invoice_pdf(uow, invoice_id, tmp_path / "i.pdf", TODAY))

    texts = TEXTS[language]
    assert texts["invoice"] in text
    assert title in text
    assert issued in text
    assert due in text
    assert re.search(rf"{re.escape(texts['total'])}\s+{words(total).pattern}", text)
    assert texts["payable_within_days"].format(days=30) in text
    assert texts["scan_to_pay"] in text
    # Each country by its name in the document's language, as they differ.
    assert germany in text.splitlines()
    assert home in text.splitlines()
    assert "Invoice" not in text


@pytest.mark.parametrize("language", ["xx", "pl", "zz-ZZ"])
def test_language_without_texts_falls_back_to_english(
    uow: UnitOfWork, company: dict[str, str], tmp_path: Path, language: str
) -> None:
    invoice_id = issue(uow, add_reader(uow, language, code="P1"))

    [text] = pdf_text(write_invoice_pdf(uow, invoice_id, tmp_path / "i.pdf", TODAY))

    assert "Invoice" in text
    assert "Dec 23, 2026" in text
    assert re.search(r"Total\s+€1,297\.00", text)
    assert "Rechnung" not in text
    assert document_language(language, "DE").language == "en"
    assert document_language("  ", "DE").language == "de"  # blank is no language at all


def test_language_with_a_region_prints_that_region_amounts(
    uow: UnitOfWork, company: dict[str, str], tmp_path: Path
) -> None:
    invoice_id = issue(uow, add_reader(uow, "de-CH", country="CH"))

    [text] = pdf_text(write_invoice_pdf(uow, invoice_id, tmp_path / "ch.pdf", TODAY))

    assert "Rechnung" in text
    assert re.search(r"Gesamtbetrag\s+EUR\s1\u2019297\.00", text)
    assert "Schweiz" in text.splitlines()
    assert "Deutschland" in text.splitlines()


def test_explicit_language_and_locale_win(
    uow: UnitOfWork, company: dict[str, str], tmp_path: Path
) -> None:
    invoice_id = issue(uow, add_reader(uow, "de"))

    [text] = pdf_text(write_invoice_pdf(uow, invoice_id, tmp_path / "fr.pdf", TODAY, language="fr"))
    assert "Facture" in text
    assert "23 déc. 2026" in text

    # A locale of another language sets the amounts; dates keep the document's month names.
    [text] = pdf_text(write_invoice_pdf(uow, invoice_id, tmp_path / "x.pdf", TODAY, "en_US"))
    assert "Rechnung" in text
    assert re.search(r"Gesamtbetrag\s+€1,297\.00", text)
    assert "23.12.2026" in text

    invoice = get_invoice(uow, invoice_id, TODAY)
    out = io.BytesIO()
    render_invoice_pdf(invoice, company, out, "de_AT", language="de")
    [text] = pdf_text(out.getvalue())
    assert re.search(r"Gesamtbetrag\s+€\s1\.297,00", text)


@pytest.mark.parametrize(
    ("language", "title", "number_label", "total_label", "notice"),
    [
        (
            "en",
            "Credit note",
            "Credit note no.",
            "Total credited",
            "This credit note reduces the amount due on invoice INV-2026-00001 by",
        ),
        (
            "de",
            "Rechnungskorrektur",
            "Rechnungskorrektur-Nr.",
            "Korrekturbetrag",
            "Diese Rechnungskorrektur mindert den offenen Betrag der Rechnung INV-2026-00001 um",
        ),
        (
            "fr",
            "Avoir",
            "N° d'avoir",
            "Total de l'avoir TTC",
            "Cet avoir réduit le montant dû sur la facture INV-2026-00001 de",
        ),
        (
            "es",
            "Factura rectificativa",
            "N.º de factura",
            "Total rectificado",
            "Esta factura rectificativa reduce el importe pendiente de la factura INV-2026-00001",
        ),
        (
            "nl",
            "Creditfactuur",
            "Creditfactuurnummer",
            "Totaal gecrediteerd",
            "Deze creditfactuur verlaagt het openstaande bedrag van factuur INV-2026-00001 met",
        ),
    ],
)
def test_credit_note_wording_per_language(
    uow: UnitOfWork,
    company: dict[str, str],
    clock: FixedClock,
    tmp_path: Path,
    language: str,
    title: str,
    number_label: str,
    total_label: str,
    notice: str,
) -> None:
    invoice_id = issue(uow, add_reader(uow, language))
    note_id, _ = create_credit_note(uow, invoice_id, clock, "Damaged goods")

    [text] = pdf_text(write_invoice_pdf(uow, note_id, tmp_path / "cn.pdf", TODAY))

    assert title in text
    assert number_label in text
    assert re.search(rf"{re.escape(total_label)}\s+\S", text)
    assert words(notice).search(text)
    assert TEXTS[language]["scan_to_pay"] not in text
    assert "RF" not in text


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_void_and_draft_markers_per_language(
    uow: UnitOfWork, company: dict[str, str], tmp_path: Path, language: str
) -> None:
    customer = add_reader(uow, language)
    void_id = issue(uow, customer)
    void_invoice(uow, void_id, "Issued twice.")
    draft_id = create_draft(
        uow, DraftInvoice(customer_id=customer, issue_date=TODAY, lines=TWO_RATES)
    )
    texts = TEXTS[language]

    [void] = pdf_text(write_invoice_pdf(uow, void_id, tmp_path / "v.pdf", TODAY))
    [draft] = pdf_text(write_invoice_pdf(uow, draft_id, tmp_path / "d.pdf", TODAY))

    assert texts["void_marker"] in void
    assert words(texts["void_notice_reason"].format(reason="Issued twice")).search(void)
    assert texts["draft_marker"] in draft
    assert texts["draft_invoice"] in draft


def test_every_language_has_the_english_keys_and_placeholders() -> None:
    placeholders = re.compile(r"\{(\w*)\}")
    english = TEXTS["en"]
    assert set(TEXTS) == {"en", "de", "fr", "es", "nl"}
    for language, texts in TEXTS.items():
        assert texts.keys() == english.keys(), language
        for key, text in texts.items():
            expected = set(placeholders.findall(english[key]))
            assert set(placeholders.findall(text)) == expected, (language, key)
            assert text.strip() == text
            assert text
        assert texts["page"].endswith("{total}"), language


def test_company_country_is_printed_by_name_only_for_customers_abroad(
    uow: UnitOfWork, company: dict[str, str], tmp_path: Path
) -> None:
    home = issue(uow, add_reader(uow, "en", code="H1"))
    abroad = issue(uow, add_reader(uow, "en", code="A1", country="GB"))

    [home_text] = pdf_text(write_invoice_pdf(uow, home, tmp_path / "h.pdf", TODAY))
    [abroad_text] = pdf_text(write_invoice_pdf(uow, abroad, tmp_path / "a.pdf", TODAY))

    for text in (home_text, abroad_text):
        assert "DE" not in text.splitlines()
        assert "GB" not in text.splitlines()
    assert "Germany" not in home_text
    assert "Germany" in abroad_text.splitlines()
    assert "United Kingdom" in abroad_text.splitlines()
    assert country_name("DE", "de") == "Deutschland"
    assert country_name("de", "fr") == "Allemagne"
    assert country_name("QQ", "en") == "QQ"


def text_runs(page: PageObject) -> list[tuple[float, float, float, str]]:
    """Each piece of text drawn on a page: left, right, baseline (points) and the text."""
    runs: list[tuple[float, float, float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        width = pdfmetrics.stringWidth(text.rstrip("\n"), FONT, size * tm[0] * cm[0])
        runs.append((x, x + width, y, text.strip()))

    page.extract_text(visitor_text=visit)
    return runs


def qr_box(page: PageObject) -> tuple[float, float, float]:
    """The left, bottom and top of the payment QR code's dark modules, in points."""
    squares: list[tuple[float, float, float]] = []

    def visit(operator: bytes, operands: list[Any], cm: list[float], tm: list[float]) -> None:
        if operator == b"re" and 0 < float(operands[3]) < 5:  # modules, not table shading
            x, y, _, height = (float(value) for value in operands)
            squares.append((x + cm[4], y + cm[5], y + height + cm[5]))

    page.extract_text(visitor_operand_before=visit)
    assert squares, "no QR code on the page"
    return min(s[0] for s in squares), min(s[1] for s in squares), max(s[2] for s in squares)


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_payment_text_keeps_clear_of_the_qr_code(
    uow: UnitOfWork, company: dict[str, str], tmp_path: Path, language: str
) -> None:
    save_settings(uow, {"company.bank_name": "Commerzbank Filiale Berlin-Mitte " * 3})
    invoice_id = issue(uow, add_reader(uow, language))
    page = PdfReader(write_invoice_pdf(uow, invoice_id, tmp_path / "i.pdf", TODAY)).pages[0]

    left, bottom, top = qr_box(page)
    beside = [
        run
        for run in text_runs(page)
        if run[0] < left - QR_GAP and bottom - 60 * mm <= run[2] <= top
    ]

    first_word = TEXTS[language]["please_pay_reference"].split()[0]
    assert any(run[3].startswith(first_word) for run in beside)  # the sentence is beside it
    assert max(run[1] for run in beside) > left - QR_GAP - 30 * mm  # and fills its column
    for _, x_right, _, text in beside:
        assert x_right <= left - QR_GAP, f"{text!r} runs into the QR code"


def test_export_looks_each_customer_language_up_once_per_batch(
    uow: UnitOfWork, company: dict[str, str], session_factory: SessionFactory, tmp_path: Path
) -> None:
    german, french = add_reader(uow, "de", code="D1"), add_reader(uow, "fr", code="F1")
    ids = [issue(uow, customer) for customer in (german, french, german, french)]
    statements: list[str] = []
    engine = session_factory.kw["bind"]

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        paths = export_invoice_pdfs(uow, ids, tmp_path / "out", TODAY, TaskContext())
    finally:
        event.remove(engine, "before_cursor_execute", record)

    titles = [pdf_text(path)[0] for path in paths]
    assert ["Rechnung" in t for t in titles] == [True, False, True, False]
    assert ["Facture" in t for t in titles] == [False, True, False, True]
    lookups = [sql for sql in statements if "DISTINCT customers.id, customers.language" in sql]
    assert len(lookups) == 1

    [forced] = export_invoice_pdfs(
        uow, ids[:1], tmp_path / "en", TODAY, TaskContext(), language="en"
    )
    assert "Invoice" in pdf_text(forced)[0]
