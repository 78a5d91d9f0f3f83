"""Small pieces of English the window, the command line and the logs share."""

from __future__ import annotations


def plural(count: int, one: str, many: str | None = None) -> str:
    """``"1 reminder"``, ``"1,200 reminders"``; ``many`` for nouns not made plural with an s."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"
