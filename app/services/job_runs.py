"""When each daily job last ran and what came of it, shared by the window and cron runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from app.models.base import utcnow
from app.models.jobs import JobRun
from app.services.uow import UnitOfWork

REMINDERS = "reminders"
OUTBOX = "outbox"
RECURRING = "recurring"


@dataclass(frozen=True)
class JobRunView:
    """The last run of a job."""

    name: str
    last_run_on: date | None
    finished_at: datetime | None
    ok: bool
    result: str


def last_run(uow: UnitOfWork, name: str) -> JobRunView:
    """The job's last run; an empty one when it never ran."""
    with uow:
        row = uow.session.get(JobRun, name)
        if row is None:
            return JobRunView(name, None, None, True, "")
        return JobRunView(name, row.last_run_on, row.finished_at, row.ok, row.result)


def record_run(
    uow: UnitOfWork,
    name: str,
    run_on: date | None,
    ok: bool,
    result: str,
    *,
    clock_went_back: bool = False,
) -> None:
    """Remember a finished run; ``run_on`` is the business day it ran for (None: keep the last).

    The day kept is the later of the one stored and ``run_on``: a pass run again for an earlier
    day (``duebook reminders run --today``) does not make a later day's pass due again. The
    daily pass records no day ahead of the real date, which would silence the window's
    scheduler until then.

    Args:
        uow: the unit of work.
        name: the job (`REMINDERS`, `OUTBOX`, `RECURRING`).
        run_on: the business day the run was for; None keeps the stored one.
        ok: whether it worked.
        result: what it did, in a line.
        clock_went_back: the stored day is ahead of the real date because the computer's clock
            was ahead when it was stored and has been set right since: ``run_on`` (today by
            the corrected clock) replaces it even though it is earlier.
    """
    now = utcnow()
    with uow:
        row = uow.session.get(JobRun, name)
        if row is None:
            row = JobRun(name=name)
            uow.session.add(row)
        if run_on is not None and (
            row.last_run_on is None or run_on > row.last_run_on or clock_went_back
        ):
            row.last_run_on = run_on
        row.finished_at = now
        row.ok = ok
        row.result = result
        uow.commit()
