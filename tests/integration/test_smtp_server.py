"""The local SMTP test server (tests/smtp_server.py), driven with the standard library's smtplib."""

from __future__ import annotations

import base64
import gc
import smtplib
import ssl
import time
from email.message import EmailMessage
from pathlib import Path

import keyring
import pytest

from tests.smtp_server import LocalSmtpServer, SelfSignedCert

SENDER = "bookkeeper@example.com"
CUSTOMER = "kunde@example.org"
OTHER = "einkauf@example.net"
PDF = b"%PDF-1.4\n% not really a PDF\n%%EOF\n"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def login_utf8(client: smtplib.SMTP, user: str, password: str) -> None:
    """AUTH PLAIN with UTF-8 credentials: smtplib.login() can only send ASCII (cpython #73936)."""
    client.ehlo_or_helo_if_needed()
    credentials = b"\0" + user.encode() + b"\0" + password.encode()
    code, reply = client.docmd("AUTH", "PLAIN " + b64(credentials))
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def invoice_mail(to: str = CUSTOMER, subject: str = "Rechnung 2026-0042") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Müller Buchhaltung <{SENDER}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Guten Tag,\n\nanbei Ihre Rechnung über 1.234,50 €.\n")
    msg.add_alternative("<p>Guten Tag, anbei Ihre Rechnung über 1.234,50 €.</p>", subtype="html")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="2026-0042.pdf")
    return msg


def connect(server: LocalSmtpServer, host: str | None = None) -> smtplib.SMTP:
    """A client connected, through STARTTLS and logged in: what the mailer does per batch."""
    client = smtplib.SMTP(host or server.host, server.port, timeout=5)
    client.starttls(context=server.client_context())
    login_utf8(client, server.user, server.password)
    return client


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_starttls_login_and_a_multipart_message_arrives_parsed(smtp_server, host):
    with smtplib.SMTP(host, smtp_server.port, timeout=5) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert not client.has_extn("auth")  # AUTH is offered only after STARTTLS
        client.starttls(context=smtp_server.client_context())  # checks the name or IP too
        client.ehlo()
        assert client.has_extn("auth")
        assert set(client.esmtp_features["auth"].split()) == {"LOGIN", "PLAIN"}
        login_utf8(client, smtp_server.user, smtp_server.password)
        refused = client.send_message(invoice_mail())
    assert refused == {}

    assert smtp_server.wait_for(1)
    (got,) = smtp_server.messages
    assert got.mail_from == SENDER
    assert got.rcpt_tos == [CUSTOMER]
    assert got.session_id == 1
    assert smtp_server.connections == 1
    assert got.raw.startswith(b"From: ")
    assert got.message["Subject"] == "Rechnung 2026-0042"
    assert got.message["From"].addresses[0].display_name == "Müller Buchhaltung"
    assert "1.234,50 €" in got.message.get_body(preferencelist=("plain",)).get_content()
    assert "<p>" in got.message.get_body(preferencelist=("html",)).get_content()
    (attachment,) = got.message.iter_attachments()
    assert attachment.get_filename() == "2026-0042.pdf"
    assert attachment.get_content() == PDF


def test_auth_login_mechanism_with_utf8_credentials(smtp_server):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        client.starttls(context=smtp_server.client_context())
        client.ehlo()
        assert client.docmd("AUTH", "LOGIN " + b64(smtp_server.user.encode()))[0] == 334
        assert client.docmd(b64(smtp_server.password.encode()))[0] == 235


def test_stdlib_login_works_for_an_ascii_password(tmp_path, smtp_certificate):
    ascii_only = "ascii-only-1"
    with (
        LocalSmtpServer(tmp_path, password=ascii_only, certificate=smtp_certificate) as server,
        smtplib.SMTP(server.host, server.port, timeout=5) as client,
    ):
        client.starttls(context=server.client_context())
        code, _ = client.login(server.user, ascii_only)
        assert code == 235
        client.send_message(invoice_mail())
    assert server.wait_for(1)


def test_auth_and_mail_before_starttls_are_refused(smtp_server):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        client.ehlo()
        with pytest.raises(smtplib.SMTPNotSupportedError):
            client.login(smtp_server.user, "whatever")
        credentials = b"\0" + smtp_server.user.encode() + b"\0" + smtp_server.password.encode()
        assert client.docmd("AUTH", "PLAIN " + b64(credentials))[0] == 530
        assert client.docmd("MAIL", f"FROM:<{SENDER}>")[0] == 530
    assert smtp_server.messages == []


def test_mail_without_login_is_refused(smtp_server):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        client.starttls(context=smtp_server.client_context())
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.send_message(invoice_mail())
    assert refused.value.smtp_code == 530


def test_wrong_password_is_535(smtp_server):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        client.starttls(context=smtp_server.client_context())
        with pytest.raises(smtplib.SMTPAuthenticationError) as wrong:
            client.login(smtp_server.user, "not-the-password")
        assert wrong.value.smtp_code == 535
        with pytest.raises(smtplib.SMTPAuthenticationError) as wrong_utf8:
            login_utf8(client, smtp_server.user, "s3cret-Passwort")
        assert wrong_utf8.value.smtp_code == 535


def test_a_client_with_the_default_trust_store_rejects_the_certificate(smtp_server):
    client = smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5)
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            client.starttls(context=ssl.create_default_context())
    finally:
        client.close()
    # The server is still fine for the next client.
    with connect(smtp_server) as client:
        client.send_message(invoice_mail())
    assert smtp_server.wait_for(1)


