"""Bank accounts, the statements imported into them, their lines and the proposals to match them.

A statement line is never edited away: applying it creates a payment (and its allocations), and
undoing the application reverses that payment. ``line_ref`` is the bank's reference for the line,
or a fingerprint Duebook derived where the bank gives none; it is unique per account, which is what
makes importing the same file twice change nothing.
"""

from __future__ import annotations

import enum
import json
from datetime import date, datetime
from typing import NewType

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UtcDateTime, utcnow

StatementLineId = NewType("StatementLineId", int)


class LineState(enum.StrEnum):
    """Where a statement line stands in cash application.

    ``unmatched`` and ``suggested`` lines wait for a person; ``auto`` and ``confirmed`` ones are
    applied (they have a payment); ``ignored`` ones are not customer payments (every debit, and
    credits a person marked so: interest, refunds, payouts).
    """

    UNMATCHED = "unmatched"
    SUGGESTED = "suggested"
    AUTO = "auto"
    CONFIRMED = "confirmed"
    IGNORED = "ignored"


#: States of lines that still wait for reconciliation.
OPEN_LINE_STATES = (LineState.UNMATCHED, LineState.SUGGESTED)


class BankAccount(Base):
    """An account of the company's that statements are imported for (IBAN or number)."""

    __tablename__ = "bank_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(64), unique=True)
    currency: Mapped[str] = mapped_column(String(3), default="")
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SheetMappingRecord(Base):
    """A confirmed way of reading one bank's CSV/XLSX export, by name and by header layout."""

    __tablename__ = "sheet_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: The export's header cells, lower-cased and joined with ``|``, to reuse it on sight.
    signature: Mapped[str] = mapped_column(Text, default="", index=True)
    mapping: Mapped[str] = mapped_column(Text)
    bank_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("bank_accounts.id"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class StatementImport(Base):
    """One import of one file: what it held and what was new."""

    __tablename__ = "statement_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(300))
    format: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64))
    statements: Mapped[int] = mapped_column(Integer)
    lines_total: Mapped[int] = mapped_column(Integer)
    lines_new: Mapped[int] = mapped_column(Integer)
    warnings: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(100), default="")
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class StatementLine(Base):
    """A booked transaction on the company's account; ``amount_minor`` is signed, credits > 0."""

    __tablename__ = "statement_lines"
    __table_args__ = (
        UniqueConstraint("bank_account_id", "line_ref"),
        Index("ix_statement_lines_state_date", "state", "booking_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id"))
    import_id: Mapped[int] = mapped_column(ForeignKey("statement_imports.id"), index=True)
    line_ref: Mapped[str] = mapped_column(String(100))
    booking_date: Mapped[date] = mapped_column(Date)
    value_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    payer_name: Mapped[str] = mapped_column(String(300), default="")
    payer_iban: Mapped[str] = mapped_column(String(64), default="")
    remittance: Mapped[str] = mapped_column(Text, default="")
    #: Structured creditor references the bank marked as such, space-separated.
    structured_refs: Mapped[str] = mapped_column(Text, default="")
    end_to_end_id: Mapped[str] = mapped_column(String(100), default="")
    bank_code: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(20), default=LineState.UNMATCHED)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id"), nullable=True, index=True
    )
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payments.id"), nullable=True, index=True
    )
    #: The confidence (thousandths) and reason of the application or the best proposal.
    confidence: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    #: What a reviewer should know that no proposal says ("names INV-1, which is already paid").
    note: Mapped[str] = mapped_column(Text, default="")
    #: Invoice sets a person rejected for this line, JSON ``[[invoice_id, ...], ...]``, so a
    #: new reconciliation run does not propose them again.
    rejected: Mapped[str] = mapped_column(Text, default="[]")
    matched_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    proposals: Mapped[list[MatchProposal]] = relationship(
        back_populates="line", cascade="all, delete-orphan", order_by="MatchProposal.rank"
    )

    @property
    def refs(self) -> tuple[str, ...]:
        """The structured references as a tuple."""
        return tuple(self.structured_refs.split())

    def rejected_sets(self) -> set[frozenset[int]]:
        """The invoice sets a person rejected for this line."""
        return {frozenset(int(i) for i in ids) for ids in json.loads(self.rejected or "[]")}


class MatchProposal(Base):
    """One ranked way to apply a line, as the matcher proposed it.

    ``allocations`` is JSON: ``[[invoice_id, cash_minor, writeoff_minor], ...]``.
    """

    __tablename__ = "match_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("statement_lines.id"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    confidence: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    allocations: Mapped[str] = mapped_column(Text)
    unapplied_minor: Mapped[int] = mapped_column(Integer, default=0)

    line: Mapped[StatementLine] = relationship(back_populates="proposals")

    def allocation_triples(self) -> list[tuple[int, int, int]]:
        """``(invoice_id, cash_minor, writeoff_minor)`` for each invoice of the proposal."""
        return [(int(i), int(c), int(w)) for i, c, w in json.loads(self.allocations)]
