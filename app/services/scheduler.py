"""The background jobs while the window is open, on an APScheduler ``BackgroundScheduler``.

Two jobs: every minute a *watch* asks whether the daily pass is due (a send time has passed since
the day of the last pass, here or from cron) and runs it once; every few minutes the outbox is
sent. Watching by the minute instead of firing once at the send time is what makes a laptop that
slept, or a clock that jumped three days, catch up with exactly one pass.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from app.models.base import utcnow
from app.services.daily_pass import PassResult, run_daily_pass
from app.services.job_runs import OUTBOX, REMINDERS, JobRunView, last_run, record_run
from app.services.leases import acquire_lease, new_holder, release_lease
from app.services.mail.outbox_sender import SendReport, send_outbox
from app.services.settings import load_settings
from app.services.uow import UnitOfWork

log = logging.getLogger(__name__)

DAILY_LEASE = "daily-pass"
DAILY_LEASE_TTL = timedelta(hours=1)


def local_now() -> datetime:
    """The local wall-clock time, timezone-aware."""
    return datetime.now().astimezone()


def _last_scheduled_day(now: datetime, send_time: time) -> date:
    """The day of the most recent send time: today once it has come, yesterday before."""
    return now.date() if now.time() >= send_time else now.date() - timedelta(days=1)


def daily_pass_due(last_run_on: date | None, now: datetime, send_time: time) -> bool:
    """Whether the daily pass should run now.

    It is due when the most recent send time (today's once it has come, yesterday's before) fell
    on a day after the last pass's day, or no pass ever ran. So a pass missed while Duebook was
    closed is caught up at startup, even before today's send time; that pass is for today, so
    today's send time then brings nothing more.

    A last pass's day after today means the clock was ahead when it ran and has been set back
    since: the pass is due (once: it records today's date in place of that day), or it would
    not run again until that day came.
    """
    if last_run_on is not None and last_run_on > now.date():
        return True
    return last_run_on is None or last_run_on < _last_scheduled_day(now, send_time)


def next_daily_pass(last_run_on: date | None, now: datetime, send_time: time) -> datetime:
    """When the daily pass will run next (now, when it is due)."""
    if daily_pass_due(last_run_on, now, send_time):
        return now
    day = _last_scheduled_day(now, send_time) + timedelta(days=1)
    if last_run_on is not None and day <= last_run_on:
        day = last_run_on + timedelta(days=1)  # a pass for today ran early, at startup
    return datetime.combine(day, send_time, tzinfo=now.tzinfo)


class DailyPassBusyError(ValueError):
    """The daily pass is running already (the window's scheduler, or another Duebook)."""


def run_daily_pass_now(uow: UnitOfWork, today: date) -> PassResult:
    """The daily pass at a person's request, under the lease the scheduled pass takes.

    Raises:
        DailyPassBusyError: a pass is under way elsewhere; the message says to wait.
    """
    holder = new_holder()
    if not acquire_lease(uow, DAILY_LEASE, holder, DAILY_LEASE_TTL, utcnow()):
        raise DailyPassBusyError(
            "the daily reminder pass is running already; try again in a minute"
        )
    try:
        return run_daily_pass(uow, today)
    finally:
        release_lease(uow, DAILY_LEASE, holder)


def send_and_record(
    uow: UnitOfWork,
    today: date,
    only: Collection[int] | None = None,
    *,
    stop: threading.Event | None = None,
) -> SendReport:
    """Send the outbox (or ``only`` these items); when something was due, remember the run.

    Args:
        uow: the unit of work.
        today: items are due when their ``send_after`` is today or earlier.
        only: send only these items.
        stop: once set, the batch stops before its next email, and a wait for the rate limit
            ends at once; the rest stay queued. Stopping so is not a failure.
    """
    report = send_outbox(uow, today, only=only, stop=stop)
    if report.states or report.waiting or report.problem:
        record_run(uow, OUTBOX, None, ok=report.ok, result=report.summary())
    return report


@dataclass(frozen=True)
class JobResult:
    """A finished background job, for the status bar."""

    job: str
    ok: bool
    message: str


@dataclass(frozen=True)
class ScheduleStatus:
    """What the status bar shows: the next daily pass and the last results."""

    next_pass: datetime
    last_pass: JobRunView
    last_mail: JobRunView
    sending_paused: bool


class BackgroundJobs:
    """The daily pass and the outbox on a background thread, each run with its own unit of work.

    Args:
        uow_factory: a new unit of work per job run.
        on_result: called on the scheduler's thread after each job that did something; never
            once :meth:`shutdown` has returned (the window it reports to may be gone).
        now: the local time (a fake in tests).
    """

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        on_result: Callable[[JobResult], None],
        now: Callable[[], datetime] = local_now,
    ) -> None:
        self._uow_factory = uow_factory
        self._on_result = on_result
        self._now = now
        self._scheduler: BackgroundScheduler | None = None
        self._lock = threading.Lock()
        #: Set by :meth:`shutdown`: sending stops before the next email, no pass begins.
        self._stop = threading.Event()
        #: Held while a result is reported, so that :meth:`shutdown` waits for that, not longer.
        self._report_lock = threading.RLock()

    def start(self) -> None:
        """Start the jobs; the first watch runs at once, so a missed pass is caught up.

        A pass missed while Duebook was closed runs then, even before today's send time.
        """
        minutes = int(load_settings(self._uow_factory())["mail.check_minutes"])
        scheduler = BackgroundScheduler(
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        )
        scheduler.add_job(
            self.watch, "interval", minutes=1, id="watch", next_run_time=datetime.now().astimezone()
        )
        scheduler.add_job(self.send_mail, "interval", minutes=minutes, id=OUTBOX)
        scheduler.start()
        self._scheduler = scheduler

    def shutdown(self) -> None:
        """Stop the jobs without waiting for them.

        A batch under way stops before its next email (the one on the wire finishes on the
        job's thread; the rest stay queued for next time), a daily pass not begun does not
        begin, and nothing is reported to ``on_result`` after this returns.
        """
        with self._report_lock:
            self._stop.set()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    def set_mail_interval(self, minutes: int) -> None:
        """Send the outbox every ``minutes`` from now on."""
        if self._scheduler is not None:
            self._scheduler.reschedule_job(OUTBOX, trigger="interval", minutes=minutes)

    def status(self) -> ScheduleStatus:
        """The next daily pass and the last results, read from the ledger."""
        uow = self._uow_factory()
        values = load_settings(uow)
        last_pass = last_run(uow, REMINDERS)
        send_time = time.fromisoformat(values["reminders.send_time"])
        return ScheduleStatus(
            next_pass=next_daily_pass(last_pass.last_run_on, self._now(), send_time),
            last_pass=last_pass,
            last_mail=last_run(uow, OUTBOX),
            sending_paused=values["mail.paused"] == "yes",
        )

    def watch(self) -> JobResult | None:
        """Run the daily pass if it is due; at most one pass at a time, across processes too."""
        with self._lock:
            if self._stop.is_set():
                return None
            uow = self._uow_factory()
            now = self._now()
            send_time = time.fromisoformat(load_settings(uow)["reminders.send_time"])
            if not daily_pass_due(last_run(uow, REMINDERS).last_run_on, now, send_time):
                return None
            holder = new_holder()
            if not acquire_lease(uow, DAILY_LEASE, holder, DAILY_LEASE_TTL, utcnow()):
                return None
            try:
                last_day = last_run(uow, REMINDERS).last_run_on
                if not daily_pass_due(last_day, now, send_time):
                    return None  # another process ran it meanwhile
                if self._stop.is_set():
                    return None
                went_back = last_day is not None and last_day > now.date()
                if went_back:
                    log.warning(
                        "the last daily pass was for %s, after today (%s): the computer's clock "
                        "was ahead and has gone back; the pass runs for today",
                        last_day,
                        now.date(),
                    )
                result = self._run(
                    uow,
                    now.date(),
                    lambda: run_daily_pass(
                        uow, now.date(), stop=self._stop, clock_went_back=went_back
                    ),
                    clock_went_back=went_back,
                )
            finally:
                release_lease(uow, DAILY_LEASE, holder)
        return result

    def send_mail(self) -> JobResult | None:
        """Send the outbox; reported only when something was due."""
        with self._lock:
            if self._stop.is_set():
                return None
            uow = self._uow_factory()
            try:
                report = send_and_record(uow, self._now().date(), stop=self._stop)
            except Exception as exc:
                log.exception("sending the outbox failed")
                report = SendReport(problem=f"sending failed: {exc}")
                record_run(uow, OUTBOX, None, ok=False, result=report.summary())
            if not report.states and not report.waiting and not report.problem:
                return None
            result = JobResult(OUTBOX, report.ok, f"Mail: {report.summary()}")
        self._report(result)
        return result

    def _report(self, result: JobResult) -> None:
        """Hand ``result`` to ``on_result``, unless the jobs were shut down."""
        with self._report_lock:
            if not self._stop.is_set():
                self._on_result(result)

    def _run(
        self,
        uow: UnitOfWork,
        today: date,
        work: Callable[[], PassResult],
        *,
        clock_went_back: bool = False,
    ) -> JobResult:
        """Run the daily pass and report it.

        A failure is recorded for today too, so it is not retried every minute; the outbox
        screen's "Run now" tries again.
        """
        try:
            message = work().summary()
        except Exception as exc:
            log.exception("the daily pass failed")
            record_run(
                uow, REMINDERS, today, ok=False, result=str(exc), clock_went_back=clock_went_back
            )
            result = JobResult(REMINDERS, False, f"The daily pass failed: {exc}")
        else:
            result = JobResult(REMINDERS, True, f"Daily pass: {message}")
        self._report(result)
        return result
