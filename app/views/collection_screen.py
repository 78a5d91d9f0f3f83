"""The base of the collections screens (Worklist, Tasks): one "I am" person, and actions.

The "I am" person is remembered in one QSettings key, so that choosing it on one screen chooses
it on the other. An action writes through its service, reports what it did and reads again.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QBoxLayout, QComboBox, QLabel

from app.views import ask
from app.views.collection_dialogs import fill_users, remembered_user
from app.views.list_screen import ListScreen
from app.views.workers import TaskFn, describe_error, show_error


class CollectionListScreen(ListScreen):
    """A list screen with an "I am" choice whose actions read the list again once done."""

    me_combo: QComboBox

    def _new_me_combo(self, tooltip: str) -> QComboBox:
        """Build :attr:`me_combo`, with "Choose…" until the users are read."""
        self.me_combo = QComboBox()
        self.me_combo.setAccessibleName("I am")
        self.me_combo.setToolTip(tooltip)
        self.me_combo.addItem("Choose…", None)
        self.me_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        return self.me_combo

    def _add_me_combo(self, layout: QBoxLayout) -> None:
        """Put :attr:`me_combo` and its caption "I am" at the end of ``layout``."""
        me_label = QLabel("&I am")
        me_label.setBuddy(self.me_combo)
        layout.addWidget(me_label)
        layout.addWidget(self.me_combo)

    def _fill_me_combo(self, users: Sequence[tuple[int, str]]) -> None:
        """Offer ``users`` as "I am", with the one remembered chosen."""
        fill_users(self.me_combo, users, remembered_user(self.ctx.settings), "Choose…")

    def me(self) -> int | None:
        """The user chosen as "I am"."""
        value = self.me_combo.currentData()
        return value if isinstance(value, int) else None

    def _on_load_failed(self, exc: Exception) -> None:
        show_error(self, exc)

    # -- actions -----------------------------------------------------------------------------

    def _run_action(self, work: TaskFn, progress_label: str, done: str, title: str) -> None:
        """Run ``work``; then say ``done`` and read again, or warn under ``title`` why not."""
        self.ctx.runner.run(
            work,
            progress_label=progress_label,
            parent=self,
            on_success=lambda _: self._after_action(done),
            on_failure=lambda exc: self._on_action_failed(title, exc),
        )

    def _after_action(self, message: str) -> None:
        self.status_reported.emit(message)
        self.ledger_changed.emit()
        self.refresh()

    def _on_action_failed(self, title: str, exc: Exception) -> None:
        """Say in words why an action could not be done (the service's message)."""
        ask.warn(self, title, describe_error(exc))
        self.refresh()
