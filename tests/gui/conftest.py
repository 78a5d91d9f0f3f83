"""pytest-qt fixtures: offscreen Qt, a synchronous task runner, a small ledger made by services."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, QSettings
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.models.db import SessionFactory
from app.models.money import Money
from app.services.clock import FixedClock
from app.services.customers import CustomerInput, save_customer
from app.services.dto import ContactView, DraftInvoice, DraftLine
from app.services.invoicing import create_draft, issue_invoice, record_payment
from app.services.tasks import TaskContext
from app.services.uow import UnitOfWork
from app.views import ask
from app.views.context import ViewContext
from app.views.invoices_view import InvoicesView
from app.views.models.table_support import ROW_ROLE
from app.views.workers import Worker

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TODAY = date(2026, 11, 23)


class SyncTaskRunner:
    """Runs every task inline on the calling thread (Picard's FakeThreadPool idea)."""

    def __init__(self) -> None:
        self.labels: list[str] = []
        self.errors: list[Exception] = []

    def run(
        self,
        fn: Callable[[TaskContext], Any],
        *,
        progress_label: str,
        parent: QWidget | None,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[Exception], None] | None = None,
        io: bool = False,
    ) -> None:
        self.labels.append(progress_label)
        self._call(fn, on_success, on_failure, raise_unhandled=True)

    def fetch(
        self,
        fn: Callable[[TaskContext], Any],
        on_result: Callable[[Any], None],
        on_failure: Callable[[Exception], None],
        *,
        group: str = "",
    ) -> None:
        self._call(fn, on_result, on_failure, raise_unhandled=False)

    def drop_queued(self, group: str) -> None:
        """Nothing is ever queued: every task ran at once."""

    def _call(
        self,
        fn: Callable[[TaskContext], Any],
        on_success: Callable[[Any], None] | None,
        on_failure: Callable[[Exception], None] | None,
        *,
        raise_unhandled: bool,
    ) -> None:
        """Run the real :class:`Worker` inline; its signals reach the handlers directly."""
        worker = Worker(fn)
        failures: list[Exception] = []
        results: list[Any] = []
        worker.signals.succeeded.connect(results.append)
        worker.signals.failed.connect(failures.append)
        worker.run()
        if failures:
            self.errors.append(failures[0])
            if on_failure is not None:
                on_failure(failures[0])
            elif raise_unhandled:
                raise failures[0]
            return
        if results and on_success is not None:
            on_success(results[0])


@dataclass
class Asked:
    """What the window asked the (replaced) standard dialogs."""

    confirmations: list[str] = field(default_factory=list)
    informed: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)
    #: The titles of the warnings, in order, and whether each was also the box's first line.
    warned_titles: list[tuple[str, bool]] = field(default_factory=list)
    confirm_answer: bool = True
    text_answer: str | None = "wrong customer"
    open_file: Path | None = None
    save_file: Path | None = None
    folder: Path | None = None


@pytest.fixture(autouse=True)
def asked(monkeypatch: pytest.MonkeyPatch) -> Asked:
    """No test ever meets a blocking standard dialog."""
    answers = Asked()

    def confirm(parent: object, title: str, text: str, ok_text: str) -> bool:
        answers.confirmations.append(text)
        return answers.confirm_answer

    def inform(parent: object, title: str, text: str, details: str = "") -> None:
        answers.informed.append(text)

    def warn(parent: object, title: str, text: str, *, headline: bool = False) -> None:
        answers.warned.append(text)
        answers.warned_titles.append((title, headline))

    monkeypatch.setattr(ask, "confirm", confirm)
    monkeypatch.setattr(ask, "inform", inform)
    monkeypatch.setattr(ask, "warn", warn)
    monkeypatch.setattr(ask, "ask_text", lambda *a, **k: answers.text_answer)
    monkeypatch.setattr(ask, "choose_open_file", lambda *a, **k: answers.open_file)
    monkeypatch.setattr(ask, "choose_save_file", lambda *a, **k: answers.save_file)
    monkeypatch.setattr(ask, "choose_folder", lambda *a, **k: answers.folder)
    return answers


@pytest.fixture
def uow_factory(session_factory: SessionFactory) -> Callable[[], UnitOfWork]:
    return lambda: UnitOfWork(session_factory, actor="tester")


@pytest.fixture
def ui_settings(tmp_path: Path) -> Iterator[QSettings]:
    """Window state in a file under tmp_path, never the user's own QSettings."""
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    yield settings
    settings.sync()


