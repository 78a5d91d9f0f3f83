"""The day of the last daily pass: it never moves back, and a pass run for a day ahead (a trial
with ``--today``) is not recorded as the day's pass, so the window's scheduler goes on."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from app.cli import main
from app.services.clock import SystemClock
from app.services.job_runs import REMINDERS, last_run, record_run
from app.services.uow import UnitOfWork
from tests.conftest import TODAY


def test_the_day_kept_is_the_later_of_the_stored_and_the_new(uow: UnitOfWork) -> None:
    record_run(uow, REMINDERS, TODAY, ok=True, result="3 reminders queued")
    record_run(uow, REMINDERS, TODAY - timedelta(days=7), ok=True, result="a week ago, again")

    again = last_run(uow, REMINDERS)
    assert again.last_run_on == TODAY
    assert again.result == "a week ago, again", "the run itself is remembered"

    record_run(uow, REMINDERS, TODAY + timedelta(days=1), ok=False, result="the disk is full")
    assert last_run(uow, REMINDERS).last_run_on == TODAY + timedelta(days=1)
    record_run(uow, REMINDERS, None, ok=True, result="")
    assert last_run(uow, REMINDERS).last_run_on == TODAY + timedelta(days=1)


def test_a_pass_for_an_earlier_day_keeps_todays(uow: UnitOfWork, ledger_path: Path) -> None:
    today = SystemClock().today()
    record_run(uow, REMINDERS, today, ok=True, result="today's pass")

    earlier = (today - timedelta(days=3)).isoformat()
    assert main(["reminders", "run", "--db", str(ledger_path), "--today", earlier]) == 0

    assert last_run(uow, REMINDERS).last_run_on == today


def test_a_pass_for_a_day_ahead_runs_but_is_not_recorded_as_todays(
    uow: UnitOfWork, ledger_path: Path
) -> None:
    today = SystemClock().today()
    record_run(uow, REMINDERS, today - timedelta(days=1), ok=True, result="yesterday's pass")
    ahead = (today + timedelta(days=8)).isoformat()

    assert main(["reminders", "run", "--db", str(ledger_path), "--today", ahead]) == 0

    assert last_run(uow, REMINDERS).last_run_on == today - timedelta(days=1)


def test_a_day_stored_while_the_clock_was_ahead_is_set_back_only_when_asked(
    uow: UnitOfWork,
) -> None:
    ahead = TODAY + timedelta(days=30)
    record_run(uow, REMINDERS, ahead, ok=True, result="a pass with the clock a month ahead")

    record_run(uow, REMINDERS, TODAY, ok=True, result="an earlier day, again")
    assert last_run(uow, REMINDERS).last_run_on == ahead

    record_run(uow, REMINDERS, TODAY, ok=True, result="today's pass", clock_went_back=True)
    assert last_run(uow, REMINDERS).last_run_on == TODAY
