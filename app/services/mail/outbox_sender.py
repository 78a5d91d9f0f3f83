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
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select, update
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
    envelope_recipients,
    new_message_id,
    split_addresses,
)
from app.services.mail.password import PasswordStoreError, load_password
from app.services.mail.smtp import Delivery, DeliveryStatus, SmtpAccountError, SmtpConnection
from app.services.pdf_invoices import PdfError, invoice_pdf_name, render_invoice_pdf
from app.services.pdf_statement import statement_pdf_bytes
from app.services.settings import get_setting, load_settings
from app.services.uow import UnitOfWork

log = logging.getLogger(__name__)

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

    def count(self, state: str) -> int:
        """How many items of this run ended in ``state`` (``retrying`` for put off)."""
        return sum(1 for s in self.states.values() if s == state)

    def summary(self) -> str:
        """One line: ``"3 sent, 1 failed, 2 waiting: <problem>"``."""
        if self.busy:
            return "another Duebook is sending the outbox"
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
    recipients: tuple[str, ...]
    data: bytes


def send_outbox(
    uow: UnitOfWork,
    today: date,
    *,
    only: Collection[int] | None = None,
    password_lookup: Callable[[str, str], str | None] = load_password,
    sleep: Callable[[float], None] = time.sleep,
    stop: threading.Event | None = None,
) -> SendReport:
    """Send every queued email that is due, over one connection.

    Args:
        uow: the unit of work.
        today: items are due when their ``send_after`` is today or earlier.
        only: send only these items (still only if queued and due).
        password_lookup: where the SMTP password comes from (the keyring).
        sleep: how the rate limit waits.
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
            _send(uow, due, today, holder, report, password_lookup, sleep, stop)
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
    sleep: Callable[[float], None],
    stop: threading.Event | None,
) -> None:
    values = load_settings(uow)
    if values["mail.paused"] == "yes":
        report.paused, report.waiting = True, len(due)
        report.problem = "sending is paused (Settings → Email)"
        return
    try:
        account = account_from_settings(values, password_lookup)
    except (MailSetupError, PasswordStoreError) as exc:
        report.waiting, report.problem = len(due), str(exc)
        report.unconfigured = not values["smtp.host"]
        return
    gap = 60.0 / account.per_minute if account.per_minute else 0.0
    last_sent = 0.0
    with SmtpConnection(account) as connection:
        for position, item_id in enumerate(due):
            if stop is not None and stop.is_set():
                report.waiting += len(due) - position
                report.problem = STOPPING
                return
            if not acquire_lease(uow, LEASE, holder, LEASE_TTL) or _paused(uow):
                report.waiting += len(due) - position
                report.problem = report.problem or "sending was paused"
                return
            prepared = _prepare(uow, account, item_id, today, values)
            if isinstance(prepared, str):
                _record_failure(uow, item_id, prepared)
                report.states[item_id] = "failed"
                continue
            if prepared is None or not _claim(uow, prepared, holder):
                continue
            wait = last_sent + gap - time.monotonic()
            if wait > 0:
                sleep(wait)
            try:
                delivery = connection.deliver(account.from_addr, prepared.recipients, prepared.data)
            except SmtpAccountError as exc:
                log.warning("sending stopped: %s", exc)
                _unclaim(uow, item_id, str(exc))
                report.waiting += len(due) - position
                report.problem = str(exc)
                return
            last_sent = time.monotonic()
            report.states[item_id] = _record_outcome(uow, prepared, delivery)


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


def _prepare(
    uow: UnitOfWork, account: SmtpAccount, item_id: int, today: date, values: dict[str, str]
) -> _Prepared | str | None:
    """The message ready to go; a reason in words when it cannot be made; None if not queued."""
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
    except (MessageError, PdfError, InvoicingError, ValueError) as exc:
        return f"the email could not be made: {exc}"
    return _Prepared(
        item_id=item.id,
        customer_id=item.customer_id,
        kind=item.kind,
        subject=item.subject,
        to=item.to_addrs,
        message_id=email.message_id,
        recipients=envelope_recipients(account, email),
        data=message.as_bytes(),
    )


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


def _claim(uow: UnitOfWork, prepared: _Prepared, holder: str) -> bool:
    """Mark the item ``sending`` before it goes; False when it is no longer queued."""
    with uow:
        claimed = uow.session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == prepared.item_id, OutboxItem.state == OutboxState.QUEUED)
            .values(
                state=OutboxState.SENDING,
                claimed_by=holder,
                claimed_at=utcnow(),
                message_id=prepared.message_id,
            )
        )
        uow.commit()
    return bool(getattr(claimed, "rowcount", 0))


def _unclaim(uow: UnitOfWork, item_id: int, reason: str) -> None:
    """Back to ``queued``: the connection failed before anything was handed over."""
    with uow:
        item = uow.session.get(OutboxItem, item_id)
        if item is not None and item.state == OutboxState.SENDING:
            item.state = OutboxState.QUEUED
            item.last_error = reason
        uow.commit()


def _record_failure(uow: UnitOfWork, item_id: int, reason: str) -> None:
    with uow:
        item = uow.session.get(OutboxItem, item_id)
        if item is not None and item.state == OutboxState.QUEUED:
            item.state = OutboxState.FAILED
            item.last_error = reason
            _timeline(uow.session, item.customer_id, item.kind, f"Email failed: {reason}")
        uow.commit()


def _record_outcome(uow: UnitOfWork, prepared: _Prepared, delivery: Delivery) -> str:
    """Store what became of a message; returns the state the run reports for it."""
    now = utcnow()
    with uow:
        session = uow.session
        item = session.get(OutboxItem, prepared.item_id)
        if item is None:  # pragma: no cover - items are never deleted
            return "failed"
        item.attempts += 1
        item.last_error = delivery.detail
        reported = _apply(item, delivery, now)
        words = _event_words(item, delivery)
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


def _event_words(item: OutboxItem, delivery: Delivery) -> str:
    if item.state == OutboxState.SENT:
        refused = f" (refused: {delivery.detail})" if delivery.refused else ""
        return f"Email sent to {item.to_addrs}: {item.subject}{refused}"
    if item.state == OutboxState.UNKNOWN:
        return f"Email may have been sent ({delivery.detail}): {item.subject}"
    if item.state == OutboxState.QUEUED and item.retry_at is not None:
        later = item.retry_at.astimezone().strftime("%H:%M")
        return f"Email not sent yet ({delivery.detail}); trying again after {later}: {item.subject}"
    return f"Email failed ({item.last_error}): {item.subject}"


def _timeline(session: Session, customer_id: int, kind: str, summary: str) -> None:
    record_activity(
        session, customer_id, _TIMELINE_KIND.get(kind, "reminder"), summary, author="mailer"
    )
