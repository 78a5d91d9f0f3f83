"""A person's decisions on an outbox item: a retry starts afresh; "don't send it" for an email
that may have been sent cancels it."""

from __future__ import annotations

from pathlib import Path

import pytest
from keyrings.alt.file import PlaintextKeyring
from sqlalchemy import update

from app.models.collections import OutboxItem, OutboxState
from app.services.mail.outbox_sender import INTERRUPTED, MAX_ATTEMPTS, send_outbox
from app.services.reminders.outbox import OutboxError, cancel_outbox_item, retry_outbox_item
from app.services.timeline import list_timeline
from app.services.uow import UnitOfWork
from tests.conftest import TODAY
from tests.integration.test_mailer import build_ledger, configure_mail, queue_email, read_outbox
from tests.smtp_server import LocalSmtpServer


@pytest.fixture
def customers(
    uow: UnitOfWork, tmp_path: Path, smtp_server: LocalSmtpServer, test_keyring: PlaintextKeyring
) -> dict[str, int]:
    ids = build_ledger(uow, tmp_path)
    configure_mail(uow, smtp_server)
    return ids


def set_state(uow: UnitOfWork, item_id: int, **values: object) -> None:
    with uow:
        uow.session.execute(update(OutboxItem).where(OutboxItem.id == item_id).values(**values))
        uow.commit()


def test_a_retried_email_that_had_given_up_gets_all_its_tries_again(uow, customers, smtp_server):
    item_id = queue_email(uow, customers["ACME"])
    set_state(
        uow,
        item_id,
        state=OutboxState.FAILED,
        attempts=MAX_ATTEMPTS,
        last_error=f"gave up after {MAX_ATTEMPTS} tries: 451 4.3.0 Try again later",
    )

    retry_outbox_item(uow, item_id)

    assert read_outbox(uow)[item_id].attempts == 0
    smtp_server.fail_data(451, "4.3.0 Try again later", times=1)
    report = send_outbox(uow, TODAY)
    item = read_outbox(uow)[item_id]
    assert report.states == {item_id: "retrying"}, "put off once more, not given up"
    assert (item.state, item.attempts, item.retry_at is not None) == (OutboxState.QUEUED, 1, True)


def test_an_email_that_may_have_been_sent_can_be_cancelled(uow, customers, smtp_server):
    item_id = queue_email(uow, customers["ACME"], subject="Final notice")
    set_state(uow, item_id, state=OutboxState.UNKNOWN, attempts=1, last_error=INTERRUPTED)

    cancel_outbox_item(uow, item_id)

    assert read_outbox(uow)[item_id].state == OutboxState.CANCELLED
    summaries = [e.summary for e in list_timeline(uow, customers["ACME"])]
    assert (
        "Email cancelled, not to be sent again (it may have gone out before): Final notice"
        in summaries
    )
    assert send_outbox(uow, TODAY).states == {}
    assert smtp_server.messages == []
    with pytest.raises(OutboxError, match="is cancelled"):
        cancel_outbox_item(uow, item_id)


@pytest.mark.parametrize("state", [OutboxState.SENT, OutboxState.SENDING])
def test_a_sent_email_or_one_being_sent_cannot_be_cancelled(uow, customers, state):
    item_id = queue_email(uow, customers["ACME"])
    set_state(uow, item_id, state=state)

    with pytest.raises(OutboxError, match=f"is {state}; only queued or failed emails"):
        cancel_outbox_item(uow, item_id)
    assert read_outbox(uow)[item_id].state == state
