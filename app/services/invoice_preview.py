"""What the window works out before it changes anything, and the small reads beside its lists.

The window never imports ``app.models``: it reads typed amounts, previews an invoice's totals,
looks up an invoice's payments and credit notes, and suggests a customer id through these
functions. The value types it shows (``Money``, the invoice states) are re-exported here so that
views depend on services alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_time, get_date_format
from sqlalchemy import and_, select

from app.models.customer import CONTACT_ROLES, Customer
from app.models.db import LedgerError
from app.models.invoice import (
    DocumentState,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    compute_totals,
    line_net_minor,
)
from app.models.money import (
    Money,
    currency_exponent,
    is_currency_code,
    parse_amount,
    sum_by_currency,
    to_minor,
)
from app.models.payment import Allocation, AllocationKind, Payment
from app.services.dto import DraftLine
from app.services.invoicing import line_amounts
from app.services.money_format import format_date
from app.services.uow import UnitOfWork

__all__ = [
    "CONTACT_ROLES",
    "AmountError",
    "CreditNoteOfInvoice",
    "DocumentState",
    "InvoiceKind",
    "InvoicePayment",
    "InvoiceStatus",
    "LedgerError",
    "Money",
    "PreviewTotals",
    "TaxLine",
    "credit_limits",
    "credit_notes_of_invoice",
    "format_timestamp",
    "is_currency_code",
    "line_net",
    "medium_date_pattern",
    "next_customer_code",
    "payments_of_invoice",
    "preview_totals",
    "read_amount",
    "sum_by_currency",
    "to_money",
]

# --------------------------------------------------------------------------------------------
# Amounts as people type them


class AmountError(ValueError):
    """Typed text that is not an amount, or one that could be read two ways; says what to write."""


#: Blanks people type or paste inside numbers: space, no-break space, narrow no-break space.
_BLANKS = re.compile(r"[ \u00a0\u202f\u2009]")
_DIGITS = re.compile(r"[0-9]+")


def _grouped(digits: str, group_sep: str) -> str:
    """``"50000"`` as ``"50,000"``: digits in groups of three."""
    digits = digits.lstrip("0") or "0"
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return group_sep.join(groups)


def _could_group(text: str, sep: str) -> bool:
    """Whether ``sep`` in ``text`` could separate thousands (``1.234``, ``12.345.678``)."""
    return bool(re.fullmatch(rf"[+-]?[1-9][0-9]{{0,2}}(?:{re.escape(sep)}[0-9]{{3}})+", text))


def read_amount(
    text: str, decimal_sep: str = ".", group_sep: str = "", *, what: str = "amount"
) -> Decimal:
    """A number typed the way the locale writes it, or plainly as ``1234.50``.

    The locale's notation comes first and is read strictly (``app.models.money.parse_amount``:
    thousands separators only between groups of three, ASCII digits only). A dot followed by
    one or two digits, with no comma, is a decimal point in every locale, so ``0.35`` is 0.35
    in German too. Text that could mean two numbers is refused with both spelled out:
    ``500,00`` in English could be 500.00 or 50,000.

    Args:
        text: what was typed; blanks inside it are ignored, and so is a ``%`` sign.
        decimal_sep: the locale's decimal separator (``","`` in German).
        group_sep: the locale's thousands separator (``"."`` in German, a blank in French).
        what: what the number is, for the message ("unit price").

    Raises:
        AmountError: empty, not a number, or unclear; the message says what to write.
    """
    cleaned = _BLANKS.sub("", text.strip()).replace("%", "")
    dec = decimal_sep or "."
    grp = _BLANKS.sub("", group_sep)
    shown_grp = group_sep or grp
    if grp == dec:
        grp = ""
    if not cleaned:
        raise AmountError(f"enter the {what}")
    leading_zero_group = bool(grp) and bool(re.match(rf"[+-]?0[0-9]*{re.escape(grp)}", cleaned))
    if not leading_zero_group:
        try:
            return parse_amount(cleaned, dec, grp)
        except ValueError:
            pass
    if dec != "." and dec not in cleaned and "." in cleaned:
        if grp != "." and _could_group(cleaned, "."):
            whole, _, part = cleaned.partition(".")
            raise AmountError(
                f"the {what} {text.strip()!r} is unclear. "
                f"Write {whole}{dec}{part} or {_grouped(whole + part, shown_grp or '.')}."
            )
        try:
            return parse_amount(cleaned, ".", "")
        except ValueError:
            pass
    if dec == "." and "," in cleaned and "." not in cleaned and cleaned.count(",") == 1:
        whole, _, part = cleaned.partition(",")
        sign = whole[:1] if whole[:1] in "+-" else ""
        number = whole[len(sign) :]
        if _DIGITS.fullmatch(number) and _DIGITS.fullmatch(part):
            readings = [f"{sign}{number}.{part}"]
            if not number.startswith("0"):
                readings.append(sign + _grouped(number + part, shown_grp or ","))
            unclear = "is unclear" if len(readings) > 1 else "has a comma for a decimal point"
            raise AmountError(
                f"the {what} {text.strip()!r} {unclear}. Write {' or '.join(readings)}."
            )
    example = f"1{shown_grp}234{dec}50" if shown_grp else f"1234{dec}50"
    if dec != ".":
        example += " or 1234.50"
    raise AmountError(f"the {what} {text.strip()!r} is not a number; write it like {example}")


def to_money(amount: Decimal, currency: str, *, what: str = "amount") -> Money:
    """An amount in a currency, refusing more decimals than the currency has (never rounds).

    Raises:
        AmountError: more decimal places than the currency's minor unit, or a bad currency.
    """
    if not is_currency_code(currency):
        raise AmountError(f"{currency!r} is not a three-letter currency code such as EUR")
    places = currency_exponent(currency)
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise AmountError(
            f"the {what} can have at most {places} decimal places in {currency}, got {amount}"
        )
    return Money(to_minor(amount, currency), currency)


# --------------------------------------------------------------------------------------------
# The invoice editor's totals


@dataclass(frozen=True)
class TaxLine:
    """The tax of one rate: ``19%`` on its net."""

    rate_percent: Decimal
    net: Money
    tax: Money


@dataclass(frozen=True)
class PreviewTotals:
    """What a draft's lines add up to, exactly as the ledger will store it."""

    net: Money
    tax_by_rate: tuple[TaxLine, ...]
    total: Money


