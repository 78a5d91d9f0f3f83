"""The Worklist screen on a real ledger: rows and next actions, filters, and each action."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models.collections import Dispute
from app.models.customer import Customer
from app.models.invoice import Invoice
from app.services.collection_actions import list_open_disputes, pause_reminders, reminder_choice
from app.services.customers import add_user, get_customer, list_contacts
from app.services.file_import import import_customers, import_invoices
from app.services.follow_ups import list_follow_ups
from app.services.promises import list_promises
from app.services.reminders.outbox import list_outbox
from app.services.reminders.policies import list_policies
from app.services.settings import save_settings
from app.services.uow import UnitOfWork
from app.views.collection_dialogs import (
    ME_KEY,
    LogCallDialog,
    NoteDialog,
    OpenDisputeDialog,
    PauseDialog,
    PromiseDialog,
    ReminderContactDialog,
    ReminderPolicyDialog,
    ResolveDisputeDialog,
    TaskDialog,
    remember_user,
)
from app.views.context import ViewContext
from app.views.customers_view import CustomersView
from app.views.main_window import MainWindow
from app.views.models.worklist_model import WorklistColumn
from app.views.worklist_view import WorklistView
from tests.gui.conftest import TODAY

pytestmark = pytest.mark.gui

T = TypeVar("T", bound=QDialog)

CUSTOMERS = """customer_id,name,email,language,segment
ACME,Acme Trading Ltd,ap@acme.example,en,Standard
MUELLER,Müller & Söhne GmbH,buchhaltung@mueller.example,de,Key account
NOMAIL,No Mail Ltd,,en,Standard
PAUSED,Paused Ltd,ap@paused.example,en,Standard
DISPUTE,Dispute BV,ap@dispute.example,nl,Standard
"""

INVOICES = [
    # number, customer, days overdue, total, amount paid
    ("INV-A1", "ACME", 8, "120.00", "0"),
    ("INV-A2", "ACME", 35, "80.00", "30.00"),
    ("INV-A4", "ACME", 61, "200.00", "0"),
    ("INV-M1", "MUELLER", 11, "1234.50", "0"),
    ("INV-N1", "NOMAIL", 8, "10.00", "0"),
    ("INV-P1", "PAUSED", 8, "10.00", "0"),
    ("INV-D1", "DISPUTE", 8, "99.00", "0"),
]


def make_collections_ledger(uow: UnitOfWork, tmp_path: Path) -> dict[str, int]:
    """Five customers with overdue invoices, two people owning them; the users' ids by name."""
    customers = tmp_path / "customers.csv"
    customers.write_text(CUSTOMERS, encoding="utf-8")
    import_customers(uow, customers)
    invoices = tmp_path / "invoices.csv"
    rows = ["number,customer_id,issue_date,due_date,total,amount_paid"]
    for number, customer, overdue, total, paid in INVOICES:
        due = TODAY - timedelta(days=overdue)
        issued = due - timedelta(days=30)
        rows.append(f"{number},{customer},{issued.isoformat()},{due.isoformat()},{total},{paid}")
    invoices.write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_invoices(uow, invoices)
    save_settings(uow, {"company.name": "Duebook Demo GmbH", "company.email": "ar@duebook.example"})
    users = {"Ana": add_user(uow, "Ana"), "Ben": add_user(uow, "Ben")}
    with uow:
        session = uow.session
        by_code = {c.code: c for c in session.scalars(select(Customer))}
        by_code["ACME"].owner_id = users["Ana"]
        by_code["NOMAIL"].owner_id = users["Ana"]
        by_code["MUELLER"].owner_id = users["Ben"]
        by_code["PAUSED"].reminders_paused_until = TODAY + timedelta(days=10)
        by_code["PAUSED"].reminders_pause_reason = "CFO on holiday"
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
    return users


@pytest.fixture
def users(uow_factory: Callable[[], UnitOfWork], tmp_path: Path) -> dict[str, int]:
    return make_collections_ledger(uow_factory(), tmp_path)


def open_worklist(qtbot: QtBot, view_ctx: ViewContext) -> WorklistView:
    view = WorklistView(view_ctx)
    qtbot.addWidget(view)
    view.refresh()
    return view


def codes(view: WorklistView) -> list[str]:
    return [row.customer_code for row in view.shown_rows()]


