"""The demo ledger: a realistic small company in every state, built the same way for a seed."""

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models.activity import Activity, AuditEntry
from app.models.company import TaxRate
from app.models.db import open_ledger
from app.models.invoice import Frequency, Invoice, InvoiceLine, InvoiceStatus, RecurringTemplate
from app.models.payment import Allocation, AllocationKind, Payment
from app.services.customers import get_customer, list_customers
from app.services.demo import build_demo_ledger, iban_with_check_digits
from app.services.follow_ups import list_follow_ups
from app.services.iban import is_valid_iban
from app.services.invoice_queries import (
    InvoiceQuery,
    count_invoices,
    get_invoice,
    get_invoice_by_number,
    list_invoices,
)
from app.services.promises import list_promises
from app.services.reminders.outbox import list_outbox
from app.services.settings import load_settings
from app.services.uow import UnitOfWork
from app.services.worklist import load_worklist
from tests.conftest import TODAY

INVOICES_ONLY = InvoiceQuery(include_credit_notes=False)


def build(path: Path, seed: int = 7, today: date = TODAY) -> UnitOfWork:
    uow = UnitOfWork(open_ledger(path), actor="demo")
    build_demo_ledger(uow, today, seed)
    return uow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> UnitOfWork:
    return build(tmp_path_factory.mktemp("demo") / "demo.sqlite3")


def fingerprint(uow: UnitOfWork) -> list[tuple[object, ...]]:
    rows = list_invoices(uow, InvoiceQuery(sort_key="number"), TODAY, limit=10_000)
    return [
        (r.number, r.customer_name, r.issue_date, r.due_date, r.total, r.open_amount, r.status)
        for r in rows
    ]


def test_company_settings_and_tax_rates(demo):
    settings = load_settings(demo)
    assert settings["company.name"] == "Nordlicht Design GmbH"
    assert settings["company.currency"] == "EUR"
    assert is_valid_iban(settings["company.iban"])
    assert settings["company.bic"]
    assert "{number}" in settings["invoice.payment_link"]
    with demo:
        rates = sorted(r.rate_bp for r in demo.session.scalars(select(TaxRate)) if r.active)
    assert rates == [0, 700, 1900]


def test_about_forty_customers_in_three_countries_and_two_currencies(demo):
    customers = list_customers(demo, TODAY)
    assert 35 <= len(customers) <= 45
    assert {c.country for c in customers} == {"DE", "FR", "GB"}
    assert {c.currency for c in customers} == {"EUR", "GBP"}
    assert {c.segment for c in customers} == {"Key account", "Standard", "New customer"}
    names = " ".join(c.name for c in customers)
    for legal_form in ("GmbH", "SARL", "Ltd"):
        assert legal_form in names
    assert any(ch in names for ch in "äöüß")
    assert any(ch in names for ch in "éèç")


def test_customers_have_contacts_payer_accounts_aliases_and_languages(demo):
    details = [get_customer(demo, c.id, TODAY) for c in list_customers(demo, TODAY)]
    assert {d.language for d in details} == {"de", "fr", "en"}
    assert all(d.contacts for d in details)
    assert all(d.owner for d in details)
    roles = Counter(c.role for d in details for c in d.contacts)
    assert {"billing", "accounts_payable", "reminders"} <= set(roles)
    domains = {c.email.rsplit("@", 1)[1] for d in details for c in d.contacts}
    assert domains <= {"example.com", "example.de", "example.fr", "example.co.uk"}
    ibans = [i for d in details for i in d.ibans]
    assert len(ibans) >= 20
    assert all(is_valid_iban(i) for i in ibans)
    assert {i[:2] for i in ibans} == {"DE", "FR", "GB"}
    assert sum(1 for d in details if d.aliases) >= 5


def test_iban_check_digits_are_computed():
    assert iban_with_check_digits("DE", "370400440532013000") == "DE89370400440532013000"


def test_about_three_hundred_invoices_with_every_status(demo):
    assert 270 <= count_invoices(demo, INVOICES_ONLY, TODAY) <= 340
    counts = {
        status: count_invoices(
            demo, InvoiceQuery(statuses=frozenset({status}), include_credit_notes=False), TODAY
        )
        for status in InvoiceStatus
        if status is not InvoiceStatus.CREDIT_NOTE
    }
    assert all(counts.values()), counts
    notes = InvoiceQuery(statuses=frozenset({InvoiceStatus.CREDIT_NOTE}))
    assert count_invoices(demo, notes, TODAY) >= 3
    assert counts[InvoiceStatus.PAID] > counts[InvoiceStatus.OVERDUE] >= 10
    assert counts[InvoiceStatus.OPEN] >= 10


def test_invoices_span_nine_months_in_both_currencies(demo):
    rows = list_invoices(demo, INVOICES_ONLY, TODAY, limit=10_000)
    issued = [r.issue_date for r in rows]
    assert max(issued) <= TODAY
    assert (TODAY - min(issued)).days >= 240
    assert {r.total.currency for r in rows} == {"EUR", "GBP"}


def test_lines_use_every_tax_rate(demo):
    with demo:
        rates = set(demo.session.scalars(select(InvoiceLine.tax_rate_bp)))
        counts = Counter(len(i.lines) for i in demo.session.scalars(select(Invoice)))
    assert rates == {0, 700, 1900}
    assert set(counts) == {1, 2, 3, 4}