def line_net(line: DraftLine, currency: str) -> Money:
    """A typed line's net amount (quantity x price less the discount).

    Raises:
        InvoicingError: a negative quantity or price, a percentage outside 0..100, or more
            decimals than the ledger keeps.
    """
    return Money(line_net_minor(line_amounts(line, currency), currency), currency)


def preview_totals(lines: Sequence[DraftLine], currency: str) -> PreviewTotals:
    """Net, tax per rate (highest rate first) and total of a draft's lines.

    The same functions compute them as when the draft is saved; lines the ledger would refuse
    (see :func:`line_net`) are left out.
    """
    amounts = []
    for line in lines:
        try:
            amounts.append(line_amounts(line, currency))
        except ValueError:
            continue
    totals = compute_totals(amounts, currency)
    taxes = tuple(
        TaxLine(
            Decimal(rate) / 100,
            Money(totals.net_by_rate[rate], currency),
            Money(tax, currency),
        )
        for rate, tax in sorted(totals.tax_by_rate.items(), reverse=True)
    )
    return PreviewTotals(
        Money(totals.net_minor, currency), taxes, Money(totals.total_minor, currency)
    )


# --------------------------------------------------------------------------------------------
# An invoice's payments and credit notes


@dataclass(frozen=True)
class InvoicePayment:
    """A payment that went (partly) to an invoice; ``allocation_id`` is its part on the invoice."""

    payment_id: int
    allocation_id: int
    received_on: date
    amount: Money
    applied: Money
    reference: str
    method: str
    reversed: bool


@dataclass(frozen=True)
class CreditNoteOfInvoice:
    """A credit note issued against an invoice, and how much of it was set against it."""

    id: int
    number: str
    issue_date: date
    total: Money
    applied: Money
    reason: str


def payments_of_invoice(uow: UnitOfWork, invoice_id: int) -> list[InvoicePayment]:
    """The payments allocated to an invoice, oldest first, undone ones included."""
    stmt = (
        select(Allocation, Payment)
        .join(Payment, Payment.id == Allocation.payment_id)
        .where(Allocation.invoice_id == invoice_id, Allocation.kind == AllocationKind.CASH)
        .order_by(Allocation.id)
    )
    with uow:
        return [
            InvoicePayment(
                payment_id=payment.id,
                allocation_id=allocation.id,
                received_on=payment.received_on,
                amount=Money(payment.amount_minor, payment.currency),
                applied=Money(allocation.amount_minor, allocation.currency),
                reference=payment.reference,
                method=payment.method,
                reversed=payment.reversed_at is not None or allocation.reversed_at is not None,
            )
            for allocation, payment in uow.session.execute(stmt).all()
        ]


