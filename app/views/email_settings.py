"""Settings → Email: the mail account, the sender, how mail goes out, and a test email.

The password is the one thing here that is not a setting: it goes only into the system keyring
(``store_password``), on Save, and the field never shows it back; the page only says whether one
is stored. The Settings screen saves the page together with the other settings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTime, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from app.services.mail.account import PRESETS
from app.services.mail.password import PasswordStoreError, load_password
from app.services.mail.trial import TrialError, send_test_email
from app.services.settings import SETTINGS, SettingError
from app.services.tasks import TaskContext
from app.views import ask
from app.views.context import ViewContext
from app.views.style import error_label, muted, show_form_error
from app.views.workers import sentence, show_error

#: The settings this page edits, in the order of the form.
EMAIL_KEYS: tuple[str, ...] = (
    "smtp.host",
    "smtp.port",
    "smtp.security",
    "smtp.user",
    "smtp.ca_file",
    "smtp.from_name",
    "smtp.from",
    "smtp.reply_to",
    "smtp.bcc_self",
    "smtp.per_minute",
    "mail.check_minutes",
    "reminders.send_time",
    "mail.receipts",
)

#: The labels on this page, where they say more than the settings service's short ones.
_LABELS: dict[str, str] = {
    "smtp.host": "SMTP server",
    "smtp.port": "Port",
    "smtp.security": "Security",
    "smtp.user": "User name",
    "smtp.ca_file": "Trusted certificates",
    "smtp.from_name": "Sender name",
    "smtp.from": "Sender address",
    "smtp.reply_to": "Replies go to",
    "smtp.bcc_self": "Blind copy",
    "smtp.per_minute": "Emails per minute",
    "mail.check_minutes": "Send the outbox every",
    "reminders.send_time": "Send reminders at",
    "mail.receipts": "Receipts",
}

_SECURITY: tuple[tuple[str, str], ...] = (
    ("starttls", "STARTTLS (usually port 587)"),
    ("tls", "SSL/TLS (usually port 465)"),
    ("none", "None: unencrypted"),
)
_PORT_FOR_SECURITY = {"starttls": "587", "tls": "465"}
_OTHER = "Other (enter the server yourself)"

_NO_SECURITY_WARNING = (
    "Without encryption the password and every email travel over the network as plain text, "
    "readable on the way. Use this only for a mail server inside your own network."
)
_CA_HELP = (
    "Only for a company mail server with its own certificates: the CA file (PEM) that signs "
    "them. Leave empty to trust what this computer trusts."
)
KEPT_HINT = "stored in the system keyring"
_MISSING_HINT = "not stored yet: type it here"
_NO_KEYRING_HINT = "cannot be stored: see below"
_NO_USER_HINT = "no login without a user name"


def _provider_combo() -> QComboBox:
    combo = QComboBox()
    combo.setObjectName("EmailProvider")
    combo.setAccessibleName("Email provider")
    for name in PRESETS:
        combo.addItem(name, name)
    combo.insertSeparator(combo.count())
    combo.addItem(_OTHER, "")
    combo.setCurrentIndex(combo.count() - 1)
    return combo


class _Rows:
    """A two-column form (label, field) on a grid.

    Not a ``QFormLayout``: that one keeps stale heights for wrapped labels nested in its fields,
    so a warning that appears under a field squeezed its neighbours until the window was resized.
    """

    def __init__(self, box: QGroupBox) -> None:
        self.grid = QGridLayout(box)
        self.grid.setColumnStretch(1, 1)
        self.labels: list[QLabel] = []

    def add_row(
        self, label: QLabel | QWidget | str, field: QWidget | QHBoxLayout | None = None
    ) -> None:
        row = self.grid.rowCount()
        if field is None:
            if isinstance(label, QWidget):
                self.grid.addWidget(label, row, 0, 1, 2)
            return
        if isinstance(label, str):
            label = QLabel(label)
        if isinstance(label, QLabel):
            self.labels.append(label)
        # The label is as tall as the field's first line and centred on it, as in QFormLayout.
        label.setMinimumHeight(_first_line_height(field))
        if isinstance(label, QLabel):
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.grid.addWidget(label, row, 0, Qt.AlignmentFlag.AlignTop)
        if isinstance(field, QHBoxLayout):
            self.grid.addLayout(field, row, 1)
        else:
            self.grid.addWidget(field, row, 1)


def _first_line_height(field: QWidget | QHBoxLayout) -> int:
    """The height of a field's first line: its main widget, above any help or error text."""
    layout = field if isinstance(field, QHBoxLayout) else field.layout()
    if layout is None or layout.count() == 0:
        return field.sizeHint().height()
    first = layout.itemAt(0)
    return first.sizeHint().height() if first is not None else 0