def pick(view: WorklistView, code: str) -> int:
    row = next(r for r in view.model.rows() if r.customer_code == code)
    assert view.select_customer(row.customer_id)
    return row.customer_id


def next_action(view: WorklistView, code: str) -> str:
    return next(r.next_action for r in view.model.rows() if r.customer_code == code)


def only_dialog(view: WorklistView, kind: type[T]) -> T:
    found: list[T] = [d for d in view.findChildren(kind) if d.isVisible()]
    assert len(found) == 1, found
    return found[0]


def test_the_worklist_lists_whom_to_chase_first_with_the_next_action(qtbot, view_ctx, users):
    view = open_worklist(qtbot, view_ctx)

    assert codes(view) == ["ACME", "MUELLER", "NOMAIL", "DISPUTE", "PAUSED"]
    assert next_action(view, "ACME") == "Final notice due today"
    assert next_action(view, "MUELLER") == "1st reminder due today"
    assert next_action(view, "NOMAIL") == "no email address for reminders: add a contact"
    assert next_action(view, "DISPUTE") == "disputed: waiting on a credit note"
    assert next_action(view, "PAUSED") == "paused until 3 Dec: CFO on holiday"
    model = view.proxy
    first = [model.index(0, c).data() for c in range(model.columnCount())]
    assert first == ["1", "Acme Trading Ltd", "€370.00", "61 days", "Final notice due today",
                     "Ana", "Standard"]  # fmt: skip
    assert view._count.text() == "5 customers · 3 due today"
    assert view._totals.text() == "Overdue €1,723.50"


def test_the_badge_counts_the_customers_due_today(qtbot, view_ctx, users):
    view = WorklistView(view_ctx)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.due_today_count_changed) as blocker:
        view.load_badge()
    assert blocker.args == [3]


def test_selecting_a_customer_shows_why_and_what_to_do(qtbot, view_ctx, users):
    view = open_worklist(qtbot, view_ctx)
    view.table.selectRow(1)

    pane = view.detail
    assert pane.title.text() == "Müller & Söhne GmbH"
    assert pane.next_caption.text() == "Next action · due today"
    assert pane.next_action.text() == "1st reminder due today"
    assert pane.why.text() == "1,234.50 EUR overdue on 1 invoice, oldest 11 days; Key account"
    assert "€1,234.50" in pane.amounts.text()
    assert all(button.isEnabled() for button in pane.buttons())


def test_filters_by_segment_owner_bucket_and_name(qtbot, view_ctx, users):
    view = open_worklist(qtbot, view_ctx)

    view.segment_filter.setCurrentIndex(view.segment_filter.findData("Key account"))
    assert codes(view) == ["MUELLER"]
    view.segment_filter.setCurrentIndex(0)
    view.owner_filter.setCurrentIndex(view.owner_filter.findData(users["Ana"]))
    assert codes(view) == ["ACME", "NOMAIL"]
    view.owner_filter.setCurrentIndex(0)
    view.bucket_filter.setCurrentIndex(view.bucket_filter.findData("61-90"))
    assert codes(view) == ["ACME"]
    view.bucket_filter.setCurrentIndex(view.bucket_filter.findData("90+"))
    assert codes(view) == []
    assert view.list_pages.currentWidget() is view.no_match
    view.bucket_filter.setCurrentIndex(0)
    view.set_search("mül")
    assert codes(view) == ["MUELLER"]
    view.set_search("")
    assert len(codes(view)) == 5


def test_my_work_today_is_mine_and_due_today_and_i_am_remembered(qtbot, view_ctx, users):
    view = open_worklist(qtbot, view_ctx)
    assert not view.mine_today.isEnabled()

    view.me_combo.setCurrentIndex(view.me_combo.findData(users["Ana"]))
    view.mine_today.setChecked(True)

    assert codes(view) == ["ACME", "NOMAIL"]
    assert view_ctx.settings.value(ME_KEY) == str(users["Ana"])
    view.me_combo.setCurrentIndex(view.me_combo.findData(users["Ben"]))
    assert codes(view) == ["MUELLER"]
    again = open_worklist(qtbot, view_ctx)
    assert again.me() == users["Ben"]


