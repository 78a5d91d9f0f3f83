"""One SMTP connection per batch, each delivery's outcome, and failures in a bookkeeper's words.

A delivery is staged (MAIL, RCPT, DATA, then the message) so that a dropped connection can be
told apart: before the message went over the wire it was surely not sent and may be tried again;
after, it may have been sent, and only a person decides whether to send it again.
"""

from __future__ import annotations

import base64
import contextlib
import enum
import ipaddress
import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from app.services.mail.account import SmtpAccount
from app.services.mail.message import smtputf8_addresses


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
    #: Of those, the ones refused for now (4xx): they may get the message on a later try.
    deferred: tuple[str, ...] = ()


def tls_context(account: SmtpAccount) -> ssl.SSLContext:
    """Certificate and host name checks on; the account's own CA file when one is named.

    Raises:
        SmtpAccountError: the CA file cannot be read or holds no certificate (named, in words).
    """
    try:
        return ssl.create_default_context(cafile=account.ca_file or None)
    except ssl.SSLError as exc:
        reason = f"it holds no certificate in PEM form ({exc.reason or exc})"
    except OSError as exc:
        reason = exc.strerror or str(exc)
    raise SmtpAccountError(
        f"The CA file {account.ca_file} named in Settings → Email cannot be read: {reason}. "
        "Choose the file again, or clear the setting to use the system's certificates."
    )


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


def _no_starttls(account: SmtpAccount) -> str:
    return (
        f"The mail server at {_where(account)} does not offer STARTTLS, so no secure connection "
        "can be made on this port. Check the security setting and the port: port 465 usually "
        "needs SSL/TLS, port 587 STARTTLS."
    )


def _clear_login(account: SmtpAccount) -> str:
    return (
        f"Duebook does not log in to {account.host} without encryption (security: none): the "
        "password would cross the network unencrypted: choose STARTTLS or SSL/TLS in Settings "
        "→ Email."
    )


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this computer (``localhost``, 127.0.0.0/8, ``::1``)."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _no_auth(account: SmtpAccount) -> str:
    return (
        f"The mail server at {_where(account)} does not offer a login (AUTH) on this connection, "
        f"so it cannot check the password of {account.user}. Check the security setting "
        "(STARTTLS or SSL/TLS) and the port, or clear the user name if this server needs no "
        "login."
    )


def _unsupported(exc: BaseException, account: SmtpAccount) -> str:
    said = str(exc).upper()
    if "STARTTLS" in said:
        return _no_starttls(account)
    if "AUTH" in said:
        return _no_auth(account)
    return (
        f"The mail server at {_where(account)} does not offer what Duebook needs ({exc}). Check "
        "the security setting (STARTTLS or SSL/TLS) and the port."
    )


def _answered(exc: BaseException, account: SmtpAccount) -> str:
    return f"The mail server answered {_said(exc)}."


def _no_answer(exc: BaseException, account: SmtpAccount) -> str:
    return f"The mail server at {_where(account)} did not answer in time. Is this computer online?"


def _hung_up(exc: BaseException, account: SmtpAccount) -> str:
    return f"The mail server at {_where(account)} closed the connection before it was ready."


def _smtp_failure(exc: BaseException, account: SmtpAccount) -> str:
    if "authentication method" not in str(exc):
        return f"The mail server at {_where(account)} answered unexpectedly: {_reason(exc)}."
    return (
        f"The mail server at {_where(account)} offers no login Duebook can use with a password "
        "(it may want OAuth, a sign-in through the browser). If your provider offers app "
        "passwords, create one and enter it as the password in Settings → Email."
    )


def _unreachable(exc: BaseException, account: SmtpAccount) -> str:
    return f"Cannot reach the mail server at {_where(account)}: {_reason(exc)}."


def _reason(exc: BaseException) -> str:
    """The exception's own words, without a final full stop (the sentence adds its own)."""
    return str(getattr(exc, "strerror", None) or exc).rstrip().rstrip(".")


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
    # smtplib.SMTPException is an OSError: its own kinds are worded before OSError's.
    (smtplib.SMTPException, _smtp_failure),
    (OSError, _unreachable),
)


def describe_connection_failure(exc: BaseException, account: SmtpAccount) -> str:
    """Why connecting or logging in failed, in a bookkeeper's words; never with the password."""
    for kind, words in _CONNECTION_FAILURES:
        if isinstance(exc, kind):
            return words(exc, account)
    return f"Cannot send through {_where(account)}: {exc}"


def _sender_refused(code: int, text: bytes | str, sender: str) -> str:
    if code == 530:
        return (
            f"The mail server wants a login before it sends ({_answer(code, text)}). Enter the "
            "user name and password in Settings → Email."
        )
    return (
        f"The mail server does not allow sending as {sender} ({_answer(code, text)}). Use your "
        "account's own address as the From address, or ask your provider to allow this one."
    )


