"""Settings → Email: presets, the password kept only in the keyring, and the test email."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.log import HANDLER_NAME, configure_logging
from app.services.mail.account import PRESETS
from app.services.mail.password import load_password, store_password
from app.services.settings import SettingError, load_settings, save_settings
from app.views import ask, settings_view
from app.views.context import ViewContext
from app.views.email_settings import KEPT_HINT
from app.views.settings_view import SettingsView
from tests.gui.conftest import Asked
from tests.smtp_server import LocalSmtpServer

pytestmark = pytest.mark.gui

SENDER = "ar@duebook.example"


@pytest.fixture
def log_file(ledger_path: Path) -> Iterator[Path]:
    """The window's log file beside the ledger, as the app configures it; removed afterwards."""
    root = logging.getLogger()
    level = root.level
    path = configure_logging(ledger_path, logging.DEBUG)
    try:
        yield path
    finally:
        for handler in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)


def _view(qtbot: QtBot, view_ctx: ViewContext) -> SettingsView:
    view = SettingsView(view_ctx)
    qtbot.addWidget(view)
    view.refresh()
    return view


def _fill_account(view: SettingsView, server: LocalSmtpServer, *, ca_file: bool = True) -> None:
    view.set_value("smtp.host", server.host)
    view.set_value("smtp.port", str(server.port))
    view.set_value("smtp.security", "starttls")
    view.set_value("smtp.user", server.user)
    view.set_value("smtp.from", SENDER)
    view.set_value("smtp.ca_file", str(server.cafile) if ca_file else "")


def _ledger_bytes(ledger_path: Path) -> bytes:
    data = b""
    for suffix in ("", "-wal", "-journal"):
        path = ledger_path.with_name(ledger_path.name + suffix)
        if path.exists():
            data += path.read_bytes()
    return data


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# -- the form --------------------------------------------------------------------------------


def test_a_provider_fills_server_port_and_security_and_keeps_the_user(qtbot, view_ctx):
    view = _view(qtbot, view_ctx)
    page = view.email_page
    view.set_value("smtp.user", "me@example.com")

    combo = page.provider
    index = combo.findData("Yahoo Mail")
    combo.setCurrentIndex(index)
    combo.activated.emit(index)

    assert PRESETS["Yahoo Mail"] == ("smtp.mail.yahoo.com", 465, "tls")
    assert view.value("smtp.host") == "smtp.mail.yahoo.com"
    assert view.value("smtp.port") == "465"
    assert view.value("smtp.security") == "tls"
    assert view.value("smtp.user") == "me@example.com"

    page.choose_provider("Gmail / Google Workspace")
    assert (view.value("smtp.host"), view.value("smtp.port"), view.value("smtp.security")) == (
        "smtp.gmail.com",
        "587",
        "starttls",
    )
    assert view.value("smtp.user") == "me@example.com"


def test_the_provider_follows_the_server_name(qtbot, view_ctx):
    view = _view(qtbot, view_ctx)
    page = view.email_page
    assert page.provider.currentData() == ""  # "Other"

    view.set_value("smtp.host", "smtp.office365.com")
    assert page.provider.currentData() == "Microsoft 365 / Outlook.com"

    page.line("smtp.host").textEdited.emit("mail.nordlicht.example")
    assert page.provider.currentText().startswith("Other")


def test_no_security_warns_that_the_password_travels_unencrypted(qtbot, view_ctx):
    view = _view(qtbot, view_ctx)
    warning = view.email_page.security_warning
    assert warning.isHidden()

    view.set_value("smtp.security", "none")

    assert not warning.isHidden()
    assert "unencrypted" in warning.text() or "plain text" in warning.text()
    assert "password" in warning.text()
    view.set_value("smtp.security", "tls")
    assert warning.isHidden()


def test_choosing_a_security_moves_the_standard_port_along(qtbot, view_ctx):
    view = _view(qtbot, view_ctx)
    security = view.email_page.security_combo()
    view.set_value("smtp.port", "587")

    view.set_value("smtp.security", "tls")
    security.activated.emit(1)  # as if the user picked it
    assert view.value("smtp.port") == "465"

    view.set_value("smtp.port", "2525")
    view.set_value("smtp.security", "starttls")
    security.activated.emit(0)
    assert view.value("smtp.port") == "2525"  # a port of the user's own stays


