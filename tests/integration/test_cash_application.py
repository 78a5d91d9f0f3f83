"""Importing statements, reconciling them and reviewing what is unsure, on a real ledger file."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from app.cli import main
from app.models.money import Money
from app.services.bank_dto import LineFilter, ManualAllocation
from app.services.bank_import import import_statement
from app.services.bank_queries import (
    count_lines_by_state,
    get_statement_line,
    list_statement_lines,
    pickable_invoices,
)
from app.services.cash_application import (
    CashApplicationError,
    accept_proposal,
    apply_line,
    mark_not_customer_payment,
    reject_proposal,
    undo_line,
    undo_lines,
)
from app.services.customers import get_customer
from app.services.dto import DraftInvoice, DraftLine, InvoiceDetail
from app.services.invoice_queries import get_invoice_by_number as by_number
from app.services.invoicing import create_draft, issue_invoice, record_payment
from app.services.reconciliation import reconcile
from app.services.reconciliation_export import export_reconciliation
from app.services.statements.camt_writer import write_camt053
from app.services.statements.parsed import ParsedLine, StatementFileError
from app.services.uow import UnitOfWork
from tests.conftest import TODAY, add_customer

ACCOUNT = "DE89370400440532013000"
PAYER_IBAN = "DE02120300000000202051"


def invoice(uow: UnitOfWork, customer_id: int, gross: str, issued: date = date(2026, 10, 1)) -> str:
    """An issued invoice of ``gross`` (no tax), returning its number."""
    invoice_id = create_draft(
        uow,
        DraftInvoice(
            customer_id=customer_id,
            issue_date=issued,
            due_date=issued + timedelta(days=30),
            lines=(DraftLine("Consulting", Decimal(1), Decimal(gross)),),
        ),
    )
    return issue_invoice(uow, invoice_id)


def credit(amount: str, ref: str, text: str = "", payer: str = "", iban: str = "") -> ParsedLine:
    return ParsedLine(
        booking_date=date(2026, 11, 20),
        amount=Decimal(amount),
        currency="EUR",
        bank_ref=ref,
        payer_name=payer,
        payer_iban=iban,
        remittance=text,
    )


def statement(tmp_path: Path, lines: list[ParsedLine], name: str = "stmt.xml") -> Path:
    path = tmp_path / name
    write_camt053(path, account_iban=ACCOUNT, currency="EUR", lines=lines)
    return path


def get_invoice_by_number(uow: UnitOfWork, number: str) -> InvoiceDetail:
    return by_number(uow, number, TODAY)


def invoice_id_of(uow: UnitOfWork, number: str) -> int:
    [row] = pickable_invoices(uow, currency="EUR", search=number)
    return row.invoice_id


@pytest.fixture
def ledger(uow: UnitOfWork) -> dict[str, object]:
    """Two customers with open invoices in EUR."""
    mueller = add_customer(uow, "C1", "Müller Maschinenbau GmbH")
    dupont = add_customer(uow, "C2", "Dupont et Fils SARL", country="FR")
    return {
        "mueller": mueller,
        "dupont": dupont,
        "m1": invoice(uow, mueller, "1200.00"),
        "m2": invoice(uow, mueller, "350.00"),
        "d1": invoice(uow, dupont, "980.50"),
    }


def test_import_stores_each_line_once(uow, tmp_path, ledger):
    path = statement(
        tmp_path,
        [
            credit("1200.00", "A1", f"Invoice {ledger['m1']}", "MUELLER MASCHINENBAU"),
            credit("-45.10", "A2", "Card fee"),
            credit("980.50", "", f"{ledger['d1']}", "DUPONT ET FILS"),
        ],
    )
    first = import_statement(uow, path)
    assert (first.format, first.lines, first.new, first.duplicates) == ("camt053", 3, 3, 0)
    assert (first.credits_total, first.debits_total) == (Decimal("2180.50"), Decimal("45.10"))
    assert first.currencies == ("EUR",)
    again = import_statement(uow, path)
    assert (again.lines, again.new, again.duplicates) == (3, 0, 3)
    counts = count_lines_by_state(uow)
    assert counts["unmatched"] == 2
    assert counts["ignored"] == 1  # the debit is set aside at once


def test_a_bad_file_imports_nothing(uow, tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text('<?xml version="1.0"?><Document><BkToCstmrStmt><Stmt><Ntry>')
    with pytest.raises(StatementFileError, match=r"broken\.xml"):
        import_statement(uow, path)
    assert list_statement_lines(uow, LineFilter()) == []


def test_reconcile_applies_the_sure_and_proposes_the_rest(uow, tmp_path, ledger):
    path = statement(
        tmp_path,
        [
            credit("1200.00", "A1", f"Rechnung {ledger['m1']}", "MUELLER MASCHINENBAU", PAYER_IBAN),
            credit("500.00", "A2", "Zahlung", "Mueller Maschinenbau"),  # fits no invoice
        ],
    )
    import_statement(uow, path)
    summary = reconcile(uow, auto=True)
    assert summary.lines == 2
    assert summary.auto_applied == 1
    rows = {r.remittance: r for r in list_statement_lines(uow, LineFilter())}
    assert rows[f"Rechnung {ledger['m1']}"].state == "auto"
    paid = get_invoice_by_number(uow, str(ledger["m1"]))
    assert paid.open_amount == Money(0, "EUR")
    waiting = rows["Zahlung"]
    assert waiting.state in ("suggested", "unmatched")


def test_reconcile_without_auto_only_proposes(uow, tmp_path, ledger):
    import_statement(uow, statement(tmp_path, [credit("1200.00", "A1", f"{ledger['m1']}")]))
    summary = reconcile(uow, auto=False)
    assert summary.auto_applied == 0
    [row] = list_statement_lines(uow, LineFilter())
    assert row.state == "suggested"
    detail = get_statement_line(uow, row.line_id)
    assert detail.proposals[0].invoices[0].number == ledger["m1"]
    accept_proposal(uow, row.line_id)
    assert get_invoice_by_number(uow, str(ledger["m1"])).open_amount == Money(0, "EUR")
    assert list_statement_lines(uow, LineFilter())[0].state == "confirmed"


def test_a_person_splits_a_line_writes_off_a_fee_and_the_payer_is_learned(uow, tmp_path, ledger):
    # 1,545.00 for 1,200.00 + 350.00: 5.00 short, written off as bank fees.
    import_statement(
        uow, statement(tmp_path, [credit("1545.00", "A1", "Sammelzahlung", "MM GMBH", PAYER_IBAN)])
    )
    reconcile(uow, auto=False)
    [row] = list_statement_lines(uow, LineFilter())
    m1, m2 = invoice_id_of(uow, str(ledger["m1"])), invoice_id_of(uow, str(ledger["m2"]))
    apply_line(
        uow,
        row.line_id,
        int(ledger["mueller"]),
        [
            ManualAllocation(m1, Money(120000, "EUR")),
            ManualAllocation(m2, Money(34500, "EUR"), Money(500, "EUR")),
        ],
    )
    assert get_invoice_by_number(uow, str(ledger["m2"])).open_amount == Money(0, "EUR")
    customer = get_customer(uow, int(ledger["mueller"]), TODAY)
    assert PAYER_IBAN in customer.ibans
    assert "MM GMBH" in customer.aliases
    detail = get_statement_line(uow, row.line_id)
    assert [(a.number, a.cash.minor, a.writeoff.minor) for a in detail.applied] == [
        (ledger["m1"], 120000, 0),
        (ledger["m2"], 34500, 500),
    ]
    # Undo reopens both invoices, write-off included.
    undo_line(uow, row.line_id)
    assert get_invoice_by_number(uow, str(ledger["m2"])).open_amount == Money(35000, "EUR")
    assert get_invoice_by_number(uow, str(ledger["m1"])).open_amount == Money(120000, "EUR")


def test_an_overpayment_leaves_the_rest_on_account(uow, tmp_path, ledger):
    import_statement(uow, statement(tmp_path, [credit("400.00", "A1", "x", "Müller")]))
    [row] = list_statement_lines(uow, LineFilter())
    m2 = invoice_id_of(uow, str(ledger["m2"]))
    apply_line(
        uow, row.line_id, int(ledger["mueller"]), [ManualAllocation(m2, Money(35000, "EUR"))]
    )
    detail = get_statement_line(uow, row.line_id)
    assert detail.unapplied == Money(5000, "EUR")
    customer = get_customer(uow, int(ledger["mueller"]), TODAY)
    assert customer.unapplied_by_currency == {"EUR": Money(5000, "EUR")}


def test_review_refuses_what_does_not_fit(uow, tmp_path, ledger):
    import_statement(uow, statement(tmp_path, [credit("100.00", "A1", "x")]))
    [row] = list_statement_lines(uow, LineFilter())
    d1 = invoice_id_of(uow, str(ledger["d1"]))
    with pytest.raises(CashApplicationError, match="another customer"):
        apply_line(
            uow, row.line_id, int(ledger["mueller"]), [ManualAllocation(d1, Money(100, "EUR"))]
        )
    with pytest.raises(CashApplicationError, match="more than the line"):
        apply_line(
            uow, row.line_id, int(ledger["dupont"]), [ManualAllocation(d1, Money(20000, "EUR"))]
        )
    with pytest.raises(CashApplicationError, match="no such proposal"):
        accept_proposal(uow, row.line_id, 0)
    assert list_statement_lines(uow, LineFilter())[0].state == "unmatched"


def test_rejected_proposals_stay_rejected_and_lines_can_be_set_aside(uow, tmp_path, ledger):
    import_statement(uow, statement(tmp_path, [credit("980.50", "A1", "Zinsen", "Bank")]))
    reconcile(uow, auto=False)
    [row] = list_statement_lines(uow, LineFilter())
    detail = get_statement_line(uow, row.line_id)
    if detail.proposals:
        rejected = {i.invoice_id for i in detail.proposals[0].invoices}
        reject_proposal(uow, row.line_id, 0)
        reconcile(uow, auto=False)
        again = get_statement_line(uow, row.line_id)
        assert all({i.invoice_id for i in p.invoices} != rejected for p in again.proposals)
    mark_not_customer_payment(uow, row.line_id, "interest")
    assert list_statement_lines(uow, LineFilter())[0].state == "ignored"
    assert reconcile(uow, auto=True).lines == 0
    undo_line(uow, row.line_id)
    assert list_statement_lines(uow, LineFilter(state="review"))[0].line_id == row.line_id


def test_a_line_in_a_currency_without_open_invoices_applies_nothing(uow, tmp_path, ledger):
    line = ParsedLine(date(2026, 11, 20), Decimal("1200.00"), "CHF", "A1", remittance=ledger["m1"])
    path = tmp_path / "chf.xml"
    write_camt053(path, account_iban="CH9300762011623852957", currency="CHF", lines=[line])
    import_statement(uow, path)
    assert reconcile(uow, auto=True).auto_applied == 0
    assert get_invoice_by_number(uow, str(ledger["m1"])).open_amount == Money(120000, "EUR")


def test_an_invoice_paid_already_is_not_paid_again(uow, tmp_path, ledger):
    m1 = invoice_id_of(uow, str(ledger["m1"]))
    record_payment(
        uow,
        int(ledger["mueller"]),
        Money(120000, "EUR"),
        date(2026, 11, 1),
        [(m1, Money(120000, "EUR"))],
    )
    import_statement(
        uow, statement(tmp_path, [credit("1200.00", "A1", f"{ledger['m1']}", "Müller")])
    )
    assert reconcile(uow, auto=True).auto_applied == 0
    [row] = list_statement_lines(uow, LineFilter())
    assert row.state in ("suggested", "unmatched")
    detail = get_statement_line(uow, row.line_id)
    assert str(ledger["m1"]) in detail.note
    assert detail.proposals[0].invoices == ()  # first: keep the cash on the customer's account
    assert detail.proposals[0].unapplied == Money(120000, "EUR")


def test_export_has_a_row_per_allocation_with_its_status(uow, tmp_path, ledger):
    import_statement(
        uow,
        statement(
            tmp_path,
            [
                credit("1200.00", "A1", f"{ledger['m1']}", "Müller Maschinenbau GmbH"),
                credit("77.00", "A2", "unknown", "Somebody"),
            ],
        ),
    )
    reconcile(uow, auto=True)
    out = tmp_path / "rec.csv"
    export_reconciliation(uow, out)
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "line_ref", "booking_date", "line_amount", "invoice_number", "applied_amount",
        "writeoff_amount", "status", "confidence", "reason",
    ]  # fmt: skip
    by_ref = {r["line_ref"]: r for r in rows}
    assert by_ref["A1"]["invoice_number"] == ledger["m1"]
    assert by_ref["A1"]["applied_amount"] == "1200.00"
    assert by_ref["A1"]["status"] == "auto"
    assert Decimal(by_ref["A1"]["confidence"]) > Decimal("0.9")
    assert by_ref["A2"]["status"] in ("unmatched", "suggested")


def test_command_line_import_and_reconcile(tmp_path, capsys, session_factory, ledger_path, ledger):
    path = statement(tmp_path, [credit("1200.00", "A1", f"{ledger['m1']}", "Müller")])
    db = str(ledger_path)
    assert main(["--db", db, "import", "statement", str(path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["format"] == "camt053"
    assert (printed["lines"], printed["new"], printed["duplicates"]) == (1, 1, 0)
    assert printed["credits_total"] == "1200.00"
    assert printed["debits_total"] == "0"
    assert main(["--db", db, "import", "statement", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["duplicates"] == 1
    out = tmp_path / "rec.csv"
    assert main(["--db", db, "reconcile", "--auto", "--export", str(out)]) == 0
    assert "1 applied automatically" in capsys.readouterr().out
    assert "auto" in out.read_text(encoding="utf-8")


def test_command_line_bad_statement_exits_1(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("Dear Sir, please find attached our invoice.\n")
    assert main(["--db", str(tmp_path / "l.sqlite3"), "import", "statement", str(path)]) == 1
    err = capsys.readouterr().err
    assert "notes.txt" in err
    assert len(err.strip().splitlines()) == 1


def test_unknown_saved_mapping_is_named(tmp_path, capsys):
    path = tmp_path / "bank.csv"
    path.write_text("Date,Amount\n2026-11-01,10.00\n")
    db = str(tmp_path / "l.sqlite3")
    assert main(["--db", db, "import", "statement", str(path), "--mapping", "ING"]) == 1
    assert "'ING'" in capsys.readouterr().err


def test_a_whole_run_is_undone_at_once(uow, tmp_path, ledger):
    import_statement(
        uow,
        statement(
            tmp_path,
            [
                credit("1200.00", "A1", f"{ledger['m1']}", "Müller", PAYER_IBAN),
                credit("980.50", "A2", f"{ledger['d1']}", "Dupont et Fils"),
            ],
        ),
    )
    summary = reconcile(uow, auto=True)
    assert len(summary.applied_line_ids) == summary.auto_applied == 2
    result = undo_lines(uow, summary.applied_line_ids)
    assert result.message.startswith("Undid 2 payments")
    for key, total in (("m1", 120000), ("d1", 98050)):
        assert get_invoice_by_number(uow, str(ledger[key])).open_amount.minor == total
    assert {r.state for r in list_statement_lines(uow, LineFilter())} == {"suggested"}
