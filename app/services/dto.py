"""Plain, frozen values that services hand to the window, the command line and tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from app.models.invoice import Frequency, InvoiceStatus
from app.models.money import Money


@dataclass(frozen=True)
class OpResult:
    """What a change touched, so views refresh only that (``{"invoices", "customers"}``)."""

    changes: frozenset[str]
    message: str = ""


@dataclass(frozen=True)
class DraftLine:
    """A line as the user types it: decimal quantity, price, discount and tax in percent."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate_percent: Decimal = Decimal(0)
    discount_percent: Decimal = Decimal(0)


@dataclass(frozen=True)
class DraftInvoice:
    """Everything a draft invoice holds before it is issued."""

    customer_id: int
    issue_date: date
    lines: tuple[DraftLine, ...]
    due_date: date | None = None
    currency: str | None = None
    po_number: str = ""
    description: str = ""
    notes: str = ""


@dataclass(frozen=True)
class LineView:
    """An invoice line with its computed net amount."""

    description: str
    quantity: Decimal
    unit_price: Money
    discount_percent: Decimal
    tax_rate_percent: Decimal
    net: Money


@dataclass(frozen=True)
class AllocationView:
    """One allocation to an invoice, as shown in its detail."""

    id: int
    kind: str
    amount: Money
    allocated_on: date
    source: str
    reversed: bool


@dataclass(frozen=True)
class InvoiceRow:
    """A row of the invoice list."""

    id: int
    number: str
    kind: str
    customer_id: int
    customer_name: str
    issue_date: date
    due_date: date
    total: Money
    open_amount: Money
    status: InvoiceStatus
    days_overdue: int


@dataclass(frozen=True)
class InvoiceDetail:
    """One invoice or credit note with everything the editor and the PDF need."""

    id: int
    number: str
    kind: str
    state: str
    status: InvoiceStatus
    customer_id: int
    customer_code: str
    customer_name: str
    customer_address: str
    customer_country: str
    customer_vat_id: str
    currency: str
    issue_date: date
    due_date: date
    po_number: str
    description: str
    notes: str
    lines: tuple[LineView, ...]
    net: Money
    tax_by_rate: tuple[tuple[Decimal, Money, Money], ...]
    tax: Money
    total: Money
    open_amount: Money
    allocations: tuple[AllocationView, ...]
    credited_invoice_number: str = ""
    void_reason: str = ""


@dataclass(frozen=True)
class CustomerRow:
    """A row of the customer list, with open and overdue balances per currency."""

    id: int
    code: str
    name: str
    country: str
    segment: str
    currency: str
    email: str
    open_by_currency: dict[str, Money] = field(default_factory=dict)
    overdue_by_currency: dict[str, Money] = field(default_factory=dict)


@dataclass(frozen=True)
class ContactView:
    """A contact person at a customer."""

    name: str
    email: str
    phone: str
    role: str


@dataclass(frozen=True)
class TimelineEntry:
    """One event on a customer's timeline."""

    occurred_at: datetime
    kind: str
    summary: str
    author: str


@dataclass(frozen=True)
class RecurringRow:
    """A recurring invoice: what it bills, how often, and when the next copy is issued."""

    id: int
    customer_id: int
    customer_name: str
    name: str
    frequency: Frequency
    next_date: date
    end_date: date | None
    active: bool
    total: Money


@dataclass(frozen=True)
class CustomerDetail:
    """A customer with contacts, payer accounts, open invoices and timeline."""

    id: int
    code: str
    name: str
    currency: str
    payment_terms_days: int
    phone: str
    address: str
    country: str
    language: str
    segment: str
    vat_id: str
    credit_limit: Money | None
    owner: str
    contacts: tuple[ContactView, ...]
    ibans: tuple[str, ...]
    aliases: tuple[str, ...]
    open_invoices: tuple[InvoiceRow, ...]
    timeline: tuple[TimelineEntry, ...]
    open_by_currency: dict[str, Money]
    #: Money of the customer's not yet set against an invoice: the rest of payments that were
    #: more than what they paid, and credit notes beyond what was open. Per currency.
    unapplied_by_currency: dict[str, Money] = field(default_factory=dict)
    #: The customer's recurring invoices that still issue copies, next one first.
    recurring: tuple[RecurringRow, ...] = ()
    #: Its recurring invoices are emailed with their PDF to the billing contact when issued.
    invoices_by_email: bool = False
