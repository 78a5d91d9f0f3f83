"""A real SMTP server on 127.0.0.1 for the mailer tests and the benchmarks.

`LocalSmtpServer` runs aiosmtpd (1.4) in its own thread with AUTH LOGIN/PLAIN, a self-signed
certificate for ``127.0.0.1`` and ``localhost``, and one of three transports:

- ``"starttls"``: plain connect, STARTTLS required before anything but EHLO/NOOP/QUIT, and AUTH
  offered only after STARTTLS (how most submission servers on port 587 behave);
- ``"tls"``: implicit TLS from the first byte (SMTP over SSL, port 465 style);
- ``"none"``: no TLS at all, AUTH allowed in the clear (only for tests of the plain path).

A client trusts the server with ``ssl.create_default_context(cafile=server.cafile)``. A client that
uses the default CA store fails the handshake with ``ssl.SSLCertVerificationError``, so no second,
untrusted certificate is needed to test that case.

Every accepted message is kept as a `Received`, and faults can be injected from any thread
(`fail_data`, `fail_data_command`, `fail_mail_from`, `reject_recipient`, `reject_sender`,
`drop_after`, `hang_up_before_reply`, `delay_reply`). With ``smtputf8=True`` it offers SMTPUTF8
(RFC 6531) and takes addresses beyond ASCII. The module has no pytest import, so benchmarks can use
it too; the fixtures live in ``tests/smtp_fixtures.py``.

Note: ``smtplib.SMTP.login`` (Python 3.11, still open upstream as cpython issue 73936) encodes the
AUTH exchange as ASCII and raises ``UnicodeEncodeError`` for a password like the default
``"s3cret-Pässwörd"``. This server decodes credentials as UTF-8 (RFC 4616), so a client has to
send them UTF-8 encoded itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import logging
import socket
import ssl
import threading
import weakref
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from types import TracebackType
from typing import Any, AnyStr, Literal, Self, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session, syntax
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

Mode = Literal["starttls", "tls", "none"]
HOST = "127.0.0.1"
_STOP_TIMEOUT = 5.0


class _WithoutLoginDataNotice(logging.Filter):
    """aiosmtpd 1.4 logs "Session.login_data is deprecated" on every successful AUTH from its
    own code; that line is noise in the captured log of a failing test."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Session.login_data is deprecated")


logging.getLogger("mail.log").addFilter(_WithoutLoginDataNotice())


@dataclass(frozen=True)
class SelfSignedCert:
    """A PEM certificate and its unencrypted private key, valid for 127.0.0.1 and localhost."""

    cert_pem: bytes
    key_pem: bytes

    @classmethod
    def generate(cls, *, days: int = 30) -> SelfSignedCert:
        """Make a new RSA 2048 key and a self-signed server certificate for it.

        The certificate names ``localhost`` (DNS) and ``127.0.0.1`` (IP) as subject alternative
        names, and carries the extensions that OpenSSL's strict mode (``VERIFY_X509_STRICT``, the
        default from Python 3.13 on) wants, so it keeps working as a trust anchor there.

        Args:
            days: How long the certificate stays valid from now.

        Returns:
            The certificate and key, PEM encoded.
        """
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
        now = datetime.now(UTC)
        usage = x509.KeyUsage(
            digital_signature=True,
            content_commitment=False,
            key_encipherment=True,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=False,
            crl_sign=False,
            encipher_only=False,
            decipher_only=False,
        )
        alt_names = x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
        )
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=days))
            .add_extension(alt_names, critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
                critical=False,
            )
            .sign(key, hashes.SHA256())
        )
        return cls(
            cert_pem=cert.public_bytes(serialization.Encoding.PEM),
            key_pem=key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )

    def write(self, directory: Path) -> tuple[Path, Path]:
        """Write ``cert.pem`` and ``key.pem`` into ``directory`` (made if missing).

        Args:
            directory: Where the two files go.

        Returns:
            The paths of the certificate and of the key.
        """
        directory.mkdir(parents=True, exist_ok=True)
        cert_path, key_path = directory / "cert.pem", directory / "key.pem"
        cert_path.write_bytes(self.cert_pem)
        key_path.write_bytes(self.key_pem)
        key_path.chmod(0o600)
        return cert_path, key_path


