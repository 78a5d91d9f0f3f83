"""Disputes of several invoices at once, a customer's open disputes and its reminder choice."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.models.activity import Activity, AuditEntry
from app.models.collections import Dispute
from app.services.collection_actions import (
    CollectionError,
    DisputeView,
    ReminderChoice,
    list_open_disputes,
    open_dispute,
    open_disputes,
    reminder_choice,
    resolve_dispute,
    set_customer_policy,
    set_reminder_exclusion,
)
from app.services.customers import add_user
from app.services.dto import DraftInvoice, DraftLine
from app.services.invoicing import create_draft, issue_invoice
from app.services.reminders.policies import list_policies
from tests.conftest import TODAY, add_customer


def invoice(uow, customer_id):
    draft = DraftInvoice(
        customer_id, date(2026, 10, 1), (DraftLine("Work", Decimal(1), Decimal(9)),)
    )
    invoice_id = create_draft(uow, draft)
    issue_invoice(uow, invoice_id)
    return invoice_id


def counts(uow):
    with uow:
        return tuple(
            uow.session.scalar(select(func.count()).select_from(model))
            for model in (Activity, AuditEntry, Dispute)
        )


def test_several_invoices_are_disputed_at_once_and_listed_oldest_first(uow):
    customer = add_customer(uow)
    owner = add_user(uow, "Dana")
    first, second, third = (invoice(uow, customer) for _ in range(3))
    earlier = open_dispute(uow, third, "never delivered", on=TODAY - timedelta(days=5))

    ids = open_disputes(uow, [first, second], " wrong price ", " a credit note ", owner, on=TODAY)

    listed = list_open_disputes(uow, customer)
    assert [d.id for d in listed] == [earlier, *ids]
    assert listed[1] == DisputeView(
        id=ids[0],
        invoice_id=first,
        invoice_number=listed[1].invoice_number,
        reason="wrong price",
        waiting_on="a credit note",
        opened_on=TODAY,
        owner="Dana",
    )
    assert listed[0].owner == ""
    resolve_dispute(uow, earlier, "delivered after all", on=TODAY)
    assert [d.id for d in list_open_disputes(uow, customer)] == ids


def test_disputing_several_invoices_writes_all_or_none(uow):
    customer = add_customer(uow)
    first, second = invoice(uow, customer), invoice(uow, customer)
    open_dispute(uow, second, "wrong price", on=TODAY)
    before = counts(uow)

    with pytest.raises(CollectionError, match="is disputed already"):
        open_disputes(uow, [first, second], "late", on=TODAY)
    with pytest.raises(CollectionError, match="invoices: choose the disputed invoices"):
        open_disputes(uow, [], "late", on=TODAY)

    assert counts(uow) == before
    assert [d.invoice_id for d in list_open_disputes(uow, customer)] == [second]


def test_reminder_choice_follows_the_customers_own_policy_and_exclusion(uow):
    customer = add_customer(uow)
    policy = list_policies(uow)[0].id
    assert reminder_choice(uow, customer) == ReminderChoice(None, False, "")

    set_customer_policy(uow, customer, policy)
    set_reminder_exclusion(uow, customer, True)

    assert reminder_choice(uow, customer) == ReminderChoice(policy, True, "")


def test_reading_an_unknown_customer_says_so(uow):
    with pytest.raises(CollectionError, match="customer: there is no customer with id 999"):
        list_open_disputes(uow, 999)
    with pytest.raises(CollectionError, match="customer: there is no customer with id 999"):
        reminder_choice(uow, 999)
