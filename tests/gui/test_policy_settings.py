"""Reminder policies in Settings: the policies' steps and the segments, edited and checked."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QComboBox, QSpinBox
from pytestqt.qtbot import QtBot

from app.services.reminders.policies import list_policies, list_segments
from app.services.reminders.run import run_reminders
from app.views.context import ViewContext
from app.views.policy_dialog import PolicyDialog, StepColumn
from app.views.settings_view import SettingsView
from tests.gui.conftest import TODAY

pytestmark = pytest.mark.gui


def _dialog(qtbot: QtBot, view_ctx: ViewContext) -> PolicyDialog:
    dialog = PolicyDialog(view_ctx)
    qtbot.addWidget(dialog)
    return dialog


def _select(dialog: PolicyDialog, name: str) -> None:
    dialog.policy_list.setCurrentRow(
        next(i for i, p in enumerate(dialog.policies) if p.name == name)
    )


def _spin(dialog: PolicyDialog, row: int) -> QSpinBox:
    spin = dialog.steps.cellWidget(row, StepColumn.DAYS)
    assert isinstance(spin, QSpinBox)
    return spin


def _step_names(dialog: PolicyDialog) -> list[str]:
    return [dialog.step_input(r).name for r in range(dialog.steps.rowCount())]


def test_it_opens_from_settings(qtbot, view_ctx):
    view = SettingsView(view_ctx)
    qtbot.addWidget(view)
    view.policies_button.click()
    dialog = view.findChild(PolicyDialog)
    assert dialog is not None
    assert dialog.isVisible()


def test_policies_show_their_steps_and_who_gets_them(qtbot, view_ctx):
    dialog = _dialog(qtbot, view_ctx)

    assert [p.name for p in dialog.policies] == ["Key account", "New customer", "Standard"]
    _select(dialog, "Standard")
    assert dialog.name.text() == "Standard"
    assert _step_names(dialog) == ["Friendly note", "1st reminder", "2nd reminder", "Final notice"]
    final = dialog.step_input(3)
    assert (final.offset_days, final.template, final.action) == (60, "final", "escalation")
    assert final.attach_statement
    action = dialog.steps.cellWidget(3, StepColumn.ACTION)
    assert isinstance(action, QComboBox)
    assert action.currentText() == "Email and task (escalation)"
    assert "segment Standard" in dialog.used_by.text()
    segments = {dialog.segment_rows()[i][0] for i in range(dialog.segment_table.rowCount())}
    assert segments == {"Standard", "Key account", "New customer"}


def test_changing_a_step_saves_it_in_place(qtbot, view_ctx):
    dialog = _dialog(qtbot, view_ctx)
    _select(dialog, "Standard")
    before = {s.name: s.id for s in next(p for p in dialog.policies if p.name == "Standard").steps}
    _spin(dialog, 1).setValue(10)
    assert dialog.is_dirty()
    with qtbot.waitSignal(dialog.policies_changed):
        dialog.save_button.click()

    standard = next(p for p in list_policies(view_ctx.uow_factory()) if p.name == "Standard")
    assert {s.name: s.id for s in standard.steps} == before
    assert [s.offset_days for s in standard.steps] == [-3, 10, 30, 60]
    assert not dialog.error.isVisibleTo(dialog)
    assert not dialog.is_dirty()


def test_steps_keep_the_order_of_their_days(qtbot, view_ctx):
    dialog = _dialog(qtbot, view_ctx)
    _select(dialog, "Standard")
    _spin(dialog, 0).setValue(45)  # the friendly note moves between 2nd reminder and final
    dialog.save()

    standard = next(p for p in list_policies(view_ctx.uow_factory()) if p.name == "Standard")
    assert [s.name for s in standard.steps][2] == "Friendly note"
    assert _step_names(dialog)[2] == "Friendly note"


def test_bad_input_is_shown_on_its_step_and_nothing_is_saved(qtbot, view_ctx):
    dialog = _dialog(qtbot, view_ctx)
    _select(dialog, "Standard")
    _spin(dialog, 2).setValue(7)  # the same day as the 1st reminder
    dialog.save()

    assert dialog.error.isVisibleTo(dialog)
    assert "Step 3 (2nd reminder), days after due: 7 is also the day of step 2" in (
        dialog.error.text()
    )
    assert dialog.steps.currentRow() == 2
    assert dialog.steps.currentColumn() == StepColumn.DAYS
    standard = next(p for p in list_policies(view_ctx.uow_factory()) if p.name == "Standard")
    assert [s.offset_days for s in standard.steps] == [-3, 7, 30, 60]


def test_a_new_policy(qtbot, view_ctx):
    dialog = _dialog(qtbot, view_ctx)
    dialog.new_button.click()
    assert dialog.name.text() == ""
    dialog.save()
    assert "Policy, name: it is empty" in dialog.error.text()

    dialog.name.setText("Gentle")
    dialog.add_step_button.click()
    item = dialog.steps.item(1, StepColumn.NAME)
    assert item is not None
    item.setText("Call them")
    action = dialog.steps.cellWidget(1, StepColumn.ACTION)
    assert isinstance(action, QComboBox)
    action.setCurrentIndex(action.findData("task"))
    dialog.save()

    gentle = next(p for p in list_policies(view_ctx.uow_factory()) if p.name == "Gentle")
    assert [(s.name, s.offset_days, s.action) for s in gentle.steps] == [
        ("1st reminder", 7, "email"),
        ("Call them", 21, "task"),
    ]
    assert dialog.name.text() == "Gentle"


def test_a_step_taken_cannot_be_removed(qtbot, view_ctx, sample_ledger):
    run_reminders(view_ctx.uow_factory(), TODAY)  # Acme's invoice is 30 days overdue
    dialog = _dialog(qtbot, view_ctx)
    _select(dialog, "Standard")
    taken_row = next(
        r for r, s in enumerate(dialog.policies[2].steps) if s.taken
    )  # the step the run took
    dialog.steps.setCurrentCell(taken_row, StepColumn.NAME)
    dialog.remove_step_button.click()

    assert "cannot be removed" in dialog.error.text()
    assert dialog.steps.rowCount() == 4
    untaken = next(r for r, s in enumerate(dialog.policies[2].steps) if not s.taken)
    dialog.steps.setCurrentCell(untaken, StepColumn.NAME)
    dialog.remove_step_button.click()
    assert dialog.steps.rowCount() == 3


def test_unsaved_changes_are_asked_about(qtbot, view_ctx, asked):
    dialog = _dialog(qtbot, view_ctx)
    _select(dialog, "Standard")
    _spin(dialog, 1).setValue(9)
    asked.confirm_answer = False
    _select(dialog, "Key account")
    assert dialog.name.text() == "Standard"
    assert asked.confirmations


def test_segments_get_another_policy(qtbot, view_ctx):
    dialog = _dialog(qtbot, view_ctx)
    row = next(i for i, r in enumerate(dialog.segment_rows()) if r[0] == "Key account")
    combo = dialog.segment_table.cellWidget(row, 1)
    weight = dialog.segment_table.cellWidget(row, 2)
    assert isinstance(combo, QComboBox)
    assert isinstance(weight, QSpinBox)
    combo.setCurrentIndex(combo.findText("Standard"))
    weight.setValue(35)
    dialog.save_segments_button.click()

    segments = {s.name: s for s in list_segments(view_ctx.uow_factory())}
    assert segments["Key account"].policy_name == "Standard"
    assert segments["Key account"].priority_weight == 35
    assert dialog.segment_saved.text() == "Saved 1 segment"


def test_escape_with_changes_asks_first(qtbot, view_ctx, asked):
    dialog = _dialog(qtbot, view_ctx)
    dialog.show()
    _spin(dialog, 0).setValue(-9)
    asked.confirm_answer = False
    dialog.reject()
    assert dialog.isVisible()
    asked.confirm_answer = True
    dialog.reject()
    assert not dialog.isVisible()
