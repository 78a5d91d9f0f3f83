"""The progress and cancel contract between long services and whoever runs them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field


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