def credit_notes_of_invoice(uow: UnitOfWork, invoice_id: int) -> list[CreditNoteOfInvoice]:
    """The issued credit notes against an invoice, oldest first, with what each settled on it.

    A credit note beyond what was open settles less than its total (or nothing); the rest is
    credit on the customer's account.
    """
    stmt = (
        select(Invoice, Allocation.amount_minor)
        .outerjoin(
            Allocation,
            and_(
                Allocation.credit_note_id == Invoice.id,
                Allocation.invoice_id == invoice_id,
                Allocation.reversed_at.is_(None),
            ),
        )
        .where(
            Invoice.credited_invoice_id == invoice_id,
            Invoice.kind == InvoiceKind.CREDIT_NOTE,
            Invoice.state == DocumentState.ISSUED,
        )
        .order_by(Invoice.id)
    )
    with uow:
        applied: dict[int, int] = {}
        notes: dict[int, Invoice] = {}
        for note, minor in uow.session.execute(stmt).all():
            notes[note.id] = note
            applied[note.id] = applied.get(note.id, 0) + int(minor or 0)
        return [
            CreditNoteOfInvoice(
                id=note.id,
                number=note.number or "",
                issue_date=note.issue_date,
                total=Money(note.total_minor, note.currency),
                applied=Money(applied[note.id], note.currency),
                reason=note.description,
            )
            for note in notes.values()
        ]


# --------------------------------------------------------------------------------------------
# Customers


_CODE = re.compile(r"^(.*?)([0-9]+)$")


def next_customer_code(uow: UnitOfWork) -> str:
    """A free customer id after the highest numbered one: ``K10281`` after ``K10280``.

    The prefix and the width of the highest numbered id are kept; ``C1001`` in an empty ledger.
    """
    with uow:
        codes = set(uow.session.scalars(select(Customer.code)))
    best: tuple[int, str, int] | None = None
    for code in codes:
        match = _CODE.match(code)
        if match is None:
            continue
        prefix, digits = match.groups()
        if best is None or int(digits) > best[0]:
            best = (int(digits), prefix, len(digits))
    if best is None:
        number, prefix, width = 1000, "C", 4
    else:
        number, prefix, width = best
    while True:
        number += 1
        candidate = f"{prefix}{number:0{width}d}"
        if candidate not in codes:
            return candidate


def credit_limits(uow: UnitOfWork) -> dict[int, Money]:
    """Each customer's credit limit, in the customer's currency (customers without none)."""
    stmt = select(Customer.id, Customer.credit_limit_minor, Customer.currency).where(
        Customer.credit_limit_minor.is_not(None)
    )
    with uow:
        return {
            customer_id: Money(int(limit), currency)
            for customer_id, limit, currency in uow.session.execute(stmt).all()
            if limit is not None
        }


# --------------------------------------------------------------------------------------------
# Dates and times as the locale writes them


def _babel_locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise ValueError(
            f"unknown locale {locale!r}; expected one such as 'en' or 'de_DE'"
        ) from exc


def medium_date_pattern(locale: str) -> str:
    """The locale's medium date pattern, as date editors take it: ``"MMM d, yyyy"`` in ``en``.

    The same form :func:`app.services.money_format.format_date` writes in lists and details;
    the year is written in full (``yyyy``) and stand-alone months (``LLL``) as ``MMM``.

    Raises:
        ValueError: the locale is unknown.
    """
    pattern = get_date_format("medium", locale=_babel_locale(locale)).pattern
    parts = re.split(r"('[^']*')", pattern)
    return "".join(
        part if part.startswith("'") else re.sub(r"y+", "yyyy", part).replace("L", "M")
        for part in parts
    )


def format_timestamp(at: datetime, locale: str) -> str:
    """When something happened, in this computer's time zone and the locale's way.

    ``"Nov 23, 2026, 2:05 PM"`` in ``en``, ``"23 Nov 2026, 14:05"`` in ``en_GB``. Timeline
    events that belong to a business day rather than a moment (a payment on its receipt date,
    kept as noon UTC of that day) show the day only.

    Raises:
        ValueError: the locale is unknown.
    """
    if at.utcoffset() == timedelta(0) and at.time() == time(12):
        return format_date(at.date(), locale)
    local = at.astimezone()
    clock = format_time(local.time(), "short", locale=_babel_locale(locale))
    return f"{format_date(local.date(), locale)}, {clock}"
