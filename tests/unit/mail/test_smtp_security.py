"""A password never crosses the network without TLS."""

from __future__ import annotations

import pytest

from app.services.mail.account import SmtpAccount
from app.services.mail.smtp import SmtpAccountError, SmtpConnection, is_loopback


def account(host: str, security: str = "none", user: str = "ar@example.com") -> SmtpAccount:
    return SmtpAccount(
        host=host,
        port=25,
        security=security,
        user=user,
        from_addr="ar@example.com",
        password="secret",  # noqa: S106 - made up
        timeout=0.5,
    )


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST.", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("mail.example.com", False),
        ("localhost.example.com", False),
        ("10.0.0.1", False),
        ("128.0.0.1", False),
        ("::2", False),
    ],
)
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback


def test_no_login_in_the_clear_to_a_server_elsewhere():
    with pytest.raises(SmtpAccountError) as refused:
        SmtpConnection(account("mail.example.com")).open()

    assert str(refused.value) == (
        "Duebook does not log in to mail.example.com without encryption (security: none): the "
        "password would cross the network unencrypted: choose STARTTLS or SSL/TLS in Settings "
        "→ Email."
    )
    assert "secret" not in str(refused.value)


def test_without_a_login_a_server_elsewhere_may_go_without_tls():
    # Nothing secret goes: the refusal does not apply (the connection itself fails here).
    with pytest.raises(SmtpAccountError) as failed:
        SmtpConnection(account("192.0.2.1", user="")).open()  # TEST-NET-1

    assert "unencrypted" not in str(failed.value)