def test_sorting_by_a_column_and_back_to_priority(qtbot, view_ctx, users):
    view = open_worklist(qtbot, view_ctx)
    view.table.sortByColumn(WorklistColumn.CUSTOMER, Qt.SortOrder.AscendingOrder)
    assert codes(view) == ["ACME", "DISPUTE", "MUELLER", "NOMAIL", "PAUSED"]
    view.table.sortByColumn(WorklistColumn.OVERDUE, Qt.SortOrder.DescendingOrder)
    assert codes(view)[:2] == ["MUELLER", "ACME"]
    view.table.sortByColumn(WorklistColumn.RANK, Qt.SortOrder.AscendingOrder)
    assert codes(view) == ["ACME", "MUELLER", "NOMAIL", "DISPUTE", "PAUSED"]


def test_send_reminder_now_queues_an_email_in_the_outbox(qtbot, view_ctx, users, uow_factory):
    view = open_worklist(qtbot, view_ctx)
    customer_id = pick(view, "MUELLER")

    with qtbot.waitSignal(view.status_reported) as blocker:
        view.send_action.trigger()

    items = list_outbox(uow_factory(), customer_id=customer_id)
    assert [(i.state, i.to) for i in items] == [("queued", "buchhaltung@mueller.example")]
    assert blocker.args == ["Reminder to Müller & Söhne GmbH queued in the outbox"]


def test_send_reminder_now_says_why_it_cannot(qtbot, view_ctx, users, uow_factory, asked):
    view = open_worklist(qtbot, view_ctx)
    pick(view, "NOMAIL")

    view.send_action.trigger()

    assert asked.warned == ["No Mail Ltd has no contact with an email address."]
    assert list_outbox(uow_factory()) == []


def test_log_call_writes_the_call_on_the_timeline(qtbot, view_ctx, users, uow_factory):
    view = open_worklist(qtbot, view_ctx)
    customer_id = pick(view, "ACME")

    view.call_action.trigger()
    dialog = only_dialog(view, LogCallDialog)
    dialog.outcome.setCurrentIndex(dialog.outcome.findData("no_answer"))
    dialog.notes.setPlainText("Try again on Friday")
    with qtbot.waitSignal(view.status_reported) as blocker:
        dialog.accept()

    timeline = get_customer(uow_factory(), customer_id, TODAY).timeline
    assert timeline[0].summary == "Call: no answer. Try again on Friday"
    assert blocker.args == ["Logged a call with Acme Trading Ltd: no answer"]
    assert not dialog.isVisible()


def test_promise_to_pay_is_recorded_and_holds_the_reminders(qtbot, view_ctx, users, uow_factory):
    view = open_worklist(qtbot, view_ctx)
    customer_id = pick(view, "MUELLER")

    view.promise_action.trigger()
    dialog = only_dialog(view, PromiseDialog)
    assert dialog.amount.text() == "1234.50"
    assert dialog.invoices.count() == 1
    dialog.amount.setText("1000")
    dialog.note.setPlainText("Paying the rest next month")
    dialog.accept()

    promises = list_promises(uow_factory(), customer_id=customer_id)
    assert [(p.amount.minor, p.promised_date) for p in promises] == [
        (100000, TODAY + timedelta(days=7))
    ]
    assert next_action(view, "MUELLER").startswith("promise to pay 1,000.00 EUR by 30 Nov")


def test_promise_form_refuses_a_bad_amount(qtbot, view_ctx, users, uow_factory):
    view = open_worklist(qtbot, view_ctx)
    customer_id = pick(view, "ACME")
    view.promise_action.trigger()
    dialog = only_dialog(view, PromiseDialog)

    dialog.amount.setText("0")
    dialog.accept()

    assert dialog.isVisible()
    assert dialog.error.text().startswith("A promise must be above zero")
    assert list_promises(uow_factory(), customer_id=customer_id) == []


def test_pause_needs_a_reason_then_pauses_and_resume_ends_it(qtbot, view_ctx, users):
    view = open_worklist(qtbot, view_ctx)
    pick(view, "MUELLER")

    view.pause_action.trigger()
    dialog = only_dialog(view, PauseDialog)
    dialog.accept()
    assert dialog.isVisible()
    assert dialog.error.text() == "Say why the reminders pause"
    dialog.reason.setText("waiting for the new PO")
    dialog.accept()

    assert next_action(view, "MUELLER") == "paused until 7 Dec: waiting for the new PO"
    assert view.pause_action.text() == "Resume reminders"
    assert view.detail.pause_button.text() == "Res&ume reminders"
    view.pause_action.trigger()
    assert next_action(view, "MUELLER") == "1st reminder due today"