@pytest.fixture
def sync_runner() -> SyncTaskRunner:
    return SyncTaskRunner()


@pytest.fixture
def view_ctx(
    qapp: object,
    uow_factory: Callable[[], UnitOfWork],
    sync_runner: SyncTaskRunner,
    ui_settings: QSettings,
    ledger_path: Path,
) -> ViewContext:
    return ViewContext(
        uow_factory=uow_factory,
        clock=FixedClock(TODAY),
        runner=sync_runner,
        settings=ui_settings,
        ledger_path=ledger_path,
        locale="en",
    )


@dataclass(frozen=True)
class SampleLedger:
    """Ids and numbers of what :func:`sample_ledger` made."""

    customers: dict[str, int]
    invoices: dict[str, int]
    numbers: dict[str, str]


def _customer(uow: UnitOfWork, code: str, name: str, currency: str, terms: int) -> int:
    return save_customer(
        uow,
        CustomerInput(
            code=code,
            name=name,
            currency=currency,
            payment_terms_days=terms,
            country="DE" if currency == "EUR" else "GB",
            segment="smb",
            contacts=(ContactView("Ana Berg", f"ap@{code.lower()}.example", "", "billing"),),
        ),
    )


def _invoice(
    uow: UnitOfWork, customer_id: int, issued: date, price: str, days: int, *, issue: bool = True
) -> tuple[int, str]:
    invoice_id = create_draft(
        uow,
        DraftInvoice(
            customer_id=customer_id,
            issue_date=issued,
            due_date=issued + timedelta(days=days),
            lines=(DraftLine("Consulting", Decimal(1), Decimal(price), Decimal(19)),),
        ),
    )
    return invoice_id, issue_invoice(uow, invoice_id) if issue else ""


@pytest.fixture
def sample_ledger(uow_factory: Callable[[], UnitOfWork]) -> SampleLedger:
    """Three customers and six invoices: overdue, open, partly paid, paid, a draft, in EUR and GBP.

    Totals include 19% tax: 1000 -> 1190.00, 500 -> 595.00, 2000 -> 2380.00, 300 -> 357.00.
    """
    uow = uow_factory()
    acme = _customer(uow, "ACME", "Acme Tools GmbH", "EUR", 30)
    brit = _customer(uow, "BRIT", "Britannia Supplies Ltd", "GBP", 14)
    nord = _customer(uow, "NORD", "Nordlicht Handel AG", "EUR", 60)
    invoices: dict[str, int] = {}
    numbers: dict[str, str] = {}
    for key, customer, issued, price, days in (
        ("overdue", acme, TODAY - timedelta(days=60), "1000.00", 30),
        ("open", acme, TODAY - timedelta(days=5), "500.00", 30),
        ("partly", nord, TODAY - timedelta(days=10), "2000.00", 60),
        ("gbp_overdue", brit, TODAY - timedelta(days=40), "300.00", 14),
        ("paid", brit, TODAY - timedelta(days=30), "100.00", 14),
    ):
        invoices[key], numbers[key] = _invoice(uow, customer, issued, price, days)
    invoices["draft"], _ = _invoice(uow, nord, TODAY, "50.00", 60, issue=False)
    record_payment(
        uow, nord, Money(50000, "EUR"), TODAY - timedelta(days=2),
        [(invoices["partly"], Money(50000, "EUR"))],
    )  # fmt: skip
    record_payment(
        uow, brit, Money(11900, "GBP"), TODAY - timedelta(days=20),
        [(invoices["paid"], Money(11900, "GBP"))],
    )  # fmt: skip
    return SampleLedger(
        customers={"acme": acme, "brit": brit, "nord": nord}, invoices=invoices, numbers=numbers
    )


def open_invoices_view(qtbot: QtBot, view_ctx: ViewContext) -> InvoicesView:
    """The Invoices screen on the test ledger, its list read."""
    view = InvoicesView(view_ctx)
    qtbot.addWidget(view)
    view.refresh()
    return view


def select_invoice(view: InvoicesView, invoice_id: int) -> None:
    """Select the row of one invoice in the Invoices screen's list."""
    model = view.model
    for row in range(model.rowCount()):
        if model.data(model.index(row, 0), ROW_ROLE).id == invoice_id:
            view.table.selectionModel().select(
                model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            return
    raise AssertionError(f"invoice {invoice_id} is not listed")
