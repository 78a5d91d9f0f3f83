"""File dialogs never open the files they list, so the ledger keeps its SQLite locks.

SQLite's WAL locks are POSIX advisory locks: Linux drops every lock a process holds on a file
when that process closes *any* descriptor of the file. A dialog that sniffed ``-shm`` to find an
icon would leave the window unlocked, and a ``duebook`` command on the same ledger would then
checkpoint and delete the WAL under it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QFileInfo
from PySide6.QtWidgets import QFileDialog, QFileSystemModel
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from app.models.db import SessionFactory
from app.views import ask

pytestmark = pytest.mark.gui

_LOCKS = Path("/proc/locks")


def _readable_locks() -> bool:
    try:
        _LOCKS.read_text()
    except OSError:
        return False
    return True


def _my_locks(inode: int) -> list[str]:
    """This process's lock lines on the file with ``inode`` (type, mode, byte range)."""
    found: list[str] = []
    for line in _LOCKS.read_text().splitlines():
        parts = line.split()
        if len(parts) < 8 or parts[1] == "->":
            continue
        kind, _, mode, pid, device, start, end = parts[1:8]
        if int(pid) == os.getpid() and device.rsplit(":", 1)[-1] == str(inode):
            found.append(f"{kind} {mode} {start}-{end}")
    return sorted(found)


def _show_and_wait(qtbot: QtBot, dialog: QFileDialog, folder: Path) -> QFileSystemModel:
    """Show a dialog without blocking and wait until its model has listed ``folder``."""
    qtbot.addWidget(dialog)
    dialog.setDirectory(str(folder))
    dialog.show()
    model = dialog.findChild(QFileSystemModel)
    assert model is not None, "expected Qt's own (non-native) file dialog"
    qtbot.waitUntil(lambda: model.rowCount(model.index(str(folder))) >= 3, timeout=5000)
    root = model.index(str(folder))
    names = {model.fileName(model.index(row, 0, root)) for row in range(model.rowCount(root))}
    assert {"ledger.sqlite3-wal", "ledger.sqlite3-shm"} <= names
    # icons and types are asked for when the rows are painted and read, so ask for them too
    for row in range(model.rowCount(root)):
        model.fileIcon(model.index(row, 0, root))
        model.type(model.index(row, 0, root))
    qtbot.wait(200)
    return model


@pytest.mark.skipif(not _readable_locks(), reason="needs Linux's /proc/locks")
def test_the_file_dialog_keeps_the_ledgers_locks(
    qtbot: QtBot, session_factory: SessionFactory, ledger_path: Path
) -> None:
    with session_factory() as session:  # the pool now holds a connection in WAL mode
        session.execute(text("SELECT count(*) FROM invoices")).all()
    shm = ledger_path.with_name(ledger_path.name + "-shm")
    inode = shm.stat().st_ino
    before = _my_locks(inode)
    assert before, "SQLite holds a lock on -shm while a connection is open"

    dialog = ask.file_dialog(None, "Import invoices", "All files (*)")
    _show_and_wait(qtbot, dialog, ledger_path.parent)

    assert _my_locks(inode) == before
    dialog.close()


def test_the_icon_provider_decides_by_name_only(tmp_path: Path) -> None:
    side = tmp_path / "ledger.sqlite3-wal"
    side.write_bytes(bytes(32))
    csv = tmp_path / "invoices.csv"
    csv.write_text("number\n", encoding="utf-8")
    provider = ask.NameOnlyIconProvider()

    assert provider.type(QFileInfo(str(side))) == "File"  # the name says nothing more
    assert provider.type(QFileInfo(str(csv))) == "CSV document"
    assert provider.type(QFileInfo(str(tmp_path))) == "Folder"
    assert not provider.icon(QFileInfo(str(side))).isNull()
    assert not provider.icon(QFileInfo(str(tmp_path))).isNull()


def test_sqlite_side_files_are_not_offered(qtbot, session_factory, ledger_path):
    with session_factory() as session:
        session.execute(text("SELECT 1")).all()
    dialog = ask.file_dialog(None, "Choose", "All files (*)")
    model = _show_and_wait(qtbot, dialog, ledger_path.parent)
    proxy = dialog.proxyModel()
    root = proxy.mapFromSource(model.index(str(ledger_path.parent)))

    shown = {proxy.index(row, 0, root).data() for row in range(proxy.rowCount(root))}

    assert "ledger.sqlite3" in shown
    assert not {n for n in shown if n.endswith(("-wal", "-shm", "-journal"))}
    dialog.close()
