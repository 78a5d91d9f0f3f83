"""One reminder pass: decide from the ledger, render the letters, and queue them in the outbox.

The pass is one transaction. Its first write takes SQLite's write lock, so the snapshot the
engine decides from cannot change under it and a second pass at the same moment (the window and
a cron job) waits, then finds every letter already queued: each outbox item has a unique key per
customer, step and invoice set, and each step is recorded as taken per invoice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.models.activity import Activity
from app.models.base import utcnow
from app.models.collections import (
    FollowUp,
    FollowUpKind,
    OutboxItem,
    OutboxState,
    ReminderStepTaken,
)
from app.models.money import Money
from app.services.audit import event_time, record_audit
from app.services.pdf_texts import document_language
from app.services.promises import settle_promises
from app.services.reminders.engine import Decision, ReminderPlan, decide_reminders
from app.services.reminders.reminder_context import letter_payment_link
from app.services.reminders.snapshot import (
    InvoiceFacts,
    LedgerSnapshot,
    read_snapshot,
    reminder_settings,
)
from app.services.reminders.templates import (
    ReminderContext,
    ReminderInvoice,
    RenderedEmail,
    TemplateSource,
    load_templates,
    render_reminder,
)
from app.services.settings import load_settings
from app.services.uow import UnitOfWork

#: Keys per IN (...) query; SQLite allows 32,766 variables, older builds 999.
_CHUNK = 900


@dataclass(frozen=True)
class DecisionView:
    """A decision as the command line and the window show it (formats.md)."""

    customer_id: int
    customer_code: str
    customer_name: str
    step: str
    invoices: tuple[str, ...]
    to: tuple[str, ...]
    subject: str
    status: str
    email: RenderedEmail | None
    #: The step also makes a task for the customer's owner (a call, an escalation).
    task: bool
    #: The outbox key of the letter (a task-only decision has none in the outbox).
    key: str = ""


@dataclass(frozen=True)
class SkipView:
    """Due steps held back: whose, which invoices, and why."""

    customer_id: int
    customer_code: str
    customer_name: str
    invoices: tuple[str, ...]
    reason: str
    detail: str


@dataclass(frozen=True)
class ReminderRunResult:
    """What one pass decided and did."""

    today: date
    warnings: tuple[str, ...]
    decisions: tuple[DecisionView, ...]
    skipped: tuple[SkipView, ...]
    queued: int
    tasks: int

    def with_statuses(self, states: Mapping[str, str]) -> ReminderRunResult:
        """The result with each letter's status from its outbox state, after sending.

        ``sent`` and ``failed`` are reported as they are; an email that may have been sent
        (``unknown``) is ``failed`` until a person decides; anything else is still ``queued``.
        """
        status = {"sent": "sent", "failed": "failed", "unknown": "failed"}
        decisions = tuple(
            replace(d, status=status.get(states.get(d.key, ""), d.status))
            if d.email is not None
            else d
            for d in self.decisions
        )
        return replace(self, decisions=decisions)

    def as_json(self) -> dict[str, object]:
        """The ``reminders run --json`` object of formats.md."""
        return {
            "today": self.today.isoformat(),
            "warnings": list(self.warnings),
            "decisions": [
                {
                    "customer_id": d.customer_code,
                    "step": d.step,
                    "invoices": list(d.invoices),
                    "to": list(d.to),
                    "subject": d.subject,
                    "status": d.status,
                }
                for d in self.decisions
                if d.email is not None
            ],
            "skipped": [
                {"customer_id": s.customer_code, "invoices": list(s.invoices), "reason": s.reason}
                for s in self.skipped
            ],
        }


def run_reminders(uow: UnitOfWork, today: date, *, dry_run: bool = False) -> ReminderRunResult:
    """Decide today's reminders and queue them; with ``dry_run`` only say what would be queued.

    Promises to pay are settled first (kept, or broken with a task for the owner), so a broken
    promise no longer holds its invoices back.

    Args:
        uow: the unit of work.
        today: the day of the pass.
        dry_run: decide and render, write nothing.
    """
    values = load_settings(uow)
    settings = reminder_settings(values)
    with uow:
        session = uow.session
        if not dry_run:
            record_audit(session, uow.actor, "run", "reminders", None, after={"today": str(today)})
            session.flush()
            settle_promises(session, today, settings.promise_grace_days, uow.actor)
            session.flush()
        snapshot = read_snapshot(session, settings)
        plan = decide_reminders(snapshot, today)
        letters = render_plan(session, snapshot, plan, values)
        if dry_run:
            return _result(snapshot, plan, letters, "dry-run", queued=0, tasks=0)
        queued, tasks = _queue(session, uow.actor, snapshot, plan, letters)
        uow.commit()
    return _result(snapshot, plan, letters, "queued", queued, tasks)


def render_plan(
    session: Session, snapshot: LedgerSnapshot, plan: ReminderPlan, values: Mapping[str, str]
) -> dict[str, RenderedEmail]:
    """The rendered letter of every decision that sends one, by decision key."""
    templates = load_templates(session)
    letters: dict[str, RenderedEmail] = {}
    for decision in plan.decisions:
        if decision.sends_email:
            letters[decision.key] = render_letter(
                templates,
                decision.step.template,
                letter_context(snapshot, decision, plan.today, values),
            )
    return letters


def render_letter(
    templates: Mapping[tuple[str, str], TemplateSource], name: str, context: ReminderContext
) -> RenderedEmail:
    """Render a letter with the template ``name`` in the context's language (else English)."""
    source = templates.get((name, context.language)) or templates[(name, "en")]
    return render_reminder(source, context)


