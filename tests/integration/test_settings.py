from decimal import Decimal

import pytest

from app.services.settings import (
    DEFAULT_TAX_RATES,
    SettingError,
    TaxRateView,
    list_tax_rates,
    load_settings,
    save_settings,
    save_tax_rates,
)


def test_defaults_until_set(uow):
    settings = load_settings(uow)
    assert settings["invoice.number_pattern"] == "INV-{year}-{seq:05}"
    assert settings["company.currency"] == "EUR"
    assert list_tax_rates(uow) == list(DEFAULT_TAX_RATES)


def test_several_settings_are_all_or_nothing(uow):
    with pytest.raises(SettingError, match=r"company\.iban"):
        save_settings(uow, {"company.name": "Acme", "company.iban": "GB00 XXXX"})
    assert load_settings(uow)["company.name"] == ""


def test_tax_rates_round_trip_default_first(uow):
    save_tax_rates(
        uow, [TaxRateView("Reduced", Decimal("5.5")), TaxRateView("Standard", Decimal(20), True)]
    )
    assert list_tax_rates(uow) == [
        TaxRateView("Standard", Decimal(20), True),
        TaxRateView("Reduced", Decimal("5.5"), False),
    ]


@pytest.mark.parametrize(
    ("rates", "message"),
    [
        ([], "at least one rate"),
        ([TaxRateView("", Decimal(1))], "needs a name"),
        ([TaxRateView("x", Decimal(101))], "between 0 and 100"),
    ],
)
def test_bad_tax_rates(uow, rates, message):
    with pytest.raises(SettingError, match=message):
        save_tax_rates(uow, rates)
