"""The sending core under faults (issue 5 §5), against a real SMTP server and a real ledger file.

A server that hangs up in the middle of a batch, answers 451 or 550, a process killed between
"sending" and "sent", a clock that jumps three days, the window and a cron run at the same time,
a password that must never be written down anywhere, and a computer that is offline.
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import os
import smtplib
import socket
import sqlite3
import subprocess
import sys
import threading
import time as clock_time
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from keyrings.alt.file import PlaintextKeyring
from sqlalchemy import func, select, update

from app.cli import main
from app.log import configure_logging
from app.models.activity import AuditEntry
from app.models.base import utcnow
from app.models.collections import OutboxItem, OutboxState
from app.models.jobs import JobRun, Lease
from app.services.daily_pass import run_daily_pass
from app.services.job_runs import REMINDERS, last_run, record_run
from app.services.leases import acquire_lease
from app.services.mail import outbox_sender
from app.services.mail.account import SmtpAccount, account_from_settings
from app.services.mail.outbox_sender import send_outbox
from app.services.mail.password import store_password
from app.services.mail.smtp import describe_connection_failure
from app.services.mail.trial import TrialError, send_test_email
from app.services.reminders.run import run_reminders
from app.services.scheduler import BackgroundJobs, JobResult
from app.services.settings import load_settings, save_settings
from app.services.timeline import list_timeline
from app.services.uow import UnitOfWork
from tests.conftest import TODAY
from tests.integration.test_mailer import (
    SENDER,
    build_ledger,
    configure_mail,
    message_ids,
    queue_email,
    read_outbox,
)
from tests.smtp_server import LocalSmtpServer

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def customers(
    uow: UnitOfWork,
    tmp_path: Path,
    smtp_server: LocalSmtpServer,
    test_keyring: PlaintextKeyring,
) -> dict[str, int]:
    ids = build_ledger(uow, tmp_path)
    configure_mail(uow, smtp_server)
    return ids


def queue_many(uow: UnitOfWork, customer_id: int, count: int) -> list[int]:
    return [
        queue_email(uow, customer_id, subject=f"Your account, letter {n}")
        for n in range(1, count + 1)
    ]


def assert_each_once(server: LocalSmtpServer, uow: UnitOfWork) -> None:
    """Every sent item arrived exactly once, and nothing arrived that is not a sent item."""
    arrived = message_ids(server)
    assert len(arrived) == len(set(arrived)), "a message arrived twice"
    sent = {i.message_id for i in read_outbox(uow).values() if i.state == OutboxState.SENT}
    assert set(arrived) == sent


# -- the server hangs up, answers 451 or 550 ---------------------------------------------------


def test_a_connection_dropped_mid_batch_is_reopened_and_nothing_is_sent_twice(
    uow, customers, smtp_server
):
    ids = queue_many(uow, customers["ACME"], 5)
    smtp_server.drop_after(2)

    report = send_outbox(uow, TODAY)

    assert report.states == dict.fromkeys(ids, "sent")
    assert report.problem == ""
    assert len(smtp_server.messages) == 5
    assert_each_once(smtp_server, uow)
    assert smtp_server.connections == 2
    assert [r.session_id for r in smtp_server.messages] == [1, 1, 2, 2, 2]
    assert {i.attempts for i in read_outbox(uow).values()} == {1}


def test_451_puts_the_item_off_and_it_goes_once_after_its_retry_time(uow, customers, smtp_server):
    first, *others = queue_many(uow, customers["ACME"], 3)
    smtp_server.fail_data(451, "4.3.0 Mailbox busy, try again later")
    started = utcnow()

    report = send_outbox(uow, TODAY)

    assert report.states == {first: "retrying"} | dict.fromkeys(others, "sent")
    item = read_outbox(uow)[first]
    assert item.state == OutboxState.QUEUED
    assert item.attempts == 1
    assert item.retry_at is not None
    assert started + timedelta(seconds=50) < item.retry_at <= utcnow() + timedelta(minutes=1)
    assert "451 4.3.0 Mailbox busy" in item.last_error
    timeline = list_timeline(uow, customers["ACME"], kinds={"reminder"})
    assert any("not sent yet" in e.summary and "451" in e.summary for e in timeline)
    assert len(smtp_server.messages) == 2

    again = send_outbox(uow, TODAY)
    assert again.states == {}, "not before its retry time"
    assert len(smtp_server.messages) == 2

    with uow:
        uow.session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == first)
            .values(retry_at=utcnow() - timedelta(seconds=1))
        )
        uow.commit()
    later = send_outbox(uow, TODAY)

    assert later.states == {first: "sent"}
    item = read_outbox(uow)[first]
    assert item.state == OutboxState.SENT
    assert item.attempts == 2
    assert item.retry_at is None
    assert send_outbox(uow, TODAY).states == {}
    assert len(smtp_server.messages) == 3
    assert_each_once(smtp_server, uow)


def test_550_fails_that_item_with_the_servers_answer_and_the_rest_go(uow, customers, smtp_server):
    smtp_server.reject_recipient("buchhaltung@mueller.example", 550, "5.1.1 No such user here")
    before = queue_email(uow, customers["ACME"])
    refused = queue_email(uow, customers["MUELLER"], to="buchhaltung@mueller.example")
    after = queue_email(uow, customers["ACME"])

    report = send_outbox(uow, TODAY)

    assert report.states == {before: "sent", refused: "failed", after: "sent"}
    item = read_outbox(uow)[refused]
    assert item.state == OutboxState.FAILED
    assert "550 5.1.1 No such user here" in item.last_error
    assert item.retry_at is None
    [latest, *_] = list_timeline(uow, customers["MUELLER"])
    assert latest.kind == "reminder"
    assert latest.summary.startswith("Email failed")
    assert "550 5.1.1 No such user here" in latest.summary
    assert [r.rcpt_tos for r in smtp_server.messages] == [["ap@acme.example"]] * 2
    assert send_outbox(uow, TODAY).states == {}, "a refused item is not tried again"


def test_one_refused_recipient_of_two_the_other_gets_it_with_the_refusal_noted(
    uow, customers, smtp_server
):
    smtp_server.reject_recipient("gone@acme.example")
    item_id = queue_email(uow, customers["ACME"], to="ap@acme.example, gone@acme.example")

    report = send_outbox(uow, TODAY)

    assert report.states == {item_id: "sent"}
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["ap@acme.example"]
    item = read_outbox(uow)[item_id]
    assert item.state == OutboxState.SENT
    assert "gone@acme.example: 550 5.1.1 No such user" in item.last_error
    [latest, *_] = list_timeline(uow, customers["ACME"])
    assert latest.summary.startswith("Email sent to ap@acme.example, gone@acme.example")
    assert "refused: gone@acme.example: 550" in latest.summary


def test_with_a_copy_to_self_a_refused_customer_fails_and_nothing_is_sent(
    uow, customers, smtp_server
):
    save_settings(uow, {"smtp.bcc_self": "yes"})
    smtp_server.reject_recipient("buchhaltung@mueller.example", 550, "5.1.1 No such user here")
    refused = queue_email(uow, customers["MUELLER"], to="buchhaltung@mueller.example")
    after = queue_email(uow, customers["ACME"])

    report = send_outbox(uow, TODAY)

    assert report.states == {refused: "failed", after: "sent"}
    item = read_outbox(uow)[refused]
    assert item.state == OutboxState.FAILED
    assert "550 5.1.1 No such user here" in item.last_error
    [latest, *_] = list_timeline(uow, customers["MUELLER"])
    assert latest.summary.startswith("Email failed")
    # Only the next email went (with its copy to self); the refused one's copy alone did not.
    assert [r.rcpt_tos for r in smtp_server.messages] == [["ap@acme.example", SENDER]]


def test_with_a_copy_to_self_a_customer_put_off_is_retried_not_sent(uow, customers, smtp_server):
    save_settings(uow, {"smtp.bcc_self": "yes"})
    smtp_server.reject_recipient("buchhaltung@mueller.example", 450, "4.2.0 Try again later")
    put_off = queue_email(uow, customers["MUELLER"], to="buchhaltung@mueller.example")

    report = send_outbox(uow, TODAY)

    assert report.states == {put_off: "retrying"}
    [item] = read_outbox(uow).values()  # no follow-up item: the email itself is retried
    assert item.state == OutboxState.QUEUED
    assert item.retry_at is not None
    assert "450 4.2.0 Try again later" in item.last_error
    assert smtp_server.messages == []


# -- another process holds the ledger locked ---------------------------------------------------


def hold_write_lock(ledger_path: Path, after: float, seconds: float) -> threading.Thread:
    """A second connection (another Duebook) holds the write lock for a while, from ``after``."""

    def hold() -> None:
        clock_time.sleep(after)
        con = sqlite3.connect(ledger_path, timeout=0, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            clock_time.sleep(seconds)
            con.execute("ROLLBACK")
        finally:
            con.close()

    thread = threading.Thread(target=hold)
    thread.start()
    return thread


def test_a_ledger_locked_longer_than_the_busy_timeout_after_the_server_took_it_waits(
    uow, customers, smtp_server, ledger_path, caplog
):
    caplog.set_level(logging.WARNING, "app.services.mail.outbox_sender")
    ids = queue_many(uow, customers["ACME"], 2)
    # The server takes the first message and answers after 1 s; by then the ledger has been
    # locked for 0.7 s and stays so for 6.5 s: beyond SQLite's busy timeout (5 s).
    smtp_server.delay_reply(1.0, times=1, command="DATA")
    holder = hold_write_lock(ledger_path, after=0.3, seconds=6.5)
    try:
        report = send_outbox(uow, TODAY)
    finally:
        holder.join()

    assert report.states == dict.fromkeys(ids, "sent")
    assert "the ledger is locked by another program" in caplog.text
    assert {i.state for i in read_outbox(uow).values()} == {OutboxState.SENT}
    assert len(smtp_server.messages) == 2
    assert_each_once(smtp_server, uow)


def test_a_ledger_locked_beyond_the_patience_raises_and_the_command_line_says_it_is_busy(
    uow, customers, smtp_server, ledger_path, monkeypatch, capsys
):
    queue_many(uow, customers["ACME"], 1)
    monkeypatch.setattr(outbox_sender, "LOCKED_PATIENCE", 0.0)
    holder = hold_write_lock(ledger_path, after=0.0, seconds=6.0)
    clock_time.sleep(0.3)
    try:
        status = main(["reminders", "run", "--db", str(ledger_path), "--today", TODAY.isoformat()])
    finally:
        holder.join()

    assert status == 1
    err = capsys.readouterr().err
    assert err == (
        "duebook: the ledger is busy (another Duebook is writing to it); try again in a moment\n"
    )


# -- a process dies between "sending" and "sent" -----------------------------------------------


def shared_keyring(backend: PlaintextKeyring, tmp_path: Path) -> dict[str, str]:
    """Point the test's keyring at the file a child process with the returned env reads."""
    data = tmp_path / "xdg-data"
    backend.file_path = str(data / "python_keyring" / "keyring_pass.cfg")
    return {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "XDG_DATA_HOME": str(data),
        "PYTHONPATH": str(REPO),
    }