def letter_context(
    snapshot: LedgerSnapshot, decision: Decision, today: date, values: Mapping[str, str]
) -> ReminderContext:
    """What a decision's letter says: the company, the customer, its invoices and credits.

    ``reminded_before`` is whether a reminder email was sent or queued earlier for at least one
    of the letter's invoices, so the firm and final letters speak of earlier reminders only when
    there were some: a backlog imported 53 days overdue gets the firm step, but as a first letter.
    """
    customer = snapshot.customers[decision.customer_id]
    invoices = tuple(_letter_invoice(d.invoice, today) for d in decision.due)
    currencies = {d.invoice.currency for d in decision.due}
    credits = snapshot.credits.get(customer.id, {})
    return ReminderContext(
        language=document_language(customer.language, values.get("company.country", "")).language,
        company_name=values.get("company.name", ""),
        company_email=values.get("company.email", ""),
        company_phone=values.get("company.phone", ""),
        company_iban=values.get("company.iban", ""),
        company_bic=values.get("company.bic", ""),
        customer_name=customer.name,
        customer_code=customer.code,
        contact_name=customer.contact_name,
        invoices=invoices,
        step_name=decision.step.name,
        tone=decision.step.tone,
        today=today,
        payment_link=letter_payment_link(values.get("invoice.payment_link", ""), invoices),
        unapplied=tuple(
            Money(amount, currency)
            for currency, amount in sorted(credits.items())
            if currency in currencies and amount > 0
        ),
        reminded_before=any(d.invoice.id in snapshot.reminded for d in decision.due),
    )


def _letter_invoice(invoice: InvoiceFacts, today: date) -> ReminderInvoice:
    return ReminderInvoice(
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        total=Money(invoice.total_minor, invoice.currency),
        open=Money(invoice.open_minor, invoice.currency),
        days_overdue=(today - invoice.due_date).days,
        partly_paid=invoice.open_minor < invoice.total_minor,
    )


def _queue(
    session: Session,
    actor: str,
    snapshot: LedgerSnapshot,
    plan: ReminderPlan,
    letters: Mapping[str, RenderedEmail],
) -> tuple[int, int]:
    """Write the outbox items, the steps taken, the tasks and the timeline entries, in bulk.

    The pass holds the write lock, so what is already there cannot change while this runs:
    outbox keys and task keys are read once, and the steps taken are the snapshot's.
    """
    keys = [d.key for d in plan.decisions]
    existing = _existing(session, OutboxItem.key, keys)
    existing_tasks = _existing(session, FollowUp.key, [f"{k}:task" for k in keys])
    when = event_time(plan.today)
    emails = [d for d in plan.decisions if d.sends_email and d.key not in existing]
    outbox_ids = _insert_outbox(session, emails, letters, plan.today)
    tasks = [d for d in plan.decisions if d.creates_task and f"{d.key}:task" not in existing_tasks]
    activities = [
        _activity(d.customer_id, when, actor, f"{d.step.name} queued for {_numbers(d)}: "
                  f"{letters[d.key].subject}")
        for d in emails
    ]  # fmt: skip
    follow_ups = []
    for decision in tasks:
        kind, title = _task_words(snapshot, decision)
        follow_ups.append(
            {
                "customer_id": decision.customer_id,
                "invoice_id": None,
                "kind": kind,
                "title": title,
                "notes": "",
                "assignee_id": snapshot.customers[decision.customer_id].owner_id,
                "due_date": plan.today,
                "created_by": actor,
                "created_at": when,
                "key": f"{decision.key}:task",
            }
        )
        activities.append(
            _activity(decision.customer_id, when, actor, f"Task created: {title}", "task")
        )
    steps = [
        {
            "invoice_id": due.invoice.id,
            "step_id": due.step.id,
            "customer_id": decision.customer_id,
            "outbox_id": outbox_ids.get(decision.key),
            "taken_on": plan.today,
        }
        for decision in plan.decisions
        for due in decision.due
        if (due.invoice.id, due.step.id) not in snapshot.steps_taken
    ]
    for model, rows in ((FollowUp, follow_ups), (ReminderStepTaken, steps), (Activity, activities)):
        if rows:
            session.execute(insert(model), rows)
    return len(emails), len(tasks)


