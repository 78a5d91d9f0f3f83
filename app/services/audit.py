"""Writing the audit log and the customer timeline from inside a service's transaction."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from app.models.activity import Activity, AuditEntry


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


def record_activity(
    session: Session,
    customer_id: int,
    kind: str,
    summary: str,
    invoice_id: int | None = None,
    author: str = "",
) -> None:
    """Add an event to the customer's timeline in the current transaction."""
    session.add(
        Activity(
            customer_id=customer_id,
            kind=kind,
            summary=summary,
            invoice_id=invoice_id,
            author=author,
        )
    )
