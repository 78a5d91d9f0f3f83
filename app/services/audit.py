"""Writing the audit log and the customer timeline from inside a service's transaction."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.orm import Session

from app.models.activity import Activity, AuditEntry
from app.models.base import utcnow


def record_audit(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append an audit entry (before and after values as JSON) to the current transaction."""
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=json.dumps(before, default=str, sort_keys=True) if before else "",
            after=json.dumps(after, default=str, sort_keys=True) if after else "",
        )
    )


def event_time(on: date | None) -> datetime:
    """When a timeline event happened: now, or noon UTC of the business day it belongs to.

    A payment received last Tuesday and recorded today sits on the timeline on Tuesday.
    """
    now = utcnow()
    if on is None or on == now.date():
        return now
    return datetime.combine(on, time(12), tzinfo=UTC)


def record_activity(
    session: Session,
    customer_id: int,
    kind: str,
    summary: str,
    invoice_id: int | None = None,
    author: str = "",
    on: date | None = None,
) -> None:
    """Add an event to the customer's timeline in the current transaction.

    Args:
        session: the transaction's session.
        customer_id: whose timeline.
        kind: ``invoice``, ``payment``, ``credit_note``, ``write_off``, ``note``, ...
        summary: one line in words.
        invoice_id: the invoice it concerns, if any.
        author: who did it.
        on: the business day it happened (a payment's receipt date); ``None`` for now.
    """
    session.add(
        Activity(
            customer_id=customer_id,
            occurred_at=event_time(on),
            kind=kind,
            summary=summary,
            invoice_id=invoice_id,
            author=author,
        )
    )
