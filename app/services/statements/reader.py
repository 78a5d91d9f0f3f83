"""One door for every statement file: the format is told from the content, never the name."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from app.services.statements.camt import parse_camt
from app.services.statements.mt940 import parse_mt940
from app.services.statements.ofx import parse_ofx
from app.services.statements.parsed import (
    ParsedFile,
    ParsedStatement,
    SheetMapping,
    StatementFileError,
)
from app.services.statements.sheet import read_sheet

#: Larger files are refused before they are read: a year of a busy account is a few MB.
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Formats are told from this much of the start of a file.
_SNIFF_BYTES = 64 * 1024

_CAMT_ROOTS = {
    "BkToCstmrStmt": "camt053",
    "BkToCstmrDbtCdtNtfctn": "camt054",
    "BkToCstmrAcctRpt": "camt052",
}
_CAMT = re.compile(r"<(?:[\w.-]+:)?(BkToCstmrStmt|BkToCstmrDbtCdtNtfctn|BkToCstmrAcctRpt)\b")
_OFX = re.compile(r"OFXHEADER|<OFX>", re.IGNORECASE)
_MT940_TAG = re.compile(r"(?:^|[\n\r{])[\x01\s]*(?:\{[^\n]*\{4:)?:(20|25|28C?|60[FM]|61):", re.M)
_MT940_NEEDS = ({"20"}, {"25"}, {"60F", "60M", "61"})
_CSV_DELIMITERS = (",", ";", "\t", "|")
_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive that is no Excel workbook"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (save it as .xlsx or .csv)"),
    (b"{\\rtf", "an RTF document"),
)
_TEXT_CONTROLS = re.compile(rb"[\x00\x02\x04-\x08\x0e-\x19\x1b-\x1f]")

_FORMATS_EXPECTED = "expected CAMT.053/.054 XML, OFX, MT940, CSV or XLSX"


def read_statement_file(
    path: Path, *, default_currency: str, mapping: SheetMapping | None = None
) -> ParsedFile:
    """Read a bank statement file of any supported format.

    Args:
        path: The file.
        default_currency: The currency of amounts the file gives none for.
        mapping: How to read the columns of a CSV/XLSX export (detected when None).

    Returns:
        The statements, with a warning for each statement whose balances do not add up.

    Raises:
        StatementFileError: The file cannot be read, is empty, too large, not a statement, or
            broken; the one-line message names the file and, where known, the line or element.
        MappingNeededError: A CSV/XLSX export whose columns need a person to confirm them.
    """
    file = path.name
    data = _read(path)
    kind = _sniff(data)
    if kind is None:
        looks = _looks_like(data)
        raise StatementFileError(
            f"{file} is not a bank statement{f' ({looks})' if looks else ''}: {_FORMATS_EXPECTED}"
        )
    parsed = _parse(file, data, kind, default_currency, mapping)
    warnings = [*parsed.warnings, *_balance_warnings(file, parsed.statements)]
    return ParsedFile(format=parsed.format, statements=parsed.statements, warnings=tuple(warnings))


def detect_format(data: bytes) -> str | None:
    """The format of a statement file's bytes, one of ``parsed.FORMATS``, or None.

    CAMT.053/.054 XML, OFX and MT940 are recognised by their own markers and XLSX as a zip
    holding ``xl/workbook.xml``; any other text that reads as a table is taken for CSV.
    A camt.052 intraday report is not a statement, so it gives None.
    """
    kind = _sniff(data)
    return None if kind == "camt052" else kind


def _read(path: Path) -> bytes:
    file = path.name
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise StatementFileError(
                f"{file} is {size / 1024 / 1024:.0f} MB; statement files over"
                f" {MAX_FILE_BYTES // 1024 // 1024} MB are refused: export a shorter period"
            )
        data = path.read_bytes()
    except OSError as error:
        raise StatementFileError(f"{file} cannot be read: {error.strerror or error}") from error
    if not data.strip():
        raise StatementFileError(f"{file} is empty: {_FORMATS_EXPECTED}")
    return data


def _sniff(data: bytes) -> str | None:
    """Like :func:`detect_format`, but naming a camt.052 report ``camt052``."""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx" if b"xl/workbook.xml" in data else None
    head = _head_text(data)
    stripped = head.lstrip("\ufeff \t\r\n\x01")
    if _OFX.search(head):
        return "ofx"
    if stripped.startswith("<"):
        camt = _CAMT.search(head)
        return _CAMT_ROOTS[camt[1]] if camt else None
    tags = {match[1] for match in _MT940_TAG.finditer(head)}
    if all(tags & needed for needed in _MT940_NEEDS):
        return "mt940"
    if any(data.startswith(magic) for magic, _ in _MAGIC):
        return None
    return "csv" if _reads_as_table(data[:_SNIFF_BYTES], head) else None


def _head_text(data: bytes) -> str:
    """The start of the file as text, good enough to look for ASCII markers."""
    head = data[:_SNIFF_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    return head.decode("latin-1")


def _reads_as_table(head: bytes, text: str) -> bool:
    """Whether text looks like rows of cells: no binary bytes, and two rows split alike."""
    if len(_TEXT_CONTROLS.findall(head)) > len(head) // 100:
        return False
    rows = [row for row in text.splitlines()[:50] if row.strip()]
    for delimiter in _CSV_DELIMITERS:
        counts = [row.count(delimiter) for row in rows]
        if any(count and counts.count(count) >= 2 for count in counts):
            return any(char.isdigit() for char in text)
    return False


def _looks_like(data: bytes) -> str:
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return what
    head = _head_text(data).lstrip("\ufeff \t\r\n").lower()
    if head.startswith(("<!doctype html", "<html")):
        return "a web page"
    if head.startswith("<"):
        return "an XML document of another kind"
    return ""


def _parse(
    file: str, data: bytes, kind: str, default_currency: str, mapping: SheetMapping | None
) -> ParsedFile:
    if kind in ("camt053", "camt054", "camt052"):  # parse_camt refuses camt.052 in words
        return parse_camt(file, data, default_currency=default_currency)
    if kind == "ofx":
        return parse_ofx(file, data, default_currency=default_currency)
    if kind == "mt940":
        return parse_mt940(file, data, default_currency=default_currency)
    return read_sheet(file, data, kind=kind, default_currency=default_currency, mapping=mapping)


def _balance_warnings(file: str, statements: tuple[ParsedStatement, ...]) -> list[str]:
    """One warning per statement whose opening balance and lines miss its closing balance."""
    warnings = []
    for number, statement in enumerate(statements, 1):
        opening, closing = statement.opening_balance, statement.closing_balance
        if opening is None or closing is None:
            continue
        total = sum((line.amount for line in statement.lines), Decimal(0))
        if opening + total != closing:
            warnings.append(
                f"{file}: statement {number} of {statement.account or 'the account'}:"
                f" opening {_shown(opening)} + lines {_shown(total)} ="
                f" {_shown(opening + total)}, but the closing balance is {_shown(closing)}"
            )
    return warnings


def _shown(amount: Decimal) -> str:
    """An amount with at least two decimals, and more only where the file has them."""
    exponent = amount.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{amount:.{places}f}"
