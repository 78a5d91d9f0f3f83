"""Sending the outbox: at most once, one connection per batch, temporary failures retried.

Only the holder of the ``outbox`` lease sends. Each item is marked ``sending`` (and committed)
before it goes to the server and ``sent``, ``failed`` or back to ``queued`` after, so an item found
in ``sending`` when the lease is taken was interrupted by a crash: it becomes ``unknown`` ("may
have been sent") and waits for a person. Nothing that may have reached the server is sent again
on its own.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import ColumnElement, Update, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.collections import OutboxItem, OutboxState
from app.models.customer import Customer
from app.services.audit import record_activity
from app.services.invoice_queries import get_invoice
from app.services.invoicing import InvoicingError
from app.services.leases import acquire_lease, new_holder, release_lease
from app.services.mail.account import MailSetupError, SmtpAccount, account_from_settings
from app.services.mail.message import (
    Attachment,
    MessageError,
    OutgoingEmail,
    build_message,
    check_sender,
    envelope_address,
    envelope_recipients,
    message_addresses,
    new_message_id,
    smtputf8_addresses,
    split_addresses,
)
from app.services.mail.password import PasswordStoreError, load_password
from app.services.mail.smtp import Delivery, DeliveryStatus, SmtpAccountError, SmtpConnection
from app.services.pdf_invoices import (
    PdfError,
    _company,  # the company settings every PDF is made with, checked as pdf_statement does
    invoice_pdf_name,
    render_invoice_pdf,
)
from app.services.pdf_statement import statement_pdf_bytes
from app.services.settings import get_setting, load_settings
from app.services.uow import UnitOfWork

log = logging.getLogger(__name__)

_T = TypeVar("_T")

LEASE = "outbox"
#: Renewed before every message; a holder gone for longer than this loses the lease.
LEASE_TTL = timedelta(minutes=10)
#: Waits after the 1st, 2nd, ... temporary failure; after the last the item is marked failed.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
STOPPING = "sending stopped because Duebook is closing; the rest go out next time"
INTERRUPTED = (
    "Duebook stopped while this email was being sent, so it may have been sent. Send it again "
    "or mark it as sent."
)
#: How long (seconds) a claim or an outcome waits for a ledger another process holds locked,
#: beyond SQLite's own busy timeout per try: an outcome lost would turn a sent email into a
#: "may have been sent" one.
LOCKED_PATIENCE = 60.0
#: The longest wait between two tries on a locked ledger.
_LOCKED_MAX_WAIT = 8.0
#: Where an item's sending shows on the timeline, by the item's kind.
_TIMELINE_KIND = {"invoice": "invoice", "credit_note": "credit_note", "receipt": "payment"}


@dataclass
class SendReport:
    """What one run of the sender did; ``problem`` says in words why it stopped early."""

    states: dict[int, str] = field(default_factory=dict)
    waiting: int = 0
    problem: str = ""
    busy: bool = False
    paused: bool = False
    #: No mail server is set up at all: the emails wait, and that is nobody's mistake yet.
    unconfigured: bool = False

    @property
    def ok(self) -> bool:
        """Whether the run did not fail: no problem, or only stopped because Duebook is closing."""
        return not self.problem or self.problem == STOPPING

    def count(self, state: str) -> int:
        """How many items of this run ended in ``state`` (``retrying`` for put off)."""
        return sum(1 for s in self.states.values() if s == state)

    def summary(self) -> str:
        """One line: ``"3 sent, 1 failed, 2 waiting: <problem>"``."""
        if self.busy:
            return "the outbox is being sent already; these emails go out with it or next time"
        words = {
            "sent": "sent",
            "failed": "failed",
            "retrying": "put off by the server",
            "unknown": "may have been sent",
        }
        parts = [
            f"{self.count(state)} {word}" for state, word in words.items() if self.count(state)
        ]
        if self.waiting:
            parts.append(f"{self.waiting} waiting")
        text = ", ".join(parts) or "nothing to send"
        return f"{text}: {self.problem}" if self.problem else text


@dataclass(frozen=True)
class _Prepared:
    item_id: int
    customer_id: int
    kind: str
    subject: str
    to: str
    message_id: str
    #: The envelope: sender and recipients, domains in ASCII form.
    sender: str
    recipients: tuple[str, ...]
    #: The envelope form of the To addresses (the recipients without a blind copy to self).
    to_envelope: tuple[str, ...]
    #: Addresses with a local part beyond ASCII: the message needs SMTPUTF8.
    smtputf8: tuple[str, ...]
    data: bytes


@dataclass(frozen=True)
class _AccountProblem:
    """Why no item can be sent as things are (the settings, not the item): the batch stops."""

    words: str


def send_outbox(
    uow: UnitOfWork,
    today: date,
    *,
    only: Collection[int] | None = None,
    password_lookup: Callable[[str, str], str | None] = load_password,
    sleep: Callable[[float], object] | None = None,
    stop: threading.Event | None = None,
) -> SendReport:
    """Send every queued email that is due, over one connection.

    An item is ``unknown`` ("may have been sent") only when its whole message went to the server
    and no final reply came. Whatever fails before that puts it back to ``queued`` (the server
    put it off, the connection broke) or ``failed`` (refused for good, in the server's words).
    Problems of the account or the company settings (the server unreachable, the sender refused,
    a logo file missing) stop the batch: the items stay queued and ``problem`` says why.

    Args:
        uow: the unit of work.
        today: items are due when their ``send_after`` is today or earlier.
        only: send only these items (still only if queued and due).
        password_lookup: where the SMTP password comes from (the keyring).
        sleep: how the rate limit waits; by default ``stop.wait`` (so closing does not wait
            for it), or ``time.sleep`` without ``stop``.
        stop: checked before each item; once set, the rest stay queued and ``problem`` says
            that sending stopped because Duebook is closing.
    """
    report = SendReport()
    holder = new_holder()
    if not acquire_lease(uow, LEASE, holder, LEASE_TTL):
        report.busy = True
        return report
    try:
        _mark_interrupted(uow)
        due = _due_ids(uow, today, utcnow(), only)
        if due:
            pause = sleep or (stop.wait if stop is not None else time.sleep)
            _send(uow, due, today, holder, report, password_lookup, pause, stop)
    finally:
        release_lease(uow, LEASE, holder)
    return report


def _send(
    uow: UnitOfWork,
    due: list[int],
    today: date,
    holder: str,
    report: SendReport,
    password_lookup: Callable[[str, str], str | None],
    pause: Callable[[float], object],
    stop: threading.Event | None,
) -> None:
    values = load_settings(uow)
    if values["mail.paused"] == "yes":
        report.paused, report.waiting = True, len(due)
        report.problem = "sending is paused (Settings → Email)"
        return
    try:
        account = account_from_settings(values, password_lookup)
        check_sender(account)
    except (MailSetupError, PasswordStoreError) as exc:
        report.waiting, report.problem = len(due), str(exc)
        report.unconfigured = not values["smtp.host"]
        return
    except MessageError as exc:
        report.waiting = len(due)
        report.problem = f"the sender in Settings → Email cannot be used: {exc}"
        return
    with SmtpConnection(account) as connection:
        batch = _Batch(uow, today, holder, report, account, values, connection, pause, stop)
        for position, item_id in enumerate(due):
            problem = batch.send_one(item_id)
            if problem is not None:
                log.warning("sending stopped: %s", problem)
                report.waiting += len(due) - position
                report.problem = report.problem or problem
                return


@dataclass
class _Batch:
    """One run over the due items on one connection; `send_one` per item."""

    uow: UnitOfWork
    today: date
    holder: str
    report: SendReport
    account: SmtpAccount
    values: dict[str, str]
    connection: SmtpConnection
    pause: Callable[[float], object]
    stop: threading.Event | None
    last_sent: float = 0.0

    def send_one(self, item_id: int) -> str | None:
        """Send one item; None to go on, or why the batch stops (the item stays queued)."""
        ready = self._ready(item_id)
        if not isinstance(ready, _Prepared):
            return ready
        return self._deliver(ready)

    def _ready(self, item_id: int) -> _Prepared | str | None:
        """The item's message, after the rate limit's wait; None to skip it; words to stop."""
        if self._stopping():
            return STOPPING
        if not acquire_lease(self.uow, LEASE, self.holder, LEASE_TTL) or _paused(self.uow):
            return "sending was paused"
        prepared = _prepare(self.uow, self.account, item_id, self.today, self.values)
        if isinstance(prepared, _AccountProblem):
            return prepared.words
        if isinstance(prepared, str):
            if _record_failure(self.uow, item_id, prepared):
                self.report.states[item_id] = "failed"
            return None
        if prepared is not None:
            # The rate limit waits before the item is claimed: never "sending" while it waits.
            self._keep_rate()
            if self._stopping():
                return STOPPING
        return prepared

    def _deliver(self, prepared: _Prepared) -> str | None:
        """Claim, hand over and record one message; words when the batch has to stop."""
        uow, item_id = self.uow, prepared.item_id
        if not _claim(uow, prepared, self.holder):
            return None
        try:
            delivery = self.connection.deliver(
                prepared.sender,
                prepared.recipients,
                prepared.data,
                smtputf8=prepared.smtputf8,
                copies=tuple(r for r in prepared.recipients if r not in prepared.to_envelope),
            )
        except SmtpAccountError as exc:
            _unclaim(uow, item_id, self.holder, str(exc))
            return str(exc)
        except BaseException:
            # Not a failure of the server (those are Deliveries): an interruption. Whatever it
            # is, an item whose message did not go is queued again; one that went stays
            # "sending" and becomes "may have been sent".
            if not self.connection.handed_over:
                _unclaim(uow, item_id, self.holder, "sending was interrupted before it went")
            raise
        self.last_sent = time.monotonic()
        state = _record_outcome(uow, prepared, delivery, self.holder)
        if state is not None:
            self.report.states[item_id] = state
        return None

    def _stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def _keep_rate(self) -> None:
        if not self.account.per_minute:
            return
        wait = self.last_sent + 60.0 / self.account.per_minute - time.monotonic()
        if wait > 0:
            self.pause(wait)


def _paused(uow: UnitOfWork) -> bool:
    return get_setting(uow, "mail.paused") == "yes"


def _mark_interrupted(uow: UnitOfWork) -> None:
    """Items left ``sending`` by a sender that is gone may have been sent: ``unknown``."""
    with uow:
        session = uow.session
        stuck = session.scalars(
            select(OutboxItem).where(OutboxItem.state == OutboxState.SENDING)
        ).all()
        for item in stuck:
            item.state = OutboxState.UNKNOWN
            item.last_error = INTERRUPTED
            _timeline(
                session, item.customer_id, item.kind, f"Email may have been sent: {item.subject}"
            )
        uow.commit()


def _due_ids(
    uow: UnitOfWork, today: date, now: datetime, only: Collection[int] | None
) -> list[int]:
    stmt = select(OutboxItem.id).where(
        OutboxItem.state == OutboxState.QUEUED,
        OutboxItem.send_after <= today,
        or_(OutboxItem.retry_at.is_(None), OutboxItem.retry_at <= now),
    )
    if only is not None:
        stmt = stmt.where(OutboxItem.id.in_(list(only)))
    with uow:
        return list(uow.session.scalars(stmt.order_by(OutboxItem.send_after, OutboxItem.id)))


#: A PDF error that names a setting (``company.iban``, ``invoice.payment_link``...) or the fonts
#: is the same for every document.
_SETTING_NAMED = re.compile(r"\b(?:company|invoice)\.[a-z_]+|\bfont\b")


def _prepare(
    uow: UnitOfWork, account: SmtpAccount, item_id: int, today: date, values: dict[str, str]
) -> _Prepared | _AccountProblem | str | None:
    """The message ready to go; a reason in words when it cannot be made; None if not queued.

    A PDF that cannot be made because of the company settings (a logo file gone, an IBAN that
    is not one) would fail every item alike: that is an `_AccountProblem`, not the item's.
    """
    with uow:
        found = uow.session.execute(
            select(OutboxItem, Customer.language, Customer.code)
            .join(Customer, Customer.id == OutboxItem.customer_id)
            .where(OutboxItem.id == item_id, OutboxItem.state == OutboxState.QUEUED)
        ).first()
        if found is None:
            return None
        item, language, code = found
        uow.session.expunge(item)
    try:
        attachments = _attachments(uow, item, today, values, language, code)
        email = OutgoingEmail(
            to=split_addresses(item.to_addrs),
            subject=item.subject,
            body_text=item.body_text,
            body_html=item.body_html,
            attachments=attachments,
            message_id=item.message_id or new_message_id(account),
        )
        message = build_message(account, email, utcnow().astimezone())
        recipients = envelope_recipients(account, email)
        to_envelope = tuple(envelope_address(addr) for addr in email.to)
    except PdfError as exc:
        if _company_fault(exc, values):
            return _AccountProblem(f"the PDFs to attach cannot be made, so the emails wait: {exc}")
        return f"the email could not be made: {exc}"
    except (MessageError, InvoicingError, ValueError, LookupError) as exc:
        return f"the email could not be made: {exc}"
    return _Prepared(
        item_id=item.id,
        customer_id=item.customer_id,
        kind=item.kind,
        subject=item.subject,
        to=item.to_addrs,
        message_id=email.message_id,
        sender=envelope_address(account.from_addr),
        recipients=recipients,
        to_envelope=to_envelope,
        smtputf8=smtputf8_addresses(message_addresses(account, email)),
        data=message.as_bytes(),
    )


def _company_fault(exc: PdfError, values: dict[str, str]) -> bool:
    """Whether a PDF failed because of the company settings (so every PDF would)."""
    try:
        _company(values)
    except PdfError:
        return True
    return bool(_SETTING_NAMED.search(str(exc)))


def _attachments(
    uow: UnitOfWork,
    item: OutboxItem,
    today: date,
    values: dict[str, str],
    language: str,
    customer_code: str,
) -> tuple[Attachment, ...]:
    files: list[Attachment] = []
    if item.attach_invoices:
        for invoice_id in json.loads(item.invoice_ids or "[]"):
            invoice = get_invoice(uow, invoice_id, today)
            buffer = io.BytesIO()
            render_invoice_pdf(invoice, values, buffer, language=language or None)
            files.append(Attachment(invoice_pdf_name(invoice), buffer.getvalue()))
    if item.attach_statement:
        with uow:
            data = statement_pdf_bytes(uow.session, item.customer_id, today)
        files.append(Attachment(f"statement-{customer_code}-{today.isoformat()}.pdf", data))
    return tuple(files)


def _ledger_locked(exc: OperationalError) -> bool:
    """Whether SQLite gave up waiting for another connection's write lock."""
    return "database is locked" in str(exc.orig)


def _while_locked(
    write: Callable[[], _T], what: str, sleep: Callable[[float], object] = time.sleep
) -> _T:
    """``write()``, tried again with growing waits while another process holds the ledger locked.

    Each try already waits SQLite's busy timeout; after `LOCKED_PATIENCE` seconds in all the
    last "database is locked" is raised.
    """
    deadline = time.monotonic() + LOCKED_PATIENCE
    wait = 0.25
    while True:
        try:
            return write()
        except OperationalError as exc:
            if not _ledger_locked(exc) or time.monotonic() + wait > deadline:
                raise
            log.warning("the ledger is locked by another program; %s: trying again", what)
        sleep(wait)
        wait = min(wait * 2, _LOCKED_MAX_WAIT)


def _rowcount(session: Session, statement: Update) -> int:
    """How many rows an UPDATE changed."""
    return int(getattr(session.execute(statement), "rowcount", 0))


def _claim(uow: UnitOfWork, prepared: _Prepared, holder: str) -> bool:
    """Mark the item ``sending`` before it goes; False when it is no longer queued.

    Waits for a ledger another process holds locked (`_while_locked`).
    """
    return _while_locked(
        lambda: _claim_once(uow, prepared, holder), f"outbox item {prepared.item_id}: claiming"
    )


def _claim_once(uow: UnitOfWork, prepared: _Prepared, holder: str) -> bool:
    with uow:
        claimed = _rowcount(
            uow.session,
            update(OutboxItem)
            .where(OutboxItem.id == prepared.item_id, OutboxItem.state == OutboxState.QUEUED)
            .values(
                state=OutboxState.SENDING,
                claimed_by=holder,
                claimed_at=utcnow(),
                message_id=prepared.message_id,
            ),
        )
        uow.commit()
    return bool(claimed)


def _held(item_id: int, holder: str) -> ColumnElement[bool]:
    """The item, while it is still ``sending`` for this holder (and nobody took it over)."""
    return (
        (OutboxItem.id == item_id)
        & (OutboxItem.state == OutboxState.SENDING)
        & (OutboxItem.claimed_by == holder)
    )


def _unclaim(uow: UnitOfWork, item_id: int, holder: str, reason: str) -> None:
    """Back to ``queued``: nothing was handed over. Only while the item is still this holder's.

    Waits for a ledger another process holds locked (`_while_locked`).
    """
    _while_locked(
        lambda: _unclaim_once(uow, item_id, holder, reason), f"outbox item {item_id}: unclaiming"
    )


def _unclaim_once(uow: UnitOfWork, item_id: int, holder: str, reason: str) -> None:
    with uow:
        changed = _rowcount(
            uow.session,
            update(OutboxItem)
            .where(_held(item_id, holder))
            .values(state=OutboxState.QUEUED, last_error=reason),
        )
        uow.commit()
    if not changed:
        log.warning("outbox item %s is no longer this sender's; left as it is", item_id)


def _record_failure(uow: UnitOfWork, item_id: int, reason: str) -> bool:
    """A queued item that cannot be made: ``failed``; False when it was not queued any more."""
    with uow:
        session = uow.session
        changed = _rowcount(
            session,
            update(OutboxItem)
            .where(OutboxItem.id == item_id, OutboxItem.state == OutboxState.QUEUED)
            .values(state=OutboxState.FAILED, last_error=reason),
        )
        item = session.get(OutboxItem, item_id) if changed else None
        if item is not None:
            _timeline(session, item.customer_id, item.kind, f"Email failed: {reason}")
        uow.commit()
    return item is not None


def _record_outcome(
    uow: UnitOfWork, prepared: _Prepared, delivery: Delivery, holder: str
) -> str | None:
    """Store what became of a message; the state the run reports for it.

    Only while the item is still ``sending`` for this holder: a sender whose lease ran out
    (a laptop asleep mid-delivery) finds it taken over (``unknown``, perhaps decided by a
    person since) and leaves it as it is (None). Waits for a ledger another process holds
    locked (`_while_locked`): the message went, and only this write says so.
    """
    return _while_locked(
        lambda: _record_outcome_once(uow, prepared, delivery, holder),
        f"outbox item {prepared.item_id}: recording {delivery.status}",
    )


def _record_outcome_once(
    uow: UnitOfWork, prepared: _Prepared, delivery: Delivery, holder: str
) -> str | None:
    now = utcnow()
    with uow:
        session = uow.session
        # The conditional write first: it takes the write lock, so the item cannot change
        # between the check and the update.
        mine = _rowcount(
            session,
            update(OutboxItem)
            .where(_held(prepared.item_id, holder))
            .values(attempts=OutboxItem.attempts + 1),
        )
        item = session.get(OutboxItem, prepared.item_id, populate_existing=True) if mine else None
        if item is None:
            log.warning(
                "outbox item %s: %s (%s), but another sender took it over; left as it is",
                prepared.item_id,
                delivery.status,
                delivery.detail,
            )
            return None
        item.last_error = delivery.detail
        reported = _apply(item, delivery, now)
        later = _follow_up(session, item, prepared, delivery, now)
        words = _event_words(item, delivery, later)
        _timeline(session, item.customer_id, item.kind, words)
        uow.commit()
    log.info("outbox item %s: %s", prepared.item_id, words)
    return reported


def _apply(item: OutboxItem, delivery: Delivery, now: datetime) -> str:
    if delivery.status == DeliveryStatus.SENT:
        item.state, item.sent_at, item.retry_at = OutboxState.SENT, now, None
        return "sent"
    if delivery.status == DeliveryStatus.UNKNOWN:
        item.state = OutboxState.UNKNOWN
        return "unknown"
    if delivery.status == DeliveryStatus.TEMPORARY and item.attempts < MAX_ATTEMPTS:
        item.state = OutboxState.QUEUED
        item.retry_at = now + BACKOFF[item.attempts - 1]
        return "retrying"
    if delivery.status == DeliveryStatus.TEMPORARY:
        item.last_error = f"gave up after {item.attempts} tries: {delivery.detail}"
    item.state = OutboxState.FAILED
    return "failed"


def _follow_up(
    session: Session, item: OutboxItem, prepared: _Prepared, delivery: Delivery, now: datetime
) -> OutboxItem | None:
    """A new queued item for the recipients the server put off (4xx) while it took the message.

    It goes to them alone, tried again with the usual backoff (its first try was this one).
    """
    later = [r for r in delivery.deferred if r in prepared.to_envelope]
    if delivery.status != DeliveryStatus.SENT or not later:
        return None
    follow = OutboxItem(
        key=f"later-{item.id}:{item.key}"[:200],
        kind=item.kind,
        customer_id=item.customer_id,
        step_id=item.step_id,
        step_name=item.step_name,
        invoice_ids=item.invoice_ids,
        to_addrs=", ".join(later),
        subject=item.subject,
        body_text=item.body_text,
        body_html=item.body_html,
        attach_invoices=item.attach_invoices,
        attach_statement=item.attach_statement,
        state=OutboxState.QUEUED,
        send_after=item.send_after,
        attempts=1,
        last_error=delivery.detail,
        retry_at=now + BACKOFF[0],
    )
    session.add(follow)
    session.flush()
    item.last_error = f"{delivery.detail}; queued again for {follow.to_addrs}"
    return follow


def _event_words(item: OutboxItem, delivery: Delivery, later: OutboxItem | None) -> str:
    if item.state == OutboxState.SENT:
        refused = f" (refused: {delivery.detail})" if delivery.refused else ""
        again = ""
        if later is not None and later.retry_at is not None:
            at = later.retry_at.astimezone().strftime("%H:%M")
            again = f"; it goes to {later.to_addrs} in a new email after {at}"
        return f"Email sent to {item.to_addrs}: {item.subject}{refused}{again}"
    if item.state == OutboxState.UNKNOWN:
        return f"Email may have been sent ({delivery.detail}): {item.subject}"
    if item.state == OutboxState.QUEUED and item.retry_at is not None:
        later_at = item.retry_at.astimezone().strftime("%H:%M")
        return (
            f"Email not sent yet ({delivery.detail}); trying again after {later_at}: {item.subject}"
        )
    return f"Email failed ({item.last_error}): {item.subject}"


def _timeline(session: Session, customer_id: int, kind: str, summary: str) -> None:
    record_activity(
        session, customer_id, _TIMELINE_KIND.get(kind, "reminder"), summary, author="mailer"
    )
