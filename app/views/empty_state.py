"""The page a list screen shows while it has nothing to list: what to do first, as buttons."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.views.style import heading, muted


def _centred_row(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    row.addStretch(1)
    return row


def _centred_text(text: str) -> QLabel:
    label = muted(QLabel(text))
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    return label


class EmptyStatePage(QWidget):
    """A title, a sentence, and "New …" and "Import from CSV/Excel" buttons, centred."""

    def __init__(self, title: str, text: str, new_label: str) -> None:
        super().__init__()
        self._layout = QVBoxLayout(self)
        self._layout.addStretch(2)
        heading_label = heading(title, size_delta=6)
        heading_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.new_button = QPushButton(new_label)
        self.new_button.setDefault(True)
        self.import_button = QPushButton("Import from CSV/Excel")
        self._layout.addWidget(heading_label)
        self._layout.addWidget(_centred_text(text))
        self._layout.addSpacing(12)
        self._layout.addLayout(_centred_row(self.new_button, self.import_button))
        self._layout.addStretch(3)

    def add_hint(self, text: str, button_label: str) -> tuple[QLabel, QPushButton]:
        """A further sentence with its own button below the main ones; both are returned."""
        hint = _centred_text(text)
        button = QPushButton(button_label)
        at = self._layout.count() - 1  # before the closing stretch
        self._layout.insertSpacing(at, 24)
        self._layout.insertWidget(at + 1, hint)
        self._layout.insertLayout(at + 2, _centred_row(button))
        return hint, button
