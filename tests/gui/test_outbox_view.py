"""The Outbox screen on a real ledger: list, preview, cancel, tomorrow's reminders, a run,
the states in words, retry, send again, mark as sent, pause, and sending to a real SMTP server.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models.bank import StatementImport
from app.models.collections import Dispute, OutboxItem
from app.models.customer import Customer
from app.models.invoice import Invoice
from app.services.audit import event_time
from app.services.file_import import import_customers, import_invoices
from app.services.job_runs import OUTBOX, REMINDERS, record_run
from app.services.mail.outbox_sender import INTERRUPTED, STOPPING
from app.services.mail.password import store_password
from app.services.reminders.run import run_reminders
from app.services.settings import get_setting, save_settings
from app.services.uow import UnitOfWork
from app.views.context import ViewContext
from app.views.models.outbox_model import clock_text
from app.views.outbox_view import OutboxView
from tests.gui.conftest import TODAY
from tests.smtp_server import LocalSmtpServer

pytestmark = pytest.mark.gui

CUSTOMERS = """customer_id,name,email,language,segment
ACME,Acme Trading Ltd,ap@acme.example,en,Standard
MUELLER,Müller & Söhne GmbH,buchhaltung@mueller.example,de,Key account
NOMAIL,No Mail Ltd,,en,Standard
PAUSED,Paused Ltd,ap@paused.example,en,Standard
DISPUTE,Dispute BV,ap@dispute.example,nl,Standard
"""
INVOICES = [
    ("INV-A1", "ACME", 8, "120.00"),
    ("INV-A4", "ACME", 61, "200.00"),
    ("INV-M1", "MUELLER", 11, "1234.50"),
    ("INV-N1", "NOMAIL", 8, "10.00"),
    ("INV-P1", "PAUSED", 8, "10.00"),
    ("INV-D1", "DISPUTE", 8, "99.00"),
    ("INV-D2", "DISPUTE", 9, "45.00"),
]


@pytest.fixture
def ledger(uow_factory: Callable[[], UnitOfWork], tmp_path: Path) -> UnitOfWork:
    """Customers and overdue invoices imported from CSV, one paused, one invoice disputed."""
    uow = uow_factory()
    customers = tmp_path / "customers.csv"
    customers.write_text(CUSTOMERS, encoding="utf-8")
    import_customers(uow, customers)
    rows = ["number,customer_id,issue_date,due_date,total,amount_paid"]
    for number, customer, overdue, total in INVOICES:
        due = TODAY - timedelta(days=overdue)
        rows.append(f"{number},{customer},{due - timedelta(days=30)},{due},{total},0")
    invoices = tmp_path / "invoices.csv"
    invoices.write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_invoices(uow, invoices)
    save_settings(uow, {"company.name": "Duebook Demo GmbH", "company.email": "ar@duebook.example"})
    with uow:
        session = uow.session
        paused = session.scalars(select(Customer).where(Customer.code == "PAUSED")).one()
        paused.reminders_paused_until = TODAY + timedelta(days=10)
        paused.reminders_pause_reason = "CFO on holiday"
        disputed = session.scalars(select(Invoice).where(Invoice.number == "INV-D1")).one()
        session.add(
            Dispute(
                invoice_id=disputed.id,
                customer_id=disputed.customer_id,
                reason="price",
                opened_on=TODAY,
            )
        )
        uow.commit()
    return uow


@pytest.fixture
def queued(ledger: UnitOfWork) -> UnitOfWork:
    """The ledger after today's reminder run: three emails in the outbox."""
    result = run_reminders(ledger, TODAY)
    assert result.queued == 3
    return ledger


def _view(qtbot: QtBot, view_ctx: ViewContext) -> OutboxView:
    view = OutboxView(view_ctx)
    qtbot.addWidget(view)
    view.resize(1300, 800)
    view.refresh()
    return view


def _select(view: OutboxView, customer: str) -> None:
    row = next(i for i, r in enumerate(view.model.rows()) if r.customer_name == customer)
    view.table.selectRow(row)


def test_the_outbox_lists_what_waits_and_counts_it(qtbot, view_ctx, queued):
    view = _view(qtbot, view_ctx)
    counts: list[int] = []
    view.queued_count_changed.connect(counts.append)
    view.refresh()

    assert {r.customer_name for r in view.model.rows()} == {
        "Acme Trading Ltd",
        "Müller & Söhne GmbH",
        "Dispute BV",
    }
    assert counts[-1] == 3
    assert view._count.text() == "3 emails"
    assert view._totals.text() == "3 waiting"
    assert view.model.data(view.model.index(0, 5)) == "Waiting"


