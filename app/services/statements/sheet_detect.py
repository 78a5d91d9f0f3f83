"""Recognising the columns of a CSV/XLSX bank export: by its header words, else by its values.

Detection looks at the first rows of the file. The header is the first row whose cells name a
date column and an amount (or debit/credit) column in one of the languages of
:mod:`~app.services.statements.sheet_terms`; every role is then given to the column whose title
matches it best *and* whose values fit it (dates for a date, amounts for an amount, three-letter
codes for a currency...). A file without such a row is read by its values: dates, amounts
(a running balance told apart from the amount because it adds up), IBANs and text.

Day and month are told apart by any day above 12 in any date column of the file; when every
date leaves that open, a date written with dots, a header in a language other than English or
amounts with a decimal comma mean day first (as every bank writing those does); otherwise
detection is not sure and says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from app.services.statements.parsed import SheetMapping
from app.services.statements.sheet_grid import Grid, GridRow
from app.services.statements.sheet_terms import (
    ENGLISH,
    RECORD_TYPES,
    ROLES,
    SKIPPED_STATES,
    TERMS,
    TRANSACTION_RECORD,
)
from app.services.statements.sheet_values import (
    Cell,
    cell_text,
    currency_in,
    date_format,
    date_shape,
    decimal_hint,
    direction_sign,
    header_key,
    iban_in,
    read_amount,
    split_amount,
    thousands_hint,
)

#: Rows looked at to find the header, and data rows looked at to recognise the columns.
HEADER_ROWS = 40
SAMPLE_ROWS = 300
PREVIEW_ROWS = 20
#: Share of a column's filled cells that must fit a role.
_FIT = 0.9
_MONEY = ("amount", "credit", "debit")
_KNOWN_STATES = SKIPPED_STATES | {
    "completed", "complete", "booked", "posted", "settled", "gebucht", "contabilizzato",
    "autorizzato", "comptabilise", "geboekt", "realizado",
}  # fmt: skip
_AUX = ("account", "bank_ref", "status", "balance")


@dataclass
class Profile:
    """What the sampled cells of one column look like (``rows``: how many rows were sampled)."""

    rows: int = 0
    filled: int = 0
    shapes: Counter[str] = field(default_factory=Counter)
    day_over_12: bool = False
    month_over_12: bool = False
    amounts: int = 0
    fractions: int = 0
    negatives: int = 0
    hints: Counter[str] = field(default_factory=Counter)
    thousands: Counter[str] = field(default_factory=Counter)
    marks: Counter[str] = field(default_factory=Counter)
    codes: int = 0
    directions: int = 0
    ibans: int = 0
    worded: int = 0
    length: int = 0
    distinct: set[str] = field(default_factory=set)

    def add(self, cell: Cell) -> None:
        """Count one non-empty cell."""
        self.filled += 1
        text = cell_text(cell)
        self.distinct.add(text)
        self.length += len(text)
        self._add_date(cell)
        self._add_amount(cell)
        self.codes += bool(currency_in(cell))
        self.directions += bool(direction_sign(cell))
        self.ibans += bool(iban_in(cell))
        self.worded += any(ch.isalpha() for ch in text)

    def _add_date(self, cell: Cell) -> None:
        shape = date_shape(cell)
        if shape is None:
            return
        self.shapes[shape.key] += 1
        self.day_over_12 |= shape.first > 12
        self.month_over_12 |= shape.second > 12

    def _add_amount(self, cell: Cell) -> None:
        if isinstance(cell, Decimal):
            self.amounts += 1
            self.fractions += cell != cell.to_integral_value()
            self.negatives += cell < 0
            return
        parts = split_amount(cell) if isinstance(cell, str) else None
        if parts is None:
            return
        self.amounts += 1
        self.negatives += parts.sign < 0
        hint = decimal_hint(parts.core)
        self.hints[hint] += 1
        self.fractions += hint in (".", ",")
        self.thousands[thousands_hint(parts.core)] += 1
        if parts.currency:
            self.marks[parts.currency] += 1

    def fits(self, count: int, *, allow_empty: bool = False) -> bool:
        """Whether ``count`` of the filled cells is enough to fit a role."""
        if not self.filled:
            return allow_empty
        return count >= _FIT * self.filled

    @property
    def date_key(self) -> str:
        """The layout most of the column's text dates share, or ``""``; date cells fit any."""
        cells = self.shapes["cell"]
        written = [(key, count) for key, count in self.shapes.most_common() if key != "cell"]
        key, count = written[0] if written else ("cell", 0)
        return key if self.fits(cells + count) else ""

    @property
    def average_length(self) -> float:
        """The average length of the filled cells."""
        return self.length / self.filled if self.filled else 0.0


