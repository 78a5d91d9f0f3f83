"""Import from and export to spreadsheets, the same way on every screen that offers it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.services.file_import import ImportResult
from app.services.tasks import TaskContext
from app.services.uow import UnitOfWork
from app.views import ask
from app.views.import_messages import import_failure, import_summary, show_import_warnings
from app.views.screen import Screen

Importer = Callable[..., ImportResult]


def import_spreadsheet(
    screen: Screen, noun: str, importer: Importer, after_change: Callable[[str], None]
) -> None:
    """Ask for a CSV or XLSX file and import it in the background with progress and Cancel.

    Args:
        screen: the screen that asks and reports.
        noun: what the file holds, singular ("invoice", "customer").
        importer: ``import_invoices`` or ``import_customers`` (uow, path, ctx=...).
        after_change: the screen's refresh with the message to show.
    """
    path = ask.choose_open_file(screen, f"Import {noun}s", ask.SPREADSHEET_FILTER)
    if path is None:
        return
    uow_factory: Callable[[], UnitOfWork] = screen.ctx.uow_factory

    def run_import(ctx: TaskContext) -> ImportResult:
        return importer(uow_factory(), path, ctx=ctx)

    def done(result: ImportResult) -> None:
        message, _ = import_summary(result, noun, path)
        after_change(message)
        show_import_warnings(screen, result, message)

    def failed(exc: Exception) -> None:
        screen.status_reported.emit(f"Nothing was imported from {path.name}")
        ask.warn(screen, "Import failed", import_failure(exc))

    screen.ctx.runner.run(
        run_import,
        progress_label=f"Importing {path.name}…",
        parent=screen,
        on_success=done,
        on_failure=failed,
    )


def export_spreadsheet(
    screen: Screen, noun: str, exporter: Callable[[UnitOfWork, Path], int]
) -> None:
    """Ask where to save an XLSX file and write it in the background.

    Args:
        screen: the screen that asks and reports.
        noun: what the file holds, singular ("invoice", "customer").
        exporter: writes the rows to the path and returns how many.
    """
    suggested = f"{noun}s-{screen.ctx.clock.today().isoformat()}.xlsx"
    path = ask.choose_save_file(screen, f"Export {noun}s", suggested, "Excel (*.xlsx)")
    if path is None:
        return
    uow_factory: Callable[[], UnitOfWork] = screen.ctx.uow_factory

    def export(_: TaskContext) -> int:
        return exporter(uow_factory(), path)

    screen.ctx.runner.run(
        export,
        progress_label=f"Writing {path.name}…",
        parent=screen,
        on_success=lambda n: screen.status_reported.emit(f"Exported {n} {noun}s to {path.name}"),
        io=True,
    )