def test_the_preview_shows_to_subject_attachments_and_both_bodies(qtbot, view_ctx, queued):
    view = _view(qtbot, view_ctx)
    _select(view, "Acme Trading Ltd")
    preview = view.preview

    assert preview.to.text() == "To: ap@acme.example"
    assert preview.subject.text()
    assert preview.attachments.text().startswith("Attached: INV-A4.pdf, INV-A1.pdf")
    assert "the statement of account as on the day it is sent (PDF)" in preview.attachments.text()
    assert preview.showing_html()
    html = preview.body.toHtml()
    assert "INV-A4" in html
    assert "<table" in html
    preview.text_button.click()
    assert not preview.showing_html()
    assert "INV-A1" in preview.body.toPlainText()
    email = view._email
    assert email is not None
    assert preview.body.toPlainText().strip() == email.body_text.strip()
    assert view.cancel_action.isEnabled()


def test_cancel_asks_then_takes_the_email_out(qtbot, view_ctx, queued, asked):
    view = _view(qtbot, view_ctx)
    counts: list[int] = []
    view.queued_count_changed.connect(counts.append)
    _select(view, "Dispute BV")

    with qtbot.waitSignal(view.status_reported) as status:
        view.cancel_action.trigger()

    assert "Dispute BV" in asked.confirmations[0]
    assert status.args == ["Cancelled the email to Dispute BV"]
    assert "Dispute BV" not in {r.customer_name for r in view.model.rows()}
    assert counts[-1] == 2
    view.select_state_filter("Cancelled")
    assert [r.customer_name for r in view.model.rows()] == ["Dispute BV"]
    view.table.selectRow(0)
    assert not view.cancel_action.isEnabled()
    assert "will not be sent" in view.preview.note.text()


def test_cancel_declined_changes_nothing(qtbot, view_ctx, queued, asked):
    asked.confirm_answer = False
    view = _view(qtbot, view_ctx)
    _select(view, "Dispute BV")
    view.cancel_action.trigger()
    assert len(view.model.rows()) == 3


def test_cancel_refused_by_the_service_says_why(qtbot, view_ctx, queued, asked):
    view = _view(qtbot, view_ctx)
    _select(view, "Acme Trading Ltd")
    with queued:  # sent meanwhile, by the scheduler say
        for item in queued.session.scalars(select(OutboxItem)):
            item.state = "sent"
        queued.commit()

    view.cancel_action.trigger()

    assert len(asked.warned) == 1
    assert "only queued or failed emails can be cancelled" in asked.warned[0]


def test_an_empty_outbox_teaches(qtbot, view_ctx, ledger):
    view = _view(qtbot, view_ctx)
    assert view.list_pages.currentIndex() == 1
    assert view.empty_title.text() == "Nothing waiting to be sent"
    assert view.empty_run_button.isVisibleTo(view)


def test_tomorrow_shows_what_goes_out_and_what_is_held_back(qtbot, view_ctx, ledger):
    view = _view(qtbot, view_ctx)
    view.tomorrow_action.trigger()
    pane = view.tomorrow

    assert view.tabs.currentIndex() == 1
    going = {row[0]: row for row in pane.texts(pane.going)}
    assert set(going) == {"Acme Trading Ltd", "Müller & Söhne GmbH", "Dispute BV"}
    assert going["Acme Trading Ltd"][1] == "Final notice"
    held = {row[0]: row[2] for row in pane.texts(pane.held)}
    assert held["Paused Ltd"].startswith("Reminders paused")
    assert "CFO on holiday" in held["Paused Ltd"]
    assert held["No Mail Ltd"] == "No email address"
    assert held["Dispute BV"].startswith("Disputed")
    assert not pane.warnings.isVisibleTo(view)
    assert pane.preview.subject.text()  # the first letter is shown
    assert "also gets a task" in pane.preview.note.text()  # Acme's final notice escalates
    assert "Nov 24, 2026" in pane.title.text()
    with ledger:  # nothing was written
        assert ledger.session.scalars(select(OutboxItem)).first() is None


