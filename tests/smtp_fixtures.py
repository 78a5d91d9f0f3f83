"""Pytest fixtures for a real local SMTP server and a keyring in a temporary folder.

Registered as a plugin in ``tests/conftest.py``. The server class itself is in
``tests/smtp_server.py`` (no pytest there, so benchmarks can use it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring

from tests.smtp_server import LocalSmtpServer, SelfSignedCert


@pytest.fixture(scope="session")
def smtp_certificate() -> SelfSignedCert:
    """One self-signed certificate for the whole run (an RSA key takes a while to make)."""
    return SelfSignedCert.generate()


@pytest.fixture
def smtp_server(tmp_path: Path, smtp_certificate: SelfSignedCert) -> Iterator[LocalSmtpServer]:
    """A running STARTTLS server (AUTH only after STARTTLS); its cafile is under tmp_path."""
    with LocalSmtpServer(tmp_path / "smtp-tls", certificate=smtp_certificate) as server:
        yield server


@pytest.fixture
def smtp_server_tls(tmp_path: Path, smtp_certificate: SelfSignedCert) -> Iterator[LocalSmtpServer]:
    """A running implicit-TLS server (SMTP over SSL from the first byte, like port 465)."""
    with LocalSmtpServer(
        tmp_path / "smtp-implicit-tls", certificate=smtp_certificate, mode="tls"
    ) as server:
        yield server


@pytest.fixture
def smtp_server_utf8(tmp_path: Path, smtp_certificate: SelfSignedCert) -> Iterator[LocalSmtpServer]:
    """A running STARTTLS server that offers SMTPUTF8 (addresses such as ``jürgen@...``)."""
    with LocalSmtpServer(
        tmp_path / "smtp-utf8", certificate=smtp_certificate, smtputf8=True
    ) as server:
        yield server


@pytest.fixture
def test_keyring(tmp_path: Path) -> Iterator[PlaintextKeyring]:
    """keyring's backend for one test: a plain-text file under tmp_path, the old one restored."""
    previous = keyring.get_keyring()
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring" / "keyring_pass.cfg")
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
