"""Emails Duebook writes to a customer beside reminders: their shared parts, and payment receipts.

An invoice, a credit note (:mod:`app.services.document_emails`) or a receipt is rendered from a
shipped template (``resources/reminder_templates/<language>/{invoice,credit_note,receipt}.*``) in
the reminders' sandbox, in the customer's language, and queued in the outbox; the outbox sender
sends it like a reminder.

Receipts are queued by the services that record payments, in their transaction
(:func:`queue_payment_receipts`), when the setting ``mail.receipts`` is ``yes``. This module
imports nothing of the invoicing services, so they can call it.

The placeholders every one of these templates sees:

- ``company.name``, ``company.email``, ``company.phone``, ``company.iban`` (in groups of four),
  ``company.bic``; ``customer.name``, ``customer.code``; ``contact_name`` (may be empty);
  ``greeting`` ("Dear Alex Example," or "Dear Sir or Madam,"); ``language``; ``today``.

A receipt also sees ``payment.amount`` and ``payment.received_on``; ``invoices``, each with
``number``, ``paid`` (by this payment), ``open`` (what is still open of it) and ``settled``;
``count``; ``invoice_table`` (a plain-text table in the text body, an HTML table in the HTML
body) and ``on_account`` (what of the payment stays on the account as credit, ``""`` for none).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.models.collections import OutboxItem
from app.models.company import Setting
from app.models.customer import Customer
from app.models.invoice import Invoice
from app.models.money import Money
from app.models.payment import Allocation, AllocationKind, Payment
from app.services.audit import record_activity, record_audit
from app.services.iban import format_iban
from app.services.money_format import format_date, format_money
from app.services.pdf_texts import document_language
from app.services.reminders.letter_words import WORDS
from app.services.reminders.sandbox import (
    CompanyFields,
    CustomerFields,
    RenderedEmail,
    read_shipped,
    render_email,
)
from app.services.settings import SETTINGS

#: Keys per ``IN (...)`` query.
_CHUNK = 500

#: The ledger settings these emails read.
_KEYS = (
    "company.name",
    "company.email",
    "company.phone",
    "company.iban",
    "company.bic",
    "company.country",
    "invoice.payment_link",
    "mail.receipts",
)

#: The receipt's table headings and words, per language.
_RECEIPT_WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {"paid": "Paid", "open": "Still open", "settled": "paid in full"},
    "de": {"paid": "Bezahlt", "open": "Noch offen", "settled": "vollständig bezahlt"},
    "fr": {"paid": "Payé", "open": "Reste dû", "settled": "soldée"},
    "es": {"paid": "Pagado", "open": "Pendiente", "settled": "pagada por completo"},
    "nl": {"paid": "Betaald", "open": "Nog open", "settled": "volledig betaald"},
}


class CustomerEmailError(ValueError):
    """An email that cannot be written or queued; the message says why in words."""


@dataclass(frozen=True)
class Addressee:
    """Who a customer email goes to and the language it is written in.

    Attributes:
        customer_id: the customer.
        name: the customer's name.
        code: the customer's id in the source system.
        to: the billing contacts' addresses (every contact's when none is for billing).
        contact_name: the name of the first of them, ``""`` when it has none.
        language: the template's language (``en``, ``de``, ``fr``, ``es``, ``nl``).
        locale: the locale dates and amounts are written in (``de_AT``).
    """

    customer_id: int
    name: str
    code: str
    to: tuple[str, ...]
    contact_name: str
    language: str
    locale: str


def ledger_values(session: Session) -> dict[str, str]:
    """The company's settings these emails use, stored or default, read in one query."""
    values = {key: SETTINGS[key].default for key in _KEYS}
    stored = select(Setting.key, Setting.value).where(Setting.key.in_(_KEYS))
    values.update({row.key: row.value for row in session.execute(stored)})
    return values


def addressee(customer: Customer, company_country: str) -> Addressee:
    """The billing contact of a customer and its language (the invoice PDF's language)."""
    to = tuple(customer.emails("billing"))
    names = [c.name.strip() for c in customer.contacts if c.email in to and c.name.strip()]
    language = document_language(customer.language, company_country)
    return Addressee(
        customer_id=customer.id,
        name=customer.name,
        code=customer.code,
        to=to,
        contact_name=names[0] if names else "",
        language=language.language,
        locale=language.locale,
    )


def common_fields(person: Addressee, values: Mapping[str, str], today: date) -> dict[str, Any]:
    """The placeholders every customer email sees (see the module's docstring)."""
    words = WORDS[person.language]
    contact = person.contact_name
    return {
        "language": person.language,
        "today": format_date(today, person.locale),
        "company": CompanyFields(
            name=values["company.name"],
            email=values["company.email"],
            phone=values["company.phone"],
            iban=format_iban(values["company.iban"].replace(" ", "")),
            bic=values["company.bic"],
        ),
        "customer": CustomerFields(name=person.name, code=person.code),
        "contact_name": contact,
        "greeting": words["greeting"].format(name=contact) if contact else words["greeting_nobody"],
    }


