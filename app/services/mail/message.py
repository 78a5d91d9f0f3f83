"""MIME messages built with the standard library: text and HTML alternatives and PDF attachments.

Every header value is checked for line breaks first: a customer name or a subject carrying CR/LF
could otherwise add a header (a Bcc) of its own.

Addresses beyond ASCII: a domain such as ``müller.de`` goes in its ASCII form
(``xn--mller-kva.de``, IDNA 2008 as browsers and registries use it, so ``straße.de`` stays
``xn--strae-oqa.de`` and is not turned into ``strasse.de``) in the headers and the envelope. A
local part such as ``jürgen@`` has no ASCII form: such a message is written with UTF-8 headers
and can only go to a server that offers SMTPUTF8 (RFC 6531).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
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
#: The same, with headers in UTF-8 as they are: only for a message that goes with SMTPUTF8.
_UTF8_POLICY = _POLICY.clone(utf8=True)
#: RFC 1035: a label of at most 63 octets, a name of at most 253.
_MAX_LABEL, _MAX_DOMAIN = 63, 253


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
    """A unique Message-ID in the sender's domain, ``<...@example.com>`` (ASCII form)."""
    domain = account.from_addr.rpartition("@")[2]
    try:
        return make_msgid(domain=ascii_domain(domain) if domain else "duebook.invalid")
    except MessageError:
        return make_msgid(domain="duebook.invalid")


def ascii_domain(domain: str) -> str:
    """The ASCII form of a mail domain: ``müller.de`` -> ``xn--mller-kva.de``.

    Each label beyond ASCII is normalised (NFKC, lower case) and Punycode-encoded with the
    ``xn--`` prefix, as IDNA 2008 and UTS 46 without transitional mapping do: ``ß`` stays a
    letter of its own (``straße.de`` -> ``xn--strae-oqa.de``). ASCII labels are left as they are.

    Raises:
        MessageError: a label is empty or too long, or the name is too long.
    """
    labels = [_ascii_label(label) for label in domain.rstrip(".").split(".")]
    if not all(0 < len(label) <= _MAX_LABEL for label in labels):
        raise MessageError(f"{domain!r} is not a mail domain that can be written in ASCII")
    ascii_name = ".".join(labels)
    if len(ascii_name) > _MAX_DOMAIN:
        raise MessageError(f"{domain!r} is too long for a mail domain")
    return ascii_name


def _ascii_label(label: str) -> str:
    if label.isascii():
        return label
    folded = unicodedata.normalize("NFKC", label).lower()
    if folded.isascii():  # full-width letters and the like
        return folded
    return "xn--" + folded.encode("punycode").decode("ascii")


def envelope_address(addr: str) -> str:
    """An address as the envelope (MAIL FROM, RCPT TO) carries it: the domain in ASCII form.

    Raises:
        MessageError: the domain cannot be written in ASCII.
    """
    local, at, domain = addr.rpartition("@")
    return f"{local}@{ascii_domain(domain)}" if at and not domain.isascii() else addr


def smtputf8_addresses(addresses: Iterable[str]) -> tuple[str, ...]:
    """Those of ``addresses`` whose part before the @ is beyond ASCII (they need SMTPUTF8)."""
    return tuple(a for a in dict.fromkeys(addresses) if not a.rpartition("@")[0].isascii())


def message_addresses(account: SmtpAccount, email: OutgoingEmail) -> tuple[str, ...]:
    """Every address a message built for ``email`` names: From, To and Reply-To."""
    return (account.from_addr, *email.to, *((account.reply_to,) if account.reply_to else ()))


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
    """Who the server is asked to deliver to: the recipients, and the user for a blind copy.

    Domains are in their ASCII form (`envelope_address`).

    Raises:
        MessageError: a domain cannot be written in ASCII.
    """
    recipients = [envelope_address(addr) for addr in email.to]
    sender = envelope_address(account.from_addr)
    if account.bcc_self and sender not in recipients:
        recipients.append(sender)
    return tuple(dict.fromkeys(recipients))


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
    try:
        domain = ascii_domain(domain)
    except MessageError as exc:
        raise MessageError(f"{field}: {exc}") from None
    return Address(display_name=name, username=username, domain=domain)


def check_sender(account: SmtpAccount) -> None:
    """Whether the account's From and Reply-To addresses can head a message.

    Raises:
        MessageError: one of them is not an address, holds a line break, or its domain cannot
            be written in ASCII.
    """
    _address("From", account.from_addr, account.from_name)
    if account.reply_to:
        _address("Reply-To", account.reply_to)


def build_message(
    account: SmtpAccount,
    email: OutgoingEmail,
    now: datetime,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """The MIME message: text and HTML alternatives, inside ``multipart/mixed`` with files.

    Domains go in their ASCII form. When an address has a local part beyond ASCII
    (`smtputf8_addresses`), the headers are written in UTF-8: such a message goes only with
    SMTPUTF8, which `SmtpConnection.deliver` asks for.

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
    utf8 = bool(smtputf8_addresses(message_addresses(account, email)))
    message = EmailMessage(policy=_UTF8_POLICY if utf8 else _POLICY)
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
