"""Customers: the list with balances, one customer in full, creating and editing them, notes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from app.models.activity import Activity
from app.models.company import User
from app.models.customer import CONTACT_ROLES, Contact, Customer, CustomerAlias, CustomerIban
from app.models.invoice import DocumentState, Invoice, InvoiceKind
from app.models.money import Money, is_currency_code, sum_by_currency, to_minor
from app.models.payment import Allocation, Payment
from app.services.audit import record_activity, record_audit
from app.services.dto import ContactView, CustomerDetail, CustomerRow, TimelineEntry
from app.services.iban import normalize_iban
from app.services.invoice_queries import aggregated_balances, contains_pattern, open_invoice_rows
from app.services.recurring import recurring_rows
from app.services.text_checks import has_line_break, is_email_address
from app.services.uow import UnitOfWork


class CustomerError(ValueError):
    """Customer input that cannot be saved; the message names the field."""


@dataclass(frozen=True)
class CustomerInput:
    """What the customer form holds."""

    code: str
    name: str
    currency: str
    payment_terms_days: int
    phone: str = ""
    address: str = ""
    country: str = ""
    language: str = ""
    segment: str = ""
    vat_id: str = ""
    credit_limit: Decimal | None = None
    owner_id: int | None = None
    contacts: tuple[ContactView, ...] = ()
    ibans: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    #: Its recurring invoices are emailed with their PDF to the billing contact when issued.
    invoices_by_email: bool = False


@dataclass(frozen=True)
class CustomerChoice:
    """A customer as offered in a chooser: enough to default an invoice's currency and terms."""

    id: int
    code: str
    name: str
    currency: str
    payment_terms_days: int

    @property
    def label(self) -> str:
        """How the customer is shown in a chooser: ``"Müller GmbH (C001)"``."""
        return f"{self.name} ({self.code})"


def list_customer_choices(uow: UnitOfWork) -> list[CustomerChoice]:
    """Every customer by name, without balances (fast enough for ten thousand customers)."""
    stmt = select(
        Customer.id, Customer.code, Customer.name, Customer.currency, Customer.payment_terms_days
    ).order_by(Customer.name, Customer.id)
    with uow:
        return [CustomerChoice(*row) for row in uow.session.execute(stmt).all()]


def _open_balances(
    session: Session, today: date
) -> dict[int, tuple[dict[str, Money], dict[str, Money]]]:
    """Open and overdue amounts per customer and currency."""
    totals, balances = aggregated_balances()
    open_amount = balances.open_amount()
    stmt = (
        select(
            Invoice.customer_id,
            Invoice.currency,
            func.sum(open_amount),
            func.sum(case((Invoice.due_date < today, open_amount), else_=0)),
        )
        .outerjoin(totals, totals.c.invoice_id == Invoice.id)
        .where(open_amount > 0)
        .group_by(Invoice.customer_id, Invoice.currency)
    )
    result: dict[int, tuple[dict[str, Money], dict[str, Money]]] = {}
    for customer_id, currency, open_sum, overdue_sum in session.execute(stmt):
        opened, overdue = result.setdefault(customer_id, ({}, {}))
        opened[currency] = Money(int(open_sum), currency)
        if overdue_sum:
            overdue[currency] = Money(int(overdue_sum), currency)
    return result


def list_customers(uow: UnitOfWork, today: date, search: str = "") -> list[CustomerRow]:
    """Every customer matching ``search`` (name, id, alias, email), by name, with balances."""
    stmt = select(Customer).order_by(Customer.name, Customer.id)
    if search.strip():
        pattern = contains_pattern(search)
        stmt = stmt.where(
            or_(
                Customer.name.ilike(pattern, escape="\\"),
                Customer.code.ilike(pattern, escape="\\"),
                Customer.aliases.any(CustomerAlias.alias.ilike(pattern, escape="\\")),
                Customer.contacts.any(Contact.email.ilike(pattern, escape="\\")),
            )
        )
    with uow:
        customers = list(uow.session.scalars(stmt))
        balances = _open_balances(uow.session, today)
        emails = _first_emails(uow.session)
        return [
            CustomerRow(
                id=c.id,
                code=c.code,
                name=c.name,
                country=c.country,
                segment=c.segment,
                currency=c.currency,
                email=emails.get(c.id, ""),
                open_by_currency=balances.get(c.id, ({}, {}))[0],
                overdue_by_currency=balances.get(c.id, ({}, {}))[1],
            )
            for c in customers
        ]


def _first_emails(session: Session) -> dict[int, str]:
    emails: dict[int, str] = {}
    for customer_id, email in session.execute(
        select(Contact.customer_id, Contact.email)
        .where(Contact.email != "")
        .order_by(Contact.customer_id, Contact.id)
    ):
        emails.setdefault(customer_id, email)
    return emails