def test_tomorrow_puts_warnings_first(qtbot, view_ctx, ledger):
    with ledger:
        ledger.session.add(
            StatementImport(
                file_name="old.xml",
                format="camt053",
                sha256="0" * 64,
                statements=1,
                lines_total=0,
                lines_new=0,
                warnings="",
                actor="t",
                imported_at=event_time(TODAY - timedelta(days=9)),
            )
        )
        ledger.commit()
    view = _view(qtbot, view_ctx)
    view.tomorrow_action.trigger()
    pane = view.tomorrow

    assert pane.warnings.isVisibleTo(view)
    assert pane.warnings.text()
    reasons = {row[2] for row in pane.texts(pane.held)}
    assert any(r.startswith("Bank data too old") for r in reasons)


def test_run_reminders_now_queues_and_reports(qtbot, view_ctx, ledger, sync_runner):
    view = _view(qtbot, view_ctx)
    view.tomorrow_action.trigger()

    with qtbot.waitSignal(view.status_reported) as status:
        view.run_action.trigger()

    not_set_up = "email is not set up: enter the SMTP server in Settings → Email"
    assert status.args == [
        f"Queued 3 reminders, 1 task; 3 held back; mail: 3 waiting: {not_set_up}"
    ]
    assert "Deciding and sending today's reminders…" in sync_runner.labels
    assert view.tabs.currentIndex() == 0
    assert len(view.model.rows()) == 3
    with qtbot.waitSignal(view.status_reported) as again:
        view.run_action.trigger()
    assert again.args == [
        f"Queued 0 reminders, 0 tasks; 3 held back; mail: 3 waiting: {not_set_up}"
    ]


def test_search_filters_the_list(qtbot, view_ctx, queued):
    view = _view(qtbot, view_ctx)
    view.set_search("müller")
    assert [r.customer_name for r in view.model.rows()] == ["Müller & Söhne GmbH"]
    view.set_search("INV-A4")
    assert [r.customer_name for r in view.model.rows()] == ["Acme Trading Ltd"]
    view.set_search("nobody")
    assert view.list_pages.currentIndex() == 1
    assert "nobody" in view.empty_title.text()


# -- states, decisions and sending ------------------------------------------------------------


def _set_state(uow: UnitOfWork, customer: str, **values: object) -> int:
    """Give the outbox item of ``customer`` these column values; returns its id."""
    with uow:
        item = uow.session.scalars(
            select(OutboxItem).join(Customer).where(Customer.name == customer)
        ).one()
        for name, value in values.items():
            setattr(item, name, value)
        uow.commit()
        return item.id


def _state_of(uow: UnitOfWork, item_id: int) -> OutboxItem:
    with uow:
        item = uow.session.get(OutboxItem, item_id)
        assert item is not None
        uow.session.expunge(item)
        return item


def _state_column(view: OutboxView, customer: str) -> str:
    row = next(i for i, r in enumerate(view.model.rows()) if r.customer_name == customer)
    return str(view.model.data(view.model.index(row, 5)))


def _use_smtp(uow: UnitOfWork, server: LocalSmtpServer) -> None:
    save_settings(
        uow,
        {
            "smtp.host": server.host,
            "smtp.port": str(server.port),
            "smtp.user": server.user,
            "smtp.from": "ar@duebook.example",
            "smtp.ca_file": str(server.cafile),
            "smtp.per_minute": "0",
        },
    )
    store_password(server.host, server.user, server.password)


NOT_SET_UP = "email is not set up: enter the SMTP server in Settings → Email"


def test_an_email_that_may_have_been_sent_says_so_and_offers_two_decisions(qtbot, view_ctx, queued):
    _set_state(queued, "Acme Trading Ltd", state="unknown", attempts=1, last_error=INTERRUPTED)
    view = _view(qtbot, view_ctx)

    assert _state_column(view, "Acme Trading Ltd") == "May have been sent"
    assert view._totals.text() == "2 waiting · 1 may have been sent"
    _select(view, "Acme Trading Ltd")
    note = view.preview.note.text()
    assert note == (
        "Unknown: may have been sent. Duebook stopped while it was being sent.\n"
        "Look in your sent mail: Mark as sent if it went out, Send again if it did not "
        "(it may then arrive twice), Cancel if it should not go at all."
    )
    assert view.send_again_button.isVisibleTo(view)
    assert view.mark_sent_button.isVisibleTo(view)
    assert not view.retry_button.isVisibleTo(view)
    assert view.cancel_button.isVisibleTo(view), "or the person decides it is not to go"
    assert view.send_again_action.isEnabled()
    assert view.mark_sent_action.isEnabled()
    assert view.cancel_action.isEnabled()