DIES_AFTER_THE_FIRST_MESSAGE = """
import os, sys
from datetime import date
from pathlib import Path

import app.services.mail.outbox_sender as sender
from app.models.db import open_ledger
from app.services.uow import UnitOfWork


def die(*args, **kwargs):
    os._exit(9)


sender._record_outcome = die
uow = UnitOfWork(open_ledger(Path(sys.argv[1])), actor="dying")
sender.send_outbox(uow, date.fromisoformat(sys.argv[2]))
"""


def test_a_send_cut_short_by_a_dead_process_becomes_unknown_and_is_not_sent_again(
    uow, ledger_path, tmp_path, smtp_server, test_keyring
):
    env = shared_keyring(test_keyring, tmp_path)
    ids = build_ledger(uow, tmp_path)
    configure_mail(uow, smtp_server)
    first, *rest = queue_many(uow, ids["ACME"], 4)

    dying = subprocess.Popen(  # noqa: S603 - this interpreter, arguments from the test
        [sys.executable, "-c", DIES_AFTER_THE_FIRST_MESSAGE, str(ledger_path), TODAY.isoformat()],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, err = dying.communicate(timeout=60)

    assert dying.returncode == 9, err
    assert smtp_server.wait_for(1)
    assert len(smtp_server.messages) == 1
    items = read_outbox(uow)
    assert items[first].state == OutboxState.SENDING
    assert [items[i].state for i in rest] == [OutboxState.QUEUED] * 3
    with uow:
        holder = uow.session.scalars(select(Lease.holder).where(Lease.name == "outbox")).one()
    assert holder.split(":")[1] == str(dying.pid), "the dead process still holds the lease"

    report = send_outbox(uow, TODAY)

    assert not report.busy, "a dead process's lease on this host is taken over at once"
    assert report.states == dict.fromkeys(rest, "sent")
    items = read_outbox(uow)
    assert items[first].state == OutboxState.UNKNOWN
    assert "may have been sent" in items[first].last_error
    assert [items[i].state for i in rest] == [OutboxState.SENT] * 3
    arrived = message_ids(smtp_server)
    assert len(arrived) == 4
    assert len(set(arrived)) == 4
    assert arrived[0] == items[first].message_id
    assert send_outbox(uow, TODAY).states == {}
    assert len(smtp_server.messages) == 4
    timeline = list_timeline(uow, ids["ACME"])
    assert any(e.summary.startswith("Email may have been sent") for e in timeline)


# -- the clock jumps; the window and cron at once ----------------------------------------------


class FakeNow:
    def __init__(self, start: datetime) -> None:
        self.value = start

    def __call__(self) -> datetime:
        return self.value


def pass_runs(uow: UnitOfWork) -> list[str]:
    """The days of the reminder runs the audit log shows, in order."""
    with uow:
        rows = uow.session.scalars(
            select(AuditEntry.after)
            .where(AuditEntry.action == "run", AuditEntry.entity == "reminders")
            .order_by(AuditEntry.id)
        ).all()
    return list(rows)


def test_a_clock_that_jumps_three_days_catches_up_with_one_pass(
    uow, session_factory, customers, smtp_server
):
    local = datetime.now().astimezone().tzinfo
    now = FakeNow(datetime.combine(TODAY, time(8, 30), tzinfo=local))
    results: list[JobResult] = []
    jobs = BackgroundJobs(
        lambda: UnitOfWork(session_factory, actor="window"), results.append, now=now
    )
    assert load_settings(uow)["reminders.send_time"] == "09:00"
    yesterday = TODAY - timedelta(days=1)
    record_run(uow, REMINDERS, yesterday, ok=True, result="yesterday's pass")

    assert jobs.watch() is None, "before the send time nothing runs"
    assert last_run(uow, REMINDERS).last_run_on == yesterday
    assert pass_runs(uow) == []

    now.value = datetime.combine(TODAY, time(9, 5), tzinfo=local)
    first = jobs.watch()
    assert first is not None
    assert first.ok, first.message
    assert jobs.watch() is None
    assert last_run(uow, REMINDERS).last_run_on == TODAY
    assert len(smtp_server.messages) == 2

    now.value += timedelta(days=3)
    later = [jobs.watch() for _ in range(5)]

    assert [r is not None for r in later] == [True, False, False, False, False]
    assert last_run(uow, REMINDERS).last_run_on == TODAY + timedelta(days=3)
    runs = pass_runs(uow)
    assert len(runs) == 2
    assert (TODAY + timedelta(days=3)).isoformat() in runs[1]
    assert [r.job for r in results] == [REMINDERS, REMINDERS]
    assert_each_once(smtp_server, uow)


def test_a_clock_that_was_ahead_and_is_set_back_runs_one_pass_and_goes_on(
    uow, session_factory, customers, smtp_server, caplog
):
    local = datetime.now().astimezone().tzinfo
    now = FakeNow(datetime.combine(TODAY, time(8, 30), tzinfo=local))
    results: list[JobResult] = []
    jobs = BackgroundJobs(
        lambda: UnitOfWork(session_factory, actor="window"), results.append, now=now
    )
    # A pass ran while the clock was a month ahead; the clock has been set right since.
    ahead = TODAY + timedelta(days=30)
    record_run(uow, REMINDERS, ahead, ok=True, result="the pass of a clock a month ahead")

    with caplog.at_level(logging.WARNING, "app.services.scheduler"):
        first = [jobs.watch() for _ in range(3)]

    assert [r is not None for r in first] == [True, False, False], "due once, not each minute"
    assert first[0] is not None
    assert first[0].ok, first[0].message
    assert "the computer's clock was ahead and has gone back" in caplog.text
    assert last_run(uow, REMINDERS).last_run_on == TODAY
    assert len(pass_runs(uow)) == 1
    assert TODAY.isoformat() in pass_runs(uow)[0]
    assert len(smtp_server.messages) == 2

    now.value = datetime.combine(TODAY + timedelta(days=1), time(9, 1), tzinfo=local)
    assert jobs.watch() is not None, "tomorrow's pass comes at its time, not in a month"
    assert last_run(uow, REMINDERS).last_run_on == TODAY + timedelta(days=1)


def cli_pass(ledger_path: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - this interpreter, arguments from the test
        [
            sys.executable,
            "-m",
            "app.cli",
            "reminders",
            "run",
            "--db",
            str(ledger_path),
            "--today",
            TODAY.isoformat(),
        ],
        env={**env, "DUEBOOK_DB": str(ledger_path)},
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("first", ["window", "command line"])
def test_the_window_and_a_command_line_run_at_once_send_each_email_once(
    uow, ledger_path, session_factory, tmp_path, smtp_server, test_keyring, first
):
    env = shared_keyring(test_keyring, tmp_path)
    build_ledger(uow, tmp_path, extra_customers=40)
    configure_mail(uow, smtp_server)
    local = datetime.now().astimezone().tzinfo
    now = FakeNow(datetime.combine(TODAY, time(10, 0), tzinfo=local))
    results: list[JobResult] = []
    jobs = BackgroundJobs(
        lambda: UnitOfWork(session_factory, actor="window"), results.append, now=now
    )

    launched = threading.Event()

    def window() -> None:
        jobs.watch()
        launched.wait(timeout=30)  # the command line is started (a quick watch() is possible)
        while cli.poll() is None:
            jobs.send_mail()
            threading.Event().wait(0.02)
        jobs.send_mail()

    thread = threading.Thread(target=window)
    if first == "window":
        thread.start()
        cli = cli_pass(ledger_path, env)
        launched.set()
    else:
        cli = cli_pass(ledger_path, env)
        launched.set()
        assert smtp_server.wait_for(1, timeout=30), "the command line is sending"
        thread.start()
    _, err = cli.communicate(timeout=60)
    thread.join(timeout=60)

    assert cli.returncode == 0, err
    assert not thread.is_alive()
    items = read_outbox(uow)
    assert len(items) == 42
    assert {i.state for i in items.values()} == {OutboxState.SENT}
    assert len(smtp_server.messages) == 42
    assert_each_once(smtp_server, uow)
    with uow:
        assert uow.session.scalar(select(func.count()).select_from(Lease)) == 0


def test_two_threads_sending_one_outbox_send_each_email_once(
    uow, session_factory, tmp_path, smtp_server, test_keyring
):
    ids = build_ledger(uow, tmp_path)
    configure_mail(uow, smtp_server)
    queue_many(uow, ids["ACME"], 30)
    start = threading.Barrier(3)
    reports = []

    def sender() -> None:
        own = UnitOfWork(session_factory, actor="thread")
        start.wait()
        for _ in range(5):
            reports.append(send_outbox(own, TODAY))

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(r.count("sent") for r in reports) == 30
    assert {i.state for i in read_outbox(uow).values()} == {OutboxState.SENT}
    assert len(smtp_server.messages) == 30
    assert_each_once(smtp_server, uow)


# -- the password is never written down --------------------------------------------------------


@pytest.fixture
def app_log(ledger_path: Path) -> Iterator[Path]:
    """The app's log file at DEBUG, the root logger put back afterwards.

    The test server runs in this process; its own log (aiosmtpd's ``mail.log``, the server side
    of each session) is kept out of the file, which is to hold what Duebook's side writes.
    """
    root, server_log = logging.getLogger(), logging.getLogger("mail.log")
    level, handlers = root.level, list(root.handlers)
    path = configure_logging(ledger_path, level=logging.DEBUG)
    server_log.propagate = False
    try:
        yield path
    finally:
        server_log.propagate = True
        for handler in root.handlers:
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)


def secret_forms(user: str, password: str) -> list[bytes]:
    """The password as UTF-8 and Latin-1, and in base64 as AUTH PLAIN and LOGIN send it.

    Inside a longer base64 run the password's own characters depend on where it starts, so the
    middle of its encoding at each of the three alignments is looked for too.
    """
    plain = password.encode()
    forms = [plain, password.encode("latin-1", "replace"), base64.b64encode(plain)]
    forms.append(base64.b64encode(b"\0" + user.encode() + b"\0" + plain))
    forms += [base64.b64encode(b"\0" * shift + plain)[4:-4] for shift in (0, 1, 2)]
    return forms


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_password_is_never_in_the_log_the_ledger_or_any_message(
    uow, ledger_path, session_factory, customers, smtp_server, app_log
):
    password, wrong = smtp_server.password, "Wr0ng-Kennwört!"
    logging.getLogger("app").debug("logging works")
    words: list[str] = []
    results: list[JobResult] = []
    local = datetime.now().astimezone().tzinfo
    now = FakeNow(datetime.combine(TODAY, time(10, 0), tzinfo=local))
    jobs = BackgroundJobs(
        lambda: UnitOfWork(session_factory, actor="window"), results.append, now=now
    )
    good = dict(load_settings(uow))

    def attempt(**settings: str) -> None:
        queue_email(uow, customers["ACME"])
        save_settings(uow, good | settings)
        words.append(send_outbox(uow, TODAY).problem)
        jobs.send_mail()
        try:
            words.append(send_test_email(load_settings(uow), "me@duebook.example"))
        except TrialError as exc:
            words.append(str(exc))

    store_password(smtp_server.host, smtp_server.user, wrong)
    attempt()
    store_password(smtp_server.host, smtp_server.user, password)
    attempt(**{"smtp.ca_file": ""})
    attempt(**{"smtp.port": str(closed_port())})
    store_password("smtp.duebook.invalid", smtp_server.user, password)
    attempt(**{"smtp.host": "smtp.duebook.invalid"})
    attempt()
    attempt(**{"smtp.bcc_self": "yes"})

    assert "refused the user name or password" in words[0]
    assert any("certificate is not trusted" in w for w in words)
    assert any("refused the connection" in w for w in words)
    assert any("was not found" in w for w in words)
    assert len(smtp_server.messages) >= 6, "the good attempts sent everything queued"
    words += [r.message for r in results]
    words += [i.last_error for i in read_outbox(uow).values()]
    words += [e.summary for e in list_timeline(uow, customers["ACME"])]
    with uow:
        words += list(uow.session.scalars(select(JobRun.result)))
    for handler in logging.getLogger().handlers:
        handler.flush()
    log_text = app_log.read_bytes()
    assert b"logging works" in log_text
    stored = b"".join(
        p.read_bytes() for p in ledger_path.parent.glob(ledger_path.name + "*") if p.is_file()
    )
    for secret in (password, wrong):
        for form in secret_forms(smtp_server.user, secret):
            assert form not in log_text
            assert form not in stored
            for text in words:
                assert form not in text.encode(), text


# -- offline ------------------------------------------------------------------------------------


def test_offline_the_items_wait_and_go_when_the_server_is_back(
    uow, tmp_path, smtp_certificate, test_keyring
):
    ids = build_ledger(uow, tmp_path)
    # Bound to its port but not listening yet: a connection to it is refused, as offline.
    server = LocalSmtpServer(tmp_path / "later", certificate=smtp_certificate)
    configure_mail(uow, server)
    queued = queue_many(uow, ids["ACME"], 3)

    report = send_outbox(uow, TODAY)

    assert report.states == {}
    assert report.waiting == 3
    assert report.problem.startswith("The mail server refused the connection on 127.0.0.1:")
    assert "Check the port" in report.problem
    items = read_outbox(uow)
    assert [items[i].state for i in queued] == [OutboxState.QUEUED] * 3
    assert [items[i].attempts for i in queued] == [0, 0, 0]
    assert [items[i].retry_at for i in queued] == [None] * 3

    with server:
        back = send_outbox(uow, TODAY)
        assert back.states == dict.fromkeys(queued, "sent")
        assert back.problem == ""
        assert len(server.messages) == 3
        assert_each_once(server, uow)


# -- Duebook closes while sending ----------------------------------------------------------------


class StopAfter(threading.Event):
    """A stop event that is set once the server has accepted ``count`` messages."""

    def __init__(self, server: LocalSmtpServer, count: int) -> None:
        super().__init__()
        self.server, self.count = server, count

    def is_set(self) -> bool:
        if len(self.server.messages) >= self.count:
            self.set()
        return super().is_set()


def test_a_stop_event_set_before_the_batch_sends_nothing_and_says_why(uow, customers, smtp_server):
    ids = queue_many(uow, customers["ACME"], 3)
    stop = threading.Event()
    stop.set()

    report = send_outbox(uow, TODAY, stop=stop)

    assert report.states == {}
    assert report.waiting == 3
    assert "Duebook is closing" in report.problem
    assert smtp_server.messages == []
    assert [read_outbox(uow)[i].state for i in ids] == [OutboxState.QUEUED] * 3


def test_a_daily_pass_stopped_because_duebook_is_closing_is_not_recorded_as_failed(
    uow, customers, smtp_server
):
    queue_many(uow, customers["ACME"], 2)
    stop = threading.Event()
    stop.set()

    passed = run_daily_pass(uow, TODAY, stop=stop)

    assert passed.mail is not None
    assert passed.mail.problem == outbox_sender.STOPPING
    assert passed.mail.ok
    run = last_run(uow, REMINDERS)
    assert run.ok
    assert run.last_run_on == TODAY
    assert "Duebook is closing" in run.result


def test_a_stop_event_set_mid_batch_leaves_the_rest_queued(uow, customers, smtp_server):
    first, second, *rest = queue_many(uow, customers["ACME"], 5)

    report = send_outbox(uow, TODAY, stop=StopAfter(smtp_server, 2))

    assert report.states == {first: "sent", second: "sent"}
    assert report.waiting == 3
    assert report.problem == "sending stopped because Duebook is closing; the rest go out next time"
    assert report.summary().startswith("2 sent, 3 waiting: sending stopped because Duebook")
    items = read_outbox(uow)
    assert [items[i].state for i in rest] == [OutboxState.QUEUED] * 3
    assert [items[i].attempts for i in rest] == [0] * 3
    assert len(smtp_server.messages) == 2
    assert_each_once(smtp_server, uow)
    with uow:
        assert uow.session.scalar(select(func.count()).select_from(Lease)) == 0, "lease released"


# -- "may have been sent" only when the message went and no final reply came (findings 1b, 2) --


def no_item_left_sending(uow: UnitOfWork) -> None:
    assert OutboxState.SENDING not in {i.state for i in read_outbox(uow).values()}


def test_a_server_that_hangs_up_after_the_whole_message_leaves_it_may_have_been_sent(
    uow, customers, smtp_server
):
    first, *rest = queue_many(uow, customers["ACME"], 3)
    smtp_server.hang_up_before_reply(times=1)

    report = send_outbox(uow, TODAY)

    assert report.states == {first: "unknown"} | dict.fromkeys(rest, "sent")
    assert report.problem == ""
    item = read_outbox(uow)[first]
    assert item.state == OutboxState.UNKNOWN
    assert item.retry_at is None
    assert "before the server confirmed it" in item.last_error
    assert item.last_error.endswith("it may have been sent")
    no_item_left_sending(uow)
    # The server did get it, once; the others went on a new connection.
    assert message_ids(smtp_server) == [read_outbox(uow)[i].message_id for i in (first, *rest)]
    assert [r.session_id for r in smtp_server.messages] == [1, 2, 2]
    timeline = list_timeline(uow, customers["ACME"])
    assert any(
        e.summary.startswith("Email may have been sent (the connection broke") for e in timeline
    )
    assert send_outbox(uow, TODAY).states == {}, "never sent again on its own"
    assert len(smtp_server.messages) == 3


def shorter_timeout(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """The account's network timeout (30 s) cut short for a test."""

    def account(*args: Any, **kwargs: Any) -> SmtpAccount:
        return dataclasses.replace(account_from_settings(*args, **kwargs), timeout=seconds)

    monkeypatch.setattr(outbox_sender, "account_from_settings", account)


def test_a_final_reply_that_does_not_come_in_time_leaves_it_may_have_been_sent(
    uow, customers, smtp_server, monkeypatch
):
    shorter_timeout(monkeypatch, 0.5)
    first, *rest = queue_many(uow, customers["ACME"], 3)
    smtp_server.delay_reply(3.0)

    report = send_outbox(uow, TODAY)

    assert report.states == {first: "unknown"} | dict.fromkeys(rest, "sent")
    item = read_outbox(uow)[first]
    assert item.state == OutboxState.UNKNOWN
    assert item.last_error == (
        "the mail server took the message but did not confirm it within 0.5 seconds; it may "
        "have been sent"
    )
    no_item_left_sending(uow)
    assert len(smtp_server.messages) == 3
    arrived = message_ids(smtp_server)
    assert len(set(arrived)) == 3
    assert arrived[0] == item.message_id
    assert send_outbox(uow, TODAY).states == {}


def test_421_after_the_message_and_a_hang_up_puts_it_off_and_the_rest_go(
    uow, customers, smtp_server
):
    first, *rest = queue_many(uow, customers["ACME"], 3)
    smtp_server.fail_data(421, "4.4.2 Closing connection, try later", hang_up=True)

    report = send_outbox(uow, TODAY)

    assert report.states == {first: "retrying"} | dict.fromkeys(rest, "sent")
    assert report.problem == ""
    item = read_outbox(uow)[first]
    assert item.state == OutboxState.QUEUED, "the server refused it: not 'may have been sent'"
    assert item.retry_at is not None
    assert "421 4.4.2 Closing connection" in item.last_error
    no_item_left_sending(uow)
    assert len(smtp_server.messages) == 2
    assert_each_once(smtp_server, uow)


def test_421_to_the_data_command_and_a_hang_up_puts_it_off_and_the_rest_go(
    uow, customers, smtp_server
):
    first, *rest = queue_many(uow, customers["ACME"], 3)
    smtp_server.fail_data_command(421, "4.3.2 Shutting down")

    report = send_outbox(uow, TODAY)

    assert report.states == {first: "retrying"} | dict.fromkeys(rest, "sent")
    item = read_outbox(uow)[first]
    assert item.state == OutboxState.QUEUED
    assert "421 4.3.2 Shutting down" in item.last_error
    no_item_left_sending(uow)
    assert len(smtp_server.messages) == 2
    assert smtp_server.connections == 2


def test_a_421_to_data_on_a_kept_connection_is_tried_again_on_a_new_one(
    uow, customers, smtp_server
):
    save_settings(uow, {"smtp.per_minute": "60"})  # its waits are not slept here
    ids = queue_many(uow, customers["ACME"], 3)
    faults = iter([lambda: smtp_server.fail_data_command(421, "4.7.0 Too many messages")])

    def between_messages(seconds: float) -> None:
        # After the first message, on the kept connection: the next DATA is refused and the
        # server closes.
        for inject in faults:
            inject()
            break

    report = send_outbox(uow, TODAY, sleep=between_messages)

    assert report.states == dict.fromkeys(ids, "sent")
    assert [r.session_id for r in smtp_server.messages] == [1, 2, 2]
    assert {i.attempts for i in read_outbox(uow).values()} == {1}
    no_item_left_sending(uow)
    assert_each_once(smtp_server, uow)


def test_an_interruption_before_the_message_went_puts_the_item_back_in_the_queue(
    uow, customers, smtp_server, monkeypatch
):
    item_id = queue_email(uow, customers["ACME"])

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(smtplib.SMTP, "rcpt", interrupted)

    with pytest.raises(KeyboardInterrupt):
        send_outbox(uow, TODAY)

    item = read_outbox(uow)[item_id]
    assert item.state == OutboxState.QUEUED
    assert item.last_error == "sending was interrupted before it went"
    assert smtp_server.messages == []
    with uow:
        assert uow.session.scalar(select(func.count()).select_from(Lease)) == 0


# -- problems of the account stop the batch (finding 4) ----------------------------------------


def test_a_sender_the_server_refuses_stops_the_batch_and_leaves_every_item_queued(
    uow, customers, smtp_server
):
    ids = queue_many(uow, customers["ACME"], 3)
    smtp_server.reject_sender(SENDER, 553, "5.7.1 Sender address rejected: not owned by user")

    report = send_outbox(uow, TODAY)

    assert report.states == {}
    assert report.waiting == 3
    assert report.problem == (
        f"The mail server does not allow sending as {SENDER} (553 5.7.1 Sender address "
        "rejected: not owned by user). Use your account's own address as the From address, or "
        "ask your provider to allow this one."
    )
    items = read_outbox(uow)
    assert [items[i].state for i in ids] == [OutboxState.QUEUED] * 3
    assert [items[i].attempts for i in ids] == [0] * 3
    assert not any(
        e.summary.startswith("Email failed") for e in list_timeline(uow, customers["ACME"])
    )

    smtp_server.reject_sender(None)
    assert send_outbox(uow, TODAY).states == dict.fromkeys(ids, "sent")


def test_530_authentication_required_stops_the_batch_in_words(uow, customers, smtp_server):
    ids = queue_many(uow, customers["ACME"], 2)
    smtp_server.fail_mail_from(530, "5.7.0 Authentication required")

    report = send_outbox(uow, TODAY)

    assert report.states == {}
    assert report.waiting == 2
    assert report.problem.startswith(
        "The mail server wants a login before it sends (530 5.7.0 Authentication required)."
    )
    assert "Settings → Email" in report.problem
    assert {read_outbox(uow)[i].state for i in ids} == {OutboxState.QUEUED}


def test_a_missing_logo_file_stops_the_batch_and_the_emails_go_once_it_is_fixed(
    uow, customers, smtp_server, tmp_path
):
    run_reminders(uow, TODAY)  # two reminders with their invoice PDFs attached
    logo = tmp_path / "logo-moved-away.png"
    save_settings(uow, {"company.logo_path": str(logo)})

    report = send_outbox(uow, TODAY)

    assert report.states == {}
    assert report.waiting == 2
    assert report.problem.startswith("the PDFs to attach cannot be made, so the emails wait:")
    assert str(logo) in report.problem
    assert "company.logo_path" in report.problem
    items = read_outbox(uow)
    assert {i.state for i in items.values()} == {OutboxState.QUEUED}
    assert {i.attempts for i in items.values()} == {0}
    assert smtp_server.messages == []

    save_settings(uow, {"company.logo_path": ""})
    assert send_outbox(uow, TODAY).count("sent") == 2


# -- the rate limit waits before claiming (finding 5) ------------------------------------------


def test_the_rate_limit_waits_while_no_item_is_marked_sending(uow, customers, smtp_server):
    save_settings(uow, {"smtp.per_minute": "30"})
    ids = queue_many(uow, customers["ACME"], 3)
    seen: list[set[str]] = []

    def wait(seconds: float) -> None:
        seen.append({i.state for i in read_outbox(uow).values()})

    report = send_outbox(uow, TODAY, sleep=wait)

    assert report.states == dict.fromkeys(ids, "sent")
    assert len(seen) == 2
    assert all(OutboxState.SENDING not in states for states in seen), seen


# -- an outcome only for the holder that claimed the item (finding 6) --------------------------


def take_over_when_sending(
    session_factory: Any, item_id: int, timeout: float = 10.0
) -> threading.Thread:
    """In another thread: once the item is ``sending``, do what a second sender does after
    this one's lease ran out (mark it ``unknown``), and what a person may then decide."""
    other = UnitOfWork(session_factory, actor="other")

    def run() -> None:
        deadline = clock_time.monotonic() + timeout
        while clock_time.monotonic() < deadline:
            with other:
                state = other.session.scalar(
                    select(OutboxItem.state).where(OutboxItem.id == item_id)
                )
                if state == OutboxState.SENDING:
                    other.session.execute(
                        update(OutboxItem)
                        .where(OutboxItem.id == item_id)
                        .values(
                            state=OutboxState.UNKNOWN,
                            claimed_by="elsewhere:1:taken",
                            last_error="taken over by another sender",
                        )
                    )
                    other.commit()
                    return
            clock_time.sleep(0.01)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_late_outcome_does_not_overwrite_an_item_another_sender_took_over(
    uow, session_factory, customers, smtp_server
):
    item_id = queue_email(uow, customers["ACME"])
    smtp_server.delay_reply(1.5)
    thread = take_over_when_sending(session_factory, item_id)

    report = send_outbox(uow, TODAY)
    thread.join(timeout=10)

    assert report.states == {}, "its outcome is not this sender's to record"
    item = read_outbox(uow)[item_id]
    assert item.state == OutboxState.UNKNOWN
    assert item.last_error == "taken over by another sender"
    assert item.attempts == 0
    assert len(smtp_server.messages) == 1


def test_a_late_unclaim_does_not_put_back_an_item_another_sender_took_over(
    uow, session_factory, customers, smtp_server
):
    item_id = queue_email(uow, customers["ACME"])
    smtp_server.delay_reply(1.5, command="MAIL")
    smtp_server.fail_mail_from(553, "5.7.1 Not your address", times=1)
    thread = take_over_when_sending(session_factory, item_id)

    report = send_outbox(uow, TODAY)
    thread.join(timeout=10)

    assert "does not allow sending as" in report.problem
    item = read_outbox(uow)[item_id]
    assert item.state == OutboxState.UNKNOWN, "not put back to queued under the other's feet"
    assert item.last_error == "taken over by another sender"
    assert smtp_server.messages == []


# -- one recipient put off while the others got it (finding 10) --------------------------------


def test_a_recipient_put_off_gets_the_email_in_a_follow_up_that_is_retried_later(
    uow, customers, smtp_server
):
    smtp_server.reject_recipient("einkauf@acme.example", 450, "4.2.1 Mailbox busy", times=1)
    item_id = queue_email(uow, customers["ACME"], to="ap@acme.example, einkauf@acme.example")
    started = utcnow()

    report = send_outbox(uow, TODAY)

    assert report.states == {item_id: "sent"}
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["ap@acme.example"]
    items = read_outbox(uow)
    [follow_id] = set(items) - {item_id}
    original, follow = items[item_id], items[follow_id]
    assert original.state == OutboxState.SENT
    assert "einkauf@acme.example: 450 4.2.1 Mailbox busy" in original.last_error
    assert original.last_error.endswith("queued again for einkauf@acme.example")
    assert follow.state == OutboxState.QUEUED
    assert follow.attempts == 1
    assert follow.retry_at is not None
    assert started + timedelta(seconds=50) < follow.retry_at <= utcnow() + timedelta(minutes=1)
    assert follow.subject == original.subject
    with uow:
        row = uow.session.get(OutboxItem, follow_id)
        assert row is not None
        assert row.to_addrs == "einkauf@acme.example"
        assert row.key.startswith(f"later-{item_id}:")
    [latest, *_] = list_timeline(uow, customers["ACME"])
    assert "refused: einkauf@acme.example: 450" in latest.summary
    assert "it goes to einkauf@acme.example in a new email after" in latest.summary

    assert send_outbox(uow, TODAY).states == {}, "not before its retry time"
    with uow:
        uow.session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == follow_id)
            .values(retry_at=utcnow() - timedelta(seconds=1))
        )
        uow.commit()
    later = send_outbox(uow, TODAY)

    assert later.states == {follow_id: "sent"}
    assert [r.rcpt_tos for r in smtp_server.messages] == [
        ["ap@acme.example"],
        ["einkauf@acme.example"],
    ]
    assert read_outbox(uow)[follow_id].attempts == 2
    assert send_outbox(uow, TODAY).states == {}