@dataclass(frozen=True)
class Layout:
    """Where the header and the data are, the column titles, and each column's profile."""

    header_row: int
    titles: tuple[str, ...]
    data: tuple[GridRow, ...]
    profiles: tuple[Profile, ...]
    header_words: frozenset[str] = frozenset()

    @property
    def has_header(self) -> bool:
        """Whether the file has a header row."""
        return self.header_row >= 0

    def title(self, column: int) -> str:
        """A column's title for messages: its header cell, else ``Column N``."""
        title = self.titles[column] if column < len(self.titles) else ""
        return title or f"Column {column + 1}"


@dataclass(frozen=True)
class Detection:
    """A best-effort mapping, whether it can be trusted, and what was doubtful."""

    layout: Layout
    mapping: SheetMapping | None
    doubts: tuple[str, ...]
    hopeless: str = ""


@dataclass(frozen=True)
class Auxiliary:
    """Columns that the mapping does not name but that reading uses when the file has them."""

    account: int | None = None
    bank_ref: int | None = None
    status: int | None = None
    record_type: int | None = None
    balances: tuple[int, ...] = ()
    preamble_account: str = ""


# --------------------------------------------------------------------------------------------
# Layout: header row, titles, profiles


def term_level(key: str, term: str) -> int:
    """How well a header key matches a term: 3 exactly, 2 as whole words, 1 as a prefix."""
    if key == term:
        return 3
    if f" {term} " in f" {key} ":
        return 2
    return 1 if len(term) >= 5 and key.startswith(term) else 0


def _roles_named(cells: Sequence[Cell]) -> set[str]:
    named: set[str] = set()
    for cell in cells:
        key = header_key(cell) if isinstance(cell, str) else ""
        if key and date_shape(cell) is None:
            named.update(
                role for role in ROLES if any(term_level(key, t) >= 2 for t in TERMS[role])
            )
    return named


def find_header(rows: Sequence[GridRow]) -> int:
    """The index of the row that names a date and an amount column the most, or -1."""
    best, best_score = -1, 0
    for index, row in enumerate(rows[:HEADER_ROWS]):
        named = _roles_named(row.cells)
        if named & {"date", "value_date"} and named & set(_MONEY) and len(named) > best_score:
            best, best_score = index, len(named)
    return best


def _data_rows(rows: Sequence[GridRow], header_row: int) -> tuple[GridRow, ...]:
    below = rows[header_row + 1 :]
    return tuple(row for row in below if any(cell_text(c) for c in row.cells))


def _first_filled(rows: Sequence[GridRow]) -> int:
    return next((i for i, row in enumerate(rows) if any(cell_text(c) for c in row.cells)), -1)


def _unnamed_header(rows: Sequence[GridRow]) -> int:
    """Without a recognised header: -1 when the first row holds a date, else that row."""
    first = _first_filled(rows)
    if first < 0 or any(date_shape(cell) for cell in rows[first].cells):
        return -1
    return first


def _aligned_titles(header: Sequence[Cell], data: Sequence[GridRow], delimiter: str) -> list[str]:
    """The header titles for the data columns.

    A quoted field that holds the values of several header columns (Danske: address, city and
    country in one) makes the rows narrower than the header; the columns to its right are then
    shifted left by the number of delimiters inside it.
    """
    titles = [cell_text(cell) for cell in header]
    widths = Counter(len(row.cells) for row in data)
    width = widths.most_common(1)[0][0] if widths else len(titles)
    gap = len(titles) - width
    if gap <= 0 or not delimiter:
        return titles
    rows = [row.cells for row in data if len(row.cells) == width]
    for merged in range(width):
        joined = sum(cell_text(cells[merged]).count(delimiter) == gap for cells in rows)
        if rows and joined >= _FIT * len(rows):
            name = " / ".join(t for t in titles[merged : merged + gap + 1] if t)
            return [*titles[:merged], name, *titles[merged + gap + 1 :]]
    return titles


def profile(data: Sequence[GridRow], width: int) -> tuple[Profile, ...]:
    """The profile of each column over the sampled rows."""
    sample = data[:SAMPLE_ROWS]
    profiles = tuple(Profile(rows=len(sample)) for _ in range(width))
    for row in sample:
        for column, cell in enumerate(row.cells[:width]):
            if cell_text(cell):
                profiles[column].add(cell)
    return profiles


