import sqlite3
import subprocess
import sys

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import text

from app.models import Base
from app.models.db import (
    MIGRATIONS,
    LedgerError,
    head_revision,
    make_engine,
    open_ledger,
    sqlite_url,
)
from app.services.settings import save_settings
from app.services.uow import UnitOfWork


def test_a_missing_ledger_is_created_and_migrated(tmp_path):
    path = tmp_path / "new" / "ledger.sqlite3"
    factory = open_ledger(path)
    with factory() as session:
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert revision == head_revision()


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.sqlite3"
    path.write_bytes(b"just some notes\n" * 10)
    with pytest.raises(LedgerError, match="not an SQLite database"):
        open_ledger(path)
    assert path.read_bytes() == b"just some notes\n" * 10


def test_a_corrupt_database_is_refused(tmp_path):
    path = tmp_path / "corrupt.sqlite3"
    open_ledger(path).kw["bind"].dispose()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)
    path.write_bytes(bytes(data))
    with pytest.raises(LedgerError, match=r"corrupt\.sqlite3"):
        open_ledger(path)


def test_a_foreign_database_is_refused(tmp_path):
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
    with pytest.raises(LedgerError, match="not a Duebook ledger"):
        open_ledger(path)
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"recipes"}


def test_a_ledger_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "newer.sqlite3"
    open_ledger(path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(LedgerError, match="newer version of Duebook"):
        open_ledger(path)


def test_an_older_ledger_is_backed_up_before_it_is_migrated(tmp_path):
    path = tmp_path / "old.sqlite3"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = make_engine(sqlite_url(path))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(
            text(
                "INSERT INTO customers (code, name, currency, payment_terms_days, phone, address,"
                " country, language, segment, vat_id, created_at)"
                " VALUES ('C1', 'Old Customer', 'EUR', 30, '', '', '', '', '', '', '2026-01-01')"
            )
        )
    engine.dispose()
    factory = open_ledger(path)
    [backup] = tmp_path.glob("old.backup-0001-*.sqlite3")
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    with factory() as session:
        assert session.execute(text("SELECT name FROM customers")).scalar() == "Old Customer"
        assert session.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            head_revision()
        )


def test_the_audit_log_is_append_only(tmp_path):
    path = tmp_path / "audit.sqlite3"
    open_ledger(path)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO audit_log (at, actor, action, entity, before, after) "
            "VALUES ('2026-01-01', 'me', 'set', 'setting', '', '')"
        )
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE audit_log SET actor = 'someone else'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM audit_log")


def test_the_migrations_build_exactly_the_models_schema(tmp_path):
    engine = open_ledger(tmp_path / "drift.sqlite3").kw["bind"]
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_a_ledger_with_invoices_migrates_although_tables_are_rebuilt(tmp_path):
    """SQLite rebuilds a table to add a foreign key; rows pointing at it must not stop that."""
    path = tmp_path / "used.sqlite3"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = make_engine(sqlite_url(path))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0005")
        conn.execute(
            text(
                "INSERT INTO customers (id, code, name, currency, payment_terms_days, phone,"
                " address, country, language, segment, vat_id, created_at)"
                " VALUES (1, 'C1', 'Old Customer', 'EUR', 30, '', '', '', '', '', '', '2026-01-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO invoices (number, kind, state, customer_id, currency, issue_date,"
                " due_date, net_minor, tax_minor, total_minor, po_number, description, notes,"
                " source, void_reason, created_at) VALUES ('INV-1', 'invoice', 'issued', 1, 'EUR',"
                " '2026-01-01', '2026-01-31', 100, 0, 100, '', '', '', 'app', '', '2026-01-01')"
            )
        )
    engine.dispose()
    factory = open_ledger(path)
    with factory() as session:
        assert session.execute(text("SELECT count(*) FROM invoices")).scalar() == 1
        assert session.execute(text("SELECT reminders_excluded FROM customers")).scalar() == 0
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_opening_the_ledger_twice_keeps_other_processes_from_discarding_its_writes(tmp_path):
    """The window opens the ledger after the command line checked it; a cron run on the same
    file must still see this process's locks, or closing it would throw the window's log away."""
    path = tmp_path / "ledger.sqlite3"
    first = UnitOfWork(open_ledger(path))
    save_settings(first, {"company.name": "Before"})
    window = UnitOfWork(open_ledger(path))  # checks the file again, as the window does
    save_settings(window, {"company.name": "Window 1"})
    other = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "c.execute('select count(*) from settings').fetchone(); c.close()"
    )
    subprocess.run([sys.executable, "-c", other, str(path)], check=True)  # noqa: S603
    save_settings(window, {"company.name": "Window 2"})
    read = (
        "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("
        "\"select value from settings where key='company.name'\").fetchone()[0])"
    )
    seen = subprocess.run(  # noqa: S603
        [sys.executable, "-c", read, str(path)], check=True, capture_output=True, text=True
    )
    assert seen.stdout.strip() == "Window 2"
