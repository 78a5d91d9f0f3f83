"""Customers, their contacts, the bank accounts they pay from and the names they pay under."""

from __future__ import annotations

from datetime import date, datetime
from typing import NewType

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UtcDateTime, utcnow

CustomerId = NewType("CustomerId", int)

#: Contact roles; ``billing`` receives invoices, ``reminders`` receives dunning letters.
CONTACT_ROLES = ("billing", "reminders", "accounts_payable", "other")


class Customer(Base):
    """A customer account; ``code`` is the ``customer_id`` of the source system (formats.md)."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    payment_terms_days: Mapped[int] = mapped_column(Integer)
    phone: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    language: Mapped[str] = mapped_column(String(10), default="")
    segment: Mapped[str] = mapped_column(String(100), default="")
    vat_id: Mapped[str] = mapped_column(String(50), default="")
    credit_limit_minor: Mapped[int | None] = mapped_column(Integer, nullable=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: Collections: another policy than the segment's, no automatic reminders, or a pause.
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("reminder_policies.id"), nullable=True)
    reminders_excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    reminders_paused_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    reminders_pause_reason: Mapped[str] = mapped_column(Text, default="")
    #: Recurring invoices issued for this customer are emailed to its billing contact.
    invoices_by_email: Mapped[bool] = mapped_column(Boolean, default=False)

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Contact.id"
    )
    ibans: Mapped[list[CustomerIban]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerIban.id"
    )
    aliases: Mapped[list[CustomerAlias]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerAlias.id"
    )

    def emails(self, role: str = "billing") -> list[str]:
        """Addresses of the contacts with ``role``, else of every contact that has one."""
        chosen = [c.email for c in self.contacts if c.role == role and c.email]
        return chosen or [c.email for c in self.contacts if c.email]


class Contact(Base):
    """A person at a customer, with a role (billing, reminders, ...)."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(30), default="billing")

    customer: Mapped[Customer] = relationship(back_populates="contacts")


class CustomerIban(Base):
    """A bank account a customer pays from.

    One IBAN may pay for several customers (a parent company paying for its subsidiaries from
    one account), so it narrows the payer down rather than naming one.
    """

    __tablename__ = "customer_ibans"
    __table_args__ = (UniqueConstraint("customer_id", "iban"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    iban: Mapped[str] = mapped_column(String(34), index=True)

    customer: Mapped[Customer] = relationship(back_populates="ibans")


class CustomerAlias(Base):
    """Another name a customer pays under: a parent company, a trading name."""

    __tablename__ = "customer_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    alias: Mapped[str] = mapped_column(String(300))

    customer: Mapped[Customer] = relationship(back_populates="aliases")