@dataclass(frozen=True)
class Received:
    """One message the server accepted.

    Attributes:
        mail_from: The envelope sender (MAIL FROM).
        rcpt_tos: The envelope recipients that were accepted (RCPT TO).
        raw: The message bytes exactly as received after DATA (dot-unstuffed, CRLF line ends).
        message: ``raw`` parsed with ``email.policy.default``.
        session_id: Which connection it came on: 1 for the first connection to this server, 2 for
            the second, and so on (the same number for every message of one connection).
        smtp_utf8: Whether MAIL FROM asked for SMTPUTF8.
        mail_options: MAIL FROM's parameters as sent (``"SMTPUTF8"``, ``"BODY=8BITMIME"``).
    """

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage
    session_id: int
    smtp_utf8: bool = False
    mail_options: tuple[str, ...] = ()


class _NumberedSMTP(SMTP):
    """aiosmtpd's protocol, one per TCP connection, numbered and able to hang up around DATA."""

    def __init__(
        self, handler: Any, *, session_id: int, owner: LocalSmtpServer, **kwargs: Any
    ) -> None:
        super().__init__(handler, **kwargs)
        self.session_id = session_id
        self._owner = owner
        self.hang_up_after_data = False
        self.hang_up_instead_of_reply = False

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802 - aiosmtpd dispatches on the name
        refusal = self._owner._take_data_command_refusal()
        if refusal is not None:
            status, hang_up = refusal
            await self.push(status)
            if hang_up:
                self._abort()
            return
        await super().smtp_DATA(arg)
        if self.hang_up_after_data:
            # The reply is already written to the socket: now close it without QUIT or TLS
            # close_notify, like a server that crashes or a NAT box that forgets the connection.
            self._abort()

    async def push(self, status: AnyStr) -> None:
        """Write a reply, unless this one is to be swallowed by hanging up instead."""
        if self.hang_up_instead_of_reply:
            self.hang_up_instead_of_reply = False
            self._abort()
            return
        await super().push(status)

    def _abort(self) -> None:
        if isinstance(self.transport, asyncio.Transport):
            self.transport.abort()


