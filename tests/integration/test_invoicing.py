import contextlib
import itertools
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.models.activity import AuditEntry
from app.models.invoice import Frequency, InvoiceStatus
from app.models.money import Money
from app.models.payment import Allocation
from app.services import invoicing, recurring
from app.services.clock import FixedClock
from app.services.customers import get_customer
from app.services.dto import DraftInvoice, DraftLine
from app.services.invoice_queries import (
    InvoiceQuery,
    count_invoices,
    get_invoice,
    list_invoices,
    totals_by_currency,
)
from app.services.invoicing import (
    InvoicingError,
    create_credit_note,
    create_draft,
    issue_invoice,
    record_payment,
    reverse_payment,
    update_draft,
    void_invoice,
    write_off,
)
from app.services.recurring import add_months, create_recurring_template, issue_due_recurring
from app.services.settings import save_settings
from app.services.tasks import TaskCancelledError, TaskContext
from app.services.uow import UnitOfWork
from tests.conftest import TODAY, add_customer

LINES = (
    DraftLine("Design work", Decimal("10.5"), Decimal("80.00"), Decimal(19)),
    DraftLine("Print run", Decimal(3), Decimal("99.99"), Decimal(7), Decimal(10)),
)


def make_invoice(uow, customer_id, issued=date(2026, 10, 1), lines=LINES, currency=None):
    draft = DraftInvoice(customer_id=customer_id, issue_date=issued, lines=lines, currency=currency)
    invoice_id = create_draft(uow, draft)
    issue_invoice(uow, invoice_id)
    return invoice_id


def test_totals_tax_per_rate_and_due_date_from_terms(uow):
    customer = add_customer(uow, terms=14)
    invoice_id = create_draft(uow, DraftInvoice(customer, date(2026, 11, 2), LINES))
    detail = get_invoice(uow, invoice_id, TODAY)
    # 10.5 x 80.00 = 840.00 at 19%; 3 x 99.99 less 10% = 269.97 at 7%
    assert detail.net == Money(110997, "EUR")
    assert [(r, t.minor) for r, _, t in detail.tax_by_rate] == [
        (Decimal(7), 1890),
        (Decimal(19), 15960),
    ]
    assert detail.total == Money(110997 + 1890 + 15960, "EUR")
    assert detail.due_date == date(2026, 11, 16)
    assert detail.status is InvoiceStatus.DRAFT
    assert detail.number == ""


def test_issue_numbers_are_gapless_from_the_pattern(uow):
    customer = add_customer(uow)
    save_settings(uow, {"invoice.number_pattern": "R{year}/{seq:04}"})
    numbers = [
        issue_invoice(uow, create_draft(uow, DraftInvoice(customer, date(2026, 3, i), LINES)))
        for i in (1, 2, 3)
    ]
    assert numbers == ["R2026/0001", "R2026/0002", "R2026/0003"]
    next_year = create_draft(uow, DraftInvoice(customer, date(2027, 1, 4), LINES))
    assert issue_invoice(uow, next_year) == "R2027/0001"


def test_issued_invoice_cannot_be_edited_or_issued_twice(uow):
    customer = add_customer(uow)
    invoice_id = make_invoice(uow, customer)
    with pytest.raises(InvoicingError, match="can no longer be edited"):
        update_draft(uow, invoice_id, DraftInvoice(customer, date(2026, 10, 1), LINES))
    with pytest.raises(InvoicingError, match="already issued"):
        issue_invoice(uow, invoice_id)


