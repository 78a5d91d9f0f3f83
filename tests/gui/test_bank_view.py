"""The Bank screen: a statement dropped on the window, reviewed and applied with the keyboard."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from app.services.bank_queries import count_lines_by_state, get_statement_line
from app.services.demo_statement import DEMO_STATEMENT_NAME
from app.services.invoice_queries import get_invoice
from app.views.bank_view import BankView
from app.views.context import ViewContext
from app.views.main_window import MainWindow
from app.views.models.statement_line_model import LineColumn
from tests.gui.conftest import TODAY, SampleLedger

pytestmark = pytest.mark.gui

ACCOUNT = "DE89370400440532013000"


def _entry(ref: str, amount: str, day: str, payer: str, text: str, *, debit: bool = False) -> str:
    party = "Cdtr" if debit else "Dbtr"
    return f"""
   <Ntry>
    <Amt Ccy="EUR">{amount}</Amt>
    <CdtDbtInd>{"DBIT" if debit else "CRDT"}</CdtDbtInd>
    <Sts>BOOK</Sts>
    <BookgDt><Dt>{day}</Dt></BookgDt>
    <ValDt><Dt>{day}</Dt></ValDt>
    <AcctSvcrRef>{ref}</AcctSvcrRef>
    <NtryDtls><TxDtls>
     <Amt Ccy="EUR">{amount}</Amt>
     <RltdPties><{party}><Nm>{payer}</Nm></{party}></RltdPties>
     <RmtInf><Ustrd>{text}</Ustrd></RmtInf>
    </TxDtls></NtryDtls>
   </Ntry>"""


def write_camt(path: Path, *entries: str) -> Path:
    """A camt.053.001.02 statement of the company's account with these entries."""
    path.write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-11-23T08:00:00</CreDtTm></GrpHdr>
  <Stmt>
   <Id>STMT-1</Id>
   <CreDtTm>2026-11-23T08:00:00</CreDtTm>
   <Acct><Id><IBAN>{ACCOUNT}</IBAN></Id><Ccy>EUR</Ccy></Acct>{"".join(entries)}
  </Stmt>
 </BkToCstmrStmt>
</Document>
""",
        encoding="utf-8",
    )
    return path


def november_statement(folder: Path, ledger: SampleLedger) -> Path:
    """Acme pays its overdue invoice by number, Nordlicht its open amount without one; interest
    and a bank fee."""
    return write_camt(
        folder / "november.xml",
        _entry(
            "B-1",
            "1190.00",
            "2026-11-20",
            "ACME TOOLS GMBH",
            f"Rechnung {ledger.numbers['overdue']}",
        ),
        _entry("B-2", "1880.00", "2026-11-21", "Nordlicht", "Zahlung November"),
        _entry("B-3", "3.21", "2026-11-22", "Hausbank AG", "Habenzinsen 3. Quartal"),
        _entry("B-4", "12.50", "2026-11-22", "Hausbank AG", "Kontofuehrung", debit=True),
    )


def window_for(qtbot: QtBot, view_ctx: ViewContext) -> MainWindow:
    window = MainWindow(view_ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    return window


def drop_files(widget: QWidget, *paths: Path) -> bool:
    """Drag local files over ``widget`` and drop them; whether the drag was taken."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    centre = widget.rect().center()
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(widget, drop)
    return drop.isAccepted()


def states(view: BankView) -> dict[str, str]:
    """Each listed line's payer text and its state in words."""
    model = view.model
    return {
        f"{model.index(r, LineColumn.PAYER).data()} {model.index(r, LineColumn.AMOUNT).data()}": (
            model.index(r, LineColumn.STATE).data()
        )
        for r in range(model.rowCount())
    }


def select_line(view: BankView, text: str) -> None:
    """Select the line whose remittance text contains ``text``."""
    for row in range(view.model.rowCount()):
        if text in view.model.index(row, LineColumn.TEXT).data():
            view.table.selectRow(row)
            return
    raise AssertionError(f"no line with {text!r}")


