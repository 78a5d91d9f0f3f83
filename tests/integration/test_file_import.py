"""Importing customers and invoices from CSV and XLSX files into a real SQLite ledger."""

import csv
import io
import json
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from app.models.activity import Activity, AuditEntry
from app.models.customer import Contact, Customer, CustomerAlias, CustomerIban
from app.models.invoice import DocumentState, Invoice, InvoiceStatus
from app.models.money import Money
from app.models.payment import Allocation, Payment
from app.services.dto import DraftInvoice, DraftLine
from app.services.file_import import (
    ImportFileError,
    ImportResult,
    import_customers,
    import_invoices,
)
from app.services.invoice_queries import get_invoice
from app.services.invoicing import create_draft, issue_invoice, record_payment, void_invoice
from app.services.settings import save_settings
from app.services.tasks import TaskCancelledError, TaskContext
from tests.conftest import TODAY, add_customer

DATA = Path(__file__).parent.parent / "data"
CUSTOMERS_CSV = DATA / "import_customers.csv"
INVOICES_CSV = DATA / "import_invoices.csv"
SEMICOLON_CSV = DATA / "import_customers_semicolon.csv"

INVOICE_HEADER = "number,customer_id,issue_date,due_date,total,amount_paid\n"
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)

LEDGER_TABLES = (
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
    """Rows per table, and which allocations and payments are reversed."""
    with uow:
        counts = {
            table.__tablename__: uow.session.scalar(select(func.count()).select_from(table))
            for table in LEDGER_TABLES
        }
        counts["reversed"] = uow.session.scalar(
            select(func.count()).where(Allocation.reversed_at.is_not(None))
        )
    return counts


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def write_xlsx(tmp_path: Path, name: str, rows: list[tuple[Any, ...]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    path = tmp_path / name
    book.save(path)
    return path


def snapshot(row):
    """The column values of an ORM row, readable after its session is gone."""
    return SimpleNamespace(**{c.key: getattr(row, c.key) for c in row.__table__.columns})


def customer_by_code(uow, code):
    with uow:
        customer = uow.session.scalars(select(Customer).where(Customer.code == code)).one()
        contacts = [(c.email, c.role) for c in customer.contacts]
        ibans = [i.iban for i in customer.ibans]
        aliases = [a.alias for a in customer.aliases]
        return snapshot(customer), contacts, ibans, aliases


def invoice_by_number(uow, number):
    with uow:
        invoice = uow.session.scalars(select(Invoice).where(Invoice.number == number)).one()
        return snapshot(invoice)


def import_payments(uow, number):
    """(amount, reversed) of the import payments allocated to an invoice, oldest first."""
    with uow:
        rows = uow.session.execute(
            select(Allocation.amount_minor, Allocation.reversed_at, Payment.reversed_at)
            .join(Payment, Payment.id == Allocation.payment_id)
            .join(Invoice, Invoice.id == Allocation.invoice_id)
            .where(Invoice.number == number, Payment.source == "import")
            .order_by(Allocation.id)
        ).all()
    for _, allocation_reversed, payment_reversed in rows:
        assert (allocation_reversed is None) == (payment_reversed is None)
    return [(amount, reversed_at is not None) for amount, reversed_at, _ in rows]


@pytest.fixture
def customers(uow):
    """The customers of the invoices fixture file."""
    import_customers(uow, CUSTOMERS_CSV)
    return uow


# --- customers ---------------------------------------------------------------------------


def test_customers_csv_with_bom_non_ascii_and_free_column_order(uow):
    result = import_customers(uow, CUSTOMERS_CSV)

    assert (result.created, result.updated, result.unchanged) == (4, 0, 0)
    assert result.warnings == (
        "import_customers.csv: column 'internal_note' is not part of the customers format; ignored",
    )
    customer, contacts, ibans, aliases = customer_by_code(uow, "C001")
    assert customer.name == "Müller & Söhne GmbH"
    assert contacts == [
        ("buchhaltung@mueller-soehne.de", "billing"),
        ("rechnungen@mueller-soehne.de", "billing"),
    ]
    assert ibans == ["DE89370400440532013000"]
    assert aliases == ["Müller Holding AG", "MS Handel"]
    assert (customer.currency, customer.payment_terms_days) == ("EUR", 14)
    assert (customer.phone, customer.address) == ("+49 30 1234567", "Hauptstraße 5, 10115 Berlin")
    assert (customer.country, customer.language, customer.segment) == ("DE", "de", "key accounts")
    assert customer.credit_limit_minor == 2_500_000

    tokyo, *_ = customer_by_code(uow, "C004")
    assert tokyo.name == "東京商事株式会社"
    assert tokyo.credit_limit_minor == 500_000  # JPY has no minor unit

    sge, contacts, ibans, _ = customer_by_code(uow, "C002")
    assert sge.address == "12 rue de la Paix\n75002 Paris"
    assert ibans == ["FR1420041010050500013M02606"]
    assert sge.credit_limit_minor is None


def test_customer_defaults_come_from_the_settings(uow):
    save_settings(uow, {"company.currency": "CHF", "invoice.payment_terms_days": "21"})
    import_customers(uow, CUSTOMERS_CSV)

    sge, *_ = customer_by_code(uow, "C002")
    assert (sge.currency, sge.payment_terms_days) == ("CHF", 21)
    lodz, *_ = customer_by_code(uow, "C003")
    assert (lodz.currency, lodz.payment_terms_days) == ("PLN", 45)


def test_reimporting_customers_changes_nothing(uow):
    import_customers(uow, CUSTOMERS_CSV)
    before = ledger_counts(uow)

    result = import_customers(uow, CUSTOMERS_CSV)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 4)
    assert ledger_counts(uow) == before


def test_customer_upsert_updates_fields_and_replaces_lists(uow, tmp_path):
    import_customers(uow, CUSTOMERS_CSV)
    with uow:
        customer = uow.session.scalars(select(Customer).where(Customer.code == "C001")).one()
        customer.contacts.append(Contact(name="Eva", email="eva@mueller.de", role="reminders"))
        uow.commit()
    changed = write(
        tmp_path,
        "customers.csv",
        "customer_id,name,email,iban,aliases\n"
        "C001,Müller & Söhne GmbH & Co. KG,rechnungen@mueller-soehne.de;neu@mueller-soehne.de,"
        "GB82 WEST 1234 5698 7654 32,Müller Holding AG\n"
        "C002,Société Générale d'Équipement,compta@sge.fr,FR14 2004 1010 0505 0001 3M02 606,\n"
        "C005,Neukunde GmbH,,,\n",
    )

    result = import_customers(uow, changed)

    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    customer, contacts, ibans, aliases = customer_by_code(uow, "C001")
    assert customer.name == "Müller & Söhne GmbH & Co. KG"
    assert sorted(contacts) == [
        ("eva@mueller.de", "reminders"),  # not a billing contact: kept
        ("neu@mueller-soehne.de", "billing"),
        ("rechnungen@mueller-soehne.de", "billing"),
    ]
    assert ibans == ["GB82WEST12345698765432"]
    assert aliases == ["Müller Holding AG"]
    # columns that are not in the file are left alone
    assert (customer.phone, customer.credit_limit_minor) == ("+49 30 1234567", 2_500_000)
    with uow:
        entry = snapshot(
            uow.session.scalars(
                select(AuditEntry).where(
                    AuditEntry.entity == "customer", AuditEntry.entity_id == customer.id
                )
            ).all()[-1]
        )
    assert entry.action == "import"
    assert json.loads(entry.before)["name"] == "Müller & Söhne GmbH"
    assert json.loads(entry.after)["name"] == "Müller & Söhne GmbH & Co. KG"
    assert json.loads(entry.after)["iban"] == ["GB82WEST12345698765432"]


def test_semicolon_separated_customers(uow):
    result = import_customers(uow, SEMICOLON_CSV)

    assert result.created == 2
    customer, contacts, ibans, _ = customer_by_code(uow, "C010")
    assert customer.name == "Ærø Fisk ApS"
    assert [email for email, _ in contacts] == [
        "faktura@aeroe-fisk.dk",
        "bogholderi@aeroe-fisk.dk",
    ]
    assert ibans == ["NL91ABNA0417164300"]


def test_customers_xlsx_with_numbers_stored_as_numbers(uow, tmp_path):
    path = write_xlsx(
        tmp_path,
        "kunden.xlsx",
        [
            ("CUSTOMER_ID", "Name", "payment_terms_days", "credit_limit", "phone", "aliases"),
            (1001, "Ørsted Energi A/S", 30, 1234.56, "'+45 99 55 11 11", None),
            (1002, "Zürcher Kantonalbank", 10.0, 0.1 + 0.7, None, "ZKB"),
        ],
    )

    result = import_customers(uow, path)

    assert result.created == 2
    first, *_ = customer_by_code(uow, "1001")
    assert first.name == "Ørsted Energi A/S"
    assert first.credit_limit_minor == 123456
    assert first.phone == "+45 99 55 11 11"  # the quote that kept it from being a formula
    second, _, _, aliases = customer_by_code(uow, "1002")
    assert second.payment_terms_days == 10
    assert second.credit_limit_minor == 80  # 0.7999999999999999 as Excel stores it
    assert aliases == ["ZKB"]


def test_header_only_file_imports_nothing_with_a_warning(uow, tmp_path):
    result = import_customers(uow, write(tmp_path, "customers.csv", "customer_id,name\n"))
    assert result == ImportResult(0, 0, 0, ("customers.csv has a header row but no data rows",))


# --- invoices ----------------------------------------------------------------------------


def test_invoices_csv_are_issued_with_payments_and_timeline(customers):
    uow = customers
    result = import_invoices(uow, INVOICES_CSV)

    assert (result.created, result.updated, result.unchanged) == (5, 0, 0)
    assert result.warnings == ()
    invoice = invoice_by_number(uow, "INV-2026-00101")
    assert invoice.state == DocumentState.ISSUED
    assert invoice.source == "import"
    assert invoice.issued_at is not None
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 9, 1), date(2026, 9, 15))
    assert (invoice.net_minor, invoice.tax_minor, invoice.total_minor) == (119000, 0, 119000)
    assert (invoice.po_number, invoice.description) == ("PO-4711", "Beratung September - Größe L")

    detail = get_invoice(uow, invoice_by_number(uow, "INV-2026-00102").id, TODAY)
    assert detail.lines == ()
    assert detail.open_amount == Money(13850, "EUR")
    assert detail.status == InvoiceStatus.OVERDUE
    assert [(a.kind, a.amount) for a in detail.allocations] == [("cash", Money(10000, "EUR"))]
    with uow:
        payment = snapshot(
            uow.session.scalars(select(Payment).where(Payment.reference == "INV-2026-00102")).one()
        )
    assert (payment.source, payment.method, payment.amount_minor) == ("import", "imported", 10000)

    paid = get_invoice(uow, invoice_by_number(uow, "INV-2026-00103").id, TODAY)
    assert paid.currency == "EUR"  # the customer's, the cell was empty
    assert paid.status == InvoiceStatus.PAID
    yen = invoice_by_number(uow, "INV-2026-00105")
    assert (yen.currency, yen.total_minor) == ("JPY", 150000)
    zloty = invoice_by_number(uow, "INV-2026-00104")
    assert (zloty.currency, zloty.total_minor) == ("PLN", 10)

    with uow:
        summaries = uow.session.scalars(
            select(Activity.summary).where(Activity.invoice_id == invoice.id)
        ).all()
        audited = uow.session.scalar(
            select(func.count()).where(
                AuditEntry.entity == "invoice", AuditEntry.action == "import"
            )
        )
    assert summaries == ["Invoice INV-2026-00101 imported for €1,190.00, due 2026-09-15"]
    assert audited == 5
    with uow:
        timeline = uow.session.execute(
            select(
                Activity.summary, Invoice.number, Activity.customer_id, Invoice.customer_id
            ).join(Invoice, Invoice.id == Activity.invoice_id)
        ).all()
        payments = uow.session.execute(
            select(Payment.reference, Invoice.number, Allocation.amount_minor, Payment.amount_minor)
            .join(Allocation, Allocation.payment_id == Payment.id)
            .join(Invoice, Invoice.id == Allocation.invoice_id)
        ).all()
    assert len(timeline) == 5
    for summary, number, activity_customer, invoice_customer in timeline:
        assert summary.startswith(f"Invoice {number} imported")
        assert activity_customer == invoice_customer
    assert sorted(payments) == [
        ("INV-2026-00102", "INV-2026-00102", 10000, 10000),
        ("INV-2026-00103", "INV-2026-00103", 500000, 500000),
    ]