def get_customer(uow: UnitOfWork, customer_id: int, today: date) -> CustomerDetail:
    """One customer with contacts, payer accounts, aliases, open invoices and timeline.

    Raises:
        CustomerError: there is no such customer.
    """
    with uow:
        session = uow.session
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise CustomerError(f"there is no customer with id {customer_id}")
        owner = session.get(User, customer.owner_id) if customer.owner_id else None
        open_rows = open_invoice_rows(session, customer.id, today)
        timeline = session.scalars(
            select(Activity)
            .where(Activity.customer_id == customer.id)
            .order_by(Activity.occurred_at.desc(), Activity.id.desc())
            .limit(500)
        )
        limit = customer.credit_limit_minor
        return CustomerDetail(
            id=customer.id,
            code=customer.code,
            name=customer.name,
            currency=customer.currency,
            payment_terms_days=customer.payment_terms_days,
            phone=customer.phone,
            address=customer.address,
            country=customer.country,
            language=customer.language,
            segment=customer.segment,
            vat_id=customer.vat_id,
            credit_limit=Money(limit, customer.currency) if limit is not None else None,
            owner=owner.name if owner else "",
            contacts=tuple(
                ContactView(c.name, c.email, c.phone, c.role) for c in customer.contacts
            ),
            ibans=tuple(i.iban for i in customer.ibans),
            aliases=tuple(a.alias for a in customer.aliases),
            open_invoices=tuple(open_rows),
            timeline=tuple(
                TimelineEntry(a.occurred_at, a.kind, a.summary, a.author) for a in timeline
            ),
            open_by_currency=sum_by_currency(r.open_amount for r in open_rows),
            unapplied_by_currency=_unapplied(session, customer.id),
            recurring=tuple(r for r in recurring_rows(session, customer.id) if r.active),
            invoices_by_email=customer.invoices_by_email,
        )


#: Longest text each field holds (the column sizes), and the fields that must stay on one line.
_FIELD_LENGTHS = {"customer_id": 100, "name": 300, "phone": 100, "segment": 100, "vat_id": 50}


def _check_line(field: str, value: str) -> None:
    if has_line_break(value):
        raise CustomerError(f"{field}: must be one line, without line breaks")
    limit = _FIELD_LENGTHS.get(field)
    if limit is not None and len(value.strip()) > limit:
        raise CustomerError(f"{field}: at most {limit} characters, got {len(value.strip())}")


def _unapplied(session: Session, customer_id: int) -> dict[str, Money]:
    """Unapplied cash and unused credit of a customer, per currency."""
    used_cash = (
        select(func.coalesce(func.sum(Allocation.amount_minor), 0))
        .where(Allocation.payment_id == Payment.id, Allocation.reversed_at.is_(None))
        .scalar_subquery()
    )
    cash = select(Payment.currency, func.sum(Payment.amount_minor - used_cash)).where(
        Payment.customer_id == customer_id, Payment.reversed_at.is_(None)
    )
    used_credit = (
        select(func.coalesce(func.sum(Allocation.amount_minor), 0))
        .where(Allocation.credit_note_id == Invoice.id, Allocation.reversed_at.is_(None))
        .scalar_subquery()
    )
    credit = select(Invoice.currency, func.sum(Invoice.total_minor - used_credit)).where(
        Invoice.customer_id == customer_id,
        Invoice.kind == InvoiceKind.CREDIT_NOTE,
        Invoice.state == DocumentState.ISSUED,
    )
    amounts = [
        Money(int(total), currency)
        for stmt in (cash, credit)
        for currency, total in session.execute(stmt.group_by(stmt.selected_columns[0]))
        if total
    ]
    return sum_by_currency(amounts)


def _validate(data: CustomerInput) -> tuple[list[str], int | None]:
    if not data.code.strip():
        raise CustomerError("customer_id: a customer needs an id")
    if not data.name.strip():
        raise CustomerError("name: a customer needs a name")
    for field, value in (
        ("customer_id", data.code),
        ("name", data.name),
        ("phone", data.phone),
        ("segment", data.segment),
        ("vat_id", data.vat_id),
    ):
        _check_line(field, value)
    if data.country.strip() and not re.fullmatch(r"[A-Za-z]{2}", data.country.strip()):
        raise CustomerError(
            f"country: expected a two-letter ISO code such as DE, got {data.country!r}"
        )
    if len(data.language.strip()) > 10:
        raise CustomerError(
            f"language: expected a language code such as de or fr-CH, got {data.language!r}"
        )
    if not is_currency_code(data.currency.strip().upper()):
        raise CustomerError(f"currency: expected an ISO 4217 code, got {data.currency!r}")
    if data.payment_terms_days < 0:
        raise CustomerError("payment_terms_days: must not be negative")
    for contact in data.contacts:
        if contact.role not in CONTACT_ROLES:
            raise CustomerError(f"contact role: expected one of {', '.join(CONTACT_ROLES)}")
        if contact.email.strip() and not is_email_address(contact.email.strip()):
            raise CustomerError(f"email: {contact.email!r} is not an email address")
    try:
        ibans = [normalize_iban(i) for i in data.ibans if i.strip()]
    except ValueError as exc:
        raise CustomerError(f"iban: {exc}") from exc
    limit = None
    if data.credit_limit is not None:
        limit = to_minor(data.credit_limit, data.currency.strip().upper())
    return ibans, limit


