from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.models.money import CurrencyMismatchError, Money, parse_amount, sum_by_currency, to_minor


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        Money(1.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money.of(1.5, "EUR")  # type: ignore[arg-type]


def test_money_refuses_mixing_currencies():
    with pytest.raises(CurrencyMismatchError):
        _ = Money(100, "EUR") + Money(100, "USD")


def test_rounding_is_half_up_in_the_currency_exponent():
    assert to_minor(Decimal("0.005"), "EUR") == 1
    assert to_minor(Decimal("2.5"), "JPY") == 3
    assert Money.of("12.345", "KWD").minor == 12345


@pytest.mark.parametrize(
    ("text", "dec", "thou", "expected"),
    [
        ("1.234,50", ",", ".", "1234.50"),
        ("-99.00", ".", "", "-99.00"),
        ("1 000,5", ",", " ", "1000.5"),
    ],
)
def test_parse_amount(text, dec, thou, expected):
    assert parse_amount(text, dec, thou) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "1,5", "\u0661\u0660\u0660", "1e5", "--1"])
def test_parse_amount_rejects_non_amounts(text):
    with pytest.raises(ValueError, match="not an amount"):
        parse_amount(text)


@pytest.mark.parametrize(
    ("text", "dec", "thou"),
    [
        ("12.50", ",", "."),
        ("1.5", ",", "."),
        ("12,50", ".", ","),
        ("1,5", ".", ","),
        ("1.23.456", ",", "."),
    ],
)
def test_a_thousands_separator_must_separate_groups_of_three(text, dec, thou):
    with pytest.raises(ValueError, match="not an amount"):
        parse_amount(text, dec, thou)


@pytest.mark.parametrize(
    ("text", "dec", "thou", "expected"),
    [
        ("12.345,6", ",", ".", "12345.6"),
        ("1,234.5", ".", ",", "1234.5"),
        ("99", ",", ".", "99"),
        (",5", ",", ".", "0.5"),
    ],
)
def test_valid_grouping_is_accepted(text, dec, thou, expected):
    assert parse_amount(text, dec, thou) == Decimal(expected)


def test_totals_stay_per_currency():
    totals = sum_by_currency([Money(100, "EUR"), Money(5, "USD"), Money(50, "EUR")])
    assert totals == {"EUR": Money(150, "EUR"), "USD": Money(5, "USD")}


@given(
    st.integers(min_value=0, max_value=10**12),
    st.lists(st.integers(1, 100), min_size=1, max_size=8),
)
def test_allocate_never_loses_a_cent(minor, ratios):
    parts = Money(minor, "EUR").allocate(ratios)
    assert sum(p.minor for p in parts) == minor
    assert all(p.minor >= 0 for p in parts)