def test_overdue_spreads_from_days_to_four_months_with_one_chronic_late_payer(demo):
    overdue = list_invoices(
        demo,
        InvoiceQuery(statuses=frozenset({InvoiceStatus.OVERDUE}), include_credit_notes=False),
        TODAY,
        limit=1000,
    )
    days = [r.days_overdue for r in overdue]
    assert min(days) <= 14
    assert max(days) > 90
    old = Counter(r.customer_name for r in overdue if 60 <= r.days_overdue <= 120)
    assert old.most_common(1)[0][1] >= 3


def test_whole_and_part_credit_notes(demo):
    notes = [
        r
        for r in list_invoices(demo, InvoiceQuery(), TODAY, limit=10_000)
        if r.kind == "credit_note"
    ]
    assert len(notes) >= 4
    whole = part = 0
    for note in notes:
        detail = get_invoice(demo, note.id, TODAY)
        original = get_invoice_by_number(demo, detail.credited_invoice_number, TODAY)
        if note.total == original.total:
            whole += 1
        else:
            assert note.total < original.total
            part += 1
    assert whole >= 1
    assert part >= 1


def test_payments_are_dated_after_issue_and_never_after_today(demo):
    with demo:
        rows = demo.session.execute(
            select(Payment.received_on, Invoice.issue_date)
            .join(Allocation, Allocation.payment_id == Payment.id)
            .join(Invoice, Invoice.id == Allocation.invoice_id)
        ).all()
        many = demo.session.scalar(
            select(func.count()).select_from(
                select(Allocation.payment_id)
                .where(Allocation.payment_id.is_not(None))
                .group_by(Allocation.payment_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
        unapplied = demo.session.scalar(
            select(func.count()).select_from(Payment).where(~Payment.allocations.any())
        )
        write_offs = demo.session.scalar(
            select(func.count()).where(Allocation.kind == AllocationKind.WRITE_OFF)
        )
    assert len(rows) >= 200
    assert all(issued < received <= TODAY for received, issued in rows)
    assert many, "some transfers pay several invoices"
    assert unapplied, "an invoice paid twice leaves unapplied cash"
    assert write_offs, "bank charges written off"


def test_recurring_templates_timeline_and_audit(demo):
    with demo:
        templates = [
            (t.frequency, t.next_date, t.active)
            for t in demo.session.scalars(select(RecurringTemplate))
        ]
        recurring = demo.session.scalar(
            select(func.count()).where(Invoice.recurring_template_id.is_not(None))
        )
        notes = demo.session.scalar(select(func.count()).where(Activity.kind == "note"))
        authors = set(demo.session.scalars(select(Activity.author).where(Activity.kind == "note")))
        audit = demo.session.scalar(select(func.count()).select_from(AuditEntry))
    assert len(templates) == 2
    assert all(f == Frequency.MONTHLY and nxt > TODAY and on for f, nxt, on in templates)
    assert recurring >= 14
    assert notes >= 8
    assert len(authors) >= 2
    assert audit > 600


def test_numbers_follow_issue_dates(demo):
    rows = list_invoices(demo, InvoiceQuery(sort_key="number", descending=False), TODAY, 0, 10_000)
    issued = [r.issue_date for r in rows if r.number.startswith("INV-")]
    assert issued == sorted(issued)


def test_same_seed_same_ledger_other_seed_other_ledger(demo, tmp_path):
    assert fingerprint(build(tmp_path / "again.sqlite3")) == fingerprint(demo)
    assert fingerprint(build(tmp_path / "other.sqlite3", seed=8)) != fingerprint(demo)


def test_builds_on_a_date_across_a_year_end(tmp_path):
    uow = build(tmp_path / "january.sqlite3", today=date(2027, 1, 10))
    numbers = {r.number[:8] for r in list_invoices(uow, INVOICES_ONLY, date(2027, 1, 10), 0, 1000)}
    assert {"INV-2026", "INV-2027"} <= numbers


def test_the_worklist_shows_every_kind_of_next_action(demo: UnitOfWork) -> None:
    rows = load_worklist(demo, TODAY)
    kinds = {r.action_kind for r in rows}
    assert kinds >= {"call", "escalate", "reminder", "paused", "promise", "dispute", "task", "wait"}
    actions = {r.customer_name: r.next_action for r in rows}
    assert actions["Lübke Elektrotechnik GmbH"] == "promise to pay broken 3 days ago: call"
    assert rows[0].customer_name == "Lübke Elektrotechnik GmbH"
    assert any(a.startswith("disputed: waiting on a credit note") for a in actions.values())
    assert any(a.startswith("paused until") and "CFO on holiday" in a for a in actions.values())
    assert actions["Northgate Foods plc"] == "excluded from reminders: follow up by hand"


def test_the_demo_has_a_reminder_history_and_collections_timeline(demo: UnitOfWork) -> None:
    sent = list_outbox(demo, states=("sent",))
    assert len(sent) > 30
    assert {r.step for r in sent} >= {"Friendly note", "1st reminder", "2nd reminder"}
    assert all(r.sent_at is not None and r.sent_at.date() < TODAY for r in sent)
    failed = list_outbox(demo, states=("failed",))
    unknown = list_outbox(demo, states=("unknown",))
    assert len(failed) == 1
    assert "550" in failed[0].last_error
    assert len(unknown) == 1
    assert "may have been sent" in unknown[0].last_error
    assert list_promises(demo, state="kept")
    assert list_promises(demo, state="broken")
    with demo:
        kinds = {k for (k,) in demo.session.execute(select(Activity.kind).distinct())}
    assert kinds >= {"reminder", "call", "promise", "dispute", "pause", "task", "note"}
    assert list_follow_ups(demo, TODAY)
