"""Emailing an invoice or a credit note with its PDF, by hand or for recurring copies.

A person sends an issued invoice from the editor (:func:`queue_document_email`, then
:func:`send_now`); the daily pass queues the recurring copies of customers who receive their
invoices by email (:func:`queue_recurring_emails`), both those it just issued and any recent one
whose email a run that stopped half-way never queued. The email is written from the shipped
``invoice`` or ``credit_note`` template in the customer's language and queued in the outbox with
``attach_invoices``, so the outbox sender attaches the PDF when it sends. Receipts for payments
are queued by :func:`queue_payment_receipts` (see :mod:`app.services.customer_emails`).

Besides the placeholders of every customer email, these templates see ``document.number``,
``document.issue_date``, ``document.due_date``, ``document.total``, ``document.open``,
``document.reference`` (the RF creditor reference, ``""`` on a credit note),
``document.po_number``, ``document.credits`` (the invoice a credit note credits),
``document.attachment`` (the PDF's file name) and ``payment_link`` (``""`` when none is set).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parseaddr
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models.activity import Activity
from app.models.collections import OutboxItem
from app.models.customer import Customer
from app.models.invoice import DocumentState, Invoice, InvoiceKind
from app.services.audit import record_activity
from app.services.customer_emails import (
    Addressee,
    CustomerEmailError,
    add_outbox_item,
    addressee,
    common_fields,
    ledger_values,
    queue_payment_receipts,
    render_shipped,
)
from app.services.dto import InvoiceDetail
from app.services.iban import creditor_reference
from app.services.invoice_queries import get_invoice
from app.services.invoicing import InvoicingError
from app.services.mail.message import MessageError, split_addresses
from app.services.mail.outbox_sender import SendReport, send_outbox
from app.services.mail.password import load_password
from app.services.money_format import format_date, format_money
from app.services.pdf_invoices import PdfError, invoice_payment_link, invoice_pdf_name
from app.services.reminders.sandbox import RenderedEmail, TemplateError
from app.services.text_checks import is_email_address
from app.services.uow import UnitOfWork

__all__ = [
    "DocumentEmailError",
    "DocumentEmailPreview",
    "parse_recipients",
    "preview_document_email",
    "queue_document_email",
    "queue_issued_invoice_emails",
    "queue_payment_receipts",
    "queue_recurring_emails",
    "send_now",
    "sent_words",
]


#: How far back (by when they were issued) the daily pass looks for recurring copies whose email
#: was never queued. Far enough to cover a pass that stopped and a laptop closed for weeks; near
#: enough that switching a customer to invoices by email does not send them their history.
RECENT_COPY_DAYS = 30


class DocumentEmailError(CustomerEmailError):
    """An invoice or credit note that cannot be emailed; the message says why and what to do."""


@dataclass(frozen=True)
class DocumentFields:
    """The invoice or credit note as a template sees it, dates and amounts formatted."""

    number: str
    issue_date: str
    due_date: str
    total: str
    open: str
    reference: str
    po_number: str
    credits: str
    attachment: str


@dataclass(frozen=True)
class DocumentEmailPreview:
    """What the send dialog shows before anything is queued.

    Attributes:
        invoice_id: the document.
        number: its number.
        what: ``"invoice"`` or ``"credit note"``.
        customer_name: the customer's name.
        to: the billing contacts' addresses; empty when the customer has none.
        subject: the email's subject.
        body_text: the email's text body.
        attachment: the PDF's file name.
    """

    invoice_id: int
    number: str
    what: str
    customer_name: str
    to: tuple[str, ...]
    subject: str
    body_text: str
    attachment: str


def _what(detail: InvoiceDetail) -> str:
    return "credit note" if detail.kind == InvoiceKind.CREDIT_NOTE else "invoice"


def _sendable(uow: UnitOfWork, invoice_id: int, today: date) -> InvoiceDetail:
    """The document, if it may be emailed: issued, not a draft and not void."""
    try:
        detail = get_invoice(uow, invoice_id, today)
    except InvoicingError as exc:
        raise DocumentEmailError(str(exc)) from exc
    if detail.state == DocumentState.DRAFT:
        raise DocumentEmailError(
            f"The draft {_what(detail)} for {detail.customer_name} cannot be emailed: "
            "issue it first, so that it has a number."
        )
    if detail.state == DocumentState.VOID:
        raise DocumentEmailError(
            f"{_what(detail).capitalize()} {detail.number} is void and is not emailed."
        )
    return detail


def _person(session: Session, detail: InvoiceDetail, values: Mapping[str, str]) -> Addressee:
    customer = session.get(Customer, detail.customer_id)
    if customer is None:  # pragma: no cover - a document always has its customer
        raise DocumentEmailError(f"there is no customer with id {detail.customer_id}")
    return addressee(customer, values["company.country"])


def _render(
    detail: InvoiceDetail, person: Addressee, values: Mapping[str, str], today: date
) -> RenderedEmail:
    locale = person.locale
    credit = detail.kind == InvoiceKind.CREDIT_NOTE
    try:
        link = invoice_payment_link(detail, values["invoice.payment_link"])
    except PdfError:
        link = ""  # a link template the settings would refuse today; the PDF says so too
    fields: dict[str, Any] = common_fields(person, values, today) | {
        "document": DocumentFields(
            number=detail.number,
            issue_date=format_date(detail.issue_date, locale),
            due_date=format_date(detail.due_date, locale),
            total=format_money(detail.total, locale),
            open=format_money(detail.open_amount, locale),
            reference="" if credit else creditor_reference(detail.number),
            po_number=detail.po_number,
            credits=detail.credited_invoice_number,
            attachment=invoice_pdf_name(detail),
        ),
        "payment_link": link,
    }
    name = "credit_note" if credit else "invoice"
    try:
        return render_shipped(name, person.language, fields, fields)
    except TemplateError as exc:
        raise DocumentEmailError(f"The email could not be written: {exc}") from exc


def parse_recipients(text: str) -> tuple[str, ...]:
    """The addresses a person typed: ``"a@x.com, Anna <b@y.com>; c@z.com"``, once each.

    Raises:
        DocumentEmailError: a line break, something that is not an address, or no address.
    """
    try:
        split_addresses(text)  # refuses line breaks
    except MessageError as exc:
        raise DocumentEmailError(str(exc)) from exc
    addresses: list[str] = []
    for piece in (p.strip() for p in re.split(r"[,;]", text)):
        if not piece:
            continue
        address = parseaddr(piece)[1]
        if not is_email_address(address) or ("<" not in piece and address != piece):
            raise DocumentEmailError(
                f"To: {piece!r} is not an email address (expected name@example.com)."
            )
        addresses.append(address)
    if not addresses:
        raise DocumentEmailError("To: enter at least one email address.")
    return tuple(dict.fromkeys(addresses))


def _recipients(to: str | None, person: Addressee) -> tuple[str, ...]:
    """The addresses typed in ``to``, else the billing contacts'."""
    if to is not None:
        return parse_recipients(to)
    if not person.to:
        raise DocumentEmailError(
            f"{person.name} has no email address: add a contact with an email address "
            "to the customer, or type an address to send to."
        )
    return person.to