def layout(grid: Grid, header_row: int | None = None) -> Layout:
    """The file's layout; the header row is found when not given."""
    rows = grid.rows
    named = header_row is not None or find_header(rows) >= 0
    if header_row is None:
        header_row = find_header(rows)
        if header_row < 0:
            header_row = _unnamed_header(rows)
    data = _data_rows(rows, header_row)
    header = rows[header_row].cells if 0 <= header_row < len(rows) else ()
    titles = _aligned_titles(header, data[:SAMPLE_ROWS], grid.delimiter)
    width = max([len(titles), *(len(row.cells) for row in data[:SAMPLE_ROWS])])
    titles += [""] * (width - len(titles))
    words = frozenset(header_key(t) for t in titles if t) if named else frozenset()
    return Layout(header_row, tuple(titles), data, profile(data, width), words)


# --------------------------------------------------------------------------------------------
# Roles from the header


def _dated(column: Profile) -> bool:
    return bool(column.date_key)


def _money(column: Profile) -> bool:
    return column.filled > 0 and column.fits(column.amounts)


def _optional_money(column: Profile) -> bool:
    return column.fits(column.amounts, allow_empty=True)


def _marks(column: Profile) -> bool:
    return column.filled > 0 and column.fits(column.directions)


def _codes(column: Profile) -> bool:
    return column.filled > 0 and column.fits(column.codes)


def _unique(column: Profile) -> bool:
    """Filled in most rows, and (almost) never the same twice: a bank's transaction id."""
    return column.filled * 2 >= column.rows and len(column.distinct) >= _FIT * column.filled


#: What a column's values must look like to take a role; text roles take any column.
_FITS: dict[str, Callable[[Profile], bool]] = {
    "date": _dated,
    "value_date": _dated,
    "amount": _money,
    "balance": _money,
    "credit": _optional_money,
    "debit": _optional_money,
    "direction": _marks,
    "currency": _codes,
    "bank_ref": _unique,
}


def _fits(role: str, column: Profile) -> bool:
    check = _FITS.get(role)
    return check is None or check(column)


def header_roles(found: Layout) -> dict[str, int]:
    """Each role the header names, given to the best-matching column whose values fit it."""
    candidates: list[tuple[int, int, int, str]] = []
    for column, title in enumerate(found.titles):
        key = header_key(title)
        for priority, role in enumerate(ROLES):
            for rank, term in enumerate(TERMS[role]):
                level = term_level(key, term)
                if level and _fits(role, found.profiles[column]):
                    candidates.append((-(level * 100 - rank), priority, column, role))
    candidates.sort()
    roles: dict[str, int] = {}
    taken: set[int] = set()
    for _score, _priority, column, role in candidates:
        if role == "text" and column not in taken:
            roles[f"text{column}"] = column
            taken.add(column)
        elif role not in roles and column not in taken:
            roles[role] = column
            taken.add(column)
    return roles


# --------------------------------------------------------------------------------------------
# Roles from the values


def _amounts_of(found: Layout, column: int, seps: tuple[str, str]) -> list[Decimal | None]:
    values: list[Decimal | None] = []
    for row in found.data[:SAMPLE_ROWS]:
        cell = row.cells[column] if column < len(row.cells) else ""
        try:
            values.append(read_amount(cell, *seps))
        except ValueError:
            values.append(None)
    return values


def balance_orientation(amounts: Sequence[Decimal], balances: Sequence[Decimal]) -> str:
    """How a balance column runs beside the amounts, or ``""`` when it does not add up.

    ``after``/``before``: the balance after or before each line, the lines oldest first;
    ``after-newest``/``before-newest``: the same with the newest line first.
    """
    pairs = range(1, len(amounts))
    if len(amounts) < 2 or len(balances) != len(amounts):
        return ""
    checks = {
        "after": all(balances[i] - balances[i - 1] == amounts[i] for i in pairs),
        "after-newest": all(balances[i - 1] - balances[i] == amounts[i - 1] for i in pairs),
        "before": all(balances[i] - balances[i - 1] == amounts[i - 1] for i in pairs),
        "before-newest": all(balances[i - 1] - balances[i] == amounts[i] for i in pairs),
    }
    return next((name for name, holds in checks.items() if holds), "")


def opening_closing(
    orientation: str, amounts: Sequence[Decimal], balances: Sequence[Decimal]
) -> tuple[Decimal, Decimal]:
    """The opening and closing balance a running balance column gives."""
    first, last = (-1, 0) if orientation.endswith("newest") else (0, -1)
    if orientation.startswith("after"):
        return balances[first] - amounts[first], balances[last]
    return balances[first], balances[last] + amounts[last]


