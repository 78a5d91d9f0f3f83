"""The Outbox screen on a real ledger: list, preview, cancel, tomorrow's reminders, a run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models.bank import StatementImport
from app.models.collections import Dispute, OutboxItem
from app.models.customer import Customer
from app.models.invoice import Invoice
from app.services.audit import event_time
from app.services.file_import import import_customers, import_invoices
from app.services.reminders.run import run_reminders
from app.services.settings import save_settings
from app.services.uow import UnitOfWork
from app.views.context import ViewContext
from app.views.outbox_view import OutboxView
from tests.gui.conftest import TODAY

pytestmark = pytest.mark.gui

CUSTOMERS = """customer_id,name,email,language,segment
ACME,Acme Trading Ltd,ap@acme.example,en,Standard
MUELLER,Müller & Söhne GmbH,buchhaltung@mueller.example,de,Key account
NOMAIL,No Mail Ltd,,en,Standard
PAUSED,Paused Ltd,ap@paused.example,en,Standard
DISPUTE,Dispute BV,ap@dispute.example,nl,Standard
"""
INVOICES = [
    ("INV-A1", "ACME", 8, "120.00"),
    ("INV-A4", "ACME", 61, "200.00"),
    ("INV-M1", "MUELLER", 11, "1234.50"),
    ("INV-N1", "NOMAIL", 8, "10.00"),
    ("INV-P1", "PAUSED", 8, "10.00"),
    ("INV-D1", "DISPUTE", 8, "99.00"),
    ("INV-D2", "DISPUTE", 9, "45.00"),
]


@pytest.fixture
def ledger(uow_factory: Callable[[], UnitOfWork], tmp_path: Path) -> UnitOfWork:
    """Customers and overdue invoices imported from CSV, one paused, one invoice disputed."""
    uow = uow_factory()
    customers = tmp_path / "customers.csv"
    customers.write_text(CUSTOMERS, encoding="utf-8")
    import_customers(uow, customers)
    rows = ["number,customer_id,issue_date,due_date,total,amount_paid"]
    for number, customer, overdue, total in INVOICES:
        due = TODAY - timedelta(days=overdue)
        rows.append(f"{number},{customer},{due - timedelta(days=30)},{due},{total},0")
    invoices = tmp_path / "invoices.csv"
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
                opened_on=TODAY,
            )
        )
        uow.commit()
    return uow


@pytest.fixture
def queued(ledger: UnitOfWork) -> UnitOfWork:
    """The ledger after today's reminder run: three emails in the outbox."""
    result = run_reminders(ledger, TODAY)
    assert result.queued == 3
    return ledger


def _view(qtbot: QtBot, view_ctx: ViewContext) -> OutboxView:
    view = OutboxView(view_ctx)
    qtbot.addWidget(view)
    view.resize(1300, 800)
    view.refresh()
    return view


def _select(view: OutboxView, customer: str) -> None:
    row = next(i for i, r in enumerate(view.model.rows()) if r.customer_name == customer)
    view.table.selectRow(row)


def test_the_outbox_lists_what_waits_and_counts_it(qtbot, view_ctx, queued):
    view = _view(qtbot, view_ctx)
    counts: list[int] = []
    view.queued_count_changed.connect(counts.append)
    view.refresh()

    assert {r.customer_name for r in view.model.rows()} == {
        "Acme Trading Ltd",
        "Müller & Söhne GmbH",
        "Dispute BV",
    }
    assert counts[-1] == 3
    assert view._count.text() == "3 emails"
    assert view._totals.text() == "3 waiting"
    assert view.model.data(view.model.index(0, 5)) == "Waiting"


def test_the_preview_shows_to_subject_attachments_and_both_bodies(qtbot, view_ctx, queued):
    view = _view(qtbot, view_ctx)
    _select(view, "Acme Trading Ltd")
    preview = view.preview

    assert preview.to.text() == "To: ap@acme.example"
    assert preview.subject.text()
    assert preview.attachments.text().startswith("Attached: INV-A4.pdf, INV-A1.pdf")
    assert "Statement of account.pdf" in preview.attachments.text()
    assert preview.showing_html()
    html = preview.body.toHtml()
    assert "INV-A4" in html
    assert "<table" in html
    preview.text_button.click()
    assert not preview.showing_html()
    assert "INV-A1" in preview.body.toPlainText()
    email = view._email
    assert email is not None
    assert preview.body.toPlainText().strip() == email.body_text.strip()
    assert view.cancel_action.isEnabled()


