"""Whether the keyring keeps the mail password, for the window's "is email set up?" reads.

The Outbox banner, its sidebar badge and the status bar ask whether email can go out after every
change and every minute. A missing password counts as "not set up", so they must ask the keyring;
but a locked keyring (the Secret Service after login) asks the user to unlock it on each read. So
:class:`KeyringCheck` keeps each answer for a few minutes, and Settings forget them when they save.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from app.services.mail.password import PasswordStoreError, load_password

#: How long an answer is kept (the outbox itself is sent every few minutes).
MAX_AGE_S = 300.0
#: What the check returns for a kept password: never the password itself.
KEPT = "(kept in the keyring)"


class KeyringCheck:
    """A ``password_lookup`` for ``account_from_settings`` that only says whether one is kept.

    Safe to call from the read pool's threads. Raises the lookup's
    :class:`~app.services.mail.password.PasswordStoreError` again, from memory, while the
    answer is fresh.
    """

    def __init__(
        self,
        lookup: Callable[[str, str], str | None] = load_password,
        *,
        max_age: float = MAX_AGE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lookup = lookup
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._answers: dict[tuple[str, str], tuple[float, bool, str]] = {}

    def __call__(self, host: str, user: str) -> str | None:
        """:data:`KEPT` when a password is stored for ``user`` on ``host``, else ``None``.

        Raises:
            PasswordStoreError: the keyring cannot be used.
        """
        key = (host, user)
        now = self._clock()
        with self._lock:
            answer = self._answers.get(key)
        if answer is None or now - answer[0] >= self._max_age:
            try:
                kept, problem = bool(self._lookup(host, user)), ""
            except PasswordStoreError as exc:
                kept, problem = False, str(exc)
            answer = (now, kept, problem)
            with self._lock:
                self._answers[key] = answer
        _, kept, problem = answer
        if problem:
            raise PasswordStoreError(problem)
        return KEPT if kept else None

    def forget(self) -> None:
        """Ask the keyring again next time (a password was stored, the account changed)."""
        with self._lock:
            self._answers.clear()
