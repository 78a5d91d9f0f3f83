"""Collections: policies, segments, the outbox, promises to pay, disputes and follow-up tasks.

A policy is a sequence of dunning steps, each an offset in days from the due date (negative before
it). A customer gets the policy of its segment unless it names its own. The reminder engine puts
what it decides into the outbox; ``reminder_steps_taken`` remembers which step was taken for which
invoice, so a step is taken at most once per invoice whatever happens to the outbox item later.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UtcDateTime, utcnow


class StepAction(enum.StrEnum):
    """What a dunning step does: an email, a task for the customer's owner, or both (escalation)."""

    EMAIL = "email"
    TASK = "task"
    ESCALATION = "escalation"


class Tone(enum.StrEnum):
    """How firmly a step's letter is written; templates and the worklist use it."""

    FRIENDLY = "friendly"
    NEUTRAL = "neutral"
    FIRM = "firm"
    FINAL = "final"


class ReminderPolicy(Base):
    """A named sequence of dunning steps; account-level letters unless ``per_invoice``."""

    __tablename__ = "reminder_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    per_invoice: Mapped[bool] = mapped_column(Boolean, default=False)

    steps: Mapped[list[PolicyStep]] = relationship(
        back_populates="policy",
        cascade="all, delete-orphan",
        order_by="(PolicyStep.offset_days, PolicyStep.id)",
    )


class PolicyStep(Base):
    """One dunning step: taken ``offset_days`` after an invoice's due date."""

    __tablename__ = "policy_steps"
    __table_args__ = (UniqueConstraint("policy_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("reminder_policies.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    offset_days: Mapped[int] = mapped_column(Integer)
    template: Mapped[str] = mapped_column(String(50))
    tone: Mapped[str] = mapped_column(String(20), default=Tone.NEUTRAL)
    action: Mapped[str] = mapped_column(String(20), default=StepAction.EMAIL)
    attach_invoices: Mapped[bool] = mapped_column(Boolean, default=False)
    attach_statement: Mapped[bool] = mapped_column(Boolean, default=False)

    policy: Mapped[ReminderPolicy] = relationship(back_populates="steps")


class Segment(Base):
    """A group of customers (Key account, Standard, New customer) and the policy they get.

    Customers name their segment by ``Customer.segment``; a segment without a row here gets the
    default policy.
    """

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("reminder_policies.id"), nullable=True)
    #: Added to a customer's priority on the worklist (key accounts first, say).
    priority_weight: Mapped[int] = mapped_column(Integer, default=0)


class ReminderTemplate(Base):
    """A user's edit of a shipped email template, per template name and language."""

    __tablename__ = "reminder_templates"
    __table_args__ = (UniqueConstraint("name", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    language: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OutboxState(enum.StrEnum):
    """Where an outgoing email stands; ``unknown`` is a send that a crash interrupted."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"


class OutboxItem(Base):
    """An email decided and rendered, waiting to be sent (or sent, failed, cancelled).

    ``key`` is unique: for a reminder it is built from the customer, the step and the invoice set,
    so two runs of the engine (a crash, a restart, the window and a cron job) cannot queue it twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_due", "state", "send_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="reminder")
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("policy_steps.id"), nullable=True)
    step_name: Mapped[str] = mapped_column(String(100), default="")
    #: Invoice ids as JSON, ``[12, 15]``.
    invoice_ids: Mapped[str] = mapped_column(Text, default="[]")
    to_addrs: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    attach_invoices: Mapped[bool] = mapped_column(Boolean, default=False)
    attach_statement: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default=OutboxState.QUEUED)
    send_after: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    message_id: Mapped[str] = mapped_column(String(300), default="")
    #: After a temporary failure: not tried again before this time.
    retry_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: The sender (process) that set the item to ``sending``, and when.
    claimed_by: Mapped[str] = mapped_column(String(200), default="")
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ReminderStepTaken(Base):
    """A dunning step taken for an invoice: each step at most once per invoice."""

    __tablename__ = "reminder_steps_taken"
    __table_args__ = (UniqueConstraint("invoice_id", "step_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    step_id: Mapped[int] = mapped_column(ForeignKey("policy_steps.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), nullable=True)
    taken_on: Mapped[date] = mapped_column(Date)


class PromiseState(enum.StrEnum):
    """A promise to pay is open until its date (plus grace), then kept or broken."""

    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"
    CANCELLED = "cancelled"


class PromiseToPay(Base):
    """A customer's promise to pay an amount by a date, for some invoices or the account."""

    __tablename__ = "promises_to_pay"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    promised_date: Mapped[date] = mapped_column(Date)
    #: Invoice ids as JSON; empty means the customer's overdue balance.
    invoice_ids: Mapped[str] = mapped_column(Text, default="[]")
    taken_by: Mapped[str] = mapped_column(String(200), default="")
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default=PromiseState.OPEN)
    #: What the customer paid towards it since it was taken.
    paid_minor: Mapped[int] = mapped_column(Integer, default=0)
    resolved_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class DisputeState(enum.StrEnum):
    """A dispute stops the chasing of its invoice while it is open."""

    OPEN = "open"
    RESOLVED = "resolved"


class Dispute(Base):
    """A customer's objection to an invoice: its reason and what it is waiting on."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    #: What would settle it, in words: "a credit note", "proof of delivery".
    waiting_on: Mapped[str] = mapped_column(String(200), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    state: Mapped[str] = mapped_column(String(20), default=DisputeState.OPEN)
    opened_on: Mapped[date] = mapped_column(Date)
    resolved_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    resolution: Mapped[str] = mapped_column(Text, default="")


class FollowUpKind(enum.StrEnum):
    """Why a task exists; the worklist words its next action from it."""

    TASK = "task"
    CALL = "call"
    ESCALATION = "escalation"
    BROKEN_PROMISE = "broken_promise"


class FollowUp(Base):
    """A task for a person: call a customer, escalate, follow a broken promise up."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_open", "done_at", "due_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(20), default=FollowUpKind.TASK)
    title: Mapped[str] = mapped_column(String(300))
    notes: Mapped[str] = mapped_column(Text, default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    due_date: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: Unique when set, so the engine creates an escalation task once per step and invoice set.
    key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