# -- failures said plainly (findings 12, 16) ---------------------------------------------------


def test_a_server_without_starttls_is_said_plainly(uow, tmp_path, smtp_certificate, test_keyring):
    ids = build_ledger(uow, tmp_path)
    with LocalSmtpServer(tmp_path / "plain", certificate=smtp_certificate, mode="none") as plain:
        configure_mail(uow, plain, **{"smtp.security": "starttls"})
        queue_email(uow, ids["ACME"])

        report = send_outbox(uow, TODAY)

    assert report.problem == (
        f"The mail server at {plain.host}:{plain.port} does not offer STARTTLS, so no secure "
        "connection can be made on this port. Check the security setting and the port: port "
        "465 usually needs SSL/TLS, port 587 STARTTLS."
    )
    assert report.waiting == 1


def test_a_login_without_tls_is_allowed_to_a_server_on_this_computer(
    uow, tmp_path, smtp_certificate, test_keyring
):
    ids = build_ledger(uow, tmp_path)
    with LocalSmtpServer(tmp_path / "plain", certificate=smtp_certificate, mode="none") as plain:
        configure_mail(uow, plain, **{"smtp.security": "none", "smtp.ca_file": ""})
        item_id = queue_email(uow, ids["ACME"])

        report = send_outbox(uow, TODAY)

    assert plain.host == "127.0.0.1"
    assert report.problem == ""
    assert report.states == {item_id: "sent"}
    assert len(plain.messages) == 1