def _align_labels(*forms: _Rows) -> None:
    """Give forms stacked one above the other one label column width."""
    labels = [label for form in forms for label in form.labels]
    width = max((label.sizeHint().width() for label in labels), default=0)
    for label in labels:
        label.setMinimumWidth(width)


def label_for(key: str) -> str:
    """The label a setting has on this page (the service's label elsewhere)."""
    return _LABELS.get(key) or SETTINGS[key].label


@dataclass(frozen=True)
class _PasswordState:
    host: str
    user: str
    stored: bool
    problem: str = ""


class EmailSettingsPage(QWidget):
    """The Email tab of Settings.

    Args:
        ctx: the window's collaborators (the runner for the test email and keyring reads).
        form_values: every setting as the whole Settings form has it now (saved or not); the test
            email uses it, so company name and address fill in what is left empty here.
    """

    #: The user asked to see the Outbox screen (where sending is paused and resumed).
    outbox_requested = Signal()

    def __init__(
        self,
        ctx: ViewContext,
        form_values: Callable[[], dict[str, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("EmailSettingsPage")
        self.ctx = ctx
        self._form_values = form_values
        self.fields: dict[str, QWidget] = {}
        self.field_errors: dict[str, QLabel] = {}
        self._password_state: _PasswordState | None = None
        self._forms: dict[QGroupBox, _Rows] = {}

        self.provider = _provider_combo()

        self.password = QLineEdit()
        self.password.setObjectName("smtp.password")
        self.password.setAccessibleName("Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(_NO_USER_HINT)
        self.password_error = error_label()
        self.password_error.setObjectName("PasswordError")

        self.security_warning = error_label()
        self.security_warning.setObjectName("SecurityWarning")
        self.security_warning.setText(_NO_SECURITY_WARNING)

        self.test_button = QPushButton("Send a test email…")
        self.test_button.setObjectName("SendTestEmail")
        self.test_button.setToolTip("Send one email with the settings as they are in this form")
        self.paused_note = QLabel()
        self.paused_note.setObjectName("PausedNote")
        self.paused_note.setWordWrap(True)

        columns = QHBoxLayout(self)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.setSpacing(16)
        left = QVBoxLayout()
        left.setSpacing(12)
        left.addWidget(self._account_group())
        left.addStretch(1)
        right = QVBoxLayout()
        right.setSpacing(12)
        sender, sending = self._sender_group(), self._sending_group()
        _align_labels(self._forms[sender], self._forms[sending])
        right.addWidget(sender)
        right.addWidget(sending)
        right.addStretch(1)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)

        self.provider.activated.connect(self._on_provider_activated)
        self.line("smtp.host").textEdited.connect(self._on_host_edited)
        self.line("smtp.host").editingFinished.connect(self.check_password)
        self.line("smtp.user").editingFinished.connect(self.check_password)
        security = self.security_combo()
        security.currentIndexChanged.connect(self._on_security_changed)
        security.activated.connect(self._on_security_activated)
        self.test_button.clicked.connect(self._on_test_button_clicked)

    # -- building ----------------------------------------------------------------------------

    def _form(self, title: str) -> tuple[QGroupBox, _Rows]:
        box = QGroupBox(title)
        rows = self._forms[box] = _Rows(box)
        return box, rows

    def _account_group(self) -> QGroupBox:
        box, form = self._form("Email account")
        intro = muted(
            QLabel(
                "The mail account Duebook sends reminders, invoices and receipts from. Choose "
                "your provider to fill in the server, then enter your user name and password."
            )
        )
        intro.setWordWrap(True)
        form.add_row(intro)
        form.add_row("Provider", self.provider)
        host = self._line_field("smtp.host", placeholder="e.g. mail.yourcompany.com")
        form.add_row(self._label("smtp.host", host), self._holder("smtp.host", host))
        port = self._line_field("smtp.port")
        port.setMaximumWidth(90)
        form.add_row(self._label("smtp.port", port), self._holder("smtp.port", port))
        security = QComboBox()
        for value, text in _SECURITY:
            security.addItem(text, value)
        self._register("smtp.security", security)
        form.add_row(
            self._label("smtp.security", security),
            self._holder("smtp.security", security, self.security_warning),
        )
        user = self._line_field("smtp.user", placeholder="usually your email address")
        form.add_row(self._label("smtp.user", user), self._holder("smtp.user", user))
        password_help = muted(
            QLabel("Kept only in the system keyring. Leave empty to keep the stored password.")
        )
        password_help.setWordWrap(True)
        form.add_row(
            self._buddy("Password", self.password), self._stack(self.password, password_help)
        )
        ca_file = self._line_field("smtp.ca_file", placeholder="none: the system's trust store")
        browse = self.browse_button = QPushButton("Browse…")
        browse.setObjectName("BrowseCaFile")
        browse.setToolTip("Choose the CA file of your company's mail server")
        browse.clicked.connect(self._on_browse_button_clicked)
        ca_row = QHBoxLayout()
        ca_row.setSpacing(6)
        ca_row.addWidget(ca_file, 1)
        ca_row.addWidget(browse)
        ca_help = muted(QLabel(_CA_HELP))
        ca_help.setWordWrap(True)
        form.add_row(
            self._label("smtp.ca_file", ca_file), self._holder("smtp.ca_file", ca_row, ca_help)
        )
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        form.add_row("", test_row)
        # Below the whole form, not under the password: the keyring is asked when the user name
        # is left, and a sentence appearing there moved the fields under the pointer.
        form.add_row(self.password_error)
        return box

    def _sender_group(self) -> QGroupBox:
        box, form = self._form("Sender")
        for key, placeholder in (
            ("smtp.from_name", "your company name, when empty"),
            ("smtp.from", "e.g. accounts@yourcompany.com"),
            ("smtp.reply_to", "the sender address, when empty"),
        ):
            field = self._line_field(key, placeholder=placeholder)
            form.add_row(self._label(key, field), self._holder(key, field))
        bcc = QCheckBox("Send me a blind copy of every email")
        self._register("smtp.bcc_self", bcc)
        form.add_row(self._label("smtp.bcc_self", bcc), self._holder("smtp.bcc_self", bcc))
        return box

    def _sending_group(self) -> QGroupBox:
        box, form = self._form("Sending")
        per_minute = QSpinBox()
        per_minute.setRange(0, 999_999)
        per_minute.setSpecialValueText("no limit")
        per_minute.setSuffix(" at most")
        per_minute.setToolTip("Some providers block accounts that send too fast; 0 means no limit")
        self._register("smtp.per_minute", per_minute)
        check = QSpinBox()
        check.setRange(1, 1440)
        check.setSuffix(" minutes")
        self._register("mail.check_minutes", check)
        send_time = QTimeEdit()
        send_time.setDisplayFormat("HH:mm")
        send_time.setToolTip("When the daily reminder run takes place (while Duebook is open)")
        self._register("reminders.send_time", send_time)
        for key, widget in (
            ("smtp.per_minute", per_minute),
            ("mail.check_minutes", check),
            ("reminders.send_time", send_time),
        ):
            widget.setMinimumWidth(140)
            row = QHBoxLayout()
            row.addWidget(widget)
            row.addStretch(1)
            form.add_row(self._label(key, widget), self._holder(key, row))
        receipts = QCheckBox("Email a receipt when a payment is applied")
        self._register("mail.receipts", receipts)
        form.add_row(
            self._label("mail.receipts", receipts), self._holder("mail.receipts", receipts)
        )
        outbox = self.outbox_button = QPushButton("Open the Outbox")
        outbox.setObjectName("OpenOutbox")
        outbox.clicked.connect(self.outbox_requested.emit)
        outbox_row = QHBoxLayout()
        outbox_row.addWidget(outbox)
        outbox_row.addStretch(1)
        form.add_row(self._buddy("Status", outbox), self._stack(self.paused_note, outbox_row))
        return box

    def _register(self, key: str, editor: QWidget) -> None:
        editor.setObjectName(key)
        editor.setAccessibleName(label_for(key))
        if not editor.toolTip():
            editor.setToolTip(key)
        self.fields[key] = editor
        self.field_errors[key] = error_label()

    def _line_field(self, key: str, *, placeholder: str = "") -> QLineEdit:
        editor = QLineEdit()
        editor.setPlaceholderText(placeholder)
        self._register(key, editor)
        return editor

    def _label(self, key: str, buddy: QWidget) -> QLabel:
        return self._buddy(label_for(key), buddy)

    @staticmethod
    def _buddy(text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        return label

    def _holder(self, key: str, main: QWidget | QHBoxLayout, *extra: QWidget) -> QWidget:
        return self._stack(main, *extra, self.field_errors[key])

    @staticmethod
    def _stack(main: QWidget | QHBoxLayout, *below: QWidget | QHBoxLayout) -> QWidget:
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        if isinstance(main, QHBoxLayout):
            layout.addLayout(main)
        else:
            layout.addWidget(main)
        for item in below:
            if isinstance(item, QHBoxLayout):
                layout.addLayout(item)
            else:
                layout.addWidget(item)
        return holder

    def line(self, key: str) -> QLineEdit:
        """The line edit of a setting on this page."""
        field = self.fields[key]
        if not isinstance(field, QLineEdit):
            raise TypeError(f"{key} is not edited in a line")
        return field

    def security_combo(self) -> QComboBox:
        """The choice of security (STARTTLS, SSL/TLS, none)."""
        field = self.fields["smtp.security"]
        if not isinstance(field, QComboBox):
            raise TypeError("smtp.security is not a choice")
        return field

    # -- values ------------------------------------------------------------------------------

    def set_value(self, key: str, value: str) -> bool:
        """Put a value into one of this page's fields; False when the key is not on the page."""
        field = self.fields.get(key)
        if isinstance(field, QCheckBox):
            field.setChecked(value == "yes")
        elif isinstance(field, QSpinBox):
            field.setValue(int(value) if value.isdigit() else field.minimum())
        elif isinstance(field, QTimeEdit):
            field.setTime(QTime.fromString(value, "HH:mm"))
        elif isinstance(field, QComboBox):
            field.setCurrentIndex(max(field.findData(value), 0))
        elif isinstance(field, QLineEdit):
            field.setText(value)
        else:
            return False
        if key == "smtp.host":
            self._show_provider_of(value)
        return True

    def value(self, key: str) -> str:
        """A field's current value as the settings service takes it."""
        field = self.fields[key]
        if isinstance(field, QCheckBox):
            return "yes" if field.isChecked() else "no"
        if isinstance(field, QSpinBox):
            return str(field.value())
        if isinstance(field, QTimeEdit):
            return field.time().toString("HH:mm")
        if isinstance(field, QComboBox):
            return str(field.currentData())
        if isinstance(field, QLineEdit):
            return field.text()
        raise TypeError(f"{key} has no value")

    def typed_password(self) -> str:
        """What was typed into the password field (empty: keep the stored one)."""
        return self.password.text()

    def account(self) -> tuple[str, str]:
        """The server and user name in the form, as the password is stored under them."""
        return self.value("smtp.host").strip(), self.value("smtp.user").strip()

    def loaded(self, values: Mapping[str, str]) -> None:
        """The settings were read: show whether sending is paused and whether a password is kept."""
        paused = values.get("mail.paused") == "yes"
        self.paused_note.setText(
            "Sending is paused: emails wait in the Outbox until you resume there."
            if paused
            else "Sending is on. Pause and resume it on the Outbox screen."
        )
        self.password.clear()
        show_form_error(self.password_error, "")
        self._password_state = None  # read again: it may have been set from the command line
        self.check_password()

    # -- the provider presets ----------------------------------------------------------------

    def choose_provider(self, name: str) -> None:
        """Fill server, port and security from a provider's preset (the user name stays)."""
        index = self.provider.findData(name)
        if index >= 0:
            self.provider.setCurrentIndex(index)
        preset = PRESETS.get(name)
        if preset is None:
            return
        host, port, security = preset
        self.line("smtp.host").setText(host)
        self.line("smtp.port").setText(str(port))
        self.set_value("smtp.security", security)
        self.check_password()

    def _show_provider_of(self, host: str) -> None:
        wanted = host.strip().lower()
        name = next((n for n, preset in PRESETS.items() if preset[0] == wanted), "")
        self.provider.setCurrentIndex(self.provider.findData(name))

    @Slot(int)
    def _on_provider_activated(self, index: int) -> None:
        name = self.provider.itemData(index)
        if name:
            self.choose_provider(str(name))

    @Slot(str)
    def _on_host_edited(self, text: str) -> None:
        self._show_provider_of(text)

    @Slot(int)
    def _on_security_changed(self, _index: int) -> None:
        self.security_warning.setVisible(self.value("smtp.security") == "none")

    @Slot(int)
    def _on_security_activated(self, _index: int) -> None:
        """The user chose a security: move a standard port along with it (587 ↔ 465)."""
        port = _PORT_FOR_SECURITY.get(self.value("smtp.security"))
        if port and self.value("smtp.port").strip() in {"", "25", "465", "587"}:
            self.line("smtp.port").setText(port)

    @Slot()
    def _on_browse_button_clicked(self) -> None:
        path = ask.choose_open_file(
            self,
            "Choose the trusted certificates",
            "Certificates (*.pem *.crt *.cer);;All files (*)",
        )
        if path is not None:
            self.line("smtp.ca_file").setText(str(path))

    # -- the password ------------------------------------------------------------------------

    @Slot()
    def check_password(self) -> None:
        """Ask the keyring (in the background) whether a password is kept for this account."""
        host, user = self.account()
        if not host or not user:
            self._show_password_state(_PasswordState(host, user, stored=False))
            return
        state = self._password_state
        if state is not None and (state.host, state.user) == (host, user) and not state.problem:
            return

        def read(_: TaskContext) -> _PasswordState:
            try:
                return _PasswordState(host, user, stored=bool(load_password(host, user)))
            except PasswordStoreError as exc:
                return _PasswordState(host, user, stored=False, problem=str(exc))

        self.ctx.runner.fetch(read, self._show_password_state, self._on_password_check_failed)

    def _show_password_state(self, state: object) -> None:
        if not isinstance(state, _PasswordState) or (state.host, state.user) != self.account():
            return  # the form moved on to another account meanwhile
        self._password_state = state
        if not state.user or not state.host:
            placeholder = _NO_USER_HINT
        elif state.problem:
            placeholder = _NO_KEYRING_HINT
        else:
            placeholder = KEPT_HINT if state.stored else _MISSING_HINT
        self.password.setPlaceholderText(placeholder)
        show_form_error(self.password_error, state.problem)

    def _on_password_check_failed(self, exc: Exception) -> None:
        show_form_error(self.password_error, str(exc))

    def password_saved(self) -> None:
        """Save stored the typed password: clear the field, say it is kept."""
        host, user = self.account()
        self.password.clear()
        self._show_password_state(_PasswordState(host, user, stored=True))

    def show_password_error(self, text: str) -> None:
        """Show a keyring problem below the account form."""
        show_form_error(self.password_error, text)

    def keep_typed_password(self, password: str, problem: str) -> None:
        """The keyring did not take the typed password: leave it in the field, say why below."""
        self.password.setText(password)
        show_form_error(self.password_error, problem)

    def clear_errors(self) -> None:
        """Hide every error sentence of the page but what the keyring said of this account."""
        for label in self.field_errors.values():
            show_form_error(label, "")
        state = self._password_state
        kept = state is not None and (state.host, state.user) == self.account()
        show_form_error(self.password_error, state.problem if state is not None and kept else "")

    # -- the test email ----------------------------------------------------------------------

    def _test_values(self) -> dict[str, str]:
        """The form's values as the settings service would store them.

        Raises:
            SettingError: a value does not fit; the message names the key.
        """
        values = dict(self._form_values())
        for key in EMAIL_KEYS:
            try:
                values[key] = SETTINGS[key].check(self.value(key))
            except SettingError as exc:
                raise SettingError(f"{key}: {exc}") from None
        return values

    def _default_recipient(self) -> str:
        values = self._form_values()
        user = self.value("smtp.user").strip()
        return (
            self.value("smtp.from").strip()
            or values.get("company.email", "").strip()
            or (user if "@" in user else "")
        )

    @Slot()
    def _on_test_button_clicked(self) -> None:
        self.send_test_email()

    def send_test_email(self) -> None:
        """Ask for a recipient and send one email with the form's settings, in the background."""
        self.clear_errors()
        try:
            values = self._test_values()
        except SettingError as exc:
            self.show_setting_error(exc)
            return
        to = ask.ask_text(
            self, "Send a test email", "Send the test email to:", self._default_recipient()
        )
        if to is None:
            return
        typed = self.typed_password()

        def lookup(host: str, user: str) -> str | None:
            return typed if typed else load_password(host, user)

        def send(_: TaskContext) -> str:
            return send_test_email(values, to, password_lookup=lookup)

        self.test_button.setEnabled(False)
        self.ctx.runner.run(
            send,
            progress_label="Sending a test email…",
            parent=self,
            on_success=self._on_test_sent,
            on_failure=self._on_test_failed,
            io=True,
        )

    def _on_test_sent(self, message: object) -> None:
        self.test_button.setEnabled(True)
        ask.inform(self, "Test email", str(message))

    def _on_test_failed(self, exc: Exception) -> None:
        self.test_button.setEnabled(True)
        if isinstance(exc, TrialError):
            ask.warn(self, "Test email not sent", sentence(str(exc)), headline=True)
        else:
            show_error(self, exc)

    def show_setting_error(self, exc: SettingError) -> bool:
        """Show a settings error beside its field; False when the key is not on this page."""
        key, _, text = str(exc).partition(": ")
        if key not in self.field_errors:
            return False
        show_form_error(self.field_errors[key], text)
        self.fields[key].setFocus()
        return True
