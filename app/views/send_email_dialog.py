"""Send by email: an issued invoice or credit note, with its PDF, to the customer's billing contact.

The dialog shows who it goes to (the billing contacts, editable and checked as you type), the
subject and the message; Send queues it in the outbox and sends it at once in the background.
What became of it is said in words under the fields: sent, or why it waits in the outbox.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.document_emails import (
    DocumentEmailError,
    DocumentEmailPreview,
    parse_recipients,
    preview_document_email,
    queue_document_email,
    send_now,
)
from app.services.tasks import TaskContext
from app.views.context import ViewContext
from app.views.style import error_label, heading, muted, plain_label, show_form_error
from app.views.workers import describe_error


class SendDocumentEmailDialog(QDialog):
    """Email one issued invoice or credit note; it stays open to say what became of it."""

    #: Queued and sent (or left waiting): the outbox item's id and what became of it in words.
    email_sent = Signal(int, str)

    def __init__(self, ctx: ViewContext, invoice_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.invoice_id = invoice_id
        self.preview: DocumentEmailPreview | None = None
        self.item_id: int | None = None
        #: Queueing or sending is under way; the dialog may be closed meanwhile, not deleted.
        self.busy = False
        self.setWindowTitle("Send by email")
        self.setObjectName("SendDocumentEmailDialog")
        self.setSizeGripEnabled(True)
        self._build()
        self.resize(680, 520)
        self._load()

    def _build(self) -> None:
        self.title = heading("Send by email")
        self.about = muted(plain_label())
        self.to = QLineEdit()
        self.to.setObjectName("EmailTo")
        self.to.setPlaceholderText("name@example.com; several separated by commas")
        self.to.setClearButtonEnabled(True)
        self.subject = plain_label(selectable=True)
        self.subject.setObjectName("EmailSubject")
        self.body = QPlainTextEdit()
        self.body.setObjectName("EmailBody")
        self.body.setReadOnly(True)
        self.body.setTabChangesFocus(True)
        self.body.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.body.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.attachment = plain_label(selectable=True)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        to_label = QLabel("&To")
        to_label.setBuddy(self.to)
        # Qt sizes "&To" for the kerned "To" and cuts off the "o" it draws: give it room.
        to_label.setMinimumWidth(to_label.fontMetrics().horizontalAdvance("To") + 6)
        form.addRow(to_label, self.to)
        form.addRow("Subject", self.subject)
        form.addRow("Attached", self.attachment)
        self.error = error_label()
        self.outcome = plain_label(selectable=True)
        self.outcome.setObjectName("SendResult")
        font = self.outcome.font()
        font.setBold(True)
        self.outcome.setFont(font)
        self.outcome.hide()
        self.buttons = QDialogButtonBox()
        self.send_button = QPushButton("&Send")
        self.send_button.setDefault(True)
        self.send_button.setEnabled(False)
        self.buttons.addButton(self.send_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._on_send_button_clicked)
        self.buttons.rejected.connect(self.reject)
        self.to.textChanged.connect(self._on_to_text_changed)
        self.to.editingFinished.connect(self._on_to_editing_finished)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.about)
        layout.addSpacing(4)
        layout.addLayout(form)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.outcome)
        layout.addWidget(self.buttons)

    # -- loading -----------------------------------------------------------------------------

    def _load(self) -> None:
        uow_factory, invoice_id, today = self._ctx.uow_factory, self.invoice_id, self._today()

        def read(_: TaskContext) -> DocumentEmailPreview:
            return preview_document_email(uow_factory(), invoice_id, today)

        self.to.setEnabled(False)
        self._ctx.runner.fetch(read, self._on_loaded, self._on_load_failed)

    def _today(self) -> date:
        return self._ctx.clock.today()

    def _on_load_failed(self, exc: Exception) -> None:
        show_form_error(self.error, describe_error(exc))
        self.send_button.setEnabled(False)

    def _on_loaded(self, preview: DocumentEmailPreview) -> None:
        self.preview = preview
        what = preview.what.capitalize()
        self.title.setText(f"Send {preview.what} {preview.number} by email")
        self.setWindowTitle(f"Send {what.lower()} {preview.number}")
        self.about.setText(
            f"To {preview.customer_name}, in their language, with the {preview.what} as a PDF."
        )
        self.subject.setText(preview.subject)
        self.attachment.setText(preview.attachment)
        self.body.setPlainText(preview.body_text)
        self.to.setEnabled(True)
        self.to.setText(", ".join(preview.to))
        if not preview.to:
            show_form_error(
                self.error,
                f"{preview.customer_name} has no email address: type the address to send to "
                "(and add it to the customer's contacts for next time).",
            )
        self.to.setFocus()
        self.to.end(False)

    # -- checking and sending ----------------------------------------------------------------

    def recipients(self, *, say_why: bool = True) -> tuple[str, ...] | None:
        """The addresses typed in To, or ``None`` (the reason shown if asked) when they are not."""
        try:
            return parse_recipients(self.to.text())
        except DocumentEmailError as exc:
            if say_why:
                show_form_error(self.error, str(exc))
            return None

    @Slot(str)
    def _on_to_text_changed(self, _text: str) -> None:
        """Send is offered while To holds addresses; a half-typed one is not scolded yet."""
        if self.preview is None or self.item_id is not None:
            return
        valid = self.recipients(say_why=False) is not None
        if valid:
            show_form_error(self.error, "")
        self.send_button.setEnabled(valid)

    @Slot()
    def _on_to_editing_finished(self) -> None:
        if self.preview is not None and self.item_id is None and self.to.text().strip():
            self.recipients()

    @Slot()
    def _on_send_button_clicked(self) -> None:
        recipients = self.recipients()
        if recipients is None or self.preview is None or self.item_id is not None:
            return
        uow_factory, invoice_id, today = self._ctx.uow_factory, self.invoice_id, self._today()
        to = ", ".join(recipients)

        def queue(_: TaskContext) -> int:
            return queue_document_email(uow_factory(), invoice_id, today, to=to)

        self.send_button.setEnabled(False)
        self.to.setReadOnly(True)
        self.to.setClearButtonEnabled(False)
        self.busy = True
        self._ctx.runner.run(
            queue,
            progress_label="Putting the email in the outbox…",
            parent=self,
            on_success=lambda item_id: self._send(int(item_id)),
            on_failure=self._on_queue_failed,
        )

    def _on_queue_failed(self, exc: Exception) -> None:
        self.busy = False
        self.to.setReadOnly(False)
        self.to.setClearButtonEnabled(True)
        self.send_button.setEnabled(True)
        show_form_error(self.error, describe_error(exc))

    def _send(self, item_id: int) -> None:
        self.item_id = item_id
        uow_factory, today = self._ctx.uow_factory, self._today()
        self._show_result(f"Sending to {self.to.text()}…")

        def send(_: TaskContext) -> str:
            return send_now(uow_factory(), item_id, today)

        self._ctx.runner.run(
            send,
            progress_label="Sending the email…",
            parent=self,
            on_success=lambda words: self._on_sent(str(words)),
            on_failure=lambda exc: self._on_sent(
                f"The email waits in the outbox; sending it failed: {describe_error(exc)}"
            ),
            io=True,
        )

    def _on_sent(self, words: str) -> None:
        self.busy = False
        self._show_result(words)
        self.send_button.hide()
        self.cancel_button.hide()
        close = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setDefault(True)
        close.setFocus()
        if self.item_id is not None:
            self.email_sent.emit(self.item_id, words)

    def _show_result(self, words: str) -> None:
        show_form_error(self.error, "")
        self.outcome.setText(words)
        self.outcome.setVisible(True)
