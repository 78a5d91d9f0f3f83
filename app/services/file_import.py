"""Importing customers and invoices from CSV or XLSX files (the contracts in formats.md).

A file is read a row at a time into memory and every row is checked against the ledger before
anything is written; then everything is written in one transaction. A bad row raises
:class:`ImportFileError` whose one-line message names the file, the row as a spreadsheet shows it
(the header is row 1), the column and what was expected; nothing of the file is written.
Re-importing the same file changes nothing.

The file type is told from the content, never from the name: an XLSX workbook is a ZIP archive
(it starts with ``PK``) and its first worksheet is read; anything else must be UTF-8 text (a BOM
is accepted), comma-separated, or semicolon-separated when the header row clearly is. Every cell
is read as text, never as a float: numbers that Excel stored as binary floating point are read
back with the 15 significant digits Excel shows, so ``0.1 + 0.2`` comes back as ``0.3``, and date
cells become ISO dates. Cells are trimmed, and the single quote an export puts in front of text a
spreadsheet would run as a formula is removed again.

Files too large to be real data are refused: a workbook whose archive would unpack to more than
200 MB in one part, or to more than 100 times its packed size (a ZIP bomb), before it is opened;
any file with more than a million rows below the header as soon as the reading gets there.
Digits, the letters of codes and dates are ASCII only; one-line columns (all but ``address`` and
``description``) refuse line breaks, and text longer than its ledger column is refused.
"""

from __future__ import annotations

import io
import json
import math
import re
import warnings
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast

import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from app.models.activity import Activity, AuditEntry
from app.models.base import utcnow
from app.models.customer import Contact, Customer, CustomerAlias, CustomerIban
from app.models.invoice import DocumentState, Invoice, InvoiceKind, InvoiceLine
from app.models.money import (
    Money,
    currency_exponent,
    is_currency_code,
    parse_amount,
    round_money,
    to_minor,
)
from app.models.payment import Allocation, AllocationKind, Payment
from app.services import workbook_safety
from app.services.audit import event_time, record_audit
from app.services.iban import normalize_iban
from app.services.money_format import format_money
from app.services.settings import load_settings
from app.services.tasks import TaskContext
from app.services.text_checks import has_line_break, is_email_address
from app.services.uow import UnitOfWork
from app.services.workbook_safety import XLSX_ERRORS, NotAWorkbookError, archive_sizes

#: Columns of the customers file, in the order an export writes them (formats.md).
CUSTOMER_COLUMNS = (
    "customer_id",
    "name",
    "email",
    "currency",
    "payment_terms_days",
    "iban",
    "aliases",
    "phone",
    "address",
    "country",
    "language",
    "segment",
    "credit_limit",
)
CUSTOMER_REQUIRED = ("customer_id", "name")

#: Columns of the invoices file, in the order an export writes them (formats.md).
INVOICE_COLUMNS = (
    "number",
    "customer_id",
    "issue_date",
    "due_date",
    "currency",
    "total",
    "amount_paid",
    "po_number",
    "description",
)
INVOICE_REQUIRED = ("number", "customer_id", "issue_date", "due_date", "total")

#: ``source`` of imported invoices and of the payments standing for ``amount_paid``.
IMPORT_SOURCE = "import"
#: ``method`` of the payments standing for ``amount_paid``.
IMPORT_METHOD = "imported"

#: What a text cell starts with when a spreadsheet would run it as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_BILLING = "billing"
_IMPORT_NOTE = "paid before the import"
_CHUNK = 500
_CSV_CHUNK = 50_000
_MAX_AMOUNT = Decimal(10) ** 13
#: Rows below the header a file may have, and cells (rows times the header's columns).
_MAX_ROWS = 1_000_000
_MAX_CELLS = 50_000_000
#: Rows between two progress reports and cancel checks.
_PROGRESS_EVERY = 1000
# Digits and letters are ASCII: \d would also take Arabic-Indic and other Unicode digits.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_AMOUNT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_TERMS = re.compile(r"[0-9]{1,4}")
_IBAN_TEXT = re.compile(r"[A-Za-z0-9\s-]+")
_PANDAS_FIELDS = re.compile(r"Expected ([0-9]+) fields in line ([0-9]+), saw ([0-9]+)")
#: An e-mail address as ``local@domain``: the local part dot-separated runs without blanks,
#: control characters or the characters a mail header gives a meaning to; the domain two or
#: more labels of letters, digits and inner hyphens.
_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 (.xls) workbook; save it as .xlsx or CSV UTF-8"),
)
_TEXT_CONTROLS = frozenset(b"\t\n\r\x0c\x1a")
_AMOUNT_SHAPE = "an amount such as 1234.50 (a '.' before the decimals, no thousands separators)"

_T = TypeVar("_T")
#: Rows of a file as cleaned text with their numbers as a spreadsheet shows them, read lazily.
_Grid = Generator[tuple[int, list[str]], None, None]


class ImportFileError(ValueError):
    """A file that cannot be imported; nothing of it was written.

    The message is one line naming the file, the row (the header is row 1) and the column, and
    what was expected, e.g. ``invoices.csv, row 7, column due_date: expected a date as
    YYYY-MM-DD, got '31/12/2026'``.
    """


@dataclass(frozen=True)
class ImportResult:
    """What an import did: rows that created, updated or left unchanged a ledger row."""

    created: int
    updated: int
    unchanged: int
    warnings: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# Reading a file into rows of text


