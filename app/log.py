"""The log file: beside the ledger, rotated, and never holding a secret."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
HANDLER_NAME = "duebook-file"


def configure_logging(ledger_path: Path, level: int = logging.INFO) -> Path:
    """Log to ``duebook.log`` beside the ledger, 1 MB per file, five files kept.

    Returns:
        The log file's path.
    """
    log_path = ledger_path.with_name("duebook.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
        old.close()
    handler = RotatingFileHandler(log_path, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    # APScheduler logs every run of the minute watch at INFO; only its trouble is worth keeping.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return log_path