def render_shipped(
    name: str, language: str, text_fields: Mapping[str, Any], html_fields: Mapping[str, Any]
) -> RenderedEmail:
    """Write one email from the template ``name`` as it ships, in ``language``.

    Raises:
        TemplateError: the shipped files are missing or the template does not render.
    """
    return render_email(read_shipped(name, language), text_fields, html_fields)


def add_outbox_item(
    session: Session,
    actor: str,
    *,
    key: str,
    kind: str,
    person: Addressee,
    to: Sequence[str],
    email: RenderedEmail,
    invoice_ids: Sequence[int],
    attach_invoices: bool,
    send_after: date,
    timeline: str,
) -> int:
    """Put one email in the outbox, on the customer's timeline and in the audit log.

    Returns:
        The outbox item's id.
    """
    item = OutboxItem(
        key=key,
        kind=kind,
        customer_id=person.customer_id,
        step_name="",
        invoice_ids=json.dumps(list(invoice_ids)),
        to_addrs=", ".join(to),
        subject=email.subject,
        body_text=email.body_text,
        body_html=email.body_html,
        attach_invoices=attach_invoices,
        send_after=send_after,
    )
    session.add(item)
    session.flush()
    timeline_kind = "payment" if kind == "receipt" else kind
    first = invoice_ids[0] if invoice_ids else None
    record_activity(session, person.customer_id, timeline_kind, timeline, first, actor)
    after = {"kind": kind, "invoices": list(invoice_ids), "to": item.to_addrs}
    record_audit(session, actor, "queue", "outbox", item.id, after=after)
    return item.id


# --- receipts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentFields:
    """The payment a receipt is for, formatted."""

    amount: str
    received_on: str


@dataclass(frozen=True)
class PaidInvoiceFields:
    """One invoice a payment was applied to, formatted."""

    number: str
    paid: str
    open: str
    settled: bool


@dataclass(frozen=True)
class _Applied:
    invoice_id: int
    number: str
    paid: Money
    open: Money


def receipt_key(payment_id: int) -> str:
    """The outbox key of a payment's receipt: one receipt per payment, ever."""
    return f"receipt:{payment_id}"


def queue_payment_receipts(session: Session, actor: str, payment_ids: Iterable[int]) -> list[int]:
    """Queue a receipt for each payment applied to a customer's invoices, if receipts are on.

    Called in the transaction that records the payments, after their allocations are written.
    Nothing is done unless the setting ``mail.receipts`` is ``yes`` (one query). A receipt lists
    the invoices the payment was applied to, what it paid of each and what is still open. No
    receipt is queued for a payment without a customer, without an invoice it was applied to,
    for a customer without an email address, or twice for one payment.

    Returns:
        The ids of the outbox items queued.
    """
    ids = sorted(set(payment_ids))
    if not ids:
        return []
    values = ledger_values(session)
    if values["mail.receipts"] != "yes":
        return []
    queued: list[int] = []
    for start in range(0, len(ids), _CHUNK):
        queued.extend(_queue_receipts(session, actor, ids[start : start + _CHUNK], values))
    return queued


def _queue_receipts(
    session: Session, actor: str, ids: list[int], values: Mapping[str, str]
) -> list[int]:
    taken = set(
        session.scalars(
            select(OutboxItem.key).where(OutboxItem.key.in_([receipt_key(i) for i in ids]))
        )
    )
    payments = [
        p
        for p in session.scalars(
            select(Payment)
            .where(
                Payment.id.in_(ids), Payment.customer_id.is_not(None), Payment.reversed_at.is_(None)
            )
            .order_by(Payment.id)
        )
        if receipt_key(p.id) not in taken
    ]
    applied = _applied(session, [p.id for p in payments])
    payments = [p for p in payments if applied.get(p.id)]
    if not payments:
        return []
    customers = {
        c.id: c
        for c in session.scalars(
            select(Customer)
            .options(selectinload(Customer.contacts))
            .where(Customer.id.in_({p.customer_id for p in payments}))
        )
    }
    queued: list[int] = []
    for payment in payments:
        customer = customers.get(payment.customer_id or 0)
        if customer is None:
            continue
        person = addressee(customer, values["company.country"])
        if not person.to:
            continue
        rows = applied[payment.id]
        amount = Money(payment.amount_minor, payment.currency)
        email = _receipt(person, values, payment, rows)
        paid = ", ".join(r.number for r in rows)
        queued.append(
            add_outbox_item(
                session,
                actor,
                key=receipt_key(payment.id),
                kind="receipt",
                person=person,
                to=person.to,
                email=email,
                invoice_ids=[r.invoice_id for r in rows],
                attach_invoices=False,
                send_after=payment.received_on,
                timeline=(
                    f"Receipt for the payment of {format_money(amount)} ({paid}) queued for "
                    f"email to {', '.join(person.to)}"
                ),
            )
        )
    return queued


