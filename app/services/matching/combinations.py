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

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
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


# Among this many distinct amounts every group of three is tried, among this many of four.
MAX_DISTINCT_FOR_THREE = 150
MAX_DISTINCT_FOR_FOUR = 60


def exact_groups(amounts: Sequence[tuple[int, int]], target: int) -> list[tuple[int, ...]]:
    """Every group of two, three or four items whose amounts add up to exactly ``target``.

    For many items, where a depth-first search must stop early, this finds the small groups
    anywhere among them by looking sums up instead: pairs among all items, threes among the
    :data:`MAX_DISTINCT_FOR_THREE` oldest distinct amounts, fours among the
    :data:`MAX_DISTINCT_FOR_FOUR` oldest. Of items with the same amount the oldest are taken
    (a payer, or a bookkeeper, settles those first), so equal amounts give one group, not many.

    Args:
        amounts: (key, amount) pairs, amounts positive, oldest first.
        target: the sum wanted.

    Returns:
        The groups of keys, each oldest first; fewer items first, then the older groups.
    """
    keys: dict[int, list[int]] = {}
    for key, amount in amounts:
        if amount < target:
            keys.setdefault(amount, []).append(key)
    distinct = list(keys)  # oldest first: an amount stands where its oldest item does
    found = [
        combo
        for size, limit in (
            (2, len(distinct)),
            (3, MAX_DISTINCT_FOR_THREE),
            (4, MAX_DISTINCT_FOR_FOUR),
        )
        for combo in _sums(sorted(distinct[:limit]), keys, target, size)
    ]
    position = {key: index for index, (key, _) in enumerate(amounts)}
    groups = [tuple(sorted(_keys_of(combo, keys), key=position.__getitem__)) for combo in found]
    return sorted(groups, key=lambda group: (len(group), sorted(map(position.__getitem__, group))))


def _sums(
    ascending: Sequence[int], keys: dict[int, list[int]], target: int, size: int
) -> Iterator[tuple[int, ...]]:
    """Multisets of ``size`` amounts (ascending, as many of each as there are items) summing up."""
    if size == 2:
        found: Iterable[tuple[int, ...]] = _pairs(ascending, target)
    elif size == 3:
        found = _threes(ascending, target)
    else:
        found = _fours(ascending, target)
    for combo in found:
        if all(combo.count(amount) <= len(keys[amount]) for amount in combo):
            yield combo


def _pairs(ascending: Sequence[int], target: int) -> Iterator[tuple[int, int]]:
    available = set(ascending)
    for a in ascending:
        if target - a < a:
            return
        if target - a in available:
            yield (a, target - a)


def _threes(ascending: Sequence[int], target: int) -> Iterator[tuple[int, int, int]]:
    available = set(ascending)
    for index, a in enumerate(ascending):
        for b in ascending[index:]:
            rest = target - a - b
            if rest < b:
                break
            if rest in available:
                yield (a, b, rest)


def _fours(ascending: Sequence[int], target: int) -> Iterator[tuple[int, int, int, int]]:
    pairs: defaultdict[int, list[tuple[int, int]]] = defaultdict(list)
    for index, a in enumerate(ascending):
        for b in ascending[index:]:
            if a + b > target:
                break
            pairs[a + b].append((a, b))
    for index, a in enumerate(ascending):
        for b in ascending[index:]:
            rest = target - a - b
            if rest < 2 * b:
                break
            for c, d in pairs.get(rest, ()):
                if c >= b:
                    yield (a, b, c, d)


def _keys_of(combo: tuple[int, ...], keys: dict[int, list[int]]) -> list[int]:
    """The oldest items of each amount in ``combo``, as many as it uses."""
    return [key for amount in set(combo) for key in keys[amount][: combo.count(amount)]]
