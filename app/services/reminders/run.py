"""One reminder pass: decide from the ledger, render the letters, and queue them in the outbox.

The pass is one transaction. Its first write takes SQLite's write lock, so the snapshot the
engine decides from cannot change under it and a second pass at the same moment (the window and
a cron job) waits, then finds every letter already queued: each outbox item has a unique key per
customer, step and invoice set, and each step is recorded as taken per invoice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.models.activity import Activity
from app.models.collections import FollowUp, FollowUpKind, OutboxItem, ReminderStepTaken
from app.models.money import Money
from app.services.audit import event_time, record_audit
from app.services.iban import creditor_reference
from app.services.promises import settle_promises
from app.services.reminders.engine import Decision, DueStep, ReminderPlan, decide_reminders
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
    """What a decision's letter says: the company, the customer, its invoices and credits."""
    customer = snapshot.customers[decision.customer_id]
    invoices = tuple(_letter_invoice(d.invoice, today) for d in decision.due)
    currencies = {d.invoice.currency for d in decision.due}
    credits = snapshot.credits.get(customer.id, {})
    return ReminderContext(
        language=customer.language.split("-")[0].split("_")[0].lower() or "en",
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
        payment_link=_payment_link(values.get("invoice.payment_link", ""), decision.due),
        unapplied=tuple(
            Money(amount, currency)
            for currency, amount in sorted(credits.items())
            if currency in currencies and amount > 0
        ),
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


def _payment_link(template: str, due: Sequence[DueStep]) -> str:
    """The payment link of a one-invoice letter; a letter of several gets none (no amount fits)."""
    template = template.strip()
    if not template or len(due) != 1:
        return ""
    invoice = due[0].invoice
    amount = Money(invoice.open_minor, invoice.currency).amount
    return template.format(
        number=quote(invoice.number, safe=""),
        amount=quote(f"{amount:f}", safe=""),
        currency=quote(invoice.currency, safe=""),
        reference=quote(creditor_reference(invoice.number), safe=""),
    )


def _queue(
    session: Session,
    actor: str,
    snapshot: LedgerSnapshot,
    plan: ReminderPlan,
    letters: Mapping[str, RenderedEmail],
) -> tuple[int, int]:
    """Write the outbox items, the steps taken, the follow-ups and the timeline entries."""
    existing = set(
        session.scalars(
            select(OutboxItem.key).where(OutboxItem.key.in_([d.key for d in plan.decisions]))
        )
    )
    existing_tasks = set(
        session.scalars(
            select(FollowUp.key).where(FollowUp.key.in_([f"{d.key}:task" for d in plan.decisions]))
        )
    )
    queued = tasks = 0
    when = event_time(plan.today)
    for decision in plan.decisions:
        numbers = ", ".join(d.invoice.number for d in decision.due)
        outbox_id: int | None = None
        if decision.sends_email and decision.key not in existing:
            letter = letters[decision.key]
            item = OutboxItem(
                key=decision.key,
                kind="reminder",
                customer_id=decision.customer_id,
                step_id=decision.step.id,
                step_name=decision.step.name,
                invoice_ids=json.dumps(list(decision.invoice_ids)),
                to_addrs=", ".join(decision.recipients),
                subject=letter.subject,
                body_text=letter.body_text,
                body_html=letter.body_html,
                attach_invoices=decision.step.attach_invoices,
                attach_statement=decision.step.attach_statement,
                send_after=plan.today,
            )
            session.add(item)
            session.flush()
            outbox_id = item.id
            queued += 1
            session.add(
                Activity(
                    customer_id=decision.customer_id,
                    occurred_at=when,
                    kind="reminder",
                    summary=f"{decision.step.name} queued for {numbers}: {letter.subject}",
                    author=actor,
                )
            )
        if decision.creates_task and f"{decision.key}:task" not in existing_tasks:
            tasks += 1
            _add_task(session, actor, snapshot, decision, numbers, plan.today)
        _take_steps(session, decision, outbox_id, plan.today)
    return queued, tasks


def _add_task(
    session: Session,
    actor: str,
    snapshot: LedgerSnapshot,
    decision: Decision,
    numbers: str,
    today: date,
) -> None:
    customer = snapshot.customers[decision.customer_id]
    escalation = decision.sends_email
    kind = FollowUpKind.ESCALATION if escalation else FollowUpKind.CALL
    title = (
        f"Escalate {customer.name}: {decision.step.name} sent for {numbers}"
        if escalation
        else f"{decision.step.name}: {customer.name} about {numbers}"
    )
    session.add(
        FollowUp(
            customer_id=customer.id,
            kind=kind,
            title=title,
            assignee_id=customer.owner_id,
            due_date=today,
            created_by=actor,
            key=f"{decision.key}:task",
        )
    )
    session.add(
        Activity(
            customer_id=customer.id,
            occurred_at=event_time(today),
            kind="task",
            summary=f"Task created: {title}",
            author=actor,
        )
    )


def _take_steps(session: Session, decision: Decision, outbox_id: int | None, today: date) -> None:
    taken = set(
        session.execute(
            select(ReminderStepTaken.invoice_id, ReminderStepTaken.step_id).where(
                ReminderStepTaken.invoice_id.in_(decision.invoice_ids)
            )
        ).all()
    )
    rows = [
        {
            "invoice_id": d.invoice.id,
            "step_id": d.step.id,
            "customer_id": decision.customer_id,
            "outbox_id": outbox_id,
            "taken_on": today,
        }
        for d in decision.due
        if (d.invoice.id, d.step.id) not in taken
    ]
    if rows:
        session.execute(insert(ReminderStepTaken), rows)


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