def test_a_login_without_tls_to_a_server_elsewhere_is_refused_before_connecting(
    uow, customers, smtp_server
):
    save_settings(uow, {"smtp.host": "mail.example.com", "smtp.security": "none"})
    store_password("mail.example.com", smtp_server.user, smtp_server.password)
    queue_email(uow, customers["ACME"])

    report = send_outbox(uow, TODAY)

    assert "the password would cross the network unencrypted" in report.problem
    assert report.waiting == 1
    assert smtp_server.connections == 0


def test_a_server_that_offers_no_login_is_said_plainly(uow, customers, smtp_server):
    # Without STARTTLS this server offers no AUTH (as most submission servers).
    save_settings(uow, {"smtp.security": "none"})
    queue_email(uow, customers["ACME"])

    report = send_outbox(uow, TODAY)

    assert report.problem.startswith(
        f"The mail server at {smtp_server.host}:{smtp_server.port} does not offer a login "
        f"(AUTH) on this connection, so it cannot check the password of {smtp_server.user}."
    )
    assert "not supported by server" not in report.problem


@pytest.mark.parametrize("password", ["ascii-only-secret", "s3cret-Pässwörd"])
def test_a_server_that_offers_no_password_login_says_so_not_cannot_reach(
    uow, tmp_path, smtp_certificate, test_keyring, password
):
    # Like a provider that wants OAuth: AUTH is offered, with no mechanism a password fits.
    ids = build_ledger(uow, tmp_path)
    with LocalSmtpServer(
        tmp_path / "oauth", certificate=smtp_certificate, password=password, auth_mechanisms=()
    ) as server:
        configure_mail(uow, server)
        queue_email(uow, ids["ACME"])

        report = send_outbox(uow, TODAY)
        with pytest.raises(TrialError) as trial:
            send_test_email(load_settings(uow), "me@duebook.example")

    expected = (
        f"The mail server at {server.host}:{server.port} offers no login Duebook can use with a "
        "password (it may want OAuth, a sign-in through the browser). If your provider offers "
        "app passwords, create one and enter it as the password in Settings → Email."
    )
    assert report.problem == expected
    assert str(trial.value) == expected
    assert report.waiting == 1
    assert server.messages == []


