"""A customer's timeline: everything that happened with it, newest first, filterable by kind."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from sqlalchemy import select

from app.models.activity import Activity
from app.models.customer import Customer
from app.services.dto import TimelineEntry
from app.services.uow import UnitOfWork

#: Every kind of timeline event, with the label the filter shows for it.
TIMELINE_KINDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "invoice": "Invoices",
        "payment": "Payments",
        "credit_note": "Credit notes",
        "write_off": "Write-offs",
        "reminder": "Reminders",
        "note": "Notes",
        "call": "Calls",
        "promise": "Promises to pay",
        "dispute": "Disputes",
        "task": "Tasks",
        "pause": "Reminder pauses",
        "policy": "Reminder settings",
    }
)


class TimelineError(ValueError):
    """A timeline request that cannot be answered; the message names the field."""


def list_timeline(
    uow: UnitOfWork, customer_id: int, kinds: set[str] | None = None, limit: int = 500
) -> list[TimelineEntry]:
    """A customer's timeline, newest first.

    Args:
        uow: the unit of work to read with.
        customer_id: whose timeline.
        kinds: only these kinds of event (keys of :data:`TIMELINE_KINDS`); ``None`` for all.
        limit: at most this many events, the newest.

    Raises:
        TimelineError: no such customer, an unknown kind, or a limit below 1.
    """
    if kinds is not None and not kinds <= TIMELINE_KINDS.keys():
        unknown = ", ".join(sorted(kinds - TIMELINE_KINDS.keys()))
        raise TimelineError(f"kinds: unknown {unknown}; known: {', '.join(TIMELINE_KINDS)}")
    if limit < 1:
        raise TimelineError(f"limit: at least 1, got {limit}")
    stmt = (
        select(Activity.occurred_at, Activity.kind, Activity.summary, Activity.author)
        .where(Activity.customer_id == customer_id)
        .order_by(Activity.occurred_at.desc(), Activity.id.desc())
        .limit(limit)
    )
    if kinds is not None:
        stmt = stmt.where(Activity.kind.in_(sorted(kinds)))
    with uow:
        if uow.session.get(Customer, customer_id) is None:
            raise TimelineError(f"customer: there is no customer with id {customer_id}")
        return [TimelineEntry(*row) for row in uow.session.execute(stmt)]