def test_add_note_and_create_task(qtbot, view_ctx, users, uow_factory):
    view = open_worklist(qtbot, view_ctx)
    customer_id = pick(view, "DISPUTE")

    view.note_action.trigger()
    note = only_dialog(view, NoteDialog)
    note.text.setPlainText("Credit note asked from sales")
    note.accept()
    view.task_action.trigger()
    task = only_dialog(view, TaskDialog)
    task.title.setText("Chase sales for the credit note")
    task.assignee.setCurrentIndex(task.assignee.findData(users["Ben"]))
    task.accept()

    timeline = [e.summary for e in get_customer(uow_factory(), customer_id, TODAY).timeline]
    assert "Credit note asked from sales" in timeline
    tasks = list_follow_ups(uow_factory(), TODAY, assignee_id=users["Ben"])
    assert [(t.title, t.customer_id, t.due_date) for t in tasks] == [
        ("Chase sales for the credit note", customer_id, TODAY)
    ]
    assert next_action(view, "DISPUTE") == "Chase sales for the credit note (due today)"


def test_reminder_contact_chooses_who_gets_the_reminders(qtbot, view_ctx, users, uow_factory):
    view = open_worklist(qtbot, view_ctx)
    customer_id = pick(view, "ACME")

    view.contact_action.trigger()
    dialog = only_dialog(view, ReminderContactDialog)
    assert dialog.contacts.count() == 1
    dialog.accept()

    contacts = list_contacts(uow_factory(), customer_id)
    assert [c.role for _, c in contacts] == ["reminders"]


def test_run_reminders_reports_in_numbers(qtbot, view_ctx, users, uow_factory):
    view = open_worklist(qtbot, view_ctx)

    with qtbot.waitSignal(view.status_reported) as blocker:
        view.run_action.trigger()

    assert blocker.args[0].startswith("Queued 2 reminders, 1 task; ")
    assert len(list_outbox(uow_factory())) == 2


def test_open_customer_asks_for_the_customers_screen(qtbot, view_ctx, users):
    view = open_worklist(qtbot, view_ctx)
    customer_id = pick(view, "ACME")

    with qtbot.waitSignal(view.customer_requested) as blocker:
        view.open_action.trigger()

    assert blocker.args == [customer_id]


def test_an_empty_ledger_says_there_is_nobody_to_chase(qtbot, view_ctx):
    view = open_worklist(qtbot, view_ctx)

    assert view.is_empty_state_shown()


def test_the_window_shows_the_badge_and_opens_a_customer(qtbot, view_ctx, users):
    window = MainWindow(view_ctx)
    qtbot.addWidget(window)
    window.show()
    view = window.current_screen()
    assert isinstance(view, WorklistView)
    assert window._sidebar.item(0).text() == "Worklist  (3)"

    customer_id = pick(view, "MUELLER")
    view.detail.open_button.click()

    customers = window.current_screen()
    assert isinstance(customers, CustomersView)
    selected = customers.selected_customer()
    assert selected is not None
    assert selected.id == customer_id


def test_the_badge_follows_changes_made_elsewhere(qtbot, view_ctx, users):
    window = MainWindow(view_ctx)
    qtbot.addWidget(window)
    window.show()
    view = window.current_screen()
    assert isinstance(view, WorklistView)
    customer_id = pick(view, "MUELLER")
    window.show_screen(1)

    pause_reminders(view_ctx.uow_factory(), customer_id, TODAY + timedelta(days=3), "PO",
                    today=TODAY)  # fmt: skip
    window.screens()[1].ledger_changed.emit()

    assert window._sidebar.item(0).text() == "Worklist  (2)"


def test_i_am_chosen_on_the_tasks_screen_is_taken_when_shown_again(qtbot, view_ctx, users):
    view = open_worklist(qtbot, view_ctx)
    remember_user(view_ctx.settings, users["Ben"])

    view.activate()
    view.mine_today.setChecked(True)

    assert view.me() == users["Ben"]
    assert codes(view) == ["MUELLER"]


