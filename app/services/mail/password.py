"""The SMTP password in the operating system's keyring, and nowhere else.

The password is stored under the service ``duebook-smtp`` and the name ``user@host``, so a change
of server or user asks for the password again instead of sending an old one to a new server.

Only a keyring that keeps secrets safely will do. keyring's fail and null backends (no keyring at
all) are refused, and so are the file keyrings of ``keyrings.alt``: a test dependency that keyring
picks silently when no system keyring runs, and that keeps the password readable in a file (or
asks for a file password on a terminal the window does not have). Tests allow them with
``DUEBOOK_ALLOW_PLAIN_KEYRING=1``. keyring's chainer (a system keyring and keyrings.alt side by
side, each tried in turn) is used only through its safe backends.
"""

from __future__ import annotations

import os

import keyring
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

SERVICE = "duebook-smtp"
#: The environment variable that lets the file keyrings of keyrings.alt be used (tests set it).
ALLOW_PLAIN_KEYRING = "DUEBOOK_ALLOW_PLAIN_KEYRING"
_NO_KEYRING_MODULES = ("keyring.backends.fail", "keyring.backends.null")
_FILE_KEYRING_MODULES = ("keyrings.alt.file", "keyrings.alt.file_base", "keyrings.alt.pyfs")
_NO_SYSTEM_KEYRING = (
    "no system keyring found to keep the email password in: on Linux start a Secret "
    "Service (GNOME Keyring or KWallet) and unlock it, then try again"
)


class PasswordStoreError(RuntimeError):
    """The keyring cannot be used; the message says what to do (it never holds the password)."""


def _account(host: str, user: str) -> str:
    return f"{user}@{host}"


def _failure(exc: Exception) -> PasswordStoreError:
    if isinstance(exc, ImportError):
        return PasswordStoreError(
            f"the keyring backend named in PYTHON_KEYRING_BACKEND cannot be loaded ({exc})"
        )
    if isinstance(exc, NoKeyringError):
        return PasswordStoreError(_NO_SYSTEM_KEYRING)
    return PasswordStoreError(f"the system keyring refused the request ({type(exc).__name__})")


def _safe_keyring() -> KeyringBackend:
    """The keyring in use, if it keeps passwords safely.

    Raises:
        PasswordStoreError: there is no keyring, or only a file keyring of keyrings.alt (unless
            ``DUEBOOK_ALLOW_PLAIN_KEYRING=1``).
    """
    try:
        backend = keyring.get_keyring()
        chained: list[KeyringBackend] = (
            list(backend.backends) if isinstance(backend, ChainerBackend) else []
        )
    except (KeyringError, RuntimeError, ImportError) as exc:
        raise _failure(exc) from None
    if not isinstance(backend, ChainerBackend):
        refusal = _refusal(backend)
        if refusal:
            raise PasswordStoreError(refusal)
        return backend
    if os.environ.get(ALLOW_PLAIN_KEYRING) == "1" and chained:
        return backend
    # The chainer would read from (and may write to) each backend it holds, a plain file among
    # them: only the first safe one (in keyring's order of priority) is used.
    for candidate in chained:
        if not _refusal(candidate):
            return candidate
    refusals = [_refusal(candidate) for candidate in chained]
    raise PasswordStoreError(next((r for r in refusals if r), _NO_SYSTEM_KEYRING))


def _refusal(backend: KeyringBackend) -> str:
    """Why this backend does not keep passwords safely; empty when it does."""
    modules = {cls.__module__ for cls in type(backend).__mro__}
    if modules.intersection(_NO_KEYRING_MODULES):
        return _NO_SYSTEM_KEYRING
    if modules.intersection(_FILE_KEYRING_MODULES) and os.environ.get(ALLOW_PLAIN_KEYRING) != "1":
        return _file_keyring_refused(backend)
    return ""


def _file_keyring_refused(backend: KeyringBackend) -> str:
    name = type(backend).__name__
    if name == "PlaintextKeyring":
        which, why = "plain-file keyring", "it keeps the password readable in a file"
    else:
        which = "encrypted-file keyring" if name == "EncryptedKeyring" else "file keyring"
        why = "it asks for a password of its own on a terminal that Duebook's window does not have"
    fix = (
        "remove PYTHON_KEYRING_BACKEND"
        if os.environ.get("PYTHON_KEYRING_BACKEND")
        else "on Linux start a Secret Service (GNOME Keyring or KWallet) and unlock it"
    )
    return (
        f"no secure keyring to keep the email password in: the {which} of keyrings.alt "
        f"({name}) is refused because {why}; {fix}, then try again"
    )


def store_password(host: str, user: str, password: str) -> None:
    """Keep the password for ``user`` on ``host`` in the keyring.

    Raises:
        PasswordStoreError: there is no usable keyring (a file keyring of keyrings.alt is
            refused), or the server or user is not set.
    """
    if not host or not user:
        raise PasswordStoreError("set the SMTP server and user before the password")
    backend = _safe_keyring()
    try:
        backend.set_password(SERVICE, _account(host, user), password)
    except (KeyringError, RuntimeError, ImportError) as exc:
        raise _failure(exc) from None


def load_password(host: str, user: str) -> str | None:
    """The stored password for ``user`` on ``host``; None when none is stored.

    Raises:
        PasswordStoreError: there is no usable keyring (a file keyring of keyrings.alt is
            refused).
    """
    backend = _safe_keyring()
    try:
        return backend.get_password(SERVICE, _account(host, user))
    except (KeyringError, RuntimeError, ImportError) as exc:
        raise _failure(exc) from None


def forget_password(host: str, user: str) -> None:
    """Remove the stored password, if there is one.

    Raises:
        PasswordStoreError: there is no usable keyring.
    """
    try:
        keyring.delete_password(SERVICE, _account(host, user))
    except PasswordDeleteError:
        return
    except (KeyringError, RuntimeError, ImportError) as exc:
        raise _failure(exc) from None


def keyring_name() -> str:
    """What keeps the password, in words: ``"the system keyring (SecretService Keyring)"``."""
    try:
        backend = _safe_keyring()
    except PasswordStoreError:
        return "the keyring"
    return f"the keyring ({getattr(backend, 'name', type(backend).__name__)})"
