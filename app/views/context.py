"""What every screen is handed by the composition root: no globals, only this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QLocale, QSettings

from app.services.clock import Clock
from app.services.uow import UnitOfWork
from app.views.password_check import KeyringCheck
from app.views.workers import Runner


@dataclass(frozen=True)
class ViewContext:
    """The collaborators of the window.

    Attributes:
        uow_factory: a new unit of work per call; each task and each read takes its own.
        clock: what today is.
        runner: runs service calls in the background (a synchronous one in tests).
        settings: window and UI state only (never business settings).
        ledger_path: the ledger file, shown in the status bar.
        locale: the locale amounts and dates are shown in (``"en"``, ``"de_DE"``).
        password_check: whether the keyring keeps the mail password, asked seldom (a locked
            keyring asks to be unlocked); Settings forget its answers when they save.
    """

    uow_factory: Callable[[], UnitOfWork]
    clock: Clock
    runner: Runner
    settings: QSettings
    ledger_path: Path
    locale: str = "en"
    password_check: KeyringCheck = field(default_factory=KeyringCheck)


def system_locale() -> str:
    """The system locale as babel names it, ``"en"`` when Qt only knows ``"C"``."""
    name = QLocale.system().name()
    return "en" if name in {"C", ""} else name