def open_amount(view_ctx: ViewContext, invoice_id: int) -> int:
    return get_invoice(view_ctx.uow_factory(), invoice_id, TODAY).open_amount.minor


@pytest.fixture
def imported(qtbot, view_ctx, sample_ledger, tmp_path):
    """The window after the November statement was dropped on it."""
    window = window_for(qtbot, view_ctx)
    assert drop_files(window, november_statement(tmp_path, sample_ledger))
    return window, window.bank_view()


def test_an_empty_bank_screen_invites_a_drop(qtbot, view_ctx, asked):
    window = window_for(qtbot, view_ctx)
    view = window.bank_view()

    qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)

    assert window.current_screen() is view
    assert view.is_empty_state_shown()
    assert view.empty_open_button.text() == "Open a statement…"
    assert any(
        "Drop a bank statement here (CAMT, OFX, MT940, CSV, Excel)" in label.text()
        for label in view.findChildren(QLabel)
    )


def test_a_statement_dropped_anywhere_is_imported_and_matched(
    qtbot, view_ctx, sample_ledger, tmp_path
):
    window = window_for(qtbot, view_ctx)
    invoices_table = window.invoices_view().table.viewport()

    assert drop_files(invoices_table, november_statement(tmp_path, sample_ledger))

    view = window.bank_view()
    assert window.current_screen() is view
    assert open_amount(view_ctx, sample_ledger.invoices["overdue"]) == 0
    view.select_state_filter("All lines")
    assert states(view) == {
        "ACME TOOLS GMBH €1,190.00": "Applied automatically",
        "Nordlicht €1,880.00": "Suggested",
        "Hausbank AG €3.21": "Unmatched",
        "Hausbank AG -€12.50": "Not a customer payment",
    }
    assert window.statusBar().currentMessage() == (
        "Imported 4 new lines from november.xml: 1 payment applied automatically, 2 to review. "
        "Undo (Ctrl+Z)"
    )
    assert window._sidebar.item(window.screens().index(view)).text() == "Bank  (2)"
    assert "2 to review" in view._totals.text()
    assert "€1,883.21 to review" in view._totals.text()
    view.table.setFocus()

    qtbot.keyClick(view.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)

    assert open_amount(view_ctx, sample_ledger.invoices["overdue"]) == 119000
    assert window._sidebar.item(window.screens().index(view)).text() == "Bank  (3)"


def test_enter_accepts_the_top_proposal_and_moves_on(qtbot, view_ctx, sample_ledger, imported):
    window, view = imported
    select_line(view, "Zahlung November")
    assert view.pane.proposals.topLevelItemCount() >= 1
    view.table.setFocus()

    qtbot.keyClick(view.table, Qt.Key.Key_Return)

    assert open_amount(view_ctx, sample_ledger.invoices["partly"]) == 0
    assert window.statusBar().currentMessage() == (
        f"Applied €1,880.00 from Nordlicht to {sample_ledger.numbers['partly']}. Undo (Ctrl+Z)"
    )
    current = view.current_line()
    assert current is not None
    assert current.remittance == "Habenzinsen 3. Quartal"
    assert window._sidebar.item(window.screens().index(view)).text() == "Bank  (1)"

    qtbot.keyClick(view.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)

    assert open_amount(view_ctx, sample_ledger.invoices["partly"]) == 188000
    assert count_lines_by_state(view_ctx.uow_factory()).get("suggested") == 1


def test_a_bad_file_says_what_is_wrong_once_and_imports_nothing(
    qtbot, view_ctx, sample_ledger, asked, tmp_path
):
    window = window_for(qtbot, view_ctx)
    notes = tmp_path / "notes.txt"
    notes.write_text("Call Acme about the November invoice\n", encoding="utf-8")

    assert drop_files(window, notes)

    assert len(asked.warned) == 1
    assert "notes.txt" in asked.warned[0]
    assert asked.warned[0].endswith("Nothing was imported from notes.txt.")
    assert sum(count_lines_by_state(view_ctx.uow_factory()).values()) == 0
    assert window.bank_view().is_empty_state_shown()