@dataclass(frozen=True)
class _Row:
    """One data row: its number as a spreadsheet shows it and its known cells as text."""

    number: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass(frozen=True)
class _Table:
    """A file's data rows, the known columns it has and the warnings reading it gave."""

    file: str
    columns: frozenset[str]
    rows: list[_Row]
    warnings: list[str] = field(default_factory=list)

    def has(self, column: str) -> bool:
        return column in self.columns

    def error(self, row: _Row, column: str, what: str) -> ImportFileError:
        return ImportFileError(f"{self.file}, row {row.number}, column {column}: {what}")

    def expected(self, row: _Row, column: str, expected: str) -> ImportFileError:
        return self.error(row, column, f"expected {expected}, got {_shown(row.get(column))}")


def _shown(text: str) -> str:
    """A cell's text quoted for a one-line message."""
    if not text:
        return "an empty cell"
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _clean(text: str) -> str:
    """A cell without surrounding blanks and without the quote that escapes a formula."""
    text = text.strip()
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def _binary_kind(data: bytes) -> str:
    """What a file that is not text is, or ``""`` when it looks like text."""
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return what
    sample = data[:8192]
    controls = sum(1 for byte in sample if byte < 32 and byte not in _TEXT_CONTROLS)
    if b"\x00" in sample or controls * 100 > len(sample):
        return "binary data"
    return ""