def test_cancel_asks_then_takes_the_email_out(qtbot, view_ctx, queued, asked):
    view = _view(qtbot, view_ctx)
    counts: list[int] = []
    view.queued_count_changed.connect(counts.append)
    _select(view, "Dispute BV")

    with qtbot.waitSignal(view.status_reported) as status:
        view.cancel_action.trigger()

    assert "Dispute BV" in asked.confirmations[0]
    assert status.args == ["Cancelled the email to Dispute BV"]
    assert "Dispute BV" not in {r.customer_name for r in view.model.rows()}
    assert counts[-1] == 2
    view.select_state_filter("Cancelled")
    assert [r.customer_name for r in view.model.rows()] == ["Dispute BV"]
    view.table.selectRow(0)
    assert not view.cancel_action.isEnabled()
    assert "will not be sent" in view.preview.note.text()


def test_cancel_declined_changes_nothing(qtbot, view_ctx, queued, asked):
    asked.confirm_answer = False
    view = _view(qtbot, view_ctx)
    _select(view, "Dispute BV")
    view.cancel_action.trigger()
    assert len(view.model.rows()) == 3


def test_cancel_refused_by_the_service_says_why(qtbot, view_ctx, queued, asked):
    view = _view(qtbot, view_ctx)
    _select(view, "Acme Trading Ltd")
    with queued:  # sent meanwhile, by the scheduler say
        for item in queued.session.scalars(select(OutboxItem)):
            item.state = "sent"
        queued.commit()

    view.cancel_action.trigger()

    assert len(asked.warned) == 1
    assert "only queued or failed emails can be cancelled" in asked.warned[0]


def test_an_empty_outbox_teaches(qtbot, view_ctx, ledger):
    view = _view(qtbot, view_ctx)
    assert view.list_pages.currentIndex() == 1
    assert view.empty_title.text() == "Nothing waiting to be sent"
    assert view.empty_run_button.isVisibleTo(view)


def test_tomorrow_shows_what_goes_out_and_what_is_held_back(qtbot, view_ctx, ledger):
    view = _view(qtbot, view_ctx)
    view.tomorrow_action.trigger()
    pane = view.tomorrow

    assert view.tabs.currentIndex() == 1
    going = {row[0]: row for row in pane.texts(pane.going)}
    assert set(going) == {"Acme Trading Ltd", "Müller & Söhne GmbH", "Dispute BV"}
    assert going["Acme Trading Ltd"][1] == "Final notice"
    held = {row[0]: row[2] for row in pane.texts(pane.held)}
    assert held["Paused Ltd"].startswith("Reminders paused")
    assert "CFO on holiday" in held["Paused Ltd"]
    assert held["No Mail Ltd"] == "No email address"
    assert held["Dispute BV"].startswith("Disputed")
    assert not pane.warnings.isVisibleTo(view)
    assert pane.preview.subject.text()  # the first letter is shown
    assert "also gets a task" in pane.preview.note.text()  # Acme's final notice escalates
    assert "Nov 24, 2026" in pane.title.text()
    with ledger:  # nothing was written
        assert ledger.session.scalars(select(OutboxItem)).first() is None


def test_tomorrow_puts_warnings_first(qtbot, view_ctx, ledger):
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
                imported_at=event_time(TODAY - timedelta(days=9)),
            )
        )
        ledger.commit()
    view = _view(qtbot, view_ctx)
    view.tomorrow_action.trigger()
    pane = view.tomorrow

    assert pane.warnings.isVisibleTo(view)
    assert pane.warnings.text()
    reasons = {row[2] for row in pane.texts(pane.held)}
    assert any(r.startswith("Bank data too old") for r in reasons)


def test_run_reminders_now_queues_and_reports(qtbot, view_ctx, ledger, sync_runner):
    view = _view(qtbot, view_ctx)
    view.tomorrow_action.trigger()

    with qtbot.waitSignal(view.status_reported) as status:
        view.run_action.trigger()

    assert status.args == ["Queued 3 reminders, 1 task; 3 held back"]
    assert "Deciding today's reminders…" in sync_runner.labels
    assert view.tabs.currentIndex() == 0
    assert len(view.model.rows()) == 3
    with qtbot.waitSignal(view.status_reported) as again:
        view.run_action.trigger()
    assert again.args == ["Queued 0 reminders, 0 tasks; 3 held back"]


def test_search_filters_the_list(qtbot, view_ctx, queued):
    view = _view(qtbot, view_ctx)
    view.set_search("müller")
    assert [r.customer_name for r in view.model.rows()] == ["Müller & Söhne GmbH"]
    view.set_search("INV-A4")
    assert [r.customer_name for r in view.model.rows()] == ["Acme Trading Ltd"]
    view.set_search("nobody")
    assert view.list_pages.currentIndex() == 1
    assert "nobody" in view.empty_title.text()