def _is_balance_of(found: Layout, amount: int, other: int, seps: tuple[str, str]) -> bool:
    pairs = [
        (a, b)
        for a, b in zip(
            _amounts_of(found, amount, seps), _amounts_of(found, other, seps), strict=True
        )
        if a is not None and b is not None
    ]
    return bool(balance_orientation([a for a, _ in pairs], [b for _, b in pairs]))


def _text_columns(found: Layout, taken: set[int]) -> list[int]:
    rows = len(found.data[:SAMPLE_ROWS])
    return [
        column
        for column, p in enumerate(found.profiles)
        if column not in taken
        and p.filled * 2 >= rows
        and p.worded * 2 >= p.filled
        and not p.date_key
        and not p.fits(p.codes + p.directions + p.ibans)
    ]


def value_roles(found: Layout, seps: tuple[str, str], doubts: list[str]) -> dict[str, int]:
    """Roles recognised from the values alone (a file without a header row)."""
    roles: dict[str, int] = {}
    profiles = found.profiles
    dates = [c for c, p in enumerate(profiles) if p.date_key]
    if dates:
        roles["date"] = dates[0]
    money = [
        c
        for c, p in enumerate(profiles)
        if c not in dates and p.filled and p.fits(p.amounts) and p.fits(p.fractions + p.negatives)
    ]
    balances = {b for a in money for b in money if a != b and _is_balance_of(found, a, b, seps)}
    remaining = [c for c in money if c not in balances]
    directions = [c for c, p in enumerate(profiles) if p.filled and p.fits(p.directions)]
    signed = [c for c in remaining if profiles[c].negatives]
    if len(signed) == 1 or (len(remaining) == 1 and (signed or directions)):
        roles["amount"] = remaining[0] if len(remaining) == 1 else signed[0]
    elif remaining:
        roles["amount"] = (signed or remaining)[0]
        titles = ", ".join(found.title(c) for c in remaining)
        doubts.append(f"several columns hold amounts ({titles}); took the first")
    if directions and "amount" in roles and not profiles[roles["amount"]].negatives:
        roles["direction"] = directions[0]
    _value_currency(found, roles)
    _value_texts(found, roles)
    return roles


def _value_currency(found: Layout, roles: dict[str, int]) -> None:
    codes = [c for c, p in enumerate(found.profiles) if p.filled and p.fits(p.codes)]
    if codes:
        anchor = roles.get("amount", 0)
        roles["currency"] = min(codes, key=lambda c: (abs(c - anchor), -c))


def _value_texts(found: Layout, roles: dict[str, int]) -> None:
    ibans = [c for c, p in enumerate(found.profiles) if p.filled and p.fits(p.ibans)]
    for column in ibans:
        if len(found.profiles[column].distinct) == 1 and "account" not in roles:
            roles["account"] = column
        elif "iban" not in roles:
            roles["iban"] = column
    texts = _text_columns(found, set(roles.values()))
    after = [c for c in texts if c > roles.get("iban", -1)]
    names = [c for c in after or texts if found.profiles[c].average_length <= 40]
    if names:
        roles["payer"] = names[0]
    rest = [c for c in texts if c != roles.get("payer")]
    if rest:
        roles["reference"] = max(rest, key=lambda c: found.profiles[c].average_length)


# --------------------------------------------------------------------------------------------
# Separators and date order


def separators(
    found: Layout, columns: Sequence[int], delimiter: str, doubts: list[str]
) -> tuple[str, str]:
    """The decimal and thousands separators the money columns show."""
    hints: Counter[str] = Counter()
    thousands: Counter[str] = Counter()
    for column in columns:
        hints.update(found.profiles[column].hints)
        thousands.update(found.profiles[column].thousands)
    dots, commas = hints["."], hints[","]
    if dots and commas:
        doubts.append("amounts are written both with a decimal point and a decimal comma")
    if dots or commas:
        decimal = "." if dots >= commas else ","
    else:
        decimal = "," if delimiter == ";" else "."
        if hints["?"]:
            doubts.append(f"amounts such as 1{decimal}000 could be thousands or decimals")
    shown = [sep for sep, _ in thousands.most_common() if sep and sep != decimal]
    return decimal, shown[0] if shown else ("." if decimal == "," else ",")