def test_an_empty_draft_cannot_be_issued(uow):
    customer = add_customer(uow)
    invoice_id = create_draft(uow, DraftInvoice(customer, date(2026, 10, 1), ()))
    with pytest.raises(InvoicingError, match="at least one line"):
        issue_invoice(uow, invoice_id)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (DraftLine("x", Decimal(-1), Decimal(1)), "must not be negative"),
        (DraftLine("x", Decimal(1), Decimal(1), Decimal(120)), "tax rate must be between"),
        (DraftLine("x", Decimal(1), Decimal(1), Decimal(0), Decimal(-5)), "discount must be"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(uow, line, message):
    customer = add_customer(uow)
    with pytest.raises(InvoicingError, match=message):
        create_draft(uow, DraftInvoice(customer, date(2026, 10, 1), (line,)))
    with uow:
        assert uow.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_status_follows_payments_and_today(uow):
    customer = add_customer(uow, terms=30)
    invoice_id = make_invoice(uow, customer, issued=date(2026, 9, 1))
    total = get_invoice(uow, invoice_id, TODAY).total
    assert get_invoice(uow, invoice_id, date(2026, 9, 15)).status is InvoiceStatus.OPEN
    assert get_invoice(uow, invoice_id, TODAY).status is InvoiceStatus.OVERDUE
    record_payment(
        uow, customer, Money(10000, "EUR"), date(2026, 9, 10), [(invoice_id, Money(10000, "EUR"))]
    )
    assert get_invoice(uow, invoice_id, date(2026, 9, 15)).status is InvoiceStatus.PARTIALLY_PAID
    rest = total - Money(10000, "EUR")
    payment = record_payment(uow, customer, rest, date(2026, 9, 20), [(invoice_id, rest)])
    assert get_invoice(uow, invoice_id, TODAY).status is InvoiceStatus.PAID
    reverse_payment(uow, payment)
    detail = get_invoice(uow, invoice_id, TODAY)
    assert detail.status is InvoiceStatus.OVERDUE
    assert detail.open_amount == rest


def test_one_payment_several_invoices_and_unapplied_rest(uow):
    customer = add_customer(uow)
    first, second = make_invoice(uow, customer), make_invoice(uow, customer)
    open_each = get_invoice(uow, first, TODAY).open_amount
    payment_amount = open_each + open_each + Money(500, "EUR")
    record_payment(
        uow, customer, payment_amount, date(2026, 10, 20), [(first, open_each), (second, open_each)]
    )
    assert get_invoice(uow, first, TODAY).status is InvoiceStatus.PAID
    assert get_invoice(uow, second, TODAY).status is InvoiceStatus.PAID


def test_allocations_never_exceed_open_amount_or_payment(uow):
    customer = add_customer(uow)
    invoice_id = make_invoice(uow, customer)
    open_amount = get_invoice(uow, invoice_id, TODAY).open_amount
    too_much = open_amount + Money(1, "EUR")
    with pytest.raises(InvoicingError, match="more than the"):
        record_payment(uow, customer, too_much, date(2026, 10, 5), [(invoice_id, too_much)])
    with pytest.raises(InvoicingError, match="add up to more than the payment"):
        record_payment(
            uow, customer, Money(100, "EUR"), date(2026, 10, 5), [(invoice_id, Money(200, "EUR"))]
        )
    with pytest.raises(InvoicingError, match="is in EUR, not USD"):
        record_payment(
            uow, customer, Money(100, "USD"), date(2026, 10, 5), [(invoice_id, Money(100, "USD"))]
        )
    with uow:
        assert uow.session.scalar(select(func.count()).select_from(Allocation)) == 0


def test_whole_and_partial_credit_notes(uow, clock):
    customer = add_customer(uow)
    whole = make_invoice(uow, customer)
    note_id, note_number = create_credit_note(uow, whole, clock, "Cancelled order")
    assert note_number == "CN-2026-00001"
    assert get_invoice(uow, whole, TODAY).status is InvoiceStatus.CREDITED
    assert get_invoice(uow, note_id, TODAY).total == get_invoice(uow, whole, TODAY).total

    part = make_invoice(uow, customer)
    before = get_invoice(uow, part, TODAY).open_amount
    create_credit_note(
        uow,
        part,
        clock,
        "Damaged",
        [DraftLine("Damaged", Decimal(1), Decimal("50.00"), Decimal(19))],
    )
    assert get_invoice(uow, part, TODAY).open_amount == before - Money(5950, "EUR")
    with pytest.raises(InvoicingError, match="exceeds what is left to credit"):
        create_credit_note(uow, part, clock, "again")


def test_void_only_without_allocations(uow):
    customer = add_customer(uow)
    invoice_id = make_invoice(uow, customer)
    record_payment(
        uow, customer, Money(100, "EUR"), date(2026, 10, 5), [(invoice_id, Money(100, "EUR"))]
    )
    with pytest.raises(InvoicingError, match="issue a credit note instead"):
        void_invoice(uow, invoice_id, "wrong customer")
    other = make_invoice(uow, customer)
    void_invoice(uow, other, "wrong customer")
    assert get_invoice(uow, other, TODAY).status is InvoiceStatus.VOID


def test_write_off_settles_a_short_payment(uow):
    customer = add_customer(uow)
    invoice_id = make_invoice(uow, customer)
    open_amount = get_invoice(uow, invoice_id, TODAY).open_amount
    paid = open_amount - Money(250, "EUR")
    record_payment(uow, customer, paid, date(2026, 10, 5), [(invoice_id, paid)])
    write_off(uow, invoice_id, Money(250, "EUR"), date(2026, 10, 5), "bank fees")
    assert get_invoice(uow, invoice_id, TODAY).status is InvoiceStatus.PAID


def test_totals_are_per_currency(uow):
    eur = add_customer(uow, "E1", "Euro AG")
    gbp = add_customer(uow, "G1", "Pound Ltd", currency="GBP")
    make_invoice(uow, eur)
    make_invoice(uow, gbp)
    totals = totals_by_currency(uow, InvoiceQuery(), TODAY)
    eur_total = get_invoice(uow, 1, TODAY).total
    assert totals == {"EUR": eur_total, "GBP": Money(eur_total.minor, "GBP")}
    rows = list_invoices(uow, InvoiceQuery(sort_key="customer", descending=False), TODAY)
    assert [r.customer_name for r in rows] == ["Euro AG", "Pound Ltd"]
    assert rows[1].total.currency == "GBP"


def test_list_filters_by_status_and_search(uow):
    customer = add_customer(uow)
    paid = make_invoice(uow, customer, issued=date(2026, 9, 1))
    make_invoice(uow, customer, issued=date(2026, 9, 2))
    amount = get_invoice(uow, paid, TODAY).open_amount
    record_payment(uow, customer, amount, date(2026, 9, 5), [(paid, amount)])
    overdue = list_invoices(uow, InvoiceQuery(statuses=frozenset({InvoiceStatus.OVERDUE})), TODAY)
    assert [r.number for r in overdue] == ["INV-2026-00002"]
    assert overdue[0].days_overdue == (TODAY - date(2026, 10, 2)).days
    assert [r.number for r in list_invoices(uow, InvoiceQuery(search="00001"), TODAY)] == [
        "INV-2026-00001"
    ]
    assert len(list_invoices(uow, InvoiceQuery(search="müller"), TODAY)) in (0, 2)


def test_every_change_is_in_the_audit_log_and_timeline(uow):
    customer = add_customer(uow)
    make_invoice(uow, customer)
    with uow:
        actions = uow.session.scalars(select(AuditEntry.action)).all()
    assert actions == ["create", "issue"]


def test_recurring_invoices_catch_up_each_missed_period(uow):
    customer = add_customer(uow)
    create_recurring_template(
        uow, customer, Frequency.MONTHLY, date(2026, 8, 31), [LINES[0]], "Hosting"
    )
    numbers = issue_due_recurring(uow, FixedClock(date(2026, 11, 23)))
    assert len(numbers) == 3  # 31 Aug, 30 Sep, 31 Oct
    assert issue_due_recurring(uow, FixedClock(date(2026, 11, 23))) == []
    rows = list_invoices(uow, InvoiceQuery(sort_key="issue_date", descending=False), TODAY)
    assert [r.issue_date for r in rows] == [
        date(2026, 8, 31),
        date(2026, 9, 30),
        date(2026, 10, 31),
    ]


@pytest.mark.parametrize(
    ("start", "months", "anchor", "expected"),
    [
        (date(2026, 1, 31), 1, 31, date(2026, 2, 28)),
        (date(2026, 2, 28), 1, 31, date(2026, 3, 31)),
        (date(2026, 11, 15), 3, 15, date(2027, 2, 15)),
        (date(2024, 2, 29), 12, 29, date(2025, 2, 28)),
    ],
)
def test_add_months_keeps_the_anchor_day(start, months, anchor, expected):
    assert add_months(start, months, anchor) == expected


_CODES = itertools.count()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.integers(min_value=1, max_value=200_000), min_size=1, max_size=6))
def test_no_sequence_of_payments_makes_an_open_amount_negative(uow, payments):
    customer = add_customer(uow, code=f"P{next(_CODES)}")
    invoice_id = make_invoice(uow, customer)
    for minor in payments:
        with contextlib.suppress(InvoicingError):
            record_payment(
                uow,
                customer,
                Money(minor, "EUR"),
                date(2026, 10, 5),
                [(invoice_id, Money(minor, "EUR"))],
            )
        assert get_invoice(uow, invoice_id, TODAY).open_amount.minor >= 0
    with uow:
        allocated = uow.session.scalar(
            select(func.sum(Allocation.amount_minor)).where(Allocation.invoice_id == invoice_id)
        )
    assert (allocated or 0) <= get_invoice(uow, invoice_id, TODAY).total.minor


