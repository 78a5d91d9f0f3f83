"""Amounts typed in the window: the locale's notation, plain 1234.50, and nothing guessed."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from PySide6.QtCore import QLocale

from app.services.invoice_queries import InvoiceQuery, list_invoices
from app.views.inputs import InputError, parse_decimal
from app.views.invoice_editor import InvoiceDialog
from app.views.payment_dialog import PaymentInput, RecordPaymentDialog
from tests.gui.conftest import TODAY

pytestmark = pytest.mark.gui

EN, DE = QLocale("en"), QLocale("de_DE")


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("1,234.50", EN, "1234.50"),
        ("1234.50", EN, "1234.50"),
        ("12", EN, "12"),
        ("1.234,50", DE, "1234.50"),
        ("0.35", DE, "0.35"),  # a dot and two digits, no comma: a decimal point everywhere
        ("1234.50", DE, "1234.50"),
        ("500,00", DE, "500.00"),
        ("1.234", DE, "1234"),
        ("19%", DE, "19"),
    ],
)
def test_amounts_in_the_locales_notation_or_plain(text, locale, expected):
    assert parse_decimal(text, locale) == Decimal(expected)


def test_a_comma_that_is_not_a_thousands_separator_in_english_is_refused():
    with pytest.raises(InputError) as caught:
        parse_decimal("500,00", EN)

    assert "Write 500.00 or 50,000" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "locale"), [("two", EN), ("1,234.50", DE), ("1.2.3", EN), ("", DE)]
)
def test_what_is_not_a_number_is_refused(text, locale):
    with pytest.raises(InputError):
        parse_decimal(text, locale)


def test_payment_dialog_refuses_an_unclear_amount_inline(qtbot, view_ctx, sample_ledger):
    row = _row(view_ctx, sample_ledger.invoices["overdue"])
    dialog = RecordPaymentDialog(row, row.issue_date, "en")
    qtbot.addWidget(dialog)
    entered: list[object] = []
    dialog.payment_entered.connect(entered.append)
    dialog.amount.setText("500,00")

    dialog.accept()

    assert "Write 500.00 or 50,000" in dialog.error.text()
    assert not entered
    dialog.amount.setText("1,000.00")
    dialog.accept()
    assert entered


def test_payment_dialog_reads_german_amounts(qtbot, view_ctx, sample_ledger):
    row = _row(view_ctx, sample_ledger.invoices["overdue"])
    dialog = RecordPaymentDialog(row, row.issue_date, "de_DE")
    qtbot.addWidget(dialog)
    entered: list[PaymentInput] = []
    dialog.payment_entered.connect(entered.append)
    assert dialog.amount.text() == "1190"  # the open amount, written the German way

    dialog.amount.setText("0.35")
    dialog.accept()

    assert entered[0].amount.minor == 35


def test_editor_reads_lines_in_the_ledgers_locale(qtbot, view_ctx, sample_ledger):
    dialog = InvoiceDialog(replace(view_ctx, locale="de_DE"))
    qtbot.addWidget(dialog)
    dialog.set_customer(sample_ledger.customers["acme"])

    dialog.set_line(0, "Beratung", "1,5", "1.234,50", Decimal(19))

    assert dialog.net_label.text() == "1.851,75\xa0€"


def _row(view_ctx, invoice_id):
    rows = list_invoices(view_ctx.uow_factory(), InvoiceQuery(), TODAY)
    return next(r for r in rows if r.id == invoice_id)
