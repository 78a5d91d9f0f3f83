"""Whether the outbox's emails go out: paused, email not set up, or the last send's problem.

The Outbox screen shows it in a banner above its list and the sidebar badge says it in a word;
both read it with :func:`read_sending_state`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QWidget

from app.services.job_runs import OUTBOX, REMINDERS, JobRunView, last_run
from app.services.mail.account import MailSetupError, account_from_settings
from app.services.mail.outbox_sender import STOPPING, SendReport
from app.services.mail.password import PasswordStoreError, load_password
from app.services.settings import load_settings
from app.services.uow import UnitOfWork
from app.services.wording import plural
from app.views.models.outbox_model import clock_text
from app.views.style import plain_label

#: How a run that stopped without failing says so: sending paused (no problem once resumed), or
#: Duebook closing (the rest go out next time).
_NOT_FAILED_WORDS = ("sending is paused", "sending was paused", STOPPING)
_NEVER = datetime.min.replace(tzinfo=UTC)
#: How every reason that email cannot go out yet begins.
NOT_SET_UP = "email is not set up"


@dataclass(frozen=True)
class SendingState:
    """Whether emails go out now, and how many wait.

    Attributes:
        waiting: emails queued and not sent.
        paused: the "Pause all sending" switch (setting ``mail.paused``) is on.
        setup_problem: why email cannot go out as far as the settings and the keyring tell
            (no server, no sender, no stored password), "" when set up.
        last_problem: what stopped the last send (scheduled, "Send now" or the daily pass).
        last_problem_at: when that send ended.
    """

    waiting: int
    paused: bool = False
    setup_problem: str = ""
    last_problem: str = ""
    last_problem_at: datetime | None = None

    def badge_note(self) -> str:
        """A word or two for the sidebar badge ("paused"), "" when emails go out."""
        if self.paused:
            return "paused"
        if self.setup_problem and self.waiting:
            return "not set up"
        if self.last_problem and self.waiting:
            return "not sending"
        return ""

    def holding_back(self) -> str:
        """Why a waiting email has not gone out: what holds every email back now ("" if none).

        Paused sending first, then the setup, then what stopped the last send.
        """
        if self.paused:
            return "sending is paused (Resume sending lets the emails go)"
        return self.setup_problem or self.last_problem


def mail_setup_problem(
    values: Mapping[str, str],
    password_lookup: Callable[[str, str], str | None] = load_password,
) -> str:
    """Why email cannot go out, as the sender would find it ("" when it can).

    A server without a sender, and a user name without a stored password (or without a keyring
    to keep one), are not set up either: ``"email is not set up: no password is stored for ar on
    mail.example.com: …"``. Pass the window's :class:`~app.views.password_check.KeyringCheck` as
    ``password_lookup``, so that a locked keyring is not asked on every read.
    """
    try:
        account_from_settings(values, password_lookup)
    except MailSetupError as exc:
        problem = str(exc)
    except PasswordStoreError as exc:
        user, host = values.get("smtp.user", ""), values.get("smtp.host", "")
        problem = f"no password is stored for {user} on {host}: {exc}"
    else:
        return ""
    return problem if problem.startswith(NOT_SET_UP) else f"{NOT_SET_UP}: {problem}"


def newest_run(*runs: JobRunView) -> JobRunView | None:
    """The run that finished last; ``None`` when none ever ran."""
    finished = [run for run in runs if run.finished_at is not None]
    return max(finished, key=lambda run: run.finished_at or _NEVER, default=None)


def split_pass_result(result: str) -> tuple[str, str]:
    """A daily pass's summary in two: what it did, and what its send did ("" if it did not send).

    ``"3 reminders queued, 1 tasks; mail: 3 sent"`` gives ``("3 reminders queued, 1 tasks",
    "3 sent")``.
    """
    work, found, mail = result.rpartition("; mail: ")
    return (work, mail) if found else (result, "")


def _problem(run: JobRunView) -> str:
    """What stopped a failed run, in words.

    A send's result is its report's summary, ``"3 waiting: <problem>"``; a daily pass's ends in
    ``"; mail: <summary>"`` unless the pass itself failed.
    """
    if run.ok:
        return ""
    summary = run.result
    if run.name == REMINDERS:
        summary = split_pass_result(run.result)[1]
        if not summary:
            return run.result
    problem = summary.partition(": ")[2] or summary
    return "" if any(words in problem for words in _NOT_FAILED_WORDS) else problem


def read_sending_state(
    uow: UnitOfWork,
    waiting: int,
    password_lookup: Callable[[str, str], str | None] = load_password,
) -> SendingState:
    """The settings, the keyring and the last runs: whether the ``waiting`` emails go out."""
    values = load_settings(uow)
    newest = newest_run(last_run(uow, OUTBOX), last_run(uow, REMINDERS))
    problem = _problem(newest) if newest is not None else ""
    return SendingState(
        waiting=waiting,
        paused=values["mail.paused"] == "yes",
        setup_problem=mail_setup_problem(values, password_lookup),
        last_problem=problem,
        last_problem_at=newest.finished_at if problem and newest is not None else None,
    )


def _capital(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text


def outcome_words(report: SendReport, item_id: int) -> str:
    """What became of one email sent again, in words."""
    state = report.states.get(item_id)
    words = {
        "sent": "sent",
        "failed": "failed again",
        "retrying": "put off by the server; it is tried again later",
        "unknown": "may have been sent (the connection broke)",
    }
    if state in words:
        return words[state]
    if report.problem:
        return f"queued, not sent yet: {report.problem}"
    return "queued; it goes with the next send"


class SendingBanner(QFrame):
    """A strip above the outbox list when emails do not go out: paused, not set up, failing."""

    #: "Resume sending" was clicked.
    resume_requested = Signal()
    #: "Open Settings" was clicked.
    settings_requested = Signal()
    #: "Send now" was clicked.
    send_requested = Signal()

    def __init__(self, locale: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SendingBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, palette.color(QPalette.ColorRole.AlternateBase))
        self.setPalette(palette)
        self._locale = locale
        self.icon = QLabel()
        self.text = plain_label(selectable=True)
        self.text.setObjectName("SendingBannerText")
        font = self.text.font()
        font.setBold(True)
        self.text.setFont(font)
        self.resume_button = QPushButton("Resume sending")
        self.settings_button = QPushButton("Open Settings")
        self.send_button = QPushButton("Send now")
        self.resume_button.setToolTip("Turn off “Pause all sending”: waiting emails go out again")
        self.settings_button.setToolTip("Settings → Email: the mail server and the sender")
        self.send_button.setToolTip("Try to send the waiting emails now")
        self.resume_button.clicked.connect(self.resume_requested)
        self.settings_button.clicked.connect(self.settings_requested)
        self.send_button.clicked.connect(self.send_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.text, 1)
        for button in (self.resume_button, self.settings_button, self.send_button):
            button.setAutoDefault(False)
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    def show_state(self, state: SendingState) -> None:
        """Say why emails do not go out, or hide when they do."""
        waiting = plural(state.waiting, "email waits", "emails wait")
        sp = QStyle.StandardPixmap
        buttons: tuple[QPushButton, ...]
        if state.paused:
            text = f"Sending is paused — {waiting}." if state.waiting else "Sending is paused."
            icon, buttons = sp.SP_MediaPause, (self.resume_button,)
        elif state.setup_problem:
            text = f"{_capital(state.setup_problem)}. Until then nothing is sent"
            text += f" — {waiting}." if state.waiting else "."
            icon, buttons = sp.SP_MessageBoxInformation, (self.settings_button,)
        elif state.last_problem and state.waiting:
            when = (
                f" at {clock_text(state.last_problem_at, self._locale)}"
                if state.last_problem_at is not None
                else ""
            )
            text = f"The last send{when} did not work: {state.last_problem}. {_capital(waiting)}."
            icon = sp.SP_MessageBoxWarning
            buttons = (self.send_button, self.settings_button)
        else:
            self.hide()
            return
        self.text.setText(text)
        self.icon.setPixmap(self.style().standardIcon(icon).pixmap(20, 20))
        for button in (self.resume_button, self.settings_button, self.send_button):
            button.setVisible(button in buttons)
        self.show()
