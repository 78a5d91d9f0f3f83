"""Follow-up tasks: call a customer, escalate, follow a broken promise up; "my tasks".

A task may concern a customer and one of its invoices and be assigned to a person. Creating and
completing one is audit-logged and, when it concerns a customer, shown on its timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, select
from sqlalchemy.orm import Session, aliased

from app.models.base import utcnow
from app.models.collections import FollowUp, FollowUpKind
from app.models.company import User
from app.models.customer import Customer
from app.models.invoice import Invoice
from app.services.audit import record_activity, record_audit
from app.services.text_checks import has_line_break
from app.services.uow import UnitOfWork

#: The longest title a task holds (``follow_ups.title``).
TITLE_MAX = 300


class FollowUpError(ValueError):
    """A task that cannot be saved or changed; the message names the field."""


@dataclass(frozen=True)
class FollowUpRow:
    """A task as the task list shows it."""

    id: int
    kind: FollowUpKind
    title: str
    notes: str
    due_date: date
    customer_id: int | None
    customer_name: str
    invoice_id: int | None
    invoice_number: str
    assignee_id: int | None
    assignee_name: str
    created_by: str
    done_at: datetime | None
    #: Days past its due date while open; 0 when due today or later, or done.
    days_overdue: int

    @property
    def done(self) -> bool:
        """Whether the task is completed."""
        return self.done_at is not None


def add_follow_up(
    session: Session,
    actor: str,
    title: str,
    due_date: date,
    *,
    customer_id: int | None = None,
    invoice_id: int | None = None,
    assignee_id: int | None = None,
    notes: str = "",
    kind: str = FollowUpKind.TASK,
    key: str | None = None,
) -> FollowUp:
    """Check and add a task inside the caller's transaction (see :func:`create_follow_up`).

    Raises:
        FollowUpError: a field is invalid or names something that does not exist.
    """
    title = title.strip()
    if not title:
        raise FollowUpError("title: a task needs a title")
    if has_line_break(title) or len(title) > TITLE_MAX:
        raise FollowUpError(f"title: one line of at most {TITLE_MAX} characters")
    if kind not in set(FollowUpKind):
        raise FollowUpError(f"kind: expected one of {', '.join(FollowUpKind)}, got {kind!r}")
    if invoice_id is not None:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            raise FollowUpError(f"invoice: there is no invoice with id {invoice_id}")
        if customer_id is not None and invoice.customer_id != customer_id:
            raise FollowUpError(f"invoice: {invoice.number or invoice_id} is another customer's")
        customer_id = invoice.customer_id
    if customer_id is not None and session.get(Customer, customer_id) is None:
        raise FollowUpError(f"customer: there is no customer with id {customer_id}")
    if assignee_id is not None:
        user = session.get(User, assignee_id)
        if user is None or not user.active:
            raise FollowUpError(f"assignee: there is no active user with id {assignee_id}")
    task = FollowUp(
        customer_id=customer_id,
        invoice_id=invoice_id,
        kind=kind,
        title=title,
        notes=notes.strip(),
        assignee_id=assignee_id,
        due_date=due_date,
        created_by=actor,
        key=key,
    )
    session.add(task)
    session.flush()
    record_audit(
        session, actor, "create", "follow_up", task.id,
        after={"title": title, "due": due_date, "assignee": assignee_id, "kind": kind},
    )  # fmt: skip
    if customer_id is not None:
        record_activity(
            session, customer_id, "task", f"Task: {title} (due {due_date.isoformat()})",
            invoice_id, actor,
        )  # fmt: skip
    return task


def create_follow_up(
    uow: UnitOfWork,
    title: str,
    due_date: date,
    customer_id: int | None = None,
    invoice_id: int | None = None,
    assignee_id: int | None = None,
    notes: str = "",
    kind: str = FollowUpKind.TASK,
) -> int:
    """Create a task, for a customer (and one of its invoices) or on its own.

    Args:
        uow: the unit of work.
        title: what to do, one line.
        due_date: when it is due.
        customer_id: the customer it concerns; taken from the invoice when only that is given.
        invoice_id: the invoice it concerns.
        assignee_id: who is to do it (a user); ``None`` for nobody yet.
        notes: more words.
        kind: one of :class:`FollowUpKind` (``task``, ``call``, ``escalation``, ...).

    Returns:
        The task's id.

    Raises:
        FollowUpError: a field is invalid, or the customer, invoice or assignee does not exist
            (or the invoice is another customer's).
    """
    with uow:
        task = add_follow_up(
            uow.session, uow.actor, title, due_date,
            customer_id=customer_id, invoice_id=invoice_id, assignee_id=assignee_id,
            notes=notes, kind=kind,
        )  # fmt: skip
        uow.commit()
        return task.id


def _task(session: Session, follow_up_id: int) -> FollowUp:
    task = session.get(FollowUp, follow_up_id)
    if task is None:
        raise FollowUpError(f"there is no task with id {follow_up_id}")
    return task


def complete_follow_up(uow: UnitOfWork, follow_up_id: int) -> None:
    """Mark a task done.

    Raises:
        FollowUpError: there is no such task, or it is done already.
    """
    with uow:
        task = _task(uow.session, follow_up_id)
        if task.done_at is not None:
            raise FollowUpError(f"the task {task.title!r} is done already")
        task.done_at = utcnow()
        record_audit(uow.session, uow.actor, "complete", "follow_up", task.id)
        if task.customer_id is not None:
            record_activity(
                uow.session, task.customer_id, "task", f"Task done: {task.title}",
                task.invoice_id, uow.actor,
            )  # fmt: skip
        uow.commit()


def reopen_follow_up(uow: UnitOfWork, follow_up_id: int) -> None:
    """Open a completed task again.

    Raises:
        FollowUpError: there is no such task, or it is open.
    """
    with uow:
        task = _task(uow.session, follow_up_id)
        if task.done_at is None:
            raise FollowUpError(f"the task {task.title!r} is open; there is nothing to reopen")
        before = {"done_at": task.done_at}
        task.done_at = None
        record_audit(uow.session, uow.actor, "reopen", "follow_up", task.id, before)
        uow.commit()


def list_follow_ups(
    uow: UnitOfWork,
    today: date,
    assignee_id: int | None = None,
    customer_id: int | None = None,
    open_only: bool = True,
) -> list[FollowUpRow]:
    """Tasks, open ones first and the most overdue first among them.

    Args:
        uow: the unit of work to read with.
        today: the day overdue is counted on.
        assignee_id: only this person's tasks ("my tasks").
        customer_id: only this customer's tasks.
        open_only: leave out completed tasks.
    """
    assignee = aliased(User)
    stmt = (
        select(FollowUp, Customer.name, Invoice.number, assignee.name)
        .outerjoin(Customer, Customer.id == FollowUp.customer_id)
        .outerjoin(Invoice, Invoice.id == FollowUp.invoice_id)
        .outerjoin(assignee, assignee.id == FollowUp.assignee_id)
        .order_by(case((FollowUp.done_at.is_(None), 0), else_=1), FollowUp.due_date, FollowUp.id)
    )
    if assignee_id is not None:
        stmt = stmt.where(FollowUp.assignee_id == assignee_id)
    if customer_id is not None:
        stmt = stmt.where(FollowUp.customer_id == customer_id)
    if open_only:
        stmt = stmt.where(FollowUp.done_at.is_(None))
    with uow:
        return [
            FollowUpRow(
                id=task.id,
                kind=FollowUpKind(task.kind),
                title=task.title,
                notes=task.notes,
                due_date=task.due_date,
                customer_id=task.customer_id,
                customer_name=customer_name or "",
                invoice_id=task.invoice_id,
                invoice_number=invoice_number or "",
                assignee_id=task.assignee_id,
                assignee_name=assignee_name or "",
                created_by=task.created_by,
                done_at=task.done_at,
                days_overdue=max((today - task.due_date).days, 0) if task.done_at is None else 0,
            )
            for task, customer_name, invoice_number, assignee_name in uow.session.execute(stmt)
        ]
