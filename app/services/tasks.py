"""The progress and cancel contract between long services and whoever runs them."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session


class TaskCancelledError(Exception):
    """The user cancelled the task; the service rolls its transaction back."""


def _ignore(done: int, total: int, label: str) -> None:
    """Progress nobody listens to."""


@dataclass
class TaskContext:
    """Handed to long services: ``report`` progress and check for a cancel request."""

    report: Callable[[int, int, str], None] = _ignore
    cancel_event: threading.Event = field(default_factory=threading.Event)

    def check_cancelled(self) -> None:
        """Raise :class:`TaskCancelledError` if cancel was requested."""
        if self.cancel_event.is_set():
            raise TaskCancelledError("cancelled")

    def cancel(self) -> None:
        """Ask the task to stop at its next check."""
        self.cancel_event.set()


@contextmanager
def cancellable_queries(session: Session, ctx: TaskContext | None) -> Iterator[None]:
    """Let a cancel request stop an SQL statement that is already running (SQLite only).

    A count over a hundred thousand invoices takes a tenth of a second; when the user has
    moved on, the next query should not wait for it. SQLite calls the handler every few
    thousand steps of its virtual machine, and a true answer aborts the statement.

    Raises:
        TaskCancelledError: the statement was stopped because ``ctx`` was cancelled.
    """
    if ctx is not None:
        ctx.check_cancelled()
    raw: object = session.connection().connection.dbapi_connection
    if ctx is None or not isinstance(raw, sqlite3.Connection):
        yield
        return
    raw.set_progress_handler(ctx.cancel_event.is_set, 10_000)
    try:
        yield
    except OperationalError as exc:
        if ctx.cancel_event.is_set():
            raise TaskCancelledError("cancelled") from exc
        raise
    finally:
        raw.set_progress_handler(None, 0)
