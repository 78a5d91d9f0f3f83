"""Promises to pay: taken, kept by payments (by hand or from the bank), broken after grace."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.models.activity import Activity, AuditEntry
from app.models.collections import FollowUp, FollowUpKind, PromiseState, PromiseToPay
from app.models.customer import Customer
from app.models.money import Money
from app.services.bank_dto import LineFilter, ManualAllocation
from app.services.bank_import import import_statement
from app.services.bank_queries import list_statement_lines
from app.services.cash_application import apply_line
from app.services.clock import FixedClock
from app.services.customers import add_user
from app.services.dto import DraftInvoice, DraftLine
from app.services.follow_ups import list_follow_ups
from app.services.invoicing import (
    create_credit_note,
    create_draft,
    issue_invoice,
    record_payment,
    reverse_payment,
)
from app.services.promises import (
    PromiseError,
    PromiseOutcome,
    cancel_promise,
    list_promises,
    record_promise,
    settle_promises,
)
from app.services.statements.camt_writer import write_camt053
from app.services.statements.parsed import ParsedLine
from app.services.timeline import list_timeline
from tests.conftest import TODAY, add_customer


def eur(text):
    return Money.of(text, "EUR")


def invoice(uow, customer_id, gross, currency=None):
    draft = DraftInvoice(
        customer_id=customer_id,
        issue_date=date(2026, 9, 1),
        due_date=date(2026, 10, 1),
        lines=(DraftLine("Consulting", Decimal(1), Decimal(gross)),),
        currency=currency,
    )
    invoice_id = create_draft(uow, draft)
    issue_invoice(uow, invoice_id)
    return invoice_id


def count(uow, model):
    with uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def settle(uow, today, grace_days=3):
    with uow:
        outcome = settle_promises(uow.session, today, grace_days, actor="scheduler")
        uow.commit()
    return outcome


def promise(uow, customer_id, amount="500.00", days=7, **kwargs):
    return record_promise(
        uow, customer_id, eur(amount), TODAY + timedelta(days=days), today=TODAY, **kwargs
    )


@pytest.fixture
def customer(uow):
    customer_id = add_customer(uow)
    owner = add_user(uow, "Olga Owner")
    with uow:
        uow.session.get_one(Customer, customer_id).owner_id = owner
        uow.commit()
    return customer_id


def test_a_promise_is_recorded_listed_and_on_the_timeline(uow, customer):
    first = invoice(uow, customer, "300.00")
    second = invoice(uow, customer, "400.00")
    promise_id = promise(uow, customer, "700.00", invoice_ids=[first, second], note="CFO agreed")
    [row] = list_promises(uow, customer_id=customer)
    assert row.id == promise_id
    assert (row.amount, row.paid, row.state) == (eur("700.00"), eur("0.00"), PromiseState.OPEN)
    assert row.promised_date == TODAY + timedelta(days=7)
    assert row.invoice_ids == (first, second)
    assert (row.taken_by, row.taken_on, row.note) == ("tester", TODAY, "CFO agreed")
    assert row.customer_name == "Müller & Söhne GmbH"
    [entry] = list_timeline(uow, customer, kinds={"promise"})
    assert entry.summary.startswith("Promise to pay €700.00 by 2026-11-30 (INV-")
    assert entry.summary.endswith(": CFO agreed")
    assert list_promises(uow, state="kept") == []


def test_kept_by_a_payment_applied_from_the_bank(uow, customer, tmp_path):
    first = invoice(uow, customer, "300.00")
    invoice(uow, customer, "400.00")
    promise_id = promise(uow, customer, "300.00")
    path = tmp_path / "stmt.xml"
    line = ParsedLine(
        booking_date=TODAY + timedelta(days=2),
        amount=Decimal("300.00"),
        currency="EUR",
        bank_ref="B1",
        payer_name="Mueller und Soehne",
        remittance="Zahlung",
    )
    write_camt053(path, account_iban="DE89370400440532013000", currency="EUR", lines=[line])
    import_statement(uow, path)
    [statement_line] = list_statement_lines(uow, LineFilter())
    apply_line(uow, statement_line.line_id, customer, [ManualAllocation(first, eur("300.00"))])

    [row] = list_promises(uow)
    assert (row.id, row.state, row.paid) == (promise_id, PromiseState.KEPT, eur("300.00"))
    assert row.resolved_on == TODAY + timedelta(days=2)
    assert "kept (paid €300.00)" in list_timeline(uow, customer, kinds={"promise"})[0].summary
    # Nothing is left to settle, and no task is made.
    assert settle(uow, TODAY + timedelta(days=30)) == PromiseOutcome(kept=(), broken=())
    assert count(uow, FollowUp) == 0


def test_part_payments_add_up_to_keep_it(uow, customer):
    promise(uow, customer, "500.00")
    record_payment(uow, customer, eur("200.00"), TODAY + timedelta(days=1))
    [row] = list_promises(uow)
    assert (row.state, row.paid) == (PromiseState.OPEN, eur("200.00"))
    record_payment(uow, customer, eur("300.00"), TODAY + timedelta(days=3))
    [row] = list_promises(uow)
    assert (row.state, row.paid, row.resolved_on) == (
        PromiseState.KEPT,
        eur("500.00"),
        TODAY + timedelta(days=3),
    )


def test_payments_before_the_promise_or_in_another_currency_do_not_count(uow, customer):
    record_payment(uow, customer, eur("500.00"), TODAY - timedelta(days=1))
    promise(uow, customer, "500.00")
    record_payment(uow, customer, Money.of("500.00", "GBP"), TODAY)
    assert settle(uow, TODAY) == PromiseOutcome(kept=(), broken=())
    [row] = list_promises(uow)
    assert (row.state, row.paid) == (PromiseState.OPEN, eur("0.00"))


def test_broken_after_grace_makes_one_task_for_the_owner(uow, customer):
    promise_id = promise(uow, customer, "500.00", days=0)
    record_payment(uow, customer, eur("120.00"), TODAY)
    # Due today, three days of grace: still open three days later, broken on the fourth.
    assert settle(uow, TODAY + timedelta(days=3)) == PromiseOutcome(kept=(), broken=())
    outcome = settle(uow, TODAY + timedelta(days=4))
    assert outcome.broken == (promise_id,)
    assert settle(uow, TODAY + timedelta(days=5)) == PromiseOutcome(kept=(), broken=())

    [row] = list_promises(uow)
    assert (row.state, row.resolved_on) == (PromiseState.BROKEN, TODAY + timedelta(days=4))
    [task] = list_follow_ups(uow, TODAY + timedelta(days=5))
    assert task.kind is FollowUpKind.BROKEN_PROMISE
    assert task.title == "Broken promise: Müller & Söhne GmbH"
    assert (task.assignee_name, task.due_date) == ("Olga Owner", TODAY + timedelta(days=4))
    assert "paid €120.00" in task.notes
    with uow:
        assert uow.session.scalar(select(FollowUp.key)) == f"promise:{promise_id}"
    summaries = [e.summary for e in list_timeline(uow, customer, kinds={"promise"})]
    assert summaries[0] == "Promise to pay €500.00 by 2026-11-23 broken (paid €120.00)"


def test_kept_when_the_promised_invoices_are_settled_otherwise(uow, customer):
    credited = invoice(uow, customer, "250.00")
    promise_id = promise(uow, customer, "250.00", invoice_ids=[credited])
    create_credit_note(uow, credited, FixedClock(TODAY + timedelta(days=1)), "goods returned")
    outcome = settle(uow, TODAY + timedelta(days=1))
    assert outcome.kept == (promise_id,)
    [row] = list_promises(uow)
    assert (row.state, row.resolved_on) == (PromiseState.KEPT, TODAY + timedelta(days=1))


def test_a_reversed_payment_no_longer_counts(uow, customer):
    promise(uow, customer, "500.00")
    payment = record_payment(uow, customer, eur("200.00"), TODAY)
    reverse_payment(uow, payment)
    settle(uow, TODAY)
    assert list_promises(uow)[0].paid == eur("0.00")


def test_cancel(uow, customer):
    promise_id = promise(uow, customer)
    cancel_promise(uow, promise_id, TODAY, "entered twice")
    [row] = list_promises(uow, state="cancelled")
    assert row.resolved_on == TODAY
    with pytest.raises(PromiseError, match="cancelled already"):
        cancel_promise(uow, promise_id, TODAY)
    with pytest.raises(PromiseError, match="no promise to pay with id 99"):
        cancel_promise(uow, 99, TODAY)
    summary = list_timeline(uow, customer, kinds={"promise"})[0].summary
    assert summary.endswith("cancelled: entered twice")


@pytest.fixture
def others(uow, customer):
    """An invoice of another customer, one in GBP and one paid already."""
    other = add_customer(uow, "C2", "Other SA")
    paid = invoice(uow, customer, "10.00")
    record_payment(uow, customer, eur("10.00"), TODAY - timedelta(days=5), [(paid, eur("10.00"))])
    return {
        "theirs": invoice(uow, other, "10.00"),
        "gbp": invoice(uow, customer, "10.00", currency="GBP"),
        "paid": paid,
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": eur("-5.00")}, r"amount: a promise must be above zero, got -€5.00"),
        ({"amount": eur("0.00")}, "amount: a promise must be above zero"),
        ({"promised_date": TODAY - timedelta(days=1)}, "promised_date: 2026-11-22 is in the past"),
        ({"customer_id": 999}, "customer: there is no customer with id 999"),
        ({"invoice_ids": ["theirs"]}, "invoices: INV-.* belongs to another customer"),
        ({"invoice_ids": ["gbp"]}, "invoices: INV-.* is in GBP, not EUR"),
        ({"invoice_ids": ["paid"]}, "invoices: INV-.* is paid already"),
        ({"invoice_ids": [4242]}, "invoices: id 4242 is not an issued invoice"),
    ],
)
def test_bad_input_is_named_and_nothing_is_written(uow, customer, others, change, message):
    arguments = {
        "customer_id": customer,
        "amount": eur("100.00"),
        "promised_date": TODAY,
        "today": TODAY,
        **change,
    }
    arguments["invoice_ids"] = [others.get(i, i) for i in arguments.get("invoice_ids", [])]
    audits, activities = count(uow, AuditEntry), count(uow, Activity)
    with pytest.raises(PromiseError, match=message):
        record_promise(uow, **arguments)
    assert count(uow, PromiseToPay) == 0
    assert (count(uow, AuditEntry), count(uow, Activity)) == (audits, activities)


def test_bad_settle_and_list_arguments(uow):
    with uow, pytest.raises(PromiseError, match="grace_days: must not be negative"):
        settle_promises(uow.session, TODAY, -1)
    with pytest.raises(PromiseError, match="state: expected one of open, kept"):
        list_promises(uow, state="maybe")


def test_the_promise_keeps_its_invoices_as_json(uow, customer):
    first = invoice(uow, customer, "30.00")
    promise(uow, customer, "30.00", invoice_ids=[first, first])
    with uow:
        assert json.loads(uow.session.scalar(select(PromiseToPay.invoice_ids))) == [first]
