"""The scheduler in the window: the status bar's schedule label, results from the job thread."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from PySide6.QtGui import QPalette
from pytestqt.qtbot import QtBot

from app.services.job_runs import OUTBOX, REMINDERS
from app.services.mail.password import store_password
from app.services.recurring import Frequency, list_recurring, make_recurring
from app.services.scheduler import BackgroundJobs, JobResult
from app.services.settings import save_settings
from app.views.context import ViewContext
from app.views.main_window import MainWindow
from app.views.style import warm_colour
from tests.gui.conftest import TODAY

pytestmark = pytest.mark.gui

NINE = "9:00\u202fAM"  # Qt's short time in "en" has a narrow no-break space before AM


class FakeNow:
    """The scheduler's clock, set by the test."""

    def __init__(self, hour: int, minute: int = 0) -> None:
        self.at = datetime(TODAY.year, TODAY.month, TODAY.day, hour, minute, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at


def _window(qtbot: QtBot, view_ctx: ViewContext, now: FakeNow) -> tuple[MainWindow, BackgroundJobs]:
    """A window following jobs that are never started: the test runs their work by hand."""
    window = MainWindow(view_ctx)
    qtbot.addWidget(window)
    jobs = BackgroundJobs(view_ctx.uow_factory, window.job_results.report, now=now)
    window.attach_jobs(jobs)
    window.show()
    return window, jobs


def _label(window: MainWindow) -> str:
    assert window.schedule_label is not None
    return window.schedule_label.full_text()


def _in_a_thread(work: object) -> None:
    """Run ``work`` on a thread of its own, as the scheduler does, and wait for it."""
    assert callable(work)
    thread = threading.Thread(target=work)
    thread.start()
    thread.join(30)
    assert not thread.is_alive()


def test_the_label_is_short_and_its_tooltip_says_the_rest(qtbot, view_ctx, sample_ledger):
    window, _ = _window(qtbot, view_ctx, FakeNow(8))
    label = window.schedule_label
    assert label is not None

    assert _label(window).startswith("Next pass: today ")
    assert _label(window).endswith(" · Mail: not set up")
    assert label.isVisibleTo(window)
    assert "No reminder pass has run yet" in label.toolTip()
    assert "Emails wait in the outbox: email is not set up: enter the SMTP server" in (
        label.toolTip()
    )
    save_settings(
        view_ctx.uow_factory(), {"smtp.host": "mail.example", "smtp.from": "ar@duebook.example"}
    )
    label.timer.timeout.emit()  # the minute's refresh
    assert "Mail" not in _label(window)
    assert " · " not in _label(window)


def test_a_user_without_a_password_is_not_set_up_in_the_status_bar(
    qtbot, view_ctx, sample_ledger, test_keyring
):
    save_settings(
        view_ctx.uow_factory(),
        {"smtp.host": "mail.example", "smtp.user": "ar", "smtp.from": "ar@duebook.example"},
    )
    window, _ = _window(qtbot, view_ctx, FakeNow(8))
    label = window.schedule_label
    assert label is not None

    assert _label(window).endswith(" · Mail: not set up")
    assert "email is not set up: no password is stored for ar on mail.example" in label.toolTip()
    store_password("mail.example", "ar", "geheim")
    settings = window.settings_view()
    window.show_screen(window.screens().index(settings))
    settings.save()  # saving Settings asks the keyring again
    assert "Mail" not in _label(window)


def test_without_a_keyring_the_status_bar_says_not_set_up(qtbot, view_ctx, sample_ledger):
    save_settings(
        view_ctx.uow_factory(),
        {"smtp.host": "mail.example", "smtp.user": "ar", "smtp.from": "ar@duebook.example"},
    )
    window, _ = _window(qtbot, view_ctx, FakeNow(8))
    label = window.schedule_label
    assert label is not None

    assert _label(window).endswith(" · Mail: not set up")
    assert "no password is stored for ar on mail.example: no system keyring found" in (
        label.toolTip()
    )


def test_the_status_bar_keeps_room_for_messages_and_shows_them_whole(
    qtbot, view_ctx, sample_ledger
):
    window, _ = _window(qtbot, view_ctx, FakeNow(8))
    window.resize(900, 600)
    qtbot.wait(10)
    label = window.schedule_label
    assert label is not None
    bar = window.statusBar()
    message = (
        "The email to Ashdown Publishing Ltd: queued, not sent yet: no system keyring found to "
        "keep the email password in: on Linux start a Secret Service (GNOME Keyring or KWallet) "
        "and unlock it, then try again"
    )

    window.show_message(message)
    qtbot.wait(10)

    shown = bar.currentMessage()
    assert shown.startswith("The email to Ashdown Publishing Ltd: queued")
    assert shown.endswith("…")  # shortened to the room there is, not cut mid-letter
    assert bar.toolTip() == message  # and said whole by pointing at it
    assert label.text() == label.full_text()  # the short schedule line is never cut
    assert window._ledger_label.text() == view_ctx.ledger_path.name
    window.show_message("Refreshed")
    assert (bar.currentMessage(), bar.toolTip()) == ("Refreshed", "Refreshed")
    bar.clearMessage()
    assert bar.toolTip() == ""


def test_after_the_daily_pass_the_label_says_tomorrow_and_what_it_did(
    qtbot, view_ctx, sample_ledger
):
    window, jobs = _window(qtbot, view_ctx, FakeNow(9, 30))

    _in_a_thread(jobs.watch)

    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Daily pass:"))
    assert _label(window) == f"Next pass: tomorrow {NINE} · Mail: not set up"
    assert window.schedule_label is not None
    assert window.schedule_label.palette().color(QPalette.ColorRole.WindowText) != warm_colour(
        window.schedule_label.palette()
    )  # said calmly
    tooltip = window.schedule_label.toolTip()
    assert "Last pass, " in tooltip
    assert "reminders queued" in tooltip


def test_a_result_from_another_thread_reaches_the_status_bar(qtbot, view_ctx, sample_ledger):
    window, _ = _window(qtbot, view_ctx, FakeNow(8))
    result = JobResult(OUTBOX, True, "Mail: 2 sent")

    _in_a_thread(lambda: window.job_results.report(result))

    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Mail: 2 sent")


def test_the_same_failure_is_said_once_not_every_few_minutes(qtbot, view_ctx, sample_ledger):
    window, _ = _window(qtbot, view_ctx, FakeNow(8))
    failure = JobResult(OUTBOX, False, "Mail: 3 waiting: email is not set up")
    bar = window.statusBar()

    _in_a_thread(lambda: window.job_results.report(failure))
    qtbot.waitUntil(lambda: bar.currentMessage() == failure.message)
    bar.clearMessage()
    _in_a_thread(lambda: window.job_results.report(failure))
    qtbot.wait(100)

    assert bar.currentMessage() == ""
    other = JobResult(REMINDERS, False, "The daily pass failed: the disk is full")
    _in_a_thread(lambda: window.job_results.report(other))
    qtbot.waitUntil(lambda: bar.currentMessage() == other.message)


def test_the_sending_job_shows_its_result_and_the_outbox_badge(qtbot, view_ctx, sample_ledger):
    window, jobs = _window(qtbot, view_ctx, FakeNow(9, 30))
    _in_a_thread(jobs.watch)  # queues the overdue reminders; email is not set up
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Daily pass:"))

    _in_a_thread(jobs.send_mail)

    bar = window.statusBar()
    qtbot.waitUntil(lambda: bar.currentMessage().startswith("Mail: "))
    assert bar.currentMessage().endswith(
        "waiting: email is not set up: enter the SMTP server in Settings → Email"
    )
    outbox = window._sidebar.item(window.screens().index(window.outbox_view()))
    assert outbox.toolTip().endswith("; sending: not set up")


def test_paused_sending_leads_the_label_and_the_badge(qtbot, view_ctx, sample_ledger):
    save_settings(view_ctx.uow_factory(), {"mail.paused": "yes"})
    window, _ = _window(qtbot, view_ctx, FakeNow(8))

    assert _label(window).startswith("Next pass: today ")
    assert _label(window).endswith(" · Mail: paused")
    outbox = window._sidebar.item(window.screens().index(window.outbox_view()))
    assert outbox.toolTip() == "sending: paused"


def test_the_daily_pass_issues_the_recurring_invoices_due_and_the_lists_show_them(
    qtbot, view_ctx, sample_ledger
):
    overdue_issued = TODAY - timedelta(days=60)  # 24 Sep 2026: the copy of 24 Oct is due
    make_recurring(
        view_ctx.uow_factory(),
        sample_ledger.invoices["overdue"],
        Frequency.MONTHLY,
        overdue_issued + timedelta(days=30),
    )
    window, jobs = _window(qtbot, view_ctx, FakeNow(9, 30))
    window.show_screen(window.screens().index(window.invoices_view()))
    before = {r.number for r in window.invoices_view().model.loaded_rows()}

    _in_a_thread(jobs.watch)

    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Daily pass:"))
    assert window.statusBar().currentMessage().startswith("Daily pass: 1 recurring invoice issued")
    rows = window.invoices_view().model.loaded_rows()
    [new] = [r for r in rows if r.number not in before]
    assert (new.issue_date, new.total.minor) == (date(2026, 10, 24), 119000)
    assert list_recurring(view_ctx.uow_factory())[0].next_date == date(2026, 11, 24)


def test_when_email_works_the_label_says_what_the_pass_sent(
    qtbot, view_ctx, sample_ledger, smtp_server, test_keyring
):
    save_settings(
        view_ctx.uow_factory(),
        {
            "smtp.host": smtp_server.host,
            "smtp.port": str(smtp_server.port),
            "smtp.user": smtp_server.user,
            "smtp.from": "ar@duebook.example",
            "smtp.ca_file": str(smtp_server.cafile),
            "smtp.per_minute": "0",
        },
    )
    store_password(smtp_server.host, smtp_server.user, smtp_server.password)
    window, jobs = _window(qtbot, view_ctx, FakeNow(9, 30))

    _in_a_thread(jobs.watch)

    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Daily pass:"))
    assert len(smtp_server.messages) == 2
    assert _label(window) == f"Next pass: tomorrow {NINE} · Mail: 2 sent"
    assert window.schedule_label is not None
    assert "2 reminders queued" in window.schedule_label.toolTip()
    outbox = window._sidebar.item(window.screens().index(window.outbox_view()))
    assert outbox.text() == "Outbox"