def test_the_certificate_passes_strict_x509_checks(smtp_server_tls):
    context = smtp_server_tls.client_context()
    context.verify_flags |= ssl.VERIFY_X509_STRICT  # Python 3.13's default
    with smtplib.SMTP_SSL(
        smtp_server_tls.host, smtp_server_tls.port, context=context, timeout=5
    ) as client:
        assert client.noop()[0] == 250


def test_data_fails_with_451_once_then_is_accepted(smtp_server):
    smtp_server.fail_data()
    with connect(smtp_server) as client:
        with pytest.raises(smtplib.SMTPDataError) as failed:
            client.send_message(invoice_mail())
        assert failed.value.smtp_code == 451
        assert b"4.3.0 Try again later" in failed.value.smtp_error
        client.send_message(invoice_mail())
    assert smtp_server.wait_for(1)
    assert len(smtp_server.messages) == 1


def test_one_refused_recipient_does_not_stop_the_others(smtp_server):
    smtp_server.reject_recipient(OTHER)
    with connect(smtp_server) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.send_message(invoice_mail(to=OTHER))
        assert refused.value.recipients == {OTHER: (550, b"5.1.1 No such user")}
        partly = client.send_message(invoice_mail(to=f"{OTHER}, {CUSTOMER}"))
        assert partly == {OTHER: (550, b"5.1.1 No such user")}
    assert smtp_server.wait_for(1)
    assert [m.rcpt_tos for m in smtp_server.messages] == [[CUSTOMER]]


def test_a_sender_can_be_refused_and_allowed_again(smtp_server):
    smtp_server.reject_sender(SENDER)
    with connect(smtp_server) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.send_message(invoice_mail())
        assert refused.value.smtp_code == 553
        assert b"not owned by user" in refused.value.smtp_error
        smtp_server.reject_sender(None)
        client.send_message(invoice_mail())
    assert smtp_server.wait_for(1)


def test_drop_after_two_cuts_the_connection_and_the_next_one_works(smtp_server):
    smtp_server.drop_after(2)
    with connect(smtp_server) as client:
        client.send_message(invoice_mail(subject="1"))
        client.send_message(invoice_mail(subject="2"))  # accepted, then the line goes dead
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.send_message(invoice_mail(subject="3"))
    with connect(smtp_server) as client:
        client.send_message(invoice_mail(subject="3"))
        client.send_message(invoice_mail(subject="4"))  # one shot: no second cut
    assert smtp_server.wait_for(4)
    got = [(m.message["Subject"], m.session_id) for m in smtp_server.messages]
    assert got == [("1", 1), ("2", 1), ("3", 2), ("4", 2)]
    assert smtp_server.connections == 2


def test_implicit_tls_with_smtp_ssl(smtp_server_tls):
    with smtplib.SMTP_SSL(
        smtp_server_tls.host,
        smtp_server_tls.port,
        context=smtp_server_tls.client_context(),
        timeout=5,
    ) as client:
        client.ehlo()
        assert not client.has_extn("starttls")
        assert client.has_extn("auth")
        login_utf8(client, smtp_server_tls.user, smtp_server_tls.password)
        client.send_message(invoice_mail())
    assert smtp_server_tls.wait_for(1)
    assert smtp_server_tls.messages[0].message["To"] == CUSTOMER


def test_plain_mode_allows_auth_without_tls(tmp_path, smtp_certificate):
    with (
        LocalSmtpServer(tmp_path, mode="none", certificate=smtp_certificate) as server,
        smtplib.SMTP(server.host, server.port, timeout=5) as client,
    ):
        client.ehlo()
        assert not client.has_extn("starttls")
        login_utf8(client, server.user, server.password)
        client.send_message(invoice_mail())
        assert server.wait_for(1)


def test_wait_for_gives_up_after_the_timeout(smtp_server):
    started = time.monotonic()
    assert not smtp_server.wait_for(1, timeout=0.05)
    assert time.monotonic() - started < 1


def test_stop_hangs_up_on_a_connected_client(tmp_path, smtp_certificate):
    server = LocalSmtpServer(tmp_path, certificate=smtp_certificate).start()
    client = connect(server)
    try:
        server.stop()
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.noop()
    finally:
        client.close()
    server.stop()  # twice is fine


def test_a_server_starts_once_and_one_never_started_leaves_nothing_open(tmp_path, smtp_certificate):
    server = LocalSmtpServer(tmp_path / "a", certificate=smtp_certificate)
    assert server.port > 0  # bound at construction
    with server, pytest.raises(RuntimeError):
        server.start()
    unused = LocalSmtpServer(tmp_path / "b", certificate=smtp_certificate)
    del unused
    gc.collect()  # an unclosed socket would be a ResourceWarning, an error under our filterwarnings


def test_a_certificate_can_be_written_and_reused(tmp_path, smtp_certificate):
    cert, key = smtp_certificate.write(tmp_path / "certs")
    assert cert.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert key.stat().st_mode & 0o077 == 0
    assert isinstance(smtp_certificate, SelfSignedCert)


def test_keyring_fixture_keeps_passwords_in_tmp_path(test_keyring, tmp_path):
    keyring.set_password("duebook", SENDER, "s3cret-Pässwörd")
    assert keyring.get_password("duebook", SENDER) == "s3cret-Pässwörd"
    stored = Path(test_keyring.file_path)
    assert keyring.get_keyring() is test_keyring
    assert stored.is_relative_to(tmp_path)
    assert stored.is_file()