def test_sending_pause_is_shown_not_edited_here(qtbot, view_ctx):
    save_settings(view_ctx.uow_factory(), {"mail.paused": "yes"})
    view = _view(qtbot, view_ctx)
    requested: list[str] = []
    view.screen_requested.connect(requested.append)

    assert "mail.paused" not in view.fields
    assert "paused" in view.email_page.paused_note.text()
    view.email_page.outbox_button.click()
    assert requested == ["Outbox"]

    view.set_value("smtp.from_name", "Nordlicht Buchhaltung")
    view.save()
    assert load_settings(view_ctx.uow_factory())["mail.paused"] == "yes"


# -- saving ----------------------------------------------------------------------------------


def test_save_stores_the_settings_in_the_ledger_and_the_password_only_in_the_keyring(
    qtbot, view_ctx, test_keyring, smtp_server, ledger_path, log_file, caplog, capfd
):
    caplog.set_level(logging.DEBUG)
    password = smtp_server.password
    view = _view(qtbot, view_ctx)
    _fill_account(view, smtp_server)
    view.set_value("smtp.from_name", "Nordlicht Buchhaltung")
    view.set_value("smtp.reply_to", "fragen@duebook.example")
    view.set_value("smtp.bcc_self", "yes")
    view.set_value("smtp.per_minute", "20")
    view.set_value("mail.check_minutes", "15")
    view.set_value("mail.receipts", "yes")
    view.set_value("reminders.send_time", "07:30")
    view.email_page.password.setText(password)
    messages: list[str] = []
    view.status_reported.connect(messages.append)

    view.save()

    assert not view.error.text()
    stored = load_settings(view_ctx.uow_factory())
    assert stored["smtp.host"] == smtp_server.host
    assert stored["smtp.port"] == str(smtp_server.port)
    assert stored["smtp.user"] == smtp_server.user
    assert stored["smtp.from"] == SENDER
    assert stored["smtp.from_name"] == "Nordlicht Buchhaltung"
    assert stored["smtp.reply_to"] == "fragen@duebook.example"
    assert stored["smtp.bcc_self"] == "yes"
    assert stored["smtp.ca_file"] == str(smtp_server.cafile)
    assert stored["smtp.per_minute"] == "20"
    assert stored["mail.check_minutes"] == "15"
    assert stored["mail.receipts"] == "yes"
    assert stored["reminders.send_time"] == "07:30"
    assert load_password(smtp_server.host, smtp_server.user) == password
    assert messages == ["Settings saved; the password is in the system keyring"]
    # The field never shows the password back; it says that one is kept.
    assert view.email_page.password.text() == ""
    assert view.email_page.password.placeholderText() == KEPT_HINT
    again = _view(qtbot, view_ctx)
    assert again.email_page.password.text() == ""
    assert again.email_page.password.placeholderText() == KEPT_HINT
    assert again.value("smtp.bcc_self") == "yes"
    assert again.value("reminders.send_time") == "07:30"

    # Nowhere else: not in the ledger (nor its write-ahead log), the log file, log records,
    # or anything printed.
    assert ledger_path.exists()
    ledger = _ledger_bytes(ledger_path)
    assert b"Nordlicht Buchhaltung" in ledger  # the search does see what was saved
    assert password.encode() not in ledger
    assert password.encode("utf-16-le") not in ledger
    logging.getLogger("app").info("settings test: log file is written")
    assert "log file is written" in log_file.read_text(encoding="utf-8")
    assert password not in log_file.read_text(encoding="utf-8")
    assert all(password not in record.getMessage() for record in caplog.records)
    out, err = capfd.readouterr()
    assert password not in out
    assert password not in err


def test_an_empty_password_field_keeps_the_stored_password(qtbot, view_ctx, test_keyring):
    save_settings(view_ctx.uow_factory(), {"smtp.host": "mail.example.com", "smtp.user": "ar"})
    store_password("mail.example.com", "ar", "kept-Pässwort")
    view = _view(qtbot, view_ctx)
    assert view.email_page.password.placeholderText() == KEPT_HINT

    view.set_value("smtp.from_name", "Accounts")
    view.save()

    assert load_password("mail.example.com", "ar") == "kept-Pässwort"
    assert load_settings(view_ctx.uow_factory())["smtp.from_name"] == "Accounts"


def test_another_user_name_asks_for_its_password(qtbot, view_ctx, test_keyring):
    save_settings(view_ctx.uow_factory(), {"smtp.host": "mail.example.com", "smtp.user": "ar"})
    store_password("mail.example.com", "ar", "kept")
    view = _view(qtbot, view_ctx)

    view.set_value("smtp.user", "someone-else")
    view.email_page.check_password()

    assert view.email_page.password.placeholderText() != KEPT_HINT
    assert "not stored" in view.email_page.password.placeholderText()