def test_a_reason_ending_in_a_full_stop_gets_no_second_one():
    account = SmtpAccount(
        host="mail.example.com", port=587, security="starttls", user="", from_addr="a@b.example"
    )
    words = describe_connection_failure(OSError("Network is unreachable."), account)
    assert words == "Cannot reach the mail server at mail.example.com:587: Network is unreachable."


@pytest.mark.parametrize("damage", ["removed", "not a certificate"])
def test_a_ca_file_that_cannot_be_read_is_named(uow, customers, smtp_server, tmp_path, damage):
    ca_file = tmp_path / "company-ca.pem"
    ca_file.write_bytes(smtp_server.cafile.read_bytes())
    save_settings(uow, {"smtp.ca_file": str(ca_file)})
    if damage == "removed":
        ca_file.unlink()
    else:
        ca_file.write_text("this is not a certificate\n")
    queue_email(uow, customers["ACME"])

    report = send_outbox(uow, TODAY)
    with pytest.raises(TrialError) as trial:
        send_test_email(load_settings(uow), "me@duebook.example")

    expected = f"The CA file {ca_file} named in Settings → Email cannot be read: "
    assert report.problem.startswith(expected)
    assert str(trial.value).startswith(expected)
    if damage == "removed":
        assert "No such file or directory" in report.problem
    else:
        assert "it holds no certificate in PEM form" in report.problem
    assert "Cannot reach the mail server" not in report.problem
    assert report.waiting == 1


def test_an_outbox_being_sent_already_is_said_so(uow, customers, smtp_server):
    queue_email(uow, customers["ACME"])
    assert acquire_lease(uow, "outbox", "this-window:1:scheduler", timedelta(minutes=10))

    report = send_outbox(uow, TODAY)

    assert report.busy
    assert report.summary() == (
        "the outbox is being sent already; these emails go out with it or next time"
    )
    assert smtp_server.messages == []
