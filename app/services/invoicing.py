"""Invoicing: drafts, issuing with gapless numbers, voiding, credit notes, payments, write-offs.

Every function is one transaction: it commits everything it did or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.company import NumberSequence
from app.models.customer import Customer
from app.models.invoice import (
    QUANTITY_SCALE,
    DocumentState,
    HasLineAmounts,
    Invoice,
    InvoiceId,
    InvoiceKind,
    InvoiceLine,
    LineAmounts,
    compute_totals,
)
from app.models.money import Money, is_currency_code, to_minor
from app.models.payment import Allocation, AllocationKind, Payment, PaymentId
from app.services.audit import record_activity, record_audit
from app.services.clock import Clock
from app.services.customer_emails import queue_payment_receipts
from app.services.dto import DraftInvoice, DraftLine
from app.services.money_format import format_money
from app.services.promises import note_payments
from app.services.settings import format_number, load_settings
from app.services.uow import UnitOfWork


class InvoicingError(ValueError):
    """An invoicing action that the ledger's state does not allow; the message says why."""


def _exact_units(value: Decimal, scale: int, what: str, places: int) -> int:
    """``value`` x ``scale`` as an integer; more decimals than the ledger keeps are refused."""
    scaled = value * scale
    if scaled != scaled.to_integral_value():
        raise InvoicingError(f"{what} can have at most {places} decimal places, got {value}")
    return int(scaled)


def _percent_to_bp(value: Decimal, what: str) -> int:
    if not Decimal(0) <= value <= Decimal(100):
        raise InvoicingError(f"{what} must be between 0 and 100 percent, got {value}")
    return _exact_units(value, 100, what, 2)


def line_amounts(line: DraftLine, currency: str) -> LineAmounts:
    """A typed line in the integer units the ledger stores.

    Raises:
        InvoicingError: a negative quantity or price, or a percentage outside 0..100.
    """
    if line.quantity < 0 or line.unit_price < 0:
        raise InvoicingError(f"line {line.description!r}: quantity and price must not be negative")
    return LineAmounts(
        quantity_milli=_exact_units(line.quantity, QUANTITY_SCALE, "the quantity", 3),
        unit_price_minor=to_minor(line.unit_price, currency),
        discount_bp=_percent_to_bp(line.discount_percent, "the discount"),
        tax_rate_bp=_percent_to_bp(line.tax_rate_percent, "the tax rate"),
    )


def _customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise InvoicingError(f"there is no customer with id {customer_id}")
    return customer


def _invoice(session: Session, invoice_id: int, *, for_update: bool = False) -> Invoice:
    invoice = session.get(Invoice, invoice_id, with_for_update=for_update)
    if invoice is None:
        raise InvoicingError(f"there is no invoice with id {invoice_id}")
    return invoice


def _set_lines(invoice: Invoice, lines: Sequence[DraftLine]) -> None:
    amounts = [line_amounts(line, invoice.currency) for line in lines]
    invoice.lines = [
        InvoiceLine(position=i, description=line.description.strip(), **vars_of(amount))
        for i, (line, amount) in enumerate(zip(lines, amounts, strict=True))
    ]
    totals = compute_totals(amounts, invoice.currency)
    invoice.net_minor = totals.net_minor
    invoice.tax_minor = totals.tax_minor
    invoice.total_minor = totals.total_minor


def vars_of(amount: HasLineAmounts) -> dict[str, int]:
    """The stored columns of a line's amounts."""
    return {
        "quantity_milli": amount.quantity_milli,
        "unit_price_minor": amount.unit_price_minor,
        "discount_bp": amount.discount_bp,
        "tax_rate_bp": amount.tax_rate_bp,
    }


def _apply_draft(invoice: Invoice, customer: Customer, draft: DraftInvoice) -> None:
    currency = (draft.currency or customer.currency).upper()
    if not is_currency_code(currency):
        raise InvoicingError(f"not a currency code: {currency!r}")
    due = draft.due_date or draft.issue_date + timedelta(days=customer.payment_terms_days)
    if due < draft.issue_date:
        raise InvoicingError("the due date is before the issue date")
    invoice.customer_id = customer.id
    invoice.currency = currency
    invoice.issue_date = draft.issue_date
    invoice.due_date = due
    invoice.po_number = draft.po_number.strip()
    invoice.description = draft.description.strip()
    invoice.notes = draft.notes.strip()
    _set_lines(invoice, draft.lines)


