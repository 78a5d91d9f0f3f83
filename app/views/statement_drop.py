"""Statement files dropped anywhere on the main window, handed to whoever imports them.

Qt delivers a drag to the widget under the pointer that accepts drops, or to the first of its
parents that does. The window accepts drops, so a drag over a list or a label reaches it; a
field that takes drops itself (a search field takes text) would keep it, so the filter watches
the whole application and takes file drags over any widget of the window. Drags of anything
but local files pass through untouched.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QObject, Qt, Signal
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QWidget
from typing_extensions import override


def local_files(mime: QMimeData | None) -> list[Path]:
    """The local files a drag carries (none for text, web links or remote files)."""
    if mime is None or not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class StatementDropFilter(QObject):
    """Takes file drops on any widget of ``window``; :attr:`files_dropped` names the files."""

    #: Local files were dropped on the window: ``list[Path]``.
    files_dropped = Signal(list)

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        window.setAcceptDrops(True)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def _is_ours(self, watched: QObject) -> bool:
        return isinstance(watched, QWidget) and watched.window() is self._window

    @override
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            return False
        # QDragEnterEvent and QDragMoveEvent are QDropEvents too.
        if not isinstance(event, QDropEvent) or not self._is_ours(watched):
            return False
        files = local_files(event.mimeData())
        if not files:
            return False
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        if kind == QEvent.Type.Drop:
            self.files_dropped.emit(files)
        return True