class _Handler:
    """The aiosmtpd hooks. Kept apart from `LocalSmtpServer`, because aiosmtpd treats any
    attribute of a handler named ``handle_*`` as a hook and ``auth_*`` as an AUTH mechanism."""

    def __init__(self, owner: LocalSmtpServer) -> None:
        self._owner = owner

    async def handle_MAIL(  # noqa: N802 - hook names are aiosmtpd's
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        status = self._owner._on_mail(session, envelope, address, mail_options)
        await self._owner._delay("MAIL")
        return status

    async def handle_RCPT(  # noqa: N802
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        return self._owner._on_rcpt(envelope, address, rcpt_options)

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        status = self._owner._on_data(cast(_NumberedSMTP, server), envelope)
        if status.startswith("250"):
            await self._owner._delay("DATA")
        return status


class _Controller(Controller):
    """aiosmtpd's threaded controller, serving on a socket that is already bound.

    aiosmtpd 1.4.6 cannot listen on port 0 (its readiness probe would connect to port 0), and
    finding a free port first and binding it later leaves a window for another process to take it.
    So the socket is bound to port 0 first and handed to ``create_server`` as it is.
    """

    def __init__(
        self,
        owner: LocalSmtpServer,
        handler: _Handler,
        listen_socket: socket.socket,
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, **kwargs)
        self._owner = owner
        self._listen_socket = listen_socket

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        return self.loop.create_server(
            self._factory_invoker, sock=self._listen_socket, ssl=self.ssl_context
        )

    def factory(self) -> SMTP:
        smtp = _NumberedSMTP(
            self.handler,
            session_id=self._owner._next_session_id(),
            owner=self._owner,
            **self.SMTP_kwargs,
        )
        self._owner._live.add(smtp)
        return smtp


class LocalSmtpServer:
    """An SMTP server on 127.0.0.1 with TLS, AUTH, recorded messages and injectable faults.

    Use it as a context manager (or call `start` and `stop`)::

        with LocalSmtpServer(tmp_path / "smtp") as server:
            client = smtplib.SMTP(server.host, server.port, timeout=5)
            client.starttls(context=server.client_context())
            ...
            assert server.wait_for(1)

    Attributes:
        host: Always ``"127.0.0.1"``.
        port: The port it listens on (a free one, bound at construction).
        user: The login that AUTH accepts.
        password: The password that AUTH accepts (compared as UTF-8 bytes).
        mode: ``"starttls"``, ``"tls"`` or ``"none"``.
        cafile: The certificate a client must trust (``cert_dir / "cert.pem"``).
        keyfile: The server's private key (``cert_dir / "key.pem"``).
    """

    def __init__(
        self,
        cert_dir: Path,
        *,
        user: str = "bookkeeper@example.com",
        password: str = "s3cret-Pässwörd",  # noqa: S107 - a test server's made-up password
        mode: Mode = "starttls",
        certificate: SelfSignedCert | None = None,
        require_auth: bool = True,
        smtputf8: bool = False,
        auth_mechanisms: tuple[str, ...] = ("LOGIN", "PLAIN"),
    ) -> None:
        """Prepare the server; it listens only after `start` (or entering the ``with``).

        Args:
            cert_dir: Where ``cert.pem`` and ``key.pem`` are written.
            user: The login AUTH accepts.
            password: The password AUTH accepts.
            mode: ``"starttls"``, ``"tls"`` (implicit TLS) or ``"none"`` (no TLS, AUTH in the
                clear).
            certificate: A certificate to reuse (making an RSA key takes a noticeable fraction of
                a second); a new one is generated when None.
            require_auth: When True (the default), MAIL FROM before a successful AUTH is answered
                with ``530 5.7.0 Authentication required``, as a submission server does.
            smtputf8: Offer SMTPUTF8 (RFC 6531): addresses beyond ASCII in MAIL and RCPT, and
                UTF-8 headers. Off by default, as on many servers.
            auth_mechanisms: The AUTH mechanisms offered, of LOGIN and PLAIN; none (``()``)
                stands for a server that wants a login no mail client can do with a password
                (OAuth only): EHLO still says AUTH, with nothing after it.
        """
        if mode not in ("starttls", "tls", "none"):
            raise ValueError(f"unknown mode {mode!r}")
        self.host = HOST
        self.user = user
        self.password = password
        self.mode: Mode = mode
        self.auth_mechanisms = auth_mechanisms
        self.require_auth = require_auth
        self.smtputf8 = smtputf8
        self.cafile, self.keyfile = (certificate or SelfSignedCert.generate()).write(cert_dir)
        # Bound now, so the port is known at once; it listens from start() on.
        # proto=IPPROTO_TCP, not the default 0: asyncio sets TCP_NODELAY only on sockets that say
        # they are TCP, and without it every TLS handshake and AUTH waits ~40 ms (Nagle).
        self._listen_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._listen_socket.bind((self.host, 0))
        self.port: int = self._listen_socket.getsockname()[1]
        # A server that is never started still closes its socket when it is collected.
        self._close_socket = weakref.finalize(self, self._listen_socket.close)

        self._cond = threading.Condition()
        self._messages: list[Received] = []
        self._sessions = 0
        self._data_failures: list[tuple[str, bool]] = []
        self._data_command_failures: list[tuple[str, bool]] = []
        self._mail_failures: list[str] = []
        self._mail_failures_forever: str | None = None
        self._rejected_recipients: dict[str, tuple[str, int | None]] = {}
        self._rejected_sender: tuple[str, str] | None = None
        self._drop_countdown: int | None = None
        self._hang_ups_before_reply = 0
        self._delays: dict[str, list[float]] = {"MAIL": [], "DATA": []}
        self._live: weakref.WeakSet[_NumberedSMTP] = weakref.WeakSet()
        self._controller: _Controller | None = None
        self._running = False

    # -- life cycle ------------------------------------------------------------------------

    def _make_controller(self) -> _Controller:
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_context.load_cert_chain(self.cafile, self.keyfile)
        kwargs: dict[str, Any] = {
            "hostname": self.host,
            "port": self.port,
            "server_hostname": "localhost",  # else aiosmtpd asks DNS for the FQDN
            "authenticator": self._authenticate,
            "ready_timeout": 10.0,
            "enable_SMTPUTF8": self.smtputf8,
            "auth_exclude_mechanism": [
                m for m in ("LOGIN", "PLAIN") if m not in self.auth_mechanisms
            ],
        }
        if self.mode == "starttls":
            kwargs |= {
                "tls_context": server_context,
                "require_starttls": True,
                "auth_require_tls": True,
            }
        elif self.mode == "tls":
            # aiosmtpd checks "auth after STARTTLS", not "connection encrypted", so AUTH on an
            # implicit TLS connection needs auth_require_tls=False.
            kwargs |= {"ssl_context": server_context, "auth_require_tls": False}
        else:
            kwargs |= {"auth_require_tls": False}
        return _Controller(self, _Handler(self), self._listen_socket, **kwargs)

    def start(self) -> Self:
        """Start listening; returns when the server answers. A server starts only once.

        Returns:
            The server itself.

        Raises:
            RuntimeError: If it was started before.
        """
        if self._controller is not None:
            raise RuntimeError("a LocalSmtpServer starts only once; make a new one")
        self._controller = controller = self._make_controller()
        try:
            controller.start()
        except BaseException:
            controller.stop(no_assert=True)
            if not controller.loop.is_closed():
                controller.loop.close()
            self._close_socket()
            raise
        with self._cond:
            # Controller.start() opens one connection of its own to check the server is up.
            self._sessions = 0
        self._running = True
        return self

    def stop(self) -> None:
        """Close open client connections, then stop the server thread. Safe to call twice."""
        if not self._running or self._controller is None:
            return
        self._running = False
        loop = self._controller.loop
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._hang_up_all(), loop).result(_STOP_TIMEOUT)
        self._controller.stop()
        self._close_socket()  # asyncio closed it already; this only retires the finalizer

    async def _hang_up_all(self) -> None:
        for smtp in list(self._live):
            if isinstance(smtp.transport, asyncio.Transport):
                smtp.transport.abort()
        # Let connection_lost() run for each, so no transport is left to the garbage collector.
        for _ in range(3):
            await asyncio.sleep(0)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what arrived ----------------------------------------------------------------------

    @property
    def messages(self) -> list[Received]:
        """A snapshot of the accepted messages, oldest first."""
        with self._cond:
            return list(self._messages)

    @property
    def connections(self) -> int:
        """How many client connections (SMTP sessions) the server has seen."""
        with self._cond:
            return self._sessions

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until at least ``count`` messages have been accepted.

        Args:
            count: How many messages in total.
            timeout: Seconds to wait at most.

        Returns:
            Whether that many arrived in time.
        """
        with self._cond:
            return self._cond.wait_for(lambda: len(self._messages) >= count, timeout)

    def clear(self) -> None:
        """Forget the received messages (faults and the connection count stay)."""
        with self._cond:
            self._messages.clear()

    def client_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts this server's certificate (and nothing else).

        Returns:
            ``ssl.create_default_context(cafile=self.cafile)``.
        """
        return ssl.create_default_context(cafile=self.cafile)

    # -- faults (thread-safe, before or during a run) ----------------------------------------

    def fail_data(
        self,
        code: int = 451,
        text: str = "4.3.0 Try again later",
        times: int = 1,
        *,
        hang_up: bool = False,
    ) -> None:
        """Answer the next ``times`` messages with ``code text`` instead of accepting them.

        The whole message is read first (the reply after the final dot); it is not recorded.
        After that messages are accepted again.

        Args:
            code: The SMTP reply code.
            text: The reply text after the code.
            times: How many messages fail.
            hang_up: Abort the connection right after the reply (a ``421`` that closes).
        """
        with self._cond:
            self._data_failures.extend([(f"{code} {text}", hang_up)] * times)

    def fail_data_command(
        self,
        code: int = 421,
        text: str = "4.3.2 Service shutting down, closing transmission channel",
        times: int = 1,
        *,
        hang_up: bool = True,
    ) -> None:
        """Answer the next ``times`` DATA commands themselves with ``code text`` (no ``354``).

        Args:
            code: The SMTP reply code.
            text: The reply text after the code.
            times: How many DATA commands are refused.
            hang_up: Abort the connection right after the reply (as a ``421`` announces).
        """
        with self._cond:
            self._data_command_failures.extend([(f"{code} {text}", hang_up)] * times)

    def fail_mail_from(
        self,
        code: int = 553,
        text: str = "5.7.1 Sender address rejected: not owned by user",
        times: int | None = None,
    ) -> None:
        """Answer MAIL FROM (any sender) with ``code text``: ``times`` times, or from now on.

        Args:
            code: The SMTP reply code (``530`` for "authentication required").
            text: The reply text after the code.
            times: How many MAIL commands fail; None for every one until `clear_faults`.
        """
        with self._cond:
            if times is None:
                self._mail_failures_forever = f"{code} {text}"
            else:
                self._mail_failures.extend([f"{code} {text}"] * times)

    def hang_up_before_reply(self, times: int = 1) -> None:
        """Read the next ``times`` whole messages, record them, then abort without a reply.

        The client has handed the message over and waits for the final reply, which never
        comes: the message may have been delivered (here it was).

        Args:
            times: How many messages.
        """
        with self._cond:
            self._hang_ups_before_reply += times

    def delay_reply(self, seconds: float, times: int = 1, command: str = "DATA") -> None:
        """Wait ``seconds`` before the next ``times`` replies to ``command``.

        For ``"DATA"`` the message is recorded first, then the final reply waits (a client
        whose timeout is shorter gives up with the message on the server). ``"MAIL"`` delays
        the answer to MAIL FROM.

        Args:
            seconds: How long each reply waits.
            times: How many replies.
            command: ``"DATA"`` or ``"MAIL"``.
        """
        if command not in self._delays:
            raise ValueError(f"delay_reply knows DATA and MAIL, not {command!r}")
        with self._cond:
            self._delays[command].extend([seconds] * times)

    def clear_faults(self) -> None:
        """Forget every fault not used up yet: the server accepts everything again."""
        with self._cond:
            self._data_failures.clear()
            self._data_command_failures.clear()
            self._mail_failures.clear()
            self._mail_failures_forever = None
            self._rejected_recipients.clear()
            self._rejected_sender = None
            self._drop_countdown = None
            self._hang_ups_before_reply = 0
            for delays in self._delays.values():
                delays.clear()

    def reject_recipient(
        self,
        address: str,
        code: int = 550,
        text: str = "5.1.1 No such user",
        times: int | None = None,
    ) -> None:
        """Refuse ``RCPT TO:<address>`` with ``code text`` (case-insensitive).

        Args:
            address: The recipient address.
            code: The SMTP reply code (``450`` or ``452`` for "not now").
            text: The reply text after the code.
            times: How many RCPT commands for it are refused; None for every one from now on.
        """
        with self._cond:
            self._rejected_recipients[address.lower()] = (f"{code} {text}", times)

    def reject_sender(
        self,
        address: str | None,
        code: int = 553,
        text: str = "5.7.1 Sender address rejected: not owned by user",
    ) -> None:
        """Refuse ``MAIL FROM:<address>`` with ``code text``; None accepts every sender again.

        Args:
            address: The sender address (case-insensitive), or None to lift the rejection.
            code: The SMTP reply code.
            text: The reply text after the code.
        """
        with self._cond:
            self._rejected_sender = None if address is None else (address.lower(), f"{code} {text}")

    def drop_after(self, n: int) -> None:
        """Cut the connection right after accepting the ``n``-th message from now (one shot).

        The ``n``-th message is accepted (``250``) and recorded, then its TCP connection is
        aborted; the client notices at its next command. Later connections work normally.

        Args:
            n: How many more messages to accept before the cut (at least 1).
        """
        if n < 1:
            raise ValueError("drop_after needs n >= 1")
        with self._cond:
            self._drop_countdown = n

    # -- called on the server thread ---------------------------------------------------------

    def _take_data_command_refusal(self) -> tuple[str, bool] | None:
        with self._cond:
            return self._data_command_failures.pop(0) if self._data_command_failures else None

    async def _delay(self, command: str) -> None:
        with self._cond:
            delays = self._delays[command]
            seconds = delays.pop(0) if delays else 0.0
        if seconds:
            await asyncio.sleep(seconds)

    def _next_session_id(self) -> int:
        with self._cond:
            self._sessions += 1
            return self._sessions

    def _authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: object,
    ) -> AuthResult:
        if (
            mechanism in ("LOGIN", "PLAIN")
            and isinstance(auth_data, LoginPassword)
            and hmac.compare_digest(auth_data.login, self.user.encode())
            and hmac.compare_digest(auth_data.password, self.password.encode())
        ):
            return AuthResult(success=True, auth_data=auth_data)
        # handled=False: aiosmtpd answers "535 5.7.8 Authentication credentials invalid".
        return AuthResult(success=False, handled=False)

    def _on_mail(
        self, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        with self._cond:
            rejected = self._rejected_sender
            failure = self._mail_failures.pop(0) if self._mail_failures else None
            failure = failure or self._mail_failures_forever
        if failure is not None:
            return failure
        if rejected is not None and rejected[0] == address.lower():
            return rejected[1]
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    def _on_rcpt(self, envelope: Envelope, address: str, options: list[str]) -> str:
        with self._cond:
            refusal = self._rejected_recipients.get(address.lower())
            if refusal is not None and refusal[1] is not None:
                left = refusal[1] - 1
                if left > 0:
                    self._rejected_recipients[address.lower()] = (refusal[0], left)
                else:
                    del self._rejected_recipients[address.lower()]
        if refusal is not None:
            return refusal[0]
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    def _on_data(self, server: _NumberedSMTP, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        with self._cond:
            if self._data_failures:
                status, hang_up = self._data_failures.pop(0)
                server.hang_up_after_data = hang_up
                return status
            self._messages.append(
                Received(
                    mail_from=envelope.mail_from or "",
                    rcpt_tos=list(envelope.rcpt_tos),
                    raw=raw,
                    message=BytesParser(policy=default_policy).parsebytes(raw),
                    session_id=server.session_id,
                    smtp_utf8=bool(envelope.smtp_utf8),
                    mail_options=tuple(envelope.mail_options),
                )
            )
            if self._hang_ups_before_reply:
                self._hang_ups_before_reply -= 1
                server.hang_up_instead_of_reply = True
            if self._drop_countdown is not None:
                self._drop_countdown -= 1
                if self._drop_countdown == 0:
                    self._drop_countdown = None
                    server.hang_up_after_data = True
            self._cond.notify_all()
        return "250 2.0.0 OK"
