"""One SMTP connection per batch, each delivery's outcome, and failures in a bookkeeper's words.

A delivery is staged (MAIL, RCPT, DATA, then the message) so that a dropped connection can be
told apart: before the message went over the wire it was surely not sent and may be tried again;
after, it may have been sent, and only a person decides whether to send it again.
"""

from __future__ import annotations

import base64
import contextlib
import enum
import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from app.services.mail.account import SmtpAccount


class SmtpAccountError(RuntimeError):
    """The server cannot be reached or refuses the account; nothing was sent. In words."""


class DeliveryStatus(enum.StrEnum):
    """What became of one message."""

    SENT = "sent"
    TEMPORARY = "temporary"  # not sent; may be tried again later
    PERMANENT = "permanent"  # not sent; the server refused it for good
    UNKNOWN = "unknown"  # the connection broke after the message was handed over


@dataclass(frozen=True)
class Delivery:
    """The outcome of one message and the server's words."""

    status: DeliveryStatus
    detail: str = ""
    #: Recipients the server refused while it accepted others.
    refused: tuple[str, ...] = ()


def tls_context(account: SmtpAccount) -> ssl.SSLContext:
    """Certificate and host name checks on; the account's own CA file when one is named."""
    return ssl.create_default_context(cafile=account.ca_file or None)


def _answer(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(words.split())}".strip()


def _not_found(exc: BaseException, account: SmtpAccount) -> str:
    return (
        f"The mail server {account.host} was not found. Check the server name, and that this "
        "computer is online."
    )


def _refused(exc: BaseException, account: SmtpAccount) -> str:
    return (
        f"The mail server refused the connection on {_where(account)}. Check the port and the "
        "security setting (587 with STARTTLS, 465 with SSL/TLS)."
    )


def _untrusted(exc: BaseException, account: SmtpAccount) -> str:
    reason = getattr(exc, "verify_message", "") or "not trusted"
    return (
        f"The mail server's certificate is not trusted ({reason}). If your company uses its own "
        "certificates, name their CA file in Settings → Email."
    )


def _no_tls(exc: BaseException, account: SmtpAccount) -> str:
    reason = getattr(exc, "reason", "") or exc
    return (
        f"A secure connection to {_where(account)} could not be made ({reason}). Check the "
        "security setting: port 465 usually needs SSL/TLS, port 587 STARTTLS."
    )


def _bad_login(exc: BaseException, account: SmtpAccount) -> str:
    return f"The mail server refused the user name or password for {account.user} ({_said(exc)})."


def _unsupported(exc: BaseException, account: SmtpAccount) -> str:
    return (
        f"The mail server at {_where(account)} does not offer {exc}. Check the security setting "
        "(STARTTLS or SSL/TLS) and the port."
    )


def _answered(exc: BaseException, account: SmtpAccount) -> str:
    return f"The mail server answered {_said(exc)}."


def _no_answer(exc: BaseException, account: SmtpAccount) -> str:
    return f"The mail server at {_where(account)} did not answer in time. Is this computer online?"


def _hung_up(exc: BaseException, account: SmtpAccount) -> str:
    return f"The mail server at {_where(account)} closed the connection before it was ready."


def _unreachable(exc: BaseException, account: SmtpAccount) -> str:
    reason = getattr(exc, "strerror", None) or exc
    return f"Cannot reach the mail server at {_where(account)}: {reason}."


def _where(account: SmtpAccount) -> str:
    return f"{account.host}:{account.port}"


