"""What a reminder letter is about: the company, the customer, its open invoices and credits.

:func:`context_for_customer` reads a real customer from the ledger for the template editor's live
preview; :func:`sample_context` makes one up, to check a template and to preview without a
customer. The reminder engine builds its own contexts from its ledger snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.company import Setting
from app.models.customer import Contact, Customer
from app.models.money import Money
from app.services.iban import creditor_reference
from app.services.invoice_queries import open_invoice_rows
from app.services.pdf_texts import document_language
from app.services.reminders.snapshot import credits_of, reminded_invoices, reminder_recipients
from app.services.settings import SETTINGS


@dataclass(frozen=True)
class ReminderInvoice:
    """One invoice row in a reminder letter.

    Attributes:
        number: the invoice number.
        issue_date: when it was issued.
        due_date: when it is or was due.
        total: the invoice total.
        open: what is still open of it.
        days_overdue: days past the due date; negative is days until it.
        partly_paid: whether part of it is settled already.
    """

    number: str
    issue_date: date
    due_date: date
    total: Money
    open: Money
    days_overdue: int
    partly_paid: bool


@dataclass(frozen=True)
class ReminderContext:
    """Everything a reminder template may say, before it is formatted for a language.

    Attributes:
        language: ``en``, ``de``, ``fr``, ``es`` or ``nl``; any other is written in English.
        payment_link: a link to pay online, ``""`` when there is none.
        unapplied: credit on the account per currency (cash not applied yet, unused credit
            notes), netted against the open amounts in the totals.
        reminded_before: whether a reminder email was sent or queued earlier for at least one
            of the letter's invoices (:func:`~app.services.reminders.snapshot.reminded_invoices`);
            ``False`` for a first letter, such as one on a backlog imported already overdue.
    """

    language: str
    company_name: str
    company_email: str
    company_phone: str
    company_iban: str
    company_bic: str
    customer_name: str
    customer_code: str
    contact_name: str
    invoices: tuple[ReminderInvoice, ...]
    step_name: str
    tone: str
    today: date
    payment_link: str
    unapplied: tuple[Money, ...] = ()
    reminded_before: bool = False


def sample_context(language: str, today: date) -> ReminderContext:
    """A made-up customer with three open invoices, for checking and previewing a template.

    One invoice is not due yet, one is overdue and partly paid, one long overdue; 150.00 EUR of
    credit is on the account, and the customer was reminded before.
    """

    def invoice(number: str, age: int, due_in: int, total: int, open_: int) -> ReminderInvoice:
        return ReminderInvoice(
            number=number,
            issue_date=today - timedelta(days=age),
            due_date=today + timedelta(days=due_in),
            total=Money(total, "EUR"),
            open=Money(open_, "EUR"),
            days_overdue=-due_in,
            partly_paid=open_ < total,
        )

    return ReminderContext(
        language=language,
        company_name="Example Trading Ltd",
        company_email="accounts@example.com",
        company_phone="+44 20 7946 0000",
        company_iban="DE89370400440532013000",
        company_bic="COBADEFFXXX",
        customer_name="Sample Customer Ltd",
        customer_code="C-SAMPLE",
        contact_name="Alex Example",
        invoices=(
            invoice("INV-2026-00101", 72, -42, 123450, 123450),
            invoice("INV-2026-00117", 45, -15, 98000, 48000),
            invoice("INV-2026-00131", 27, 3, 45675, 45675),
        ),
        step_name="1st reminder",
        tone="neutral",
        today=today,
        payment_link="https://pay.example.com/C-SAMPLE",
        unapplied=(Money(15000, "EUR"),),
        reminded_before=True,
    )


_COMPANY_KEYS = (
    "company.name",
    "company.email",
    "company.phone",
    "company.iban",
    "company.bic",
    "company.country",
    "invoice.payment_link",
)


def context_for_customer(
    session: Session, customer_id: int, today: date, step_name: str = "", tone: str = "neutral"
) -> ReminderContext:
    """A real customer's letter: its issued, unvoided invoices with something open, due first.

    Args:
        session: an open session on the ledger.
        customer_id: the customer.
        today: the day the letter is written on.
        step_name: the dunning step's name, as the template may mention it.
        tone: the step's tone (``friendly``, ``neutral``, ``firm``, ``final``).

    Raises:
        LookupError: there is no such customer.
    """
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise LookupError(f"there is no customer with id {customer_id}")
    values = {key: SETTINGS[key].default for key in _COMPANY_KEYS}
    stored = select(Setting.key, Setting.value).where(Setting.key.in_(_COMPANY_KEYS))
    values.update(dict(session.execute(stored).all()))
    rows = open_invoice_rows(session, customer_id, today)
    invoices = tuple(
        ReminderInvoice(
            number=row.number,
            issue_date=row.issue_date,
            due_date=row.due_date,
            total=row.total,
            open=row.open_amount,
            days_overdue=(today - row.due_date).days,
            partly_paid=row.open_amount < row.total,
        )
        for row in rows
    )
    currencies = {i.open.currency for i in invoices}
    reminded = reminded_invoices(session, customer_id)
    return ReminderContext(
        language=document_language(customer.language, values["company.country"]).language,
        company_name=values["company.name"],
        company_email=values["company.email"],
        company_phone=values["company.phone"],
        company_iban=values["company.iban"],
        company_bic=values["company.bic"],
        customer_name=customer.name,
        customer_code=customer.code,
        contact_name=_contact_name(session, customer_id),
        invoices=invoices,
        step_name=step_name,
        tone=tone,
        today=today,
        payment_link=letter_payment_link(values["invoice.payment_link"], invoices),
        unapplied=tuple(
            Money(amount, currency)
            for currency, amount in sorted(
                credits_of(session, customer_id).get(customer_id, {}).items()
            )
            if currency in currencies and amount > 0
        ),
        reminded_before=any(row.id in reminded for row in rows),
    )


def _contact_name(session: Session, customer_id: int) -> str:
    """The name of the contact reminders go to, by the engine's rule."""
    contacts = session.execute(
        select(Contact.name, Contact.email, Contact.role)
        .where(Contact.customer_id == customer_id)
        .order_by(Contact.id)
    ).all()
    name, _ = reminder_recipients([(n, e, r) for n, e, r in contacts])
    return name


def letter_payment_link(template: str, invoices: tuple[ReminderInvoice, ...]) -> str:
    """The ``invoice.payment_link`` of a one-invoice letter; several invoices have no one amount."""
    template = template.strip()
    if not template or len(invoices) != 1:
        return ""
    invoice = invoices[0]
    try:
        return template.format(
            number=quote(invoice.number, safe=""),
            amount=quote(f"{invoice.open.amount:f}", safe=""),
            currency=quote(invoice.open.currency, safe=""),
            reference=quote(creditor_reference(invoice.number), safe=""),
        )
    except (KeyError, IndexError, ValueError):
        return ""
