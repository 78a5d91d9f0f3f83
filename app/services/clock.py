"""What "today" is: passed in, so that every rule can be tested on any date."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Protocol


class Clock(Protocol):
    """Tells the date."""

    def today(self) -> date:
        """The current local date."""
        ...


class SystemClock:
    """The machine's local date."""

    def today(self) -> date:
        """The current local date."""
        return date(*time.localtime()[:3])


@dataclass(frozen=True)
class FixedClock:
    """A clock stopped on one day, for tests and ``--today``."""

    day: date

    def today(self) -> date:
        """The fixed date."""
        return self.day
