"""The SMTP password in the operating system's keyring, and nowhere else.

The password is stored under the service ``duebook-smtp`` and the name ``user@host``, so a change
of server or user asks for the password again instead of sending an old one to a new server.
"""

from __future__ import annotations

import keyring
from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

SERVICE = "duebook-smtp"


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
        return PasswordStoreError(
            "no system keyring found to keep the email password in: on Linux start a Secret "
            "Service (GNOME Keyring or KWallet) and unlock it, then try again"
        )
    return PasswordStoreError(f"the system keyring refused the request ({type(exc).__name__})")


def store_password(host: str, user: str, password: str) -> None:
    """Keep the password for ``user`` on ``host`` in the keyring.

    Raises:
        PasswordStoreError: there is no usable keyring, or the server or user is not set.
    """
    if not host or not user:
        raise PasswordStoreError("set the SMTP server and user before the password")
    try:
        keyring.set_password(SERVICE, _account(host, user), password)
    except (KeyringError, RuntimeError, ImportError) as exc:
        raise _failure(exc) from None


def load_password(host: str, user: str) -> str | None:
    """The stored password for ``user`` on ``host``; None when none is stored.

    Raises:
        PasswordStoreError: there is no usable keyring.
    """
    try:
        return keyring.get_password(SERVICE, _account(host, user))
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
        backend = keyring.get_keyring()
    except (KeyringError, RuntimeError, ImportError):
        return "the keyring"
    return f"the keyring ({getattr(backend, 'name', type(backend).__name__)})"
