"""Follow-up tasks and "my tasks", on a real ledger file."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.models.activity import Activity, AuditEntry
from app.models.collections import FollowUp, FollowUpKind
from app.services.customers import add_user
from app.services.dto import DraftInvoice, DraftLine
from app.services.follow_ups import (
    FollowUpError,
    complete_follow_up,
    create_follow_up,
    list_follow_ups,
    reopen_follow_up,
)
from app.services.invoicing import create_draft, issue_invoice
from app.services.timeline import list_timeline
from tests.conftest import TODAY, add_customer


def invoice(uow, customer_id):
    draft = DraftInvoice(customer_id, TODAY, (DraftLine("Work", Decimal(1), Decimal(100)),))
    invoice_id = create_draft(uow, draft)
    issue_invoice(uow, invoice_id)
    return invoice_id


def count(uow, model):
    with uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_my_tasks_overdue_first_with_names(uow):
    anna, ben = add_user(uow, "Anna"), add_user(uow, "Ben")
    customer = add_customer(uow)
    invoice_id = invoice(uow, customer)
    later = create_follow_up(uow, "Send the contract", TODAY + timedelta(days=3), assignee_id=anna)
    overdue = create_follow_up(
        uow,
        "Call about INV",
        TODAY - timedelta(days=2),
        invoice_id=invoice_id,
        assignee_id=anna,
        kind="call",
        notes="ask for Mrs Weber",
    )
    create_follow_up(uow, "Ben's task", TODAY, customer_id=customer, assignee_id=ben)

    mine = list_follow_ups(uow, TODAY, assignee_id=anna)
    assert [t.id for t in mine] == [overdue, later]
    first = mine[0]
    assert first.kind is FollowUpKind.CALL
    assert (first.customer_id, first.customer_name) == (customer, "Müller & Söhne GmbH")
    assert first.invoice_number.startswith("INV-")
    assert (first.assignee_name, first.days_overdue, first.notes) == (
        "Anna",
        2,
        "ask for Mrs Weber",
    )
    assert first.created_by == "tester"
    assert mine[1].customer_name == ""
    assert [t.title for t in list_follow_ups(uow, TODAY, customer_id=customer)] == [
        "Call about INV",
        "Ben's task",
    ]
    assert len(list_follow_ups(uow, TODAY)) == 3


def test_complete_and_reopen(uow):
    customer = add_customer(uow)
    task = create_follow_up(uow, "Chase", TODAY, customer_id=customer)
    complete_follow_up(uow, task)
    assert list_follow_ups(uow, TODAY) == []
    [done] = list_follow_ups(uow, TODAY, open_only=False)
    assert done.done
    assert done.days_overdue == 0
    with pytest.raises(FollowUpError, match="done already"):
        complete_follow_up(uow, task)
    reopen_follow_up(uow, task)
    assert [t.id for t in list_follow_ups(uow, TODAY)] == [task]
    with pytest.raises(FollowUpError, match="nothing to reopen"):
        reopen_follow_up(uow, task)
    summaries = [e.summary for e in list_timeline(uow, customer, kinds={"task"})]
    assert summaries == ["Task done: Chase", f"Task: Chase (due {TODAY.isoformat()})"]
    with uow:
        actions = uow.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity == "follow_up")
        ).all()
    assert actions == ["create", "complete", "reopen"]


def test_done_tasks_come_after_open_ones(uow):
    first = create_follow_up(uow, "Old", TODAY - timedelta(days=9))
    second = create_follow_up(uow, "New", TODAY + timedelta(days=1))
    complete_follow_up(uow, first)
    assert [t.id for t in list_follow_ups(uow, TODAY, open_only=False)] == [second, first]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"title": "  "}, "title: a task needs a title"),
        ({"title": "two\nlines"}, "title: one line"),
        ({"title": "x" * 301}, "title: one line of at most 300"),
        ({"customer_id": 999}, "customer: there is no customer with id 999"),
        ({"invoice_id": 999}, "invoice: there is no invoice with id 999"),
        ({"assignee_id": 999}, "assignee: there is no active user with id 999"),
        ({"kind": "lunch"}, "kind: expected one of"),
    ],
)
def test_bad_input_is_named_and_nothing_is_written(uow, kwargs, message):
    fields = {"title": "Call", "due_date": TODAY, **kwargs}
    with pytest.raises(FollowUpError, match=message):
        create_follow_up(uow, **fields)
    assert count(uow, FollowUp) == 0
    assert count(uow, AuditEntry) == 0


def test_an_invoice_of_another_customer_is_refused(uow):
    mine, other = add_customer(uow), add_customer(uow, "C2", "Other SA")
    theirs = invoice(uow, other)
    before = count(uow, Activity)
    with pytest.raises(FollowUpError, match="another customer's"):
        create_follow_up(uow, "Call", TODAY, customer_id=mine, invoice_id=theirs)
    assert count(uow, FollowUp) == 0
    assert count(uow, Activity) == before


def test_unknown_task(uow):
    with pytest.raises(FollowUpError, match="no task with id 5"):
        complete_follow_up(uow, 5)