def test_timeline_events_sit_on_their_business_day(uow):
    customer = add_customer(uow)
    invoice_id = make_invoice(uow, customer, issued=date(2026, 9, 1))
    record_payment(
        uow, customer, Money(1000, "EUR"), date(2026, 9, 10), [(invoice_id, Money(1000, "EUR"))]
    )
    timeline = get_customer(uow, customer, TODAY).timeline
    assert [(t.kind, t.occurred_at.date()) for t in timeline] == [
        ("payment", date(2026, 9, 10)),
        ("invoice", date(2026, 9, 1)),
    ]
    assert timeline[0].summary == "Payment of €10.00 received (INV-2026-00001)"


def test_a_payment_recorded_elsewhere_at_the_same_time_is_not_doubled(
    uow, session_factory, monkeypatch
):
    customer = add_customer(uow)
    invoice_id = make_invoice(uow, customer)
    total = get_invoice(uow, invoice_id, TODAY).total
    real_open_minor = invoicing.open_minor
    raced: list[bool] = []

    def open_minor_while_another_window_pays(session, invoice):
        value = real_open_minor(session, invoice)
        if not raced:  # between our check and our write, another window records the same payment
            raced.append(True)
            record_payment(
                UnitOfWork(session_factory),
                customer,
                total,
                date(2026, 10, 20),
                [(invoice_id, total)],
            )
        return value

    monkeypatch.setattr(invoicing, "open_minor", open_minor_while_another_window_pays)
    with pytest.raises(InvoicingError, match="paid or credited elsewhere at the same time"):
        record_payment(uow, customer, total, date(2026, 10, 21), [(invoice_id, total)])
    detail = get_invoice(uow, invoice_id, TODAY)
    assert [a.amount for a in detail.allocations] == [total]
    assert detail.open_amount == Money(0, "EUR")