def test_send_again_asks_because_it_may_arrive_twice(qtbot, view_ctx, queued, asked):
    item_id = _set_state(queued, "Acme Trading Ltd", state="unknown", last_error=INTERRUPTED)
    view = _view(qtbot, view_ctx)
    _select(view, "Acme Trading Ltd")

    asked.confirm_answer = False
    view.send_again_button.click()
    assert "may arrive twice" in asked.confirmations[-1]
    assert _state_of(queued, item_id).state == "unknown"

    asked.confirm_answer = True
    with qtbot.waitSignal(view.status_reported) as status:
        view.send_again_button.click()

    assert _state_of(queued, item_id).state == "queued"  # email is not set up: it waits
    assert status.args == [f"The email to Acme Trading Ltd: queued, not sent yet: {NOT_SET_UP}"]
    assert _state_column(view, "Acme Trading Ltd") == "Waiting"


def test_mark_as_sent_settles_an_email_that_may_have_been_sent(qtbot, view_ctx, queued, asked):
    item_id = _set_state(queued, "Acme Trading Ltd", state="unknown", last_error=INTERRUPTED)
    view = _view(qtbot, view_ctx)
    _select(view, "Acme Trading Ltd")

    with qtbot.waitSignal(view.status_reported) as status:
        view.mark_sent_button.click()

    item = _state_of(queued, item_id)
    assert (item.state, item.sent_at is not None) == ("sent", True)
    assert status.args == ["Marked the email to Acme Trading Ltd as sent"]
    assert not asked.confirmations
    assert "Acme Trading Ltd" not in {r.customer_name for r in view.model.rows()}


def test_a_failed_email_shows_the_servers_answer_and_can_be_retried(qtbot, view_ctx, queued, asked):
    answer = "550 5.1.1 <ap@acme.example>: mailbox unavailable"
    item_id = _set_state(queued, "Acme Trading Ltd", state="failed", attempts=1, last_error=answer)
    view = _view(qtbot, view_ctx)
    _select(view, "Acme Trading Ltd")

    assert _state_column(view, "Acme Trading Ltd") == "Failed"
    assert view.preview.note.text().startswith(
        f"Failed after 1 attempt. The server's answer: {answer}"
    )
    assert view.retry_button.isVisibleTo(view)
    assert view.cancel_button.isVisibleTo(view)
    assert not view.send_again_button.isVisibleTo(view)

    view.retry_action.trigger()

    assert not asked.confirmations  # it surely did not go out: no question
    assert _state_of(queued, item_id).state == "queued"


def test_an_email_put_off_by_the_server_says_when_it_is_tried_again(
    qtbot, view_ctx, queued, smtp_server, test_keyring
):
    _use_smtp(queued, smtp_server)
    retry_at = datetime.now(UTC) + timedelta(minutes=15)
    _set_state(
        queued,
        "Acme Trading Ltd",
        attempts=2,
        retry_at=retry_at,
        last_error="451 4.7.1 greylisted, try again later",
    )
    view = _view(qtbot, view_ctx)
    _select(view, "Acme Trading Ltd")

    when = clock_text(retry_at, "en")
    assert _state_column(view, "Acme Trading Ltd") == f"Waiting, next try after {when}"
    assert view.preview.note.text() == (
        f"Not sent yet, next try after {when} (2 attempts so far). "
        "The server's answer: 451 4.7.1 greylisted, try again later"
    )


def test_the_banner_says_email_is_not_set_up_and_leads_to_settings(qtbot, view_ctx, queued):
    view = _view(qtbot, view_ctx)
    notes: list[str] = []
    view.sending_note_changed.connect(notes.append)
    view.load_badge()

    assert view.banner.isVisibleTo(view)
    assert view.banner.text.text() == (
        "Email is not set up: enter the SMTP server in Settings → Email. "
        "Until then nothing is sent — 3 emails wait."
    )
    assert notes[-1] == "not set up"
    with qtbot.waitSignal(view.screen_requested) as requested:
        view.banner.settings_button.click()
    assert requested.args == ["Settings"]


