"""The scheduler in the status bar: when the next reminder pass runs and what the last runs did.

:class:`BackgroundJobs` reports on its own thread; :class:`JobResultBridge` carries the results to
the GUI thread as a signal. :class:`ScheduleStatusLabel` reads ``BackgroundJobs.status()`` in the
background after each result and every minute.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from PySide6.QtCore import QLocale, QObject, QSize, Qt, QTime, QTimer, Signal, Slot
from PySide6.QtGui import QPalette, QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget
from typing_extensions import override

from app.services.invoice_preview import format_timestamp
from app.services.money_format import format_date
from app.services.scheduler import JobResult, ScheduleStatus
from app.services.settings import load_settings
from app.services.tasks import TaskContext
from app.views.context import ViewContext
from app.views.outbox_sending import mail_setup_problem, newest_run, split_pass_result
from app.views.style import warm_colour
from app.views.workers import describe_error

#: How often the label reads the schedule again ("today" becomes "tomorrow" at midnight).
REFRESH_MS = 60_000
#: The widest the label grows in the status bar; longer texts end in "…" (all in the tooltip).
MAX_WIDTH = 420
#: Its widest while the status bar shows a message, which needs the room more.
MAX_WIDTH_BESIDE_MESSAGE = 300
MIN_WIDTH = 160


class JobResultBridge(QObject):
    """Hands the scheduler's results to the GUI thread.

    :meth:`report` is the ``on_result`` of :class:`BackgroundJobs` and runs on the scheduler's
    thread. A signal emitted on another thread reaches the slots of objects living on the GUI
    thread through their event loop (a queued connection), so the window never sees the result
    on the wrong thread.
    """

    #: A background job finished (a :class:`JobResult`).
    result_arrived = Signal(object)

    def report(self, result: JobResult) -> None:
        """Pass one result on; safe to call from any thread."""
        self.result_arrived.emit(result)


@dataclass(frozen=True)
class ScheduleText:
    """What the label shows: one line, the details for its tooltip, and whether all is well."""

    text: str
    details: str
    ok: bool


def _clock(at: datetime, locale: str) -> str:
    return QLocale(locale).toString(QTime(at.hour, at.minute), QLocale.FormatType.ShortFormat)


def _when(at: datetime, today: date, locale: str) -> str:
    """``"today 9:00 AM"``, ``"tomorrow 9:00 AM"`` or the date and time."""
    days = {today: "today", today + timedelta(days=1): "tomorrow"}
    return f"{days.get(at.date(), format_date(at.date(), locale))} {_clock(at, locale)}"


@dataclass(frozen=True)
class ScheduleReading:
    """One read for the label: the schedule and whether the settings let email go out."""

    status: ScheduleStatus
    setup_problem: str = ""


def _head(summary: str) -> str:
    """A send's summary without its reason: ``"3 waiting: <problem>"`` gives ``"3 waiting"``."""
    return summary.partition(": ")[0]


def _mail_words(status: ScheduleStatus, setup_problem: str) -> tuple[str, bool]:
    """The mail part of the line (``"Mail: 3 sent"``), or why nothing goes out now; "" for none."""
    if status.sending_paused:
        return "Mail: paused", True
    if setup_problem:  # said calmly: a state to finish in Settings, not a failure
        return "Mail: not set up", True
    last, mail = status.last_pass, status.last_mail
    if mail.finished_at is not None and newest_run(last, mail) is mail:
        return f"Mail: {_head(mail.result)}", mail.ok
    sent = split_pass_result(last.result)[1] if last.finished_at is not None else ""
    return (f"Mail: {_head(sent)}", last.ok) if sent else ("", True)


