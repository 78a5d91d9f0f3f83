"""Where Duebook keeps its files: the per-user data folder (platformdirs) or ``DUEBOOK_DB``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "Duebook"


def data_dir() -> Path:
    """The per-user data folder, e.g. ``~/.local/share/Duebook`` on Linux."""
    return user_data_path(APP_NAME, appauthor=False)


def default_ledger_path() -> Path:
    """The ledger used when no ``--db`` is given: ``DUEBOOK_DB``, else the data folder's."""
    env = os.environ.get("DUEBOOK_DB")
    return Path(env).expanduser() if env else data_dir() / "ledger.sqlite3"


if __name__ == "__main__":
    # `python -m app.paths --exists` exits 0 when the default ledger exists (used by run.sh).
    sys.exit(0 if default_ledger_path().exists() else 1)
