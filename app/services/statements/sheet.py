"""CSV and XLSX bank exports: recognise the columns, or follow a saved mapping, and read the rows.

:func:`read_sheet` reads a file the way :func:`guess_sheet_mapping` recognises it, or the way a
:class:`~app.services.statements.parsed.SheetMapping` says; when detection is not sure it
raises :class:`~app.services.statements.parsed.MappingNeededError` with its best guess, for the
mapping dialog. Every row is checked: one bad date or amount refuses the whole file, with a
message naming the file, the row and the column.

Rows that are not booked transactions are left out: empty rows; rows whose status says they
are pending, declined or reverted (Revolut ``State``); Swedbank's record types other than 20
(their opening and closing balance rows give the statement's balances, and a currency that has
only balance rows still gives a statement); and balance, turnover and total rows (a cell that
is only ``TOTAL``, ``Saldo``, ``Apyvarta``...). The mapping names the columns that carry money,
dates and text; the account, bank reference, status and running balance columns are found the
same way with or without one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import cast

from app.services.statements.parsed import (
    MappingNeededError,
    ParsedFile,
    ParsedLine,
    ParsedStatement,
    SheetGuess,
    SheetMapping,
    StatementFileError,
)
from app.services.statements.sheet_detect import (
    PREVIEW_ROWS,
    Auxiliary,
    Detection,
    Layout,
    auxiliary,
    balance_orientation,
    detect,
    layout,
    opening_closing,
)
from app.services.statements.sheet_grid import GridRow, read_grid
from app.services.statements.sheet_terms import (
    CLOSING_RECORD,
    OPENING_RECORD,
    SKIPPED_STATES,
    SUMMARY_WORDS,
    TRANSACTION_RECORD,
)
from app.services.statements.sheet_values import (
    Cell,
    amount_example,
    cell_text,
    currency_in,
    date_example,
    direction_sign,
    header_key,
    iban_in,
    plain_text,
    read_amount,
    read_date,
)

KINDS = ("csv", "xlsx")


@dataclass
class _Group:
    """The lines of one account in one currency, and what gives its balances."""

    account: str
    currency: str
    lines: list[ParsedLine] = field(default_factory=list)
    rows: list[GridRow] = field(default_factory=list)
    opening: Decimal | None = None
    closing: Decimal | None = None


@dataclass
class _Reader:
    """Reads the data rows of one file the way one mapping says."""

    file: str
    found: Layout
    mapping: SheetMapping
    aux: Auxiliary
    default_currency: str
    groups: dict[tuple[str, str], _Group] = field(default_factory=dict)
    left_out: Counter[str] = field(default_factory=Counter)

    def read(self) -> tuple[ParsedStatement, ...]:
        """Every statement of the file, in the order its accounts and currencies appear."""
        for row in self.found.data:
            self._row(row)
        return tuple(self._statement(group) for group in self.groups.values())

    # ------------------------------------------------------------------------------ cells

    def _cell(self, row: GridRow, column: int | None) -> Cell:
        if column is None or column >= len(row.cells):
            return ""
        return row.cells[column]

    def _text(self, row: GridRow, column: int | None) -> str:
        return " ".join(plain_text(self._cell(row, column)).split())

    def _error(self, row: GridRow, column: int, expected: str) -> StatementFileError:
        got = cell_text(self._cell(row, column))
        shown = repr(got if len(got) <= 60 else got[:57] + "...") if got else "an empty cell"
        return StatementFileError(
            f"{self.file}, row {row.line}, column {self.found.title(column)}: "
            f"expected {expected}, got {shown}"
        )

    def _date(self, row: GridRow, column: int) -> date:
        try:
            return read_date(self._cell(row, column), self.mapping.date_format)
        except ValueError:
            example = date_example(self.mapping.date_format)
            raise self._error(row, column, f"a date like {example}") from None

    def _amount_in(self, row: GridRow, column: int) -> Decimal:
        mapping = self.mapping
        try:
            return read_amount(
                self._cell(row, column), mapping.decimal_separator, mapping.thousands_separator
            )
        except ValueError:
            example = amount_example(mapping.decimal_separator, mapping.thousands_separator)
            raise self._error(row, column, f"an amount like {example}") from None

    def _optional_amount(self, row: GridRow, column: int) -> Decimal:
        return self._amount_in(row, column) if self._text(row, column) else Decimal(0)

    def _sign(self, row: GridRow, column: int) -> int:
        sign = direction_sign(self._cell(row, column))
        if not sign:
            raise self._error(row, column, "a credit or debit mark such as C/D, Bij/Af or K/D")
        return sign

    # ------------------------------------------------------------------------------- rows

    def _amount(self, row: GridRow) -> Decimal:
        mapping = self.mapping
        if mapping.amount_column is not None:
            value = self._amount_in(row, mapping.amount_column)
            if mapping.direction_column is None:
                return value
            return abs(value) * self._sign(row, mapping.direction_column)
        credit = self._optional_amount(row, cast(int, mapping.credit_column))
        debit = self._optional_amount(row, cast(int, mapping.debit_column))
        return abs(credit) - abs(debit)

    def _money_columns(self) -> tuple[int, ...]:
        mapping = self.mapping
        columns = (mapping.amount_column, mapping.credit_column, mapping.debit_column)
        return tuple(column for column in columns if column is not None)

    def _currency(self, row: GridRow) -> str:
        column = self.mapping.currency_column
        text = self._text(row, column)
        if column is not None and text:
            code = currency_in(text)
            if not code:
                raise self._error(row, column, "a currency code such as EUR")
            return code
        return self.mapping.currency or self.default_currency.upper()

    def _account(self, row: GridRow) -> str:
        if self.aux.account is None:
            return self.aux.preamble_account
        cell = self._cell(row, self.aux.account)
        return iban_in(cell) or self._text(row, self.aux.account)

    def _group(self, row: GridRow) -> _Group:
        key = (self._account(row), self._currency(row))
        if key not in self.groups:
            self.groups[key] = _Group(*key)
        return self.groups[key]

    def _not_booked(self, row: GridRow) -> bool:
        state = header_key(self._text(row, self.aux.status)) if self.aux.status is not None else ""
        if state in SKIPPED_STATES:
            self.left_out[state] += 1
            return True
        return False

    def _is_summary(self, row: GridRow) -> bool:
        mapping = self.mapping
        columns = (mapping.payer_column, mapping.reference_column, *mapping.text_columns)
        return any(header_key(self._text(row, c)) in SUMMARY_WORDS for c in columns)

    def _balance_record(self, row: GridRow, record: str) -> None:
        if record not in (OPENING_RECORD, CLOSING_RECORD) or not self._money_columns():
            return
        group = self._group(row)
        value = self._amount(row)
        if record == OPENING_RECORD:
            group.opening = value
        else:
            group.closing = value

    def _row(self, row: GridRow) -> None:
        if self.aux.record_type is not None:
            record = self._text(row, self.aux.record_type)
            if record != TRANSACTION_RECORD:
                self._balance_record(row, record)
                return
        if self._not_booked(row) or self._is_summary(row):
            return
        date_column = self.mapping.date_column
        if not self._text(row, date_column) and not any(
            self._text(row, column) for column in self._money_columns()
        ):
            return  # a note without a date or money, such as a wrapped line or a sub-heading
        group = self._group(row)
        group.lines.append(self._line(row, group.currency))
        group.rows.append(row)

    def _line(self, row: GridRow, currency: str) -> ParsedLine:
        mapping = self.mapping
        value_column = mapping.value_date_column
        texts = (self._text(row, c) for c in (mapping.reference_column, *mapping.text_columns))
        return ParsedLine(
            booking_date=self._date(row, mapping.date_column),
            amount=self._amount(row),
            currency=currency,
            bank_ref=self._text(row, self.aux.bank_ref) if self.aux.bank_ref is not None else "",
            value_date=(
                self._date(row, value_column)
                if value_column is not None and self._text(row, value_column)
                else None
            ),
            payer_name=self._text(row, mapping.payer_column),
            payer_iban=iban_in(self._cell(row, mapping.iban_column)),
            remittance=" ".join(text for text in texts if text),
            source_line=row.line,
        )

    # ------------------------------------------------------------------------- statements

    def _running_balances(self, group: _Group) -> tuple[Decimal | None, Decimal | None]:
        amounts = [line.amount for line in group.lines]
        mapping = self.mapping
        for column in self.aux.balances:
            try:
                balances = [
                    read_amount(
                        self._cell(row, column),
                        mapping.decimal_separator,
                        mapping.thousands_separator,
                    )
                    for row in group.rows
                ]
            except ValueError:
                continue
            orientation = balance_orientation(amounts, balances)
            if orientation:
                return opening_closing(orientation, amounts, balances)
        return None, None

    def _statement(self, group: _Group) -> ParsedStatement:
        opening, closing = group.opening, group.closing
        if opening is None and closing is None:
            opening, closing = self._running_balances(group)
        return ParsedStatement(
            account=group.account,
            currency=group.currency,
            lines=tuple(group.lines),
            opening_balance=opening,
            closing_balance=closing,
        )

    def warnings(self) -> tuple[str, ...]:
        """What reading left out, in words."""
        if not self.left_out:
            return ()
        count = sum(self.left_out.values())
        states = ", ".join(sorted(self.left_out))
        return (f"{self.file}: left out {count} rows that are not booked yet ({states})",)


# --------------------------------------------------------------------------------------------
# Public functions


def _check_kind(file: str, kind: str) -> None:
    if kind not in KINDS:
        raise StatementFileError(f"{file}: expected a CSV or XLSX file, got kind {kind!r}")


def _guess(file: str, detection: Detection) -> SheetGuess:
    found = detection.layout
    headers = tuple(found.title(column) for column in range(len(found.titles)))
    preview = tuple(
        tuple(cell_text(row.cells[c]) if c < len(row.cells) else "" for c in range(len(headers)))
        for row in found.data[:PREVIEW_ROWS]
    )
    doubts = detection.doubts or ((detection.hopeless,) if detection.hopeless else ())
    sure = detection.mapping is not None and not doubts
    return SheetGuess(file, detection.mapping, sure, headers, preview, doubts)


def guess_sheet_mapping(file: str, data: bytes, *, kind: str) -> SheetGuess:
    """Recognise the columns of a CSV/XLSX export, for the mapping dialog.

    Args:
        file: the file's base name, for messages.
        data: the file's bytes.
        kind: ``"csv"`` or ``"xlsx"``.

    Returns:
        The best mapping detection found (None when it found no date column), whether it is
        sure, the column titles, the first data rows as text and what it doubted, in words.

    Raises:
        StatementFileError: the file is not readable as text or as a workbook at all.
    """
    _check_kind(file, kind)
    grid = read_grid(file, data, kind)
    return _guess(file, detect(file, grid))


def _validate(file: str, mapping: SheetMapping) -> None:
    pair = mapping.credit_column is not None and mapping.debit_column is not None
    if mapping.amount_column is None and not pair:
        raise StatementFileError(
            f"{file}: the mapping names no amount; expected an amount column, or a debit and "
            f"a credit column"
        )


def read_sheet(
    file: str,
    data: bytes,
    *,
    kind: str,
    default_currency: str,
    mapping: SheetMapping | None = None,
) -> ParsedFile:
    """Read a CSV/XLSX bank export into statements, one per account and currency.

    Args:
        file: the file's base name, for messages.
        data: the file's bytes.
        kind: ``"csv"`` or ``"xlsx"``.
        default_currency: the currency of lines whose file names none.
        mapping: how to read the columns; detected when None.

    Returns:
        The statements in the order their accounts and currencies first appear.

    Raises:
        MappingNeededError: no mapping was given and detection is not sure of the columns.
        StatementFileError: the file cannot be read, or a row holds a bad date or amount
            (nothing of the file is returned).
    """
    _check_kind(file, kind)
    notes: tuple[str, ...] = ()
    if mapping is None:
        grid = read_grid(file, data, kind)
        detection = detect(file, grid)
        if not detection.layout.data and detection.layout.header_words:
            return ParsedFile(kind, (), (f"{file} holds no transactions",))
        if detection.hopeless:
            raise StatementFileError(detection.hopeless)
        guess = _guess(file, detection)
        if guess.mapping is None or not guess.sure:
            doubts = "; ".join(guess.doubts)
            raise MappingNeededError(
                f"{file}: the columns could not be recognised with certainty ({doubts}); "
                f"choose them in a mapping",
                guess,
            )
        mapping, found = guess.mapping, detection.layout
        notes = _notes(file, found, mapping)
    else:
        encoding, delimiter = mapping.encoding, mapping.delimiter
        grid = read_grid(file, data, kind, encoding=encoding, delimiter=delimiter)
        found = layout(grid, mapping.header_row)
    _validate(file, mapping)
    reader = _Reader(file, found, mapping, auxiliary(grid, found, mapping), default_currency)
    statements = reader.read()
    return ParsedFile(kind, statements, notes + reader.warnings())


def _notes(file: str, found: Layout, mapping: SheetMapping) -> tuple[str, ...]:
    if found.has_header:
        return ()
    amount = mapping.amount_column
    money = found.title(amount) if amount is not None else "the debit and credit columns"
    return (
        f"{file} has no header row: the dates were read from {found.title(mapping.date_column)} "
        f"and the amounts from {money}",
    )
