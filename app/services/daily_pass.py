"""The daily pass: issue due recurring invoices and queue their emails, remind, send the outbox.

The window's scheduler runs it once a day at ``reminders.send_time``, and ``duebook reminders
run`` runs it from cron or the Windows Task Scheduler; either way its day is remembered in the
job runs, so a laptop that slept through several days catches up with one pass.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.models.collections import OutboxItem
from app.services.clock import FixedClock
from app.services.document_emails import queue_recurring_emails
from app.services.job_runs import REMINDERS, record_run
from app.services.mail.outbox_sender import SendReport, send_outbox
from app.services.mail.password import load_password
from app.services.recurring import issue_due_recurring
from app.services.reminders.run import ReminderRunResult, run_reminders
from app.services.uow import UnitOfWork
from app.services.wording import plural

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PassResult:
    """What a daily pass did."""

    reminders: ReminderRunResult
    issued: tuple[str, ...] = ()
    mail: SendReport | None = None

    def summary(self) -> str:
        """One line for the status bar and the job log."""
        parts = []
        if self.issued:
            parts.append(f"{plural(len(self.issued), 'recurring invoice')} issued")
        parts.append(
            f"{plural(self.reminders.queued, 'reminder')} queued, "
            f"{plural(self.reminders.tasks, 'task')}"
        )
        if self.mail is not None:
            parts.append(f"mail: {self.mail.summary()}")
        return "; ".join(parts)


def run_daily_pass(
    uow: UnitOfWork,
    today: date,
    *,
    dry_run: bool = False,
    password_lookup: Callable[[str, str], str | None] = load_password,
    stop: threading.Event | None = None,
    record: bool = True,
    clock_went_back: bool = False,
) -> PassResult:
    """One pass for ``today``; a dry run decides and renders reminders only and writes nothing.

    ``record=False`` runs the pass without remembering it as the day's pass (a trial run for a
    day ahead, which must not keep the window's scheduler waiting until that day).
    ``clock_went_back=True`` remembers ``today`` even though a later day is stored: that day
    was stored while the computer's clock was ahead (`record_run`).
    """
    if dry_run:
        return PassResult(run_reminders(uow, today, dry_run=True))
    issued = tuple(issue_due_recurring(uow, FixedClock(today)))
    # Also the recent copies a run that stopped after issuing them never queued.
    queue_recurring_emails(uow, today, issued)
    reminders = run_reminders(uow, today)
    mail = send_outbox(uow, today, password_lookup=password_lookup, stop=stop)
    keys = [d.key for d in reminders.decisions if d.email is not None]
    result = PassResult(reminders.with_statuses(outbox_states(uow, keys)), issued, mail)
    record_run(
        uow,
        REMINDERS,
        today if record else None,
        ok=mail.ok,
        result=result.summary(),
        clock_went_back=clock_went_back,
    )
    log.info("daily pass for %s: %s", today.isoformat(), result.summary())
    return result


def outbox_states(uow: UnitOfWork, keys: list[str]) -> dict[str, str]:
    """The state of each outbox item by its key."""
    states: dict[str, str] = {}
    with uow:
        for start in range(0, len(keys), 900):
            chunk = keys[start : start + 900]
            rows = uow.session.execute(
                select(OutboxItem.key, OutboxItem.state).where(OutboxItem.key.in_(chunk))
            )
            states.update((key, state) for key, state in rows)
    return states