def test_picking_invoices_by_hand_with_a_running_sum_and_a_bank_fee(
    qtbot, view_ctx, sample_ledger, tmp_path
):
    window = window_for(qtbot, view_ctx)
    statement = write_camt(
        tmp_path / "short.xml",
        _entry("S-1", "1180.00", "2026-11-21", "A. Meier", "Sammelzahlung"),
    )
    assert drop_files(window, statement)
    view = window.bank_view()
    select_line(view, "Sammelzahlung")
    picker = view.pane.picker
    picker.search.setText("Acme")
    picker.search_now()
    overdue, still_open = sample_ledger.invoices["overdue"], sample_ledger.invoices["open"]

    picker.set_picked(still_open)
    assert picker.sum_label.text() == "Selected €595.00 of €1,180.00 — €585.00 left"
    picker.set_picked(still_open, False)
    picker.set_picked(overdue)
    assert picker.sum_label.text() == "Selected €1,190.00 of €1,180.00 — €10.00 short"
    assert picker.writeoff.isVisibleTo(view.pane)
    assert picker.writeoff.text() == "Write off €10.00 as bank fees"
    assert picker.writeoff.isChecked()

    view.pane.apply_button.click()

    assert open_amount(view_ctx, overdue) == 0
    assert open_amount(view_ctx, still_open) == 59500
    assert count_lines_by_state(view_ctx.uow_factory()).get("confirmed") == 1


def test_a_partial_amount_typed_by_hand_leaves_the_invoice_partly_open(
    qtbot, view_ctx, sample_ledger, tmp_path
):
    window = window_for(qtbot, view_ctx)
    statement = write_camt(
        tmp_path / "part.xml",
        _entry("P-1", "400.00", "2026-11-21", "A. Meier", "Anzahlung"),
    )
    assert drop_files(window, statement)
    view = window.bank_view()
    select_line(view, "Anzahlung")
    picker = view.pane.picker
    picker.search.setText(sample_ledger.numbers["overdue"])
    picker.search_now()

    picker.set_picked(sample_ledger.invoices["overdue"])
    picker.set_amount(sample_ledger.invoices["overdue"], "400")
    assert picker.sum_label.text() == "Selected €400.00 of €400.00"
    view.pane.apply_button.click()

    assert open_amount(view_ctx, sample_ledger.invoices["overdue"]) == 79000


def test_a_line_set_aside_as_not_a_customer_payment_can_be_undone(
    qtbot, view_ctx, sample_ledger, imported, asked
):
    _, view = imported
    asked.text_answer = "interest"
    select_line(view, "Habenzinsen")

    view.not_payment_action.trigger()

    assert count_lines_by_state(view_ctx.uow_factory()).get("ignored") == 2
    view.select_state_filter("Not customer payments")
    select_line(view, "Habenzinsen")
    assert view.pane.undo_button.isVisibleTo(view.pane)
    view.pane.undo_button.click()
    assert count_lines_by_state(view_ctx.uow_factory()).get("ignored") == 1


def test_delete_rejects_the_top_proposal(qtbot, view_ctx, sample_ledger, imported):
    _, view = imported
    select_line(view, "Zahlung November")
    view.table.setFocus()

    qtbot.keyClick(view.table, Qt.Key.Key_Delete)

    line = get_statement_line(view_ctx.uow_factory(), view.model.rows()[0].line_id)
    assert line.row.remittance == "Zahlung November"
    pays = [invoice.number for p in line.proposals for invoice in p.invoices]
    assert sample_ledger.numbers["partly"] not in pays
    assert open_amount(view_ctx, sample_ledger.invoices["partly"]) == 188000


def test_an_automatic_application_can_be_undone_from_the_pane(
    qtbot, view_ctx, sample_ledger, imported
):
    _, view = imported
    view.select_state_filter("Applied automatically")
    select_line(view, sample_ledger.numbers["overdue"])
    assert view.pane.applied.topLevelItemCount() == 1

    view.pane.undo_button.click()

    assert open_amount(view_ctx, sample_ledger.invoices["overdue"]) == 119000


