"""How often and how rightly the matcher applies bank lines, and how fast it is.

Run ``python -m benchmarks.bench_matching`` from the repository root (``--big`` for 5,000
customers, 50,000 open invoices and 10,000 lines; ``--scheme mixed`` for other invoice numbers).
It generates a ledger and a statement with the truth (``benchmarks/statement_data.py``), shows the
matcher the whole statement (``Matcher.preview``), matches every line in order and consumes the
automatic proposals as the reconciliation service does,
then prints:

- the auto rate among lines that pay invoices (target at least 95 %);
- the precision of automatic applications: the allocations name exactly the true invoices and
  amounts, and the unapplied rest is the same (target at least 99.5 %);
- how often the truth is among the first three proposals of the lines left for review (target
  at least 99 %); for a double payment or a paid invoice named, the truth is cash on the right
  customer's account;
- automatic applications on lines that pay no invoice (target 0);
- a table per phenomenon, and the time to build the matcher and to match all lines.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.services.matching.engine import Matcher
from app.services.matching.types import LineVerdict, Proposal
from benchmarks.statement_data import PHENOMENA, Dataset, Truth, generate


@dataclass
class Tally:
    """Counts for one phenomenon (or all lines)."""

    lines: int = 0
    paying: int = 0
    auto: int = 0
    auto_right: int = 0
    review: int = 0
    review_hit: int = 0
    false_auto: int = 0

    def add(self, truth: Truth, verdict: LineVerdict) -> None:
        """Count one line."""
        self.lines += 1
        self.paying += truth.pays_invoices
        if verdict.auto:
            self.auto += 1
            right = is_right(verdict.proposals[0], truth)
            self.auto_right += right
            self.false_auto += not truth.pays_invoices or not right
        elif truth.pays_invoices or truth.customer_id is not None:
            self.review += 1
            self.review_hit += any(is_right(p, truth) for p in verdict.proposals[:3])


@dataclass
class Scores:
    """The figures of one run."""

    overall: Tally = field(default_factory=Tally)
    by_phenomenon: dict[str, Tally] = field(default_factory=dict)
    build_seconds: float = 0.0
    match_seconds: float = 0.0
    misses: list[tuple[Truth, LineVerdict]] = field(default_factory=list)

    @property
    def auto_rate(self) -> float:
        """Automatic applications among the lines that pay invoices."""
        return self.overall.auto / max(1, self.overall.paying)

    @property
    def precision(self) -> float:
        """Right automatic applications among all automatic applications."""
        return self.overall.auto_right / max(1, self.overall.auto)

    @property
    def top3(self) -> float:
        """Lines left for review whose truth is among the first three proposals."""
        return self.overall.review_hit / max(1, self.overall.review)


def is_right(proposal: Proposal, truth: Truth) -> bool:
    """Whether a proposal does what the truth says: same invoices, amounts, write-offs, rest."""
    if not truth.allocations:
        return not proposal.allocations and proposal.customer_id == truth.customer_id
    return (
        set(proposal.allocations) == set(truth.allocations)
        and proposal.unapplied_minor == truth.unapplied_minor
    )


def evaluate(dataset: Dataset) -> Scores:
    """Match every line in order, consume the automatic proposals, and score the verdicts."""
    scores = Scores(by_phenomenon={name: Tally() for name in PHENOMENA})
    started = time.perf_counter()
    matcher = Matcher(dataset.payers, dataset.invoices)
    scores.build_seconds = time.perf_counter() - started
    verdicts: list[LineVerdict] = []
    started = time.perf_counter()
    matcher.preview(dataset.lines)
    for line in dataset.lines:
        verdict = matcher.match(line)
        if verdict.auto:
            matcher.consume(verdict.proposals[0])
        verdicts.append(verdict)
    scores.match_seconds = time.perf_counter() - started
    for truth, verdict in zip(dataset.truths, verdicts, strict=True):
        scores.overall.add(truth, verdict)
        scores.by_phenomenon[truth.phenomenon].add(truth, verdict)
        wrong_auto = verdict.auto and not is_right(verdict.proposals[0], truth)
        missed = not verdict.auto and not any(is_right(p, truth) for p in verdict.proposals[:3])
        if wrong_auto or (missed and (truth.pays_invoices or truth.customer_id is not None)):
            scores.misses.append((truth, verdict))
    return scores


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:6.1f}" if whole else "     -"


def report(scores: Scores) -> str:
    """The figures as a table."""
    rows = [
        f"{'phenomenon':34} {'lines':>6} {'auto%':>6} {'right%':>6} {'top3%':>6} {'wrong':>6}",
    ]
    for name, tally in [*scores.by_phenomenon.items(), ("all lines", scores.overall)]:
        rows.append(
            f"{name:34} {tally.lines:6} {_percent(tally.auto, tally.paying or tally.lines)} "
            f"{_percent(tally.auto_right, tally.auto)} {_percent(tally.review_hit, tally.review)} "
            f"{tally.false_auto:6}"
        )
    rows += [
        "",
        f"auto-applied among lines that pay invoices: {100 * scores.auto_rate:.2f} % (>= 95)",
        f"automatic applications right: {100 * scores.precision:.2f} % (>= 99.5)",
        f"truth among the first three for the rest: {100 * scores.top3:.2f} % (>= 99)",
        f"wrong automatic applications: {scores.overall.false_auto} "
        f"(on lines paying no invoice: {_false_on_non_paying(scores)}, target 0)",
        f"build {scores.build_seconds:.2f} s, match all lines {scores.match_seconds:.2f} s",
    ]
    return "\n".join(rows)


def _false_on_non_paying(scores: Scores) -> int:
    return sum(1 for truth, verdict in scores.misses if verdict.auto and not truth.pays_invoices)


def _show_misses(misses: Sequence[tuple[Truth, LineVerdict]], dataset: Dataset, count: int) -> None:
    lines = {line.line_id: line for line in dataset.lines}
    numbers = {item.invoice_id: item.number for item in dataset.invoices}
    kinds = Counter(truth.phenomenon for truth, _ in misses)
    print("\nmisses by phenomenon:", dict(kinds))
    for truth, verdict in misses[:count]:
        line = lines[truth.line_id]
        wanted = [
            (numbers[a.invoice_id], a.amount_minor, a.writeoff_minor) for a in truth.allocations
        ]
        print(f"\n[{truth.phenomenon}] {line.amount_minor} {line.currency} {line.payer_name!r}")
        print(
            f"   text {line.remittance!r} {line.structured_refs} truth {wanted} auto={verdict.auto}"
        )
        for proposal in verdict.proposals[:3]:
            print(f"   {proposal.confidence} {proposal.reason}")
        if verdict.note:
            print(f"   note: {verdict.note}")


def main() -> None:
    """Generate, match, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="5,000 customers, 50,000 invoices")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--scheme", default="inv", help="inv, slash, re, f or mixed")
    parser.add_argument("--misses", type=int, default=0, help="print this many misses")
    args = parser.parse_args()
    if args.big:
        args.customers, args.invoices, args.lines = 5000, 50_000, 10_000
    started = time.perf_counter()
    dataset = generate(
        args.customers, args.invoices, args.lines, seed=args.seed, scheme=args.scheme
    )
    elapsed = time.perf_counter() - started
    print(
        f"{args.customers} customers, {sum(i.open_minor > 0 for i in dataset.invoices)} open "
        f"invoices ({len(dataset.invoices)} in all), {len(dataset.lines)} lines, "
        f"scheme {args.scheme}, seed {args.seed} (generated in {elapsed:.1f} s)"
    )
    scores = evaluate(dataset)
    print(report(scores))
    if args.misses:
        _show_misses(scores.misses, dataset, args.misses)


if __name__ == "__main__":
    main()
