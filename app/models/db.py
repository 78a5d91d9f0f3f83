"""Opening the ledger: engine, session factory, migrations and the backup before them."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from alembic.util.exc import CommandError
from sqlalchemy import Engine, create_engine, inspect
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"

SessionFactory = sessionmaker[Session]


class LedgerError(Exception):
    """The ledger file cannot be opened: not a database, not Duebook's, or from a newer version."""


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest schema revision this version of Duebook knows."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package ships its migrations
        raise LedgerError("Duebook's schema migrations are missing from the installation")
    return head


def make_engine(url: str) -> Engine:
    """An engine for a database URL (``sqlite:///path`` or a PostgreSQL URL)."""
    return create_engine(url, future=True)


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of an SQLite file."""
    return f"sqlite:///{path}"


def _check_sqlite_file(path: Path) -> None:
    if path.is_dir():
        raise LedgerError(
            f"{path} is a folder; name a ledger file such as {path / 'ledger.sqlite3'}"
        )
    if not path.exists() or path.stat().st_size == 0:
        return
    if not os.access(path, os.R_OK):
        raise LedgerError(f"{path} cannot be read: permission denied")
    # Read through SQLite, never with open(): closing any other descriptor of the file would
    # drop every POSIX lock this process holds on it (other connections' too), and another
    # process could then take the write-ahead log for abandoned and discard the window's writes.
    try:
        probe = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            probe.execute("PRAGMA schema_version").fetchone()
        finally:
            probe.close()
    except sqlite3.DatabaseError as exc:
        raise LedgerError(
            f"{path} is not a Duebook ledger: it is not an SQLite database ({exc})"
        ) from exc


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def backup_ledger(path: Path, suffix: str) -> Path:
    """A consistent copy of an SQLite ledger beside it (safe while another process writes)."""
    target = path.with_name(f"{path.stem}.{suffix}{path.suffix or '.sqlite3'}")
    source = sqlite3.connect(path)
    try:
        dest = sqlite3.connect(target)
        with dest:
            source.backup(dest)
        dest.close()
    finally:
        source.close()
    return target


def _known_revision(revision: str) -> bool:
    script = ScriptDirectory.from_config(_alembic_config())
    try:
        return script.get_revision(revision) is not None
    except (ResolutionError, CommandError):
        return False


def migrate(engine: Engine, path: Path | None = None) -> None:
    """Bring the schema to the newest revision, backing an SQLite file up first.

    Raises:
        LedgerError: the database holds tables that are not Duebook's, or was written by a newer
            version of Duebook.
    """
    head = head_revision()
    try:
        current = _current_revision(engine)
        tables = set(inspect(engine).get_table_names())
    except DatabaseError as exc:
        where = path or engine.url
        raise LedgerError(f"{where} cannot be read as a ledger: {exc.orig}") from exc
    if current == head:
        return
    if current is not None and not _known_revision(current):
        raise LedgerError(
            f"{path or engine.url} was written by a newer version of Duebook "
            f"(schema {current}); update Duebook to open it"
        )
    if current is None and tables - {"alembic_version"}:
        raise LedgerError(
            f"{path or engine.url} is not a Duebook ledger: it holds other tables "
            f"({', '.join(sorted(tables)[:3])})"
        )
    backup = None
    if path is not None and current is not None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        backup = backup_ledger(path, f"backup-{current}-{stamp}")
    try:
        _upgrade(engine)
    except DatabaseError as exc:
        kept = f"; a copy from before is at {backup}" if backup else ""
        raise LedgerError(
            f"{path or engine.url} could not be upgraded to schema {head}: {exc.orig}{kept}"
        ) from exc


def _upgrade(engine: Engine) -> None:
    """Run the migrations in one transaction.

    On SQLite, adding a foreign key rebuilds the table (copy, drop, rename); with foreign keys
    enforced, dropping a table that other rows point at fails. They are switched off for the
    upgrade, as SQLite's documentation for table changes advises, and checked before commit.
    """
    config = _alembic_config()
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                broken = (
                    conn.exec_driver_sql("PRAGMA foreign_key_check").first() if sqlite else None
                )
                if broken is not None:
                    raise LedgerError(
                        f"the upgrade would leave a row of {broken[0]} pointing nowhere"
                    )
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def open_ledger(path: Path) -> SessionFactory:
    """Open (creating and migrating as needed) the SQLite ledger at ``path``.

    Raises:
        LedgerError: the file is not a Duebook ledger or is from a newer version.
    """
    _check_sqlite_file(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LedgerError(f"cannot create the folder for {path}: {exc.strerror}") from exc
    engine = make_engine(sqlite_url(path))
    migrate(engine, path)
    return make_session_factory(engine)


def make_session_factory(engine: Engine) -> SessionFactory:
    """Sessions on ``engine`` that keep loaded values after commit (DTOs are built from them)."""
    return sessionmaker(bind=engine, expire_on_commit=False)