def test_reimporting_invoices_changes_nothing(customers):
    uow = customers
    import_invoices(uow, INVOICES_CSV)
    before = ledger_counts(uow)

    result = import_invoices(uow, INVOICES_CSV)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 5)
    assert ledger_counts(uow) == before


def test_invoice_upsert_updates_and_audits(customers, tmp_path):
    uow = customers
    import_invoices(uow, INVOICES_CSV)
    changed = write(
        tmp_path,
        "invoices.csv",
        "number,customer_id,issue_date,due_date,total,po_number,description\n"
        "INV-2026-00101,C001,2026-09-01,2026-09-30,1200.00,PO-4712,Beratung September\n"
        "INV-2026-00102,C001,2026-10-01,2026-10-15,238.50,,Wartung\n",
    )

    result = import_invoices(uow, changed)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    invoice = invoice_by_number(uow, "INV-2026-00101")
    assert (invoice.due_date, invoice.total_minor, invoice.net_minor) == (
        date(2026, 9, 30),
        120000,
        120000,
    )
    assert (invoice.po_number, invoice.description) == ("PO-4712", "Beratung September")
    with uow:
        entry = snapshot(
            uow.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.entity == "invoice", AuditEntry.entity_id == invoice.id)
                .order_by(AuditEntry.id)
            ).all()[-1]
        )
    assert json.loads(entry.before) == {
        "description": "Beratung September - Größe L",
        "due_date": "2026-09-15",
        "po_number": "PO-4711",
        "total_minor": 119000,
    }
    assert json.loads(entry.after)["total_minor"] == 120000
    # amount_paid is not in this file: the imported payment of INV-2026-00102 stays
    assert import_payments(uow, "INV-2026-00102") == [(10000, False)]