def create_draft(uow: UnitOfWork, draft: DraftInvoice) -> InvoiceId:
    """Save a new draft invoice; it gets a number only when issued.

    Raises:
        InvoicingError: unknown customer, bad currency, due date before issue date, bad line.
    """
    with uow:
        customer = _customer(uow.session, draft.customer_id)
        invoice = Invoice(kind=InvoiceKind.INVOICE, state=DocumentState.DRAFT)
        _apply_draft(invoice, customer, draft)
        uow.session.add(invoice)
        uow.session.flush()
        record_audit(uow.session, uow.actor, "create", "invoice", invoice.id)
        uow.commit()
        return InvoiceId(invoice.id)


def update_draft(uow: UnitOfWork, invoice_id: int, draft: DraftInvoice) -> None:
    """Replace a draft's header and lines.

    Raises:
        InvoicingError: the invoice is no longer a draft, or the input is invalid.
    """
    with uow:
        invoice = _invoice(uow.session, invoice_id)
        if invoice.state != DocumentState.DRAFT:
            raise InvoicingError(f"invoice {invoice.number} is issued and can no longer be edited")
        before = {"total_minor": invoice.total_minor, "customer_id": invoice.customer_id}
        _apply_draft(invoice, _customer(uow.session, draft.customer_id), draft)
        after = {"total_minor": invoice.total_minor, "customer_id": invoice.customer_id}
        record_audit(uow.session, uow.actor, "edit", "invoice", invoice.id, before, after)
        uow.commit()


def next_number(session: Session, series: str, pattern: str, issue_date: date) -> str:
    """Take the next number of a series in the caller's transaction (gapless per year).

    Numbers already in the ledger (e.g. imported) are skipped, never reused.
    """
    row = session.scalars(
        select(NumberSequence).where(
            NumberSequence.series == series, NumberSequence.year == issue_date.year
        )
    ).one_or_none()
    if row is None:
        row = _first_of_year(session, series, issue_date.year)
    while True:
        number = format_number(pattern, issue_date, row.next_value)
        row.next_value += 1
        taken = session.scalar(select(func.count()).where(Invoice.number == number))
        if not taken:
            return number


def _first_of_year(session: Session, series: str, year: int) -> NumberSequence:
    """The series' row for a new year; if another writer created it a moment ago, that one."""
    try:
        with session.begin_nested():
            row = NumberSequence(series=series, year=year, next_value=1)
            session.add(row)
    except IntegrityError:
        row = session.scalars(
            select(NumberSequence).where(
                NumberSequence.series == series, NumberSequence.year == year
            )
        ).one()
    return row


def next_sequence_values(uow: UnitOfWork, year: int) -> dict[str, int]:
    """The next sequence number of each numbering series in ``year`` (1 when none was used).

    Shown as an example of the next number beside the number pattern in the settings.
    """
    with uow:
        rows = uow.session.execute(
            select(NumberSequence.series, NumberSequence.next_value).where(
                NumberSequence.year == year
            )
        ).all()
    values = {"invoice": 1, "credit_note": 1}
    values.update({series: int(value) for series, value in rows})
    return values


def issue_invoice(uow: UnitOfWork, invoice_id: int) -> str:
    """Issue a draft: it gets the next number and becomes an open receivable.

    Returns:
        The number it was given.

    Raises:
        InvoicingError: it is not a draft, has no lines or a total of zero.
    """
    settings = load_settings(uow)
    with uow:
        invoice = _invoice(uow.session, invoice_id)
        if invoice.state != DocumentState.DRAFT:
            raise InvoicingError(f"invoice {invoice.number or invoice.id} is already issued")
        if not invoice.lines or invoice.total_minor <= 0:
            raise InvoicingError("an invoice needs at least one line and a total above zero")
        number = next_number(
            uow.session, "invoice", settings["invoice.number_pattern"], invoice.issue_date
        )
        invoice.number = number
        invoice.state = DocumentState.ISSUED
        invoice.issued_at = utcnow()
        total = Money(invoice.total_minor, invoice.currency)
        record_audit(
            uow.session, uow.actor, "issue", "invoice", invoice.id, after={"number": number}
        )
        record_activity(
            uow.session,
            invoice.customer_id,
            "invoice",
            f"Invoice {number} issued for {format_money(total)}, "
            f"due {invoice.due_date.isoformat()}",
            invoice.id,
            uow.actor,
            on=invoice.issue_date,
        )
        uow.commit()
        return number


