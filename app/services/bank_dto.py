"""Plain, frozen values about bank statements and cash application, for the window and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from app.models.money import Money


@dataclass(frozen=True)
class StatementImportSummary:
    """What importing one statement file did.

    Totals are positive sums over every line in the file, duplicates included (formats.md), and
    mix currencies when the file does; ``currencies`` names them.
    """

    file: str
    format: str
    statements: int
    lines: int
    new: int
    duplicates: int
    credits_total: Decimal
    debits_total: Decimal
    currencies: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    import_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The object ``duebook import statement --json`` prints (formats.md)."""
        return {
            "format": self.format,
            "statements": self.statements,
            "lines": self.lines,
            "new": self.new,
            "duplicates": self.duplicates,
            "credits_total": f"{self.credits_total:f}",
            "debits_total": f"{self.debits_total:f}",
            "currencies": list(self.currencies),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class ReconcileSummary:
    """What one reconciliation run made of the lines waiting for it."""

    lines: int
    auto_applied: int
    suggested: int
    unmatched: int
    warnings: tuple[str, ...] = ()
    #: The lines applied automatically, so the whole run can be undone at once.
    applied_line_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class LineFilter:
    """Which statement lines to list.

    ``state`` is a line state, ``"review"`` (suggested and unmatched) or ``None`` for all;
    ``search`` looks in the payer, the remittance text, the amount and the customer's name.
    """

    state: str | None = None
    search: str = ""
    import_id: int | None = None


@dataclass(frozen=True)
class StatementLineRow:
    """One statement line in the Bank screen's list; ``amount`` is signed, credits positive."""

    line_id: int
    booking_date: date
    amount: Money
    payer_name: str
    remittance: str
    state: str
    customer_name: str
    confidence: int
    reason: str


@dataclass(frozen=True)
class ProposalInvoice:
    """One invoice of a proposal or an application: what is open, the cash, the write-off."""

    invoice_id: int
    number: str
    open: Money
    cash: Money
    writeoff: Money


@dataclass(frozen=True)
class ProposalView:
    """A ranked proposal with its customer, confidence (thousandths) and reason in words."""

    rank: int
    customer_id: int
    customer_name: str
    confidence: int
    reason: str
    invoices: tuple[ProposalInvoice, ...]
    unapplied: Money


@dataclass(frozen=True)
class StatementLineDetail:
    """Everything the review pane shows about one line."""

    row: StatementLineRow
    account: str
    file_name: str
    value_date: date | None
    payer_iban: str
    structured_refs: tuple[str, ...]
    end_to_end_id: str
    bank_code: str
    note: str
    customer_id: int | None
    proposals: tuple[ProposalView, ...]
    applied: tuple[ProposalInvoice, ...]
    unapplied: Money | None
    line_ref: str


@dataclass(frozen=True)
class PickableInvoice:
    """An open invoice a person can pick by hand to apply a line to."""

    invoice_id: int
    number: str
    customer_id: int
    customer_name: str
    issue_date: date
    due_date: date
    total: Money
    open: Money


@dataclass(frozen=True)
class ManualAllocation:
    """A person's choice for one invoice: the cash from the line and a difference written off."""

    invoice_id: int
    cash: Money
    writeoff: Money | None = None
