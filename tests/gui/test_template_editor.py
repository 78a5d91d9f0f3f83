"""The reminder email editor: load, live preview on a real customer, inline errors, save, reset."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from app.services.reminders.preview import load_template_for_editing
from app.views.context import ViewContext
from app.views.settings_view import SettingsView
from app.views.template_editor import TemplateEditorDialog

pytestmark = pytest.mark.gui


def _editor(qtbot: QtBot, view_ctx: ViewContext) -> TemplateEditorDialog:
    dialog = TemplateEditorDialog(view_ctx)
    qtbot.addWidget(dialog)
    return dialog


def test_it_opens_from_settings(qtbot, view_ctx):
    view = SettingsView(view_ctx)
    qtbot.addWidget(view)
    view.templates_button.click()
    dialog = view.findChild(TemplateEditorDialog)
    assert dialog is not None
    assert dialog.isVisible()
    dialog.close()


def test_the_shipped_letter_is_loaded_and_previewed(qtbot, view_ctx):
    dialog = _editor(qtbot, view_ctx)

    assert dialog.chosen() == ("friendly", "en")
    assert dialog.subject.text()
    assert "{{" in dialog.body_text.toPlainText()
    assert dialog.origin.text() == "As shipped with Duebook"
    assert not dialog.reset_button.isEnabled()
    assert dialog.preview.subject.text()
    assert "Dear Alex Example" in dialog.preview.body.toPlainText()
    assert "{% if reminded_before %}" in dialog.help_text.text()


def test_the_preview_follows_typing_after_a_pause(qtbot, view_ctx):
    dialog = _editor(qtbot, view_ctx)
    dialog.subject.setText("Open invoices of {{ customer.name }}")

    assert dialog.preview.subject.text() != "Open invoices of Sample Customer Ltd"  # not yet
    qtbot.waitUntil(
        lambda: dialog.preview.subject.text() == "Open invoices of Sample Customer Ltd",
        timeout=3000,
    )


def test_the_preview_uses_a_real_customer(qtbot, view_ctx, sample_ledger):
    dialog = _editor(qtbot, view_ctx)
    dialog.choose("reminder", "de")
    dialog.choose_preview_customer(sample_ledger.customers["acme"])

    html = dialog.preview.body.toHtml()
    assert sample_ledger.numbers["overdue"] in html
    assert "Ana Berg" in html  # the contact the letter goes to
    assert "1.190,00" in html  # German amounts, as the letter's language writes them
    dialog.preview.text_button.click()
    assert sample_ledger.numbers["overdue"] in dialog.preview.body.toPlainText()


def test_a_bad_placeholder_shows_inline_with_the_part(qtbot, view_ctx):
    dialog = _editor(qtbot, view_ctx)
    dialog.subject.setText("Hello {{ customer.nmae }}")
    dialog.render_preview()

    assert dialog.error.isVisibleTo(dialog)
    assert "subject" in dialog.error.text()
    assert "nmae" in dialog.error.text()
    dialog.subject.setText("Hello {{ customer.name }}")
    dialog.render_preview()
    assert not dialog.error.isVisibleTo(dialog)


def test_save_refuses_a_broken_template_and_points_at_the_line(qtbot, view_ctx, sync_runner):
    dialog = _editor(qtbot, view_ctx)
    dialog.body_text.setPlainText("{{ greeting }}\n\nline two\n{% if %}\nend\n")
    dialog.save()

    assert dialog.error.text().startswith("Not saved:")
    assert "text body, line 4" in dialog.error.text()
    assert dialog.bodies.currentIndex() == 0
    assert dialog.body_text.textCursor().blockNumber() == 3
    stored = load_template_for_editing(view_ctx.uow_factory(), "friendly", "en")
    assert not stored.edited


def test_save_then_reset_to_shipped(qtbot, view_ctx, asked):
    dialog = _editor(qtbot, view_ctx)
    shipped = dialog.subject.text()
    dialog.subject.setText("A gentle word about {{ count }} invoices")
    with qtbot.waitSignal(dialog.template_saved) as saved:
        dialog.save()

    assert saved.args == ["friendly", "en"]
    stored = load_template_for_editing(view_ctx.uow_factory(), "friendly", "en")
    assert stored.edited
    assert stored.subject == "A gentle word about {{ count }} invoices"
    assert dialog.reset_button.isEnabled()
    assert not dialog.is_dirty()

    dialog.reset_button.click()
    assert "cannot be undone" in asked.confirmations[-1]
    assert dialog.subject.text() == shipped
    assert not load_template_for_editing(view_ctx.uow_factory(), "friendly", "en").edited
    assert dialog.origin.text() == "As shipped with Duebook"


def test_reset_declined_keeps_the_edit(qtbot, view_ctx, asked):
    dialog = _editor(qtbot, view_ctx)
    dialog.subject.setText("Mine")
    dialog.save()
    asked.confirm_answer = False
    dialog.reset_button.click()
    assert load_template_for_editing(view_ctx.uow_factory(), "friendly", "en").subject == "Mine"


def test_switching_letters_asks_before_dropping_changes(qtbot, view_ctx, asked):
    dialog = _editor(qtbot, view_ctx)
    dialog.subject.setText("Changed")
    asked.confirm_answer = False
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("fr"))

    assert dialog.chosen() == ("friendly", "en")
    assert dialog.subject.text() == "Changed"
    asked.confirm_answer = True
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("fr"))
    assert dialog.chosen() == ("friendly", "fr")
    assert dialog.subject.text() != "Changed"
    assert len(asked.confirmations) == 2


def test_escape_with_changes_asks_first(qtbot, view_ctx, asked):
    dialog = _editor(qtbot, view_ctx)
    dialog.show()
    dialog.subject.setText("Changed")
    asked.confirm_answer = False
    dialog.reject()
    assert dialog.isVisible()
    asked.confirm_answer = True
    dialog.reject()
    assert not dialog.isVisible()
    assert asked.confirmations == [
        "Close without saving your changes to this letter?",
        "Close without saving your changes to this letter?",
    ]
