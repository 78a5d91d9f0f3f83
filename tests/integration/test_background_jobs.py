"""The window's background jobs on a real BackgroundScheduler and a real ledger file.

A pass missed while Duebook was closed is caught up at startup, even before today's send time,
and today's send time then brings nothing more (review finding 11). ``start``, ``shutdown`` and
``set_mail_interval`` on the real scheduler; a shutdown stops a batch under way before its next
email and reports nothing to the (perhaps closed) window afterwards (finding 15).
"""

from __future__ import annotations

import threading
import time as timer
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from keyrings.alt.file import PlaintextKeyring
from sqlalchemy import select

from app.models.activity import AuditEntry
from app.models.collections import OutboxState
from app.models.db import SessionFactory
from app.services.job_runs import OUTBOX, REMINDERS, last_run, record_run
from app.services.scheduler import BackgroundJobs, JobResult
from app.services.uow import UnitOfWork
from tests.conftest import TODAY
from tests.integration.test_mailer import build_ledger, configure_mail, queue_email, read_outbox
from tests.smtp_server import LocalSmtpServer

LOCAL = datetime.now().astimezone().tzinfo


def at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    """A local time on TODAY (or ``days`` later)."""
    return datetime.combine(TODAY + timedelta(days=days), time(hour, minute), tzinfo=LOCAL)


class FakeNow:
    def __init__(self, start: datetime) -> None:
        self.value = start

    def __call__(self) -> datetime:
        return self.value


class Results(list[JobResult]):
    """``on_result``: the results reported, in order, from whichever thread."""

    def __call__(self, result: JobResult) -> None:
        self.append(result)

    def wait_for(self, count: int, timeout: float = 30.0) -> bool:
        deadline = timer.monotonic() + timeout
        while len(self) < count and timer.monotonic() < deadline:
            timer.sleep(0.02)
        return len(self) >= count


@pytest.fixture
def make_jobs(
    session_factory: SessionFactory,
) -> Iterator[Callable[[FakeNow, Results], BackgroundJobs]]:
    """BackgroundJobs on the test's ledger; each is shut down after the test."""
    made: list[BackgroundJobs] = []

    def make(now: FakeNow, results: Results) -> BackgroundJobs:
        jobs = BackgroundJobs(lambda: UnitOfWork(session_factory, actor="window"), results, now)
        made.append(jobs)
        return jobs

    yield make
    for jobs in made:
        jobs.shutdown()


def pass_runs(uow: UnitOfWork) -> int:
    """How many reminder runs the audit log shows."""
    with uow:
        return len(
            uow.session.scalars(
                select(AuditEntry.id).where(
                    AuditEntry.action == "run", AuditEntry.entity == "reminders"
                )
            ).all()
        )


def test_a_pass_missed_yesterday_runs_at_startup_and_todays_send_time_brings_nothing_more(
    uow, make_jobs
):
    record_run(uow, REMINDERS, TODAY - timedelta(days=2), ok=True, result="0 reminders queued")
    now, results = FakeNow(at(8)), Results()
    jobs = make_jobs(now, results)
    assert jobs.status().next_pass == at(8), "due now: yesterday's 9:00 was missed"

    jobs.start()  # the first watch runs at once, on the scheduler's thread

    assert results.wait_for(1)
    [caught_up] = results
    assert (caught_up.job, caught_up.ok) == (REMINDERS, True)
    assert caught_up.message.startswith("Daily pass: ")
    assert last_run(uow, REMINDERS).last_run_on == TODAY
    assert jobs.status().next_pass == at(9, days=1)
    for minute in (0, 1, 5):
        now.value = at(9, minute)
        assert jobs.watch() is None, "today's pass ran at startup"
    assert pass_runs(uow) == 1
    assert len(results) == 1


def test_after_yesterdays_pass_nothing_runs_before_the_send_time(uow, make_jobs):
    record_run(uow, REMINDERS, TODAY - timedelta(days=1), ok=True, result="0 reminders queued")
    now, results = FakeNow(at(8)), Results()
    jobs = make_jobs(now, results)

    assert jobs.watch() is None
    now.value = at(9)
    assert jobs.watch() is not None
    assert [r.job for r in results] == [REMINDERS]
    assert last_run(uow, REMINDERS).last_run_on == TODAY


def test_start_schedules_the_jobs_and_set_mail_interval_reschedules_the_outbox(uow, make_jobs):
    record_run(uow, REMINDERS, TODAY, ok=True, result="0 reminders queued")
    results = Results()
    jobs = make_jobs(FakeNow(at(10)), results)

    jobs.start()

    scheduler = jobs._scheduler
    assert scheduler is not None
    assert scheduler.running
    assert scheduler.get_job("watch").trigger.interval == timedelta(minutes=1)
    assert scheduler.get_job(OUTBOX).trigger.interval == timedelta(minutes=5)  # mail.check_minutes
    jobs.set_mail_interval(7)
    assert scheduler.get_job(OUTBOX).trigger.interval == timedelta(minutes=7)

    jobs.shutdown()

    assert jobs._scheduler is None
    assert not scheduler.running
    jobs.set_mail_interval(3)  # after shutdown: nothing to reschedule, no error
    jobs.shutdown()  # twice is harmless
    assert results == []


def test_after_shutdown_no_pass_begins_and_nothing_is_reported(uow, make_jobs):
    results = Results()
    jobs = make_jobs(FakeNow(at(10)), results)  # no pass ever ran: due

    jobs.shutdown()

    assert jobs.watch() is None
    assert jobs.send_mail() is None
    assert last_run(uow, REMINDERS).last_run_on is None
    assert pass_runs(uow) == 0
    assert results == []


@pytest.fixture
def slow_outbox(
    uow: UnitOfWork, tmp_path: Path, smtp_server: LocalSmtpServer, test_keyring: PlaintextKeyring
) -> list[int]:
    """Five emails queued for a server at six emails a minute: ten seconds between two."""
    ids = build_ledger(uow, tmp_path)
    configure_mail(uow, smtp_server, **{"smtp.per_minute": "6"})
    return [queue_email(uow, ids["ACME"], subject=f"Letter {n}") for n in range(1, 6)]


@pytest.mark.parametrize("job", ["send_mail", "watch"])
def test_shutdown_stops_a_batch_under_way_and_reports_nothing_after(
    uow, make_jobs, slow_outbox, smtp_server, job
):
    results = Results()
    jobs = make_jobs(FakeNow(at(10)), results)
    work = threading.Thread(target=getattr(jobs, job))
    started = timer.monotonic()
    work.start()
    assert smtp_server.wait_for(1, timeout=30), "the first email went"

    jobs.shutdown()
    work.join(30)

    assert not work.is_alive()
    assert timer.monotonic() - started < 8, "the rate limit's ten-second wait ended at shutdown"
    states = [i.state for i in read_outbox(uow).values()]
    sent = states.count(OutboxState.SENT)
    assert 1 <= sent <= 2, "at most the email under way when the window closed goes too"
    assert states.count(OutboxState.QUEUED) == len(states) - sent, "the rest wait for next time"
    assert len(smtp_server.messages) == sent
    assert results == [], "nothing reported to a window that is gone"
    name = OUTBOX if job == "send_mail" else REMINDERS
    assert "sending stopped because Duebook is closing" in last_run(uow, name).result
    if job == "send_mail":
        assert last_run(uow, OUTBOX).ok, "stopping at closing is not a failure"
    else:
        assert last_run(uow, REMINDERS).last_run_on == TODAY, "the pass is not run again"
        assert last_run(uow, REMINDERS).ok, "a pass stopped at closing did not fail"
