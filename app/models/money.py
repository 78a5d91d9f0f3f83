"""Money as an integer count of minor units plus an ISO 4217 currency code.

Amounts never pass through ``float``: they are parsed from text into ``Decimal`` at the edges and
turned into minor units in one place (:func:`to_minor`), rounding half up.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import cast

#: Currencies whose minor unit is not the cent (ISO 4217 exponent); every other code has two.
_EXPONENTS = {
    "BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0,
    "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0, "TND": 3, "UGX": 0,
    "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}  # fmt: skip

_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


class CurrencyMismatchError(ValueError):
    """Raised when amounts in two currencies are added, subtracted or compared."""


def currency_exponent(currency: str) -> int:
    """Number of decimal places of a currency's minor unit (2 for EUR, 0 for JPY)."""
    return _EXPONENTS.get(currency, 2)


@functools.lru_cache(maxsize=256)
def is_currency_code(text: str) -> bool:
    """Whether ``text`` looks like an ISO 4217 code (three upper-case letters).

    Cached: every ``Money`` checks its currency, and a ledger uses a handful of them.
    """
    return bool(_CURRENCY_CODE.match(text))


def round_money(amount: Decimal, currency: str = "EUR") -> Decimal:
    """Round a Decimal half up to the currency's minor unit; the one place money is rounded."""
    quantum = Decimal(1).scaleb(-currency_exponent(currency))
    return amount.quantize(quantum, rounding=ROUND_HALF_UP)


def to_minor(amount: Decimal, currency: str) -> int:
    """Decimal major units to integer minor units, rounding half up."""
    return int(round_money(amount, currency).scaleb(currency_exponent(currency)))


def to_decimal(minor: int, currency: str) -> Decimal:
    """Integer minor units to a Decimal in major units with the currency's places."""
    return Decimal(minor).scaleb(-currency_exponent(currency))


def parse_amount(text: str, decimal_sep: str = ".", thousands_sep: str = "") -> Decimal:
    """Parse a decimal amount written as text.

    Only ASCII digits count, and a thousands separator only where it separates groups of three
    digits, so ``"12.50"`` read with a German locale is refused rather than becoming 1250.

    Args:
        text: the amount, e.g. ``"1.234,50"`` or ``"-99.00"``; surrounding blanks are ignored.
        decimal_sep: the decimal separator used in ``text``.
        thousands_sep: the thousands separator used in ``text``, or ``""`` for none.

    Raises:
        ValueError: ``text`` is not a plain decimal number in that notation.
    """
    cleaned = text.strip()
    dec, thou = re.escape(decimal_sep), re.escape(thousands_sep)
    integer = f"[0-9]{{1,3}}(?:{thou}[0-9]{{3}})+|[0-9]+" if thousands_sep else "[0-9]+"
    pattern = f"[+-]?(?:(?:{integer})(?:{dec}[0-9]*)?|{dec}[0-9]+)"
    if not re.fullmatch(pattern, cleaned):
        raise ValueError(f"not an amount: {text!r}")
    if thousands_sep:
        cleaned = cleaned.replace(thousands_sep, "")
    try:
        return Decimal(cleaned.replace(decimal_sep, "."))
    except InvalidOperation as exc:  # pragma: no cover - the pattern above already rejects these
        raise ValueError(f"not an amount: {text!r}") from exc


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency, held as integer minor units.

    Building one from a float raises ``TypeError``; so does adding two currencies together
    (``CurrencyMismatchError``).
    """

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError(f"Money needs integer minor units, got {type(self.minor).__name__}")
        if not is_currency_code(self.currency):
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Nothing, in the given currency."""
        return cls(0, currency)

    @classmethod
    def of(cls, amount: Decimal | str, currency: str) -> Money:
        """Money from a Decimal or a decimal string in major units (``"12.50"``)."""
        if not isinstance(cast(object, amount), Decimal | str):
            raise TypeError("Money is built from a Decimal or a decimal string, never a float")
        value = amount if isinstance(amount, Decimal) else parse_amount(amount)
        return cls(to_minor(value, currency), currency)

    @property
    def amount(self) -> Decimal:
        """The amount in major units."""
        return to_decimal(self.minor, self.currency)

    def _check(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"{self.currency} and {other.currency} do not mix")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        self._check(other)
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        self._check(other)
        return self.minor >= other.minor

    def __bool__(self) -> bool:
        return self.minor != 0

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def allocate(self, ratios: Iterable[int]) -> list[Money]:
        """Split into parts proportional to ``ratios`` without losing a minor unit.

        The remainder left by rounding down goes one unit at a time to the first parts.
        """
        weights = list(ratios)
        total = sum(weights)
        if not weights or total <= 0 or any(w < 0 for w in weights):
            raise ValueError("allocate needs non-negative ratios with a positive sum")
        parts = [self.minor * w // total for w in weights]
        for i in range(self.minor - sum(parts)):
            parts[i % len(parts)] += 1
        return [Money(p, self.currency) for p in parts]


def sum_by_currency(amounts: Iterable[Money]) -> dict[str, Money]:
    """Totals per currency, never across currencies, in order of first appearance."""
    totals: dict[str, Money] = {}
    for money in amounts:
        totals[money.currency] = totals.get(money.currency, Money.zero(money.currency)) + money
    return totals