def _said(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return _answer(exc.smtp_code, exc.smtp_error)
    return str(exc)


#: The first entry whose type matches words the failure; more specific types come first.
_CONNECTION_FAILURES: tuple[
    tuple[type[BaseException], Callable[[BaseException, SmtpAccount], str]], ...
] = (
    (socket.gaierror, _not_found),
    (ConnectionRefusedError, _refused),
    (ssl.SSLCertVerificationError, _untrusted),
    (ssl.SSLError, _no_tls),
    (smtplib.SMTPAuthenticationError, _bad_login),
    (smtplib.SMTPNotSupportedError, _unsupported),
    (smtplib.SMTPResponseException, _answered),
    (TimeoutError, _no_answer),
    (smtplib.SMTPServerDisconnected, _hung_up),
    (OSError, _unreachable),
)


def describe_connection_failure(exc: BaseException, account: SmtpAccount) -> str:
    """Why connecting or logging in failed, in a bookkeeper's words; never with the password."""
    for kind, words in _CONNECTION_FAILURES:
        if isinstance(exc, kind):
            return words(exc, account)
    return f"Cannot send through {_where(account)}: {exc}"


def _sender_refused(code: int, text: bytes | str, sender: str) -> str:
    return (
        f"The mail server does not allow sending as {sender} ({_answer(code, text)}). Use your "
        "account's own address as the From address, or ask your provider to allow this one."
    )


_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


def _data_bytes(message: bytes) -> bytes:
    """The message as DATA carries it: dots doubled at line starts, ended by ``.``."""
    body = _LEADING_DOT.sub(b"..", message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"


class SmtpConnection:
    """A connection opened on the first delivery and reopened after the server drops it."""

    def __init__(self, account: SmtpAccount) -> None:
        self.account = account
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> None:
        """Connect, secure the connection and log in.

        Raises:
            SmtpAccountError: in words; nothing was sent.
        """
        account = self.account
        smtp: smtplib.SMTP | None = None
        try:
            if account.security == "tls":
                context = tls_context(account)
                smtp = smtplib.SMTP_SSL(
                    account.host, account.port, timeout=account.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(account.host, account.port, timeout=account.timeout)
            _no_delay(smtp)
            if account.security == "starttls":
                smtp.starttls(context=tls_context(account))
            smtp.ehlo_or_helo_if_needed()
            if account.user:
                _log_in(smtp, account.user, account.password)
        except (OSError, smtplib.SMTPException) as exc:
            if smtp is not None:
                _quietly_close(smtp)
            raise SmtpAccountError(describe_connection_failure(exc, account)) from None
        self._smtp = smtp

    def close(self) -> None:
        """Say goodbye to the server, if connected."""
        if self._smtp is not None:
            _quietly_close(self._smtp)
            self._smtp = None

    def deliver(self, sender: str, recipients: tuple[str, ...], message: bytes) -> Delivery:
        """Hand one message to the server.

        A connection kept from an earlier message that turns out to be dropped before this one
        went over the wire is reopened, and the message tried once more on the new one.

        Raises:
            SmtpAccountError: the connection could not be (re)opened; nothing was sent.
        """
        reused = self._smtp is not None
        delivery = self._deliver_once(sender, recipients, message)
        if reused and self._smtp is None and delivery.status == DeliveryStatus.TEMPORARY:
            delivery = self._deliver_once(sender, recipients, message)
        return delivery

    def _deliver_once(self, sender: str, recipients: tuple[str, ...], message: bytes) -> Delivery:
        smtp = self._smtp or self._opened()
        handed_over = False
        try:
            refusal, refused = _envelope(smtp, sender, recipients)
            if refusal is not None:
                return refusal
            code, text = smtp.docmd("DATA")
            if code == 354:
                handed_over = True
                smtp.send(_data_bytes(message))
                code, text = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._smtp = None
            _quietly_close(smtp)
            if handed_over:
                return Delivery(
                    DeliveryStatus.UNKNOWN,
                    f"the connection broke after the message was handed over ({exc}); it may "
                    "have been sent",
                )
            return Delivery(DeliveryStatus.TEMPORARY, f"the connection broke ({exc})")
        if code == 250:
            return Delivery(DeliveryStatus.SENT, "; ".join(a for _, _, a in refused), _who(refused))
        smtp.rset()
        return Delivery(_by_code(code), _answer(code, text))

    def _opened(self) -> smtplib.SMTP:
        self.open()
        if self._smtp is None:  # pragma: no cover - open() sets it or raises
            raise SmtpAccountError("the connection to the mail server was not opened")
        return self._smtp


#: A recipient the server refused, its code and the answer in words.
_Refused = tuple[str, int, str]


def _by_code(code: int) -> DeliveryStatus:
    return DeliveryStatus.PERMANENT if code >= 500 else DeliveryStatus.TEMPORARY


def _who(refused: list[_Refused]) -> tuple[str, ...]:
    return tuple(recipient for recipient, _, _ in refused)


def _envelope(
    smtp: smtplib.SMTP, sender: str, recipients: tuple[str, ...]
) -> tuple[Delivery | None, list[_Refused]]:
    """MAIL and RCPT; a Delivery when the message cannot go, and the recipients refused."""
    code, text = smtp.mail(sender)
    if code != 250:
        smtp.rset()
        if code >= 500:
            return Delivery(DeliveryStatus.PERMANENT, _sender_refused(code, text, sender)), []
        return Delivery(DeliveryStatus.TEMPORARY, _answer(code, text)), []
    refused: list[_Refused] = []
    for recipient in recipients:
        code, text = smtp.rcpt(recipient)
        if code not in (250, 251):
            refused.append((recipient, code, f"{recipient}: {_answer(code, text)}"))
    if len(refused) < len(recipients):
        return None, refused
    smtp.rset()
    status = _by_code(min(code for _, code, _ in refused))
    return Delivery(status, "; ".join(a for _, _, a in refused), _who(refused)), refused


def _log_in(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """AUTH; beyond ASCII as UTF-8 with PLAIN (RFC 4616), which ``SMTP.login`` cannot send."""
    if (user + password).isascii():
        smtp.login(user, password)
        return
    if not smtp.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH")
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
    code, text = smtp.docmd("AUTH", f"PLAIN {token}")
    if code not in (235, 503):
        raise smtplib.SMTPAuthenticationError(code, text)


def _no_delay(smtp: smtplib.SMTP) -> None:
    """Send each write at once (TCP_NODELAY), as mail clients do.

    Without it the last piece of every message waits for the server's delayed ACK of the piece
    before (Nagle's algorithm): about 40 ms per email with a PDF attached, whatever the network.
    """
    if smtp.sock is not None:
        with contextlib.suppress(OSError):
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _quietly_close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
