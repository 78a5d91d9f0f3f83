"""Which of one customer's open invoices add up to a payment (bounded subset sums).

A depth-first search over the amounts, largest first, that prunes a branch as soon as it
overshoots the target or cannot reach it with what is left. It is bounded three ways, so one
line never costs more than a few milliseconds: at most ``max_items`` invoices are looked at (the
oldest due), at most ``max_size`` are combined, and at most ``max_steps`` branches are tried.
Finding more than ``limit`` answers stops the search: the caller only needs to know that the
sum is ambiguous. A search that was cut short (or saw only part of the invoices) says so, and
then a single answer proves nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Subsets:
    """The groups found, oldest first, and whether every possible group was looked at."""

    groups: list[tuple[int, ...]]
    exhaustive: bool


@dataclass(frozen=True)
class SubsetSearch:
    """The bounds of one search."""

    max_items: int = 40
    max_size: int = 6
    max_steps: int = 20_000
    limit: int = 3


def subsets_summing_to(
    amounts: Sequence[tuple[int, int]],
    low: int,
    high: int,
    bounds: SubsetSearch = SubsetSearch(),
) -> Subsets:
    """Groups of two or more items whose amounts add up to between ``low`` and ``high``.

    Args:
        amounts: (key, amount) pairs, amounts positive, in the order to prefer (oldest first).
        low: the smallest acceptable sum.
        high: the largest acceptable sum (``low`` for an exact sum; more for a bank fee).
        bounds: how far to search.

    Returns:
        Up to ``bounds.limit + 1`` groups of keys, each in the order of ``amounts``, the groups
        of the earliest items first.
    """
    items = [(key, amount) for key, amount in amounts[: bounds.max_items] if amount <= high]
    complete = len(amounts) <= bounds.max_items
    order = {key: index for index, (key, _) in enumerate(items)}
    items.sort(key=lambda item: -item[1])
    suffix = [0] * (len(items) + 1)
    for index in range(len(items) - 1, -1, -1):
        suffix[index] = suffix[index + 1] + items[index][1]
    found: list[tuple[int, ...]] = []
    steps = 0
    chosen: list[int] = []

    def search(start: int, total: int) -> None:
        nonlocal steps
        if len(chosen) >= 2 and low <= total <= high:
            found.append(tuple(sorted(chosen, key=order.__getitem__)))
        if len(chosen) == bounds.max_size:
            return
        for index in range(start, len(items)):
            steps += 1
            if len(found) > bounds.limit or steps > bounds.max_steps:
                return
            if total + suffix[index] < low:
                return
            key, amount = items[index]
            if total + amount <= high:
                chosen.append(key)
                search(index + 1, total + amount)
                chosen.pop()

    search(0, 0)
    found.sort(key=lambda group: sorted(order[key] for key in group))
    exhaustive = complete and steps <= bounds.max_steps and len(found) <= bounds.limit
    return Subsets(found, exhaustive)
