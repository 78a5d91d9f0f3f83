"""Exporting customers and invoices to XLSX in the import formats (formats.md).

An exported file re-imports cleanly: the columns are those of the import formats, in their order;
the invoice export adds ``status`` and ``open_amount`` at the end, which an import ignores with a
warning. Amounts are written as numbers with the currency's decimal places, dates as real dates,
and text a spreadsheet would run as a formula is escaped with a leading single quote (an import
removes it again).
"""

from __future__ import annotations

import errno
import uuid
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TypeAlias

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from app.models.customer import Customer
from app.models.invoice import DocumentState, Invoice, InvoiceKind, derive_status
from app.models.money import currency_exponent, to_decimal
from app.models.payment import Allocation, AllocationKind
from app.services.file_import import CUSTOMER_COLUMNS, FORMULA_STARTS, INVOICE_COLUMNS
from app.services.uow import UnitOfWork

#: Columns of the invoice export: the import format plus two read-only columns at the end.
INVOICE_EXPORT_COLUMNS = (*INVOICE_COLUMNS, "status", "open_amount")

DATE_FORMAT = "yyyy-mm-dd"

_WIDTHS = {
    "customer_id": 14,
    "name": 32,
    "email": 32,
    "iban": 28,
    "aliases": 28,
    "address": 32,
    "number": 18,
    "issue_date": 12,
    "due_date": 12,
    "total": 14,
    "amount_paid": 14,
    "open_amount": 14,
    "description": 40,
    "status": 14,
}

_Value: TypeAlias = str | int | date | Cell | None


def escape_formula(text: str) -> str:
    """Text made safe for a spreadsheet cell: a leading ``= + - @``, tab or CR is quoted.

    Args:
        text: the text of a cell.

    Returns:
        ``text`` with a single quote in front when a spreadsheet would run it as a formula.
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def amount_format(currency: str) -> str:
    """The number format of an amount in ``currency`` (``#,##0.00`` for EUR, ``#,##0`` for JPY)."""
    places = currency_exponent(currency)
    return "#,##0." + "0" * places if places else "#,##0"


def _amount_cell(sheet: WriteOnlyWorksheet, minor: int | None, currency: str) -> Cell:
    cell = WriteOnlyCell(sheet)
    cell.value = None if minor is None else to_decimal(minor, currency)
    cell.number_format = amount_format(currency)
    return cell


def _date_cell(sheet: WriteOnlyWorksheet, day: date) -> Cell:
    cell = WriteOnlyCell(sheet)
    cell.value = day
    cell.number_format = DATE_FORMAT
    return cell


def _text_cell(sheet: WriteOnlyWorksheet, text: str) -> Cell:
    """A text cell: never a formula, never a number, without characters XML cannot hold."""
    cleaned = ILLEGAL_CHARACTERS_RE.sub("", text)
    cell = WriteOnlyCell(sheet, value=escape_formula(cleaned) if cleaned else None)
    if cleaned:
        cell.data_type = "s"
    return cell


def _start_sheet(
    book: Workbook, title: str, columns: Sequence[str], rows: int
) -> WriteOnlyWorksheet:
    sheet: WriteOnlyWorksheet = book.create_sheet(title)
    # types-openpyxl omits the column_dimensions and auto_filter that a write-only sheet has.
    dimensions = sheet.column_dimensions  # type: ignore[attr-defined]
    for index, column in enumerate(columns, start=1):
        dimensions[get_column_letter(index)].width = _WIDTHS.get(column, 12)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{rows + 1}"  # type: ignore[attr-defined]
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    return sheet


def _check_folder(path: Path) -> None:
    """Refuse a target in a missing folder before any workbook is built."""
    if not path.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, "the folder does not exist", str(path.parent))


