"""Reminder policies and segments as people edit them: list, check and save (audit-logged).

A policy's steps are edited in place by id. A step the engine has already taken for some invoice
(``reminder_steps_taken``) or that an outbox email names cannot be removed: the ledger keeps what
was sent under which step, and a removed step would let the engine take its place again. Such a
step can still be renamed, moved to other days or given another letter; the edit says so when a
removal is refused.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.collections import (
    OutboxItem,
    PolicyStep,
    ReminderPolicy,
    ReminderStepTaken,
    Segment,
    StepAction,
    Tone,
)
from app.models.customer import Customer
from app.services.audit import record_audit
from app.services.reminders.snapshot import DEFAULT_SEGMENT
from app.services.reminders.templates import TEMPLATE_NAMES
from app.services.uow import UnitOfWork

#: The tones a step may have, gentlest first.
TONES: tuple[str, ...] = tuple(t.value for t in Tone)
#: What a step may do.
ACTIONS: tuple[str, ...] = tuple(a.value for a in StepAction)
#: The longest names the columns hold.
_NAME_LENGTH = 100
#: Offsets further from the due date than this are surely a typing error (about three years).
_MAX_OFFSET_DAYS = 1000


class PolicyError(ValueError):
    """A policy or segment that cannot be saved; the message names the step and the field."""


@dataclass(frozen=True)
class StepView:
    """One dunning step as the policy editor shows it.

    Attributes:
        taken: for how many invoices the engine has taken this step (or queued an email with
            it); a step that was taken cannot be removed.
    """

    id: int
    name: str
    offset_days: int
    template: str
    tone: str
    action: str
    attach_invoices: bool
    attach_statement: bool
    taken: int = 0


@dataclass(frozen=True)
class PolicyView:
    """A reminder policy with its steps (by offset), the segments that get it and its customers.

    Attributes:
        customers: customers that name this policy themselves (not through their segment).
    """

    id: int
    name: str
    per_invoice: bool
    steps: tuple[StepView, ...]
    segments: tuple[str, ...]
    customers: int


@dataclass(frozen=True)
class SegmentView:
    """A segment, the policy its customers get and how much it weighs on the worklist."""

    id: int
    name: str
    policy_id: int | None
    policy_name: str
    priority_weight: int
    customers: int


@dataclass(frozen=True)
class StepInput:
    """A step as typed; ``id`` is ``None`` for a new step."""

    name: str
    offset_days: int
    template: str
    tone: str = Tone.NEUTRAL.value
    action: str = StepAction.EMAIL.value
    attach_invoices: bool = True
    attach_statement: bool = False
    id: int | None = None


@dataclass(frozen=True)
class PolicyInput:
    """A policy as typed; ``id`` is ``None`` for a new policy. Steps in order of their days."""

    name: str
    steps: tuple[StepInput, ...]
    per_invoice: bool = False
    id: int | None = None


@dataclass(frozen=True)
class CustomerReminders:
    """How reminders stand for one customer, for its account pane.

    Attributes:
        policy_name: the policy in force, ``""`` when none applies.
        source: where it comes from: ``"customer"`` (its own), ``"segment"`` or ``"default"``.
        excluded: the customer gets no automatic reminders.
        paused_until: reminders wait until this day (``None``: not paused, or the pause is over).
        pause_reason: why they wait.
    """

    policy_name: str
    source: str
    segment: str
    excluded: bool
    paused_until: date | None
    pause_reason: str


# -- reading -----------------------------------------------------------------------------------


def _taken_counts(session: Session) -> Counter[int]:
    counts: Counter[int] = Counter(
        dict(
            session.execute(
                select(ReminderStepTaken.step_id, func.count()).group_by(ReminderStepTaken.step_id)
            ).all()
        )
    )
    for step_id, count in session.execute(
        select(OutboxItem.step_id, func.count())
        .where(OutboxItem.step_id.is_not(None))
        .group_by(OutboxItem.step_id)
    ):
        if step_id is not None:
            counts[step_id] = max(counts[step_id], count)
    return counts


def _step_view(step: PolicyStep, taken: Counter[int]) -> StepView:
    return StepView(
        id=step.id,
        name=step.name,
        offset_days=step.offset_days,
        template=step.template,
        tone=step.tone,
        action=step.action,
        attach_invoices=step.attach_invoices,
        attach_statement=step.attach_statement,
        taken=taken.get(step.id, 0),
    )


def list_policies(uow: UnitOfWork) -> list[PolicyView]:
    """Every reminder policy by name, its steps by their days, and who gets it."""
    with uow:
        session = uow.session
        taken = _taken_counts(session)
        segments: dict[int, list[str]] = {}
        for name, policy_id in session.execute(
            select(Segment.name, Segment.policy_id).order_by(Segment.name)
        ):
            if policy_id is not None:
                segments.setdefault(policy_id, []).append(name)
        own = dict(
            session.execute(
                select(Customer.policy_id, func.count())
                .where(Customer.policy_id.is_not(None))
                .group_by(Customer.policy_id)
            ).all()
        )
        return [
            PolicyView(
                id=policy.id,
                name=policy.name,
                per_invoice=policy.per_invoice,
                steps=tuple(_step_view(s, taken) for s in policy.steps),
                segments=tuple(segments.get(policy.id, ())),
                customers=int(own.get(policy.id, 0)),
            )
            for policy in session.scalars(select(ReminderPolicy).order_by(ReminderPolicy.name))
        ]


def list_segments(uow: UnitOfWork) -> list[SegmentView]:
    """Every segment by name with its policy and how many customers are in it."""
    with uow:
        session = uow.session
        members = Counter(
            {
                (name or "").casefold(): int(count)
                for name, count in session.execute(
                    select(Customer.segment, func.count()).group_by(Customer.segment)
                )
            }
        )
        names = dict(session.execute(select(ReminderPolicy.id, ReminderPolicy.name)).all())
        return [
            SegmentView(
                id=segment.id,
                name=segment.name,
                policy_id=segment.policy_id,
                policy_name=names.get(segment.policy_id, "") if segment.policy_id else "",
                priority_weight=segment.priority_weight,
                customers=members.get(segment.name.casefold(), 0),
            )
            for segment in session.scalars(select(Segment).order_by(Segment.name))
        ]


def customer_reminders(uow: UnitOfWork, customer_id: int, today: date) -> CustomerReminders:
    """The policy in force for a customer and whether its reminders are off or paused.

    The policy is the customer's own, else its segment's, else the default segment's
    (``Standard``), else the first policy, as the reminder engine decides it.

    Raises:
        PolicyError: there is no such customer.
    """
    with uow:
        session = uow.session
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise PolicyError(f"customer: there is no customer with id {customer_id}")
        names = dict(session.execute(select(ReminderPolicy.id, ReminderPolicy.name)).all())
        segments = {s.name.casefold(): s.policy_id for s in session.scalars(select(Segment))}
        policy_id, source = customer.policy_id, "customer"
        if policy_id is None and customer.segment:
            policy_id, source = segments.get(customer.segment.casefold()), "segment"
        if policy_id is None:
            policy_id, source = segments.get(DEFAULT_SEGMENT.casefold()), "default"
            if policy_id is None:
                policy_id = min(names, default=None)
        paused = customer.reminders_paused_until
        return CustomerReminders(
            policy_name=names.get(policy_id, "") if policy_id is not None else "",
            source=source if policy_id is not None else "",
            segment=customer.segment,
            excluded=customer.reminders_excluded,
            paused_until=paused if paused is not None and paused >= today else None,
            pause_reason=customer.reminders_pause_reason if paused is not None else "",
        )


# -- checking ----------------------------------------------------------------------------------


def _where(position: int, step: StepInput) -> str:
    name = step.name.strip()
    return f"step {position}" + (f" ({name})" if name else "")


def _check_text(where: str, field: str, value: str) -> str:
    text = value.strip()
    if not text:
        raise PolicyError(f"{where}, {field}: it is empty; give it a name")
    if len(text) > _NAME_LENGTH:
        raise PolicyError(f"{where}, {field}: at most {_NAME_LENGTH} characters, got {len(text)}")
    if any(c in text for c in "\r\n\t"):
        raise PolicyError(f"{where}, {field}: must be one line")
    return text


def _check_step(position: int, step: StepInput, previous: StepInput | None) -> None:
    where = _where(position, step)
    _check_text(where, "name", step.name)
    if not -_MAX_OFFSET_DAYS <= step.offset_days <= _MAX_OFFSET_DAYS:
        raise PolicyError(
            f"{where}, days after due: {step.offset_days} is too far from the due date "
            f"(at most {_MAX_OFFSET_DAYS} days before or after)"
        )
    if previous is not None and step.offset_days <= previous.offset_days:
        same = step.offset_days == previous.offset_days
        raise PolicyError(
            f"{where}, days after due: "
            + (
                f"{step.offset_days} is also the day of step {position - 1}; "
                "two steps cannot fall on the same day"
                if same
                else f"{step.offset_days} comes before step {position - 1} "
                f"({previous.offset_days}); steps go in order of their days"
            )
        )
    for field, value, allowed in (
        ("template", step.template, TEMPLATE_NAMES),
        ("tone", step.tone, TONES),
        ("action", step.action, ACTIONS),
    ):
        if value not in allowed:
            raise PolicyError(
                f"{where}, {field}: unknown {field} {value!r}; one of {', '.join(allowed)}"
            )


def check_policy(policy: PolicyInput) -> None:
    """Check a policy as typed, before anything is written.

    Raises:
        PolicyError: no name, no steps, two steps of one name, days not ascending or on the same
            day, an unknown template, tone or action; the message names the step and the field.
    """
    _check_text("policy", "name", policy.name)
    if not policy.steps:
        raise PolicyError("policy, steps: a policy needs at least one step")
    seen: dict[str, int] = {}
    previous: StepInput | None = None
    for position, step in enumerate(policy.steps, start=1):
        _check_step(position, step, previous)
        key = step.name.strip().casefold()
        if key in seen:
            raise PolicyError(
                f"{_where(position, step)}, name: step {seen[key]} has the same name; "
                "every step needs its own"
            )
        seen[key] = position
        previous = step


# -- saving ------------------------------------------------------------------------------------


def _values(step: PolicyStep | StepInput) -> dict[str, object]:
    return {
        "name": step.name.strip(),
        "offset_days": step.offset_days,
        "template": step.template,
        "tone": step.tone,
        "action": step.action,
        "attach_invoices": step.attach_invoices,
        "attach_statement": step.attach_statement,
    }


def _policy_values(policy: ReminderPolicy) -> dict[str, object]:
    return {
        "name": policy.name,
        "per_invoice": policy.per_invoice,
        "steps": [dict(_values(s), id=s.id) for s in policy.steps],
    }


def save_policy(uow: UnitOfWork, policy: PolicyInput) -> int:
    """Create or change a reminder policy and its steps (audit-logged).

    Steps with an id are changed in place, steps without one are added, and steps of the policy
    the input leaves out are removed, unless they were taken already.

    Args:
        uow: the unit of work.
        policy: the policy as typed.

    Returns:
        The policy's id.

    Raises:
        PolicyError: see :func:`check_policy`; also an unknown policy or step id, a name another
            policy has, or the removal of a step that was taken. Nothing is written then.
    """
    check_policy(policy)
    name = policy.name.strip()
    with uow:
        session = uow.session
        clash = session.scalar(
            select(ReminderPolicy.id).where(func.lower(ReminderPolicy.name) == name.lower())
        )
        if clash is not None and clash != policy.id:
            raise PolicyError(f"policy, name: there is already a policy called {name!r}")
        if policy.id is None:
            row = ReminderPolicy(name=name, per_invoice=policy.per_invoice)
            session.add(row)
            before: dict[str, object] | None = None
        else:
            found = session.get(ReminderPolicy, policy.id)
            if found is None:
                raise PolicyError(f"policy: there is no policy with id {policy.id}")
            row = found
            before = _policy_values(row)
        row.name, row.per_invoice = name, policy.per_invoice
        _save_steps(session, row, policy.steps)
        session.flush()
        session.expire(row, ["steps"])
        record_audit(
            session,
            uow.actor,
            "create" if before is None else "edit",
            "reminder_policy",
            row.id,
            before,
            _policy_values(row),
        )
        uow.commit()
        return row.id


def _save_steps(session: Session, policy: ReminderPolicy, steps: tuple[StepInput, ...]) -> None:
    existing = {s.id: s for s in policy.steps}
    wanted = {s.id for s in steps if s.id is not None}
    for position, typed in enumerate(steps, start=1):
        if typed.id is not None and typed.id not in existing:
            raise PolicyError(
                f"{_where(position, typed)}: it is not a step of this policy (id {typed.id})"
            )
    gone = [s for s in existing.values() if s.id not in wanted]
    taken = _taken_counts(session)
    for old in gone:
        count = taken.get(old.id, 0)
        if count:
            raise PolicyError(
                f"step {old.name!r}: it was already taken for {count} "
                f"invoice{'s' if count != 1 else ''} and cannot be removed; the ledger keeps "
                "which letters went under it. Change its days, letter or action instead"
            )
    for old in gone:
        policy.steps.remove(old)
        session.delete(old)
    # Names are unique per policy: park the kept steps' names first, so that two steps may
    # swap their names in one edit.
    kept = [existing[s.id] for s in steps if s.id is not None]
    for step_row in kept:
        step_row.name = f"~{step_row.id}~"
    session.flush()
    for step in steps:
        values = _values(step)
        if step.id is None:
            policy.steps.append(PolicyStep(**values))
        else:
            step_row = existing[step.id]
            for key, value in values.items():
                setattr(step_row, key, value)


def save_segment(uow: UnitOfWork, name: str, policy_id: int | None, priority_weight: int) -> int:
    """Create a segment, or change the policy and worklist weight of the one of that name.

    Args:
        uow: the unit of work.
        name: the segment, as customers name it (case does not matter).
        policy_id: the policy its customers get; ``None`` for the default policy.
        priority_weight: added to its customers' priority on the worklist (-100 to 100).

    Returns:
        The segment's id.

    Raises:
        PolicyError: no name, an unknown policy or a weight out of range; nothing is written.
    """
    text = _check_text("segment", "name", name)
    if not -100 <= priority_weight <= 100:
        raise PolicyError(
            f"segment {text!r}, priority weight: {priority_weight} is out of range (-100 to 100)"
        )
    with uow:
        session = uow.session
        if policy_id is not None and session.get(ReminderPolicy, policy_id) is None:
            raise PolicyError(f"segment {text!r}, policy: there is no policy with id {policy_id}")
        row = session.scalar(select(Segment).where(func.lower(Segment.name) == text.lower()))
        before = (
            None
            if row is None
            else {"policy_id": row.policy_id, "priority_weight": row.priority_weight}
        )
        if row is None:
            row = Segment(name=text)
            session.add(row)
        row.policy_id, row.priority_weight = policy_id, priority_weight
        session.flush()
        after = {"name": row.name, "policy_id": policy_id, "priority_weight": priority_weight}
        if before != {"policy_id": policy_id, "priority_weight": priority_weight}:
            record_audit(
                session,
                uow.actor,
                "create" if before is None else "edit",
                "segment",
                row.id,
                before,
                after,
            )
        uow.commit()
        return row.id
