"""Background work for the window: workers, the pools that run them, and plain-words errors.

Services are synchronous and Qt-free; a :class:`Worker` runs one of them on a pool thread with a
:class:`~app.services.tasks.TaskContext` whose ``report`` is the worker's ``progressed`` signal.
Results come back to the GUI thread through queued signals. Every task builds its own unit of
work (and so its own session), so no ORM object ever crosses a thread.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from app.services.customers import CustomerError
from app.services.invoice_preview import LedgerError
from app.services.invoicing import InvoicingError
from app.services.settings import SettingError
from app.services.tasks import TaskCancelledError, TaskContext

log = logging.getLogger(__name__)

TaskFn = Callable[[TaskContext], Any]
SuccessFn = Callable[[Any], None]
FailureFn = Callable[[Exception], None]

#: A progress dialog appears only for tasks that take longer than this.
PROGRESS_DELAY_MS = 400


class WorkerSignals(QObject):
    """What a worker tells the GUI thread; created on the GUI thread with the worker."""

    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(Exception)
    cancelled = Signal()


class Worker(QRunnable):
    """Runs one service call on a pool thread and reports through :class:`WorkerSignals`."""

    def __init__(self, fn: TaskFn) -> None:
        super().__init__()
        self._fn = fn
        self.signals = WorkerSignals()
        self.ctx = TaskContext(report=self._report)
        self.setAutoDelete(False)

    def _report(self, done: int, total: int, label: str) -> None:
        self.signals.progressed.emit(done, total, label)

    def cancel(self) -> None:
        """Ask the service to stop at its next check; it rolls its transaction back."""
        self.ctx.cancel()

    def run(self) -> None:
        try:
            result = self._fn(self.ctx)
        except TaskCancelledError:
            self.signals.cancelled.emit()
        # The one broad catch of the window: a worker thread must hand every error to the GUI
        # thread, which shows it in plain words; the traceback goes to the log file.
        except Exception as exc:
            log.error("background task failed", exc_info=exc)
            self.signals.failed.emit(exc)
        else:
            self.signals.succeeded.emit(result)


class Runner(Protocol):
    """What views need from a task runner; :class:`TaskRunner` and the tests' sync runner."""

    def run(
        self,
        fn: TaskFn,
        *,
        progress_label: str,
        parent: QWidget | None,
        on_success: SuccessFn | None = None,
        on_failure: FailureFn | None = None,
        io: bool = False,
    ) -> None:
        """Run a long task with a progress dialog and a Cancel button."""
        ...

    def fetch(
        self, fn: TaskFn, on_result: SuccessFn, on_failure: FailureFn, *, group: str = ""
    ) -> None:
        """Run a quick read in the background, with no dialog."""
        ...

    def drop_queued(self, group: str) -> None:
        """Forget the reads of ``group`` that have not started yet (no longer wanted)."""
        ...


class _Task(QObject):
    """Keeps a worker, its signals and its progress dialog alive and routes their signals."""

    finished = Signal(QObject)

    def __init__(
        self,
        worker: Worker,
        dialog: QProgressDialog | None,
        parent_widget: QWidget | None,
        on_success: SuccessFn | None,
        on_failure: FailureFn | None,
    ) -> None:
        super().__init__()
        self.worker = worker
        self.group = ""
        self._dialog = dialog
        self._parent_widget = parent_widget
        self._on_success = on_success
        self._on_failure = on_failure
        worker.signals.progressed.connect(self._on_worker_progressed)
        worker.signals.succeeded.connect(self._on_worker_succeeded)
        worker.signals.failed.connect(self._on_worker_failed)
        worker.signals.cancelled.connect(self._on_worker_cancelled)
        if dialog is not None:
            dialog.canceled.connect(self._on_dialog_canceled)

    @Slot()
    def _on_dialog_canceled(self) -> None:
        self.worker.cancel()
        if self._dialog is not None:
            self._dialog.setLabelText("Cancelling…")

    @Slot(int, int, str)
    def _on_worker_progressed(self, done: int, total: int, label: str) -> None:
        if self._dialog is None:
            return
        self._dialog.setMaximum(max(total, 0))
        self._dialog.setValue(min(done, total) if total > 0 else 0)
        if label:
            self._dialog.setLabelText(label)

    @Slot(object)
    def _on_worker_succeeded(self, result: object) -> None:
        self._close()
        if self._on_success is not None:
            self._on_success(result)

    @Slot(Exception)
    def _on_worker_failed(self, exc: Exception) -> None:
        self._close()
        if self._on_failure is not None:
            self._on_failure(exc)
        else:
            show_error(self._parent_widget, exc)

    @Slot()
    def _on_worker_cancelled(self) -> None:
        self._close()

    def _close(self) -> None:
        if self._dialog is not None:
            self._dialog.reset()
            self._dialog.deleteLater()
            self._dialog = None
        self.finished.emit(self)


