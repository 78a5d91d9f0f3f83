"""Leases and job runs: how processes sharing one ledger take turns and remember what ran.

The window's scheduler and a cron job (``duebook reminders run``) may work on the same ledger.
A lease is a row that one holder owns until it expires; only the holder of the ``outbox`` lease
sends mail, so nothing is sent twice and an item left in ``sending`` by a holder that is gone can
be told apart from one being sent right now. A job run remembers the day a daily job last ran, so
a laptop that slept through three days catches up once, not three times.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UtcDateTime


class Lease(Base):
    """A named lease held by one process until ``expires_at``."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class JobRun(Base):
    """The last run of a background job: the day it ran for and what came of it."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    last_run_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    result: Mapped[str] = mapped_column(Text, default="")