def test_credit_notes_never_exceed_the_invoice_even_once_it_is_paid(uow, clock):
    customer = add_customer(uow)
    invoice_id = make_invoice(uow, customer)
    total = get_invoice(uow, invoice_id, TODAY).total
    record_payment(uow, customer, total, date(2026, 10, 5), [(invoice_id, total)])
    create_credit_note(uow, invoice_id, clock, "Goodwill refund")
    with pytest.raises(InvoicingError, match="exceeds what is left to credit"):
        create_credit_note(uow, invoice_id, clock, "Goodwill refund again")


def test_an_issued_credit_note_cannot_be_voided(uow, clock):
    customer = add_customer(uow)
    invoice_id = make_invoice(uow, customer)
    note_id, number = create_credit_note(uow, invoice_id, clock, "Cancelled")
    with pytest.raises(
        InvoicingError, match=f"credit note {number} is issued and cannot be voided"
    ):
        void_invoice(uow, note_id, "mistake")
    assert get_invoice(uow, invoice_id, TODAY).status is InvoiceStatus.CREDITED


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            DraftLine("x", Decimal("1.0005"), Decimal(1)),
            "quantity can have at most 3 decimal places",
        ),
        (DraftLine("x", Decimal(1), Decimal(1), Decimal("7.125")), "tax rate can have at most 2"),
    ],
)
def test_more_precision_than_the_ledger_keeps_is_refused_not_rounded(uow, line, message):
    customer = add_customer(uow)
    with pytest.raises(InvoicingError, match=message):
        create_draft(uow, DraftInvoice(customer, date(2026, 10, 1), (line,)))


