"""When the daily pass is due and when it runs next."""

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


def test_after_three_missed_days_one_pass_is_due() -> None:
    assert daily_pass_due(date(2026, 11, 20), _at(23, 10), NINE)
    # once it ran for today, the missed days do not come back
    assert not daily_pass_due(date(2026, 11, 23), _at(23, 10, 1), NINE)


def test_next_pass_is_today_at_the_send_time_or_tomorrow() -> None:
    assert next_daily_pass(date(2026, 11, 22), _at(23, 8), NINE) == _at(23, 9)
    assert next_daily_pass(date(2026, 11, 23), _at(23, 10), NINE) == _at(24, 9)
    assert next_daily_pass(date(2026, 11, 20), _at(23, 10), NINE) == _at(23, 10)
