"""The Settings screen saves through the settings service and shows its errors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pytestqt.qtbot import QtBot

from app.services.settings import list_tax_rates, load_settings
from app.views.context import ViewContext
from app.views.settings_view import SettingsView

pytestmark = pytest.mark.gui


def _view(qtbot: QtBot, view_ctx: ViewContext) -> SettingsView:
    view = SettingsView(view_ctx)
    qtbot.addWidget(view)
    view.refresh()
    return view


def test_settings_round_trip(qtbot, view_ctx):
    view = _view(qtbot, view_ctx)
    view.set_value("company.name", "Nordlicht Design GmbH")
    view.set_value("company.address", "Hafenstraße 1\n20457 Hamburg")
    view.set_value("company.iban", "de89 3704 0044 0532 0130 00")
    view.set_value("smtp.security", "tls")
    messages: list[str] = []
    view.status_reported.connect(messages.append)

    view.save()

    stored = load_settings(view_ctx.uow_factory())
    assert stored["company.name"] == "Nordlicht Design GmbH"
    assert stored["company.address"] == "Hafenstraße 1\n20457 Hamburg"
    assert stored["company.iban"] == "DE89370400440532013000"
    assert stored["smtp.security"] == "tls"
    assert messages == ["Settings saved"]
    again = _view(qtbot, view_ctx)
    assert again.value("company.name") == "Nordlicht Design GmbH"
    assert again.value("company.iban") == "DE89370400440532013000"
    assert again.value("smtp.security") == "tls"


def test_bad_iban_names_the_key_and_saves_nothing(qtbot, view_ctx):
    view = _view(qtbot, view_ctx)
    view.set_value("company.name", "Should not be saved")
    view.set_value("company.iban", "DE00 1234")

    view.save()

    assert "company.iban" in view.error.text()
    assert view.field_errors["company.iban"].text()
    assert load_settings(view_ctx.uow_factory())["company.name"] == ""


def test_number_pattern_shows_the_next_number(qtbot, view_ctx):
    view = _view(qtbot, view_ctx)
    assert view.number_example.text() == "Next: INV-2026-00001"

    view.set_value("invoice.number_pattern", "{year}/{seq:04}")

    assert view.number_example.text() == "Next: 2026/0001"


def test_tax_rates_are_edited_in_the_table(qtbot, view_ctx):
    view = _view(qtbot, view_ctx)
    assert view.tax_table.rowCount() == 3
    cell = view.tax_table.item(1, 1)
    assert cell is not None
    cell.setText("5")

    view.save()

    rates = {r.name: r.percent for r in list_tax_rates(view_ctx.uow_factory())}
    assert rates["Reduced"] == Decimal(5)


def test_an_error_shows_the_tab_of_its_field(qtbot, view_ctx):
    view = _view(qtbot, view_ctx)
    view.tabs.setCurrentIndex(view.email_tab)
    view.set_value("company.iban", "DE00 1234")

    view.save()

    assert view.tabs.currentIndex() == 0
    view.set_value("company.iban", "")
    view.set_value("mail.check_minutes", "5")
    view.set_value("smtp.reply_to", "no address")

    view.save()

    assert view.tabs.currentIndex() == view.email_tab
    assert "smtp.reply_to" in view.error.text()
