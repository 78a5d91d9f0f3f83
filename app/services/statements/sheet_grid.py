"""A CSV or XLSX bank export as rows of cells, each with the line or row it came from.

CSV bytes are decoded as UTF-8 (with or without BOM), Windows-1252, Windows-1257 or ISO-8859-1,
whichever fits; the delimiter is the one of ``,`` ``;`` tab ``|`` that splits the rows most
evenly. XLSX workbooks are checked for ZIP bombs and read with formulas as their saved values.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import warnings
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import islice

import openpyxl

from app.services.statements.parsed import StatementFileError
from app.services.statements.sheet_values import Cell
from app.services.workbook_safety import XLSX_ERRORS, NotAWorkbookError, archive_sizes

#: The largest file read, and the most rows and cells (rows times columns) in it.
MAX_BYTES = 50_000_000
MAX_ROWS = 1_000_000
MAX_CELLS = 50_000_000

DELIMITERS = (",", ";", "\t", "|")
_SNIFF_CHARS = 65_536
_SNIFF_ROWS = 60
#: Legacy code pages tried after UTF-8, in order; ISO-8859-1 last, as it decodes any byte.
_LEGACY = ("cp1252", "cp1257", "latin-1")
_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "cp1252": "Windows-1252",
    "cp1257": "Windows-1257",
    "latin-1": "ISO-8859-1",
}
#: Letters that Windows-1252 makes of the Baltic š, ž, Š, Ž: almost never in Western text.
_BALTIC_TELLS = frozenset("ðþÐÞ")
_C1 = frozenset(chr(code) for code in range(0x80, 0xA0))


@dataclass(frozen=True, slots=True)
class GridRow:
    """One record: the 1-based line (CSV, where it starts) or row (XLSX), and its cells."""

    line: int
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Grid:
    """Every record of a file, with the encoding and delimiter it was read with (CSV only)."""

    rows: tuple[GridRow, ...]
    encoding: str = ""
    delimiter: str = ""


def read_grid(
    file: str, data: bytes, kind: str, *, encoding: str = "", delimiter: str = ""
) -> Grid:
    """The file's records; ``encoding`` and ``delimiter`` are detected when empty.

    Raises:
        StatementFileError: the file is too large, not text in a known encoding, or not a
            readable workbook.
    """
    if len(data) > MAX_BYTES:
        raise StatementFileError(
            f"{file} is {len(data) / 1_000_000:,.1f} MB; at most {MAX_BYTES // 1_000_000} MB "
            f"is read (export a shorter period)"
        )
    if kind == "xlsx":
        return Grid(_xlsx_rows(file, data))
    text, used = decode_text(file, data, encoding)
    used_delimiter = delimiter or sniff_delimiter(text)
    return Grid(_csv_rows(file, text, used_delimiter), used, used_delimiter)


# --------------------------------------------------------------------------------------------
# CSV


def decode_text(file: str, data: bytes, encoding: str = "") -> tuple[str, str]:
    """The file as text and the encoding that fits it (``encoding`` when one is given)."""
    _refuse_binary(file, data)
    if data.startswith(codecs.BOM_UTF8):
        return _decode(file, data[len(codecs.BOM_UTF8) :], "utf-8"), "utf-8-sig"
    if encoding:
        return _decode(file, data, encoding), encoding
    failures: list[int] = []
    for candidate in ("utf-8", *_LEGACY):
        try:
            text = _strict(data, candidate)
        except UnicodeDecodeError as exc:
            failures.append(exc.start)
            continue
        if candidate == "cp1252" and _BALTIC_TELLS.intersection(text):
            baltic = _baltic(data)
            if baltic is not None:
                return baltic, "cp1257"
        return text, candidate
    raise _undecodable(
        file, data, max(failures), "UTF-8, Windows-1252, Windows-1257 or ISO-8859-1 text"
    )


def _baltic(data: bytes) -> str | None:
    try:
        return data.decode("cp1257")
    except UnicodeDecodeError:
        return None


def _strict(data: bytes, encoding: str) -> str:
    """The bytes decoded; ISO-8859-1 refuses the C1 controls that no real text contains."""
    text = data.decode(encoding)
    if encoding == "latin-1":
        for index, char in enumerate(text):
            if char in _C1:
                raise UnicodeDecodeError(encoding, data, index, index + 1, "C1 control")
    return text


def _decode(file: str, data: bytes, encoding: str) -> str:
    try:
        return _strict(data, encoding)
    except UnicodeDecodeError as exc:
        expected = f"{_NAMES.get(encoding, encoding)} text"
        raise _undecodable(file, data, exc.start, expected) from None
    except LookupError:
        raise StatementFileError(f"{file}: unknown encoding {encoding!r}") from None


def _undecodable(file: str, data: bytes, position: int, expected: str) -> StatementFileError:
    line = data[:position].count(b"\n") + 1
    return StatementFileError(
        f"{file}, line {line}: expected {expected}, got byte 0x{data[position]:02X} at offset "
        f"{position} (save the export as CSV UTF-8)"
    )


def _refuse_binary(file: str, data: bytes) -> None:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise StatementFileError(f"{file} is UTF-16 text; expected UTF-8 (save it as CSV UTF-8)")
    position = data.find(b"\x00")
    if position >= 0:
        raise _undecodable(file, data, position, "text, not binary data,")


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first records into the most cells, most evenly."""
    sample = text[:_SNIFF_CHARS]
    best, best_score = ",", 0
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        try:
            widths = Counter(len(row) for row in islice(reader, _SNIFF_ROWS) if len(row) > 1)
        except csv.Error:
            continue
        score = max((count * width for width, count in widths.items()), default=0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_rows(file: str, text: str, delimiter: str) -> tuple[GridRow, ...]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[GridRow] = []
    cells = 0
    line = 1
    try:
        for record in reader:
            rows.append(GridRow(line, tuple(value.strip() for value in record)))
            line = reader.line_num + 1
            cells += len(record)
            _check_size(file, len(rows), cells)
    except csv.Error as exc:
        raise StatementFileError(f"{file}, line {line}: cannot be read as CSV ({exc})") from None
    return tuple(rows)


def _check_size(file: str, rows: int, cells: int) -> None:
    if rows > MAX_ROWS or cells > MAX_CELLS:
        raise StatementFileError(
            f"{file} has more than {MAX_ROWS:,} rows or {MAX_CELLS:,} cells; expected a bank "
            f"export of at most that size (export a shorter period)"
        )


# --------------------------------------------------------------------------------------------
# XLSX


def _check_zip(file: str, data: bytes) -> None:
    """Refuse an archive that would unpack to far more than a workbook of real data."""
    try:
        sizes = archive_sizes(data)
    except NotAWorkbookError:
        raise _not_a_workbook(file) from None
    if sizes.has_a_part_too_large or sizes.is_packed_too_tightly:
        raise StatementFileError(
            f"{file} unpacks to {sizes.unpacked / 1_000_000:,.1f} MB from "
            f"{len(data) / 1000:,.0f} KB; "
            f"expected a workbook of real data (save the export as CSV UTF-8)"
        )


def _not_a_workbook(file: str) -> StatementFileError:
    return StatementFileError(f"{file} is not a readable Excel workbook; expected an .xlsx file")


def _number(value: int | float) -> Cell:
    """A numeric cell as a Decimal; a float keeps the 15 significant digits Excel has."""
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(format(value, ".15g")) if math.isfinite(value) else str(value)


def _xlsx_cell(value: object) -> Cell:
    """A cell value as text, a Decimal (numbers, never through float arithmetic) or a date."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    return "" if value is None else str(value).strip()


def _xlsx_rows(file: str, data: bytes) -> tuple[GridRow, ...]:
    _check_zip(file, data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                return _sheet_rows(file, book)
            finally:
                book.close()
    except XLSX_ERRORS:
        raise _not_a_workbook(file) from None


def _sheet_rows(file: str, book: openpyxl.Workbook) -> tuple[GridRow, ...]:
    if not book.worksheets:
        return ()
    sheet = book.worksheets[0]
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()  # trust the rows, not a stale <dimension>
    rows: list[GridRow] = []
    cells = 0
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        row = [_xlsx_cell(value) for value in values]
        while row and row[-1] == "":
            row.pop()
        rows.append(GridRow(number, tuple(row)))
        cells += len(values)
        _check_size(file, len(rows), cells)
    return tuple(rows)
