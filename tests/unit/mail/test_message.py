"""MIME messages: structure, encodings, and no way to smuggle a header in."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from app.services.mail.account import SmtpAccount
from app.services.mail.message import (
    Attachment,
    MessageError,
    OutgoingEmail,
    ascii_domain,
    build_message,
    check_sender,
    envelope_address,
    envelope_recipients,
    new_message_id,
    smtputf8_addresses,
    split_addresses,
)

ACCOUNT = SmtpAccount(
    host="smtp.example.com",
    port=587,
    security="starttls",
    user="ar@example.com",
    from_addr="ar@example.com",
    from_name="Müller & Söhne GmbH",
    reply_to="collections@example.com",
)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _email(**changes: object) -> OutgoingEmail:
    values: dict[str, object] = {
        "to": ("kunde@example.de",),
        "subject": "Zahlungserinnerung: Rechnung INV-1 \u2013 Müller",
        "body_text": "Sehr geehrte Damen und Herren,\n\nbitte zahlen Sie 1.234,50 €.\n",
        "body_html": "<p>Bitte zahlen Sie <b>1.234,50 €</b>.</p>",
        "attachments": (Attachment("INV-1.pdf", b"%PDF-1.4 fake"),),
    }
    values.update(changes)
    return OutgoingEmail(**values)  # type: ignore[arg-type]


def _parsed(email: OutgoingEmail, account: SmtpAccount = ACCOUNT):  # type: ignore[no-untyped-def]
    raw = build_message(account, email, NOW).as_bytes()
    assert raw.isascii(), "headers and bodies must be encoded for any server"
    return raw, message_from_bytes(raw, policy=policy.default)


def test_text_and_html_alternatives_inside_mixed_with_the_pdf() -> None:
    _, message = _parsed(_email())
    assert message.get_content_type() == "multipart/mixed"
    types = [part.get_content_type() for part in message.walk()]
    assert types == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "application/pdf",
    ]
    body = message.get_body(("plain",))
    assert body is not None
    assert "1.234,50 €" in body.get_content()
    html = message.get_body(("html",))
    assert html is not None
    assert "<b>1.234,50 €</b>" in html.get_content()
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "INV-1.pdf"
    assert attachment.get_content() == b"%PDF-1.4 fake"


def test_non_ascii_names_and_subjects_are_encoded_and_read_back() -> None:
    raw, message = _parsed(_email())
    assert b"=?utf-8?" in raw
    assert str(message["Subject"]) == "Zahlungserinnerung: Rechnung INV-1 \u2013 Müller"
    assert message["From"].addresses[0].display_name == "Müller & Söhne GmbH"
    assert message["From"].addresses[0].addr_spec == "ar@example.com"
    assert str(message["Reply-To"]) == "collections@example.com"
    assert message["Message-ID"].endswith("@example.com>")
    assert message["Date"].datetime == NOW


def test_a_given_message_id_is_kept() -> None:
    _, message = _parsed(_email(message_id="<abc.123@example.com>"))
    assert message["Message-ID"] == "<abc.123@example.com>"


@pytest.mark.parametrize(
    "changes",
    [
        {"subject": "Reminder\r\nBcc: victim@example.net"},
        {"subject": "Reminder\nBcc: victim@example.net"},
        {"subject": "Reminder\u2028Bcc: victim@example.net"},
        {"to": ("kunde@example.de\r\nBcc: victim@example.net",)},
        {"attachments": (Attachment("a\r\nX-Evil: 1.pdf", b"x"),)},
    ],
)
def test_a_line_break_in_a_header_value_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(MessageError, match=r"line break|not an email address"):
        build_message(ACCOUNT, _email(**changes), NOW)


def test_a_sender_name_with_a_line_break_is_refused() -> None:
    account = SmtpAccount(**{**ACCOUNT.__dict__, "from_name": "Evil\r\nBcc: x@example.net"})
    with pytest.raises(MessageError, match="From: a line break"):
        build_message(account, _email(), NOW)


def test_no_recipient_is_refused() -> None:
    with pytest.raises(MessageError, match="no recipient"):
        build_message(ACCOUNT, _email(to=()), NOW)


def test_addresses_are_split_on_commas_and_semicolons_once_each() -> None:
    text = "a@example.com; b@example.com, A Person <c@example.com>, a@example.com"
    assert split_addresses(text) == ("a@example.com", "b@example.com", "c@example.com")


def test_a_blind_copy_to_the_user_goes_in_the_envelope_only() -> None:
    account = SmtpAccount(**{**ACCOUNT.__dict__, "bcc_self": True})
    email = _email()
    assert envelope_recipients(account, email) == ("kunde@example.de", "ar@example.com")
    _, message = _parsed(email, account)
    assert message["Bcc"] is None


def test_the_password_is_not_in_the_account_repr() -> None:
    account = SmtpAccount(**{**ACCOUNT.__dict__, "password": "hunter2-Pässwort"})
    assert "hunter2" not in repr(account)


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("example.com", "example.com"),
        ("müller.de", "xn--mller-kva.de"),
        ("MÜLLER.de", "xn--mller-kva.de"),
        ("straße.de", "xn--strae-oqa.de"),  # IDNA 2008: not strasse.de
        ("bücher.例え.jp", "xn--bcher-kva.xn--r8jz45g.jp"),
        ("\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com", "example.com"),  # full width
    ],
)
def test_domains_beyond_ascii_are_written_in_their_ascii_form(domain: str, expected: str) -> None:
    assert ascii_domain(domain) == expected


def test_a_domain_that_cannot_be_written_in_ascii_is_refused() -> None:
    with pytest.raises(MessageError, match="can be written in ASCII"):
        ascii_domain("ä" * 70 + ".de")
    with pytest.raises(MessageError, match="can be written in ASCII"):
        ascii_domain("a..de")


def test_envelope_addresses_keep_the_local_part_and_convert_the_domain() -> None:
    assert envelope_address("Info@Müller.de") == "Info@xn--mller-kva.de"
    assert envelope_address("jürgen@example.com") == "jürgen@example.com"
    assert smtputf8_addresses(["a@müller.de", "jürgen@example.com", "jürgen@example.com"]) == (
        "jürgen@example.com",
    )


def test_accented_domains_are_ascii_in_the_headers_and_the_envelope() -> None:
    account = SmtpAccount(**{**ACCOUNT.__dict__, "from_addr": "ar@müller.de", "bcc_self": True})
    email = _email(to=("info@bücher.de",))
    _, message = _parsed(email, account)
    assert message["To"].addresses[0].addr_spec == "info@xn--bcher-kva.de"
    assert message["From"].addresses[0].addr_spec == "ar@xn--mller-kva.de"
    assert message["Message-ID"].endswith("@xn--mller-kva.de>")
    assert new_message_id(account).endswith("@xn--mller-kva.de>")
    assert envelope_recipients(account, email) == ("info@xn--bcher-kva.de", "ar@xn--mller-kva.de")


def test_an_accented_local_part_makes_utf8_headers_for_smtputf8() -> None:
    raw = build_message(ACCOUNT, _email(to=("jürgen@example.com",)), NOW).as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert "To: jürgen@example.com\r\n".encode() in head
    # The bodies stay 7-bit; only the headers carry UTF-8.
    assert raw.split(b"\r\n\r\n", 1)[1].isascii()


def test_a_sender_that_cannot_head_a_message_is_found_before_sending() -> None:
    check_sender(ACCOUNT)
    with pytest.raises(MessageError, match="From: 'not-an-address' is not an email address"):
        check_sender(SmtpAccount(**{**ACCOUNT.__dict__, "from_addr": "not-an-address"}))
    with pytest.raises(MessageError, match="Reply-To: a line break"):
        check_sender(SmtpAccount(**{**ACCOUNT.__dict__, "reply_to": "a@b.de\r\nBcc: x@y.de"}))
