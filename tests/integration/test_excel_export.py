"""Exporting customers and invoices to XLSX: read back with openpyxl and imported again."""

import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from app.models.activity import Activity, AuditEntry
from app.models.customer import Contact, Customer, CustomerAlias, CustomerIban
from app.models.db import open_ledger
from app.models.invoice import Invoice
from app.models.money import Money
from app.models.payment import Allocation, Payment
from app.services.dto import DraftInvoice, DraftLine
from app.services.excel_export import (
    INVOICE_EXPORT_COLUMNS,
    escape_formula,
    export_customers_xlsx,
    export_invoices_xlsx,
)
from app.services.file_import import (
    CUSTOMER_COLUMNS,
    INVOICE_COLUMNS,
    import_customers,
    import_invoices,
)
from app.services.invoicing import (
    create_credit_note,
    create_draft,
    issue_invoice,
    record_payment,
    void_invoice,
)
from app.services.uow import UnitOfWork
from tests.conftest import TODAY, add_customer

DATA = Path(__file__).parent.parent / "data"
TABLES = (
    Customer,
    Contact,
    CustomerIban,
    CustomerAlias,
    Invoice,
    Payment,
    Allocation,
    AuditEntry,
    Activity,
)


def ledger_counts(uow):
    with uow:
        return {
            table.__tablename__: uow.session.scalar(select(func.count()).select_from(table))
            for table in TABLES
        }


def read_sheet(path: Path) -> tuple[list[Any], list[dict[Any, Any]]]:
    """Header and data rows as dicts, plus the cells themselves for formats."""
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    records = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    return header, records


def make_invoice(uow, customer_id, amount="100.00", issued=date(2026, 10, 1)):
    line = DraftLine("Consulting", Decimal(1), Decimal(amount))
    invoice_id = create_draft(uow, DraftInvoice(customer_id, issued, (line,)))
    issue_invoice(uow, invoice_id)
    return invoice_id


@pytest.fixture
def ledger(uow, clock):
    """Imported customers and invoices, an app-issued invoice with a payment and a credit note,
    a draft and a void invoice."""
    import_customers(uow, DATA / "import_customers.csv")
    import_invoices(uow, DATA / "import_invoices.csv")
    with uow:
        customer_id = uow.session.scalar(select(Customer.id).where(Customer.code == "C001"))
    assert customer_id is not None
    paid = make_invoice(uow, customer_id, "500.00")
    record_payment(
        uow, customer_id, Money(20000, "EUR"), date(2026, 10, 20), [(paid, Money(20000, "EUR"))]
    )
    create_credit_note(
        uow, paid, clock, "price reduction", [DraftLine("Discount", Decimal(1), Decimal("50.00"))]
    )
    void_invoice(uow, make_invoice(uow, customer_id, "70.00"), "wrong customer")
    create_draft(
        uow,
        DraftInvoice(customer_id, date(2026, 11, 1), (DraftLine("Draft", Decimal(1), Decimal(1)),)),
    )
    return uow


def test_customers_export_has_the_import_columns(ledger, tmp_path):
    path = tmp_path / "customers.xlsx"

    written = export_customers_xlsx(ledger, path)

    header, records = read_sheet(path)
    assert written == 4
    assert header == list(CUSTOMER_COLUMNS)
    first = records[0]
    assert first["customer_id"].value == "C001"
    assert first["name"].value == "Müller & Söhne GmbH"
    assert first["email"].value == "buchhaltung@mueller-soehne.de; rechnungen@mueller-soehne.de"
    assert first["iban"].value == "DE89370400440532013000"
    assert first["aliases"].value == "Müller Holding AG; MS Handel"
    assert first["payment_terms_days"].value == 14
    assert first["phone"].value == "'+49 30 1234567"  # would start a formula
    assert first["credit_limit"].value == 25000
    assert first["credit_limit"].number_format == "#,##0.00"
    tokyo = records[3]
    assert tokyo["name"].value == "東京商事株式会社"
    assert (tokyo["credit_limit"].value, tokyo["credit_limit"].number_format) == (500000, "#,##0")
    assert records[1]["credit_limit"].value is None


def test_invoices_export_issued_invoices_with_status_and_open_amount(ledger, tmp_path):
    path = tmp_path / "invoices.xlsx"

    written = export_invoices_xlsx(ledger, path, TODAY)

    header, records = read_sheet(path)
    assert header == [*INVOICE_COLUMNS, "status", "open_amount"]
    assert header == list(INVOICE_EXPORT_COLUMNS)
    numbers = [r["number"].value for r in records]
    assert written == len(records) == 6  # 5 imported and 1 issued here; no draft, void, credit note
    assert not any(n.startswith("CN-") for n in numbers)
    by_number = {r["number"].value: r for r in records}

    first = by_number["INV-2026-00102"]
    assert first["issue_date"].value == datetime.fromisoformat("2026-10-01T00:00")
    assert first["issue_date"].is_date
    assert first["issue_date"].number_format == "yyyy-mm-dd"
    assert first["total"].value == pytest.approx(238.5)
    assert first["total"].number_format == "#,##0.00"
    assert first["amount_paid"].value == 100
    assert first["open_amount"].value == pytest.approx(138.5)
    assert first["status"].value == "overdue"
    assert by_number["INV-2026-00103"]["status"].value == "paid"
    yen = by_number["INV-2026-00105"]
    assert (yen["total"].value, yen["total"].number_format) == (150000, "#,##0")
    assert yen["status"].value == "open"

    issued_here = by_number["INV-2026-00001"]
    # 500.00 less 200.00 paid and 50.00 credited
    assert (issued_here["amount_paid"].value, issued_here["open_amount"].value) == (250, 250)
    assert issued_here["status"].value == "overdue"