def test_pause_all_sending_is_stored_and_the_banner_says_so(
    qtbot, view_ctx, queued, smtp_server, test_keyring
):
    _use_smtp(queued, smtp_server)
    view = _view(qtbot, view_ctx)
    notes: list[str] = []
    view.sending_note_changed.connect(notes.append)
    assert not view.banner.isVisibleTo(view)
    assert not view.pause_action.isChecked()

    with qtbot.waitSignal(view.status_reported) as status:
        view.pause_action.trigger()

    assert get_setting(queued, "mail.paused") == "yes"
    assert view.pause_action.isChecked()
    assert view.banner.isVisibleTo(view)
    assert view.banner.text.text() == "Sending is paused — 3 emails wait."
    assert view.banner.resume_button.isVisibleTo(view)
    assert notes[-1] == "paused"
    assert status.args == ["Sending paused: 3 emails wait in the outbox until you resume"]

    view.send_action.trigger()  # nothing goes while paused
    assert smtp_server.messages == []

    view.banner.resume_button.click()
    assert get_setting(queued, "mail.paused") == "no"
    assert not view.pause_action.isChecked()
    assert not view.banner.isVisibleTo(view)
    assert notes[-1] == ""


def test_send_now_delivers_and_the_list_shows_them_sent(
    qtbot, view_ctx, queued, smtp_server, test_keyring, sync_runner
):
    _use_smtp(queued, smtp_server)
    view = _view(qtbot, view_ctx)
    counts: list[int] = []
    view.queued_count_changed.connect(counts.append)

    with qtbot.waitSignal(view.status_reported) as status:
        view.send_action.trigger()

    assert status.args == ["Mail: 3 sent"]
    assert "Sending the outbox…" in sync_runner.labels
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [
        "ap@acme.example",
        "ap@dispute.example",
        "buchhaltung@mueller.example",
    ]
    assert counts[-1] == 0
    assert view.list_pages.currentIndex() == 1  # nothing left to send
    view.select_state_filter("Sent")
    assert {_state_column(view, r.customer_name) for r in view.model.rows()} == {"Sent"}
    assert len(view.model.rows()) == 3
    assert not view.banner.isVisibleTo(view)


def test_run_now_decides_and_sends_like_the_daily_pass(
    qtbot, view_ctx, ledger, smtp_server, test_keyring
):
    _use_smtp(ledger, smtp_server)
    view = _view(qtbot, view_ctx)

    with qtbot.waitSignal(view.status_reported) as status:
        view.run_action.trigger()

    assert status.args == ["Queued 3 reminders, 1 task; 3 held back; mail: 3 sent"]
    assert len(smtp_server.messages) == 3


def test_a_failed_send_shows_in_the_banner_until_one_works(
    qtbot, view_ctx, queued, smtp_server, test_keyring
):
    _use_smtp(queued, smtp_server)
    record_run(queued, OUTBOX, None, ok=False, result="3 waiting: the server refused the password")
    view = _view(qtbot, view_ctx)

    assert view.banner.isVisibleTo(view)
    text = view.banner.text.text()
    assert text.startswith("The last send at ")
    assert text.endswith("did not work: the server refused the password. 3 emails wait.")
    assert view.banner.send_button.isVisibleTo(view)

    view.banner.send_button.click()

    assert len(smtp_server.messages) == 3
    assert not view.banner.isVisibleTo(view)


@pytest.mark.parametrize("job", [OUTBOX, REMINDERS])
def test_a_send_stopped_because_duebook_was_closing_is_no_failure_in_the_banner(
    qtbot, view_ctx, queued, smtp_server, test_keyring, job
):
    _use_smtp(queued, smtp_server)
    summary = f"1 sent, 2 waiting: {STOPPING}"
    if job == REMINDERS:
        summary = f"3 reminders queued, 0 tasks; mail: {summary}"
    # As a run recorded it before stopping counted as no failure.
    record_run(queued, job, TODAY if job == REMINDERS else None, ok=False, result=summary)
    view = _view(qtbot, view_ctx)

    assert not view.banner.isVisibleTo(view), view.banner.text.text()


def test_retry_sends_the_email_at_once(qtbot, view_ctx, queued, smtp_server, test_keyring):
    _use_smtp(queued, smtp_server)
    item_id = _set_state(queued, "Dispute BV", state="failed", attempts=1, last_error="421 busy")
    view = _view(qtbot, view_ctx)
    _select(view, "Dispute BV")

    with qtbot.waitSignal(view.status_reported) as status:
        view.retry_button.click()

    assert status.args == ["The email to Dispute BV: sent"]
    assert _state_of(queued, item_id).state == "sent"
    assert [m.rcpt_tos for m in smtp_server.messages] == [["ap@dispute.example"]]


# -- not set up: no password, no keyring; the reason of a waiting email ------------------------