def test_changed_amount_paid_reverses_the_import_payment_and_makes_a_new_one(customers, tmp_path):
    uow = customers
    import_invoices(uow, INVOICES_CSV)
    number = "INV-2026-00102"
    row = f"{number},C001,2026-10-01,2026-10-15,238.50"

    result = import_invoices(uow, write(tmp_path, "a.csv", f"{INVOICE_HEADER}{row},200.00\n"))

    assert result.updated == 1
    assert import_payments(uow, number) == [(10000, True), (20000, False)]
    detail = get_invoice(uow, invoice_by_number(uow, number).id, TODAY)
    assert detail.open_amount == Money(3850, "EUR")

    import_invoices(uow, write(tmp_path, "b.csv", f"{INVOICE_HEADER}{row},\n"))

    assert import_payments(uow, number) == [(10000, True), (20000, True)]
    detail = get_invoice(uow, invoice_by_number(uow, number).id, TODAY)
    assert detail.open_amount == Money(23850, "EUR")
    with uow:
        entry = snapshot(
            uow.session.scalars(
                select(AuditEntry).where(AuditEntry.entity == "invoice").order_by(AuditEntry.id)
            ).all()[-1]
        )
    assert (json.loads(entry.before), json.loads(entry.after)) == (
        {"amount_paid": "200.00"},
        {"amount_paid": "0.00"},
    )


def test_payments_recorded_in_duebook_count_towards_amount_paid(customers, tmp_path):
    uow = customers
    path = write(tmp_path, "a.csv", f"{INVOICE_HEADER}INV-9,C001,2026-10-01,2026-10-31,100.00,0\n")
    import_invoices(uow, path)
    invoice = invoice_by_number(uow, "INV-9")
    record_payment(
        uow,
        invoice.customer_id,
        Money(6000, "EUR"),
        date(2026, 10, 20),
        [(invoice.id, Money(6000, "EUR"))],
    )
    before = ledger_counts(uow)

    # the accounting system now knows of the 60.00 too: nothing to do
    same = write(tmp_path, "b.csv", f"{INVOICE_HEADER}INV-9,C001,2026-10-01,2026-10-31,100.00,60\n")
    assert import_invoices(uow, same).unchanged == 1
    # it does not know yet: the payment stays, with a warning
    result = import_invoices(uow, path)
    assert result.unchanged == 1
    assert result.warnings == (
        "a.csv: 1 invoice(s) already have more allocated in the ledger than their amount_paid "
        "(first: row 2, INV-9); those allocations were left as they are",
    )
    assert ledger_counts(uow) == before
    # it knows of 90.00 in all: the import holds the other 30.00
    more = write(tmp_path, "c.csv", f"{INVOICE_HEADER}INV-9,C001,2026-10-01,2026-10-31,100.00,90\n")
    assert import_invoices(uow, more).updated == 1
    assert import_payments(uow, "INV-9") == [(3000, False)]
    assert get_invoice(uow, invoice.id, TODAY).open_amount == Money(1000, "EUR")


def test_total_cannot_drop_below_what_is_allocated(customers, tmp_path):
    uow = customers
    import_invoices(
        uow,
        write(tmp_path, "a.csv", f"{INVOICE_HEADER}INV-9,C001,2026-10-01,2026-10-31,100.00,0\n"),
    )
    invoice = invoice_by_number(uow, "INV-9")
    record_payment(
        uow,
        invoice.customer_id,
        Money(8000, "EUR"),
        date(2026, 10, 20),
        [(invoice.id, Money(8000, "EUR"))],
    )
    before = ledger_counts(uow)
    lower = write(tmp_path, "b.csv", f"{INVOICE_HEADER}INV-9,C001,2026-10-01,2026-10-31,50.00,50\n")

    with pytest.raises(
        ImportFileError,
        match=r"^b\.csv, row 2, column total: expected at least 80\.00, what is already allocated "
        r"to INV-9, got '50\.00'$",
    ):
        import_invoices(uow, lower)
    assert ledger_counts(uow) == before
    assert invoice_by_number(uow, "INV-9").total_minor == 10000


def test_total_cannot_drop_below_the_import_payment_when_amount_paid_is_absent(customers, tmp_path):
    uow = customers
    import_invoices(uow, INVOICES_CSV)
    before = ledger_counts(uow)
    path = write(
        tmp_path,
        "invoices.csv",
        "number,customer_id,issue_date,due_date,total\nINV-2026-00102,C001,2026-10-01,2026-10-15,99\n",
    )
    with pytest.raises(ImportFileError, match=r"row 2, column total: expected at least 100\.00"):
        import_invoices(uow, path)
    assert ledger_counts(uow) == before


def test_invoices_xlsx_with_date_cells_and_float_totals(customers, tmp_path):
    uow = customers
    path = write_xlsx(
        tmp_path,
        "export.xlsx",
        [
            ("Number", "Customer_ID", "Issue_Date", "Due_Date", "Total", "Amount_Paid"),
            ("X-1", "C001", date(2026, 10, 1), date(2026, 10, 31), 0.1 + 0.7, 0),
            (
                "X-2",
                "C001",
                datetime.fromisoformat("2026-10-02T00:00"),
                datetime.fromisoformat("2026-11-01T00:00"),
                1234.56,
                0.1 + 0.2,
            ),
            ("X-3", "C001", "2026-10-03", "2026-11-02", 300.0, None),
        ],
    )
    # Excel writes doubles with 17 significant digits; openpyxl with 16: put Excel's in.
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    assert "<v>0.3</v>" in sheet
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        "<v>0.3</v>", "<v>0.30000000000000004</v>"
    ).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)

    result = import_invoices(uow, path)

    assert result.created == 3
    first = invoice_by_number(uow, "X-1")
    assert (first.total_minor, first.issue_date) == (80, date(2026, 10, 1))
    second = invoice_by_number(uow, "X-2")
    assert (second.total_minor, second.due_date) == (123456, date(2026, 11, 1))
    assert import_payments(uow, "X-2") == [(30, False)]
    assert invoice_by_number(uow, "X-3").total_minor == 30000


def test_xlsx_detected_from_content_not_name(customers, tmp_path):
    uow = customers
    path = write_xlsx(
        tmp_path,
        "invoices.csv",
        [
            ("number", "customer_id", "issue_date", "due_date", "total"),
            ("X-1", "C001", date(2026, 10, 1), date(2026, 10, 31), 10),
        ],
    )
    assert import_invoices(uow, path).created == 1


# --- bad input: nothing is written --------------------------------------------------------

GOOD_ROW = "INV-1,C001,2026-10-01,2026-10-31,100.00,0\n"

