"""Partial payments as round shares of an invoice."""

import pytest

from app.services.matching.shares import says_partial, share_of


@pytest.mark.parametrize(
    ("amount", "open_minor", "words", "off"),
    [
        (40_617, 81_234, "half", 0),  # exactly half
        (40_600, 81_234, "half", 17),  # half, rounded down to whole units
        (33_300, 99_900, "a third", 0),
        (22_500, 75_000, "30 %", 0),
        (74_600, 99_474, "75 %", 5),
    ],
)
def test_a_round_share_of_the_open_amount(amount, open_minor, words, off):
    share = share_of(amount, open_minor)
    assert share is not None
    assert (share.words, share.off_minor) == (words, off)


@pytest.mark.parametrize(("amount", "open_minor"), [(12_345, 81_234), (81_234, 81_234), (0, 100)])
def test_no_share(amount, open_minor):
    assert share_of(amount, open_minor) is None


def test_words_that_call_a_payment_partial():
    assert says_partial("EREF+1 SVWZ+TEILZAHLUNG RE 2026-123")
    assert says_partial("acompte facture 123")
    assert says_partial("2. Rate Auftrag 17")
    assert not says_partial("Zahlung INV-2026-00123 Kd-Nr. 10023")