def test_without_a_keyring_the_settings_are_saved_and_the_typed_password_stays(
    qtbot, view_ctx, test_keyring, asked
):
    save_settings(view_ctx.uow_factory(), {"smtp.host": "mail.example.com", "smtp.user": "ar"})
    keyring.set_keyring(keyring.backends.fail.Keyring())  # test_keyring restores the old one
    view = _view(qtbot, view_ctx)
    assert "no system keyring found" in view.email_page.password_error.text().lower()

    view.tabs.setCurrentIndex(0)
    view.set_value("smtp.host", "smtp.nordlicht.example")
    view.set_value("smtp.port", "465")
    view.set_value("smtp.security", "tls")
    view.set_value("smtp.user", "buchhaltung")
    view.set_value("smtp.from", SENDER)
    view.set_value("company.name", "Nordlicht GmbH")
    view.email_page.password.setText("geheim-123")
    messages: list[str] = []
    view.status_reported.connect(messages.append)
    view.save()

    stored = load_settings(view_ctx.uow_factory())
    assert (stored["smtp.host"], stored["smtp.port"], stored["smtp.security"]) == (
        "smtp.nordlicht.example",
        "465",
        "tls",
    )
    assert (stored["smtp.user"], stored["smtp.from"]) == ("buchhaltung", SENDER)
    assert stored["company.name"] == "Nordlicht GmbH"
    assert view.error.text().startswith(
        "Settings saved, but the password could not be stored: no system keyring found"
    )
    assert view.error.text().endswith(". Until it is, nothing can be sent.")
    assert "geheim-123" not in view.error.text()
    assert messages == ["Settings saved, but the password could not be stored"]
    # The typed password stays, to be saved again once a keyring runs.
    assert view.email_page.password.text() == "geheim-123"
    assert view.email_page.password_error.isVisibleTo(view)
    assert view.tabs.currentIndex() == view.email_tab


def test_a_wrong_value_with_no_keyring_saves_nothing(qtbot, view_ctx, test_keyring):
    keyring.set_keyring(keyring.backends.fail.Keyring())
    view = _view(qtbot, view_ctx)
    view.set_value("smtp.host", "mail.example.com")
    view.set_value("smtp.user", "ar")
    view.set_value("smtp.port", "99999")
    view.set_value("company.name", "Nor this")
    view.email_page.password.setText("geheim-123")

    view.save()

    assert "Port (smtp.port)" in view.error.text()
    assert view.error.text().endswith("Nothing was saved.")
    assert "password could not be stored" not in view.error.text()
    stored = load_settings(view_ctx.uow_factory())
    assert (stored["smtp.host"], stored["company.name"]) == ("", "")
    assert view.email_page.password.text() == "geheim-123"


def test_saving_a_server_and_user_without_a_password_says_nothing_can_be_sent(
    qtbot, view_ctx, test_keyring
):
    view = _view(qtbot, view_ctx)
    view.set_value("smtp.host", "mail.example.com")
    view.set_value("smtp.user", "ar")
    view.set_value("smtp.from", SENDER)

    view.save()

    assert load_settings(view_ctx.uow_factory())["smtp.user"] == "ar"
    assert view.error.text().startswith(
        "Settings saved. Email is not set up: no password is stored for ar on mail.example.com"
    )


def test_a_keyring_problem_shows_below_the_form_and_moves_no_field(qtbot, view_ctx, test_keyring):
    """Leaving the user name asks the keyring; its answer must not push the fields down."""
    keyring.set_keyring(keyring.backends.fail.Keyring())
    view = _view(qtbot, view_ctx)
    view.resize(1200, 800)
    view.show()
    qtbot.waitExposed(view)
    view.tabs.setCurrentIndex(view.email_tab)
    page = view.email_page
    page.set_value("smtp.host", "mail.example.com")
    page.set_value("smtp.user", "")
    page.check_password()
    assert page.password_error.isHidden()
    ca_file, test_button = page.line("smtp.ca_file"), page.test_button
    qtbot.wait(10)
    before = (
        ca_file.mapTo(view, ca_file.rect().topLeft()),
        test_button.mapTo(view, test_button.rect().topLeft()),
    )

    page.set_value("smtp.user", "ar")
    page.line("smtp.user").editingFinished.emit()  # the user tabs on to the password
    qtbot.wait(10)

    assert "no system keyring found" in page.password_error.text().lower()
    assert page.password_error.isVisibleTo(view)
    after = (
        ca_file.mapTo(view, ca_file.rect().topLeft()),
        test_button.mapTo(view, test_button.rect().topLeft()),
    )
    assert after == before
    below = page.password_error.mapTo(view, page.password_error.rect().topLeft())
    assert below.y() > before[1].y()  # under the whole form, after "Send a test email…"
    assert page.password.placeholderText() == "cannot be stored: see below"