def test_exported_amounts_are_exact_decimals_in_the_file(ledger, tmp_path):
    path = tmp_path / "invoices.xlsx"
    export_invoices_xlsx(ledger, path, TODAY)
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>238.5</v>" in sheet
    assert "<v>0.1</v>" in sheet  # the 0.10 PLN invoice


def test_round_trip_reimports_without_changes(ledger, tmp_path):
    customers = tmp_path / "customers.xlsx"
    invoices = tmp_path / "invoices.xlsx"
    export_customers_xlsx(ledger, customers)
    export_invoices_xlsx(ledger, invoices, TODAY)
    before = ledger_counts(ledger)

    customer_result = import_customers(ledger, customers)
    invoice_result = import_invoices(ledger, invoices)

    assert (customer_result.created, customer_result.updated, customer_result.unchanged) == (
        0,
        0,
        4,
    )
    assert customer_result.warnings == ()
    assert (invoice_result.created, invoice_result.updated, invoice_result.unchanged) == (0, 0, 6)
    assert invoice_result.warnings == (
        "invoices.xlsx: column 'status' is not part of the invoices format; ignored",
        "invoices.xlsx: column 'open_amount' is not part of the invoices format; ignored",
    )
    assert ledger_counts(ledger) == before


def test_round_trip_into_a_new_ledger(ledger, tmp_path):
    customers = tmp_path / "customers.xlsx"
    invoices = tmp_path / "invoices.xlsx"
    export_customers_xlsx(ledger, customers)
    export_invoices_xlsx(ledger, invoices, TODAY)
    fresh = UnitOfWork(open_ledger(tmp_path / "fresh.sqlite3"))

    assert import_customers(fresh, customers).created == 4
    assert import_invoices(fresh, invoices).created == 6

    again = tmp_path / "again.xlsx"
    export_invoices_xlsx(fresh, again, TODAY)
    _, original = read_sheet(invoices)
    _, copied = read_sheet(again)
    assert [[c.value for c in r.values()] for r in copied] == [
        [c.value for c in r.values()] for r in original
    ]


def test_formulas_are_escaped_and_come_back_unchanged(uow, tmp_path):
    nasty = {
        '=HYPERLINK("http://evil.example","click")': "'=HYPERLINK",
        "+49 30 1": "'+49",
        "-5 discount": "'-5",
        "@SUM(A1:A9)": "'@SUM",
        "\tTabbed": "'\t",
    }
    for i, name in enumerate(nasty):
        customer_id = add_customer(uow, code=f"C{i}", name=name)
        invoice_id = make_invoice(uow, customer_id)
        with uow:
            invoice = uow.session.get(Invoice, invoice_id)
            assert invoice is not None
            invoice.description = name
            uow.commit()
    customers = tmp_path / "customers.xlsx"
    invoices = tmp_path / "invoices.xlsx"
    export_customers_xlsx(uow, customers)
    export_invoices_xlsx(uow, invoices, TODAY)

    _, customer_rows = read_sheet(customers)
    _, invoice_rows = read_sheet(invoices)
    for row, prefix in zip(customer_rows, nasty.values(), strict=True):
        assert row["name"].data_type == "s"
        assert row["name"].value.startswith(prefix)
    for row, prefix in zip(invoice_rows, nasty.values(), strict=True):
        assert row["description"].data_type == "s"
        assert row["description"].value.startswith(prefix)
    for path in (customers, invoices):
        with zipfile.ZipFile(path) as archive:
            assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()

    before = ledger_counts(uow)
    assert import_customers(uow, customers).unchanged == 5
    assert import_invoices(uow, invoices).unchanged == 5
    assert ledger_counts(uow) == before


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Müller = Söhne", "Müller = Söhne"),
        ("", ""),
    ],
)
def test_escape_formula(text, escaped):
    assert escape_formula(text) == escaped


def test_empty_ledger_exports_only_headers(uow, tmp_path):
    path = tmp_path / "invoices.xlsx"
    assert export_invoices_xlsx(uow, path, TODAY) == 0
    header, records = read_sheet(path)
    assert header == list(INVOICE_EXPORT_COLUMNS)
    assert records == []
