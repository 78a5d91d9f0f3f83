"""A bank statement for the demo ledger that shows every kind of match when dropped in.

It is written from the demo ledger's open invoices as they stand, as a CAMT.053 file of the
company's account: payments quoting the invoice number as printed, in other spellings, mistyped,
as an RF reference, or not at all; payers named as the bank shows them, or by a parent company;
one transfer for several invoices; partial, short (a bank fee taken) and over-payments; a payment
twice; payments only a person can place; and lines that are not customer payments.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from app.models.customer import Customer, CustomerAlias, CustomerIban
from app.models.invoice import DocumentState, Invoice, InvoiceKind
from app.models.money import to_decimal
from app.services.iban import creditor_reference
from app.services.invoice_queries import per_row_balances
from app.services.settings import load_settings
from app.services.statements.camt_writer import write_camt053
from app.services.statements.parsed import ParsedLine
from app.services.uow import UnitOfWork

DEMO_STATEMENT_NAME = "demo-statement.xml"

_SPELLED_OUT = str.maketrans({"Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "SS"})


@dataclass(frozen=True)
class _Open:
    number: str
    customer: str
    aliases: tuple[str, ...]
    iban: str
    currency: str
    open_minor: int

    @property
    def amount(self) -> Decimal:
        return to_decimal(self.open_minor, self.currency)


def write_demo_statement(uow: UnitOfWork, folder: Path, today: date, seed: int = 11) -> Path:
    """Write the demo statement (EUR lines only, the account's currency) into ``folder``."""
    rng = random.Random(seed)
    iban = load_settings(uow)["company.iban"]
    items = [item for item in _open_items(uow) if item.currency == "EUR"]
    rng.shuffle(items)
    booked = today - timedelta(days=1)
    lines: list[ParsedLine] = []
    for make in _PHENOMENA:
        lines.extend(make(items, rng, booked))
    lines.extend(_not_customer_payments(booked))
    path = folder / DEMO_STATEMENT_NAME
    numbered = [
        replace(line, bank_ref=f"DEMO-{booked:%Y%m%d}-{n:03d}") for n, line in enumerate(lines, 1)
    ]
    write_camt053(
        path, account_iban=iban, currency="EUR", lines=numbered, opening_balance=Decimal("48210.17")
    )
    return path


def _open_items(uow: UnitOfWork) -> list[_Open]:
    with uow:
        session = uow.session
        allocated = per_row_balances().allocated
        rows = session.execute(
            select(Invoice.number, Customer.id, Customer.name, Invoice.currency,
                   Invoice.total_minor - allocated)
            .join(Customer, Customer.id == Invoice.customer_id)
            .where(Invoice.kind == InvoiceKind.INVOICE, Invoice.state == DocumentState.ISSUED,
                   Invoice.total_minor - allocated > 0)
            .order_by(Invoice.number)
        ).all()  # fmt: skip
        aliases: dict[int, list[str]] = {}
        for customer_id, alias in session.execute(
            select(CustomerAlias.customer_id, CustomerAlias.alias)
        ):
            aliases.setdefault(customer_id, []).append(alias)
        ibans = dict(session.execute(select(CustomerIban.customer_id, CustomerIban.iban)).all())
    return [
        _Open(number or "", name, tuple(aliases.get(cid, ())), ibans.get(cid, ""), cur, int(left))
        for number, cid, name, cur, left in rows
    ]


def _take(items: list[_Open], want: Callable[[_Open], bool] = lambda _: True) -> _Open | None:
    for index, item in enumerate(items):
        if want(item):
            return items.pop(index)
    return None


def _bank_name(name: str) -> str:
    """A name as many banks print it: upper case, umlauts spelled out, cut at 35 characters."""
    spelled = name.upper().translate(_SPELLED_OUT)
    return spelled[:35]


def _line(
    booked: date, amount: Decimal, payer: str, text: str, iban: str = "", refs: tuple[str, ...] = ()
) -> ParsedLine:
    return ParsedLine(
        booking_date=booked,
        amount=amount,
        currency="EUR",
        payer_name=payer,
        payer_iban=iban,
        remittance=text,
        structured_refs=refs,
    )


def _exact(items: list[_Open], rng: random.Random, booked: date) -> list[ParsedLine]:
    lines = []
    for _ in range(3):
        item = _take(items)
        if item:
            text = f"Invoice {item.number}"
            lines.append(_line(booked, item.amount, item.customer, text, item.iban))
    return lines


def _creditor_reference(items: list[_Open], rng: random.Random, booked: date) -> list[ParsedLine]:
    item = _take(items)
    if not item:
        return []
    ref = creditor_reference(item.number)
    return [_line(booked, item.amount, _bank_name(item.customer), "", refs=(ref,))]


def _spelled_differently(items: list[_Open], rng: random.Random, booked: date) -> list[ParsedLine]:
    lines = []
    for style in ("RECHNUNG NR {slashes}", "Facture {compact}", "Rg. {spaces} vom Oktober"):
        item = _take(items)
        if item:
            spellings = {
                "slashes": item.number.replace("-", "/"),
                "compact": re.sub(r"[^0-9A-Za-z]", "", item.number),
                "spaces": item.number.replace("-", " "),
            }
            text = style.format(**spellings)
            lines.append(_line(booked, item.amount, _bank_name(item.customer), text))
    return lines


def _mistyped(items: list[_Open], rng: random.Random, booked: date) -> list[ParsedLine]:
    item = _take(items)
    if not item:
        return []
    digits = list(item.number)
    last = max(i for i, ch in enumerate(digits) if ch.isdigit())
    digits[last] = str((int(digits[last]) + 3) % 10)
    return [_line(booked, item.amount, item.customer, f"Payment {''.join(digits)}", item.iban)]


def _no_number_known_payer(
    items: list[_Open], rng: random.Random, booked: date
) -> list[ParsedLine]:
    item = _take(items, lambda i: bool(i.iban))
    if not item:
        return []
    return [_line(booked, item.amount, _bank_name(item.customer), "Zahlung danke", item.iban)]


def _parent_company(items: list[_Open], rng: random.Random, booked: date) -> list[ParsedLine]:
    item = _take(items, lambda i: bool(i.aliases))
    if not item:
        return []
    return [_line(booked, item.amount, item.aliases[0], f"re {item.number}")]


def _several_invoices(items: list[_Open], rng: random.Random, booked: date) -> list[ParsedLine]:
    first = _take(items)
    if not first:
        return []
    second = _take(items, lambda i: i.customer == first.customer)
    if not second:
        items.append(first)
        return []
    amount = first.amount + second.amount
    text = f"{first.number} + {second.number}"
    return [_line(booked, amount, first.customer, text, first.iban)]


def _partial_short_over(items: list[_Open], rng: random.Random, booked: date) -> list[ParsedLine]:
    lines = []
    partial = _take(items, lambda i: i.open_minor >= 100_000)
    if partial:
        half = (partial.amount / 2).quantize(Decimal("0.01"))
        text = f"{partial.number} 1. Rate"
        lines.append(_line(booked, half, partial.customer, text, partial.iban))
    short = _take(items, lambda i: i.open_minor >= 80_000)
    if short:
        paid = short.amount - Decimal("7.50")
        text = f"INV {short.number} less charges"
        lines.append(_line(booked, paid, _bank_name(short.customer), text))
    over = _take(items)
    if over:
        text = f"{over.number}"
        lines.append(_line(booked, over.amount + Decimal("50.00"), over.customer, text, over.iban))
    return lines


def _paid_twice(items: list[_Open], rng: random.Random, booked: date) -> list[ParsedLine]:
    item = _take(items)
    if not item:
        return []
    text = f"Invoice {item.number}"
    return [
        _line(booked, item.amount, item.customer, text, item.iban),
        _line(booked, item.amount, item.customer, f"{text} (2)", item.iban),
    ]


def _needs_a_person(items: list[_Open], rng: random.Random, booked: date) -> list[ParsedLine]:
    """Lines the matcher can only suggest.

    A stranger pays an invoice's amount without a number; a customer pays part of something
    without saying what.
    """
    lines = []
    stranger = _take(items)
    if stranger:
        lines.append(_line(booked, stranger.amount, "M. KRAUSE", "Ueberweisung"))
    part = _take(items, lambda i: i.open_minor >= 50_000)
    if part:
        deposit = (part.amount * Decimal("0.4")).quantize(Decimal("0.01"))
        lines.append(_line(booked, deposit, _bank_name(part.customer), "Anzahlung"))
    return lines


def _not_customer_payments(booked: date) -> list[ParsedLine]:
    return [
        _line(booked, Decimal("3.12"), "Hamburger Sparkasse", "Zinsen 3. Quartal"),
        _line(booked, Decimal("-1840.00"), "Finanzamt Hamburg", "Umsatzsteuer Oktober"),
        _line(booked, Decimal("-89.90"), "Telekom Deutschland GmbH", "Rechnung Mobilfunk"),
        _line(booked, Decimal("214.50"), "Stripe Payments Europe", "STRIPE PAYOUT"),
    ]


_PHENOMENA = (
    _exact,
    _creditor_reference,
    _spelled_differently,
    _mistyped,
    _no_number_known_payer,
    _parent_company,
    _several_invoices,
    _partial_short_over,
    _paid_twice,
    _needs_a_person,
)
