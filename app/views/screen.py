"""The base of every sidebar screen: its toolbar, search, refresh and remembered state."""

from __future__ import annotations

from PySide6.QtCore import QSettings, QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QToolBar, QWidget

from app.views.context import ViewContext


class Screen(QWidget):
    """A screen of the main window.

    Subclasses set :attr:`title` and :attr:`icon`, fill :attr:`toolbar` with their main actions
    and override the hooks they need. The main window places the toolbar above the screen, feeds
    the search field into :meth:`set_search` and shows :attr:`status_reported` texts.
    """

    #: A short message about what just happened ("Issued INV-2026-00042").
    status_reported = Signal(str)
    #: This screen changed the ledger; other screens read again when next shown.
    ledger_changed = Signal()
    #: Asks the main window to show another screen, by its title ("Settings").
    screen_requested = Signal(str)

    title = "Screen"
    search_placeholder = "Search"
    #: Whether Ctrl+I (import) means something here.
    can_import = False

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.toolbar = QToolBar(self.title)
        self.toolbar.setIconSize(QSize(18, 18))
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.search_text = ""
        self.stale = True

    def icon(self) -> QIcon:
        """The sidebar icon."""
        return QIcon()

    def set_search(self, text: str) -> None:
        """Filter the screen's list by ``text``."""
        self.search_text = text

    def refresh(self) -> None:
        """Read everything shown again (F5, or after another screen changed data)."""

    def focus_list(self) -> bool:
        """Put the keyboard focus into the screen's list (Down or Enter in the search field).

        Returns:
            Whether the screen has a list that took the focus.
        """
        return False

    def activate(self) -> None:
        """The screen was switched to; read again if the ledger changed since."""
        if self.stale:
            self.stale = False
            self.refresh()

    def mark_stale(self) -> None:
        """Another screen changed the ledger; read again when shown (now, if shown)."""
        self.stale = True
        if self.isVisible():
            self.activate()

    def start_import(self) -> None:
        """Ctrl+I: import a file into what this screen lists."""

    def save_state(self, settings: QSettings) -> None:
        """Remember splitters, column widths and sort orders."""

    def restore_state(self, settings: QSettings) -> None:
        """Restore what :meth:`save_state` remembered."""