def preview_document_email(uow: UnitOfWork, invoice_id: int, today: date) -> DocumentEmailPreview:
    """The email an invoice or credit note would be sent with, without queueing it.

    Raises:
        DocumentEmailError: no such document, or it is a draft or void.
    """
    detail = _sendable(uow, invoice_id, today)
    with uow:
        values = ledger_values(uow.session)
        person = _person(uow.session, detail, values)
    email = _render(detail, person, values, today)
    return DocumentEmailPreview(
        invoice_id=detail.id,
        number=detail.number,
        what=_what(detail),
        customer_name=detail.customer_name,
        to=person.to,
        subject=email.subject,
        body_text=email.body_text,
        attachment=invoice_pdf_name(detail),
    )


def _next_key(session: Session, invoice_id: int) -> str:
    """``document:<id>:<n>``: every deliberate send of a document is an outbox item of its own."""
    count = session.scalar(
        select(func.count())
        .select_from(OutboxItem)
        .where(OutboxItem.key.like(f"document:{invoice_id}:%"))
    )
    return f"document:{invoice_id}:{int(count or 0) + 1}"


def _first_key(invoice_id: int) -> str:
    return f"document:{invoice_id}:1"


def _queue(
    session: Session,
    actor: str,
    detail: InvoiceDetail,
    person: Addressee,
    to: tuple[str, ...],
    values: Mapping[str, str],
    today: date,
    key: str | None = None,
) -> int:
    email = _render(detail, person, values, today)
    kind = "credit_note" if detail.kind == InvoiceKind.CREDIT_NOTE else "invoice"
    return add_outbox_item(
        session,
        actor,
        key=key or _next_key(session, detail.id),
        kind=kind,
        person=person,
        to=to,
        email=email,
        invoice_ids=[detail.id],
        attach_invoices=True,
        send_after=today,
        timeline=(
            f"{_what(detail).capitalize()} {detail.number} queued for email to {', '.join(to)}"
        ),
    )


