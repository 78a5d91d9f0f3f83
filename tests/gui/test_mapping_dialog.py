"""The mapping dialog for CSV/Excel bank exports whose columns detection was unsure of."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.services.statements.parsed import SheetGuess, SheetMapping
from app.views.mapping_dialog import AmountLayout, MappingDialog

pytestmark = pytest.mark.gui

HEADERS = ("Datum", "Naam", "Rekening", "Af Bij", "Bedrag (EUR)", "Mededelingen")
PREVIEW = (
    ("03-11-2026", "ACME TOOLS GMBH", "DE02120300000000202051", "Bij", "1190,00", "INV-1"),
    ("04-11-2026", "Hausbank", "", "Af", "12,50", "Kosten"),
)


def guess(mapping: SheetMapping | None, doubts: tuple[str, ...] = ()) -> SheetGuess:
    return SheetGuess(
        file="ing-export.csv",
        mapping=mapping,
        sure=False,
        headers=HEADERS,
        preview=PREVIEW,
        doubts=doubts,
    )


def dialog_for(qtbot: QtBot, sheet: SheetGuess) -> MappingDialog:
    dialog = MappingDialog(sheet)
    qtbot.addWidget(dialog)
    return dialog


def test_the_best_guess_fills_the_form_and_the_doubts_are_said(qtbot):
    best = SheetMapping(
        date_column=0,
        date_format="%d-%m-%Y",
        delimiter=";",
        decimal_separator=",",
        amount_column=4,
        direction_column=3,
        payer_column=1,
        iban_column=2,
        text_columns=(5,),
        currency="EUR",
    )
    dialog = dialog_for(
        qtbot, guess(best, ("The dates could be day-month or month-day: 03-11-2026.",))
    )

    assert dialog.amount_layout.currentIndex() == AmountLayout.WITH_DIRECTION
    assert dialog.combo("payer").currentText() == "Naam"
    assert dialog.date_format.currentData() == "%d-%m-%Y"
    doubts = dialog.findChild(QLabel, "MappingDoubts")
    assert doubts is not None
    assert "day-month or month-day" in doubts.text()
    header = dialog.preview.horizontalHeaderItem(4)
    assert header is not None
    assert header.text() == "Bedrag (EUR) → Amount"
    assert dialog.remember_as.text() == "ing-export"

    with qtbot.waitSignal(dialog.mapping_chosen) as chosen:
        dialog.accept()

    mapping, name = chosen.args
    assert mapping == best
    assert name == "ing-export"


def test_columns_chosen_by_hand_make_the_mapping(qtbot):
    dialog = dialog_for(qtbot, guess(None))
    dialog.combo("date").setCurrentIndex(dialog.combo("date").findData(0))
    dialog.date_format.setCurrentIndex(dialog.date_format.findData("%d-%m-%Y"))
    dialog.amount_layout.setCurrentIndex(AmountLayout.WITH_DIRECTION)
    dialog.combo("amount").setCurrentIndex(dialog.combo("amount").findData(4))
    dialog.combo("direction").setCurrentIndex(dialog.combo("direction").findData(3))
    dialog.combo("payer").setCurrentIndex(dialog.combo("payer").findData(1))
    dialog.combo("text").setCurrentIndex(dialog.combo("text").findData(5))
    dialog.decimal_separator.setCurrentIndex(dialog.decimal_separator.findData(","))
    dialog.currency.setText("eur")
    dialog.remember_as.setText("ING Zakelijk")

    dialog.accept()

    mapping = dialog.chosen_mapping()
    assert mapping is not None
    assert (mapping.date_column, mapping.amount_column, mapping.direction_column) == (0, 4, 3)
    assert mapping.payer_column == 1
    assert mapping.text_columns == (5,)
    assert mapping.decimal_separator == ","
    assert mapping.currency == "EUR"
    assert mapping.header_row == 0


def test_a_missing_amount_column_is_said_and_the_dialog_stays(qtbot):
    dialog = dialog_for(qtbot, guess(None))
    dialog.currency.setText("EUR")

    dialog.accept()

    assert dialog.chosen_mapping() is None
    assert dialog.error.text() == "Choose the column with the amounts."


def test_money_in_and_out_need_both_columns(qtbot):
    dialog = dialog_for(qtbot, guess(None))
    dialog.currency.setText("EUR")
    dialog.amount_layout.setCurrentIndex(AmountLayout.IN_AND_OUT)
    dialog.combo("credit").setCurrentIndex(dialog.combo("credit").findData(4))

    dialog.accept()

    assert dialog.error.text() == "Choose both the money in and the money out columns."
    assert not dialog.combo("amount").isVisibleTo(dialog)
