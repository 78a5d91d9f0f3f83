"""The issue's acceptance figures on a generated statement, so a regression shows in CI.

The benchmark's default size (2,000 customers, 10,000 open invoices, 3,000 lines): about two
seconds, and enough lines left for review that the top-3 share means something. The full
figures (and a bigger ledger) come from ``python -m benchmarks.bench_matching``.
"""

import pytest

from benchmarks.bench_matching import evaluate
from benchmarks.statement_data import generate


@pytest.fixture(scope="module")
def scores():
    return evaluate(generate(customers=2000, invoices=10_000, lines=3000, seed=2026))


def test_automatic_applications_are_right(scores):
    assert scores.precision >= 0.995
    assert not any(v.auto and not t.pays_invoices for t, v in scores.misses)


def test_most_paying_lines_are_applied_automatically(scores):
    assert scores.auto_rate >= 0.95


def test_the_truth_is_among_the_first_three_for_the_rest(scores):
    assert scores.top3 >= 0.99
