"""The main window: screens, shortcuts, search, status bar and remembered state."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication, QLabel, QStyle
from pytestqt.qtbot import QtBot

from app.services.reminders.run import run_reminders
from app.services.settings import save_settings
from app.views.bank_view import BankView
from app.views.context import ViewContext
from app.views.customers_view import CustomersView
from app.views.invoices_view import InvoicesView
from app.views.main_window import MainWindow
from app.views.settings_view import SettingsView
from app.views.tasks_view import TasksView
from app.views.worklist_view import WorklistView
from tests.gui.conftest import TODAY

pytestmark = pytest.mark.gui


def _window(qtbot: QtBot, view_ctx: ViewContext) -> MainWindow:
    window = MainWindow(view_ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    return window


def _show_invoices(window: MainWindow) -> InvoicesView:
    view = window.invoices_view()
    window.show_screen(window.screens().index(view))
    return view


def test_sidebar_lists_the_screens(qtbot, view_ctx, sample_ledger):
    window = _window(qtbot, view_ctx)

    titles = ["Worklist", "Tasks", "Invoices", "Customers", "Bank", "Outbox", "Settings"]
    assert [s.title for s in window.screens()] == titles
    assert isinstance(window.current_screen(), WorklistView)
    assert window._ledger_label.text() == view_ctx.ledger_path.name
    assert str(view_ctx.ledger_path) in window._ledger_label.toolTip()


def test_ctrl_number_switches_screens(qtbot, view_ctx, sample_ledger):
    window = _window(qtbot, view_ctx)

    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(window.current_screen(), TasksView)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(window.current_screen(), InvoicesView)
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(window.current_screen(), CustomersView)
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(window.current_screen(), BankView)
    qtbot.keyClick(window, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(window.current_screen(), SettingsView)
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(window.current_screen(), WorklistView)


def test_ctrl_f_focuses_the_search_and_typing_filters_after_a_pause(qtbot, view_ctx, sample_ledger):
    window = _window(qtbot, view_ctx)
    _show_invoices(window)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.search_field()

    qtbot.keyClicks(window.search_field(), "acme")
    model = window.invoices_view().model
    qtbot.waitUntil(lambda: model.query().search == "acme", timeout=2000)

    assert model.rowCount() == 2


def test_ctrl_n_opens_a_new_invoice(qtbot, view_ctx, sample_ledger):
    window = _window(qtbot, view_ctx)
    window.show_screen(1)

    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)

    assert isinstance(window.current_screen(), InvoicesView)
    dialogs = [w for w in QApplication.topLevelWidgets() if w.objectName() == "InvoiceDialog"]
    assert dialogs
    for dialog in dialogs:
        dialog.deleteLater()


def test_status_bar_shows_what_an_action_did(qtbot, view_ctx, sample_ledger):
    window = _window(qtbot, view_ctx)

    window.invoices_view().status_reported.emit("Issued INV-2026-00042")

    assert window.statusBar().currentMessage() == "Issued INV-2026-00042"


def test_geometry_and_columns_are_restored(qtbot, view_ctx, sample_ledger):
    window = _window(qtbot, view_ctx)
    window.resize(780, 530)  # the offscreen screen is 800 x 600
    header = window.invoices_view().table.horizontalHeader()
    header.resizeSection(0, 177)
    window.show_screen(3)
    window.close()

    again = _window(qtbot, view_ctx)

    assert again.size() == QSize(780, 530)
    assert again.invoices_view().table.horizontalHeader().sectionSize(0) == 177
    assert isinstance(again.current_screen(), CustomersView)


def test_sort_order_is_remembered(qtbot, view_ctx, sample_ledger):
    window = _window(qtbot, view_ctx)
    window.invoices_view().table.sortByColumn(5, Qt.SortOrder.AscendingOrder)
    assert window.invoices_view().model.query().sort_key == "open_amount"
    window.close()

    again = _window(qtbot, view_ctx)

    query = again.invoices_view().model.query()
    assert (query.sort_key, query.descending) == ("open_amount", False)


def test_ctrl_q_closes_the_window(qtbot, view_ctx, sample_ledger):
    window = _window(qtbot, view_ctx)

    qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)

    assert not window.isVisible()


def test_first_start_points_to_the_company_details(qtbot, view_ctx):
    window = _window(qtbot, view_ctx)
    invoices = _show_invoices(window)
    assert invoices.is_empty_state_shown()
    assert invoices.needs_company_details()
    assert not invoices.export_action.isEnabled()

    invoices.empty_settings_button.click()

    assert isinstance(window.current_screen(), SettingsView)
    settings = window.current_screen()
    assert isinstance(settings, SettingsView)
    settings.set_value("company.name", "Nordlicht Design GmbH")
    settings.save()
    _show_invoices(window)
    assert not invoices.needs_company_details()


def test_enter_in_the_search_moves_into_the_invoice_list(qtbot, view_ctx, sample_ledger):
    window = _window(qtbot, view_ctx)
    _show_invoices(window)
    window.search_field().setFocus()

    qtbot.keyClicks(window.search_field(), "acme")
    qtbot.keyClick(window.search_field(), Qt.Key.Key_Return)

    view = window.invoices_view()
    assert view.model.query().search == "acme"
    assert view.table.hasFocus()
    assert len(view.selected_rows()) == 1


def test_tab_leaves_the_issued_date_filters(qtbot, view_ctx, sample_ledger):
    window = _window(qtbot, view_ctx)
    view = _show_invoices(window)
    view.issued_from.setFocus()
    qtbot.waitUntil(view.issued_from.hasFocus)

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is view.issued_to
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not view.issued_to
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert QApplication.focusWidget() is view.issued_to


def test_lists_fit_their_panes_at_1400_by_900(qtbot, view_ctx, sample_ledger):
    window = _window(qtbot, view_ctx)
    window.resize(1400, 900)
    qtbot.waitUntil(lambda: window.width() == 1400)
    for position in (0, 1, 2, 3):
        window.show_screen(position)
        qtbot.wait(50)
        screen = window.current_screen()
        table = screen.table  # type: ignore[attr-defined]
        assert not table.horizontalScrollBar().isVisible(), screen.title


def test_the_background_jobs_are_optional(qtbot, view_ctx, sample_ledger):
    window = _window(qtbot, view_ctx)

    assert window.schedule_label is None
    assert window.statusBar().findChildren(QLabel, "ScheduleStatus") == []


def test_the_outbox_badge_counts_the_waiting_emails_and_says_why_none_go(
    qtbot, view_ctx, sample_ledger
):
    uow = view_ctx.uow_factory()
    assert run_reminders(uow, TODAY).queued == 2
    window = _window(qtbot, view_ctx)
    item = window._sidebar.item(window.screens().index(window.outbox_view()))

    assert item.text() == "Outbox  (2)"
    assert item.toolTip() == "2 emails waiting to be sent; sending: not set up"
    save_settings(uow, {"mail.paused": "yes"})
    window.outbox_view().load_badge()

    assert item.text() == "Outbox  (2)"
    assert item.toolTip() == "2 emails waiting to be sent; sending: paused"
    pause = window.style().standardIcon(QStyle.StandardPixmap.SP_MediaPause)
    assert item.icon().pixmap(16, 16).toImage() == pause.pixmap(16, 16).toImage()
