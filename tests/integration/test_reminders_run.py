"""A reminder pass on a real ledger: what it queues, what it holds back, and that it is once only.

The ledger is loaded through the CSV imports of formats.md, so customers carry their language,
segment and email as a real import gives them.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.cli import main
from app.models.bank import StatementImport
from app.models.collections import (
    Dispute,
    FollowUp,
    OutboxItem,
    OutboxState,
    PromiseToPay,
    ReminderStepTaken,
)
from app.models.customer import Customer
from app.models.invoice import Invoice
from app.services.audit import event_time
from app.services.file_import import import_customers, import_invoices
from app.services.reminders.outbox import (
    OutboxError,
    cancel_outbox_item,
    get_outbox_email,
    list_outbox,
    queue_reminder_now,
)
from app.services.reminders.run import run_reminders
from app.services.settings import save_settings
from app.services.uow import UnitOfWork
from app.services.worklist import filter_worklist, load_worklist
from tests.conftest import TODAY

CUSTOMERS = """customer_id,name,email,language,segment
ACME,Acme Trading Ltd,ap@acme.example,en,Standard
MUELLER,Müller & Söhne GmbH,buchhaltung@mueller.example,de,Key account
NOMAIL,No Mail Ltd,,en,Standard
PAUSED,Paused Ltd,ap@paused.example,en,Standard
DISPUTE,Dispute BV,ap@dispute.example,nl,Standard
PAID,Paid Up SA,ap@paid.example,fr,Standard
"""


def _due(days_overdue: int) -> str:
    return (TODAY - timedelta(days=days_overdue)).isoformat()


INVOICES = [
    # number, customer, days overdue, total, amount paid
    ("INV-A1", "ACME", 8, "120.00", "0"),
    ("INV-A2", "ACME", 35, "80.00", "30.00"),
    ("INV-A3", "ACME", -10, "50.00", "0"),
    ("INV-M1", "MUELLER", 11, "1234.50", "0"),
    ("INV-N1", "NOMAIL", 8, "10.00", "0"),
    ("INV-P1", "PAUSED", 8, "10.00", "0"),
    ("INV-D1", "DISPUTE", 8, "99.00", "0"),
    ("INV-D2", "DISPUTE", 9, "45.00", "0"),
    ("INV-F1", "PAID", 8, "70.00", "70.00"),
    ("INV-A4", "ACME", 61, "200.00", "0"),
]


@pytest.fixture
def ledger(uow: UnitOfWork, tmp_path: Path) -> UnitOfWork:
    customers = tmp_path / "customers.csv"
    customers.write_text(CUSTOMERS, encoding="utf-8")
    import_customers(uow, customers)
    invoices = tmp_path / "invoices.csv"
    rows = ["number,customer_id,issue_date,due_date,total,amount_paid"]
    for number, customer, overdue, total, paid in INVOICES:
        issued = (TODAY - timedelta(days=overdue + 30)).isoformat()
        rows.append(f"{number},{customer},{issued},{_due(overdue)},{total},{paid}")
    invoices.write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_invoices(uow, invoices)
    save_settings(uow, {"company.name": "Duebook Demo GmbH", "company.email": "ar@duebook.example"})
    with uow:
        session = uow.session
        paused = session.scalars(select(Customer).where(Customer.code == "PAUSED")).one()
        paused.reminders_paused_until = TODAY + timedelta(days=10)
        paused.reminders_pause_reason = "CFO on holiday"
        disputed = session.scalars(select(Invoice).where(Invoice.number == "INV-D1")).one()
        session.add(
            Dispute(
                invoice_id=disputed.id,
                customer_id=disputed.customer_id,
                reason="price",
                waiting_on="a credit note",
                opened_on=TODAY,
            )
        )
        uow.commit()
    return uow


def _by_customer(result_json: dict[str, object]) -> dict[str, dict[str, object]]:
    return {d["customer_id"]: d for d in result_json["decisions"]}  # type: ignore[attr-defined]


def test_a_pass_queues_one_letter_per_customer_in_its_language(ledger: UnitOfWork) -> None:
    result = run_reminders(ledger, TODAY)
    decisions = _by_customer(result.as_json())
    assert set(decisions) == {"ACME", "MUELLER", "DISPUTE"}
    acme = decisions["ACME"]
    assert acme["step"] == "Final notice"
    assert acme["invoices"] == ["INV-A4", "INV-A2", "INV-A1"]
    assert acme["to"] == ["ap@acme.example"]
    assert acme["status"] == "queued"
    assert decisions["MUELLER"]["step"] == "1st reminder"
    assert decisions["DISPUTE"]["invoices"] == ["INV-D2"]
    skipped = {(s["customer_id"], s["reason"]) for s in result.as_json()["skipped"]}  # type: ignore[attr-defined]
    assert skipped == {("NOMAIL", "no-contact"), ("PAUSED", "paused"), ("DISPUTE", "disputed")}
    german = next(d for d in result.decisions if d.customer_code == "MUELLER")
    assert german.email is not None
    assert "1.234,50" in german.email.body_text
    with ledger:
        items = ledger.session.scalars(select(OutboxItem).order_by(OutboxItem.id)).all()
        assert [i.state for i in items] == ["queued"] * 3
        assert ledger.session.scalar(select(func.count()).select_from(ReminderStepTaken)) == 5
        task = ledger.session.scalars(select(FollowUp)).one()
        assert task.kind == "escalation"
        assert "Acme Trading Ltd" in task.title


def test_a_second_pass_the_same_day_queues_nothing(ledger: UnitOfWork) -> None:
    run_reminders(ledger, TODAY)
    again = run_reminders(ledger, TODAY)
    assert again.decisions == ()
    assert again.queued == 0
    with ledger:
        assert ledger.session.scalar(select(func.count()).select_from(OutboxItem)) == 3
        assert ledger.session.scalar(select(func.count()).select_from(FollowUp)) == 1


def test_the_minimum_interval_holds_the_next_steps(ledger: UnitOfWork) -> None:
    run_reminders(ledger, TODAY)
    later = run_reminders(ledger, TODAY + timedelta(days=25))
    reasons = {(s.customer_code, s.reason) for s in later.skipped}
    assert ("MUELLER", "min-interval") not in reasons
    assert {d.customer_code for d in later.decisions} >= {"ACME"}


def test_dry_run_writes_nothing(ledger: UnitOfWork) -> None:
    result = run_reminders(ledger, TODAY, dry_run=True)
    assert {d.status for d in result.decisions if d.email} == {"dry-run"}
    with ledger:
        assert ledger.session.scalar(select(func.count()).select_from(OutboxItem)) == 0
        assert ledger.session.scalar(select(func.count()).select_from(ReminderStepTaken)) == 0


def test_a_promise_to_pay_holds_the_letter(ledger: UnitOfWork) -> None:
    with ledger:
        mueller = ledger.session.scalars(select(Customer).where(Customer.code == "MUELLER")).one()
        ledger.session.add(
            PromiseToPay(
                customer_id=mueller.id,
                amount_minor=123450,
                currency="EUR",
                promised_date=TODAY + timedelta(days=2),
            )
        )
        ledger.commit()
    result = run_reminders(ledger, TODAY)
    assert ("MUELLER", "promise") in {(s.customer_code, s.reason) for s in result.skipped}


def test_stale_bank_data_holds_overdue_letters_with_a_warning(
    ledger: UnitOfWork, tmp_path: Path
) -> None:
    with ledger:
        ledger.session.add(
            StatementImport(
                file_name="old.xml",
                format="camt053",
                sha256="0" * 64,
                statements=1,
                lines_total=0,
                lines_new=0,
                warnings="",
                actor="t",
                imported_at=event_time(TODAY - timedelta(days=8)),
            )
        )
        ledger.commit()
    result = run_reminders(ledger, TODAY)
    assert result.decisions == ()
    assert "2026-11-15" in result.warnings[0]
    assert {s.reason for s in result.skipped} >= {"stale-bank-data"}


def test_cli_prints_the_formats_json(
    ledger: UnitOfWork, ledger_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            "reminders",
            "run",
            "--dry-run",
            "--today",
            TODAY.isoformat(),
            "--json",
            "--db",
            str(ledger_path),
        ]
    )
    assert status == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["today"] == "2026-11-23"
    assert set(printed) == {"today", "warnings", "decisions", "skipped"}
    decision = printed["decisions"][0]
    assert set(decision) == {"customer_id", "step", "invoices", "to", "subject", "status"}
    assert decision["status"] == "dry-run"
    assert set(printed["skipped"][0]) == {"customer_id", "invoices", "reason"}
    assert main(["reminders", "run", "--db", str(ledger_path), "--today", TODAY.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "queued 3 emails, 1 task;" in out
    assert "held   Paused Ltd: INV-P1 (paused: CFO on holiday)" in out


def test_cli_json_without_a_mail_server_keeps_letters_queued_and_adds_no_warning(
    ledger: UnitOfWork, ledger_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["reminders", "run", "--json", "--db", str(ledger_path), "--today", TODAY.isoformat()]
    assert main(args) == 0
    printed = json.loads(capsys.readouterr().out)
    assert {d["status"] for d in printed["decisions"]} == {"queued"}
    assert printed["warnings"] == []


def test_cli_refuses_a_bad_date(ledger_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["reminders", "run", "--today", "23.11.2026", "--db", str(ledger_path)])
    assert exit_info.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_outbox_lists_previews_and_cancels(ledger: UnitOfWork) -> None:
    run_reminders(ledger, TODAY)
    rows = list_outbox(ledger)
    assert {r.customer_name for r in rows} == {
        "Acme Trading Ltd",
        "Müller & Söhne GmbH",
        "Dispute BV",
    }
    acme = next(r for r in rows if r.customer_name == "Acme Trading Ltd")
    assert acme.invoices == ("INV-A4", "INV-A2", "INV-A1")
    email = get_outbox_email(ledger, acme.id)
    assert "INV-A4" in email.body_text
    assert "<table" in email.body_html
    cancel_outbox_item(ledger, acme.id)
    assert get_outbox_email(ledger, acme.id).row.state == OutboxState.CANCELLED
    with pytest.raises(OutboxError, match="cancelled"):
        cancel_outbox_item(ledger, acme.id)
    with pytest.raises(OutboxError, match="does not exist"):
        get_outbox_email(ledger, 999)
    assert run_reminders(ledger, TODAY).decisions == ()


def test_send_a_reminder_now_skips_disputed_invoices_and_needs_an_address(
    ledger: UnitOfWork,
) -> None:
    with ledger:
        ids = dict(ledger.session.execute(select(Customer.code, Customer.id)).all())
    item_id = queue_reminder_now(ledger, ids["DISPUTE"], TODAY)
    assert get_outbox_email(ledger, item_id).row.invoices == ("INV-D2",)
    with pytest.raises(OutboxError, match="no contact with an email"):
        queue_reminder_now(ledger, ids["NOMAIL"], TODAY)
    with pytest.raises(OutboxError, match="no overdue invoice"):
        queue_reminder_now(ledger, ids["PAID"], TODAY)


def test_worklist_ranks_and_words_the_next_action(ledger: UnitOfWork) -> None:
    rows = load_worklist(ledger, TODAY)
    actions = {r.customer_code: r.next_action for r in rows}
    assert actions["ACME"] == "Final notice due today"
    assert actions["MUELLER"] == "1st reminder due today"
    assert actions["PAUSED"] == "paused until 3 Dec: CFO on holiday"
    assert actions["NOMAIL"] == "no email address for reminders: add a contact"
    assert "PAID" not in actions
    assert rows[0].customer_code == "ACME"
    acme = rows[0]
    assert acme.bucket == "61-90"
    assert acme.oldest_days_overdue == 61
    assert [str(m.amount) for m in acme.overdue] == ["370.00"]
    assert filter_worklist(rows, bucket="61-90") == [acme]
    assert {r.customer_code for r in filter_worklist(rows, segment="Key account")} == {"MUELLER"}
    assert "PAUSED" not in {r.customer_code for r in filter_worklist(rows, today_only=True)}
    run_reminders(ledger, TODAY)
    after = {r.customer_code: r.next_action for r in load_worklist(ledger, TODAY)}
    assert after["ACME"].startswith("Escalate Acme Trading Ltd")
    assert after["MUELLER"] == "Call the customer due in 10 days"


def test_worklist_says_what_a_dispute_waits_on(ledger: UnitOfWork) -> None:
    with ledger:
        d2 = ledger.session.scalars(select(Invoice).where(Invoice.number == "INV-D2")).one()
        ledger.session.add(
            Dispute(
                invoice_id=d2.id,
                customer_id=d2.customer_id,
                reason="damaged goods",
                waiting_on="a credit note",
                opened_on=TODAY,
            )
        )
        ledger.commit()
    actions = {r.customer_code: r.next_action for r in load_worklist(ledger, TODAY)}
    assert actions["DISPUTE"] == "disputed: waiting on a credit note"


def test_worklist_on_an_empty_ledger(uow: UnitOfWork) -> None:
    assert load_worklist(uow, date(2026, 1, 1)) == []


def test_a_broken_promise_is_settled_by_the_pass_and_leads_the_worklist(ledger: UnitOfWork) -> None:
    with ledger:
        mueller = ledger.session.scalars(select(Customer).where(Customer.code == "MUELLER")).one()
        ledger.session.add(
            PromiseToPay(
                customer_id=mueller.id,
                amount_minor=123450,
                currency="EUR",
                promised_date=TODAY - timedelta(days=4),
            )
        )
        ledger.commit()
    result = run_reminders(ledger, TODAY)
    assert "MUELLER" in {d.customer_code for d in result.decisions}
    with ledger:
        promise = ledger.session.scalars(select(PromiseToPay)).one()
        assert promise.state == "broken"
    actions = {r.customer_code: r.next_action for r in load_worklist(ledger, TODAY)}
    assert actions["MUELLER"] == "promise to pay broken today: call"