def _active_allocations(session: Session, invoice_id: int) -> list[Allocation]:
    return list(
        session.scalars(
            select(Allocation).where(
                Allocation.invoice_id == invoice_id, Allocation.reversed_at.is_(None)
            )
        )
    )


def open_minor(session: Session, invoice: Invoice) -> int:
    """What is still open on an invoice: its total less its active allocations."""
    allocated = session.scalar(
        select(func.coalesce(func.sum(Allocation.amount_minor), 0)).where(
            Allocation.invoice_id == invoice.id, Allocation.reversed_at.is_(None)
        )
    )
    return invoice.total_minor - int(allocated or 0)


def void_invoice(uow: UnitOfWork, invoice_id: int, reason: str) -> None:
    """Void a draft or an issued invoice nothing was allocated to; its number stays used.

    Raises:
        InvoicingError: money was already allocated to it (credit it instead) or no reason given.
    """
    if not reason.strip():
        raise InvoicingError("say why the invoice is voided")
    with uow:
        invoice = _invoice(uow.session, invoice_id)
        if invoice.state == DocumentState.VOID:
            raise InvoicingError(f"invoice {invoice.number or invoice.id} is already void")
        if invoice.is_credit_note and invoice.state == DocumentState.ISSUED:
            raise InvoicingError(
                f"credit note {invoice.number} is issued and cannot be voided; "
                "issue a new invoice to undo it"
            )
        if _active_allocations(uow.session, invoice.id):
            raise InvoicingError(
                f"invoice {invoice.number} has payments or credits; issue a credit note instead"
            )
        before = {"state": invoice.state}
        invoice.state = DocumentState.VOID
        invoice.void_reason = reason.strip()
        invoice.voided_at = utcnow()
        record_audit(
            uow.session, uow.actor, "void", "invoice", invoice.id, before, {"state": "void"}
        )
        if invoice.number:
            record_activity(
                uow.session,
                invoice.customer_id,
                "invoice",
                f"Invoice {invoice.number} voided: {reason.strip()}",
                invoice.id,
                uow.actor,
            )
        uow.commit()


def create_credit_note(
    uow: UnitOfWork,
    invoice_id: int,
    clock: Clock,
    reason: str,
    lines: Sequence[DraftLine] | None = None,
) -> tuple[InvoiceId, str]:
    """Issue a credit note against an invoice and set it against what is open.

    Args:
        uow: the unit of work.
        invoice_id: the invoice credited.
        clock: gives the credit note's date.
        reason: why, printed on the credit note.
        lines: the part credited; ``None`` credits the whole invoice line by line.

    Returns:
        The credit note's id and number. Any part beyond what is open stays as credit on the
        customer's account.

    Raises:
        InvoicingError: the invoice is not issued, or the credit exceeds the invoice total.
    """
    settings = load_settings(uow)
    today = clock.today()
    with uow:
        invoice = _invoice(uow.session, invoice_id)
        if invoice.state != DocumentState.ISSUED or invoice.is_credit_note:
            raise InvoicingError("only an issued invoice can be credited")
        note = Invoice(
            kind=InvoiceKind.CREDIT_NOTE,
            state=DocumentState.ISSUED,
            customer_id=invoice.customer_id,
            currency=invoice.currency,
            issue_date=today,
            due_date=today,
            credited_invoice_id=invoice.id,
            description=reason.strip() or f"Credit for invoice {invoice.number}",
            issued_at=utcnow(),
        )
        if lines is None:
            note.lines = [
                InvoiceLine(position=line.position, description=line.description, **vars_of(line))
                for line in invoice.lines
            ]
            note.net_minor, note.tax_minor = invoice.net_minor, invoice.tax_minor
            note.total_minor = invoice.total_minor
        else:
            _set_lines(note, lines)
        if note.total_minor <= 0:
            raise InvoicingError("a credit note needs an amount above zero")
        credited = _credited_minor(uow.session, invoice.id)
        if credited + note.total_minor > invoice.total_minor:
            raise InvoicingError(
                f"the credit ({Money(note.total_minor, note.currency)}) exceeds what is left to "
                f"credit on {invoice.number}"
                f" ({Money(invoice.total_minor - credited, invoice.currency)})"
            )
        note.number = next_number(
            uow.session, "credit_note", settings["invoice.credit_note_pattern"], today
        )
        uow.session.add(note)
        uow.session.flush()
        applied = min(note.total_minor, open_minor(uow.session, invoice))
        if applied > 0:
            uow.session.add(
                Allocation(
                    invoice_id=invoice.id,
                    kind=AllocationKind.CREDIT_NOTE,
                    amount_minor=applied,
                    currency=invoice.currency,
                    credit_note_id=note.id,
                    allocated_on=today,
                )
            )
            _verify_not_overallocated(uow.session, [invoice])
        record_audit(
            uow.session,
            uow.actor,
            "credit",
            "invoice",
            invoice.id,
            after={"credit_note": note.number},
        )
        record_activity(
            uow.session,
            invoice.customer_id,
            "credit_note",
            f"Credit note {note.number} for {format_money(Money(note.total_minor, note.currency))} "
            f"against {invoice.number}",
            invoice.id,
            uow.actor,
            on=today,
        )
        uow.commit()
        return InvoiceId(note.id), note.number


