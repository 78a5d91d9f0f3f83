"""Questions the window asks: confirmations, a reason, a file or a folder.

Every blocking standard dialog goes through here, so tests replace these few functions and
never meet a modal dialog.

File dialogs never read the files they list. SQLite keeps a ledger's WAL locks as POSIX advisory
locks, and Linux (like macOS) drops *all* of a process's locks on a file as soon as the process
closes *any* descriptor of that file. Qt's own file dialog asks its icon provider for each
file's type and icon, and the stock providers find them with ``QMimeDatabase.mimeTypeForFile``,
which opens a file to sniff its content when the name says nothing (``ledger.sqlite3-wal`` and
``-shm`` say nothing). Showing the ledger's folder so dropped the window's locks on ``-shm``; a
``duebook`` command run on the same ledger then believed it was alone, checkpointed and deleted
the WAL, and what the window wrote afterwards was lost. :class:`NameOnlyIconProvider` decides
from the name and ``QFileInfo.isDir()`` only, and every dialog made here uses it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import overload

from PySide6.QtCore import (
    QFileInfo,
    QMimeDatabase,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QAbstractFileIconProvider, QIcon
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QFileIconProvider,
    QFileSystemModel,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QStyle,
    QWidget,
)
from typing_extensions import override

from app.views.workers import capitalised

SPREADSHEET_FILTER = "CSV or Excel files (*.csv *.xlsx);;All files (*)"

#: SQLite's companions of a database file: its write-ahead log, shared memory and journal.
_SQLITE_SIDE_FILE = re.compile(r"-(?:wal|shm|journal)$", re.IGNORECASE)
#: Windows locks files with LockFileEx, which closing another handle does not release, so its
#: native dialog is safe; everywhere else the dialog is Qt's own, with the provider below.
_NATIVE_DIALOGS = sys.platform == "win32"


class NameOnlyIconProvider(QFileIconProvider):
    """File icons and types from the file's name alone: never opens, never reads a file.

    ``QFileSystemModel`` (and so ``QFileDialog``) asks its provider's :meth:`icon` and
    :meth:`type` for every entry it lists; Qt's own providers answer through
    ``QMimeDatabase.mimeTypeForFile``, which reads files whose names say nothing. This one asks
    ``QMimeDatabase.mimeTypesForFileName``, which by its documentation never opens the file, and
    ``QFileInfo.isDir()``, which the listing has already stat'ed.
    """

    def __init__(self) -> None:
        super().__init__()
        self._mime = QMimeDatabase()
        style = QApplication.style()
        self._folder = style.standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        self._file = style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        self._icons: dict[str, QIcon] = {}

    def _mime_of(self, info: QFileInfo) -> tuple[str, str, str]:
        """(icon name, generic icon name, comment) of the name's MIME type, or empty texts."""
        found = self._mime.mimeTypesForFileName(info.fileName())
        if not found:
            return "", "", ""
        mime = found[0]
        return mime.iconName(), mime.genericIconName(), mime.comment()

    @overload
    def icon(self, which: QAbstractFileIconProvider.IconType, /) -> QIcon: ...

    @overload
    def icon(self, which: QFileInfo, /) -> QIcon: ...

    @override
    def icon(self, which: QAbstractFileIconProvider.IconType | QFileInfo, /) -> QIcon:
        if not isinstance(which, QFileInfo):
            return super().icon(which)
        if which.isDir():
            return self._folder
        name, generic, _ = self._mime_of(which)
        if not name:
            return self._file
        if name not in self._icons:
            themed = QIcon.fromTheme(name)
            if themed.isNull() and generic:
                themed = QIcon.fromTheme(generic)
            self._icons[name] = self._file if themed.isNull() else themed
        return self._icons[name]

    @override
    def type(self, info: QFileInfo, /) -> str:
        if info.isDir():
            return "Folder"
        _, _, comment = self._mime_of(info)
        return comment or "File"


class HideSqliteSideFiles(QSortFilterProxyModel):
    """Leaves out ``*-wal``, ``*-shm`` and ``*-journal``: nobody should pick those.

    Only a courtesy: the files are still listed (stat'ed) by the model underneath, which is why
    the icon provider, not this filter, is what keeps them unopened.
    """

    @override
    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        model = self.sourceModel()
        if isinstance(model, QFileSystemModel):
            index = model.index(source_row, 0, source_parent)
            if not model.isDir(index) and _SQLITE_SIDE_FILE.search(model.fileName(index)):
                return False
        return super().filterAcceptsRow(source_row, source_parent)