def test_the_same_statement_twice_adds_nothing(qtbot, view_ctx, sample_ledger, imported, tmp_path):
    window, _ = imported

    assert drop_files(window, tmp_path / "november.xml")

    assert window.statusBar().currentMessage() == (
        "Nothing new in november.xml: 4 lines were imported before"
    )


def test_text_dragged_over_the_window_is_left_alone(qtbot, view_ctx):
    window = window_for(qtbot, view_ctx)
    mime = QMimeData()
    mime.setText("INV-2026-00001")
    enter = QDragEnterEvent(
        QPoint(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )

    QApplication.sendEvent(window, enter)

    assert not enter.isAccepted()


def write_csv(path: Path, *rows: str) -> Path:
    """A bank export whose column titles Duebook does not know."""
    path.write_text(
        "Wann;Wer;Was;Wieviel\n" + "".join(f"{row}\n" for row in rows), encoding="utf-8"
    )
    return path


def test_an_unclear_export_asks_for_its_columns_once(qtbot, view_ctx, sample_ledger, tmp_path):
    window = window_for(qtbot, view_ctx)
    view = window.bank_view()
    first = write_csv(
        tmp_path / "export-1.csv",
        f"03/11/2026;ACME TOOLS GMBH;{sample_ledger.numbers['overdue']};1190,00",
        "04/11/2026;Hausbank AG;Zinsen;3,21",
    )

    assert drop_files(window, first)

    dialog = view.importer.mapping_dialog
    assert dialog is not None
    assert dialog.preview.rowCount() == 2
    assert dialog.combo("date").currentText() == "Wann"
    dialog.date_format.setCurrentIndex(dialog.date_format.findData("%d/%m/%Y"))
    dialog.combo("amount").setCurrentIndex(dialog.combo("amount").findData(3))
    dialog.combo("text").setCurrentIndex(dialog.combo("text").findData(2))
    dialog.decimal_separator.setCurrentIndex(dialog.decimal_separator.findData(","))
    dialog.currency.setText("EUR")
    dialog.remember_as.setText("Hausbank CSV")
    dialog.accept()

    assert view.importer.mapping_dialog is None
    assert open_amount(view_ctx, sample_ledger.invoices["overdue"]) == 0
    assert (
        window.statusBar()
        .currentMessage()
        .startswith("Imported 2 new lines from export-1.csv: 1 payment applied automatically")
    )
    second = write_csv(
        tmp_path / "export-2.csv",
        "05/11/2026;Nordlicht Handel AG;Abschlag;500,00",
    )

    assert drop_files(window, second)

    assert view.importer.mapping_dialog is None
    assert window.statusBar().currentMessage().startswith("Imported 1 new line from export-2.csv")


def test_a_mapping_dialog_cancelled_imports_nothing(qtbot, view_ctx, sample_ledger, tmp_path):
    window = window_for(qtbot, view_ctx)
    view = window.bank_view()
    assert drop_files(window, write_csv(tmp_path / "x.csv", "03/11/2026;A;B;1,00"))
    dialog = view.importer.mapping_dialog
    assert dialog is not None

    dialog.reject()

    assert sum(count_lines_by_state(view_ctx.uow_factory()).values()) == 0
    assert window.statusBar().currentMessage() == "Nothing was imported from x.csv"
    assert not view.importer.is_busy()


def test_the_demo_offers_its_statement_on_the_empty_bank_screen(
    qtbot, view_ctx, sample_ledger, tmp_path
):
    november_statement(view_ctx.ledger_path.parent, sample_ledger).rename(
        view_ctx.ledger_path.parent / DEMO_STATEMENT_NAME
    )
    window = window_for(qtbot, view_ctx)
    view = window.bank_view()
    [button] = [
        b for b in view.findChildren(QPushButton) if b.text() == "Import the demo statement"
    ]

    button.click()

    assert not view.is_empty_state_shown()
    assert count_lines_by_state(view_ctx.uow_factory())["auto"] >= 1
