"""The SMTP password is kept only by a keyring that keeps it safely (review finding 8).

keyrings.alt, installed for the tests, is what keyring picks silently when no system keyring runs:
its PlaintextKeyring keeps the password base64-encoded in a file. Duebook refuses it, and keyring's
fail and null backends, unless DUEBOOK_ALLOW_PLAIN_KEYRING=1 (tests/conftest.py sets it for the
``test_keyring`` fixture).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyrings.alt.file import EncryptedKeyring, PlaintextKeyring

from app.cli import main
from app.services.mail.password import (
    ALLOW_PLAIN_KEYRING,
    SERVICE,
    PasswordStoreError,
    load_password,
    store_password,
)

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "s3cret-Pässwörd"  # noqa: S105 - a made-up password
REFUSED = (
    "no secure keyring to keep the email password in: the plain-file keyring of keyrings.alt "
    "(PlaintextKeyring) is refused because it keeps the password readable in a file"
)


@pytest.fixture
def use_keyring() -> Iterator[Callable[[KeyringBackend], None]]:
    """``use_keyring(backend)`` makes it keyring's backend; the old one comes back afterwards."""
    previous = keyring.get_keyring()
    try:
        yield keyring.set_keyring
    finally:
        keyring.set_keyring(previous)


def plain_file_keyring(tmp_path: Path) -> PlaintextKeyring:
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring" / "keyring_pass.cfg")
    return backend


def test_the_plain_file_keyring_is_refused_and_nothing_is_written(
    tmp_path, monkeypatch, use_keyring
):
    monkeypatch.delenv(ALLOW_PLAIN_KEYRING)
    backend = plain_file_keyring(tmp_path)
    use_keyring(backend)

    with pytest.raises(PasswordStoreError) as stored:
        store_password("mail.example.com", "ar@example.com", PASSWORD)
    with pytest.raises(PasswordStoreError) as loaded:
        load_password("mail.example.com", "ar@example.com")

    assert str(stored.value).startswith(REFUSED)
    assert str(loaded.value) == str(stored.value)
    assert str(stored.value).endswith("; remove PYTHON_KEYRING_BACKEND, then try again")
    assert PASSWORD not in str(stored.value)
    assert not Path(backend.file_path).exists()


def test_keyring_picked_by_itself_the_message_says_to_start_a_system_keyring(
    tmp_path, monkeypatch, use_keyring
):
    monkeypatch.delenv(ALLOW_PLAIN_KEYRING)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    use_keyring(plain_file_keyring(tmp_path))

    with pytest.raises(PasswordStoreError, match="readable in a file") as refused:
        store_password("mail.example.com", "ar@example.com", PASSWORD)

    assert str(refused.value).endswith(
        "; on Linux start a Secret Service (GNOME Keyring or KWallet) and unlock it, then try again"
    )


def test_the_encrypted_file_keyring_is_refused_before_it_asks_on_a_terminal(
    tmp_path, monkeypatch, use_keyring
):
    monkeypatch.delenv(ALLOW_PLAIN_KEYRING)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # a prompt would raise EOFError
    backend = EncryptedKeyring.__new__(EncryptedKeyring)  # its __init__ needs pycryptodome
    backend.file_path = str(tmp_path / "keyring" / "crypted_pass.cfg")
    use_keyring(backend)

    with pytest.raises(PasswordStoreError, match=r"encrypted-file keyring of keyrings\.alt"):
        store_password("mail.example.com", "ar@example.com", PASSWORD)
    assert not Path(backend.file_path).exists()


def test_with_the_tests_variable_the_plain_file_keyring_is_used(tmp_path, use_keyring):
    assert os.environ[ALLOW_PLAIN_KEYRING] == "1"
    use_keyring(plain_file_keyring(tmp_path))

    store_password("mail.example.com", "ar@example.com", PASSWORD)

    assert load_password("mail.example.com", "ar@example.com") == PASSWORD


class FakeSystemKeyring(KeyringBackend):
    """A system keyring (Secret Service, Windows Credential Locker) kept in a dict."""

    priority = 0.2  # below keyrings.alt's plain file (0.5): the chainer would try that first
    viable = False  # never picked by keyring's own detection, only handed in by a test

    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.secrets.get((service, username))

    def set_password(self, service, username, password):
        self.secrets[(service, username)] = password

    def delete_password(self, service, username):
        self.secrets.pop((service, username))


def chainer_of(monkeypatch: pytest.MonkeyPatch, *backends: KeyringBackend) -> ChainerBackend:
    """keyring's chainer over these backends (as it is when several are installed)."""
    monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: list(backends))
    return ChainerBackend()


def test_a_chain_of_a_system_keyring_and_the_plain_file_uses_only_the_system_one(
    tmp_path, monkeypatch, use_keyring
):
    monkeypatch.delenv(ALLOW_PLAIN_KEYRING)
    system, plain = FakeSystemKeyring(), plain_file_keyring(tmp_path)
    plain.set_password(SERVICE, "ar@example.com@mail.example.com", "an old plain copy")
    use_keyring(chainer_of(monkeypatch, system, plain))

    assert load_password("mail.example.com", "ar@example.com") is None, "not the file's copy"
    store_password("mail.example.com", "ar@example.com", PASSWORD)

    assert system.secrets == {(SERVICE, "ar@example.com@mail.example.com"): PASSWORD}
    assert load_password("mail.example.com", "ar@example.com") == PASSWORD
    assert PASSWORD not in Path(plain.file_path).read_text()


def test_a_chain_with_only_the_plain_file_is_refused(tmp_path, monkeypatch, use_keyring):
    monkeypatch.delenv(ALLOW_PLAIN_KEYRING)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    plain = plain_file_keyring(tmp_path)
    use_keyring(chainer_of(monkeypatch, plain))

    with pytest.raises(PasswordStoreError) as refused:
        store_password("mail.example.com", "ar@example.com", PASSWORD)

    assert str(refused.value).startswith(REFUSED)
    assert not Path(plain.file_path).exists()


@pytest.mark.parametrize("backend", [keyring.backends.fail.Keyring, keyring.backends.null.Keyring])
def test_no_keyring_at_all_is_said_in_words(backend, use_keyring):
    use_keyring(backend())

    for attempt in (
        lambda: store_password("mail.example.com", "ar@example.com", PASSWORD),
        lambda: load_password("mail.example.com", "ar@example.com"),
    ):
        with pytest.raises(PasswordStoreError, match=r"^no system keyring found to keep"):
            attempt()


def test_set_password_on_the_command_line_refuses_the_plain_file_keyring(tmp_path):
    db = tmp_path / "ledger.sqlite3"
    data = tmp_path / "xdg-data"
    env = {
        **{k: v for k, v in os.environ.items() if k != ALLOW_PLAIN_KEYRING},
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "XDG_DATA_HOME": str(data),
        "PYTHONPATH": str(REPO),
    }
    assert main(["--db", str(db), "settings", "set", "smtp.host", "mail.example.com"]) == 0
    assert main(["--db", str(db), "settings", "set", "smtp.user", "ar@example.com"]) == 0

    done = subprocess.run(  # noqa: S603 - this interpreter, arguments from the test
        [sys.executable, "-m", "app.cli", "--db", str(db), "settings", "set-password"],
        input=PASSWORD + "\n",
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1
    assert REFUSED in done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    assert not data.exists() or not any(p.is_file() for p in data.rglob("*"))
