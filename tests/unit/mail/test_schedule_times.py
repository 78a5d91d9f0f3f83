"""When the daily pass is due and when it runs next.

Due when the most recent send time (today's once it has come, yesterday's before) fell on a day
after the last pass's day: a pass missed while Duebook was closed is caught up at startup.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from app.services.scheduler import daily_pass_due, next_daily_pass

NINE = time(9, 0)


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_due_once_the_send_time_has_come_and_not_before() -> None:
    assert not daily_pass_due(date(2026, 11, 22), _at(23, 8, 59), NINE)
    assert daily_pass_due(date(2026, 11, 22), _at(23, 9, 0), NINE)
    assert daily_pass_due(None, _at(23, 9, 1), NINE)


def test_not_due_again_on_the_day_it_ran() -> None:
    assert not daily_pass_due(date(2026, 11, 23), _at(23, 17), NINE)
    assert not daily_pass_due(date(2026, 11, 23), _at(23, 23, 59), NINE)


def test_after_three_missed_days_one_pass_is_due() -> None:
    assert daily_pass_due(date(2026, 11, 20), _at(23, 10), NINE)
    # once it ran for today, the missed days do not come back
    assert not daily_pass_due(date(2026, 11, 23), _at(23, 10, 1), NINE)


def test_a_pass_missed_yesterday_is_due_at_startup_before_todays_send_time() -> None:
    assert daily_pass_due(date(2026, 11, 21), _at(23, 8), NINE), "yesterday's 9:00 was missed"
    assert daily_pass_due(date(2026, 11, 21), _at(23, 0, 1), NINE)
    # the catch-up ran for today: today's send time brings nothing more
    assert not daily_pass_due(date(2026, 11, 23), _at(23, 8, 1), NINE)
    assert not daily_pass_due(date(2026, 11, 23), _at(23, 9), NINE)


def test_a_pass_that_never_ran_is_due_at_once() -> None:
    assert daily_pass_due(None, _at(23, 8), NINE)
    assert next_daily_pass(None, _at(23, 8), NINE) == _at(23, 8)


def test_next_pass_is_today_at_the_send_time_or_tomorrow() -> None:
    assert next_daily_pass(date(2026, 11, 22), _at(23, 8), NINE) == _at(23, 9)
    assert next_daily_pass(date(2026, 11, 23), _at(23, 10), NINE) == _at(24, 9)
    assert next_daily_pass(date(2026, 11, 20), _at(23, 10), NINE) == _at(23, 10)


def test_after_a_catch_up_at_startup_the_next_pass_is_tomorrow() -> None:
    assert next_daily_pass(date(2026, 11, 21), _at(23, 8), NINE) == _at(23, 8), "due now"
    assert next_daily_pass(date(2026, 11, 23), _at(23, 8, 1), NINE) == _at(24, 9)


def test_a_send_time_late_in_the_evening() -> None:
    late = time(22, 30)
    assert not daily_pass_due(date(2026, 11, 22), _at(23, 22, 29), late)
    assert daily_pass_due(date(2026, 11, 21), _at(23, 22, 29), late)
    assert next_daily_pass(date(2026, 11, 22), _at(23, 22, 29), late) == _at(23, 22, 30)


def test_a_last_pass_after_today_a_clock_set_back_is_due_at_once() -> None:
    # The clock was a week ahead when that pass ran; now it is right again.
    assert daily_pass_due(date(2026, 11, 30), _at(23, 8), NINE)
    assert daily_pass_due(date(2026, 11, 24), _at(23, 23, 59), NINE)
    assert next_daily_pass(date(2026, 11, 30), _at(23, 8), NINE) == _at(23, 8)
