"""MIME messages built with the standard library: text and HTML alternatives and PDF attachments.

Every header value is checked for line breaks first: a customer name or a subject carrying CR/LF
could otherwise add a header (a Bcc) of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid

from app.services.mail.account import SmtpAccount
from app.services.text_checks import has_line_break, is_email_address

#: CRLF line ends, and bodies encoded to 7-bit (quoted-printable or base64) for any server.
_POLICY = policy.SMTP.clone(cte_type="7bit")


class MessageError(ValueError):
    """A message that must not be sent as it is; the message names the header or address."""


@dataclass(frozen=True)
class Attachment:
    """A file attached to an email."""

    filename: str
    data: bytes
    mime_type: str = "application/pdf"


@dataclass(frozen=True)
class OutgoingEmail:
    """What to send, before it is made into MIME."""

    to: tuple[str, ...]
    subject: str
    body_text: str
    body_html: str = ""
    attachments: tuple[Attachment, ...] = ()
    message_id: str = ""


def new_message_id(account: SmtpAccount) -> str:
    """A unique Message-ID in the sender's domain, ``<...@example.com>``."""
    domain = account.from_addr.rpartition("@")[2] or "duebook.invalid"
    return make_msgid(domain=domain)


def split_addresses(text: str) -> tuple[str, ...]:
    """Addresses from ``"a@x.com, b@y.com"`` or ``"a@x.com; b@y.com"``, in order, once each.

    Raises:
        MessageError: the text holds a line break (a name over two lines, the second
            ``Bcc: x@y.z``, would otherwise come out as one more recipient).
    """
    _one_line("To", text)
    found = [addr.strip() for _, addr in getaddresses([text.replace(";", ",")]) if addr.strip()]
    return tuple(dict.fromkeys(found))


def envelope_recipients(account: SmtpAccount, email: OutgoingEmail) -> tuple[str, ...]:
    """Who the server is asked to deliver to: the recipients, and the user for a blind copy."""
    recipients = list(email.to)
    if account.bcc_self and account.from_addr not in recipients:
        recipients.append(account.from_addr)
    return tuple(recipients)


def _one_line(field: str, value: str) -> str:
    if has_line_break(value):
        raise MessageError(f"{field}: a line break is not allowed in an email header")
    return value


def _address(field: str, addr: str, name: str = "") -> Address:
    _one_line(field, addr)
    _one_line(field, name)
    if not is_email_address(addr):
        raise MessageError(f"{field}: {addr!r} is not an email address")
    username, _, domain = addr.rpartition("@")
    return Address(display_name=name, username=username, domain=domain)


def build_message(
    account: SmtpAccount,
    email: OutgoingEmail,
    now: datetime,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """The MIME message: text and HTML alternatives, inside ``multipart/mixed`` with files.

    Args:
        account: the sender's name, address and reply-to.
        email: recipients, subject, bodies, attachments and the Message-ID (made when empty).
        now: the Date header (timezone-aware).
        attachments: more files besides ``email.attachments``.

    Raises:
        MessageError: a header value carries a line break, or an address is not one.
    """
    if not email.to:
        raise MessageError("To: the email has no recipient")
    message = EmailMessage(policy=_POLICY)
    message["From"] = _address("From", account.from_addr, account.from_name)
    message["To"] = [_address("To", addr) for addr in email.to]
    if account.reply_to:
        message["Reply-To"] = _address("Reply-To", account.reply_to)
    message["Subject"] = _one_line("Subject", email.subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = _one_line("Message-ID", email.message_id or new_message_id(account))
    message.set_content(email.body_text, charset="utf-8")
    if email.body_html:
        message.add_alternative(email.body_html, subtype="html", charset="utf-8")
    for attachment in (*email.attachments, *attachments):
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(
            attachment.data,
            maintype=maintype,
            subtype=subtype,
            filename=_one_line("attachment name", attachment.filename),
        )
    return message
