"""Payments received and the allocations that settle invoices.

An invoice's open amount is its total less its active allocations. An allocation is cash from a
payment, part of a credit note, or a write-off; a mistaken one is reversed (``reversed_at`` set
and the reversal logged in the audit log), never deleted.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import NewType

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UtcDateTime, utcnow
from app.models.invoice import Invoice

PaymentId = NewType("PaymentId", int)


class AllocationKind(enum.StrEnum):
    """Where the money that settles an invoice came from."""

    CASH = "cash"
    CREDIT_NOTE = "credit_note"
    WRITE_OFF = "write_off"


class Payment(Base):
    """Money received from a customer (or not yet known whose) in one currency."""

    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="positive_amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id"), nullable=True, index=True
    )
    received_on: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(30), default="bank transfer")
    reference: Mapped[str] = mapped_column(Text, default="")
    payer_name: Mapped[str] = mapped_column(String(300), default="")
    payer_iban: Mapped[str] = mapped_column(String(34), default="")
    source: Mapped[str] = mapped_column(String(20), default="app")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    reversed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    allocations: Mapped[list[Allocation]] = relationship(
        back_populates="payment", foreign_keys="Allocation.payment_id"
    )


class Allocation(Base):
    """Part of an invoice settled by cash, a credit note or a write-off."""

    __tablename__ = "allocations"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="positive_amount"),
        # Covers the per-invoice sums of the invoice list, so they never read the table itself.
        Index("ix_allocations_invoice_sums", "invoice_id", "reversed_at", "kind", "amount_minor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    kind: Mapped[str] = mapped_column(String(20))
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payments.id"), nullable=True, index=True
    )
    credit_note_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoices.id"), nullable=True, index=True
    )
    allocated_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    reversed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    invoice: Mapped[Invoice] = relationship(foreign_keys=[invoice_id])
    payment: Mapped[Payment | None] = relationship(
        back_populates="allocations", foreign_keys=[payment_id]
    )