def queue_document_email(
    uow: UnitOfWork, invoice_id: int, today: date, to: str | None = None
) -> int:
    """Queue an issued invoice or credit note for email, with its PDF attached when it is sent.

    Each call queues one email, also for a document emailed before: a person sends it again
    deliberately.

    Args:
        uow: the unit of work.
        invoice_id: the invoice or credit note.
        today: the day it may be sent from.
        to: addresses to send to (``"a@x.com, b@y.com"``) instead of the billing contacts'.

    Returns:
        The outbox item's id.

    Raises:
        DocumentEmailError: no such document, it is a draft or void, an address in ``to`` is not
            one, or the customer has no email address (the message names the customer).
    """
    detail = _sendable(uow, invoice_id, today)
    with uow:
        session = uow.session
        values = ledger_values(session)
        person = _person(session, detail, values)
        item_id = _queue(session, uow.actor, detail, person, _recipients(to, person), values, today)
        uow.commit()
        return item_id


def queue_issued_invoice_emails(
    uow: UnitOfWork, invoice_numbers_or_ids: Iterable[str | int], today: date
) -> int:
    """Queue the issued documents of customers who receive their invoices by email.

    Called with the recurring copies a pass just issued. A document already queued for email
    once is left alone, so a pass run again queues nothing twice, nor do two passes at the same
    moment (the window's and a cron job's): each document's first email has one outbox key, and
    the pass that finds it taken looks again and leaves that document alone. A customer without
    an email address gets a note on the timeline instead, once per document.

    Args:
        uow: the unit of work.
        invoice_numbers_or_ids: invoice numbers (``"INV-2026-00042"``) or ids.
        today: the day they may be sent from.

    Returns:
        How many emails were queued.
    """
    wanted = list(invoice_numbers_or_ids)
    if not wanted:
        return 0
    try:
        return _queue_first_emails(uow, wanted, today)
    except IntegrityError:
        # Another pass queued one of them since this one looked; it is left alone now.
        return _queue_first_emails(uow, wanted, today)


def _queue_first_emails(uow: UnitOfWork, wanted: list[str | int], today: date) -> int:
    ids = {w for w in wanted if isinstance(w, int)}
    numbers = [w for w in wanted if isinstance(w, str)]
    with uow:
        session = uow.session
        if numbers:
            ids.update(session.scalars(select(Invoice.id).where(Invoice.number.in_(numbers))))
        chosen = list(
            session.scalars(
                select(Invoice.id)
                .join(Customer, Customer.id == Invoice.customer_id)
                .where(
                    Invoice.id.in_(ids),
                    Invoice.state == DocumentState.ISSUED,
                    Customer.invoices_by_email.is_(True),
                )
                .order_by(Invoice.id)
            )
        )
        # A document's first email is always "document:<id>:1" (see _next_key).
        emailed = set(
            session.scalars(
                select(OutboxItem.key).where(OutboxItem.key.in_([_first_key(i) for i in chosen]))
            )
        )
    details = [get_invoice(uow, i, today) for i in chosen if _first_key(i) not in emailed]
    if not details:
        return 0
    queued = 0
    with uow:
        session = uow.session
        values = ledger_values(session)
        for detail in details:
            person = _person(session, detail, values)
            if not person.to:
                if not _noted_without_address(session, detail):
                    words = f"{_NOT_EMAILED} {person.name} has no email address"
                    record_activity(
                        session, detail.customer_id, "invoice",
                        f"Invoice {detail.number} {words}", detail.id, uow.actor,
                    )  # fmt: skip
                continue
            key = _first_key(detail.id)
            _queue(session, uow.actor, detail, person, person.to, values, today, key)
            queued += 1
        uow.commit()
    return queued


