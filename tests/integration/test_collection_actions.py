"""Calls, pauses, policies, the reminder contact and disputes, on a real ledger file."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.models.activity import Activity, AuditEntry
from app.models.collections import Dispute, DisputeState
from app.models.customer import Customer
from app.services.collection_actions import (
    CollectionError,
    log_call,
    open_dispute,
    pause_reminders,
    resolve_dispute,
    resume_reminders,
    set_customer_policy,
    set_reminder_contact,
    set_reminder_exclusion,
)
from app.services.customers import CustomerInput, add_user, save_customer
from app.services.dto import ContactView, DraftInvoice, DraftLine
from app.services.invoicing import create_draft, issue_invoice
from app.services.reminders.policies import list_policies, list_segments
from app.services.timeline import list_timeline
from tests.conftest import TODAY, add_customer


def invoice(uow, customer_id, issue=True):
    draft = DraftInvoice(
        customer_id, date(2026, 10, 1), (DraftLine("Work", Decimal(1), Decimal(9)),)
    )
    invoice_id = create_draft(uow, draft)
    if issue:
        issue_invoice(uow, invoice_id)
    return invoice_id


def customer_row(uow, customer_id):
    with uow:
        customer = uow.session.get_one(Customer, customer_id)
        uow.session.expunge(customer)
        return customer


def counts(uow):
    with uow:
        return tuple(
            uow.session.scalar(select(func.count()).select_from(model))
            for model in (Activity, AuditEntry, Dispute)
        )


def summaries(uow, customer_id, kind):
    return [e.summary for e in list_timeline(uow, customer_id, kinds={kind})]


def test_a_call_is_on_the_timeline(uow):
    customer = add_customer(uow)
    log_call(uow, customer, "left_voicemail", "  asked for a call back ", on=TODAY)
    log_call(uow, customer, "reached")
    assert summaries(uow, customer, "call") == [
        "Call: reached",
        "Call: left a voicemail. asked for a call back",
    ]


def test_pause_and_resume(uow):
    customer = add_customer(uow)
    until = TODAY + timedelta(days=14)
    pause_reminders(uow, customer, until, "waiting for their new ERP", today=TODAY)
    row = customer_row(uow, customer)
    assert (row.reminders_paused_until, row.reminders_pause_reason) == (
        until,
        "waiting for their new ERP",
    )
    resume_reminders(uow, customer)
    row = customer_row(uow, customer)
    assert (row.reminders_paused_until, row.reminders_pause_reason) == (None, "")
    assert summaries(uow, customer, "pause") == [
        "Reminders resumed",
        "Reminders paused until 2026-12-07: waiting for their new ERP",
    ]
    with pytest.raises(CollectionError, match="reminders are not paused"):
        resume_reminders(uow, customer)


def test_exclusion_and_policy(uow):
    customer = add_customer(uow)
    policies = {p.name: p for p in list_policies(uow)}
    key_account = policies["Key account"]
    set_reminder_exclusion(uow, customer, True)
    set_reminder_exclusion(uow, customer, True)  # unchanged: nothing written
    set_customer_policy(uow, customer, key_account.id)
    row = customer_row(uow, customer)
    assert (row.reminders_excluded, row.policy_id) == (True, key_account.id)
    set_customer_policy(uow, customer, None)
    set_reminder_exclusion(uow, customer, False)
    assert customer_row(uow, customer).policy_id is None
    assert summaries(uow, customer, "policy") == [
        "Automatic reminders again",
        "Reminder policy: the segment's",
        "Reminder policy: Key account",
        "No automatic reminders",
    ]


def test_policies_with_steps_and_segments(uow):
    policies = list_policies(uow)
    assert {"Standard", "Key account", "New customer"} <= {p.name for p in policies}
    for policy in policies:
        offsets = [s.offset_days for s in policy.steps]
        assert offsets == sorted(offsets)
        assert policy.steps
    add_customer(uow, "K1", "Key One")
    with uow:
        uow.session.get_one(Customer, 1).segment = "Key account"
        uow.commit()
    segments = {s.name: s for s in list_segments(uow)}
    key = segments["Key account"]
    assert (key.policy_name, key.customers) == ("Key account", 1)
    assert key.priority_weight > segments["Standard"].priority_weight
    assert segments["Standard"].customers == 0


def test_the_reminder_contact_takes_the_role_from_the_others(uow):
    contacts = (
        ContactView("Ann Billing", "ann@example.com", "", "billing"),
        ContactView("Rob Reminders", "rob@example.com", "", "reminders"),
        ContactView("No Mail", "", "", "other"),
    )
    customer = save_customer(uow, CustomerInput("C9", "Nine GmbH", "EUR", 30, contacts=contacts))
    with uow:
        ann, rob, no_mail = (c.id for c in uow.session.get_one(Customer, customer).contacts)
    set_reminder_contact(uow, customer, ann)
    with uow:
        row = uow.session.get_one(Customer, customer)
        assert [c.role for c in row.contacts] == ["reminders", "other", "other"]
        assert row.emails("reminders") == ["ann@example.com"]
    assert summaries(uow, customer, "policy") == ["Reminders go to Ann Billing <ann@example.com>"]
    with pytest.raises(CollectionError, match="contact: No Mail has no email address"):
        set_reminder_contact(uow, customer, no_mail)
    other = add_customer(uow, "C2", "Other")
    with pytest.raises(CollectionError, match="contact: Other has no contact with id"):
        set_reminder_contact(uow, other, rob)


def test_a_dispute_is_opened_and_resolved(uow):
    customer = add_customer(uow)
    owner = add_user(uow, "Dana")
    invoice_id = invoice(uow, customer)
    dispute_id = open_dispute(
        uow, invoice_id, "price differs from the quote", "a credit note", owner, on=TODAY
    )
    with pytest.raises(CollectionError, match="disputed already"):
        open_dispute(uow, invoice_id, "again", on=TODAY)
    resolve_dispute(uow, dispute_id, "credit note for the difference", on=TODAY)
    with uow:
        dispute = uow.session.get_one(Dispute, dispute_id)
        assert (dispute.state, dispute.owner_id, dispute.resolved_on) == (
            DisputeState.RESOLVED,
            owner,
            TODAY,
        )
        assert (dispute.customer_id, dispute.waiting_on) == (customer, "a credit note")
    entries = summaries(uow, customer, "dispute")
    assert entries[0].endswith("resolved: credit note for the difference")
    assert entries[1].endswith("disputed: price differs from the quote (waiting on a credit note)")
    with pytest.raises(CollectionError, match="resolved already"):
        resolve_dispute(uow, dispute_id, "twice", on=TODAY)
    # Resolved, the invoice may be disputed again.
    open_dispute(uow, invoice_id, "still wrong", on=TODAY)


def test_bad_input_is_named_and_nothing_is_written(uow):
    customer = add_customer(uow)
    draft = invoice(uow, customer, issue=False)
    issued = invoice(uow, customer)
    before = counts(uow)
    cases = [
        (lambda: log_call(uow, 999, "reached"), "customer: there is no customer with id 999"),
        (lambda: log_call(uow, customer, "shouted"), "outcome: expected one of reached"),
        (
            lambda: pause_reminders(uow, customer, TODAY + timedelta(days=3), " ", today=TODAY),
            "reason: required",
        ),
        (
            lambda: pause_reminders(uow, customer, TODAY, "holiday", today=TODAY),
            "until: must be after today",
        ),
        (
            lambda: pause_reminders(uow, 999, TODAY + timedelta(days=3), "x", today=TODAY),
            "customer: there is no customer",
        ),
        (lambda: set_customer_policy(uow, customer, 999), "policy: there is no reminder policy"),
        (lambda: set_reminder_exclusion(uow, 999, True), "customer: there is no customer"),
        (lambda: open_dispute(uow, draft, "wrong", on=TODAY), "invoice: id .* is not an issued"),
        (lambda: open_dispute(uow, 999, "wrong", on=TODAY), "invoice: id 999 is not an issued"),
        (lambda: open_dispute(uow, draft, "", on=TODAY), "reason: required"),
        (
            lambda: open_dispute(uow, issued, "x", owner_id=77, on=TODAY),
            "owner: there is no user with id 77",
        ),
        (lambda: resolve_dispute(uow, 999, "done", on=TODAY), "dispute: there is no dispute"),
        (lambda: resolve_dispute(uow, 999, " ", on=TODAY), "resolution: required"),
    ]
    for action, message in cases:
        with pytest.raises(CollectionError, match=message):
            action()
    assert counts(uow) == before
    assert customer_row(uow, customer).reminders_paused_until is None
