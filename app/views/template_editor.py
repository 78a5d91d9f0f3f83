"""The reminder email editor: a letter's subject and bodies per language, previewed as you type."""

from __future__ import annotations

import re

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFontDatabase, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from app.services.customers import CustomerChoice, list_customer_choices
from app.services.reminders.preview import load_template_for_editing, preview_for_customer
from app.services.reminders.templates import (
    LANGUAGES,
    PLACEHOLDER_HELP,
    TEMPLATE_NAMES,
    RenderedEmail,
    TemplateError,
    TemplateSource,
    reset_template,
    save_template,
)
from app.services.tasks import TaskContext
from app.views import ask
from app.views.context import ViewContext
from app.views.outbox_view import EmailPreviewPane
from app.views.style import error_label, muted, show_form_error
from app.views.workers import describe_error

#: The letters by what they are for, gentlest first.
TEMPLATE_TEXT: dict[str, str] = {
    "friendly": "Friendly note (before or just after the due date)",
    "reminder": "Reminder",
    "firm": "Firm reminder",
    "final": "Final notice",
}
LANGUAGE_TEXT: dict[str, str] = {
    "en": "English",
    "de": "German (Deutsch)",
    "fr": "French (Français)",
    "es": "Spanish (Español)",
    "nl": "Dutch (Nederlands)",
}
#: Typing pauses this long before the preview is written again.
PREVIEW_DELAY_MS = 350
#: Where a template error is: the part and, when known, the line.
_WHERE = re.compile(r"\), (subject|text body|HTML body)(?:, line (\d+))?:")
_PARTS = {"subject": -1, "text body": 0, "HTML body": 1}


