"""The Settings screen: company, bank details, invoicing, tax rates; the mail account in a tab."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QLocale, Qt, Slot
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.services.invoicing import next_sequence_values
from app.services.mail.password import PasswordStoreError, store_password
from app.services.settings import (
    SETTINGS,
    SettingError,
    TaxRateView,
    format_number,
    list_tax_rates,
    load_settings,
    save_settings,
    save_tax_rates,
)
from app.services.tasks import TaskContext
from app.views import ask
from app.views.context import ViewContext
from app.views.email_settings import EmailSettingsPage, label_for
from app.views.inputs import InputError, decimal_text, parse_decimal
from app.views.outbox_sending import mail_setup_problem
from app.views.policy_dialog import PolicyDialog
from app.views.screen import Screen
from app.views.style import error_label, heading, muted, show_form_error
from app.views.template_editor import TemplateEditorDialog
from app.views.workers import describe_error, sentence

_MULTILINE = {"company.address", "invoice.footer"}
_PAYMENT_LINK_HELP = (
    "A link printed on the invoice and in its QR code. It may use {number} (the invoice "
    "number), {amount} (the open amount, e.g. 119.00), {currency} and {reference} (the RF "
    "creditor reference). Example: https://pay.example.com/?inv={number}&amount={amount}"
)
_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Company",
        (
            "company.name",
            "company.address",
            "company.country",
            "company.email",
            "company.phone",
            "company.vat_id",
            "company.currency",
            "company.logo_path",
        ),
    ),
    (
        "Bank details",
        (
            "company.iban",
            "company.bic",
            "company.bank_name",
            "matching.writeoff_percent",
            "matching.writeoff_max",
        ),
    ),
    (
        "Invoicing",
        (
            "invoice.number_pattern",
            "invoice.credit_note_pattern",
            "invoice.payment_terms_days",
            "invoice.payment_link",
            "invoice.footer",
        ),
    ),
)


@dataclass(frozen=True)
class _Saved:
    values: dict[str, str]
    password_stored: bool
    #: Why the typed password is not in the keyring ("" when stored or none was typed).
    password_problem: str = ""
    #: Why email still cannot go out with the saved settings ("" when it can, or no server).
    mail_problem: str = ""


@dataclass(frozen=True)
class _Loaded:
    values: dict[str, str]
    rates: list[TaxRateView]
    next_numbers: dict[str, int]


class SettingsView(Screen):
    """Business settings, stored in the ledger; checked by the settings service on save."""

    title = "Settings"
    search_placeholder = ""

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("SettingsView")
        self.fields: dict[str, QWidget] = {}
        self.field_errors: dict[str, QLabel] = {}
        self._next_numbers = {"invoice": 1, "credit_note": 1}
        self._saved: dict[str, str] = {}
        self._saved_rates: list[TaxRateView] = []
        self._password_stored = False
        #: What the last save has to say once the form is read again (and the typed password
        #: the keyring did not take, to put back into its field).
        self._after_save: tuple[_Saved, str] | None = None

        self.save_button = QPushButton("Save settings")
        self.save_button.setDefault(True)
        self.revert_button = QPushButton("Revert")
        self.error = error_label()
        self.error.setObjectName("SettingsError")

        self.tabs = QTabWidget()
        self.tabs.setObjectName("SettingsTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(_scrolling(self._general_page()), "Company and invoicing")
        self.email_page = EmailSettingsPage(ctx, self.form_values)
        self.fields.update(self.email_page.fields)
        self.field_errors.update(self.email_page.field_errors)
        self.email_page.outbox_requested.connect(self._on_email_page_outbox_requested)
        email_body = QWidget()
        email_layout = QVBoxLayout(email_body)
        email_layout.setContentsMargins(16, 12, 16, 16)
        email_layout.addWidget(self.email_page)
        email_layout.addStretch(1)
        self.email_tab = self.tabs.addTab(_scrolling(email_body), "Email")
        title = heading("Settings", size_delta=5)
        title.setContentsMargins(16, 8, 16, 4)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(16, 6, 16, 8)
        buttons.addWidget(self.error, 4)  # a sentence after Save reads in two lines, not five
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)

        save_action = self.toolbar.addAction(
            self.style().standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton), "Save settings"
        )
        save_action.triggered.connect(self._on_save_button_clicked)
        self._add_reminder_actions()
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.revert_button.clicked.connect(self._on_revert_button_clicked)
        self._pattern_field("invoice.number_pattern").textChanged.connect(self._update_examples)
        self._pattern_field("invoice.credit_note_pattern").textChanged.connect(
            self._update_examples
        )
        self._pattern_field("company.logo_path").textChanged.connect(self._update_logo_preview)

    def icon(self) -> QIcon:
        return self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogContentsView)

    # -- building ----------------------------------------------------------------------------

    def _general_page(self) -> QWidget:
        body = QWidget()
        columns = QHBoxLayout(body)
        columns.setContentsMargins(16, 12, 16, 16)
        columns.setSpacing(16)
        left, right = QVBoxLayout(), QVBoxLayout()
        for column, boxes in (
            (left, (self._group(*_GROUPS[0]), self._group(*_GROUPS[2]))),
            (right, (self._group(*_GROUPS[1]), self._tax_group(), self._reminders_group())),
        ):
            column.setSpacing(12)
            for box in boxes:
                column.addWidget(box)
            column.addStretch(1)
            columns.addLayout(column, 1)
        return body

    def _group(self, title: str, keys: tuple[str, ...]) -> QGroupBox:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key in keys:
            form.addRow(SETTINGS[key].label, self._field(key))
        return box

    def _field(self, key: str) -> QWidget:
        editor: QLineEdit | QPlainTextEdit
        if key in _MULTILINE:
            editor = QPlainTextEdit()
            editor.setTabChangesFocus(True)
            editor.setFixedHeight(64)
            editor.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        else:
            editor = QLineEdit()
        editor.setObjectName(key)
        editor.setAccessibleName(SETTINGS[key].label)
        editor.setToolTip(key)
        self.fields[key] = editor
        error = error_label()
        self.field_errors[key] = error
        container = QWidget()
        layout = QVBoxLayout(container)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        if key == "company.logo_path":
            row = QHBoxLayout()
            row.addWidget(editor, 1)
            browse = QPushButton("Choose…")
            browse.clicked.connect(self._on_logo_button_clicked)
            row.addWidget(browse)
            layout.addLayout(row)
            self.logo_preview = QLabel("No logo")
            self.logo_preview.setFixedSize(160, 60)
            self.logo_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.logo_preview.setFrameShape(QFrame.Shape.StyledPanel)
            layout.addWidget(self.logo_preview)
        else:
            layout.addWidget(editor)
        if key in {"invoice.number_pattern", "invoice.credit_note_pattern"}:
            example = muted(QLabel())
            example.setObjectName(f"{key}.example")
            layout.addWidget(example)
            if key == "invoice.number_pattern":
                self.number_example = example
            else:
                self.credit_note_example = example
        if key == "invoice.payment_link" and isinstance(editor, QLineEdit):
            editor.setPlaceholderText("https://pay.example.com/?inv={number}")
            help_text = muted(QLabel(_PAYMENT_LINK_HELP))
            help_text.setWordWrap(True)
            help_text.setTextFormat(Qt.TextFormat.PlainText)
            layout.addWidget(help_text)
        layout.addWidget(error)
        return container

    def _add_reminder_actions(self) -> None:
        self.toolbar.addSeparator()
        self.toolbar.addAction("Reminder emails…", self._on_templates_button_clicked)
        self.toolbar.addAction("Reminder policies…", self._on_policies_button_clicked)

    def _reminders_group(self) -> QGroupBox:
        box = QGroupBox("Reminders")
        layout = QVBoxLayout(box)
        buttons = QHBoxLayout()
        self.templates_button = QPushButton("Reminder emails…")
        self.templates_button.setToolTip("Edit the letters' subject and text, in each language")
        self.policies_button = QPushButton("Reminder policies…")
        self.policies_button.setToolTip("The dunning steps and which customers get which policy")
        note = muted(QLabel("What reminders say, when they go out, and to whom."))
        note.setWordWrap(True)
        buttons.addWidget(self.templates_button)
        buttons.addWidget(self.policies_button)
        buttons.addStretch(1)
        layout.addWidget(note)
        layout.addLayout(buttons)
        self.templates_button.clicked.connect(self._on_templates_button_clicked)
        self.policies_button.clicked.connect(self._on_policies_button_clicked)
        return box

    @Slot()
    def _on_templates_button_clicked(self) -> None:
        dialog = TemplateEditorDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.template_saved.connect(self._on_template_saved)
        dialog.open()

    @Slot(str, str)
    def _on_template_saved(self, _name: str, _language: str) -> None:
        self.status_reported.emit("Reminder email saved")

    @Slot()
    def _on_policies_button_clicked(self) -> None:
        dialog = PolicyDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.policies_changed.connect(self.ledger_changed.emit)
        dialog.open()

    def _tax_group(self) -> QGroupBox:
        box = QGroupBox("Tax rates")
        layout = QVBoxLayout(box)
        self.tax_table = QTableWidget(0, 3)
        self.tax_table.setObjectName("TaxRates")
        self.tax_table.setHorizontalHeaderLabels(["Name", "Rate %", "Default"])
        self.tax_table.verticalHeader().hide()
        self.tax_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.tax_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(1, 80)
        header.resizeSection(2, 70)
        self.tax_table.setMinimumHeight(130)
        add = QPushButton("Add rate")
        remove = QPushButton("Remove rate")
        add.clicked.connect(self._on_add_rate_button_clicked)
        remove.clicked.connect(self._on_remove_rate_button_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        self.tax_error = error_label()
        layout.addWidget(self.tax_table)
        layout.addLayout(buttons)
        layout.addWidget(self.tax_error)
        return box

    def _pattern_field(self, key: str) -> QLineEdit:
        field = self.fields[key]
        if not isinstance(field, QLineEdit):
            raise TypeError(f"{key} is not edited in a line")
        return field

    # -- loading -----------------------------------------------------------------------------

    def refresh(self) -> None:
        self.stale = False
        uow_factory, year = self.ctx.uow_factory, self.ctx.clock.today().year

        def read(_: TaskContext) -> _Loaded:
            uow = uow_factory()
            return _Loaded(load_settings(uow), list_tax_rates(uow), next_sequence_values(uow, year))

        self.ctx.runner.fetch(
            read, self._on_loaded, lambda exc: show_form_error(self.error, str(exc))
        )

    def _on_loaded(self, loaded: _Loaded) -> None:
        self._saved = dict(loaded.values)
        self._saved_rates = list(loaded.rates)
        self._next_numbers = loaded.next_numbers
        for key, value in loaded.values.items():
            self.set_value(key, value)
        self.tax_table.setRowCount(0)
        for rate in loaded.rates:
            self._add_rate_row(rate)
        self._clear_errors()
        self._update_examples()
        self.email_page.loaded(loaded.values)
        after_save, self._after_save = self._after_save, None
        if after_save is not None:
            self._show_saved_notes(*after_save)

    def set_value(self, key: str, value: str) -> None:
        """Put a value into a field (as if typed)."""
        if self.email_page.set_value(key, value):
            return
        field = self.fields.get(key)
        if isinstance(field, QPlainTextEdit):
            field.setPlainText(value)
        elif isinstance(field, QLineEdit):
            field.setText(value)

    def value(self, key: str) -> str:
        """A field's current value, as the settings service takes it."""
        if key in self.email_page.fields:
            return self.email_page.value(key)
        field = self.fields[key]
        if isinstance(field, QPlainTextEdit):
            return field.toPlainText()
        if isinstance(field, QLineEdit):
            return field.text()
        raise TypeError(f"{key} has no value")

    def form_values(self) -> dict[str, str]:
        """Every setting as the form has it now: typed values over the saved ones."""
        values = dict(self._saved)
        values.update({key: self.value(key) for key in self.fields})
        return values

    def _add_rate_row(self, rate: TaxRateView) -> None:
        row = self.tax_table.rowCount()
        self.tax_table.insertRow(row)
        self.tax_table.setItem(row, 0, QTableWidgetItem(rate.name))
        percent = QTableWidgetItem(decimal_text(rate.percent, QLocale(self.ctx.locale)))
        percent.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.tax_table.setItem(row, 1, percent)
        default = QCheckBox()
        default.setChecked(rate.is_default)
        default.setAccessibleName("Default rate")
        default.toggled.connect(lambda on, box=default: self._on_default_toggled(box, on))
        holder = QWidget()
        holder_layout = QHBoxLayout(holder)
        holder_layout.setContentsMargins(0, 0, 0, 0)
        holder_layout.setAlignment(Qt.AlignmentFlag.AlignCenter)
        holder_layout.addWidget(default)
        self.tax_table.setCellWidget(row, 2, holder)

    def _default_box(self, row: int) -> QCheckBox | None:
        holder = self.tax_table.cellWidget(row, 2)
        return holder.findChild(QCheckBox) if holder is not None else None

    def _on_default_toggled(self, box: QCheckBox, on: bool) -> None:
        if not on:
            return
        for row in range(self.tax_table.rowCount()):
            other = self._default_box(row)
            if other is not None and other is not box:
                other.setChecked(False)

    def tax_rates(self) -> list[TaxRateView]:
        """The rates in the table.

        Raises:
            InputError: a rate is not a number.
        """
        rates: list[TaxRateView] = []
        for row in range(self.tax_table.rowCount()):
            name_item, percent_item = self.tax_table.item(row, 0), self.tax_table.item(row, 1)
            name = name_item.text().strip() if name_item else ""
            text = percent_item.text() if percent_item else ""
            if not name and not text.strip():
                continue
            percent = parse_decimal(
                text, QLocale(self.ctx.locale), what=f"rate of {name or 'line ' + str(row + 1)}"
            )
            box = self._default_box(row)
            rates.append(TaxRateView(name, percent, box is not None and box.isChecked()))
        return rates

    # -- examples and preview ----------------------------------------------------------------

    @Slot()
    def _update_examples(self) -> None:
        today = self.ctx.clock.today()
        for key, series, label in (
            ("invoice.number_pattern", "invoice", self.number_example),
            ("invoice.credit_note_pattern", "credit_note", self.credit_note_example),
        ):
            pattern = self.value(key).strip()
            try:
                example = format_number(pattern, today, self._next_numbers.get(series, 1))
            except (KeyError, ValueError, IndexError):
                label.setText("Use {seq} for the running number, {year} and {month} for the date")
                continue
            label.setText(f"Next: {example}" if "{seq" in pattern else "The pattern needs {seq}")

    @Slot(str)
    def _update_logo_preview(self, path_text: str) -> None:
        path = Path(path_text.strip()) if path_text.strip() else None
        pixmap = QPixmap(str(path)) if path is not None and path.is_file() else QPixmap()
        if pixmap.isNull():
            self.logo_preview.setPixmap(QPixmap())
            self.logo_preview.setText("No logo" if path is None else "Not a PNG or JPEG image")
            return
        self.logo_preview.setPixmap(
            pixmap.scaled(
                self.logo_preview.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    @Slot()
    def _on_logo_button_clicked(self) -> None:
        path = ask.choose_open_file(self, "Choose the logo", "Images (*.png *.jpg *.jpeg)")
        if path is not None:
            self.set_value("company.logo_path", str(path))

    # -- tax rate table ----------------------------------------------------------------------

    @Slot()
    def _on_add_rate_button_clicked(self) -> None:
        self._add_rate_row(TaxRateView("", Decimal(0)))
        row = self.tax_table.rowCount() - 1
        self.tax_table.setCurrentCell(row, 0)
        cell = self.tax_table.item(row, 0)
        if cell is not None:
            self.tax_table.editItem(cell)

    @Slot()
    def _on_remove_rate_button_clicked(self) -> None:
        row = self.tax_table.currentRow()
        if row >= 0:
            self.tax_table.removeRow(row)

    # -- saving ------------------------------------------------------------------------------

    def _clear_errors(self) -> None:
        for label in self.field_errors.values():
            show_form_error(label, "")
        self.email_page.clear_errors()
        show_form_error(self.tax_error, "")
        show_form_error(self.error, "")

    @Slot()
    def _on_revert_button_clicked(self) -> None:
        self.refresh()

    @Slot()
    def _on_save_button_clicked(self) -> None:
        self.save()

    def save(self) -> None:
        """Check and store every setting, the tax rates and a typed mail password.

        A value that does not fit stores nothing, not even the password. The password goes only
        into the system keyring, before the settings; when the keyring cannot keep it, the
        settings are saved all the same and the typed password stays in its field, with the
        reason beside it.
        """
        self._clear_errors()
        try:
            rates = self.tax_rates()
        except InputError as exc:
            show_form_error(self.tax_error, str(exc))
            show_form_error(self.error, "Tax rates: check the rates.")
            return
        values = {key: self.value(key) for key in self.fields}
        changed = {k: v for k, v in values.items() if v != self._saved.get(k)}
        rates_changed = rates != self._saved_rates
        password = self.email_page.typed_password()
        host, user = self.email_page.account()
        uow_factory = self.ctx.uow_factory
        self._password_stored = False

        def save(_: TaskContext) -> _Saved:
            check_settings(changed)
            problem = ""
            if password:
                try:
                    store_password(host, user, password)
                    self._password_stored = True
                except PasswordStoreError as exc:
                    problem = str(exc)
            uow = uow_factory()
            stored = save_settings(uow, changed) if changed else {}
            if rates_changed:
                save_tax_rates(uow, rates)
            saved = load_settings(uow)
            mail_problem = mail_setup_problem(saved) if saved["smtp.host"] else ""
            return _Saved(stored, self._password_stored, problem, mail_problem)

        self.ctx.runner.run(
            save,
            progress_label="Saving settings…",
            parent=self,
            on_success=self._on_saved,
            on_failure=self._on_save_failed,
        )

    def _on_saved(self, saved: _Saved) -> None:
        self.ctx.password_check.forget()  # the banner and the status bar ask the keyring again
        if saved.password_problem:
            self.status_reported.emit("Settings saved, but the password could not be stored")
        elif saved.password_stored:
            self.email_page.password_saved()
            self.status_reported.emit("Settings saved; the password is in the system keyring")
        else:
            self.status_reported.emit("Settings saved")
        self._after_save = (saved, self.email_page.typed_password())
        self.ledger_changed.emit()
        self.refresh()

    def _show_saved_notes(self, saved: _Saved, typed_password: str) -> None:
        """After a save and the form's new read: what the keyring did not take, what is missing."""
        if saved.password_problem:
            self.email_page.keep_typed_password(typed_password, saved.password_problem)
            show_form_error(
                self.error,
                f"Settings saved, but the password could not be stored: "
                f"{saved.password_problem}. Until it is, nothing can be sent.",
            )
            self.tabs.setCurrentIndex(self.email_tab)
            self.email_page.password.setFocus()
        elif saved.mail_problem:
            show_form_error(self.error, f"Settings saved. {sentence(saved.mail_problem)}")

    def _on_save_failed(self, exc: Exception) -> None:
        after = (
            " The password is stored in the system keyring; the other settings were not saved."
            if self._password_stored
            else " Nothing was saved."
        )
        if self._password_stored:
            self.ctx.password_check.forget()
        message = str(exc)
        key, _, text = message.partition(": ")
        if isinstance(exc, SettingError) and key in self.field_errors:
            label = label_for(key) if key in self.email_page.fields else SETTINGS[key].label
            show_form_error(self.field_errors[key], text)
            show_form_error(self.error, f"{label} ({key}): {text.rstrip('.')}.{after}")
            if key in self.email_page.fields:
                self.tabs.setCurrentIndex(self.email_tab)
            else:
                self.tabs.setCurrentIndex(0)
            self.fields[key].setFocus()
            return
        if message.startswith("tax rates"):
            show_form_error(self.tax_error, message)
            self.tabs.setCurrentIndex(0)
        show_form_error(self.error, describe_error(exc) + after)

    @Slot()
    def _on_email_page_outbox_requested(self) -> None:
        self.screen_requested.emit("Outbox")


def check_settings(values: dict[str, str]) -> None:
    """Check values as :func:`save_settings` will, without storing them.

    Raises:
        SettingError: a key is unknown or a value does not fit; the message names the key.
    """
    for key, value in values.items():
        spec = SETTINGS.get(key)
        if spec is None:
            raise SettingError(f"unknown setting {key!r}")
        try:
            spec.check(value)
        except SettingError as exc:
            raise SettingError(f"{key}: {exc}") from None


def _scrolling(body: QWidget) -> QScrollArea:
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(body)
    return scroll