def _credited_minor(session: Session, invoice_id: int) -> int:
    """The totals of every issued credit note against an invoice, used or not."""
    total = session.scalar(
        select(func.coalesce(func.sum(Invoice.total_minor), 0)).where(
            Invoice.credited_invoice_id == invoice_id,
            Invoice.kind == InvoiceKind.CREDIT_NOTE,
            Invoice.state == DocumentState.ISSUED,
        )
    )
    return int(total or 0)


def _verify_not_overallocated(session: Session, invoices: Iterable[Invoice]) -> None:
    """Check, inside the writing transaction, that no open amount went below zero.

    The checks before writing read what was committed then; a payment recorded by another
    window or process in between would otherwise over-allocate. Once this transaction has
    written, SQLite holds the write lock, so what it reads now is final.
    """
    session.flush()
    for invoice in {i.id: i for i in invoices}.values():
        if open_minor(session, invoice) < 0:
            raise InvoicingError(
                f"invoice {invoice.number} was paid or credited elsewhere at the same time; "
                "nothing was saved, look at it again"
            )


def _check_allocations(
    session: Session,
    customer_id: int | None,
    currency: str,
    allocations: Iterable[tuple[int, Money]],
) -> list[tuple[Invoice, Money]]:
    checked: list[tuple[Invoice, Money]] = []
    for invoice_id, amount in allocations:
        invoice = _invoice(session, invoice_id, for_update=True)
        label = invoice.number or str(invoice.id)
        if invoice.state != DocumentState.ISSUED or invoice.is_credit_note:
            raise InvoicingError(f"invoice {label} is not an issued invoice")
        if customer_id is not None and invoice.customer_id != customer_id:
            raise InvoicingError(f"invoice {label} belongs to another customer")
        if amount.currency != currency or invoice.currency != currency:
            raise InvoicingError(f"invoice {label} is in {invoice.currency}, not {currency}")
        if amount.minor <= 0:
            raise InvoicingError(f"the amount for {label} must be above zero")
        still_open = open_minor(session, invoice) - sum(
            a.minor for inv, a in checked if inv.id == invoice.id
        )
        if amount.minor > still_open:
            raise InvoicingError(
                f"{amount} is more than the {Money(still_open, currency)} open on {label}"
            )
        checked.append((invoice, amount))
    return checked


