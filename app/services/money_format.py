"""Money, dates and numbers as people read them: the one place they are formatted for display.

Amounts are formatted from their ``Decimal`` value with exactly the currency's minor-unit places
(``app.models.money.currency_exponent``), so nothing is rounded away and no float is involved.
"""

from __future__ import annotations

import copy
import functools
from datetime import date
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.numbers import NumberPattern, format_decimal, parse_pattern

from app.models.money import Money, currency_exponent


@functools.lru_cache(maxsize=64)
def _locale(locale: str) -> Locale:
    try:
        # Language tags as customers' records hold them ("fr-CH") are accepted too.
        return Locale.parse(locale.replace("-", "_") if isinstance(locale, str) else locale)
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise ValueError(
            f"unknown locale {locale!r}; expected one such as 'en', 'de_DE' or 'fr-CH'"
        ) from exc


def locale_language(locale: str) -> str:
    """The language of a locale: ``"de"`` for ``"de_AT"``, ``"fr"`` for ``"fr-CH"``.

    Raises:
        ValueError: the locale is unknown.
    """
    return str(_locale(locale).language)


@functools.lru_cache(maxsize=64)
def _currency_pattern(locale: str, places: int) -> tuple[Locale, NumberPattern]:
    parsed = _locale(locale)
    pattern = copy.copy(parsed.currency_formats["standard"])
    pattern.frac_prec = (places, places)
    return parsed, pattern


@functools.cache
def _percent_pattern() -> NumberPattern:
    return parse_pattern("#,##0.###%")


def format_money(money: Money, locale: str = "en") -> str:
    """An amount with its currency as the locale writes it.

    Args:
        money: the amount.
        locale: a locale identifier such as ``"en"``, ``"de_DE"``, ``"fr-CH"`` or ``"pl"``.

    Returns:
        For example ``"€1,234.50"`` in ``en``, ``"1.234,50 €"`` in ``de`` or ``"1 234,50 €"`` in
        ``fr``; always with the currency's own number of decimal places (none for JPY).

    Raises:
        ValueError: the locale is unknown.
    """
    parsed, pattern = _currency_pattern(locale, currency_exponent(money.currency))
    return str(pattern.apply(money.amount, parsed, currency=money.currency, currency_digits=False))


def format_date(day: date, locale: str = "en") -> str:
    """A date in the locale's medium form: ``"Dec 23, 2026"`` (en) or ``"23.12.2026"`` (de).

    French gives ``"23 déc. 2026"``, Spanish ``"23 dic 2026"``, Dutch ``"23 dec 2026"``.

    Raises:
        ValueError: the locale is unknown.
    """
    return babel_format_date(day, format="medium", locale=_locale(locale))


def format_quantity(quantity: Decimal, locale: str = "en") -> str:
    """A quantity with as many decimals as it has (``"1.5"``, ``"12"``), locale separators.

    Raises:
        ValueError: the locale is unknown.
    """
    return format_decimal(quantity, format="#,##0.###", locale=_locale(locale))


def format_percent(percent: Decimal, locale: str = "en") -> str:
    """A percentage given in percent (``Decimal("7.5")`` gives ``"7.5%"`` in ``en``).

    Raises:
        ValueError: the locale is unknown.
    """
    return str(_percent_pattern().apply(percent / 100, _locale(locale)))
