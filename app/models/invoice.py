"""Invoices, credit notes, their lines, and recurring invoice templates.

An invoice's document totals (net, tax, total) are fixed when its lines are saved; what is still
open is never stored but derived from its allocations (see ``app.models.payment``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NewType, Protocol

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UtcDateTime, utcnow
from app.models.customer import Customer
from app.models.money import round_money, to_decimal, to_minor

InvoiceId = NewType("InvoiceId", int)

#: Quantities are stored in thousandths, so ``1.5`` hours is ``1500``.
QUANTITY_SCALE = 1000


class InvoiceKind(enum.StrEnum):
    """An invoice asks for money; a credit note gives some back against an invoice."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class DocumentState(enum.StrEnum):
    """The stored life-cycle state; payment states are derived from allocations."""

    DRAFT = "draft"
    ISSUED = "issued"
    VOID = "void"


class InvoiceStatus(enum.StrEnum):
    """The status a user sees, derived from the document state, allocations and today."""

    DRAFT = "draft"
    OPEN = "open"
    PARTIALLY_PAID = "partially paid"
    PAID = "paid"
    OVERDUE = "overdue"
    VOID = "void"
    CREDITED = "credited"
    CREDIT_NOTE = "credit note"


class Frequency(enum.StrEnum):
    """How often a recurring invoice is issued."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class LineColumns:
    """Columns shared by invoice lines and recurring template lines."""

    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(Text, default="")
    quantity_milli: Mapped[int] = mapped_column(Integer, default=QUANTITY_SCALE)
    unit_price_minor: Mapped[int] = mapped_column(Integer, default=0)
    discount_bp: Mapped[int] = mapped_column(Integer, default=0)
    tax_rate_bp: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(Base):
    """An invoice or a credit note; a draft has no number until it is issued."""

    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_due_date", "due_date"),
        Index("ix_invoices_issue_date", "issue_date"),
        Index("ix_invoices_customer_due", "customer_id", "due_date"),
        # One copy per recurring template and period, whatever runs at the same time.
        UniqueConstraint("recurring_template_id", "issue_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(50), unique=True, nullable=True)
    kind: Mapped[str] = mapped_column(String(20), default=InvoiceKind.INVOICE)
    state: Mapped[str] = mapped_column(String(20), default=DocumentState.DRAFT)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    net_minor: Mapped[int] = mapped_column(Integer, default=0)
    tax_minor: Mapped[int] = mapped_column(Integer, default=0)
    total_minor: Mapped[int] = mapped_column(Integer, default=0)
    po_number: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    credited_invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoices.id"), nullable=True, index=True
    )
    recurring_template_id: Mapped[int | None] = mapped_column(
        ForeignKey("recurring_templates.id"), nullable=True
    )
    source: Mapped[str] = mapped_column(String(20), default="app")
    void_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    voided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    customer: Mapped[Customer] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.position"
    )

    @property
    def is_credit_note(self) -> bool:
        """Whether this document is a credit note."""
        return self.kind == InvoiceKind.CREDIT_NOTE


class InvoiceLine(LineColumns, Base):
    """One line of an invoice: quantity x unit price, less a discount, at a tax rate."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class RecurringTemplate(Base):
    """An invoice issued again on a schedule; ``next_date`` is the issue date of the next copy."""

    __tablename__ = "recurring_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    currency: Mapped[str] = mapped_column(String(3))
    frequency: Mapped[str] = mapped_column(String(20), default=Frequency.MONTHLY)
    next_date: Mapped[date] = mapped_column(Date)
    #: The day of the month copies fall on (31 = the month's last day in shorter months).
    anchor_day: Mapped[int] = mapped_column(Integer, default=1)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    payment_terms_days: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)

    customer: Mapped[Customer] = relationship()
    lines: Mapped[list[RecurringTemplateLine]] = relationship(
        cascade="all, delete-orphan", order_by="RecurringTemplateLine.position"
    )


class RecurringTemplateLine(LineColumns, Base):
    """A line copied onto every invoice a recurring template issues."""

    __tablename__ = "recurring_template_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("recurring_templates.id"), index=True)


class HasLineAmounts(Protocol):
    """Anything with the four stored amounts of a line (a dataclass or an ORM row)."""

    @property
    def quantity_milli(self) -> int:
        """Quantity in thousandths."""
        ...

    @property
    def unit_price_minor(self) -> int:
        """Unit price in minor units."""
        ...

    @property
    def discount_bp(self) -> int:
        """Discount in basis points."""
        ...

    @property
    def tax_rate_bp(self) -> int:
        """Tax rate in basis points."""
        ...


@dataclass(frozen=True, slots=True)
class LineAmounts:
    """The input of one line in plain values."""

    quantity_milli: int
    unit_price_minor: int
    discount_bp: int
    tax_rate_bp: int


@dataclass(frozen=True, slots=True)
class DocumentTotals:
    """Net, tax per rate (basis points → minor units) and total of a set of lines."""

    net_minor: int
    tax_by_rate: dict[int, int]
    net_by_rate: dict[int, int]

    @property
    def tax_minor(self) -> int:
        """All tax."""
        return sum(self.tax_by_rate.values())

    @property
    def total_minor(self) -> int:
        """Net plus tax."""
        return self.net_minor + self.tax_minor


def line_net_minor(line: HasLineAmounts, currency: str) -> int:
    """A line's net amount: quantity x unit price less the discount, rounded half up."""
    unit = to_decimal(line.unit_price_minor, currency)
    quantity = Decimal(line.quantity_milli) / QUANTITY_SCALE
    discount = Decimal(line.discount_bp) / 10000
    return to_minor(quantity * unit * (1 - discount), currency)


def compute_totals(lines: Iterable[HasLineAmounts], currency: str) -> DocumentTotals:
    """Totals of a document; tax is computed once per rate on the rate's net sum (EU practice)."""
    net_by_rate: dict[int, int] = {}
    for line in lines:
        net_by_rate[line.tax_rate_bp] = net_by_rate.get(line.tax_rate_bp, 0) + line_net_minor(
            line, currency
        )
    tax_by_rate = {
        rate: to_minor(
            round_money(to_decimal(net, currency) * Decimal(rate) / 10000, currency), currency
        )
        for rate, net in net_by_rate.items()
    }
    return DocumentTotals(sum(net_by_rate.values()), tax_by_rate, net_by_rate)


def derive_status(
    state: str, total_minor: int, paid_minor: int, credited_minor: int, due_date: date, today: date
) -> InvoiceStatus:
    """The status a user sees.

    Args:
        state: the stored :class:`DocumentState`.
        total_minor: the document total.
        paid_minor: everything allocated to it (cash, credit notes, write-offs).
        credited_minor: the part of ``paid_minor`` that came from credit notes.
        due_date: when it falls due.
        today: the date the status is seen on.
    """
    if state != DocumentState.ISSUED:
        return InvoiceStatus.DRAFT if state == DocumentState.DRAFT else InvoiceStatus.VOID
    open_minor = total_minor - paid_minor
    if open_minor <= 0:
        if credited_minor > 0 and credited_minor >= total_minor:
            return InvoiceStatus.CREDITED
        return InvoiceStatus.PAID
    if due_date < today:
        return InvoiceStatus.OVERDUE
    if paid_minor > 0:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.OPEN