def _account_without_password(uow: UnitOfWork) -> None:
    save_settings(
        uow,
        {"smtp.host": "mail.example.com", "smtp.user": "ar", "smtp.from": "ar@duebook.example"},
    )


def test_a_user_without_a_stored_password_is_not_set_up(qtbot, view_ctx, queued, test_keyring):
    _account_without_password(queued)
    view = _view(qtbot, view_ctx)
    notes: list[str] = []
    view.sending_note_changed.connect(notes.append)
    view.load_badge()

    assert view.banner.isVisibleTo(view)
    assert view.banner.text.text() == (
        "Email is not set up: no password is stored for ar on mail.example.com: enter it in "
        "Settings → Email or with `duebook settings set-password`. "
        "Until then nothing is sent — 3 emails wait."
    )
    assert view.banner.settings_button.isVisibleTo(view)
    assert not view.banner.send_button.isVisibleTo(view)
    assert notes[-1] == "not set up"
    _select(view, "Acme Trading Ltd")
    assert view.preview.note.text().startswith(
        "Waiting: email is not set up: no password is stored for ar on mail.example.com"
    )


def test_without_a_keyring_email_is_not_set_up(qtbot, view_ctx, queued):
    _account_without_password(queued)  # the tests' keyring fails, as on a machine without one
    view = _view(qtbot, view_ctx)

    text = view.banner.text.text()
    assert text.startswith(
        "Email is not set up: no password is stored for ar on mail.example.com: "
        "no system keyring found"
    )
    assert text.endswith("Until then nothing is sent — 3 emails wait.")
    assert view.banner.settings_button.isVisibleTo(view)


def test_the_keyring_is_asked_seldom_and_again_after_settings_are_saved(
    qtbot, view_ctx, queued, test_keyring
):
    _account_without_password(queued)
    view = _view(qtbot, view_ctx)
    assert view.sending.setup_problem
    store_password("mail.example.com", "ar", "geheim")  # say with `duebook settings set-password`

    view.refresh()
    view.load_badge()
    assert view.sending.setup_problem  # the answer of a minute ago is kept (no unlock prompts)

    view_ctx.password_check.forget()  # what Settings do when they save
    view.load_badge()
    assert view.sending.setup_problem == ""
    assert not view.banner.isVisibleTo(view)


def test_a_retried_email_says_why_it_waits_now_not_its_old_answer(
    qtbot, view_ctx, queued, test_keyring, asked
):
    _account_without_password(queued)
    answer = "550 5.1.1 <ap@acme.example>: mailbox unavailable"
    item_id = _set_state(queued, "Acme Trading Ltd", state="failed", attempts=1, last_error=answer)
    view = _view(qtbot, view_ctx)
    _select(view, "Acme Trading Ltd")
    assert answer in view.preview.note.text()

    with qtbot.waitSignal(view.status_reported) as status:
        view.retry_button.click()

    assert _state_of(queued, item_id).state == "queued"
    assert status.args[0].startswith(
        "The email to Acme Trading Ltd: queued, not sent yet: no password is stored for ar"
    )
    _select(view, "Acme Trading Ltd")
    note = view.preview.note.text()
    assert note.startswith("Waiting: email is not set up: no password is stored for ar on")
    assert "550" not in note
    assert "550" not in (_tooltip_of_state(view, "Acme Trading Ltd") or "")


def test_a_retried_email_stopped_by_the_account_says_the_sends_problem(
    qtbot, view_ctx, queued, smtp_server, test_keyring
):
    _use_smtp(queued, smtp_server)
    store_password(smtp_server.host, smtp_server.user, "not-the-password")
    answer = "550 5.1.1 <ap@dispute.example>: mailbox unavailable"
    item_id = _set_state(queued, "Dispute BV", state="failed", attempts=1, last_error=answer)
    view = _view(qtbot, view_ctx)
    _select(view, "Dispute BV")

    view.retry_button.click()

    assert _state_of(queued, item_id).state == "queued"
    assert smtp_server.messages == []
    _select(view, "Dispute BV")
    note = view.preview.note.text()
    assert note.startswith("Waiting: ")
    assert "password" in note
    assert "550" not in note
    assert view.banner.isVisibleTo(view)
    assert "did not work" in view.banner.text.text()


def _tooltip_of_state(view: OutboxView, customer: str) -> str | None:
    row = next(i for i, r in enumerate(view.model.rows()) if r.customer_name == customer)
    tip = view.model.data(view.model.index(row, 5), Qt.ItemDataRole.ToolTipRole)
    return str(tip) if tip is not None else None