def _no_smtputf8(account: SmtpAccount, addresses: tuple[str, ...]) -> str:
    which = ", ".join(addresses)
    one = len(addresses) == 1
    return (
        f"{which} {'has' if one else 'have'} letters such as ä, é or ß before the @, and the mail "
        f"server {account.host} does not accept such addresses (it does not offer SMTPUTF8). "
        f"Use {'an address' if one else 'addresses'} without them."
    )


_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


def _data_bytes(message: bytes) -> bytes:
    """The message as DATA carries it: dots doubled at line starts, ended by ``.``."""
    body = _LEADING_DOT.sub(b"..", message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"


class SmtpConnection:
    """A connection opened on the first delivery and reopened after the server drops it.

    Attributes:
        account: where and as whom it connects.
        handed_over: whether the message of the latest delivery went to the server whole (all
            of DATA, ended by the final dot). From then on only the server's final reply says
            whether it was taken; without one the message may have been sent.
    """

    def __init__(self, account: SmtpAccount) -> None:
        self.account = account
        self.handed_over = False
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

        A login without TLS (security ``none``) is made only to a server on this computer.

        Raises:
            SmtpAccountError: in words; nothing was sent.
        """
        account = self.account
        if account.user and account.security == "none" and not is_loopback(account.host):
            raise SmtpAccountError(_clear_login(account))
        smtp: smtplib.SMTP | None = None
        try:
            context = tls_context(account) if account.security in ("tls", "starttls") else None
            if account.security == "tls":
                smtp = smtplib.SMTP_SSL(
                    account.host, account.port, timeout=account.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(account.host, account.port, timeout=account.timeout)
            _no_delay(smtp)
            if account.security == "starttls":
                smtp.ehlo_or_helo_if_needed()
                if not smtp.has_extn("starttls"):
                    raise SmtpAccountError(_no_starttls(account))
                smtp.starttls(context=context)
            smtp.ehlo_or_helo_if_needed()
            if account.user:
                if not smtp.has_extn("auth"):
                    raise SmtpAccountError(_no_auth(account))
                _log_in(smtp, account.user, account.password)
        except SmtpAccountError:
            if smtp is not None:
                _quietly_close(smtp)
            raise
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            if smtp is not None:
                _quietly_close(smtp)
            raise SmtpAccountError(describe_connection_failure(exc, account)) from None
        self._smtp = smtp

    def close(self) -> None:
        """Say goodbye to the server, if connected."""
        if self._smtp is not None:
            _quietly_close(self._smtp)
            self._smtp = None

    def deliver(
        self,
        sender: str,
        recipients: tuple[str, ...],
        message: bytes,
        *,
        smtputf8: tuple[str, ...] = (),
        copies: tuple[str, ...] = (),
    ) -> Delivery:
        """Hand one message to the server.

        A connection kept from an earlier message that turns out to be dropped before this one
        went over the wire is reopened, and the message tried once more on the new one. Every
        failure of the connection or the server becomes a `Delivery`: ``UNKNOWN`` only when
        the whole message was handed over and no final reply came.

        Args:
            sender: the envelope sender (domain in ASCII form).
            recipients: the envelope recipients (domains in ASCII form).
            message: the message as bytes.
            smtputf8: the message's addresses with a local part beyond ASCII (headers too);
                such a message goes only with SMTPUTF8. The envelope's are found here anyway.
            copies: those of the recipients that only get a copy (the user's blind copy to
                self). When the server refuses every other recipient, the message does not go
                (RSET, no DATA), whatever it says to the copies: the status is that of the
                refusals of the real recipients.

        Raises:
            SmtpAccountError: the connection could not be (re)opened, or the server refuses
                the sender (a 5xx answer to MAIL FROM, 530 for a login first, a From address
                that needs SMTPUTF8 the server does not offer); nothing was sent.
        """
        reused = self._smtp is not None
        delivery = self._deliver_once(sender, recipients, message, smtputf8, copies)
        if (
            reused
            and self._smtp is None
            and delivery.status == DeliveryStatus.TEMPORARY
            and not self.handed_over
        ):
            delivery = self._deliver_once(sender, recipients, message, smtputf8, copies)
        return delivery

    def _deliver_once(
        self,
        sender: str,
        recipients: tuple[str, ...],
        message: bytes,
        smtputf8: tuple[str, ...],
        copies: tuple[str, ...],
    ) -> Delivery:
        self.handed_over = False
        smtp = self._smtp or self._opened()
        options = self._options(smtp, sender, recipients, smtputf8)
        if isinstance(options, Delivery):
            return options
        try:
            return self._transaction(smtp, sender, recipients, message, options, copies)
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            self._drop(smtp)
            return self._broken(exc)

    def _transaction(
        self,
        smtp: smtplib.SMTP,
        sender: str,
        recipients: tuple[str, ...],
        message: bytes,
        options: list[str],
        copies: tuple[str, ...],
    ) -> Delivery:
        """MAIL, RCPT, DATA and the message; the server's final reply as a Delivery.

        The message goes only when the server takes at least one recipient that is not a mere
        copy (``copies``): a blind copy to the user alone is no delivery.
        """
        code, text = smtp.mail(sender, options)
        if code != 250:
            return self._sender_not_taken(smtp, sender, code, text)
        refused = _recipients(smtp, recipients)
        wanted = [r for r in recipients if r not in copies] or list(recipients)
        refused_wanted = [r for r in refused if r[0] in wanted]
        if len(refused_wanted) == len(wanted):
            self._reset(smtp)
            status = _by_code(min(code for _, code, _ in refused_wanted))
            words = "; ".join(a for _, _, a in refused_wanted)
            return Delivery(status, words, _who(refused_wanted))
        code, text = smtp.docmd("DATA")
        if code == 354:
            smtp.send(_data_bytes(message))
            # The final dot went out: from here on the server may have taken the message.
            self.handed_over = True
            code, text = smtp.getreply()
        if code == 250:
            deferred = tuple(r for r, c, _ in refused if c < 500)
            return Delivery(
                DeliveryStatus.SENT, "; ".join(a for _, _, a in refused), _who(refused), deferred
            )
        self._reset(smtp, code)
        return Delivery(_by_code(code), _answer(code, text))

    def _broken(self, exc: BaseException) -> Delivery:
        """The connection failed (or smtplib could not write a command) during a delivery."""
        if self.handed_over:
            return Delivery(DeliveryStatus.UNKNOWN, self._no_final_reply(exc))
        if isinstance(exc, ValueError):  # smtplib could not write a command; nothing went
            return Delivery(DeliveryStatus.PERMANENT, f"the message cannot be sent ({exc})")
        return Delivery(DeliveryStatus.TEMPORARY, f"the connection broke ({exc})")

    def _options(
        self,
        smtp: smtplib.SMTP,
        sender: str,
        recipients: tuple[str, ...],
        smtputf8: tuple[str, ...],
    ) -> list[str] | Delivery:
        """MAIL FROM's options: SMTPUTF8 when an address needs it; a Delivery when it cannot go."""
        needed = smtputf8_addresses(smtputf8) or smtputf8_addresses((sender, *recipients))
        if not needed:
            return []
        if smtp.has_extn("smtputf8"):
            return ["SMTPUTF8", "BODY=8BITMIME"] if smtp.has_extn("8bitmime") else ["SMTPUTF8"]
        if sender in needed or not sender.rpartition("@")[0].isascii():
            raise SmtpAccountError(
                _no_smtputf8(self.account, (sender,)) + " The From address is in Settings → Email."
            )
        return Delivery(DeliveryStatus.PERMANENT, _no_smtputf8(self.account, needed))

    def _sender_not_taken(
        self, smtp: smtplib.SMTP, sender: str, code: int, text: bytes | str
    ) -> Delivery:
        """MAIL FROM refused: for every message alike when 5xx (raised), else put off."""
        self._reset(smtp, code)
        if code >= 500:
            raise SmtpAccountError(_sender_refused(code, text, sender))
        return Delivery(DeliveryStatus.TEMPORARY, _answer(code, text))

    def _no_final_reply(self, exc: BaseException) -> str:
        if isinstance(exc, TimeoutError) or "timed out" in str(exc):
            return (
                "the mail server took the message but did not confirm it within "
                f"{self.account.timeout:g} seconds; it may have been sent"
            )
        return (
            f"the connection broke after the message was handed over, before the server "
            f"confirmed it ({exc}); it may have been sent"
        )

    def _reset(self, smtp: smtplib.SMTP, code: int = 0) -> None:
        """Ready for the next message (RSET); a server that closes (421) or fails is dropped."""
        if code == 421:
            self._drop(smtp)
            return
        try:
            code, _ = smtp.rset()
        except (smtplib.SMTPException, OSError, ValueError):
            code = 0
        if code != 250:
            self._drop(smtp)

    def _drop(self, smtp: smtplib.SMTP) -> None:
        self._smtp = None
        _quietly_close(smtp)

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


def _recipients(smtp: smtplib.SMTP, recipients: tuple[str, ...]) -> list[_Refused]:
    """RCPT for each recipient; those the server refused."""
    refused: list[_Refused] = []
    for recipient in recipients:
        code, text = smtp.rcpt(recipient)
        if code not in (250, 251):
            refused.append((recipient, code, f"{recipient}: {_answer(code, text)}"))
    return refused


def _log_in(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """AUTH; beyond ASCII as UTF-8 with PLAIN (RFC 4616), which ``SMTP.login`` cannot send."""
    if (user + password).isascii():
        smtp.login(user, password)
        return
    if not smtp.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH")
    if "PLAIN" not in smtp.esmtp_features["auth"].upper().split():
        raise smtplib.SMTPException("No suitable authentication method found.")
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
