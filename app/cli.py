"""The ``duebook`` command line (../shared/formats.md): a thin shell over the services.

Exit status: 0 done; 1 bad input (one line on stderr naming the file, line or field); 2 usage.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from sqlalchemy.exc import OperationalError

from app.log import configure_logging
from app.models.db import LedgerError, open_ledger
from app.paths import default_ledger_path
from app.services.bank_import import import_statement
from app.services.cash_application import CashApplicationError
from app.services.clock import SystemClock
from app.services.daily_pass import run_daily_pass
from app.services.demo import build_demo_ledger
from app.services.demo_statement import write_demo_statement
from app.services.excel_export import export_customers_xlsx, export_invoices_xlsx
from app.services.file_import import ImportFileError, import_customers, import_invoices
from app.services.invoicing import InvoicingError
from app.services.mail.password import PasswordStoreError, keyring_name, store_password
from app.services.reconciliation import reconcile
from app.services.reconciliation_export import export_reconciliation
from app.services.reminders.templates import TemplateError
from app.services.settings import SettingError, load_settings, save_settings
from app.services.statements.parsed import MappingNeededError, StatementFileError
from app.services.uow import UnitOfWork
from app.services.wording import plural

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """Bad input met by a command; printed as one line and exit status 1."""


def _version() -> str:
    try:
        return version("duebook")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def _parser() -> argparse.ArgumentParser:
    # --db is accepted before or after the command: `duebook --db x import ...` and
    # `duebook import ... --db x` both work, as formats.md promises every command takes it.
    ledger = argparse.ArgumentParser(add_help=False)
    ledger.add_argument(
        "--db",
        type=Path,
        default=argparse.SUPPRESS,
        help="ledger file (default: $DUEBOOK_DB, else the per-user data folder)",
    )
    parser = argparse.ArgumentParser(
        prog="duebook",
        description="Duebook: invoices, collections and cash application.",
        parents=[ledger],
    )
    parser.add_argument("--version", action="version", version=f"duebook {_version()}")
    parser.add_argument(
        "--demo", action="store_true", help="open the window on a fresh demo ledger"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    imp = commands.add_parser(
        "import", help="import customers or invoices (CSV/XLSX) or a bank statement"
    )
    imp_kinds = imp.add_subparsers(dest="kind", metavar="KIND", required=True)
    for kind in ("customers", "invoices"):
        sub = imp_kinds.add_parser(kind, help=f"{kind} from CSV or XLSX (upsert)", parents=[ledger])
        sub.add_argument("file", type=Path)
    statement = imp_kinds.add_parser(
        "statement",
        help="a bank statement: CAMT.053/.054, OFX/QFX, MT940, CSV or XLSX",
        parents=[ledger],
    )
    statement.add_argument("file", type=Path)
    statement.add_argument("--account", help="the account (IBAN) when the file names none")
    statement.add_argument("--mapping", help="a saved CSV/XLSX column mapping, by name")
    statement.add_argument("--json", action="store_true", help="print one JSON object")

    rec = commands.add_parser(
        "reconcile", help="match statement lines to invoices", parents=[ledger]
    )
    rec.add_argument("--auto", action="store_true", help="apply the matches the engine is sure of")
    rec.add_argument("--export", type=Path, metavar="FILE.csv", help="write the reconciliation")

    rem = commands.add_parser("reminders", help="the reminder engine")
    rem_actions = rem.add_subparsers(dest="action", metavar="ACTION", required=True)
    run = rem_actions.add_parser(
        "run", help="queue the reminders that are due (one pass)", parents=[ledger]
    )
    run.add_argument("--dry-run", action="store_true", help="list what would be sent, send nothing")
    run.add_argument(
        "--today",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="the day of the pass (default: today)",
    )
    run.add_argument("--json", action="store_true", help="print one JSON object")

    exp = commands.add_parser("export", help="export customers or invoices to XLSX")
    exp_kinds = exp.add_subparsers(dest="kind", metavar="KIND", required=True)
    for kind in ("customers", "invoices"):
        sub = exp_kinds.add_parser(kind, help=f"{kind} to an XLSX file", parents=[ledger])
        sub.add_argument("file", type=Path)

    settings = commands.add_parser("settings", help="show or change company settings")
    actions = settings.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("show", help="every setting with its value", parents=[ledger])
    set_cmd = actions.add_parser("set", help="change one setting by dotted key", parents=[ledger])
    set_cmd.add_argument("key")
    set_cmd.add_argument("value")
    actions.add_parser(
        "set-password",
        help="store the SMTP password, read from standard input, in the OS keyring",
        parents=[ledger],
    )
    return parser


def _import(uow: UnitOfWork, args: argparse.Namespace) -> int:
    if args.kind == "statement":
        return _import_statement(uow, args)
    run = import_customers if args.kind == "customers" else import_invoices
    try:
        result = run(uow, args.file)
    except ImportFileError as exc:
        raise CommandError(str(exc)) from exc
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(
        f"{args.file.name}: {result.created} new, {result.updated} updated, "
        f"{result.unchanged} unchanged {args.kind}"
    )
    return EXIT_OK


def _import_statement(uow: UnitOfWork, args: argparse.Namespace) -> int:
    try:
        summary = import_statement(uow, args.file, account=args.account, mapping_name=args.mapping)
    except MappingNeededError as exc:
        raise CommandError(
            f"{exc}; confirm the columns once in the window's mapping dialog, then import "
            "with --mapping NAME"
        ) from exc
    except (StatementFileError, OSError) as exc:
        raise CommandError(str(exc)) from exc
    for warning in summary.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary.as_json()))
    else:
        print(
            f"{args.file.name}: {summary.new} new lines, {summary.duplicates} already imported "
            f"({summary.format}, {summary.statements} statements, {summary.lines} lines)"
        )
    return EXIT_OK


def _reconcile(uow: UnitOfWork, args: argparse.Namespace) -> int:
    try:
        summary = reconcile(uow, auto=args.auto)
    except CashApplicationError as exc:
        raise CommandError(str(exc)) from exc
    print(
        f"{summary.lines} lines matched: {summary.auto_applied} applied automatically, "
        f"{summary.suggested} suggested, {summary.unmatched} unmatched"
    )
    if args.export:
        try:
            rows = export_reconciliation(uow, args.export)
        except OSError as exc:
            raise CommandError(f"cannot write {args.export}: {exc.strerror or exc}") from exc
        print(f"Wrote {rows} rows to {args.export}")
    return EXIT_OK


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _reminders(uow: UnitOfWork, args: argparse.Namespace) -> int:
    real_today = SystemClock().today()
    today = args.today or real_today
    try:
        # A pass for a day ahead is a trial: it is not remembered as that day's pass.
        passed = run_daily_pass(uow, today, dry_run=args.dry_run, record=today <= real_today)
    except (TemplateError, InvoicingError) as exc:
        raise CommandError(str(exc)) from exc
    except OperationalError as exc:
        if "database is locked" in str(exc.orig):
            raise CommandError(
                "the ledger is busy (another Duebook is writing to it); try again in a moment"
            ) from None
        raise CommandError(f"the ledger cannot be written: {exc.orig}") from None
    result = passed.reminders
    if args.json:
        report = result.as_json()
        mail = passed.mail
        if mail is not None and (mail.states or (mail.problem and not mail.unconfigured)):
            report["warnings"] = [*result.warnings, f"mail: {mail.summary()}"]
        print(json.dumps(report, ensure_ascii=False))
        return EXIT_OK
    for warning in result.warnings:
        print(f"Warning: {warning}")
    verb = "would queue" if args.dry_run else "queued"
    for decision in result.decisions:
        what = f"{decision.customer_name}: {decision.step} ({', '.join(decision.invoices)})"
        if decision.email is None:
            print(f"task   {what}")
        else:
            print(f"email  {what} to {', '.join(decision.to)}")
    for skip in result.skipped:
        detail = f": {skip.detail}" if skip.detail else ""
        print(f"held   {skip.customer_name}: {', '.join(skip.invoices)} ({skip.reason}{detail})")
    emails = sum(1 for d in result.decisions if d.email is not None)
    tasks = sum(1 for d in result.decisions if d.task)
    print(
        f"{today.isoformat()}: {verb} {plural(emails, 'email')}, {plural(tasks, 'task')}; "
        f"{len(result.skipped)} held back"
    )
    if passed.issued:
        issued = plural(len(passed.issued), "recurring invoice")
        print(f"Issued {issued}: {', '.join(passed.issued)}")
    if passed.mail is not None:
        print(f"Mail: {passed.mail.summary()}")
    return EXIT_OK


def _export(uow: UnitOfWork, args: argparse.Namespace) -> int:
    try:
        if args.kind == "customers":
            count = export_customers_xlsx(uow, args.file)
        else:
            count = export_invoices_xlsx(uow, args.file, SystemClock().today())
    except OSError as exc:
        raise CommandError(f"cannot write {args.file}: {exc.strerror or exc}") from exc
    print(f"Wrote {count} {args.kind} to {args.file}")
    return EXIT_OK


def _set_password(uow: UnitOfWork) -> int:
    values = load_settings(uow)
    host, user = values["smtp.host"], values["smtp.user"]
    if not host or not user:
        raise CommandError(
            "set smtp.host and smtp.user first (duebook settings set smtp.host ...), "
            "then the password"
        )
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {user} on {host}: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CommandError("standard input: expected the password on the first line, got nothing")
    try:
        store_password(host, user, password)
    except PasswordStoreError as exc:
        raise CommandError(str(exc)) from exc
    print(f"Password for {user} on {host} stored in {keyring_name()}")
    return EXIT_OK


def _settings(uow: UnitOfWork, args: argparse.Namespace) -> int:
    if args.action == "set-password":
        return _set_password(uow)
    if args.action == "show":
        for key, value in load_settings(uow).items():
            print(f"{key} = {value}")
        return EXIT_OK
    try:
        stored = save_settings(uow, {args.key: args.value})
    except SettingError as exc:
        raise CommandError(str(exc)) from exc
    print(f"{args.key} = {stored[args.key]}")
    return EXIT_OK


COMMANDS: dict[str, Callable[[UnitOfWork, argparse.Namespace], int]] = {
    "import": _import,
    "export": _export,
    "reconcile": _reconcile,
    "reminders": _reminders,
    "settings": _settings,
}


def _open_window(ledger: Path, demo: bool) -> int:
    # Qt is loaded only when a window is opened, so that commands run on machines without a screen.
    from app.main import run_window

    return run_window(ledger, demo=demo)


def _demo_ledger() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="duebook-demo-"))
    path = folder / "demo.sqlite3"
    uow = UnitOfWork(open_ledger(path), actor="demo")
    today = SystemClock().today()
    build_demo_ledger(uow, today)
    write_demo_statement(uow, folder, today)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    chosen: Path | None = getattr(args, "db", None)
    if args.demo and chosen is not None:
        parser.error("--demo builds a fresh ledger in a temporary folder; leave out --db")
    try:
        if args.command is None:
            ledger = _demo_ledger() if args.demo else (chosen or default_ledger_path())
            open_ledger(ledger)  # create, migrate, or refuse with a clear message first
            configure_logging(ledger)
            return _open_window(ledger, args.demo)
        ledger = chosen or default_ledger_path()
        uow = UnitOfWork(open_ledger(ledger), actor="cli")
        configure_logging(ledger)
        return COMMANDS[args.command](uow, args)
    except (LedgerError, CommandError) as exc:
        print(f"duebook: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