def _english_only(found: Layout) -> bool:
    matched = {
        term
        for key in found.header_words
        for role in ROLES
        for term in TERMS[role]
        if term_level(key, term) >= 2
    }
    return matched <= ENGLISH


def day_first(found: Layout, columns: Sequence[int], decimal: str, doubts: list[str]) -> bool:
    """Whether the ambiguous dates are day first; doubts say when the file leaves it open."""
    profiles = [found.profiles[c] for c in columns]
    keys = {p.date_key for p in profiles if p.date_key.startswith("dmy")}
    if not keys:
        return True
    days = any(p.day_over_12 for p in profiles)
    months = any(p.month_over_12 for p in profiles)
    if days != months:
        return days
    if days:
        doubts.append("some dates have the day first and others the month first")
        return True
    if any(key[3] == "." for key in keys) or decimal == ",":
        return True
    if found.header_words and not _english_only(found):
        return True
    column = found.title(columns[0])
    doubts.append(
        f"every date in {column} could be day/month or month/day (no day is above 12); "
        f"took day first"
    )
    return True


# --------------------------------------------------------------------------------------------
# Auxiliary columns and the whole guess


def _record_type_column(found: Layout, used: set[int]) -> int | None:
    for column, p in enumerate(found.profiles):
        codes = p.distinct
        if column not in used and TRANSACTION_RECORD in codes and 1 < len(codes) <= 4:
            return column if codes <= RECORD_TYPES else None
    return None


def _status_column(found: Layout, roles: dict[str, int], used: set[int]) -> int | None:
    if roles.get("status") is not None and roles["status"] not in used:
        return roles["status"]
    for column, p in enumerate(found.profiles):
        states = {header_key(value) for value in p.distinct}
        if column not in used and p.filled and states <= _KNOWN_STATES:
            return column
    return None


def _preamble_account(grid: Grid, header_row: int) -> str:
    found = {iban_in(cell) for row in grid.rows[: max(header_row, 0)] for cell in row.cells}
    found.discard("")
    return found.pop() if len(found) == 1 else ""


def auxiliary(grid: Grid, found: Layout, mapping: SheetMapping) -> Auxiliary:
    """The account, bank reference, status, record type and balance columns the file has."""
    used = {
        column
        for column in (
            mapping.date_column, mapping.value_date_column, mapping.amount_column,
            mapping.direction_column, mapping.credit_column, mapping.debit_column,
            mapping.currency_column, mapping.payer_column, mapping.iban_column,
            mapping.reference_column, *mapping.text_columns,
        )
        if column is not None
    }  # fmt: skip
    roles = header_roles(found) if found.header_words else {}
    if not found.header_words:
        _value_texts(found, roles)
    free = {role: column for role, column in roles.items() if column not in used}
    record_type = _record_type_column(found, used)
    money = [
        c
        for c, p in enumerate(found.profiles)
        if c not in used and c != record_type and p.filled and p.fits(p.amounts)
    ]
    named = free.get("balance")
    balances = ([named] if named is not None else []) + [c for c in money if c != named]
    return Auxiliary(
        account=free.get("account"),
        bank_ref=free.get("bank_ref"),
        status=_status_column(found, free, used),
        record_type=record_type,
        balances=tuple(balances),
        preamble_account=_preamble_account(grid, found.header_row),
    )


def _header_currency(found: Layout, roles: dict[str, int]) -> str:
    """The currency an amount header names (``Bedrag (EUR)``) or every amount is marked with."""
    for role in _MONEY:
        if role in roles:
            for word in found.titles[roles[role]].replace("(", " ").replace(")", " ").split():
                if len(word) == 3 and currency_in(word) == word:
                    return word
    marks: Counter[str] = Counter()
    for role in (*_MONEY, "balance"):
        if role in roles:
            marks.update(found.profiles[roles[role]].marks)
    codes = [mark for mark in marks if len(mark) == 3]
    return codes[0] if len(codes) == 1 else ""


def _money_roles(roles: dict[str, int], doubts: list[str]) -> None:
    """Keep one way of giving the amount: one column, or a debit and a credit column."""
    if "amount" in roles:
        roles.pop("credit", None)
        roles.pop("debit", None)
    elif "credit" in roles and "debit" in roles:
        roles.pop("direction", None)
    else:
        missing = "a debit column" if "credit" in roles else "a credit column"
        if "credit" in roles or "debit" in roles:
            doubts.append(f"found only one of the debit and credit columns; {missing} is missing")
        else:
            doubts.append("no column is titled as an amount (Amount, Betrag, Montant, Debit...)")