def schedule_text(reading: ScheduleReading, today: date, locale: str) -> ScheduleText:
    """The status bar's words for the schedule: short, with everything in the tooltip.

    ``"Next pass: today 9:00 AM · Mail: 3 sent"``; ``"Mail: paused"`` or ``"Mail: not set up"``
    when nothing goes out, and ``"Last pass failed"`` when the daily pass did. The tooltip says
    what the last pass and the last send did, and why email is not set up.
    """
    status = reading.status
    last, mail = status.last_pass, status.last_mail
    details = [f"Next reminder pass: {format_timestamp(status.next_pass, locale)}"]
    sent = split_pass_result(last.result)[1] if last.finished_at is not None else ""
    pass_failed = last.finished_at is not None and not last.ok and not sent
    if last.finished_at is not None:
        details.append(f"Last pass, {format_timestamp(last.finished_at, locale)}: {last.result}")
    else:
        details.append("No reminder pass has run yet")
    if mail.finished_at is not None:
        details.append(f"Last send, {format_timestamp(mail.finished_at, locale)}: {mail.result}")
    if status.sending_paused:
        details.append("Sending is paused: emails wait in the outbox (Outbox → Resume sending)")
    elif reading.setup_problem:
        details.append(f"Emails wait in the outbox: {reading.setup_problem}")
    words, mail_ok = _mail_words(status, reading.setup_problem)
    parts = [f"Next pass: {_when(status.next_pass, today, locale)}"]
    if pass_failed:
        parts.append("Last pass failed")
    if words:
        parts.append(words)
    return ScheduleText(" · ".join(parts), "\n".join(details), mail_ok and not pass_failed)


class ScheduleStatusLabel(QLabel):
    """The status bar's permanent note on the scheduler, read again every minute."""

    def __init__(
        self,
        ctx: ViewContext,
        read_status: Callable[[], ScheduleStatus],
        parent: QWidget | None = None,
    ) -> None:
        """Read the schedule with ``read_status`` (``BackgroundJobs.status``) on the read pool."""
        super().__init__(parent)
        self.setObjectName("ScheduleStatus")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setMaximumWidth(MAX_WIDTH)
        self._ctx = ctx
        self._read_status = read_status
        self._full_text = ""
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    @Slot(str)
    def make_room(self, message: str) -> None:
        """Narrow the label while the status bar shows ``message`` (connect ``messageChanged``)."""
        self.setMaximumWidth(MAX_WIDTH_BESIDE_MESSAGE if message else MAX_WIDTH)

    def full_text(self) -> str:
        """The whole line (the label may show it shortened)."""
        return self._full_text

    def refresh(self) -> None:
        """Read the schedule again in the background."""
        read, uow_factory = self._read_status, self._ctx.uow_factory
        password_check = self._ctx.password_check

        def fetch(_: TaskContext) -> ScheduleReading:
            values = load_settings(uow_factory())
            return ScheduleReading(read(), mail_setup_problem(values, password_check))

        self._ctx.runner.fetch(fetch, self._on_status_read, self._on_status_failed)

    def _on_status_read(self, reading: ScheduleReading) -> None:
        shown = schedule_text(reading, self._ctx.clock.today(), self._ctx.locale)
        self._show(shown.text, shown.details, shown.ok)

    def _on_status_failed(self, exc: Exception) -> None:
        self._show(f"Reminder schedule unknown: {describe_error(exc)}", "", ok=False)

    def _show(self, text: str, details: str, ok: bool) -> None:
        self._full_text = text
        self.setToolTip(details or text)
        palette = self.palette()
        palette.setColor(
            QPalette.ColorRole.WindowText,
            palette.color(QPalette.ColorRole.Text) if ok else warm_colour(palette),
        )
        self.setPalette(palette)
        self.updateGeometry()
        self._elide()

    def _elide(self) -> None:
        """Show as much of the line as the label's width takes, ending in "…" when cut."""
        width = max(self.width() - 4, 0)
        self.setText(
            self.fontMetrics().elidedText(self._full_text, Qt.TextElideMode.ElideRight, width)
        )

    @override
    def sizeHint(self) -> QSize:
        width = self.fontMetrics().horizontalAdvance(self._full_text) + 8
        return QSize(min(width, self.maximumWidth()), super().sizeHint().height())

    @override
    def minimumSizeHint(self) -> QSize:
        return QSize(MIN_WIDTH, super().minimumSizeHint().height())

    @override
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()