BAD_INVOICES = [
    pytest.param(
        f"{INVOICE_HEADER}{GOOD_ROW}INV-2,C001,2026-10-01,31/12/2026,10.00,0\n",
        r"^invoices\.csv, row 3, column due_date: expected a date as YYYY-MM-DD, "
        r"got '31/12/2026'$",
        id="bad-date",
    ),
    pytest.param(
        f"{INVOICE_HEADER}INV-2,C001,2026-02-30,2026-03-31,10.00,0\n",
        r"^invoices\.csv, row 2, column issue_date: expected a date as YYYY-MM-DD, "
        r"got '2026-02-30'$",
        id="no-such-day",
    ),
    pytest.param(
        f'{INVOICE_HEADER}{GOOD_ROW}INV-2,C001,2026-10-01,2026-10-31,"1,234.50",0\n',
        r"^invoices\.csv, row 3, column total: expected an amount such as 1234\.50 .*, "
        r"got '1,234\.50'$",
        id="thousands-separator",
    ),
    pytest.param(
        f'{INVOICE_HEADER}INV-2,C001,2026-10-01,2026-10-31,"12,50",0\n',
        r"^invoices\.csv, row 2, column total: expected an amount such as 1234\.50",
        id="decimal-comma",
    ),
    pytest.param(
        f"{INVOICE_HEADER}INV-2,C001,2026-10-01,2026-10-31,-10.00,0\n",
        r"^invoices\.csv, row 2, column total: expected an amount of 0 or more, got '-10\.00'$",
        id="negative-total",
    ),
    pytest.param(
        f"{INVOICE_HEADER}INV-2,C001,2026-10-01,2026-10-31,10.005,0\n",
        r"^invoices\.csv, row 2, column total: expected at most 2 decimal places for EUR",
        id="too-many-decimals",
    ),
    pytest.param(
        f"{INVOICE_HEADER}INV-2,C001,2026-10-01,2026-10-31,,0\n",
        r"^invoices\.csv, row 2, column total: expected an amount .*, got an empty cell$",
        id="empty-total",
    ),
    pytest.param(
        f"{INVOICE_HEADER}INV-2,C001,2026-10-31,2026-10-01,10.00,0\n",
        r"^invoices\.csv, row 2, column due_date: expected a date on or after the issue date "
        r"2026-10-31, got '2026-10-01'$",
        id="due-before-issue",
    ),
    pytest.param(
        f"{INVOICE_HEADER}{GOOD_ROW}{GOOD_ROW}",
        r"^invoices\.csv, row 3, column number: 'INV-1' appears twice, in rows 2 and 3$",
        id="duplicate-number",
    ),
    pytest.param(
        f"{INVOICE_HEADER}{GOOD_ROW}INV-2,C999,2026-10-01,2026-10-31,10.00,0\n",
        r"^invoices\.csv, row 3, column customer_id: expected the customer_id of a customer in "
        r"the ledger, got 'C999'$",
        id="unknown-customer",
    ),
    pytest.param(
        f"{INVOICE_HEADER}INV-2,C001,2026-10-01,2026-10-31,10.00,10.01\n",
        r"^invoices\.csv, row 2, column amount_paid: expected an amount from 0 to the total "
        r"10\.00, got '10\.01'$",
        id="paid-above-total",
    ),
    pytest.param(
        f"{INVOICE_HEADER}INV-2,C001,2026-10-01,2026-10-31,10.00,-1\n",
        r"^invoices\.csv, row 2, column amount_paid: expected an amount of 0 or more",
        id="negative-paid",
    ),
    pytest.param(
        "number,customer_id,issue_date,due_date,currency,total\n"
        "INV-2,C001,2026-10-01,2026-10-31,EURO,10.00\n",
        r"^invoices\.csv, row 2, column currency: expected an ISO 4217 currency code such as "
        r"EUR, got 'EURO'$",
        id="bad-currency",
    ),
    pytest.param(
        f"{INVOICE_HEADER}{GOOD_ROW},C001,2026-10-01,2026-10-31,10.00,0\n",
        r"^invoices\.csv, row 3, column number: expected a value, got an empty cell$",
        id="empty-number",
    ),
    pytest.param(
        "number,customer_id,issue_date,total\nINV-2,C001,2026-10-01,10.00\n",
        r"^invoices\.csv, row 1: missing required column due_date \(the header has number, "
        r"customer_id, issue_date, total\)$",
        id="missing-column",
    ),
    pytest.param(
        "number,customer_id,issue_date,due_date,total,TOTAL\n",
        r"^invoices\.csv, row 1, column total: the column appears twice in the header$",
        id="duplicate-column",
    ),
    pytest.param(
        f"{INVOICE_HEADER}{GOOD_ROW}INV-2,C001,2026-10-01,2026-10-31,10.00,0,extra\n",
        r"^invoices\.csv, line 3: expected 6 values as in the header row, found 7",
        id="ragged-row",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_INVOICES)
def test_bad_invoice_rows_are_refused_and_nothing_is_written(customers, tmp_path, text, message):
    uow = customers
    import_invoices(
        uow,
        write(tmp_path, "first.csv", f"{INVOICE_HEADER}INV-0,C001,2026-09-01,2026-09-30,5.00,1\n"),
    )
    before = ledger_counts(uow)

    with pytest.raises(ImportFileError, match=message):
        import_invoices(uow, write(tmp_path, "invoices.csv", text))

    assert ledger_counts(uow) == before


def test_missing_columns_are_all_named(uow, tmp_path):
    path = write(tmp_path, "invoices.csv", "Number, TOTAL ,amount\nINV-2,10.00,1\n")
    with pytest.raises(
        ImportFileError,
        match=r"^invoices\.csv, row 1: missing required columns customer_id, issue_date, "
        r"due_date \(the header has number, total, amount\)$",
    ):
        import_invoices(uow, path)


def test_error_in_a_late_row_leaves_the_earlier_rows_unwritten(customers, tmp_path):
    uow = customers
    before = ledger_counts(uow)
    rows = "".join(f"INV-{i},C001,2026-10-01,2026-10-31,{i}.00,1\n" for i in range(1, 50))
    path = write(tmp_path, "invoices.csv", f"{INVOICE_HEADER}{rows}INV-50,C001,2026-10-01,x,1,0\n")

    with pytest.raises(ImportFileError, match=r"row 51, column due_date"):
        import_invoices(uow, path)

    assert ledger_counts(uow) == before


def test_invoice_of_another_customer_or_void_cannot_be_imported_over(customers, tmp_path):
    uow = customers
    import_invoices(uow, INVOICES_CSV)
    before = ledger_counts(uow)
    other = write(
        tmp_path, "a.csv", f"{INVOICE_HEADER}INV-2026-00101,C002,2026-09-01,2026-09-15,1190,0\n"
    )
    with pytest.raises(
        ImportFileError,
        match=r"^a\.csv, row 2, column customer_id: expected 'C001', the customer of "
        r"INV-2026-00101, got 'C002'$",
    ):
        import_invoices(uow, other)
    assert ledger_counts(uow) == before

    void_invoice(uow, invoice_by_number(uow, "INV-2026-00104").id, "sent twice")
    before = ledger_counts(uow)
    again = write(
        tmp_path, "b.csv", f"{INVOICE_HEADER}INV-2026-00104,C003,2026-11-01,2026-12-16,0.10,0\n"
    )
    with pytest.raises(
        ImportFileError,
        match=r"^b\.csv, row 2, column number: INV-2026-00104 is void in the ledger",
    ):
        import_invoices(uow, again)
    assert ledger_counts(uow) == before


def test_invoice_issued_in_duebook_keeps_the_total_of_its_lines(uow, tmp_path):
    customer_id = add_customer(uow, code="C001")
    draft = DraftInvoice(
        customer_id, date(2026, 10, 1), (DraftLine("Work", Decimal(1), Decimal("100.00")),)
    )
    number = issue_invoice(uow, create_draft(uow, draft))
    invoice = invoice_by_number(uow, number)
    due = invoice.due_date.isoformat()
    same = write(tmp_path, "a.csv", f"{INVOICE_HEADER}{number},C001,2026-10-01,{due},100.00,0\n")
    assert import_invoices(uow, same).unchanged == 1

    more = write(tmp_path, "b.csv", f"{INVOICE_HEADER}{number},C001,2026-10-01,{due},120.00,0\n")
    with pytest.raises(
        ImportFileError, match=rf"^b\.csv, row 2, column total: expected 100\.00: {number} was"
    ):
        import_invoices(uow, more)


BAD_CUSTOMERS = [
    pytest.param(
        "customer_id,name\nC1,Alpha\nC2,Beta\nC1,Gamma\n",
        r"^customers\.csv, row 4, column customer_id: 'C1' appears twice, in rows 2 and 4$",
        id="duplicate-id",
    ),
    pytest.param(
        "customer_id,name,iban\nC1,Alpha,DE89 3704 0044 0532 0130 01\n",
        r"^customers\.csv, row 2, column iban: expected IBANs separated by ';': the IBAN "
        r"'DE89 3704 0044 0532 0130 01' has wrong check digits$",
        id="bad-iban",
    ),
    pytest.param(
        'customer_id,name,email\nC1,Alpha,"a@alpha.de, b@alpha.de"\n',
        r"^customers\.csv, row 2, column email: expected e-mail addresses separated by ';', "
        r"got 'a@alpha\.de, b@alpha\.de'$",
        id="bad-email",
    ),
    pytest.param(
        "customer_id,name,payment_terms_days\nC1,Alpha,30 days\n",
        r"^customers\.csv, row 2, column payment_terms_days: expected whole days such as 30, "
        r"got '30 days'$",
        id="bad-terms",
    ),
    pytest.param(
        'customer_id,name,credit_limit\nC1,Alpha,"10.000,00"\n',
        r"^customers\.csv, row 2, column credit_limit: expected an amount such as 1234\.50",
        id="bad-credit-limit",
    ),
    pytest.param(
        "customer_id,name,country\nC1,Alpha,Germany\n",
        r"^customers\.csv, row 2, column country: expected a two-letter country code such as "
        r"DE, got 'Germany'$",
        id="bad-country",
    ),
    pytest.param(
        "customer_id,name,currency\nC1,Alpha,€\n",
        r"^customers\.csv, row 2, column currency: expected an ISO 4217 currency code",
        id="bad-currency",
    ),
    pytest.param(
        "customer_id,email\nC1,a@alpha.de\n",
        r"^customers\.csv, row 1: missing required column name",
        id="missing-name-column",
    ),
    pytest.param(
        "customer_id,name\nC1,Alpha\nC2,\n",
        r"^customers\.csv, row 3, column name: expected a value, got an empty cell$",
        id="empty-name",
    ),
    pytest.param(
        f"customer_id,name\nC1,{'x' * 301}\n",
        r"^customers\.csv, row 2, column name: expected at most 300 characters, got 'xxx",
        id="name-too-long",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_CUSTOMERS)
def test_bad_customer_rows_are_refused_and_nothing_is_written(uow, tmp_path, text, message):
    add_customer(uow, code="C900", name="Vorhandene GmbH")
    before = ledger_counts(uow)

    with pytest.raises(ImportFileError, match=message):
        import_customers(uow, write(tmp_path, "customers.csv", text))

    assert ledger_counts(uow) == before


def test_a_parent_company_iban_may_pay_for_several_customers(uow, tmp_path):
    existing = add_customer(uow, code="C900", name="Vorhandene Holding GmbH")
    with uow:
        uow.session.add(CustomerIban(customer_id=existing, iban="AT611904300234573201"))
        uow.commit()
    text = (
        "customer_id,name,iban\nC1,Alpha,AT611904300234573201\n"
        "C2,Beta,AT61 1904 3002 3457 3201;BE68539007547034\n"
    )
    result = import_customers(uow, write(tmp_path, "customers.csv", text))
    assert result.created == 2
    with uow:
        owners = uow.session.scalars(
            select(CustomerIban.customer_id).where(CustomerIban.iban == "AT611904300234573201")
        ).all()
    assert len(owners) == 3


# --- files that are not what they claim ----------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(
            PNG_BYTES, r"^invoices\.csv is not a CSV or XLSX file: it is a PNG image$", id="png"
        ),
        pytest.param(
            b"", r"^invoices\.csv is empty: expected a header row with number, ", id="empty"
        ),
        pytest.param(b"\xef\xbb\xbf\r\n \r\n", r"^invoices\.csv is empty", id="blank"),
        pytest.param(
            "number,customer_id\nRé-1,Müller\n".encode("cp1252"),
            r"^invoices\.csv is not UTF-8 text: byte 0xE9 on line 2 is not valid UTF-8",
            id="cp1252",
        ),
        pytest.param(
            "number,customer_id\n".encode("utf-16"),
            r"^invoices\.csv is UTF-16 text; expected UTF-8",
            id="utf-16",
        ),
        pytest.param(
            b"number\x00\x01\x02\x03\x04\x05\x06\x07",
            r"^invoices\.csv is not a CSV or XLSX file: it is binary data$",
            id="binary",
        ),
        pytest.param(
            b"PK\x03\x04 not really a zip",
            r"^invoices\.csv is not a CSV or XLSX file: it is a ZIP archive but not a readable "
            r"Excel workbook$",
            id="broken-zip",
        ),
    ],
)
def test_unreadable_files_are_named_with_the_problem(customers, tmp_path, content, message):
    uow = customers
    before = ledger_counts(uow)
    path = tmp_path / "invoices.csv"
    path.write_bytes(content)

    with pytest.raises(ImportFileError, match=message):
        import_invoices(uow, path)

    assert ledger_counts(uow) == before


