"""What every statement parser returns: plain, frozen values with amounts as the file gives them.

Amounts stay ``Decimal`` here (the edge): a file may carry more places than the currency's minor
unit (an OFX savings account with four), and the totals a user checks against the bank must add
up exactly. They become integer minor units only when a line is stored in the ledger.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal

#: The formats a file can be, as ``duebook import statement --json`` names them.
FORMATS = ("camt053", "camt054", "ofx", "mt940", "csv", "xlsx")


class StatementFileError(ValueError):
    """A file that cannot be read as a statement; nothing of it was written.

    The message is one line naming the file, the line, row or XML element, and what was
    expected, e.g. ``march.sta, line 14: expected a :61: amount such as 'C1234,56', got 'X12'``.
    """


@dataclass(frozen=True)
class ParsedLine:
    """One booked transaction; ``amount`` is signed, credits (money in) positive.

    ``bank_ref`` is the bank's own reference for the line (CAMT ``AcctSvcrRef``, OFX ``FITID``,
    MT940 bank reference after ``//``) or empty when the file has none. ``remittance`` is all the
    free text the payer or the bank wrote, in file order and joined with single spaces (CAMT
    ``Ustrd`` and ``AddtlNtryInf``/``AddtlTxInf``, OFX ``NAME``/``MEMO``, MT940 ``:86:`` with
    the 27-character subfields joined without a space so a reference that straddles two of them
    is whole again). ``structured_refs`` are creditor references the file marks as such (CAMT
    ``CdtrRefInf/Ref``, MT940 ``?20``-``?29`` ``EREF+``/``SVWZ+`` prefixed ones), verbatim.
    ``source_line`` is the 1-based line (text files) or row (sheets) where the transaction starts,
    or 0 when not known, for messages. ``details`` holds the transactions of a batch entry (a CAMT
    ``Ntry`` with several ``TxDtls``), each with its own amount, payer and references, so they can
    be matched one by one; it is empty for a single transaction. The batch line itself still
    carries all their text and references together.
    """

    booking_date: date
    amount: Decimal
    currency: str
    bank_ref: str = ""
    value_date: date | None = None
    payer_name: str = ""
    payer_iban: str = ""
    remittance: str = ""
    structured_refs: tuple[str, ...] = ()
    end_to_end_id: str = ""
    bank_code: str = ""
    source_line: int = 0
    details: tuple[ParsedLine, ...] = ()


@dataclass(frozen=True)
class ParsedStatement:
    """One statement (or notification) of one account in one currency.

    ``account`` is the IBAN when the file gives one (upper case, no spaces), else the account
    number as written, else empty. Balances are ``None`` where the file gives none.
    """

    account: str
    currency: str
    lines: tuple[ParsedLine, ...]
    statement_id: str = ""
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None


@dataclass(frozen=True)
class ParsedFile:
    """A whole file: its format, its statements, and warnings worth showing (never fatal)."""

    format: str
    statements: tuple[ParsedStatement, ...]
    warnings: tuple[str, ...] = ()

    @property
    def lines(self) -> list[ParsedLine]:
        """Every line of every statement, in file order."""
        return [line for statement in self.statements for line in statement.lines]


@dataclass(frozen=True)
class SheetMapping:
    """How the columns of a CSV/XLSX bank export are read; columns are 0-based indices.

    Exactly one way of giving the amount is set: ``amount_column`` (signed, or unsigned with
    ``direction_column`` whose cell says credit or debit, e.g. ``Bij``/``Af``, ``C``/``D``,
    ``Credit``/``Debit``), or ``credit_column`` and ``debit_column`` (money in and out in two
    columns, a debit taken as money out whatever its sign). ``date_format`` is a ``strptime``
    pattern such as ``%d.%m.%Y``. ``header_row`` is the 0-based row index of the header, or -1
    when the file has none (data starts at ``header_row + 1``).
    """

    date_column: int
    date_format: str
    header_row: int = 0
    delimiter: str = ","
    encoding: str = "utf-8"
    decimal_separator: str = "."
    thousands_separator: str = ""
    amount_column: int | None = None
    direction_column: int | None = None
    credit_column: int | None = None
    debit_column: int | None = None
    value_date_column: int | None = None
    currency_column: int | None = None
    payer_column: int | None = None
    iban_column: int | None = None
    reference_column: int | None = None
    text_columns: tuple[int, ...] = ()
    currency: str = ""

    def to_json(self) -> str:
        """The mapping as JSON text, for saving with a bank account."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SheetMapping:
        """A mapping saved by :meth:`to_json`."""
        values = json.loads(text)
        values["text_columns"] = tuple(values.get("text_columns", ()))
        return cls(**values)


@dataclass(frozen=True)
class SheetGuess:
    """What detection made of a CSV/XLSX export, for the mapping dialog.

    ``sure`` is False when a person should confirm the mapping (no recognised header, a date
    order that the rows leave open, no amount column found). ``preview`` holds the first rows as
    text, ``headers`` the header cells (or ``Column 1``... when there is no header row), and
    ``doubts`` says in words what detection was unsure of.
    """

    file: str
    mapping: SheetMapping | None
    sure: bool
    headers: tuple[str, ...]
    preview: tuple[tuple[str, ...], ...]
    doubts: tuple[str, ...] = field(default=())


class MappingNeededError(StatementFileError):
    """A CSV/XLSX export whose columns detection could not read with certainty.

    The window answers with the mapping dialog; the command line asks for ``--mapping NAME``.
    """

    def __init__(self, message: str, guess: SheetGuess) -> None:
        super().__init__(message)
        self.guess = guess
