"""The invoice editor: live totals, saving a draft, issuing."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton
from pytestqt.qtbot import QtBot

from app.services.invoice_queries import get_invoice
from app.services.money_format import format_date
from app.views.context import ViewContext
from app.views.invoice_editor import InvoiceDialog
from app.views.invoices_view import InvoicesView
from app.views.models.invoice_table_model import InvoiceColumn
from tests.gui.conftest import TODAY

pytestmark = pytest.mark.gui


def _two_line_draft(qtbot: QtBot, view_ctx: ViewContext, customer_id: int) -> InvoiceDialog:
    dialog = InvoiceDialog(view_ctx)
    qtbot.addWidget(dialog)
    dialog.set_customer(customer_id)
    dialog.set_line(0, "Design work", "2", "100.00", Decimal(19))
    dialog.add_line()
    dialog.set_line(1, "Printed manual", "3", "10.50", Decimal(7), discount="10")
    return dialog


def test_live_totals_follow_the_lines(qtbot, view_ctx, sample_ledger):
    dialog = _two_line_draft(qtbot, view_ctx, sample_ledger.customers["acme"])

    # 2 x 100.00 = 200.00 at 19% -> 38.00; 3 x 10.50 less 10% = 28.35 at 7% -> 1.98
    assert dialog.net_label.text() == "€228.35"
    assert dialog.tax_texts() == ["19% on €200.00:  €38.00", "7% on €28.35:  €1.98"]
    assert dialog.total_label.text() == "€268.33"
    net = dialog.lines.item(1, 5)
    assert net is not None
    assert net.text() == "€28.35"

    dialog.set_line(0, "Design work", "3", "100.00", Decimal(19))
    assert dialog.total_label.text() == "€387.33"


def test_due_date_follows_the_customer_terms_until_set_by_hand(qtbot, view_ctx, sample_ledger):
    dialog = InvoiceDialog(view_ctx)
    qtbot.addWidget(dialog)
    dialog.set_customer(sample_ledger.customers["brit"])
    assert dialog.due_date.date().toPython() == TODAY + timedelta(days=14)
    assert dialog.currency.currentText() == "GBP"

    dialog.issue_date.setDate(dialog.issue_date.date().addDays(1))
    assert dialog.due_date.date().toPython() == TODAY + timedelta(days=15)

    dialog.due_date.setDate(dialog.due_date.date().addDays(10))
    dialog.set_customer(sample_ledger.customers["nord"])
    assert dialog.due_date.date().toPython() == TODAY + timedelta(days=25)


def test_bad_quantity_shows_a_message_and_saves_nothing(qtbot, view_ctx, sample_ledger):
    dialog = InvoiceDialog(view_ctx)
    qtbot.addWidget(dialog)
    dialog.set_customer(sample_ledger.customers["acme"])
    dialog.set_line(0, "Design work", "two", "100.00", Decimal(19))
    saved: list[int] = []
    dialog.invoice_saved.connect(lambda invoice_id, _: saved.append(invoice_id))

    assert not dialog.save_draft()
    assert "quantity 'two' is not a number" in dialog.error.text()
    assert not saved


def test_save_draft_stores_both_lines(qtbot, view_ctx, sample_ledger):
    dialog = _two_line_draft(qtbot, view_ctx, sample_ledger.customers["acme"])
    with qtbot.waitSignal(dialog.invoice_saved) as blocker:
        dialog.save_button.click()

    invoice_id, message = blocker.args
    detail = get_invoice(view_ctx.uow_factory(), invoice_id, TODAY)
    assert detail.state == "draft"
    assert [line.tax_rate_percent for line in detail.lines] == [Decimal(19), Decimal(7)]
    assert detail.total.minor == 26833
    assert message == "Saved the draft for Acme Tools GmbH (ACME)"


def test_issue_shows_the_number_and_the_invoice_joins_the_list(
    qtbot, view_ctx, sample_ledger, asked
):
    view = InvoicesView(view_ctx)
    qtbot.addWidget(view)
    view.refresh()
    messages: list[str] = []
    view.status_reported.connect(messages.append)
    dialog = view.new_invoice()
    dialog.set_customer(sample_ledger.customers["acme"])
    dialog.set_line(0, "Design work", "2", "100.00", Decimal(19))
    dialog.add_line()
    dialog.set_line(1, "Printed manual", "1", "50.00", Decimal(7))
    assert dialog.total_label.text() == "€291.50"

    dialog.issue_button.click()

    assert "€291.50" in asked.confirmations[-1]
    assert dialog.issued_number == "INV-2026-00006"
    assert "INV-2026-00006" in asked.informed[-1]
    assert dialog.is_read_only()
    assert dialog.save_button.isHidden()
    assert messages[-1] == "Issued INV-2026-00006"
    numbers = [
        view.model.data(view.model.index(r, InvoiceColumn.NUMBER))
        for r in range(view.model.rowCount())
    ]
    assert "INV-2026-00006" in numbers


def test_issued_invoice_opens_read_only(qtbot, view_ctx, sample_ledger):
    dialog = InvoiceDialog(view_ctx, sample_ledger.invoices["overdue"])
    qtbot.addWidget(dialog)

    assert dialog.is_read_only()
    assert dialog.windowTitle() == f"Invoice {sample_ledger.numbers['overdue']}"
    assert not dialog.customer.isEnabled()
    assert dialog.total_label.text() == "€1,190.00"


def _mnemonic(text: str) -> str | None:
    match = re.search(r"&([^&])", text.replace("&&", ""))
    return match.group(1).lower() if match else None


def test_every_alt_letter_of_the_editor_is_used_once(qtbot, view_ctx, sample_ledger):
    dialog = InvoiceDialog(view_ctx)
    qtbot.addWidget(dialog)
    texts = [b.text() for b in dialog.findChildren(QPushButton)]
    texts += [label.text() for label in dialog.findChildren(QLabel) if label.buddy() is not None]

    letters = [m for m in map(_mnemonic, texts) if m]

    assert sorted(letters) == sorted(set(letters)), texts
    assert _mnemonic(dialog.issue_button.text()) == "i"
    assert "Issue da&te" in texts


def test_escape_closes_the_editor_and_asks_only_about_unsaved_edits(
    qtbot, view_ctx, sample_ledger, asked
):
    untouched = InvoiceDialog(view_ctx)
    qtbot.addWidget(untouched)
    untouched.show()
    qtbot.waitExposed(untouched)
    qtbot.keyClick(untouched, Qt.Key.Key_Escape)
    assert not untouched.isVisible()
    assert not asked.confirmations

    edited = InvoiceDialog(view_ctx)
    qtbot.addWidget(edited)
    edited.show()
    qtbot.waitExposed(edited)
    edited.set_customer(sample_ledger.customers["acme"])
    asked.confirm_answer = False
    qtbot.keyClick(edited, Qt.Key.Key_Escape)
    assert asked.confirmations == ["Close without saving your changes?"]
    assert edited.isVisible()
    asked.confirm_answer = True
    qtbot.keyClick(edited, Qt.Key.Key_Escape)
    assert not edited.isVisible()


def test_issued_invoice_opens_visibly_read_only(qtbot, view_ctx, sample_ledger):
    dialog = InvoiceDialog(view_ctx, sample_ledger.invoices["overdue"])
    qtbot.addWidget(dialog)

    assert dialog.read_only_banner.isVisibleTo(dialog)
    assert dialog.read_only_banner.text() == "Issued: read only — credit it to change"
    assert not dialog.po_number.isEnabled()
    assert not dialog.description.isEnabled()
    assert dialog.issue_button.isHidden()


def test_dates_show_in_the_locales_medium_form(qtbot, view_ctx, sample_ledger):
    dialog = InvoiceDialog(view_ctx)
    qtbot.addWidget(dialog)
    assert dialog.issue_date.text() == format_date(TODAY, "en") == "Nov 23, 2026"

    german = InvoiceDialog(replace(view_ctx, locale="de_DE"))
    qtbot.addWidget(german)
    assert german.issue_date.text() == format_date(TODAY, "de_DE") == "23.11.2026"