class SafeFileDialog(QFileDialog):
    """Qt's file dialog with :class:`NameOnlyIconProvider`: it never opens a listed file."""

    def __init__(
        self, parent: QWidget | None, title: str, directory: str = "", file_filter: str = ""
    ) -> None:
        super().__init__(parent, title, directory, file_filter)
        self.setOption(QFileDialog.Option.DontUseNativeDialog, not _NATIVE_DIALOGS)
        # Kept as attributes: the dialog does not own them and Python must keep them alive.
        self.icon_provider = NameOnlyIconProvider()
        self.setIconProvider(self.icon_provider)
        self.side_file_filter = HideSqliteSideFiles(self)
        self.setProxyModel(self.side_file_filter)

    def file_system_model(self) -> QFileSystemModel | None:
        """The model listing the folder (Qt's own dialog only)."""
        return self.findChild(QFileSystemModel)


def file_dialog(
    parent: QWidget | None,
    title: str,
    file_filter: str = "",
    *,
    directory: str = "",
    mode: QFileDialog.FileMode = QFileDialog.FileMode.ExistingFile,
    save: bool = False,
) -> SafeFileDialog:
    """A file dialog that is safe to show on the ledger's folder; not shown yet.

    Args:
        parent: the window it belongs to.
        title: its title.
        file_filter: name filters such as ``"PDF (*.pdf)"``.
        directory: the folder it starts in (the last one used when empty).
        mode: what may be chosen: an existing file, any file name, a folder.
        save: a Save dialog (it asks before replacing a file).
    """
    dialog = SafeFileDialog(parent, title, directory, file_filter)
    dialog.setFileMode(mode)
    if mode == QFileDialog.FileMode.Directory:
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    if save:
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    return dialog


def _chosen(dialog: QFileDialog) -> Path | None:
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        files = dialog.selectedFiles()
        return Path(files[0]) if files and files[0] else None
    finally:
        dialog.deleteLater()


def _plain(text: str) -> str:
    """A text for a label that has a buddy: a single ``&`` would become a mnemonic."""
    return text.replace("&", "&&")


def confirm(parent: QWidget | None, title: str, text: str, ok_text: str) -> bool:
    """Ask before doing something; the default button is Cancel."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    ok = box.addButton(_plain(ok_text), QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is ok


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    """A line of text, or ``None`` when cancelled."""
    value, ok = QInputDialog.getText(parent, title, _plain(label), QLineEdit.EchoMode.Normal, text)
    return value if ok else None


def choose_open_file(parent: QWidget | None, title: str, file_filter: str) -> Path | None:
    """A file to read, or ``None`` when cancelled."""
    return _chosen(file_dialog(parent, title, file_filter))


def choose_save_file(
    parent: QWidget | None, title: str, suggested: str, file_filter: str
) -> Path | None:
    """A file to write, or ``None`` when cancelled."""
    dialog = file_dialog(parent, title, file_filter, mode=QFileDialog.FileMode.AnyFile, save=True)
    suffix = re.search(r"\*\.(\w+)", file_filter)
    if suffix:
        dialog.setDefaultSuffix(suffix.group(1))
    dialog.selectFile(suggested)
    return _chosen(dialog)


def choose_folder(parent: QWidget | None, title: str) -> Path | None:
    """A folder, or ``None`` when cancelled."""
    return _chosen(file_dialog(parent, title, mode=QFileDialog.FileMode.Directory))


def message_box(
    icon: QMessageBox.Icon, title: str, text: str, *, headline: bool = False, parent: QWidget | None
) -> QMessageBox:
    """A message box whose text begins with a capital letter (services write in lower case).

    With ``headline`` the title is also the box's first, bold line and ``text`` goes below it:
    many window managers show no title on a dialog (GNOME's attached ones, macOS), and then a
    box would not say what it is about.
    """
    box = QMessageBox(icon, title, "", parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    if headline:
        box.setText(title)
        font = box.font()
        font.setBold(True)
        label = box.findChild(QLabel, "qt_msgbox_label")
        if label is not None:
            label.setFont(font)
        box.setInformativeText(capitalised(text))
    else:
        box.setText(capitalised(text))
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return box


def inform(parent: QWidget | None, title: str, text: str, details: str = "") -> None:
    """A message that does not block (warnings of an import, say)."""
    box = message_box(QMessageBox.Icon.Information, title, text, parent=parent)
    if details:
        box.setDetailedText(details)
    box.open()


def warn(parent: QWidget | None, title: str, text: str, *, headline: bool = False) -> None:
    """A warning that does not block (an import that failed, say).

    ``headline``: the title is also the box's first line (see :func:`message_box`).
    """
    message_box(QMessageBox.Icon.Warning, title, text, headline=headline, parent=parent).open()
