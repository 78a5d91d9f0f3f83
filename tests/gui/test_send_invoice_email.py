"""Send by email from the invoice editor, and the customer's "Send invoices by email" box."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models.collections import OutboxItem, OutboxState
from app.services.customers import get_customer
from app.services.mail.password import store_password
from app.services.settings import save_settings
from app.services.uow import UnitOfWork
from app.views.context import ViewContext
from app.views.customer_dialog import CustomerDialog
from app.views.invoice_editor import InvoiceDialog
from app.views.send_email_dialog import SendDocumentEmailDialog
from tests.gui.conftest import TODAY

pytestmark = pytest.mark.gui

DASH = "\u2013"


def _editor(qtbot: QtBot, view_ctx: ViewContext, invoice_id: int) -> InvoiceDialog:
    editor = InvoiceDialog(view_ctx, invoice_id)
    qtbot.addWidget(editor)
    editor.show()
    return editor


def _send_dialog(qtbot: QtBot, editor: InvoiceDialog) -> SendDocumentEmailDialog:
    """The editor's Send by email dialog; the test keeps the editor, the dialog's parent."""
    editor.email_button.click()
    dialog = editor.email_dialog
    assert dialog is not None  # a child of the editor: it goes with it
    return dialog


def _outbox(uow: UnitOfWork) -> list[OutboxItem]:
    with uow:
        items = list(uow.session.scalars(select(OutboxItem).order_by(OutboxItem.id)))
        uow.session.expunge_all()
    return items


def test_an_issued_invoice_offers_send_by_email_and_a_draft_does_not(
    qtbot, view_ctx, sample_ledger
):
    issued = _editor(qtbot, view_ctx, sample_ledger.invoices["open"])
    assert issued.email_button.isVisible()
    assert issued.email_button.text() == "Send by e&mail…"
    draft = _editor(qtbot, view_ctx, sample_ledger.invoices["draft"])
    assert not draft.email_button.isVisible()


def test_the_dialog_shows_the_billing_contact_and_the_subject(qtbot, view_ctx, sample_ledger):
    number = sample_ledger.numbers["open"]
    editor = _editor(qtbot, view_ctx, sample_ledger.invoices["open"])
    dialog = _send_dialog(qtbot, editor)

    assert dialog.title.text() == f"Send invoice {number} by email"
    assert dialog.to.text() == "ap@acme.example"
    assert dialog.subject.text() == f"Invoice {number} {DASH} Acme Tools GmbH"
    assert dialog.attachment.text() == f"{number}.pdf"
    assert dialog.body.toPlainText().startswith("Dear Ana Berg,")
    assert dialog.send_button.isEnabled()
    assert not dialog.error.isVisible()


def test_to_is_checked_as_it_is_typed(qtbot, view_ctx, sample_ledger):
    editor = _editor(qtbot, view_ctx, sample_ledger.invoices["open"])
    dialog = _send_dialog(qtbot, editor)

    dialog.to.setText("ap@acme")
    assert not dialog.send_button.isEnabled()
    dialog.to.editingFinished.emit()
    assert (
        dialog.error.text() == "To: 'ap@acme' is not an email address (expected name@example.com)."
    )

    dialog.to.setText("ap@acme.example, Anna <anna@acme.example>")
    assert dialog.send_button.isEnabled()
    assert not dialog.error.isVisible()

    dialog.to.clear()
    assert not dialog.send_button.isEnabled()
    dialog.send_button.click()
    assert _outbox(view_ctx.uow_factory()) == []


def test_without_email_set_up_the_invoice_waits_and_the_dialog_says_why(
    qtbot, view_ctx, sample_ledger
):
    editor = _editor(qtbot, view_ctx, sample_ledger.invoices["open"])
    said: list[str] = []
    editor.invoice_saved.connect(lambda _id, message: said.append(message))
    dialog = _send_dialog(qtbot, editor)

    dialog.send_button.click()

    waiting = (
        "The invoice waits in the outbox: email is not set up: enter the SMTP server in "
        "Settings → Email"
    )
    assert dialog.outcome.text() == waiting
    assert said == [waiting]
    assert not dialog.send_button.isVisible()
    assert not dialog.cancel_button.isVisible()
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Close) is not None
    [item] = _outbox(view_ctx.uow_factory())
    assert (item.kind, item.state, item.to_addrs) == (
        "invoice",
        OutboxState.QUEUED,
        "ap@acme.example",
    )


def test_send_delivers_it_to_the_typed_address(
    qtbot,
    view_ctx,
    sample_ledger,
    smtp_server,
    test_keyring,
):
    uow = view_ctx.uow_factory()
    save_settings(
        uow,
        {
            "smtp.host": smtp_server.host,
            "smtp.port": str(smtp_server.port),
            "smtp.user": smtp_server.user,
            "smtp.from": "ar@duebook.example",
            "smtp.ca_file": str(smtp_server.cafile),
        },
    )
    store_password(smtp_server.host, smtp_server.user, smtp_server.password)
    number = sample_ledger.numbers["overdue"]
    editor = _editor(qtbot, view_ctx, sample_ledger.invoices["overdue"])
    dialog = _send_dialog(qtbot, editor)
    dialog.to.setText("boss@acme.example")

    dialog.send_button.click()

    assert dialog.outcome.text() == "Sent the invoice to boss@acme.example."
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["boss@acme.example"]
    assert received.message["Subject"] == f"Invoice {number} {DASH} Acme Tools GmbH"
    [pdf] = list(received.message.iter_attachments())
    assert pdf.get_filename() == f"{number}.pdf"
    [item] = _outbox(uow)
    assert item.state == OutboxState.SENT


def test_a_draft_cannot_be_sent(qtbot, view_ctx, sample_ledger):
    dialog = SendDocumentEmailDialog(view_ctx, sample_ledger.invoices["draft"])
    qtbot.addWidget(dialog)
    assert dialog.error.text() == (
        "The draft invoice for Nordlicht Handel AG cannot be emailed: issue it first, so that "
        "it has a number."
    )
    assert not dialog.send_button.isEnabled()


def test_a_customer_without_an_address_is_named_and_an_address_can_be_typed(
    qtbot, view_ctx, sample_ledger
):
    uow = view_ctx.uow_factory()
    acme = get_customer(uow, sample_ledger.customers["acme"], TODAY)
    dialog = CustomerDialog(view_ctx, acme.id)
    qtbot.addWidget(dialog)
    dialog.contacts.removeRow(0)
    dialog.accept()

    send = SendDocumentEmailDialog(view_ctx, sample_ledger.invoices["open"])
    qtbot.addWidget(send)
    assert send.to.text() == ""
    assert send.error.text().startswith("Acme Tools GmbH has no email address: type the address")
    assert not send.send_button.isEnabled()
    send.to.setText("new@acme.example")
    assert send.send_button.isEnabled()


def test_the_customer_form_keeps_send_invoices_by_email(qtbot, view_ctx, sample_ledger):
    uow = view_ctx.uow_factory()
    customer_id = sample_ledger.customers["brit"]
    dialog = CustomerDialog(view_ctx, customer_id)
    qtbot.addWidget(dialog)
    assert dialog.invoices_by_email.text() == "Send invoices by e&mail"
    assert not dialog.invoices_by_email.isChecked()

    dialog.invoices_by_email.setChecked(True)
    dialog.accept()

    assert get_customer(uow, customer_id, TODAY).invoices_by_email
    again = CustomerDialog(view_ctx, customer_id)
    qtbot.addWidget(again)
    assert again.invoices_by_email.isChecked()
    again.invoices_by_email.setChecked(False)
    again.accept()
    assert not get_customer(uow, customer_id, TODAY).invoices_by_email
