"""The Invoices screen: empty state, detail pane, actions on the selected invoice, import."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidget

from app.services.dto import DraftInvoice, DraftLine
from app.services.invoice_queries import get_invoice
from app.services.invoicing import create_draft
from app.views import ask
from app.views.customers_view import CustomersView
from app.views.models.invoice_table_model import InvoiceColumn
from tests.gui.conftest import TODAY, _customer, open_invoices_view, select_invoice

pytestmark = pytest.mark.gui


def _cell(tree: QTreeWidget, row: int, column: int) -> str:
    item = tree.topLevelItem(row)
    assert item is not None
    return item.text(column)


def test_empty_ledger_offers_new_invoice_and_import(qtbot, view_ctx):
    view = open_invoices_view(qtbot, view_ctx)

    assert view.is_empty_state_shown()
    assert view.empty_new_button.text() == "New invoice"
    assert view.empty_import_button.text() == "Import from CSV/Excel"


def test_a_filter_that_matches_nothing_is_not_the_empty_state(qtbot, view_ctx, sample_ledger):
    view = open_invoices_view(qtbot, view_ctx)
    assert not view.is_empty_state_shown()

    view.set_search("no such customer")

    assert view.model.rowCount() == 0
    assert not view.is_empty_state_shown()


def test_status_filter_combo_requeries(qtbot, view_ctx, sample_ledger):
    view = open_invoices_view(qtbot, view_ctx)

    view.select_status_filter("Overdue")

    assert view.model.rowCount() == 2
    view.select_status_filter("Draft")
    assert view.model.rowCount() == 1
    assert view.model.data(view.model.index(0, InvoiceColumn.NUMBER)) == "(draft)"


def test_selecting_a_row_shows_its_detail_and_actions(qtbot, view_ctx, sample_ledger):
    view = open_invoices_view(qtbot, view_ctx)

    select_invoice(view, sample_ledger.invoices["partly"])

    assert view.detail._title.text() == f"Invoice {sample_ledger.numbers['partly']}"
    assert view.detail._status.text() == "Partly paid · open €1,880.00"
    assert view.payment_action.isEnabled()
    assert not view.issue_action.isEnabled()


def test_record_payment_settles_the_invoice(qtbot, view_ctx, sample_ledger):
    view = open_invoices_view(qtbot, view_ctx)
    messages: list[str] = []
    view.status_reported.connect(messages.append)
    select_invoice(view, sample_ledger.invoices["overdue"])

    view.payment_action.trigger()
    assert view.payment_dialog is not None
    view.payment_dialog.accept()

    detail = get_invoice(view_ctx.uow_factory(), sample_ledger.invoices["overdue"], TODAY)
    assert detail.open_amount.minor == 0
    assert messages[-1] == (
        f"Recorded €1,190.00 from Acme Tools GmbH on {sample_ledger.numbers['overdue']}"
    )


def test_void_asks_why_and_an_empty_reason_keeps_the_dialog_open(qtbot, view_ctx, sample_ledger):
    view = open_invoices_view(qtbot, view_ctx)
    messages: list[str] = []
    view.status_reported.connect(messages.append)
    select_invoice(view, sample_ledger.invoices["open"])

    view.void_action.trigger()
    dialog = view.void_dialog
    assert dialog is not None
    assert "Its number stays used" in dialog.text.text()
    dialog.accept()

    assert dialog.error.text() == "Say why it is voided; the reason is kept with it."
    assert get_invoice(view_ctx.uow_factory(), sample_ledger.invoices["open"], TODAY).state == (
        "issued"
    )
    dialog.reason.setText("sent to the wrong customer")
    dialog.accept()

    detail = get_invoice(view_ctx.uow_factory(), sample_ledger.invoices["open"], TODAY)
    assert detail.state == "void"
    assert detail.void_reason == "sent to the wrong customer"
    assert messages[-1] == f"Voided {sample_ledger.numbers['open']}"


def test_voiding_a_draft_shows_the_name_as_it_is_and_no_number(qtbot, view_ctx):
    uow = view_ctx.uow_factory()
    customer = _customer(uow, "MS", "Müller & Söhne", "EUR", 30)
    draft = create_draft(
        uow,
        DraftInvoice(customer, TODAY, (DraftLine("Work", Decimal(1), Decimal(10)),)),
    )
    view = open_invoices_view(qtbot, view_ctx)
    select_invoice(view, draft)

    view.void_action.trigger()

    dialog = view.void_dialog
    assert dialog is not None
    assert dialog.text.textFormat() == Qt.TextFormat.PlainText
    assert "Müller & Söhne" in dialog.text.text()
    assert "number" not in dialog.text.text().replace("never numbered", "")
    dialog.reason.setText("not needed")
    dialog.accept()
    assert get_invoice(view_ctx.uow_factory(), draft, TODAY).state == "void"


def test_ask_shows_ampersands_in_labels_with_a_buddy():
    assert ask._plain("Müller & Söhne") == "Müller && Söhne"


def test_import_reports_numbers(qtbot, view_ctx, sample_ledger, asked, tmp_path):
    csv = tmp_path / "invoices.csv"
    csv.write_text(
        "number,customer_id,issue_date,due_date,total,currency\n"
        "OLD-1,ACME,2026-09-01,2026-10-01,100.00,EUR\n"
        "OLD-2,NORD,2026-09-02,2026-10-02,250.50,EUR\n",
        encoding="utf-8",
    )
    asked.open_file = csv
    view = open_invoices_view(qtbot, view_ctx)
    messages: list[str] = []
    view.status_reported.connect(messages.append)

    view.import_action.trigger()

    assert messages[-1] == "Imported 2 invoices from invoices.csv: 2 new, 0 updated"
    assert view.model.rowCount() == 8


def test_import_failure_keeps_the_file_name_and_says_what_to_do(
    qtbot, view_ctx, sample_ledger, asked, tmp_path
):
    csv = tmp_path / "invoices-q3.csv"
    csv.write_text(
        "number,customer_id,issue_date,due_date,total,currency\n"
        "OLD-1,K2001,2026-09-01,2026-10-01,100.00,EUR\n",
        encoding="utf-8",
    )
    asked.open_file = csv
    view = open_invoices_view(qtbot, view_ctx)

    view.import_action.trigger()

    message = asked.warned[-1]
    assert message.startswith("invoices-q3.csv, row 2, column customer_id")
    assert "Nothing was imported." in message
    assert message.endswith("Import the customers first, or add customer K2001.")
    assert view.model.rowCount() == 6


def test_a_single_import_warning_is_in_the_message_itself(
    qtbot, view_ctx, sample_ledger, asked, tmp_path
):
    csv = tmp_path / "invoices.csv"
    csv.write_text(
        "number,customer_id,issue_date,due_date,total,currency,colour\n"
        "OLD-1,ACME,2026-09-01,2026-10-01,100.00,EUR,blue\n",
        encoding="utf-8",
    )
    asked.open_file = csv
    view = open_invoices_view(qtbot, view_ctx)

    view.import_action.trigger()

    assert "colour" in asked.informed[-1]
    assert asked.informed[-1].startswith("Imported 1 invoice from invoices.csv")


def test_paying_more_than_is_open_asks_first(qtbot, view_ctx, sample_ledger, asked):
    view = open_invoices_view(qtbot, view_ctx)
    select_invoice(view, sample_ledger.invoices["overdue"])
    view.payment_action.trigger()
    dialog = view.payment_dialog
    assert dialog is not None
    assert sample_ledger.numbers["overdue"] in dialog.windowTitle()
    dialog.amount.setText("1,240.00")
    dialog.reference.setText("RF18 5390 0754 7034")
    asked.confirm_answer = False

    dialog.accept()

    assert asked.confirmations[-1].endswith(
        "€50.00 will stay on the customer's account as unapplied cash. Record it?"
    )
    assert (
        get_invoice(view_ctx.uow_factory(), sample_ledger.invoices["overdue"], TODAY).allocations
        == ()
    )
    asked.confirm_answer = True
    dialog.accept()

    select_invoice(view, sample_ledger.invoices["overdue"])
    payments = view.detail.payments
    assert _cell(payments, 0, 1) == "RF18 5390 0754 7034"
    customers = CustomersView(view_ctx)
    qtbot.addWidget(customers)
    customers.refresh()
    customers.select_customer(sample_ledger.customers["acme"])
    assert customers.detail.unapplied.text() == (
        "Unapplied: €50.00 (overpayments and unused credit)"
    )


def test_undo_payment_from_the_detail(qtbot, view_ctx, sample_ledger, asked):
    view = open_invoices_view(qtbot, view_ctx)
    messages: list[str] = []
    view.status_reported.connect(messages.append)
    select_invoice(view, sample_ledger.invoices["partly"])
    assert not view.detail.undo_payment_button.isEnabled()

    view.detail.select_payment(0)
    assert view.detail.undo_payment_button.isEnabled()
    view.detail.undo_payment_button.click()

    assert "Undo the payment of €500.00" in asked.confirmations[-1]
    assert messages[-1] == "Undid the payment of €500.00 — the invoice is open again"
    detail = get_invoice(view_ctx.uow_factory(), sample_ledger.invoices["partly"], TODAY)
    assert detail.open_amount.minor == 238000
    assert _cell(view.detail.payments, 0, 1).endswith("(undone)")
    view.detail.select_payment(0)
    assert not view.detail.undo_payment_button.isEnabled()


def test_credit_part_of_an_invoice_and_see_it_in_the_detail(qtbot, view_ctx, sample_ledger):
    view = open_invoices_view(qtbot, view_ctx)
    messages: list[str] = []
    view.status_reported.connect(messages.append)
    select_invoice(view, sample_ledger.invoices["open"])

    view.credit_action.trigger()
    dialog = view.credit_dialog
    assert dialog is not None
    dialog.part.setChecked(True)
    dialog.amount.setText("100")
    dialog.tax_rate.setCurrentIndex(dialog.tax_rate.findData("19"))
    dialog.reason.setText("Two hours not worked")
    assert dialog.preview.text() == "The credit note gives back €119.00 with tax."
    dialog.accept()

    assert messages[-1].startswith("Issued credit note CN-2026-")
    detail = get_invoice(view_ctx.uow_factory(), sample_ledger.invoices["open"], TODAY)
    assert detail.open_amount.minor == 59500 - 11900
    notes = view.detail.credit_notes
    assert notes.isVisibleTo(view.detail)
    assert _cell(notes, 0, 0).startswith("CN-2026-")
    assert _cell(notes, 0, 2) == "€119.00"
    assert _cell(notes, 0, 3) == "€119.00"


def test_crediting_more_than_is_left_is_refused_in_words(qtbot, view_ctx, sample_ledger):
    view = open_invoices_view(qtbot, view_ctx)
    select_invoice(view, sample_ledger.invoices["open"])
    view.credit_action.trigger()
    dialog = view.credit_dialog
    assert dialog is not None
    dialog.part.setChecked(True)
    dialog.amount.setText("600")

    dialog.accept()

    assert dialog.error.text() == (
        f"That is €714.00 with tax, more than is left to credit on "
        f"{sample_ledger.numbers['open']} (€595.00). Credit less."
    )
    assert dialog.isVisible() or dialog.result() == 0


def test_credit_the_whole_invoice(qtbot, view_ctx, sample_ledger):
    view = open_invoices_view(qtbot, view_ctx)
    select_invoice(view, sample_ledger.invoices["overdue"])
    view.credit_action.trigger()
    dialog = view.credit_dialog
    assert dialog is not None
    assert dialog.whole.isChecked()

    dialog.accept()

    detail = get_invoice(view_ctx.uow_factory(), sample_ledger.invoices["overdue"], TODAY)
    assert detail.status == "credited"
    assert not view.credit_action.isEnabled()  # nothing is left to credit


def test_send_by_email_from_the_list_queues_the_invoice_and_says_it_waits(
    qtbot, view_ctx, sample_ledger
):
    view = open_invoices_view(qtbot, view_ctx)
    messages: list[str] = []
    view.status_reported.connect(messages.append)
    select_invoice(view, sample_ledger.invoices["draft"])
    assert not view.email_action.isEnabled()
    select_invoice(view, sample_ledger.invoices["open"])
    assert view.email_action.isEnabled()

    view.email_action.trigger()
    dialog = view.email_dialog
    assert dialog is not None
    assert dialog.to.text() == "ap@acme.example"
    dialog.send_button.click()

    qtbot.waitUntil(lambda: bool(messages))
    assert "waits in the outbox" in messages[-1]
    assert "email is not set up" in messages[-1]