def test_reminder_policy_excludes_a_customer_from_automatic_reminders(
    qtbot, view_ctx, users, uow_factory
):
    view = open_worklist(qtbot, view_ctx)
    customer_id = pick(view, "MUELLER")
    new_customer = next(p.id for p in list_policies(uow_factory()) if p.name == "New customer")

    view.policy_action.trigger()
    dialog = only_dialog(view, ReminderPolicyDialog)
    assert dialog.policy.currentText() == "The segment's policy (Key account)"
    dialog.policy.setCurrentIndex(dialog.policy.findData(new_customer))
    dialog.excluded.setChecked(True)
    with qtbot.waitSignal(view.status_reported) as blocker:
        dialog.accept()

    choice = reminder_choice(uow_factory(), customer_id)
    assert (choice.policy_id, choice.excluded) == (new_customer, True)
    assert blocker.args == [
        "Reminders to Müller & Söhne GmbH: New customer policy, excluded from automatic reminders"
    ]
    assert next_action(view, "MUELLER") == "excluded from reminders: follow up by hand"

    view.detail.policy_button.click()
    again = only_dialog(view, ReminderPolicyDialog)
    again.excluded.setChecked(False)
    again.accept()
    assert reminder_choice(uow_factory(), customer_id).excluded is False
    assert next_action(view, "MUELLER") == "1st reminder due today"


def test_open_dispute_on_every_overdue_invoice_holds_the_customer_until_resolved(
    qtbot, view_ctx, users, uow_factory
):
    view = open_worklist(qtbot, view_ctx)
    customer_id = pick(view, "ACME")

    view.dispute_action.trigger()
    dialog = only_dialog(view, OpenDisputeDialog)
    assert dialog.owner.currentData() == users["Ana"]  # the customer's owner
    assert dialog.invoices.count() == 3
    for row in range(3):
        dialog.invoices.item(row).setCheckState(Qt.CheckState.Checked)
    dialog.reason.setText("Goods arrived damaged")
    dialog.waiting_on.setText("proof of delivery")
    with qtbot.waitSignal(view.status_reported) as blocker:
        dialog.accept()

    opened = list_open_disputes(uow_factory(), customer_id)
    assert [(d.invoice_number, d.owner) for d in opened] == [
        ("INV-A4", "Ana"), ("INV-A2", "Ana"), ("INV-A1", "Ana"),
    ]  # fmt: skip
    assert blocker.args == ["Dispute opened for Acme Trading Ltd: INV-A4, INV-A2, INV-A1"]
    assert next_action(view, "ACME") == "disputed: waiting on proof of delivery"

    view.detail.resolve_button.click()
    resolve = only_dialog(view, ResolveDisputeDialog)
    assert resolve.disputes.count() == 3
    resolve.disputes.setCurrentRow(2)
    resolve.resolution.setPlainText("Photos show it was damaged in our warehouse")
    resolve.accept()

    assert [d.invoice_number for d in list_open_disputes(uow_factory(), customer_id)] == [
        "INV-A4", "INV-A2",
    ]  # fmt: skip
    assert next_action(view, "ACME") == "1st reminder due today"  # INV-A1, 8 days overdue


def test_resolve_dispute_needs_a_resolution_or_says_there_is_none(
    qtbot, view_ctx, users, uow_factory, asked, sync_runner
):
    view = open_worklist(qtbot, view_ctx)
    pick(view, "MUELLER")
    view.resolve_action.trigger()
    assert asked.informed == ["Müller & Söhne GmbH has no open dispute."]

    customer_id = pick(view, "DISPUTE")
    view.resolve_action.trigger()
    dialog = only_dialog(view, ResolveDisputeDialog)
    dialog.accept()

    assert dialog.isVisible()
    assert dialog.error.text() == "Say how the dispute was settled"
    assert len(list_open_disputes(uow_factory(), customer_id)) == 1
    assert "Resolving the dispute…" not in sync_runner.labels


def test_open_dispute_offers_nothing_when_every_invoice_is_disputed(qtbot, view_ctx, users):
    view = open_worklist(qtbot, view_ctx)
    pick(view, "DISPUTE")

    view.dispute_action.trigger()
    dialog = only_dialog(view, OpenDisputeDialog)

    assert not dialog.invoices.item(0).flags() & Qt.ItemFlag.ItemIsEnabled
    assert not dialog.ok_button.isEnabled()