def test_recurring_invoices_keep_their_day_of_the_month(uow):
    customer = add_customer(uow)
    create_recurring_template(uow, customer, Frequency.MONTHLY, date(2026, 1, 31), [LINES[0]])
    issue_due_recurring(uow, FixedClock(date(2026, 4, 30)))
    rows = list_invoices(uow, InvoiceQuery(sort_key="issue_date", descending=False), TODAY)
    assert [r.issue_date for r in rows] == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]


def test_two_recurring_runs_at_once_bill_each_period_once(uow, session_factory, monkeypatch):
    customer = add_customer(uow)
    create_recurring_template(uow, customer, Frequency.MONTHLY, date(2026, 10, 15), [LINES[0]])
    clock = FixedClock(date(2026, 11, 20))
    real_claim = recurring._claim_period
    other_run: list[str] = []
    started: list[bool] = []

    def claim_after_the_scheduler_ran(session, template, period):
        if not started:  # the cron job runs to the end while this run is about to claim
            started.append(True)
            other_run.extend(issue_due_recurring(UnitOfWork(session_factory), clock))
        return real_claim(session, template, period)

    monkeypatch.setattr(recurring, "_claim_period", claim_after_the_scheduler_ran)
    assert issue_due_recurring(uow, clock) == []
    assert other_run == ["INV-2026-00001", "INV-2026-00002"]
    assert count_invoices(uow, InvoiceQuery(), TODAY) == 2


@pytest.mark.parametrize("descending", [True, False])
def test_by_open_amount_nothing_receivable_comes_last(uow, clock, descending):
    customer = add_customer(uow)
    make_invoice(uow, customer)
    credited = make_invoice(uow, customer)
    create_credit_note(uow, credited, clock, "Cancelled")
    create_draft(uow, DraftInvoice(customer, date(2026, 10, 1), LINES))
    rows = list_invoices(uow, InvoiceQuery(sort_key="open_amount", descending=descending), TODAY)
    assert [r.status for r in rows][:2] in (
        [InvoiceStatus.OVERDUE, InvoiceStatus.CREDITED],
        [InvoiceStatus.CREDITED, InvoiceStatus.OVERDUE],
    )
    assert {r.status for r in rows[2:]} == {InvoiceStatus.CREDIT_NOTE, InvoiceStatus.DRAFT}


def test_a_cancelled_count_stops_its_running_statement(uow):
    customer = add_customer(uow)
    make_invoice(uow, customer)
    ctx = TaskContext()
    ctx.cancel()
    with pytest.raises(TaskCancelledError):
        count_invoices(uow, InvoiceQuery(statuses=frozenset({InvoiceStatus.OVERDUE})), TODAY, ctx)
    assert count_invoices(uow, InvoiceQuery(), TODAY, TaskContext()) == 1