def save_customer(uow: UnitOfWork, data: CustomerInput, customer_id: int | None = None) -> int:
    """Create a customer (``customer_id`` None) or update one; all fields at once.

    Returns:
        The customer's id.

    Raises:
        CustomerError: a field is invalid, the id is taken, or an IBAN belongs to another customer.
    """
    ibans, limit = _validate(data)
    with uow:
        session = uow.session
        clash = session.scalar(
            select(Customer.id).where(
                Customer.code == data.code.strip(), Customer.id != (customer_id or -1)
            )
        )
        if clash is not None:
            raise CustomerError(f"customer_id: {data.code!r} is already used by another customer")
        if customer_id is None:
            customer = Customer()
            session.add(customer)
            before = None
        else:
            found = session.get(Customer, customer_id)
            if found is None:
                raise CustomerError(f"there is no customer with id {customer_id}")
            customer = found
            before = {"name": customer.name, "code": customer.code}
        customer.code = data.code.strip()
        customer.name = data.name.strip()
        customer.currency = data.currency.strip().upper()
        customer.payment_terms_days = data.payment_terms_days
        customer.phone, customer.address = data.phone.strip(), data.address.strip()
        customer.country, customer.language = data.country.strip().upper(), data.language.strip()
        customer.segment, customer.vat_id = data.segment.strip(), data.vat_id.strip()
        customer.credit_limit_minor = limit
        customer.owner_id = data.owner_id
        customer.invoices_by_email = data.invoices_by_email
        customer.contacts = [
            Contact(name=c.name.strip(), email=c.email.strip(), phone=c.phone.strip(), role=c.role)
            for c in data.contacts
        ]
        kept = [row for row in customer.ibans if row.iban in ibans]
        known = {row.iban for row in kept}
        customer.ibans = kept + [
            CustomerIban(iban=i) for i in dict.fromkeys(ibans) if i not in known
        ]
        customer.aliases = [CustomerAlias(alias=a.strip()) for a in data.aliases if a.strip()]
        session.flush()
        action = "create" if before is None else "edit"
        record_audit(
            session, uow.actor, action, "customer", customer.id, before,
            {"name": customer.name, "code": customer.code},
        )  # fmt: skip
        uow.commit()
        return customer.id


def add_note(uow: UnitOfWork, customer_id: int, text: str) -> None:
    """Add an internal note to a customer's timeline, signed by the current user.

    Raises:
        CustomerError: an empty note or an unknown customer.
    """
    if not text.strip():
        raise CustomerError("note: write something first")
    with uow:
        if uow.session.get(Customer, customer_id) is None:
            raise CustomerError(f"there is no customer with id {customer_id}")
        record_activity(uow.session, customer_id, "note", text.strip(), author=uow.actor)
        uow.commit()


def list_users(uow: UnitOfWork) -> list[tuple[int, str]]:
    """The active people of the ledger as (id, name), for owner and assignee choices."""
    with uow:
        return [
            (u.id, u.name)
            for u in uow.session.scalars(select(User).where(User.active).order_by(User.name))
        ]


def add_user(uow: UnitOfWork, name: str, email: str = "") -> int:
    """Add a person who works in the ledger.

    Raises:
        CustomerError: no name given.
    """
    if not name.strip():
        raise CustomerError("name: a user needs a name")
    with uow:
        user = User(name=name.strip(), email=email.strip())
        uow.session.add(user)
        uow.session.flush()
        record_audit(uow.session, uow.actor, "create", "user", user.id, after={"name": user.name})
        uow.commit()
        return user.id


def list_contacts(uow: UnitOfWork, customer_id: int) -> list[tuple[int, ContactView]]:
    """A customer's contacts with their ids, in the order the customer shows them.

    For choosing one of them (the reminder contact of ``collection_actions``).

    Raises:
        CustomerError: there is no such customer.
    """
    with uow:
        customer = uow.session.get(Customer, customer_id)
        if customer is None:
            raise CustomerError(f"there is no customer with id {customer_id}")
        return [(c.id, ContactView(c.name, c.email, c.phone, c.role)) for c in customer.contacts]