def test_zip_that_is_not_a_workbook(uow, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    path = tmp_path / "customers.xlsx"
    path.write_bytes(buffer.getvalue())

    with pytest.raises(ImportFileError, match=r"^customers\.xlsx is not a CSV or XLSX file"):
        import_customers(uow, path)


def test_error_messages_are_one_line(uow, tmp_path):
    path = write(tmp_path, "customers.csv", 'customer_id,name,country\nC1,Alpha,"Deutsch\nland"\n')
    with pytest.raises(ImportFileError) as caught:
        import_customers(uow, path)
    assert "\n" not in str(caught.value)
    assert re.search(r"row 2, column country: .*got 'Deutsch\\nland'$", str(caught.value))


# --- files too large to be real data --------------------------------------------------------


def xlsx_with_rows(tmp_path: Path, name: str, rows_xml: bytes) -> Path:
    """A workbook with a customers header row and ``rows_xml`` appended to its sheet data."""
    path = write_xlsx(tmp_path, name, [("customer_id", "name"), ("C1", "Alpha")])
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"</sheetData>", rows_xml + b"</sheetData>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, content in parts.items():
            archive.writestr(part, content)
    return path


def test_xlsx_zip_bomb_is_refused_before_it_is_unpacked(uow, tmp_path, monkeypatch):
    # a million empty rows: 6 MB of worksheet XML packed into about 13 KB
    path = xlsx_with_rows(tmp_path, "bomb.xlsx", b"<row/>" * 1_000_000)
    assert path.stat().st_size < 50_000

    def never(*args, **kwargs):
        raise AssertionError("the workbook was handed to openpyxl")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    before = ledger_counts(uow)

    with pytest.raises(
        ImportFileError,
        match=r"^bomb\.xlsx is too large when unpacked \(6\.0 MB from [0-9]+ KB, more than 100 "
        r"times as much\); workbooks of real data pack far less tightly",
    ):
        import_customers(uow, path)

    assert ledger_counts(uow) == before


def test_xlsx_with_a_part_too_large_when_unpacked_is_refused(uow, tmp_path, monkeypatch):
    rows = "".join(f"C{i:06d},Customer number {i * 7919 % 100_003}\n" for i in range(3000))
    path = write_xlsx(
        tmp_path,
        "big.xlsx",
        [("customer_id", "name"), *(tuple(line.split(",")) for line in rows.splitlines())],
    )
    monkeypatch.setattr("app.services.workbook_safety.MAX_UNPACKED", 100_000)

    with pytest.raises(
        ImportFileError,
        match=r"^big\.xlsx is too large when unpacked \([0-9.]+ MB\); at most 0\.1 MB is read "
        r"\(save it as CSV UTF-8 or split it\)$",
    ):
        import_customers(uow, path)


def test_xlsx_with_more_than_a_million_rows_stops_reading_at_the_limit(uow, tmp_path):
    # one row far below the others: openpyxl fills the gap with 1.5 million empty rows
    gap = b'<row r="1500000"><c r="A1500000" t="inlineStr"><is><t>C2</t></is></c></row>'
    path = xlsx_with_rows(tmp_path, "gap.xlsx", gap)
    before = ledger_counts(uow)

    with pytest.raises(
        ImportFileError,
        match=r"^gap\.xlsx has more than 1,000,000 rows below the header; import at most "
        r"1,000,000 rows at a time \(split the file\)$",
    ):
        import_customers(uow, path)

    assert ledger_counts(uow) == before


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_too_many_rows_are_refused_while_reading(uow, tmp_path, monkeypatch, kind):
    monkeypatch.setattr("app.services.file_import._MAX_ROWS", 100)
    rows = [("customer_id", "name"), *((f"C{i}", f"Customer {i}") for i in range(101))]
    if kind == "csv":
        path = write(tmp_path, "many.csv", "".join(f"{a},{b}\n" for a, b in rows))
    else:
        path = write_xlsx(tmp_path, "many.csv", rows)

    with pytest.raises(ImportFileError, match=r"^many\.csv has more than 100 rows below the"):
        import_customers(uow, path)

    monkeypatch.setattr("app.services.file_import._MAX_ROWS", 101)
    assert import_customers(uow, path).created == 101


def test_too_many_cells_are_refused(uow, tmp_path, monkeypatch):
    monkeypatch.setattr("app.services.file_import._MAX_CELLS", 299)
    path = write(
        tmp_path,
        "wide.csv",
        "customer_id,name,x\n" + "".join(f"C{i},Customer {i},\n" for i in range(100)),
    )
    with pytest.raises(
        ImportFileError, match=r"^wide\.csv has more than 299 cells \(3 columns in the header row\)"
    ):
        import_customers(uow, path)


def test_xlsx_rows_are_read_as_wide_as_the_header(uow, tmp_path):
    path = xlsx_with_rows(
        tmp_path,
        "wide.xlsx",
        b'<row r="3"><c r="A3" t="inlineStr"><is><t>C3</t></is></c>'
        b'<c r="B3" t="inlineStr"><is><t>Gamma</t></is></c>'
        b'<c r="XFD3" t="inlineStr"><is><t>far away</t></is></c></row>',
    )
    result = import_customers(uow, path)
    assert (result.created, result.warnings) == (2, ())
    assert customer_by_code(uow, "C3")[0].name == "Gamma"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_data_under_a_column_without_header_is_named_in_a_warning(uow, tmp_path, kind):
    rows = [("customer_id", "", "name", "note"), ("C1", "", "Alpha", ""), ("C2", "x", "Beta", "")]
    if kind == "csv":
        path = write(tmp_path, "customers.csv", "".join(",".join(r) + "\n" for r in rows))
    else:
        path = write_xlsx(tmp_path, "customers.csv", rows)
    assert import_customers(uow, path).warnings == (
        "customers.csv: column B has no header and was ignored",
        "customers.csv: column 'note' is not part of the customers format; ignored",
    )


# --- ASCII digits, codes and dates -----------------------------------------------------------

ARABIC_100 = "\u0661\u0660\u0660"
DEVANAGARI_50 = "\u096b\u0966"
FULLWIDTH_2026 = "\uff12\uff10\uff12\uff16"
ARABIC_30 = "\u0663\u0660"
ARABIC_1000 = "\u0661\u0660\u0660\u0660"
LONG_S_USD = "u\u017fd"  # the long s upper-cases to S
ARABIC_IBAN = "DE\u0668\u0669370400440532013000"

UNICODE_INVOICES = [
    pytest.param(
        f"{INVOICE_HEADER}INV-2,C001,2026-10-01,2026-10-31,{ARABIC_100},0\n",
        r"^invoices\.csv, row 2, column total: expected an amount such as 1234\.50 .*, "
        rf"got '{ARABIC_100}'$",
        id="arabic-indic-total",
    ),
    pytest.param(
        f"{INVOICE_HEADER}INV-2,C001,2026-10-01,2026-10-31,100.00,{DEVANAGARI_50}\n",
        r"^invoices\.csv, row 2, column amount_paid: expected an amount such as 1234\.50",
        id="devanagari-amount-paid",
    ),
    pytest.param(
        f"{INVOICE_HEADER}INV-2,C001,{FULLWIDTH_2026}-10-01,2026-10-31,100.00,0\n",
        r"^invoices\.csv, row 2, column issue_date: expected a date as YYYY-MM-DD",
        id="fullwidth-date",
    ),
]


@pytest.mark.parametrize(("text", "message"), UNICODE_INVOICES)
def test_invoice_digits_must_be_ascii(customers, tmp_path, text, message):
    uow = customers
    before = ledger_counts(uow)
    with pytest.raises(ImportFileError, match=message):
        import_invoices(uow, write(tmp_path, "invoices.csv", text))
    assert ledger_counts(uow) == before


UNICODE_CUSTOMERS = [
    pytest.param(
        f"customer_id,name,payment_terms_days\nC1,Alpha,{ARABIC_30}\n",
        r"^customers\.csv, row 2, column payment_terms_days: expected whole days such as 30, "
        rf"got '{ARABIC_30}'$",
        id="arabic-indic-terms",
    ),
    pytest.param(
        f"customer_id,name,credit_limit\nC1,Alpha,{ARABIC_1000}\n",
        r"^customers\.csv, row 2, column credit_limit: expected an amount such as 1234\.50",
        id="arabic-indic-credit-limit",
    ),
    pytest.param(
        f"customer_id,name,currency\nC1,Alpha,{LONG_S_USD}\n",
        r"^customers\.csv, row 2, column currency: expected an ISO 4217 currency code such as "
        rf"EUR, got '{LONG_S_USD}'$",
        id="long-s-currency",
    ),
    pytest.param(
        f"customer_id,name,iban\nC1,Alpha,{ARABIC_IBAN}\n",
        r"^customers\.csv, row 2, column iban: expected IBANs of letters A-Z and digits 0-9 "
        rf"separated by ';', got '{ARABIC_IBAN}'$",
        id="arabic-indic-iban",
    ),
]


@pytest.mark.parametrize(("text", "message"), UNICODE_CUSTOMERS)
def test_customer_digits_and_codes_must_be_ascii(uow, tmp_path, text, message):
    before = ledger_counts(uow)
    with pytest.raises(ImportFileError, match=message):
        import_customers(uow, write(tmp_path, "customers.csv", text))
    assert ledger_counts(uow) == before


# --- changing a customer's currency ----------------------------------------------------------


def test_currency_change_without_a_credit_limit_is_refused(uow, tmp_path):
    import_customers(
        uow, write(tmp_path, "a.csv", "customer_id,name,currency,credit_limit\nC1,Alpha,EUR,1000\n")
    )
    before = ledger_counts(uow)

    with pytest.raises(
        ImportFileError,
        match=r"^b\.csv, row 2, column currency: changing the currency from EUR to JPY needs "
        r"the credit_limit in the same row$",
    ):
        import_customers(uow, write(tmp_path, "b.csv", "customer_id,name,currency\nC1,Alpha,JPY\n"))

    assert ledger_counts(uow) == before
    customer, *_ = customer_by_code(uow, "C1")
    assert (customer.currency, customer.credit_limit_minor) == ("EUR", 100_000)


def test_currency_change_with_the_credit_limit_in_the_row(uow, tmp_path):
    import_customers(
        uow,
        write(
            tmp_path,
            "a.csv",
            "customer_id,name,currency,credit_limit\nC1,Alpha,EUR,1000\nC2,Beta,EUR,\n",
        ),
    )
    changed = write(
        tmp_path,
        "b.csv",
        "customer_id,name,currency,credit_limit\nC1,Alpha,JPY,150000\nC2,Beta,USD,\n",
    )
    assert import_customers(uow, changed).updated == 2
    first, *_ = customer_by_code(uow, "C1")
    assert (first.currency, first.credit_limit_minor) == ("JPY", 150_000)

    # no limit to carry over: the credit_limit column is not needed
    other = write(tmp_path, "c.csv", "customer_id,name,currency\nC2,Beta,GBP\n")
    assert import_customers(uow, other).updated == 1
    second, *_ = customer_by_code(uow, "C2")
    assert (second.currency, second.credit_limit_minor) == ("GBP", None)


# --- progress and cancel ---------------------------------------------------------------------


def many_customers(tmp_path: Path, count: int) -> Path:
    rows = "".join(f"C{i:05d},Customer {i}\n" for i in range(count))
    return write(tmp_path, "customers.csv", f"customer_id,name\n{rows}")


def test_import_reports_progress(uow, tmp_path):
    reports: list[tuple[int, int, str]] = []
    ctx = TaskContext(report=lambda done, total, label: reports.append((done, total, label)))

    result = import_customers(uow, many_customers(tmp_path, 2500), ctx=ctx)

    assert result.created == 2500
    assert reports == [
        (1000, 0, "Reading row 1000"),
        (2000, 0, "Reading row 2000"),
        (0, 2500, "Checking row 1 of 2500"),
        (1000, 2500, "Checking row 1001 of 2500"),
        (2000, 2500, "Checking row 2001 of 2500"),
        (2500, 2500, "Writing"),
    ]


@pytest.mark.parametrize("when", ["Reading row 1000", "Checking row 1001 of 1500", "Writing"])
def test_cancel_from_the_progress_callback_writes_no_customer(uow, tmp_path, when):
    import_customers(uow, CUSTOMERS_CSV)
    before = ledger_counts(uow)
    ctx = TaskContext()

    def report(done: int, total: int, label: str) -> None:
        if label == when:
            ctx.cancel()

    ctx.report = report

    with pytest.raises(TaskCancelledError):
        import_customers(uow, many_customers(tmp_path, 1500), ctx=ctx)

    assert ledger_counts(uow) == before


@pytest.mark.parametrize("when", ["Checking row 1 of 1200", "Writing"])
def test_cancel_from_the_progress_callback_writes_no_invoice(customers, tmp_path, when):
    uow = customers
    import_invoices(uow, INVOICES_CSV)
    before = ledger_counts(uow)
    rows = "".join(f"INV-{i},C001,2026-10-01,2026-10-31,{i}.00,1\n" for i in range(1, 1200))
    # the first row updates an invoice already in the ledger
    first = "INV-2026-00101,C001,2026-09-01,2026-09-30,1190.00,10\n"
    path = write(tmp_path, "invoices.csv", f"{INVOICE_HEADER}{first}{rows}")
    ctx = TaskContext()
    labels: list[str] = []

    def report(done: int, total: int, label: str) -> None:
        labels.append(label)
        if label == when:
            ctx.cancel()

    ctx.report = report

    with pytest.raises(TaskCancelledError):
        import_invoices(uow, path, ctx=ctx)

    assert when in labels
    assert ledger_counts(uow) == before
    assert invoice_by_number(uow, "INV-2026-00101").due_date == date(2026, 9, 15)


# --- one-line columns and e-mail addresses ---------------------------------------------------

LINE_BREAKS = [
    pytest.param(
        'customer_id,name\nC1,"Alpha\nBeta"\n',
        r"^customers\.csv, row 2, column name: expected text on one line, got 'Alpha\\nBeta'$",
        id="name-lf",
    ),
    pytest.param(
        'customer_id,name\n"C1\r\nC2",Alpha\n',
        r"^customers\.csv, row 2, column customer_id: expected text on one line, "
        r"got 'C1\\r\\nC2'$",
        id="customer-id-crlf",
    ),
    pytest.param(
        'customer_id,name,email\nC1,Alpha,"a@alpha.de\nBcc: all@example.com"\n',
        r"^customers\.csv, row 2, column email: expected e-mail addresses separated by ';', on "
        r"one line, got 'a@alpha\.de\\nBcc: all@example\.com'$",
        id="email-header-injection",
    ),
    pytest.param(
        'customer_id,name,email\nC1,Alpha,"a@alpha.de\rb@alpha.de"\n',
        r"^customers\.csv, row 2, column email: expected e-mail addresses separated by ';', on "
        r"one line",
        id="email-cr",
    ),
    pytest.param(
        "customer_id,name,email\nC1,Alpha,a@alpha.de\u2028b@alpha.de\n",
        r"^customers\.csv, row 2, column email: expected e-mail addresses separated by ';', on "
        r"one line",
        id="email-line-separator",
    ),
    pytest.param(
        'customer_id,name,aliases\nC1,Alpha,"Alpha Holding;Alpha\nTrading"\n',
        r"^customers\.csv, row 2, column aliases: expected names on one line, "
        r"got 'Alpha\\nTrading'$",
        id="alias-lf",
    ),
    pytest.param(
        'customer_id,name,phone\nC1,Alpha,"+49 30 1\n+49 30 2"\n',
        r"^customers\.csv, row 2, column phone: expected text on one line",
        id="phone-lf",
    ),
    pytest.param(
        'customer_id,name,segment\nC1,Alpha,"key\naccounts"\n',
        r"^customers\.csv, row 2, column segment: expected text on one line",
        id="segment-lf",
    ),
]

BAD_EMAILS = [
    "a..b@alpha.de",
    ".a@alpha.de",
    "a.@alpha.de",
    "a@alpha..de",
    "a@alpha.de.",
    "a@-alpha.de",
    "a@alpha-.de",
    "a@alpha",
    'a"b@alpha.de',
    "a(b)@alpha.de",
    "a\\b@alpha.de",
    "a:b@alpha.de",
    "a@b@alpha.de",
    "a\x7fb@alpha.de",
]


@pytest.mark.parametrize(("text", "message"), LINE_BREAKS)
def test_one_line_columns_refuse_line_breaks(uow, tmp_path, text, message):
    before = ledger_counts(uow)
    with pytest.raises(ImportFileError, match=message):
        import_customers(uow, write(tmp_path, "customers.csv", text))
    assert ledger_counts(uow) == before


@pytest.mark.parametrize("email", BAD_EMAILS)
def test_email_addresses_need_the_local_at_domain_shape(uow, tmp_path, email):
    text = io.StringIO()
    csv.writer(text).writerows([("customer_id", "name", "email"), ("C1", "Alpha", email)])
    with pytest.raises(
        ImportFileError,
        match=r"^customers\.csv, row 2, column email: expected e-mail addresses separated by "
        r"';', got ",
    ):
        import_customers(uow, write(tmp_path, "customers.csv", text.getvalue()))


def test_good_email_addresses_and_multi_line_address_and_description(customers, tmp_path):
    uow = customers
    emails = "first.last+invoices@sub.example.co.uk; o'brien@müller-bau.de;x_y-z@a1.io"
    path = write(
        tmp_path,
        "customers.csv",
        f'customer_id,name,email,address\nC9,Neu GmbH,"{emails}","Weg 1\r\n12345 Ort"\n',
    )
    assert import_customers(uow, path).created == 1
    customer, contacts, *_ = customer_by_code(uow, "C9")
    assert customer.address == "Weg 1\r\n12345 Ort"
    assert [email for email, _ in contacts] == [
        "first.last+invoices@sub.example.co.uk",
        "o'brien@müller-bau.de",
        "x_y-z@a1.io",
    ]

    invoices = write(
        tmp_path,
        "invoices.csv",
        "number,customer_id,issue_date,due_date,total,description\n"
        'INV-7,C9,2026-10-01,2026-10-31,10.00,"Line one\nLine two"\n',
    )
    assert import_invoices(uow, invoices).created == 1
    assert invoice_by_number(uow, "INV-7").description == "Line one\nLine two"


BAD_INVOICE_TEXTS = [
    pytest.param(
        f'{INVOICE_HEADER}"INV\n2",C001,2026-10-01,2026-10-31,10.00,0\n',
        r"^invoices\.csv, row 2, column number: expected text on one line, got 'INV\\n2'$",
        id="number-lf",
    ),
    pytest.param(
        "number,customer_id,issue_date,due_date,total,po_number\n"
        'INV-2,C001,2026-10-01,2026-10-31,10.00,"PO 1\r\nPO 2"\n',
        r"^invoices\.csv, row 2, column po_number: expected text on one line",
        id="po-number-crlf",
    ),
    pytest.param(
        f"{INVOICE_HEADER}{'N' * 51},C001,2026-10-01,2026-10-31,10.00,0\n",
        r"^invoices\.csv, row 2, column number: expected at most 50 characters, got 'NNN",
        id="number-too-long",
    ),
    pytest.param(
        f"{INVOICE_HEADER}INV-2,{'C' * 101},2026-10-01,2026-10-31,10.00,0\n",
        r"^invoices\.csv, row 2, column customer_id: expected at most 100 characters",
        id="customer-id-too-long",
    ),
    pytest.param(
        "number,customer_id,issue_date,due_date,total,po_number\n"
        f"INV-2,C001,2026-10-01,2026-10-31,10.00,{'P' * 101}\n",
        r"^invoices\.csv, row 2, column po_number: expected at most 100 characters",
        id="po-number-too-long",
    ),
    pytest.param(
        "number,customer_id,issue_date,due_date,currency,total\n"
        "INV-2,C001,2026-10-01,2026-10-31,EU,10.00\n",
        r"^invoices\.csv, row 2, column currency: expected an ISO 4217 currency code such as "
        r"EUR, got 'EU'$",
        id="currency-two-letters",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_INVOICE_TEXTS)
def test_invoice_text_fits_the_ledger_columns(customers, tmp_path, text, message):
    uow = customers
    before = ledger_counts(uow)
    with pytest.raises(ImportFileError, match=message):
        import_invoices(uow, write(tmp_path, "invoices.csv", text))
    assert ledger_counts(uow) == before


TOO_LONG_CUSTOMERS = [
    pytest.param("customer_id", "C" * 101, 100, id="customer-id"),
    pytest.param("phone", "1" * 101, 100, id="phone"),
    pytest.param("language", "de-DE-1996x", 10, id="language"),
    pytest.param("segment", "s" * 101, 100, id="segment"),
]


@pytest.mark.parametrize(("column", "value", "limit"), TOO_LONG_CUSTOMERS)
def test_customer_text_fits_the_ledger_columns(uow, tmp_path, column, value, limit):
    cells = {"customer_id": "C1", "name": "Alpha", column: value}
    path = write(tmp_path, "customers.csv", f"{','.join(cells)}\n{','.join(cells.values())}\n")
    with pytest.raises(
        ImportFileError,
        match=rf"^customers\.csv, row 2, column {column}: expected at most {limit} characters",
    ):
        import_customers(uow, path)


@pytest.mark.parametrize("country", ["D", "DEU", "D1", "ÄB"])
def test_country_is_a_two_letter_code(uow, tmp_path, country):
    path = write(tmp_path, "customers.csv", f"customer_id,name,country\nC1,Alpha,{country}\n")
    with pytest.raises(
        ImportFileError,
        match=r"^customers\.csv, row 2, column country: expected a two-letter country code",
    ):
        import_customers(uow, path)