class TaskRunner(QObject):
    """Owns the thread pools and runs service calls on them.

    ``db_pool`` has one thread, so writes to the SQLite ledger never compete; ``io_pool`` takes
    PDF, Excel and mail work; ``read_pool`` takes the quick paged reads of the lists, so that a
    long import never holds up scrolling.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_pool = QThreadPool(self)
        self.db_pool.setMaxThreadCount(1)
        self.io_pool = QThreadPool(self)
        self.io_pool.setMaxThreadCount(4)
        self.read_pool = QThreadPool(self)
        self.read_pool.setMaxThreadCount(2)
        self._tasks: set[_Task] = set()

    def run(
        self,
        fn: TaskFn,
        *,
        progress_label: str,
        parent: QWidget | None,
        on_success: SuccessFn | None = None,
        on_failure: FailureFn | None = None,
        io: bool = False,
    ) -> None:
        """Run a long task with a progress dialog whose Cancel stops it.

        Args:
            fn: the service call; it gets the task's context for progress and cancel checks.
            progress_label: what the progress dialog says while it runs.
            parent: the widget the dialog and any error message belong to.
            on_success: called on the GUI thread with the result.
            on_failure: called on the GUI thread with the error; by default it is shown.
            io: run on the I/O pool (files, PDF, mail) rather than the ledger's write pool.
        """
        worker = Worker(fn)
        dialog = QProgressDialog(progress_label, "Cancel", 0, 0, parent)
        dialog.setWindowTitle("Duebook")
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.setMinimumDuration(PROGRESS_DELAY_MS)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setValue(0)
        self._start(_Task(worker, dialog, parent, on_success, on_failure), io)

    def fetch(
        self, fn: TaskFn, on_result: SuccessFn, on_failure: FailureFn, *, group: str = ""
    ) -> None:
        """Run a quick read on the read pool; ``on_result`` gets its value on the GUI thread.

        Reads of a ``group`` that are still queued can be dropped with :meth:`drop_queued`.
        """
        worker = Worker(fn)
        task = _Task(worker, None, None, on_result, on_failure)
        task.group = group
        self._tasks.add(task)
        task.finished.connect(self._on_task_finished)
        self.read_pool.start(worker)

    def drop_queued(self, group: str) -> None:
        """Take the queued, not yet started reads of ``group`` off the read pool."""
        for task in [t for t in self._tasks if t.group == group and group]:
            if self.read_pool.tryTake(task.worker):
                self._tasks.discard(task)
                task.deleteLater()

    def _start(self, task: _Task, io: bool) -> None:
        self._tasks.add(task)
        task.finished.connect(self._on_task_finished)
        (self.io_pool if io else self.db_pool).start(task.worker)

    @Slot(QObject)
    def _on_task_finished(self, task: QObject) -> None:
        if isinstance(task, _Task):
            self._tasks.discard(task)
            task.deleteLater()

    def wait_for_all(self, msecs: int = 30000) -> bool:
        """Wait for every pool to go idle (at shutdown, and in benchmarks)."""
        ok = True
        for pool in (self.db_pool, self.io_pool, self.read_pool):
            ok = pool.waitForDone(msecs) and ok
        return ok


_USER_ERRORS = (InvoicingError, CustomerError, SettingError, LedgerError, ValueError)


def describe_error(exc: BaseException) -> str:
    """An error in plain words: what happened and, where known, what to do next."""
    if isinstance(exc, _USER_ERRORS) or type(exc).__name__ in {"ImportFileError", "PdfError"}:
        return sentence(str(exc))
    if isinstance(exc, OSError):
        return _file_error(exc)
    return (
        f"Something went wrong that Duebook did not expect ({type(exc).__name__}: {exc}). "
        "Nothing was changed. The details are in the log file."
    )


def _file_error(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return (
            f"Duebook may not use the file {exc.filename or ''}. "
            "Choose another folder or close the program that holds it."
        )
    if isinstance(exc, FileNotFoundError):
        return f"The file {exc.filename or ''} does not exist any more. Choose it again."
    where = f" ({exc.filename})" if exc.filename else ""
    return f"The file could not be read or written{where}: {exc.strerror or exc}."


#: A first word that is a file name ("invoices.csv,"): it keeps its spelling.
_FILE_NAME = re.compile(r"^\S+\.[A-Za-z0-9]{1,5}[,:]?(?:\s|$)|^[/~]")


def capitalised(text: str) -> str:
    """A service's message with a capital first letter, unless it begins with a file name."""
    text = text.strip()
    if text and not _FILE_NAME.match(text):
        text = text[0].upper() + text[1:]
    return text


def sentence(text: str) -> str:
    """A service's message as a sentence: capital first letter (but file names), full stop."""
    text = capitalised(text) or "The action could not be done"
    return text if text.endswith((".", "?", "!")) else text + "."


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    """Tell the user what went wrong, in words; never a stack trace."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Duebook", describe_error(exc), parent=parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
