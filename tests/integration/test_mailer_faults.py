"""The sending core under faults (issue 5 §5), against a real SMTP server and a real ledger file.

A server that hangs up in the middle of a batch, answers 451 or 550, a process killed between
"sending" and "sent", a clock that jumps three days, the window and a cron run at the same time,
a password that must never be written down anywhere, and a computer that is offline.
"""

from __future__ import annotations

import base64
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from keyrings.alt.file import PlaintextKeyring
from sqlalchemy import func, select, update

from app.log import configure_logging
from app.models.activity import AuditEntry
from app.models.base import utcnow
from app.models.collections import OutboxItem, OutboxState
from app.models.jobs import JobRun, Lease
from app.services.job_runs import REMINDERS, last_run
from app.services.mail.outbox_sender import send_outbox
from app.services.mail.password import store_password
from app.services.mail.trial import TrialError, send_test_email
from app.services.scheduler import BackgroundJobs, JobResult
from app.services.settings import load_settings, save_settings
from app.services.timeline import list_timeline
from app.services.uow import UnitOfWork
from tests.conftest import TODAY
from tests.integration.test_mailer import (
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

    assert jobs.watch() is None, "before the send time nothing runs"
    assert last_run(uow, REMINDERS).last_run_on is None
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

    def window() -> None:
        jobs.watch()
        while cli.poll() is None:
            jobs.send_mail()
            threading.Event().wait(0.02)
        jobs.send_mail()

    thread = threading.Thread(target=window)
    if first == "window":
        thread.start()
        cli = cli_pass(ledger_path, env)
    else:
        cli = cli_pass(ledger_path, env)
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
    """A stop event that is set once it has been asked ``checks`` times (before item checks+1)."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self.checks = checks

    def is_set(self) -> bool:
        self.checks -= 1
        if self.checks < 0:
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


def test_a_stop_event_set_mid_batch_leaves_the_rest_queued(uow, customers, smtp_server):
    first, second, *rest = queue_many(uow, customers["ACME"], 5)

    report = send_outbox(uow, TODAY, stop=StopAfter(2))

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
