"""The composition root: builds the application, the ledger's collaborators and the window."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.models.db import LedgerError, open_ledger
from app.services.clock import SystemClock
from app.services.scheduler import BackgroundJobs
from app.services.uow import UnitOfWork
from app.views.context import ViewContext, system_locale
from app.views.main_window import MainWindow
from app.views.workers import TaskRunner

APP_NAME = "Duebook"
ORGANISATION = "Duebook"
#: How long after the window shows the background jobs start (it draws first); their first
#: watch runs a daily pass that was missed while Duebook was closed.
JOBS_START_DELAY_MS = 1500


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "duebook"


def make_uow_factory(ledger_path: Path) -> Callable[[], UnitOfWork]:
    """Open the ledger and return a factory of units of work on it (one per task).

    Raises:
        LedgerError: the file is not a Duebook ledger or is from a newer version.
    """
    session_factory = open_ledger(ledger_path)
    actor = _user()
    return lambda: UnitOfWork(session_factory, actor=actor)


def run_window(ledger_path: Path, *, demo: bool = False) -> int:
    """Open the window on a ledger and run until it is closed.

    Args:
        ledger_path: the SQLite ledger file (created when missing).
        demo: show "(demo)" in the title.

    Returns:
        The exit status: 0, or 1 when the ledger cannot be opened.
    """
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setOrganizationName(ORGANISATION)
    app.setStyle("Fusion")
    try:
        uow_factory = make_uow_factory(ledger_path)
    except LedgerError as exc:
        QMessageBox.critical(
            None,
            APP_NAME,
            f"Duebook cannot open the ledger.\n\n{exc}\n\n"
            "Choose another file with --db, or restore a backup of this one.",
        )
        return 1
    runner = TaskRunner()
    ctx = ViewContext(
        uow_factory=uow_factory,
        clock=SystemClock(),
        runner=runner,
        settings=QSettings(),
        ledger_path=ledger_path,
        locale=system_locale(),
    )
    window = MainWindow(ctx, demo=demo)
    jobs = BackgroundJobs(uow_factory, window.job_results.report)
    window.attach_jobs(jobs)

    def quit_cleanly() -> None:
        jobs.shutdown()
        runner.wait_for_all(10000)

    app.aboutToQuit.connect(quit_cleanly)
    window.show()
    QTimer.singleShot(JOBS_START_DELAY_MS, jobs.start)
    return app.exec()