#: The words of the timeline note on a document that could not be emailed.
_NOT_EMAILED = "not emailed:"


def _noted_without_address(session: Session, detail: InvoiceDetail) -> bool:
    """Whether the timeline already says this document was not emailed for want of an address."""
    return (
        session.scalar(
            select(Activity.id)
            .where(
                Activity.customer_id == detail.customer_id,
                Activity.invoice_id == detail.id,
                Activity.kind == "invoice",
                Activity.summary.contains(f" {_NOT_EMAILED} "),
            )
            .limit(1)
        )
        is not None
    )


def queue_recurring_emails(
    uow: UnitOfWork,
    today: date,
    issued: Iterable[str | int] = (),
    *,
    within_days: int = RECENT_COPY_DAYS,
) -> int:
    """Queue the recurring copies whose email is due: those just issued and any left behind.

    Issuing the copies and queueing their emails are two transactions (a pass issues many copies
    at once, and an email that cannot be written must not stop the invoices). A run that stops
    between them (a crash, the laptop closed, the window's catch-up cut short) leaves copies
    issued but never emailed; so the daily pass also queues every recurring copy of a customer
    who receives invoices by email that was issued in the last ``within_days`` days (by when
    Duebook issued it, not its date) and has never been queued for email. A copy emailed once,
    by the pass or by hand, is left alone, so running it again queues nothing twice.

    Args:
        uow: the unit of work.
        today: the day of the pass; the emails may be sent from it.
        issued: the numbers or ids of the copies the pass just issued.
        within_days: how far back to look for copies left behind.

    Returns:
        How many emails were queued.
    """
    since = datetime.combine(today - timedelta(days=within_days), time.min, tzinfo=UTC)
    with uow:
        recent = list(
            uow.session.scalars(
                select(Invoice.id)
                .join(Customer, Customer.id == Invoice.customer_id)
                .where(
                    Invoice.recurring_template_id.is_not(None),
                    Invoice.kind == InvoiceKind.INVOICE,
                    Invoice.state == DocumentState.ISSUED,
                    Invoice.issued_at >= since,
                    Customer.invoices_by_email.is_(True),
                )
            )
        )
    return queue_issued_invoice_emails(uow, [*issued, *recent], today)


def send_now(
    uow: UnitOfWork,
    item_id: int,
    today: date,
    *,
    password_lookup: Callable[[str, str], str | None] = load_password,
) -> str:
    """Send one queued document email at once; what became of it, in words.

    Returns:
        ``"Sent invoice INV-… to a@x.com."``, or why it waits or failed, for example ``"The
        invoice waits in the outbox: email is not set up: enter the SMTP server in Settings →
        Email"``.
    """
    report = send_outbox(uow, today, only=[item_id], password_lookup=password_lookup)
    with uow:
        item = uow.session.get(OutboxItem, item_id)
        if item is None:
            raise DocumentEmailError(f"outbox item {item_id} does not exist")
        kind, to, last_error = item.kind, item.to_addrs, item.last_error
    return sent_words(report, item_id, kind, to, last_error)


#: What became of one email, by the state the sender reports for it.
_OUTCOMES = {
    "sent": "Sent the {what} to {to}.",
    "failed": "The {what} was not sent: {reason}. It is in the Outbox, marked failed.",
    "retrying": "The {what} waits in the outbox: {reason}. Duebook tries again in a few minutes.",
    "unknown": (
        "The {what} may have been sent: {reason}. Check with the customer before you send it "
        "again (Outbox)."
    ),
}


def sent_words(report: SendReport, item_id: int, kind: str, to: str, last_error: str) -> str:
    """What a send of one outbox item came to, in a bookkeeper's words."""
    what = {"credit_note": "credit note", "receipt": "receipt"}.get(kind, "invoice")
    outcome = _OUTCOMES.get(report.states.get(item_id, ""))
    if outcome is not None:
        return outcome.format(what=what, to=to, reason=last_error.rstrip("."))
    if report.busy:
        return f"The {what} waits in the outbox: another Duebook is sending; it goes out next."
    if report.problem:
        return f"The {what} waits in the outbox: {report.problem}"
    return f"The {what} waits in the outbox; it goes out with the next send."