def _applied(session: Session, payment_ids: list[int]) -> dict[int, list[_Applied]]:
    """Per payment, the invoices its cash was applied to, with what is still open of each."""
    if not payment_ids:
        return {}
    rows = session.execute(
        select(
            Allocation.payment_id,
            Allocation.invoice_id,
            func.sum(Allocation.amount_minor),
            Invoice.number,
            Invoice.total_minor,
            Invoice.currency,
        )
        .join(Invoice, Invoice.id == Allocation.invoice_id)
        .where(
            Allocation.payment_id.in_(payment_ids),
            Allocation.kind == AllocationKind.CASH,
            Allocation.reversed_at.is_(None),
        )
        .group_by(Allocation.payment_id, Allocation.invoice_id)
        .order_by(Allocation.payment_id, Invoice.due_date, Invoice.id)
    ).all()
    invoice_ids = {row[1] for row in rows}
    allocated = dict(
        session.execute(
            select(Allocation.invoice_id, func.sum(Allocation.amount_minor))
            .where(Allocation.invoice_id.in_(invoice_ids), Allocation.reversed_at.is_(None))
            .group_by(Allocation.invoice_id)
        ).all()
    )
    applied: dict[int, list[_Applied]] = {}
    for payment_id, invoice_id, paid, number, total, currency in rows:
        if payment_id is None:  # pragma: no cover - the query asked for these payments
            continue
        rest = max(total - int(allocated.get(invoice_id) or 0), 0)
        label = number or str(invoice_id)
        applied.setdefault(payment_id, []).append(
            _Applied(invoice_id, label, Money(int(paid), currency), Money(rest, currency))
        )
    return applied


def _receipt(
    person: Addressee, values: Mapping[str, str], payment: Payment, rows: list[_Applied]
) -> RenderedEmail:
    locale, words = person.locale, _RECEIPT_WORDS[person.language]
    amount = Money(payment.amount_minor, payment.currency)
    used = sum(r.paid.minor for r in rows)
    invoices = tuple(
        PaidInvoiceFields(
            number=r.number,
            paid=format_money(r.paid, locale),
            open=format_money(r.open, locale),
            settled=not r.open.minor,
        )
        for r in rows
    )
    fields = common_fields(person, values, payment.received_on) | {
        "payment": PaymentFields(
            amount=format_money(amount, locale),
            received_on=format_date(payment.received_on, locale),
        ),
        "invoices": invoices,
        "count": len(invoices),
        "on_account": (
            format_money(Money(amount.minor - used, amount.currency), locale)
            if amount.minor > used
            else ""
        ),
    }
    head = (WORDS[person.language]["col_invoice"], words["paid"], words["open"])
    cells = [(i.number, i.paid, words["settled"] if i.settled else i.open) for i in invoices]
    text = fields | {"invoice_table": _text_table(head, cells)}
    html = fields | {"invoice_table": _html_table(head, cells)}
    return render_shipped("receipt", person.language, text, html)


def _text_table(head: tuple[str, str, str], cells: list[tuple[str, str, str]]) -> str:
    """Rows as a plain-text table: the number left, the amounts right, two spaces apart."""
    rows = [head, *cells]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        f"{row[0].ljust(widths[0])}  {row[1].rjust(widths[1])}  {row[2].rjust(widths[2])}".rstrip()
        for row in rows
    )


_HEAD = Markup(
    "<thead><tr>"
    '<th style="padding:4px 10px;border-bottom:1px solid #999;text-align:left">%s</th>'
    '<th style="padding:4px 10px;border-bottom:1px solid #999;text-align:right">%s</th>'
    '<th style="padding:4px 10px;border-bottom:1px solid #999;text-align:right">%s</th>'
    "</tr></thead>"
)
_ROW = Markup(
    "<tr>"
    '<td style="padding:4px 10px;border-bottom:1px solid #ddd;text-align:left">%s</td>'
    '<td style="padding:4px 10px;border-bottom:1px solid #ddd;text-align:right">%s</td>'
    '<td style="padding:4px 10px;border-bottom:1px solid #ddd;text-align:right">%s</td>'
    "</tr>"
)
_TABLE = Markup('<table style="border-collapse:collapse">%s<tbody>%s</tbody></table>')


def _html_table(head: tuple[str, str, str], cells: list[tuple[str, str, str]]) -> Markup:
    """Rows as an HTML table; ``%`` escapes every value put in."""
    return _TABLE % (_HEAD % head, Markup("").join(_ROW % row for row in cells))
