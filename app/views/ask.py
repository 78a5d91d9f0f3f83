"""Questions the window asks: confirmations, a reason, a file or a folder.

Every blocking standard dialog goes through here, so tests replace these few functions and
never meet a modal dialog.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMessageBox, QWidget

SPREADSHEET_FILTER = "CSV or Excel files (*.csv *.xlsx);;All files (*)"


def confirm(parent: QWidget | None, title: str, text: str, ok_text: str) -> bool:
    """Ask before doing something; the default button is Cancel."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    ok = box.addButton(ok_text, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is ok


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    """A line of text, or ``None`` when cancelled."""
    value, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal, text)
    return value if ok else None


def choose_open_file(parent: QWidget | None, title: str, file_filter: str) -> Path | None:
    """A file to read, or ``None`` when cancelled."""
    name, _ = QFileDialog.getOpenFileName(parent, title, "", file_filter)
    return Path(name) if name else None


def choose_save_file(
    parent: QWidget | None, title: str, suggested: str, file_filter: str
) -> Path | None:
    """A file to write, or ``None`` when cancelled."""
    name, _ = QFileDialog.getSaveFileName(parent, title, suggested, file_filter)
    return Path(name) if name else None


def choose_folder(parent: QWidget | None, title: str) -> Path | None:
    """A folder, or ``None`` when cancelled."""
    name = QFileDialog.getExistingDirectory(parent, title)
    return Path(name) if name else None


def inform(parent: QWidget | None, title: str, text: str, details: str = "") -> None:
    """A message that does not block (warnings of an import, say)."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=parent)
    if details:
        box.setDetailedText(details)
    box.open()
