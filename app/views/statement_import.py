"""Importing statement files for the Bank screen, in the background.

Files are imported one after another, with a mapping dialog for exports whose columns are
unclear; then the new lines are matched once.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal

from app.services.bank_dto import ReconcileSummary, StatementImportSummary
from app.services.bank_import import import_statement
from app.services.reconciliation import reconcile
from app.services.statements.parsed import MappingNeededError, SheetMapping
from app.services.tasks import TaskCancelledError, TaskContext
from app.services.wording import plural
from app.views import ask
from app.views.mapping_dialog import MappingDialog
from app.views.screen import Screen
from app.views.workers import describe_error


class StatementImporter(QObject):
    """Imports the files it is given in turn, then matches the new lines once.

    A cancelled import or matching run changes nothing and ends the run quietly.
    """

    #: A run ended (imported, failed or cancelled): the status message for it.
    finished = Signal(str)

    def __init__(self, screen: Screen) -> None:
        super().__init__(screen)
        self._screen = screen
        self._queue: deque[Path] = deque()
        self._summaries: list[StatementImportSummary] = []
        self._busy = False
        #: The mapping dialog while it is open (tests answer it).
        self.mapping_dialog: MappingDialog | None = None
        #: The lines the last run applied automatically, for undoing it as a whole.
        self.applied_line_ids: tuple[int, ...] = ()

    def is_busy(self) -> bool:
        """Whether files are being imported or matched now."""
        return self._busy

    def import_files(self, paths: list[Path]) -> None:
        """Import these files after any still waiting."""
        self._queue.extend(paths)
        if not self._busy:
            self._busy = True
            self._summaries = []
            self._next()

    def match_again(self) -> None:
        """Match every line waiting for review again, applying the sure matches."""
        if self._busy:
            return
        self._busy = True
        self._summaries = []
        self._match()

    # -- the run -----------------------------------------------------------------------------

    def _next(self) -> None:
        if not self._queue:
            if any(s.new for s in self._summaries):
                self._match()
            else:
                self._end(self._nothing_new())
            return
        self._import(self._queue.popleft())

    def _import(
        self, path: Path, mapping: SheetMapping | None = None, save_as: str | None = None
    ) -> None:
        uow_factory = self._screen.ctx.uow_factory

        def run(ctx: TaskContext) -> StatementImportSummary | MappingNeededError | None:
            # A question for the person and a cancel are answers, not failures to log.
            try:
                return import_statement(
                    uow_factory(), path, mapping=mapping, save_mapping_as=save_as, ctx=ctx
                )
            except MappingNeededError as unsure:
                return unsure
            except TaskCancelledError:
                return None

        self._screen.ctx.runner.run(
            run,
            progress_label=f"Importing {path.name}…",
            parent=self._screen,
            on_success=lambda summary: self._on_imported(path, summary),
            on_failure=lambda exc: self._on_import_failed(path, exc),
        )

    def _on_imported(
        self, path: Path, summary: StatementImportSummary | MappingNeededError | None
    ) -> None:
        if isinstance(summary, MappingNeededError):
            self._ask_mapping(path, summary)
            return
        if summary is None:
            self._queue.clear()
            self._end(f"Import of {path.name} cancelled; nothing was imported from it")
            return
        self._summaries.append(summary)
        self._next()

    def _on_import_failed(self, path: Path, exc: Exception) -> None:
        text = describe_error(exc)
        ask.warn(self._screen, "Import failed", f"{text} Nothing was imported from {path.name}.")
        self._screen.status_reported.emit(f"Nothing was imported from {path.name}")
        self._next()

    def _ask_mapping(self, path: Path, exc: MappingNeededError) -> None:
        dialog = MappingDialog(exc.guess, self._screen)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.mapping_chosen.connect(
            lambda mapping, name: self._on_mapping_chosen(path, mapping, name)
        )
        dialog.rejected.connect(lambda: self._on_mapping_rejected(path))
        dialog.destroyed.connect(self._on_dialog_destroyed)
        self.mapping_dialog = dialog
        dialog.open()

    def _on_dialog_destroyed(self) -> None:
        self.mapping_dialog = None

    def _on_mapping_chosen(self, path: Path, mapping: SheetMapping, name: str) -> None:
        self.mapping_dialog = None
        self._import(path, mapping, name or None)

    def _on_mapping_rejected(self, path: Path) -> None:
        self.mapping_dialog = None
        self._screen.status_reported.emit(f"Nothing was imported from {path.name}")
        self._next()

    def _match(self) -> None:
        uow_factory = self._screen.ctx.uow_factory

        def run(ctx: TaskContext) -> ReconcileSummary | None:
            try:
                return reconcile(uow_factory(), auto=True, ctx=ctx)
            except TaskCancelledError:
                return None

        self._screen.ctx.runner.run(
            run,
            progress_label="Matching payments to invoices…",
            parent=self._screen,
            on_success=self._on_matched,
            on_failure=self._on_match_failed,
        )

    def _on_matched(self, result: ReconcileSummary | None) -> None:
        imported = self._imported_text()
        if result is None:
            self._end(f"{imported}; matching was cancelled" if imported else "Matching cancelled")
            return
        review = result.suggested + result.unmatched
        matched = (
            f"{plural(result.auto_applied, 'payment')} applied automatically, {review:,} to review"
        )
        message = f"{imported}: {matched}" if imported else f"Matched again: {matched}"
        self.applied_line_ids = result.applied_line_ids
        if result.applied_line_ids:
            message += ". Undo (Ctrl+Z)"
        warnings = [w for s in self._summaries for w in s.warnings] + list(result.warnings)
        if warnings:
            ask.inform(
                self._screen,
                "Statement imported with warnings",
                f"{message}.\n\n{warnings[0]}",
                "\n".join(warnings),
            )
        self._end(message)

    def _on_match_failed(self, exc: Exception) -> None:
        ask.warn(self._screen, "Matching failed", describe_error(exc))
        imported = self._imported_text()
        self._end(f"{imported}; matching failed" if imported else "Matching failed")

    def _imported_text(self) -> str:
        if not self._summaries:
            return ""
        new = sum(s.new for s in self._summaries)
        source = (
            self._summaries[0].file
            if len(self._summaries) == 1
            else plural(len(self._summaries), "file")
        )
        text = f"Imported {plural(new, 'new line')} from {source}"
        duplicates = sum(s.duplicates for s in self._summaries)
        if duplicates:
            text += f" ({duplicates:,} already there)"
        return text

    def _nothing_new(self) -> str:
        if not self._summaries:
            return ""
        lines = sum(s.lines for s in self._summaries)
        names = ", ".join(s.file for s in self._summaries)
        were = "was" if lines == 1 else "were"
        return f"Nothing new in {names}: {plural(lines, 'line')} {were} imported before"

    def _end(self, message: str) -> None:
        self._busy = False
        self._summaries = []
        self.finished.emit(message)
        if self._queue:  # dropped while the last run finished
            self.import_files([])