def test_a_wrong_value_names_the_field_and_stores_no_password(qtbot, view_ctx, test_keyring):
    view = _view(qtbot, view_ctx)
    view.set_value("smtp.host", "mail.example.com")
    view.set_value("smtp.user", "ar")
    view.set_value("smtp.port", "99999")
    view.email_page.password.setText("geheim-123")

    view.save()

    assert "smtp.port" in view.error.text()
    assert "Port" in view.error.text()
    assert "port number" in view.field_errors["smtp.port"].text()
    assert view.field_errors["smtp.port"].isVisibleTo(view)
    assert view.tabs.currentIndex() == view.email_tab
    assert load_password("mail.example.com", "ar") is None
    assert load_settings(view_ctx.uow_factory())["smtp.host"] == ""


def test_a_failure_after_the_password_was_stored_says_so_and_names_the_field(
    qtbot, view_ctx, test_keyring, monkeypatch
):
    view = _view(qtbot, view_ctx)
    view.set_value("smtp.host", "mail.example.com")
    view.set_value("smtp.user", "ar")
    view.set_value("smtp.from_name", "Accounts")
    view.email_page.password.setText("geheim-123")

    def refuse(uow: object, values: dict[str, str]) -> dict[str, str]:
        raise SettingError("smtp.from_name: the ledger is read-only")

    monkeypatch.setattr(settings_view, "save_settings", refuse)
    view.save()

    assert "Sender name (smtp.from_name)" in view.error.text()
    assert "password is stored" in view.error.text()
    assert "geheim-123" not in view.error.text()
    assert view.field_errors["smtp.from_name"].text()
    assert load_password("mail.example.com", "ar") == "geheim-123"


def test_a_missing_ca_file_is_named(qtbot, view_ctx, tmp_path, asked):
    view = _view(qtbot, view_ctx)
    asked.open_file = tmp_path / "company-ca.pem"
    view.email_page.browse_button.click()
    assert view.value("smtp.ca_file") == str(tmp_path / "company-ca.pem")

    view.save()

    assert "smtp.ca_file" in view.error.text()
    assert "no such file" in view.field_errors["smtp.ca_file"].text().lower()


# -- the test email --------------------------------------------------------------------------


def test_the_test_email_arrives(qtbot, view_ctx, test_keyring, smtp_server, asked, monkeypatch):
    store_password(smtp_server.host, smtp_server.user, smtp_server.password)
    view = _view(qtbot, view_ctx)
    _fill_account(view, smtp_server)  # typed, not saved
    offered: list[str] = []

    def ask_text(parent: object, title: str, label: str, text: str = "") -> str:
        offered.append(text)
        return "kunde@example.org"

    monkeypatch.setattr(ask, "ask_text", ask_text)

    view.email_page.test_button.click()

    assert offered == [SENDER]  # the sender address is offered
    assert asked.warned == []
    assert asked.informed == [f"Test email sent to kunde@example.org through {smtp_server.host}."]
    assert smtp_server.wait_for(1)
    received = smtp_server.messages[0]
    assert received.rcpt_tos == ["kunde@example.org"]
    assert received.message["Subject"] == "Duebook test email"
    assert load_settings(view_ctx.uow_factory())["smtp.host"] == ""  # the test saved nothing
    assert view.email_page.test_button.isEnabled()
    assert view_ctx.runner.labels == ["Sending a test email…"]


def test_the_test_email_uses_a_typed_password_without_storing_it(
    qtbot, view_ctx, test_keyring, smtp_server, asked
):
    view = _view(qtbot, view_ctx)
    _fill_account(view, smtp_server)
    view.email_page.password.setText(smtp_server.password)
    asked.text_answer = ""  # the sender address

    view.email_page.send_test_email()

    assert asked.warned == []
    assert smtp_server.wait_for(1)
    assert smtp_server.messages[0].rcpt_tos == [SENDER]
    assert load_password(smtp_server.host, smtp_server.user) is None