def _existing(
    session: Session,
    column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None],
    keys: list[str],
) -> set[str | None]:
    """Which of ``keys`` the column holds already (read in chunks under SQLite's variable limit)."""
    found: set[str | None] = set()
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        found.update(session.scalars(select(column).where(column.in_(chunk))))
    return found


def _insert_outbox(
    session: Session,
    decisions: list[Decision],
    letters: Mapping[str, RenderedEmail],
    today: date,
) -> dict[str, int]:
    """Insert the letters' outbox items; their ids by decision key."""
    rows = [
        {
            "key": d.key,
            "kind": "reminder",
            "customer_id": d.customer_id,
            "step_id": d.step.id,
            "step_name": d.step.name,
            "invoice_ids": json.dumps(list(d.invoice_ids)),
            "to_addrs": ", ".join(d.recipients),
            "subject": letters[d.key].subject,
            "body_text": letters[d.key].body_text,
            "body_html": letters[d.key].body_html,
            "attach_invoices": d.step.attach_invoices,
            "attach_statement": d.step.attach_statement,
            "state": OutboxState.QUEUED,
            "send_after": today,
            "created_at": utcnow(),
            "attempts": 0,
            "last_error": "",
            "message_id": "",
        }
        for d in decisions
    ]
    if not rows:
        return {}
    inserted = session.execute(
        insert(OutboxItem).returning(OutboxItem.key, OutboxItem.id, sort_by_parameter_order=True),
        rows,
    )
    return {row.key: row.id for row in inserted}


def _numbers(decision: Decision) -> str:
    return ", ".join(d.invoice.number for d in decision.due)


def _activity(
    customer_id: int, when: datetime, actor: str, summary: str, kind: str = "reminder"
) -> dict[str, object]:
    return {
        "customer_id": customer_id,
        "occurred_at": when,
        "kind": kind,
        "summary": summary,
        "invoice_id": None,
        "author": actor,
    }


def _task_words(snapshot: LedgerSnapshot, decision: Decision) -> tuple[str, str]:
    """The kind and title of a step's task: an escalation beside a letter, else a call."""
    name = snapshot.customers[decision.customer_id].name
    if decision.sends_email:
        return FollowUpKind.ESCALATION, (
            f"Escalate {name}: {decision.step.name} sent for {_numbers(decision)}"
        )
    return FollowUpKind.CALL, f"{decision.step.name}: {name} about {_numbers(decision)}"


def _result(
    snapshot: LedgerSnapshot,
    plan: ReminderPlan,
    letters: Mapping[str, RenderedEmail],
    status: str,
    queued: int,
    tasks: int,
) -> ReminderRunResult:
    numbers = {invoice.id: invoice.number for invoice in snapshot.invoices}
    decisions = []
    for decision in plan.decisions:
        customer = snapshot.customers[decision.customer_id]
        letter = letters.get(decision.key)
        decisions.append(
            DecisionView(
                customer_id=customer.id,
                customer_code=customer.code,
                customer_name=customer.name,
                step=decision.step.name,
                invoices=tuple(numbers[i] for i in decision.invoice_ids),
                to=decision.recipients,
                subject=letter.subject if letter else decision.step.name,
                status=status if letter else "task",
                email=letter,
                task=decision.creates_task,
                key=decision.key,
            )
        )
    skipped = tuple(
        SkipView(
            customer_id=skip.customer_id,
            customer_code=snapshot.customers[skip.customer_id].code,
            customer_name=snapshot.customers[skip.customer_id].name,
            invoices=tuple(numbers[i] for i in skip.invoice_ids),
            reason=skip.reason.value,
            detail=skip.detail,
        )
        for skip in plan.skipped
    )
    return ReminderRunResult(plan.today, plan.warnings, tuple(decisions), skipped, queued, tasks)