def _closest_currency(found: Layout, roles: dict[str, int]) -> None:
    """Of two currency columns, the one beside the amount (ING's second ``Währung``)."""
    amount, currency = roles.get("amount"), roles.get("currency")
    if amount is None or currency is None or currency == amount + 1:
        return
    beside = amount + 1
    if beside < len(found.titles) and _fits("currency", found.profiles[beside]):
        key = header_key(found.titles[beside])
        if any(term_level(key, term) >= 2 for term in TERMS["currency"]):
            roles["currency"] = beside


def _best_effort_amount(found: Layout, roles: dict[str, int], seps: tuple[str, str]) -> None:
    """For the mapping dialog: the column whose values look most like amounts, if free."""
    amount = value_roles(found, seps, []).get("amount")
    if amount is not None and amount not in roles.values():
        roles["amount"] = amount


def _roles(grid: Grid, found: Layout, doubts: list[str]) -> tuple[dict[str, int], tuple[str, str]]:
    if found.header_words:
        roles = header_roles(found)
        _money_roles(roles, doubts)
        _closest_currency(found, roles)
        columns = [roles[r] for r in (*_MONEY, "balance") if r in roles]
        seps = separators(found, columns, grid.delimiter, doubts)
        if not set(_MONEY) & set(roles):
            _best_effort_amount(found, roles, seps)
        if "date" not in roles:
            doubts.append("no column is titled as a date (Date, Buchungstag, Datum...)")
        return roles, seps
    all_money = [c for c, p in enumerate(found.profiles) if p.filled and p.fits(p.amounts)]
    seps = separators(found, all_money, grid.delimiter, doubts)
    roles = value_roles(found, seps, doubts)
    if found.has_header:
        doubts.append(
            "the header row names no date and amount columns; the columns were recognised "
            "from their values"
        )
    return roles, seps


def _same_layout(found: Layout, roles: dict[str, int], role: str) -> int | None:
    """A second date column, when it writes dates as the booking date does (one format)."""
    column = roles.get(role)
    if column is None:
        return None
    same = found.profiles[column].date_key == found.profiles[roles["date"]].date_key
    return column if same else None


def _mapping(
    found: Layout, grid: Grid, roles: dict[str, int], seps: tuple[str, str], order: bool
) -> SheetMapping:
    date_key = found.profiles[roles["date"]].date_key
    direction = roles.get("direction") if "amount" in roles else None
    return SheetMapping(
        date_column=roles["date"],
        date_format=date_format(date_key, order),
        header_row=found.header_row,
        delimiter=grid.delimiter or ",",
        encoding=grid.encoding or "utf-8",
        decimal_separator=seps[0],
        thousands_separator=seps[1],
        amount_column=roles.get("amount"),
        direction_column=direction,
        credit_column=roles.get("credit"),
        debit_column=roles.get("debit"),
        value_date_column=_same_layout(found, roles, "value_date"),
        currency_column=roles.get("currency"),
        payer_column=roles.get("payer"),
        iban_column=roles.get("iban"),
        reference_column=roles.get("reference"),
        text_columns=tuple(column for role, column in roles.items() if role.startswith("text")),
        currency=_header_currency(found, roles),
    )


def detect(file: str, grid: Grid) -> Detection:
    """Recognise the columns of a file; ``hopeless`` is set when no mapping could read it."""
    found = layout(grid)
    if not found.data:
        return Detection(found, None, (), f"{file} holds no rows; expected a bank export")
    if not any(p.filled and p.fits(p.amounts) for p in found.profiles):
        return Detection(
            found,
            None,
            (),
            f"{file}: expected a column of amounts such as -12.50 or 1.234,56 (titled like "
            f"Amount, Betrag or Debit and Credit); none of its {len(found.titles)} columns "
            f"holds amounts",
        )
    doubts: list[str] = []
    roles, seps = _roles(grid, found, doubts)
    if "date" not in roles:
        dates = [c for c, p in enumerate(found.profiles) if p.date_key]
        if not dates:
            doubts.append("no column holds dates such as 31.12.2026 or 2026-12-31")
            return Detection(found, None, tuple(doubts))
        roles["date"] = dates[0]
    date_columns = [roles[r] for r in ("date", "value_date") if r in roles]
    if not found.header_words:
        date_columns = [c for c, p in enumerate(found.profiles) if p.date_key]
    order = day_first(found, date_columns, seps[0], doubts)
    return Detection(found, _mapping(found, grid, roles, seps, order), tuple(doubts))
