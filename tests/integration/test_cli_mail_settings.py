"""The email settings on the command line: `settings set smtp.*` and `settings set-password`."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from app.cli import main
from app.services.mail.password import load_password

PASSWORD = "s3cret-Pässwörd"  # noqa: S105 - a made-up password for the test keyring


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "ledger.sqlite3")


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def _account(db: str) -> None:
    assert main(["--db", db, "settings", "set", "smtp.host", "mail.example.com"]) == 0
    assert main(["--db", db, "settings", "set", "smtp.user", "ar@example.com"]) == 0


def test_settings_set_smtp_host_and_bcc_self(db, capsys):
    assert main(["--db", db, "settings", "set", "smtp.host", " mail.example.com "]) == 0
    assert main(["--db", db, "settings", "set", "smtp.bcc_self", "yes"]) == 0
    assert main(["--db", db, "settings", "set", "smtp.per_minute", "30"]) == 0
    out = capsys.readouterr().out
    assert "smtp.host = mail.example.com" in out
    assert "smtp.bcc_self = yes" in out

    assert main(["--db", db, "settings", "show"]) == 0
    shown = capsys.readouterr().out
    assert "smtp.host = mail.example.com\n" in shown
    assert "smtp.bcc_self = yes\n" in shown
    assert "smtp.per_minute = 30\n" in shown


def test_a_bad_port_exits_1_and_names_smtp_port(db, capsys):
    assert main(["--db", db, "settings", "set", "smtp.port", "99999"]) == 1
    err = capsys.readouterr().err
    assert "smtp.port" in err
    assert err.count("\n") == 1
    main(["--db", db, "settings", "show"])
    assert "smtp.port = 587\n" in capsys.readouterr().out


def test_a_bad_switch_exits_1(db, capsys):
    assert main(["--db", db, "settings", "set", "smtp.bcc_self", "perhaps"]) == 1
    assert "smtp.bcc_self: expected yes or no" in capsys.readouterr().err


def test_set_password_reads_stdin_into_the_keyring(db, capsys, monkeypatch, test_keyring):
    _account(db)
    capsys.readouterr()
    _stdin(monkeypatch, PASSWORD + "\n")

    assert main(["--db", db, "settings", "set-password"]) == 0

    out, err = capsys.readouterr()
    assert "stored in the keyring (" in out
    assert PASSWORD not in out + err
    assert load_password("mail.example.com", "ar@example.com") == PASSWORD
    assert PASSWORD.encode() not in Path(db).read_bytes()
    wal = Path(db + "-wal")
    assert not wal.exists() or PASSWORD.encode() not in wal.read_bytes()


def test_settings_show_never_prints_the_password(db, capsys, monkeypatch, test_keyring):
    _account(db)
    _stdin(monkeypatch, PASSWORD + "\r\n")
    assert main(["--db", db, "settings", "set-password"]) == 0
    capsys.readouterr()

    assert main(["--db", db, "settings", "show"]) == 0

    out, err = capsys.readouterr()
    assert "smtp.user = ar@example.com" in out
    assert PASSWORD not in out + err
    assert "password" not in out.lower()


def test_set_password_without_server_and_user_exits_1(db, capsys, monkeypatch, test_keyring):
    _stdin(monkeypatch, PASSWORD + "\n")

    assert main(["--db", db, "settings", "set-password"]) == 1

    err = capsys.readouterr().err
    assert "smtp.host" in err
    assert "smtp.user" in err
    assert PASSWORD not in err


def test_set_password_with_nothing_on_stdin_exits_1(db, capsys, monkeypatch, test_keyring):
    _account(db)
    _stdin(monkeypatch, "")

    assert main(["--db", db, "settings", "set-password"]) == 1

    assert "expected the password" in capsys.readouterr().err
    assert load_password("mail.example.com", "ar@example.com") is None


def test_set_password_without_a_system_keyring_exits_1(db, capsys, monkeypatch, test_keyring):
    _account(db)
    capsys.readouterr()
    keyring.set_keyring(keyring.backends.fail.Keyring())  # test_keyring restores the old one
    _stdin(monkeypatch, PASSWORD + "\n")

    assert main(["--db", db, "settings", "set-password"]) == 1

    out, err = capsys.readouterr()
    assert "no system keyring found" in err
    assert err.count("\n") == 1
    assert PASSWORD not in out + err
