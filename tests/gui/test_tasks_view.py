"""The Tasks screen: open follow-ups, the most overdue first; mine or everyone's; Done, Reopen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.services.customers import list_customer_choices
from app.services.follow_ups import create_follow_up, list_follow_ups
from app.services.uow import UnitOfWork
from app.views.collection_dialogs import ME_KEY, TaskDialog, remember_user
from app.views.context import ViewContext
from app.views.tasks_view import TasksView
from tests.gui.conftest import TODAY
from tests.gui.test_worklist_view import make_collections_ledger

pytestmark = pytest.mark.gui


@pytest.fixture
def tasks(uow_factory: Callable[[], UnitOfWork], tmp_path: Path) -> dict[str, int]:
    """Three open tasks (one overdue, Ana's; one due today, Ben's; one next week, nobody's)."""
    users = make_collections_ledger(uow_factory(), tmp_path)
    acme = next(c.id for c in list_customer_choices(uow_factory()) if c.code == "ACME")
    ids = {
        "later": create_follow_up(uow_factory(), "Send the statement", TODAY + timedelta(days=7)),
        "today": create_follow_up(
            uow_factory(), "Call Müller", TODAY, assignee_id=users["Ben"]
        ),
        "overdue": create_follow_up(
            uow_factory(), "Call Acme", TODAY - timedelta(days=3), customer_id=acme,
            assignee_id=users["Ana"], notes="Ask for the remittance",
        ),
    }  # fmt: skip
    return {**ids, **{f"user:{k}": v for k, v in users.items()}, "acme": acme}


def open_tasks(qtbot: QtBot, view_ctx: ViewContext) -> TasksView:
    view = TasksView(view_ctx)
    qtbot.addWidget(view)
    view.refresh()
    return view


def titles(view: TasksView) -> list[str]:
    return [t.title for t in view.shown_tasks()]


def test_open_tasks_most_overdue_first(qtbot, view_ctx, tasks):
    view = open_tasks(qtbot, view_ctx)

    assert titles(view) == ["Call Acme", "Call Müller", "Send the statement"]
    model = view.proxy
    assert [model.index(0, c).data() for c in range(model.columnCount())] == [
        "Nov 20, 2026", "3 days overdue", "Call Acme", "Acme Trading Ltd", "Ana",
    ]  # fmt: skip
    assert model.index(1, 1).data() == "Due today"
    assert model.index(2, 4).data() == "Nobody yet"
    assert view._count.text() == "3 tasks · 1 overdue"


def test_mine_shows_the_tasks_of_the_i_am_user_shared_with_the_worklist(qtbot, view_ctx, tasks):
    remember_user(view_ctx.settings, tasks["user:Ben"])
    view = open_tasks(qtbot, view_ctx)

    view.mine_button.click()
    assert titles(view) == ["Call Müller"]
    view.me_combo.setCurrentIndex(view.me_combo.findData(tasks["user:Ana"]))
    assert titles(view) == ["Call Acme"]
    assert view_ctx.settings.value(ME_KEY) == str(tasks["user:Ana"])
    view.everyone_button.click()
    assert len(titles(view)) == 3


def test_mine_before_choosing_who_i_am_asks_for_it(qtbot, view_ctx, tasks):
    view = open_tasks(qtbot, view_ctx)
    view.mine_button.click()

    assert titles(view) == []
    assert "I am" in view._count.text()


def test_done_and_reopen(qtbot, view_ctx, tasks, uow_factory):
    view = open_tasks(qtbot, view_ctx)
    assert view.select_task(tasks["overdue"])
    assert view.detail.facts.text().startswith("Due Nov 20, 2026 (3 days overdue)")
    assert view.detail.notes.text() == "Ask for the remittance"

    with qtbot.waitSignal(view.status_reported) as blocker:
        view.done_action.trigger()

    assert blocker.args == ["Done: Call Acme"]
    assert titles(view) == ["Call Müller", "Send the statement"]
    done = list_follow_ups(uow_factory(), TODAY, open_only=False)
    assert [t.title for t in done if t.done] == ["Call Acme"]
    view.show_done.setChecked(True)
    assert view.select_task(tasks["overdue"])
    assert view.reopen_action.isEnabled()
    assert not view.done_action.isEnabled()
    view.reopen_action.trigger()
    assert next(t.title for t in list_follow_ups(uow_factory(), TODAY)) == "Call Acme"


def test_new_task_for_a_customer(qtbot, view_ctx, tasks, uow_factory):
    view = open_tasks(qtbot, view_ctx)

    view.new_action.trigger()
    dialog = next(d for d in view.findChildren(TaskDialog) if d.isVisible())
    assert dialog.customer is not None
    dialog.customer.setCurrentIndex(dialog.customer.findData(tasks["acme"]))
    dialog.title.setText("Send a copy of INV-A4")
    dialog.accept()

    assert "Send a copy of INV-A4" in titles(view)
    new = next(t for t in list_follow_ups(uow_factory(), TODAY) if t.title.startswith("Send a"))
    assert new.customer_id == tasks["acme"]


def test_double_click_opens_the_customer(qtbot, view_ctx, tasks):
    view = open_tasks(qtbot, view_ctx)

    with qtbot.waitSignal(view.customer_requested) as blocker:
        view.table.activated.emit(view.proxy.index(0, 0))

    assert blocker.args == [tasks["acme"]]


def test_search_filters_by_title_or_customer(qtbot, view_ctx, tasks):
    view = open_tasks(qtbot, view_ctx)

    view.set_search("acme")

    assert titles(view) == ["Call Acme"]