class TemplateEditorDialog(QDialog):
    """Edit one reminder letter in one language, with a live preview on a real customer."""

    #: A template was saved or reset (its name and language).
    template_saved = Signal(str, str)

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("TemplateEditorDialog")
        self.setWindowTitle("Reminder emails")
        self._loaded: TemplateSource | None = None
        self._preview_serial = 0
        self._choice = (TEMPLATE_NAMES[0], LANGUAGES[0])

        self.template_combo = QComboBox()
        self.template_combo.setAccessibleName("Letter")
        for name in TEMPLATE_NAMES:
            self.template_combo.addItem(TEMPLATE_TEXT.get(name, name), name)
        self.language_combo = QComboBox()
        self.language_combo.setAccessibleName("Language")
        for language in LANGUAGES:
            self.language_combo.addItem(LANGUAGE_TEXT.get(language, language), language)
        self.origin = muted(QLabel())
        self.origin.setObjectName("TemplateOrigin")
        self._build_editors()
        self.customer_combo = QComboBox()
        self.customer_combo.setObjectName("PreviewCustomer")
        self.customer_combo.setAccessibleName("Preview on")
        self.customer_combo.addItem("Sample customer (made up)", None)
        self.preview = EmailPreviewPane("The preview appears here.")
        self.preview.setObjectName("TemplatePreview")

        self.reset_button = QPushButton("Reset to shipped…")
        self.reset_button.setToolTip("Drop your changes to this letter and use Duebook's own")
        self.save_button = QPushButton("Save")
        self.save_button.setDefault(True)
        self.close_button = QPushButton("Close")
        self.close_button.setAutoDefault(False)
        self._build_layout()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._connect()
        self.resize(1200, 760)
        self._restore_state(ctx.settings)
        self._load_customers()
        self.load()

    def _build_editors(self) -> None:
        self.subject = QLineEdit()
        self.subject.setObjectName("TemplateSubject")
        self.subject.setAccessibleName("Subject")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.body_text = QPlainTextEdit()
        self.body_text.setObjectName("TemplateText")
        self.body_html = QPlainTextEdit()
        self.body_html.setObjectName("TemplateHtml")
        for editor, name in ((self.body_text, "Plain-text body"), (self.body_html, "HTML body")):
            editor.setFont(mono)
            editor.setAccessibleName(name)
            editor.setTabChangesFocus(True)
            editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.bodies = QTabWidget()
        self.bodies.setDocumentMode(True)
        self.bodies.addTab(self.body_text, "Plain text")
        self.bodies.addTab(self.body_html, "HTML")
        self.error = error_label()
        self.error.setObjectName("TemplateError")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        help_text = muted(QLabel(PLACEHOLDER_HELP))
        help_text.setWordWrap(True)
        help_text.setTextFormat(Qt.TextFormat.PlainText)
        help_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.help_text = help_text

    def _connect(self) -> None:
        self._timer.timeout.connect(self._on_timer_timeout)
        self.subject.textChanged.connect(self._on_editor_changed)
        self.body_text.textChanged.connect(self._on_editor_changed)
        self.body_html.textChanged.connect(self._on_editor_changed)
        self.template_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.language_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.customer_combo.currentIndexChanged.connect(self._on_customer_combo_changed)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.reset_button.clicked.connect(self._on_reset_button_clicked)
        self.close_button.clicked.connect(self.close)

    def _build_layout(self) -> None:
        choose = QHBoxLayout()
        letter_label = QLabel("&Letter")
        letter_label.setBuddy(self.template_combo)
        choose.addWidget(letter_label)
        choose.addWidget(self.template_combo)
        language_label = QLabel("Lan&guage")
        language_label.setBuddy(self.language_combo)
        choose.addSpacing(12)
        choose.addWidget(language_label)
        choose.addWidget(self.language_combo)
        choose.addSpacing(12)
        choose.addWidget(self.origin, 1)

        editor = QWidget()
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Subject", self.subject)
        editor_layout = QVBoxLayout(editor)
        editor_layout.setContentsMargins(0, 0, 0, 0)
        editor_layout.addLayout(form)
        editor_layout.addWidget(self.bodies, 1)
        editor_layout.addWidget(self.error)
        editor_layout.addWidget(self.help_text)

        preview = QWidget()
        preview_layout = QVBoxLayout(preview)
        preview_layout.setContentsMargins(0, 0, 0, 0)
        on_row = QHBoxLayout()
        on_label = QLabel("&Preview on")
        on_label.setBuddy(self.customer_combo)
        on_row.addWidget(on_label)
        on_row.addWidget(self.customer_combo, 1)
        preview_layout.addLayout(on_row)
        preview_layout.addWidget(self.preview, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("TemplateSplitter")
        self.splitter.addWidget(editor)
        self.splitter.addWidget(preview)
        self.splitter.setSizes([620, 560])
        self.splitter.setChildrenCollapsible(False)

        buttons = QHBoxLayout()
        buttons.addWidget(self.reset_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(choose)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(buttons)

    # -- state -------------------------------------------------------------------------------

    def _restore_state(self, settings: QSettings) -> None:
        geometry = settings.value("templates/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        splitter = settings.value("templates/splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.splitter.restoreState(splitter)

    @override
    def reject(self) -> None:
        """Close (Escape, Close, the window's X), asking first when there are unsaved changes."""
        if self.is_dirty() and not ask.confirm(
            self,
            "Reminder emails",
            "Close without saving your changes to this letter?",
            "Close without saving",
        ):
            return
        self.ctx.settings.setValue("templates/geometry", self.saveGeometry())
        self.ctx.settings.setValue("templates/splitter", self.splitter.saveState())
        super().reject()

    # -- loading -----------------------------------------------------------------------------

    def chosen(self) -> tuple[str, str]:
        """The letter and language being edited."""
        return str(self.template_combo.currentData()), str(self.language_combo.currentData())

    def current_source(self) -> TemplateSource:
        """The template as typed now."""
        name, language = self.chosen()
        return TemplateSource(
            name=name,
            language=language,
            subject=self.subject.text(),
            body_text=self.body_text.toPlainText(),
            body_html=self.body_html.toPlainText(),
        )

    def is_dirty(self) -> bool:
        """Whether the fields differ from the template as stored."""
        loaded, now = self._loaded, self.current_source()
        return loaded is not None and (loaded.subject, loaded.body_text, loaded.body_html) != (
            now.subject,
            now.body_text,
            now.body_html,
        )

    def choose(self, name: str, language: str) -> None:
        """Edit another letter or language (as if chosen in the combos)."""
        self.template_combo.setCurrentIndex(self.template_combo.findData(name))
        self.language_combo.setCurrentIndex(self.language_combo.findData(language))

    def load(self) -> None:
        """Read the chosen letter from the ledger (the user's edit, else the shipped one)."""
        name, language = self._choice = self.chosen()
        uow_factory = self.ctx.uow_factory

        def read(_: TaskContext) -> TemplateSource:
            return load_template_for_editing(uow_factory(), name, language)

        self.ctx.runner.fetch(read, self._on_loaded, self._on_failed)

    def _on_loaded(self, source: TemplateSource) -> None:
        if (source.name, source.language) != self.chosen():
            return
        self._loaded = source
        for editor, text in (
            (self.subject, source.subject),
            (self.body_text, source.body_text),
            (self.body_html, source.body_html),
        ):
            editor.blockSignals(True)
            if isinstance(editor, QLineEdit):
                editor.setText(text)
            else:
                editor.setPlainText(text)
            editor.blockSignals(False)
        self.origin.setText(
            "Your edit: “Reset to shipped” brings Duebook's own text back"
            if source.edited
            else "As shipped with Duebook"
        )
        self.reset_button.setEnabled(source.edited)
        show_form_error(self.error, "")
        self.render_preview()

    def _load_customers(self) -> None:
        uow_factory = self.ctx.uow_factory

        def read(_: TaskContext) -> list[CustomerChoice]:
            return list_customer_choices(uow_factory())

        self.ctx.runner.fetch(read, self._on_customers_loaded, self._on_failed)

    def _on_customers_loaded(self, customers: list[CustomerChoice]) -> None:
        self.customer_combo.blockSignals(True)
        for customer in customers:
            self.customer_combo.addItem(f"{customer.name} ({customer.code})", customer.id)
        self.customer_combo.blockSignals(False)

    def _on_failed(self, exc: Exception) -> None:
        show_form_error(self.error, describe_error(exc))

    # -- preview -----------------------------------------------------------------------------

    @Slot()
    def _on_editor_changed(self) -> None:
        self._timer.start()

    @Slot()
    def _on_timer_timeout(self) -> None:
        self.render_preview()

    @Slot()
    def _on_customer_combo_changed(self) -> None:
        self.render_preview()

    def preview_customer(self) -> int | None:
        """The customer the preview is written for; ``None`` for the sample customer."""
        data = self.customer_combo.currentData()
        return int(data) if isinstance(data, int) else None

    def choose_preview_customer(self, customer_id: int | None) -> None:
        """Preview on another customer (as if chosen in the combo)."""
        self.customer_combo.setCurrentIndex(max(self.customer_combo.findData(customer_id), 0))

    def render_preview(self) -> None:
        """Write the preview from the fields as they are now (in the background)."""
        self._timer.stop()
        self._preview_serial += 1
        serial, source = self._preview_serial, self.current_source()
        uow_factory, customer_id = self.ctx.uow_factory, self.preview_customer()
        today = self.ctx.clock.today()

        def read(_: TaskContext) -> RenderedEmail:
            return preview_for_customer(uow_factory(), source, customer_id, today)

        self.ctx.runner.drop_queued("template-preview")
        self.ctx.runner.fetch(
            read,
            lambda email: self._on_preview_rendered(serial, email),
            lambda exc: self._on_preview_failed(serial, exc),
            group="template-preview",
        )

    def _on_preview_rendered(self, serial: int, email: RenderedEmail) -> None:
        if serial != self._preview_serial:
            return
        show_form_error(self.error, "")
        self.preview.show_email(
            email.subject,
            to=self.customer_combo.currentText(),
            body_text=email.body_text,
            body_html=email.body_html,
        )

    def _on_preview_failed(self, serial: int, exc: Exception) -> None:
        if serial != self._preview_serial:
            return
        show_form_error(self.error, describe_error(exc))

    # -- choosing, saving, resetting ---------------------------------------------------------

    @Slot()
    def _on_choice_changed(self) -> None:
        if self.chosen() == self._choice:
            return
        if self.is_dirty() and not ask.confirm(
            self,
            "Reminder emails",
            "Your changes to this letter are not saved. Drop them and open the other one?",
            "Drop changes",
        ):
            name, language = self._choice
            for combo, value in ((self.template_combo, name), (self.language_combo, language)):
                combo.blockSignals(True)
                combo.setCurrentIndex(combo.findData(value))
                combo.blockSignals(False)
            return
        self.load()

    @Slot()
    def _on_save_button_clicked(self) -> None:
        self.save()

    def save(self) -> None:
        """Check and store the letter; a broken one is refused with the part and line."""
        source = self.current_source()
        uow_factory = self.ctx.uow_factory

        def save(_: TaskContext) -> None:
            save_template(uow_factory(), source)

        self.ctx.runner.run(
            save,
            progress_label="Saving the letter…",
            parent=self,
            on_success=lambda _: self._on_saved(source),
            on_failure=self._on_save_failed,
        )

    def _on_saved(self, source: TemplateSource) -> None:
        self.template_saved.emit(source.name, source.language)
        self.load()
        self.origin.setText("Saved")

    def _on_save_failed(self, exc: Exception) -> None:
        if not isinstance(exc, TemplateError):
            show_form_error(self.error, describe_error(exc))
            return
        show_form_error(self.error, f"Not saved: {exc}")
        self._show_error_place(str(exc))

    def _show_error_place(self, message: str) -> None:
        """Put the cursor on the part and line a template error names."""
        found = _WHERE.search(message)
        if found is None:
            return
        part = _PARTS[found.group(1)]
        if part < 0:
            self.subject.setFocus()
            return
        self.bodies.setCurrentIndex(part)
        editor = self.body_text if part == 0 else self.body_html
        line = int(found.group(2) or 1)
        block = editor.document().findBlockByLineNumber(max(line - 1, 0))
        cursor = QTextCursor(block)
        cursor.select(QTextCursor.SelectionType.LineUnderCursor)
        editor.setTextCursor(cursor)
        editor.setFocus()

    @Slot()
    def _on_reset_button_clicked(self) -> None:
        name, language = self.chosen()
        if not ask.confirm(
            self,
            "Reset to shipped",
            f"Drop your changes to “{TEMPLATE_TEXT.get(name, name)}” in "
            f"{LANGUAGE_TEXT.get(language, language)} and use Duebook's own text again? "
            "This cannot be undone.",
            "Reset to shipped",
        ):
            return
        uow_factory = self.ctx.uow_factory

        def reset(_: TaskContext) -> None:
            reset_template(uow_factory(), name, language)

        def done(_: object) -> None:
            self.template_saved.emit(name, language)
            self._loaded = None
            self.load()

        self.ctx.runner.run(
            reset,
            progress_label="Resetting the letter…",
            parent=self,
            on_success=done,
            on_failure=self._on_failed,
        )