def _save(book: Workbook, path: Path) -> None:
    """Write the workbook beside ``path`` first, so a failed export leaves no half file."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        book.save(temporary)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def export_customers_xlsx(uow: UnitOfWork, path: Path) -> int:
    """Write every customer to an XLSX file in the customers import format, sorted by code.

    ``email`` holds the billing contacts' addresses, ``iban`` and ``aliases`` the payer IBANs and
    aliases, each ``;``-separated, so that the file re-imports without changes.

    Args:
        uow: the unit of work on the ledger.
        path: the file to write (replaced if it exists).

    Returns:
        The number of customer rows written.
    """
    _check_folder(path)
    book = Workbook(write_only=True)
    sheet_rows: list[list[_Value]] = []
    with uow:
        stmt = (
            select(Customer)
            .options(
                selectinload(Customer.contacts),
                selectinload(Customer.ibans),
                selectinload(Customer.aliases),
            )
            .order_by(Customer.code)
        )
        customers = list(uow.session.scalars(stmt))
        sheet = _start_sheet(book, "Customers", CUSTOMER_COLUMNS, len(customers))
        for customer in customers:
            emails = [c.email for c in customer.contacts if c.role == "billing" and c.email]
            values: dict[str, _Value] = {
                "customer_id": customer.code,
                "name": customer.name,
                "email": "; ".join(emails),
                "currency": customer.currency,
                "payment_terms_days": customer.payment_terms_days,
                "iban": "; ".join(i.iban for i in customer.ibans),
                "aliases": "; ".join(a.alias for a in customer.aliases),
                "phone": customer.phone,
                "address": customer.address,
                "country": customer.country,
                "language": customer.language,
                "segment": customer.segment,
                "credit_limit": _amount_cell(sheet, customer.credit_limit_minor, customer.currency),
            }
            sheet_rows.append([_cell(sheet, values[column]) for column in CUSTOMER_COLUMNS])
    for row in sheet_rows:
        sheet.append(row)
    _save(book, path)
    return len(sheet_rows)


def _cell(sheet: WriteOnlyWorksheet, value: _Value) -> _Value:
    return _text_cell(sheet, value) if isinstance(value, str) else value


def export_invoices_xlsx(uow: UnitOfWork, path: Path, today: date) -> int:
    """Write every issued invoice to an XLSX file in the invoices import format.

    Drafts, void invoices and credit notes are not exported: only issued invoices, sorted by
    issue date and number. ``amount_paid`` is the total less what is open (cash, credit notes
    and write-offs allocated), so re-importing the file changes nothing; the trailing
    ``status`` (as on ``today``) and ``open_amount`` columns are for reading only.

    Args:
        uow: the unit of work on the ledger.
        path: the file to write (replaced if it exists).
        today: the date statuses such as overdue are computed for.

    Returns:
        The number of invoice rows written.
    """
    active = Allocation.reversed_at.is_(None)
    allocated = (
        select(
            Allocation.invoice_id.label("invoice_id"),
            func.sum(Allocation.amount_minor).label("allocated"),
            func.sum(
                case(
                    (Allocation.kind == AllocationKind.CREDIT_NOTE, Allocation.amount_minor),
                    else_=0,
                )
            ).label("credited"),
        )
        .where(active)
        .group_by(Allocation.invoice_id)
        .subquery()
    )
    stmt = (
        select(
            Invoice.number,
            Customer.code,
            Invoice.issue_date,
            Invoice.due_date,
            Invoice.currency,
            Invoice.total_minor,
            func.coalesce(allocated.c.allocated, 0),
            func.coalesce(allocated.c.credited, 0),
            Invoice.po_number,
            Invoice.description,
        )
        .join(Customer, Customer.id == Invoice.customer_id)
        .outerjoin(allocated, allocated.c.invoice_id == Invoice.id)
        .where(Invoice.state == DocumentState.ISSUED, Invoice.kind == InvoiceKind.INVOICE)
        .order_by(Invoice.issue_date, Invoice.number)
    )
    with uow:
        records = uow.session.execute(stmt).all()
    _check_folder(path)
    book = Workbook(write_only=True)
    sheet = _start_sheet(book, "Invoices", INVOICE_EXPORT_COLUMNS, len(records))
    for number, code, issued, due, currency, total, paid, credited, po, description in records:
        open_minor = max(total - int(paid), 0)
        status = derive_status(DocumentState.ISSUED, total, int(paid), int(credited), due, today)
        sheet.append(
            [
                _text_cell(sheet, number or ""),
                _text_cell(sheet, code),
                _date_cell(sheet, issued),
                _date_cell(sheet, due),
                _text_cell(sheet, currency),
                _amount_cell(sheet, total, currency),
                _amount_cell(sheet, total - open_minor, currency),
                _text_cell(sheet, po),
                _text_cell(sheet, description),
                _text_cell(sheet, status.value),
                _amount_cell(sheet, open_minor, currency),
            ]
        )
    _save(book, path)
    return len(records)
