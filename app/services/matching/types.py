"""The values the matcher reads and the proposals it returns.

The matcher works on a snapshot of the ledger (customers as payers, invoices with what is open)
that the reconciliation service loads once per run, so matching 10,000 lines is dictionary
lookups, not queries. Amounts are integer minor units; lines are signed, credits positive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class PayerProfile:
    """A customer as a payer: the names and bank accounts it is known to pay from."""

    customer_id: int
    name: str
    aliases: tuple[str, ...] = ()
    ibans: tuple[str, ...] = ()


@dataclass(frozen=True)
class InvoiceItem:
    """An issued invoice; ``open_minor`` is 0 when it is settled (kept to spot double payments)."""

    invoice_id: int
    number: str
    customer_id: int
    currency: str
    total_minor: int
    open_minor: int
    issue_date: date
    due_date: date


@dataclass(frozen=True)
class BankLine:
    """A statement line waiting to be matched."""

    line_id: int
    booking_date: date
    amount_minor: int
    currency: str
    payer_name: str = ""
    payer_iban: str = ""
    remittance: str = ""
    structured_refs: tuple[str, ...] = ()
    end_to_end_id: str = ""


@dataclass(frozen=True)
class ProposedAllocation:
    """Cash for one invoice, plus a difference to write off on it (a bank fee), if any."""

    invoice_id: int
    amount_minor: int
    writeoff_minor: int = 0


@dataclass(frozen=True)
class Proposal:
    """One way to apply a line: to a customer, across invoices, the rest left unapplied.

    ``confidence`` is in thousandths (0..1000). ``reason`` explains the proposal in words, e.g.
    "reference INV-2026-00123 and exact amount". The cash of the allocations plus
    ``unapplied_minor`` is the line's amount.
    """

    customer_id: int
    allocations: tuple[ProposedAllocation, ...]
    confidence: int
    reason: str
    unapplied_minor: int = 0


@dataclass(frozen=True)
class WriteOffTolerance:
    """The largest short payment settled as a bank fee.

    At most ``percent_bp`` basis points of the invoices' open amount and at most ``max_minor``
    (defaults: 1% and 15.00).
    """

    percent_bp: int = 100
    max_minor: int = 1500


@dataclass(frozen=True)
class LineVerdict:
    """What the matcher makes of one line.

    ``proposals`` are ranked, best first (at most five). ``auto`` says the first may be applied
    without review. ``customer_id`` is the payer identified even when no invoice fits (the cash
    can then go on account), and ``note`` says what a reviewer should know that no proposal says
    ("names INV-2026-00012, which is already paid").
    """

    line_id: int
    proposals: tuple[Proposal, ...]
    auto: bool = False
    customer_id: int | None = None
    note: str = ""
