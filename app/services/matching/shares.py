"""Partial payments: which round share of an invoice an amount is, and words that say "partial".

A customer paying part of an invoice without naming it rarely pays an odd amount: it pays half,
a third, a quarter or a round percentage (a deposit, an instalment), often rounded down to whole
units. So among a customer's open invoices, the ones the amount is such a share of are what a
bookkeeper checks first, the exact shares before the rounded ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The shares payers pay (numerator, denominator), most common first.
SHARES = (
    (1, 2), (1, 4), (3, 4), (1, 3), (2, 3), (3, 10), (7, 10), (1, 5), (2, 5), (3, 5), (4, 5),
    (1, 10), (9, 10),
)  # fmt: skip
# A share rounded to whole units (for two-decimal currencies) is off by less than this.
ROUNDING_MINOR = 100
_PARTIAL_WORDS = re.compile(
    r"\b(?:TEILZAHLUNG|TEILBETRAG|ANZAHLUNG|ABSCHLAG(?:SZAHLUNG)?|RATE|RATENZAHLUNG|"
    r"PARTIAL|PART\s+PAYMENT|INSTAL+MENT|DEPOSIT|ACOMPTE|PAIEMENT\s+PARTIEL|"
    r"PAGO\s+PARCIAL|A\s+CUENTA|ACCONTO|DEELBETALING|TERMIJN)\b"
)


@dataclass(frozen=True)
class Share:
    """The share of an invoice's open amount a payment is, and how far it is from exact."""

    numerator: int
    denominator: int
    off_minor: int

    @property
    def commonness(self) -> int:
        """0 for the share payers pay most (half), more for rarer ones."""
        return SHARES.index((self.numerator, self.denominator))

    @property
    def words(self) -> str:
        """``half``, ``a third``, ``30 %``: the share as a reason text says it."""
        named = {(1, 2): "half", (1, 3): "a third", (1, 4): "a quarter", (2, 3): "two thirds"}
        key = (self.numerator, self.denominator)
        if key in named:
            return named[key]
        return f"{100 * self.numerator // self.denominator} %"


def share_of(amount: int, open_minor: int) -> Share | None:
    """The round share of ``open_minor`` that ``amount`` is, exactly or rounded to whole units.

    Args:
        amount: the payment, in minor units.
        open_minor: what is open on the invoice, more than the payment.

    Returns:
        The share closest to the amount (the most common one when two are as close), or None
        when the amount is no round share of the open amount.
    """
    if not 0 < amount < open_minor:
        return None
    best: Share | None = None
    for numerator, denominator in SHARES:
        off = abs(amount * denominator - open_minor * numerator) // denominator
        if off < ROUNDING_MINOR and (best is None or off < best.off_minor):
            best = Share(numerator, denominator, off)
    return best


def says_partial(text: str) -> bool:
    """Whether remittance text calls the payment partial (Teilzahlung, acompte, instalment…)."""
    return bool(_PARTIAL_WORDS.search(text.upper()))