def record_payment(
    uow: UnitOfWork,
    customer_id: int | None,
    amount: Money,
    received_on: date,
    allocations: Sequence[tuple[int, Money]] = (),
    reference: str = "",
    method: str = "bank transfer",
    source: str = "app",
) -> PaymentId:
    """Record money received and allocate it to one or several invoices.

    What is not allocated stays on the customer's account as unapplied cash.

    Raises:
        InvoicingError: an allocation exceeds what is open, the allocations exceed the payment,
            or currencies or customers do not match.
    """
    if amount.minor <= 0:
        raise InvoicingError("a payment must be above zero")
    if sum(a.minor for _, a in allocations) > amount.minor:
        raise InvoicingError(f"the allocations add up to more than the payment of {amount}")
    with uow:
        if customer_id is not None:
            _customer(uow.session, customer_id)
        checked = _check_allocations(uow.session, customer_id, amount.currency, allocations)
        payment = Payment(
            customer_id=customer_id,
            received_on=received_on,
            amount_minor=amount.minor,
            currency=amount.currency,
            reference=reference,
            method=method,
            source=source,
        )
        uow.session.add(payment)
        uow.session.flush()
        for invoice, part in checked:
            uow.session.add(
                Allocation(
                    invoice_id=invoice.id,
                    kind=AllocationKind.CASH,
                    amount_minor=part.minor,
                    currency=part.currency,
                    payment_id=payment.id,
                    allocated_on=received_on,
                )
            )
        _verify_not_overallocated(uow.session, [invoice for invoice, _ in checked])
        record_audit(
            uow.session,
            uow.actor,
            "record",
            "payment",
            payment.id,
            after={"amount": str(amount), "invoices": [i.number for i, _ in checked]},
        )
        if customer_id is not None:
            numbers = ", ".join(str(i.number) for i, _ in checked) or "no invoice yet"
            record_activity(
                uow.session,
                customer_id,
                "payment",
                f"Payment of {format_money(amount)} received ({numbers})",
                checked[0][0].id if checked else None,
                uow.actor,
                on=received_on,
            )
            note_payments(uow.session, uow.actor, [customer_id])
            queue_payment_receipts(uow.session, uow.actor, [payment.id])
        uow.commit()
        return PaymentId(payment.id)


def reverse_payment(uow: UnitOfWork, payment_id: int) -> None:
    """Undo a payment: it and its allocations are marked reversed and the invoices reopen.

    Raises:
        InvoicingError: there is no such payment or it was already reversed.
    """
    with uow:
        reverse_payment_in(uow.session, uow.actor, payment_id)
        uow.commit()


def reverse_payment_in(session: Session, actor: str, payment_id: int) -> None:
    """Reverse a payment inside the caller's transaction (see :func:`reverse_payment`).

    Raises:
        InvoicingError: there is no such payment or it was already reversed.
    """
    payment = session.get(Payment, payment_id)
    if payment is None or payment.reversed_at is not None:
        raise InvoicingError(f"payment {payment_id} does not exist or is already reversed")
    now = utcnow()
    payment.reversed_at = now
    for allocation in payment.allocations:
        if allocation.reversed_at is None:
            allocation.reversed_at = now
    record_audit(session, actor, "reverse", "payment", payment.id)
    if payment.customer_id is not None:
        amount = Money(payment.amount_minor, payment.currency)
        record_activity(
            session, payment.customer_id, "payment",
            f"Payment of {format_money(amount)} undone",
            author=actor,
        )  # fmt: skip


def write_off(uow: UnitOfWork, invoice_id: int, amount: Money, on: date, reason: str) -> None:
    """Write off part or all of what is open on an invoice (a bank fee, a small short pay).

    Raises:
        InvoicingError: the amount exceeds what is open or is in another currency.
    """
    with uow:
        [(invoice, part)] = _check_allocations(
            uow.session, None, amount.currency, [(invoice_id, amount)]
        )
        uow.session.add(
            Allocation(
                invoice_id=invoice.id,
                kind=AllocationKind.WRITE_OFF,
                amount_minor=part.minor,
                currency=part.currency,
                allocated_on=on,
                note=reason.strip(),
            )
        )
        _verify_not_overallocated(uow.session, [invoice])
        record_audit(
            uow.session, uow.actor, "write_off", "invoice", invoice.id, after={"amount": str(part)}
        )
        record_activity(
            uow.session,
            invoice.customer_id,
            "write_off",
            f"Wrote off {format_money(part)} on {invoice.number}: {reason.strip()}",
            invoice.id,
            uow.actor,
            on=on,
        )
        uow.commit()