def _decode(file: str, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(f"{file} is UTF-16 text; expected UTF-8 (save it as CSV UTF-8)")
    what = _binary_kind(data)
    if what:
        raise ImportFileError(f"{file} is not a CSV or XLSX file: it is {what}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"{file} is not UTF-8 text: byte 0x{data[exc.start]:02X} on line {line} is not "
            f"valid UTF-8 (save the file as CSV UTF-8)"
        ) from None


def _csv_rows(file: str, data: bytes) -> _Grid:
    """The CSV file's rows, cleaned, read a chunk at a time."""
    text = _decode(file, data)
    del data  # the text is what is read from here on
    body = text.lstrip("\r\n")
    if not body.strip():
        return
    skipped = text[: len(text) - len(body)].count("\n")
    del text
    end = body.find("\n")
    header = body if end < 0 else body[:end]
    sep = ";" if header.count(";") > header.count(",") else ","
    stream = io.StringIO(body)
    del body
    number = skipped
    try:
        with pd.read_csv(
            stream,
            sep=sep,
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            chunksize=_CSV_CHUNK,
        ) as reader:
            for frame in reader:
                for cells in cast(list[list[object]], frame.to_numpy().tolist()):
                    number += 1
                    yield number, [_clean(v) if isinstance(v, str) else "" for v in cells]
    except pd.errors.ParserError as exc:
        found = _PANDAS_FIELDS.search(str(exc))
        if found is None:
            reason = " ".join(str(exc).split())
            raise ImportFileError(f"{file} cannot be read as CSV: {reason}") from None
        wanted, line, seen = found.groups()
        raise ImportFileError(
            f"{file}, line {int(line) + skipped}: expected {wanted} values as in the header "
            f"row, found {seen} (a value that contains {sep!r} must be in double quotes)"
        ) from None


def _xlsx_text(value: object) -> str:
    """A cell value read by openpyxl as the text the contract expects."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, float) and math.isfinite(value):
        # Excel keeps 15 significant digits; more are binary floating-point artifacts.
        text = format(Decimal(format(value, ".15g")), "f")
    elif isinstance(value, datetime) and value.time() == time(0, 0):
        text = value.date().isoformat()
    elif isinstance(value, datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, date | time):
        text = value.isoformat()
    else:
        text = str(value)
    return text


def _xlsx_cells(values: Sequence[object]) -> list[str]:
    """A worksheet row as cleaned text; ``[]`` for a row without a value."""
    if values.count(None) == len(values):
        return []
    return [_clean(_xlsx_text(v)) for v in values]


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


def _check_zip(file: str, data: bytes) -> None:
    """Refuse a ZIP archive that would unpack to far more than a workbook of real data.

    The sizes come from the archive's directory; reading a member stops at its stated size, so
    an archive cannot unpack to more than it states.
    """
    try:
        sizes = archive_sizes(data)
    except NotAWorkbookError:
        raise _not_a_workbook(file) from None
    if sizes.has_a_part_too_large:
        raise ImportFileError(
            f"{file} is too large when unpacked ({_megabytes(sizes.largest)}); at most "
            f"{_megabytes(workbook_safety.MAX_UNPACKED)} is read (save it as CSV UTF-8 or split it)"
        )
    if sizes.is_packed_too_tightly:
        raise ImportFileError(
            f"{file} is too large when unpacked ({_megabytes(sizes.unpacked)} from "
            f"{sizes.packed / 1000:,.0f} KB, more than {workbook_safety.MAX_RATIO} times as much); "
            "workbooks of real data pack far less tightly (remove empty formatted rows or save it "
            "as CSV UTF-8)"
        )


def _not_a_workbook(file: str) -> ImportFileError:
    return ImportFileError(
        f"{file} is not a CSV or XLSX file: it is a ZIP archive but not a readable Excel workbook"
    )


def _xlsx_rows(file: str, data: bytes) -> _Grid:
    """The first worksheet's rows, cleaned, read a row at a time.

    Rows are read up to the header (the first row with a value), whose trailing empty cells are
    dropped; the rows below are read only as wide as the header, as cells to the right of it
    are not imported.
    """
    _check_zip(file, data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                if not book.worksheets:
                    return
                sheet = book.worksheets[0]
                if hasattr(sheet, "reset_dimensions"):
                    sheet.reset_dimensions()  # trust the rows, not a stale <dimension>
                width = number = 0
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                    cells = _xlsx_cells(values)
                    while cells and not cells[-1]:
                        cells.pop()
                    yield number, cells
                    if cells:
                        width = len(cells)
                        break
                if not width:
                    return
                header_row = number
                rows = sheet.iter_rows(min_row=header_row + 1, max_col=width, values_only=True)
                for number, values in enumerate(rows, start=header_row + 1):
                    yield number, _xlsx_cells(values)
            finally:
                book.close()
    except XLSX_ERRORS:
        raise _not_a_workbook(file) from None


def _read_grid(path: Path) -> _Grid:
    """The file's rows as cleaned text with their row numbers (the first row is 1)."""
    file = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{file} cannot be read: {exc.strerror or exc}") from None
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_rows(file, data)
    return _csv_rows(file, data)


def _header_positions(
    file: str, number: int, header: list[str], known: Sequence[str], required: Sequence[str]
) -> dict[str, int]:
    """Where each known column is; a repeated or a missing required column raises."""
    found: list[str] = []
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        key = _header_key(title)
        if not key:
            continue
        if key in found:
            raise ImportFileError(
                f"{file}, row {number}, column {key}: the column appears twice in the header"
            )
        found.append(key)
        if key in known:
            positions[key] = index
    missing = [column for column in required if column not in positions]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise ImportFileError(
            f"{file}, row {number}: missing required column{plural} {', '.join(missing)} "
            f"(the header has {', '.join(found) or 'no names'})"
        )
    return positions


def _header_key(title: str) -> str:
    return title.replace("\ufeff", "").strip().lower()


def _header_notes(
    file: str, kind: str, header: list[str], known: Sequence[str], filled: set[int]
) -> list[str]:
    """Warnings for columns that were ignored: unknown ones and unnamed ones with values."""
    notes: list[str] = []
    for index, title in enumerate(header):
        key = _header_key(title)
        if not key and index in filled:
            letter = get_column_letter(index + 1)
            notes.append(f"{file}: column {letter} has no header and was ignored")
        elif key and key not in known:
            notes.append(f"{file}: column {title!r} is not part of the {kind} format; ignored")
    return notes


def _read_table(
    path: Path, kind: str, known: Sequence[str], required: Sequence[str], ctx: TaskContext
) -> _Table:
    """The file's rows under their known columns; header problems raise at once.

    Rows are read one at a time and counted as they come: a file with more than
    ``_MAX_ROWS`` rows below the header, or more than ``_MAX_CELLS`` cells, is refused as soon
    as that is known, before the rest is read.
    """
    file = path.name
    header: list[str] | None = None
    header_row = 0
    positions: dict[str, int] = {}
    unnamed: set[int] = set()
    filled: set[int] = set()
    rows: list[_Row] = []
    with closing(_read_grid(path)) as grid:
        for number, cells in grid:
            read = number - header_row
            if read > _MAX_ROWS:
                raise ImportFileError(
                    f"{file} has more than {_MAX_ROWS:,} rows below the header; import at most "
                    f"{_MAX_ROWS:,} rows at a time (split the file)"
                )
            if header is not None and read * len(header) > _MAX_CELLS:
                raise ImportFileError(
                    f"{file} has more than {_MAX_CELLS:,} cells ({len(header):,} columns in the "
                    f"header row); remove the columns that are not imported or split the file"
                )
            if number % _PROGRESS_EVERY == 0:
                ctx.check_cancelled()
                ctx.report(number, 0, f"Reading row {number}")
            if not any(cells):
                continue
            if header is None:
                header_row, header = number, cells
                positions = _header_positions(file, number, header, known, required)
                unnamed = {i for i, title in enumerate(header) if not _header_key(title)}
                continue
            rows.append(
                _Row(number, {c: cells[i] if i < len(cells) else "" for c, i in positions.items()})
            )
            for index in unnamed - filled:
                if index < len(cells) and cells[index]:
                    filled.add(index)
    if header is None:
        raise ImportFileError(f"{file} is empty: expected a header row with {', '.join(required)}")
    notes = _header_notes(file, kind, header, known, filled)
    if not rows:
        notes.append(f"{file} has a header row but no data rows")
    return _Table(file, frozenset(positions), rows, notes)


# --------------------------------------------------------------------------------------------
# Checking cells


def _text(
    table: _Table, row: _Row, column: str, limit: int | None = None, *, lines: bool = False
) -> str:
    """A text cell of at most ``limit`` characters, on one line unless ``lines``."""
    value = row.get(column)
    if limit is not None and len(value) > limit:
        raise table.expected(row, column, f"at most {limit} characters")
    if not lines and has_line_break(value):
        raise table.expected(row, column, "text on one line")
    return value


def _required(table: _Table, row: _Row, column: str, limit: int) -> str:
    if not row.get(column):
        raise table.expected(row, column, "a value")
    return _text(table, row, column, limit)


def _date(table: _Table, row: _Row, column: str) -> date:
    text = row.get(column)
    if _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise table.expected(row, column, "a date as YYYY-MM-DD")


def _currency(table: _Table, row: _Row) -> str | None:
    """The currency column's code, or ``None`` when the column or the cell is empty."""
    text = row.get("currency")
    if not text:
        return None
    if not _CURRENCY.fullmatch(text) or not is_currency_code(text.upper()):
        raise table.expected(row, "currency", "an ISO 4217 currency code such as EUR")
    return text.upper()


def _amount(table: _Table, row: _Row, column: str, currency: str) -> int:
    """A non-negative decimal amount in minor units of ``currency``."""
    text = row.get(column)
    if not _AMOUNT.fullmatch(text):
        raise table.expected(row, column, _AMOUNT_SHAPE)
    try:
        value = parse_amount(text)
    except ValueError:
        raise table.expected(row, column, _AMOUNT_SHAPE) from None
    if value < 0:
        raise table.expected(row, column, "an amount of 0 or more")
    if value >= _MAX_AMOUNT:
        raise table.expected(row, column, f"an amount below {_MAX_AMOUNT}")
    if value != round_money(value, currency):
        places = currency_exponent(currency)
        raise table.expected(row, column, f"at most {places} decimal places for {currency}")
    return to_minor(value, currency)


def _split(text: str) -> list[str]:
    """The ``;``-separated parts of a cell, blank and repeated parts dropped."""
    return list(dict.fromkeys(part.strip() for part in text.split(";") if part.strip()))


def _chunks(items: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _checking(ctx: TaskContext, done: int, total: int) -> None:
    """Every ``_PROGRESS_EVERY`` rows: honour a cancel request and report progress."""
    if done % _PROGRESS_EVERY == 0:
        ctx.check_cancelled()
        ctx.report(done, total, f"Checking row {done + 1} of {total}")


def _writing(ctx: TaskContext, total: int) -> None:
    """The last point a cancel is honoured before the ledger is written."""
    ctx.check_cancelled()
    ctx.report(total, total, "Writing")


# --------------------------------------------------------------------------------------------
# Customers


@dataclass(frozen=True)
class _CustomerDefaults:
    currency: str
    terms: int


@dataclass(frozen=True)
class _CustomerPlan:
    """What one row says a customer is; ``None`` lists mean the column is not in the file."""

    row: _Row
    code: str
    fields: dict[str, Any]
    emails: list[str] | None
    ibans: list[str] | None
    aliases: list[str] | None


#: Text columns of a customer and their lengths in the ledger; only the address has lines.
_CUSTOMER_TEXTS = {"phone": 100, "address": None, "language": 10, "segment": 100}


def _customer_fields(
    table: _Table, row: _Row, existing: Customer | None, defaults: _CustomerDefaults
) -> dict[str, Any]:
    fields: dict[str, Any] = {"name": _required(table, row, "name", 300)}
    currency = _currency(table, row) or (existing.currency if existing else defaults.currency)
    fields["currency"] = currency
    terms = row.get("payment_terms_days")
    if terms and not _TERMS.fullmatch(terms):
        raise table.expected(row, "payment_terms_days", "whole days such as 30")
    if terms:
        fields["payment_terms_days"] = int(terms)
    else:
        fields["payment_terms_days"] = existing.payment_terms_days if existing else defaults.terms
    for column, limit in _CUSTOMER_TEXTS.items():
        if table.has(column):
            fields[column] = _text(table, row, column, limit, lines=column == "address")
    if table.has("country"):
        country = row.get("country")
        if country and not _COUNTRY.fullmatch(country):
            raise table.expected(row, "country", "a two-letter country code such as DE")
        fields["country"] = country.upper()
    if table.has("credit_limit"):
        credit_limit = row.get("credit_limit")
        fields["credit_limit_minor"] = (
            _amount(table, row, "credit_limit", currency) if credit_limit else None
        )
    elif (
        existing is not None
        and existing.currency != currency
        and existing.credit_limit_minor is not None
    ):
        # The stored limit is in minor units of the old currency; read in the new one it would
        # be another amount (EUR 1000.00 would become JPY 100000), and amounts in two
        # currencies are not comparable anyway: the file must say the new limit.
        why = (
            f"changing the currency from {existing.currency} to {currency} needs the "
            f"credit_limit in the same row"
        )
        raise table.error(row, "currency", why)
    return fields


def _emails(table: _Table, row: _Row) -> list[str]:
    """The ``;``-separated addresses, each ``local@domain`` on one line (mail headers)."""
    if has_line_break(row.get("email")):
        raise table.expected(row, "email", "e-mail addresses separated by ';', on one line")
    emails = _split(row.get("email"))
    for email in emails:
        if not is_email_address(email):
            raise table.expected(row, "email", "e-mail addresses separated by ';'")
    return emails


def _ibans(table: _Table, row: _Row) -> list[str]:
    ibans: list[str] = []
    for part in _split(row.get("iban")):
        if not _IBAN_TEXT.fullmatch(part):
            what = (
                f"expected IBANs of letters A-Z and digits 0-9 separated by ';', got {_shown(part)}"
            )
            raise table.error(row, "iban", what)
        try:
            ibans.append(normalize_iban(part))
        except ValueError as exc:
            raise table.error(row, "iban", f"expected IBANs separated by ';': {exc}") from None
    return list(dict.fromkeys(ibans))


def _aliases(table: _Table, row: _Row) -> list[str]:
    aliases = _split(row.get("aliases"))
    for alias in aliases:
        if len(alias) > 300:
            what = f"expected names of at most 300 characters, got {_shown(alias)}"
            raise table.error(row, "aliases", what)
        if has_line_break(alias):
            raise table.error(row, "aliases", f"expected names on one line, got {_shown(alias)}")
    return aliases


def _customer_plan(
    table: _Table, row: _Row, existing: Customer | None, defaults: _CustomerDefaults
) -> _CustomerPlan:
    return _CustomerPlan(
        row=row,
        code=row.get("customer_id"),
        fields=_customer_fields(table, row, existing, defaults),
        emails=_emails(table, row) if table.has("email") else None,
        ibans=_ibans(table, row) if table.has("iban") else None,
        aliases=_aliases(table, row) if table.has("aliases") else None,
    )


def _load_customers(session: Session, codes: Sequence[str]) -> dict[str, Customer]:
    customers: dict[str, Customer] = {}
    for chunk in _chunks(codes):
        stmt = (
            select(Customer)
            .where(Customer.code.in_(chunk))
            .options(
                selectinload(Customer.contacts),
                selectinload(Customer.ibans),
                selectinload(Customer.aliases),
            )
        )
        customers.update((c.code, c) for c in session.scalars(stmt))
    return customers


def _plan_customers(
    session: Session, table: _Table, defaults: _CustomerDefaults, ctx: TaskContext
) -> tuple[list[_CustomerPlan], dict[str, Customer]]:
    """Every row checked against the file and the ledger; the first problem raises."""
    codes = list(dict.fromkeys(row.get("customer_id") for row in table.rows))
    existing = _load_customers(session, [c for c in codes if c])
    plans: list[_CustomerPlan] = []
    seen: dict[str, int] = {}
    for done, row in enumerate(table.rows):
        _checking(ctx, done, len(table.rows))
        code = _required(table, row, "customer_id", 100)
        first = seen.setdefault(code, row.number)
        if first != row.number:
            raise table.error(
                row, "customer_id", f"{code!r} appears twice, in rows {first} and {row.number}"
            )
        plans.append(_customer_plan(table, row, existing.get(code), defaults))
    return plans, existing


def _new_customer(plan: _CustomerPlan) -> Customer:
    customer = Customer(code=plan.code, **plan.fields)
    customer.contacts = [Contact(email=e, role=_BILLING) for e in plan.emails or []]
    customer.ibans = [CustomerIban(iban=i) for i in plan.ibans or []]
    customer.aliases = [CustomerAlias(alias=a) for a in plan.aliases or []]
    return customer


def _update_customer(
    customer: Customer, plan: _CustomerPlan
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply what differs; returns the changed values before and after (empty: unchanged)."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key, value in plan.fields.items():
        if getattr(customer, key) != value:
            before[key], after[key] = getattr(customer, key), value
            setattr(customer, key, value)
    if plan.emails is not None:
        current = [c.email for c in customer.contacts if c.role == _BILLING and c.email]
        if set(current) != set(plan.emails):
            wanted = set(plan.emails)
            kept = [
                c
                for c in customer.contacts
                if not (c.role == _BILLING and c.email and c.email not in wanted)
            ]
            added = [Contact(email=e, role=_BILLING) for e in plan.emails if e not in current]
            customer.contacts = kept + added
            before["email"], after["email"] = current, plan.emails
    if plan.ibans is not None:
        current = [i.iban for i in customer.ibans]
        if set(current) != set(plan.ibans):
            customer.ibans = [i for i in customer.ibans if i.iban in plan.ibans] + [
                CustomerIban(iban=i) for i in plan.ibans if i not in current
            ]
            before["iban"], after["iban"] = current, plan.ibans
    if plan.aliases is not None:
        current = [a.alias for a in customer.aliases]
        if set(current) != set(plan.aliases):
            customer.aliases = [a for a in customer.aliases if a.alias in plan.aliases] + [
                CustomerAlias(alias=a) for a in plan.aliases if a not in current
            ]
            before["aliases"], after["aliases"] = current, plan.aliases
    return before, after


def import_customers(
    uow: UnitOfWork, path: Path, *, ctx: TaskContext | None = None
) -> ImportResult:
    """Import customers from a CSV or XLSX file (formats.md), upserting by ``customer_id``.

    Columns a row leaves empty take the company's defaults for a new customer (currency,
    payment terms) and keep the current value of an existing one. Where the file has an
    ``email``, ``iban`` or ``aliases`` column, a customer's billing contacts, payer IBANs or
    aliases become exactly what the file lists. All rows are written in one transaction or none.

    Args:
        uow: the unit of work on the ledger.
        path: the file; CSV or XLSX is told from its content.
        ctx: progress goes to ``ctx.report`` while the file is read ("Reading row N", no
            total), every thousand rows while they are checked ("Checking row N of M") and
            once before writing ("Writing"); a cancel request is honoured at those points and
            writes nothing.

    Returns:
        How many customers were created, updated and left unchanged, and warnings (columns that
        were ignored).

    Raises:
        ImportFileError: the file cannot be read or a row is invalid: a missing required column,
            a repeated ``customer_id``, an invalid IBAN or one that belongs to another customer,
            a bad amount or code, text too long for the ledger or a line break in a one-line
            column, a currency change without the new credit_limit, a file that is too large.
            The message names the file, row and column.
        TaskCancelledError: ``ctx`` was cancelled; nothing was written.
    """
    ctx = ctx or TaskContext()
    table = _read_table(path, "customers", CUSTOMER_COLUMNS, CUSTOMER_REQUIRED, ctx)
    settings = load_settings(uow)
    defaults = _CustomerDefaults(
        settings["company.currency"], int(settings["invoice.payment_terms_days"])
    )
    created: list[Customer] = []
    updated = unchanged = 0
    with uow:
        session = uow.session
        plans, existing = _plan_customers(session, table, defaults, ctx)
        _writing(ctx, len(plans))
        for plan in plans:
            customer = existing.get(plan.code)
            if customer is None:
                customer = _new_customer(plan)
                session.add(customer)
                created.append(customer)
                continue
            before, after = _update_customer(customer, plan)
            if not after:
                unchanged += 1
                continue
            updated += 1
            record_audit(session, uow.actor, "import", "customer", customer.id, before, after)
        session.flush()
        for customer in created:
            after = {"code": customer.code, "name": customer.name}
            record_audit(session, uow.actor, "import", "customer", customer.id, after=after)
        ctx.check_cancelled()
        uow.commit()
    return ImportResult(len(created), updated, unchanged, tuple(table.warnings))


# --------------------------------------------------------------------------------------------
# Invoices


@dataclass(frozen=True)
class _InvoicePlan:
    """What one row says an invoice is; ``None`` means the column is not in the file."""

    row: _Row
    number: str
    customer_id: int
    currency: str
    issue_date: date
    due_date: date
    total_minor: int
    paid_minor: int | None
    po_number: str | None
    description: str | None


@dataclass
class _InvoiceLedger:
    """What the ledger already holds that the rows are checked against, loaded in bulk."""

    customers: dict[str, tuple[int, str]]
    codes: dict[int, str]
    invoices: dict[str, Invoice]
    other_allocated: dict[int, int] = field(default_factory=dict)
    imported: dict[int, list[Allocation]] = field(default_factory=dict)
    with_lines: set[int] = field(default_factory=set)


def _load_invoice_ledger(session: Session, numbers: Sequence[str]) -> _InvoiceLedger:
    customers: dict[str, tuple[int, str]] = {}
    codes: dict[int, str] = {}
    for customer_id, code, currency in session.execute(
        select(Customer.id, Customer.code, Customer.currency)
    ):
        customers[code] = (customer_id, currency)
        codes[customer_id] = code
    invoices: dict[str, Invoice] = {}
    for chunk in _chunks(numbers):
        for invoice in session.scalars(select(Invoice).where(Invoice.number.in_(chunk))):
            invoices[invoice.number or ""] = invoice
    ledger = _InvoiceLedger(customers, codes, invoices)
    ids = [invoice.id for invoice in invoices.values()]
    for id_chunk in _chunks(ids):
        stmt = (
            select(Allocation, Payment)
            .outerjoin(Payment, Payment.id == Allocation.payment_id)
            .where(Allocation.invoice_id.in_(id_chunk), Allocation.reversed_at.is_(None))
        )
        for allocation, payment in session.execute(stmt):
            if _is_import_payment(payment):
                ledger.imported.setdefault(allocation.invoice_id, []).append(allocation)
            else:
                ledger.other_allocated[allocation.invoice_id] = (
                    ledger.other_allocated.get(allocation.invoice_id, 0) + allocation.amount_minor
                )
        lines = select(InvoiceLine.invoice_id).where(InvoiceLine.invoice_id.in_(id_chunk))
        ledger.with_lines.update(session.scalars(lines.distinct()))
    return ledger


def _is_import_payment(payment: Payment | None) -> bool:
    return (
        payment is not None and payment.source == IMPORT_SOURCE and payment.method == IMPORT_METHOD
    )


def _imported_minor(ledger: _InvoiceLedger, invoice_id: int) -> int:
    return sum(a.amount_minor for a in ledger.imported.get(invoice_id, []))


def _invoice_plan(table: _Table, row: _Row, number: str, ledger: _InvoiceLedger) -> _InvoicePlan:
    code = _required(table, row, "customer_id", 100)
    customer = ledger.customers.get(code)
    if customer is None:
        raise table.expected(row, "customer_id", "the customer_id of a customer in the ledger")
    issue_date = _date(table, row, "issue_date")
    due_date = _date(table, row, "due_date")
    if due_date < issue_date:
        raise table.expected(
            row, "due_date", f"a date on or after the issue date {issue_date.isoformat()}"
        )
    existing = ledger.invoices.get(number)
    currency = _currency(table, row) or (existing.currency if existing else customer[1])
    total = _amount(table, row, "total", currency)
    paid: int | None = None
    if table.has("amount_paid"):
        paid = _amount(table, row, "amount_paid", currency) if row.get("amount_paid") else 0
        if paid > total:
            shown = Money(total, currency).amount
            raise table.expected(row, "amount_paid", f"an amount from 0 to the total {shown}")
    return _InvoicePlan(
        row=row,
        number=number,
        customer_id=customer[0],
        currency=currency,
        issue_date=issue_date,
        due_date=due_date,
        total_minor=total,
        paid_minor=paid,
        po_number=_text(table, row, "po_number", 100) if table.has("po_number") else None,
        description=(
            _text(table, row, "description", lines=True) if table.has("description") else None
        ),
    )


def _check_existing(
    table: _Table, plan: _InvoicePlan, invoice: Invoice, ledger: _InvoiceLedger
) -> None:
    """Refuse a row that would change an invoice in a way the ledger does not allow."""
    row, number = plan.row, plan.number
    if invoice.kind != InvoiceKind.INVOICE or invoice.state != DocumentState.ISSUED:
        what = "a credit note" if invoice.kind != InvoiceKind.INVOICE else invoice.state
        why = f"{number} is {what} in the ledger; only issued invoices can be updated by import"
        raise table.error(row, "number", why)
    if invoice.customer_id != plan.customer_id:
        owner = ledger.codes.get(invoice.customer_id, "?")
        raise table.expected(row, "customer_id", f"{owner!r}, the customer of {number}")
    if invoice.currency != plan.currency:
        raise table.expected(row, "currency", f"{invoice.currency}, the currency of {number}")
    if invoice.id in ledger.with_lines and plan.total_minor != invoice.total_minor:
        total = Money(invoice.total_minor, invoice.currency).amount
        why = (
            f"{total}: {number} was issued in Duebook and its total comes from its lines "
            "(lower it with a credit note)"
        )
        raise table.expected(row, "total", why)
    kept = ledger.other_allocated.get(invoice.id, 0)
    if plan.paid_minor is None:
        kept += _imported_minor(ledger, invoice.id)
    if plan.total_minor < kept:
        least = Money(kept, invoice.currency).amount
        raise table.expected(
            row, "total", f"at least {least}, what is already allocated to {number}"
        )


def _plan_invoices(table: _Table, ledger: _InvoiceLedger, ctx: TaskContext) -> list[_InvoicePlan]:
    """Every row checked against the file and the ledger; the first problem raises."""
    plans: list[_InvoicePlan] = []
    seen: dict[str, int] = {}
    for done, row in enumerate(table.rows):
        _checking(ctx, done, len(table.rows))
        number = _required(table, row, "number", 50)
        first = seen.setdefault(number, row.number)
        if first != row.number:
            raise table.error(
                row, "number", f"{number!r} appears twice, in rows {first} and {row.number}"
            )
        plan = _invoice_plan(table, row, number, ledger)
        existing = ledger.invoices.get(number)
        if existing is not None:
            _check_existing(table, plan, existing, ledger)
        plans.append(plan)
    return plans


def _import_payment(plan: _InvoicePlan, invoice: Invoice, amount_minor: int) -> Payment:
    """A payment standing for what was paid before the import, allocated to the invoice.

    The file gives no payment date, so the issue date is used.
    """
    payment = Payment(
        customer_id=plan.customer_id,
        received_on=plan.issue_date,
        amount_minor=amount_minor,
        currency=plan.currency,
        method=IMPORT_METHOD,
        source=IMPORT_SOURCE,
        reference=plan.number,
    )
    payment.allocations.append(
        Allocation(
            invoice=invoice,
            kind=AllocationKind.CASH,
            amount_minor=amount_minor,
            currency=plan.currency,
            allocated_on=plan.issue_date,
            note=_IMPORT_NOTE,
        )
    )
    return payment


def _insert_new_invoices(
    session: Session, actor: str, plans: Sequence[_InvoicePlan], now: datetime
) -> None:
    """Insert new invoices with their import payments, audit entries and timeline events.

    These are bulk INSERTs (a hundred thousand rows in seconds, where ORM objects would take
    most of a minute); the audit and timeline rows are the ones ``record_audit`` and
    ``record_activity`` would write.
    """
    if not plans:
        return
    # RETURNING the number, which is unique, rather than relying on the order of the rows:
    # SQLite can only keep the order by inserting one row at a time.
    inserted = session.execute(
        insert(Invoice).returning(Invoice.number, Invoice.id),
        [
            {
                "number": plan.number,
                "kind": InvoiceKind.INVOICE.value,
                "state": DocumentState.ISSUED.value,
                "customer_id": plan.customer_id,
                "currency": plan.currency,
                "issue_date": plan.issue_date,
                "due_date": plan.due_date,
                "net_minor": plan.total_minor,
                "tax_minor": 0,
                "total_minor": plan.total_minor,
                "po_number": plan.po_number or "",
                "description": plan.description or "",
                "source": IMPORT_SOURCE,
                "created_at": now,
                "issued_at": now,
            }
            for plan in plans
        ],
    )
    by_number: dict[str | None, int] = dict(inserted.all())
    ids = [by_number[plan.number] for plan in plans]
    _insert_import_payments(
        session, [(plan, i) for plan, i in zip(plans, ids, strict=True) if plan.paid_minor], now
    )
    audits: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for plan, invoice_id in zip(plans, ids, strict=True):
        total = Money(plan.total_minor, plan.currency)
        after = {"number": plan.number, "total": str(total)}
        audits.append(
            {
                "at": now,
                "actor": actor,
                "action": "import",
                "entity": "invoice",
                "entity_id": invoice_id,
                "before": "",
                "after": json.dumps(after, default=str, sort_keys=True),
            }
        )
        events.append(
            {
                "customer_id": plan.customer_id,
                "occurred_at": event_time(plan.issue_date),
                "kind": "invoice",
                "summary": f"Invoice {plan.number} imported for {format_money(total)}, "
                f"due {plan.due_date.isoformat()}",
                "invoice_id": invoice_id,
                "author": actor,
            }
        )
    session.execute(insert(AuditEntry), audits)
    session.execute(insert(Activity), events)


def _insert_import_payments(
    session: Session, paid: Sequence[tuple[_InvoicePlan, int]], now: datetime
) -> None:
    """The bulk form of :func:`_import_payment`, for invoices just inserted."""
    if not paid:
        return
    inserted = session.execute(
        insert(Payment).returning(Payment.reference, Payment.id),
        [
            {
                "customer_id": plan.customer_id,
                "received_on": plan.issue_date,
                "amount_minor": plan.paid_minor,
                "currency": plan.currency,
                "method": IMPORT_METHOD,
                "source": IMPORT_SOURCE,
                "reference": plan.number,
                "created_at": now,
            }
            for plan, _ in paid
        ],
    )
    by_reference: dict[str, int] = dict(inserted.all())
    payment_ids = [by_reference[plan.number] for plan, _ in paid]
    session.execute(
        insert(Allocation),
        [
            {
                "invoice_id": invoice_id,
                "kind": AllocationKind.CASH.value,
                "amount_minor": plan.paid_minor,
                "currency": plan.currency,
                "payment_id": payment_id,
                "allocated_on": plan.issue_date,
                "note": _IMPORT_NOTE,
                "created_at": now,
            }
            for (plan, invoice_id), payment_id in zip(paid, payment_ids, strict=True)
        ],
    )


def _update_invoice(
    session: Session, invoice: Invoice, plan: _InvoicePlan, ledger: _InvoiceLedger, now: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply what differs; returns the changed values before and after (empty: unchanged)."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    wanted = {
        "issue_date": plan.issue_date,
        "due_date": plan.due_date,
        "total_minor": plan.total_minor,
        "po_number": plan.po_number,
        "description": plan.description,
    }
    for key, value in wanted.items():
        if value is not None and getattr(invoice, key) != value:
            before[key], after[key] = getattr(invoice, key), value
            setattr(invoice, key, value)
    if "total_minor" in after:
        invoice.net_minor, invoice.tax_minor = plan.total_minor, 0
    if plan.paid_minor is not None:
        other = ledger.other_allocated.get(invoice.id, 0)
        current = ledger.imported.get(invoice.id, [])
        desired = max(plan.paid_minor - other, 0)
        had = sum(a.amount_minor for a in current)
        if desired != had:
            for allocation in current:  # reversed, never edited in place
                allocation.reversed_at = now
                if allocation.payment is not None:
                    allocation.payment.reversed_at = now
            if desired > 0:
                session.add(_import_payment(plan, invoice, desired))
            before["amount_paid"] = str(Money(other + had, plan.currency).amount)
            after["amount_paid"] = str(Money(other + desired, plan.currency).amount)
    return before, after


def _overpaid_warning(
    table: _Table, plans: list[_InvoicePlan], ledger: _InvoiceLedger
) -> list[str]:
    """One warning for invoices with more allocated in the ledger than ``amount_paid`` says."""
    rows = [
        plan
        for plan in plans
        if plan.paid_minor is not None
        and (invoice := ledger.invoices.get(plan.number)) is not None
        and ledger.other_allocated.get(invoice.id, 0) > plan.paid_minor
    ]
    if not rows:
        return []
    first = rows[0]
    return [
        f"{table.file}: {len(rows)} invoice(s) already have more allocated in the ledger than "
        f"their amount_paid (first: row {first.row.number}, {first.number}); those "
        f"allocations were left as they are"
    ]


def import_invoices(uow: UnitOfWork, path: Path, *, ctx: TaskContext | None = None) -> ImportResult:
    """Import issued invoices from a CSV or XLSX file (formats.md), upserting by ``number``.

    New invoices are issued with source ``import``, net equal to the total, no tax and no
    lines (those live in the accounting system). An ``amount_paid`` above zero becomes a payment
    (source ``import``, method ``imported``, dated the issue date) allocated to the invoice.

    An invoice already in the ledger gets its dates, total, PO number and description updated
    (audited with before and after values). ``amount_paid`` is what the source system says was
    paid in all; what the ledger allocated by other means (cash application, credit notes)
    counts towards it, and only the rest is held by the import payment. When that rest changes,
    the old import payment is reversed and a new one made, never edited in place. All rows are
    written in one transaction or none.

    Args:
        uow: the unit of work on the ledger.
        path: the file; CSV or XLSX is told from its content.
        ctx: progress and cancel, as for :func:`import_customers`.

    Returns:
        How many invoices were created, updated and left unchanged, and warnings.

    Raises:
        ImportFileError: the file cannot be read or a row is invalid: an unknown customer, a
            repeated number, a bad date or amount, a due date before the issue date, an amount
            paid above the total, a total below what is already allocated, or an invoice in the
            ledger that is not an issued invoice of the same customer and currency, text too
            long for the ledger or a line break in a one-line column, a file that is too large.
            The message names the file, row and column.
        TaskCancelledError: ``ctx`` was cancelled; nothing was written.
    """
    ctx = ctx or TaskContext()
    table = _read_table(path, "invoices", INVOICE_COLUMNS, INVOICE_REQUIRED, ctx)
    numbers = list(dict.fromkeys(row.get("number") for row in table.rows if row.get("number")))
    updated = unchanged = 0
    with uow:
        session = uow.session
        ledger = _load_invoice_ledger(session, numbers)
        plans = _plan_invoices(table, ledger, ctx)
        _writing(ctx, len(plans))
        now = utcnow()
        new: list[_InvoicePlan] = []
        for plan in plans:
            invoice = ledger.invoices.get(plan.number)
            if invoice is None:
                new.append(plan)
                continue
            before, after = _update_invoice(session, invoice, plan, ledger, now)
            if not after:
                unchanged += 1
                continue
            updated += 1
            record_audit(session, uow.actor, "import", "invoice", invoice.id, before, after)
        session.flush()
        _insert_new_invoices(session, uow.actor, new, now)
        ctx.check_cancelled()
        uow.commit()
    notes = table.warnings + _overpaid_warning(table, plans, ledger)
    return ImportResult(len(new), updated, unchanged, tuple(notes))