def test_a_cancelled_recipient_question_sends_nothing(
    qtbot, view_ctx, test_keyring, smtp_server, asked
):
    view = _view(qtbot, view_ctx)
    _fill_account(view, smtp_server)
    asked.text_answer = None

    view.email_page.send_test_email()

    assert view_ctx.runner.labels == []
    assert smtp_server.connections == 0


def _failed_test(view: SettingsView, asked: Asked) -> str:
    asked.text_answer = SENDER
    view.email_page.send_test_email()
    assert asked.informed == []
    assert len(asked.warned) == 1
    return asked.warned[0]


def test_a_wrong_password_says_user_name_or_password(
    qtbot, view_ctx, test_keyring, smtp_server, asked
):
    view = _view(qtbot, view_ctx)
    _fill_account(view, smtp_server)
    view.email_page.password.setText("not-the-Pässwort")

    text = _failed_test(view, asked)

    assert "user name or password" in text
    assert "not-the-Pässwort" not in text
    assert smtp_server.messages == []


def test_the_default_trust_store_does_not_trust_a_self_signed_server(
    qtbot, view_ctx, test_keyring, smtp_server, asked
):
    view = _view(qtbot, view_ctx)
    _fill_account(view, smtp_server, ca_file=False)
    view.email_page.password.setText(smtp_server.password)

    text = _failed_test(view, asked)

    assert "certificate is not trusted" in text
    assert "CA file" in text
    assert smtp_server.password not in text


def test_a_closed_port_says_the_server_refused_the_connection(qtbot, view_ctx, test_keyring, asked):
    view = _view(qtbot, view_ctx)
    view.set_value("smtp.host", "127.0.0.1")
    view.set_value("smtp.port", str(_free_port()))
    view.set_value("smtp.user", "ar")
    view.set_value("smtp.from", SENDER)
    view.email_page.password.setText("geheim-123")

    assert "refused the connection" in _failed_test(view, asked)


def test_an_unknown_server_is_not_found(qtbot, view_ctx, test_keyring, asked):
    view = _view(qtbot, view_ctx)
    view.set_value("smtp.host", "nonexistent.invalid")
    view.set_value("smtp.user", "ar")
    view.set_value("smtp.from", SENDER)
    view.email_page.password.setText("geheim-123")

    text = _failed_test(view, asked)

    assert "not found" in text
    assert "nonexistent.invalid" in text


def test_without_a_stored_password_the_test_says_where_to_enter_it(
    qtbot, view_ctx, test_keyring, smtp_server, asked
):
    view = _view(qtbot, view_ctx)
    _fill_account(view, smtp_server)

    text = _failed_test(view, asked)

    assert text.startswith(f"No password is stored for {smtp_server.user} on {smtp_server.host}")
    assert smtp_server.connections == 0


def test_without_a_keyring_the_test_email_box_has_a_headline_and_a_sentence(
    qtbot, view_ctx, test_keyring, smtp_server, asked
):
    keyring.set_keyring(keyring.backends.fail.Keyring())
    view = _view(qtbot, view_ctx)
    _fill_account(view, smtp_server)

    text = _failed_test(view, asked)

    assert text.startswith("No system keyring found to keep the email password in")
    assert text.endswith(".")
    assert asked.warned_titles == [("Test email not sent", True)]
    assert smtp_server.connections == 0


def test_a_warning_with_a_headline_says_its_title_in_the_box(qtbot):
    box = ask.message_box(
        QMessageBox.Icon.Warning,
        "Test email not sent",
        "no system keyring found to keep the email password in.",
        headline=True,
        parent=None,
    )
    qtbot.addWidget(box)

    assert box.windowTitle() == "Test email not sent"
    assert box.text() == "Test email not sent"
    assert box.informativeText() == "No system keyring found to keep the email password in."
    plain = ask.message_box(QMessageBox.Icon.Warning, "Duebook", "the ledger is busy", parent=None)
    qtbot.addWidget(plain)
    assert (plain.text(), plain.informativeText()) == ("The ledger is busy", "")


def test_a_wrong_value_is_named_before_anything_is_sent(
    qtbot, view_ctx, test_keyring, smtp_server, asked, monkeypatch
):
    view = _view(qtbot, view_ctx)
    _fill_account(view, smtp_server)
    view.set_value("smtp.from", "not an address")
    monkeypatch.setattr(ask, "ask_text", pytest.fail)

    view.email_page.send_test_email()

    assert "email address" in view.field_errors["smtp.from"].text()
    assert smtp_server.connections == 0
