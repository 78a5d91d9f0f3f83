"""The Bank screen: statement lines to review beside the review pane, imports and matching."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QIcon, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QStyle,
    QWidget,
)
from typing_extensions import override

from app.services.bank_dto import (
    LineFilter,
    ManualAllocation,
    PickableInvoice,
    StatementLineDetail,
    StatementLineRow,
)
from app.services.bank_queries import (
    count_lines_by_state,
    get_statement_line,
    list_statement_lines,
    pickable_invoices,
    review_totals,
)
from app.services.cash_application import (
    accept_proposal,
    apply_line,
    mark_not_customer_payment,
    reject_proposal,
    undo_line,
    undo_lines,
)
from app.services.demo_statement import DEMO_STATEMENT_NAME
from app.services.dto import OpResult
from app.services.invoice_preview import Money
from app.services.settings import load_settings
from app.services.tasks import TaskContext
from app.services.uow import UnitOfWork
from app.views import ask
from app.views.bank_review_pane import BankReviewPane
from app.views.context import ViewContext
from app.views.empty_state import EmptyStatePage
from app.views.invoice_picker import WriteoffLimits
from app.views.list_screen import StateFilterListScreen
from app.views.models.statement_line_model import (
    REVIEW_STATES,
    LineColumn,
    StatementLineModel,
)
from app.views.statement_import import StatementImporter
from app.views.style import muted, per_currency_text
from app.views.workers import describe_error

#: The state filter: (label, ``LineFilter.state``).
STATE_FILTERS: tuple[tuple[str, str | None], ...] = (
    ("To review", "review"),
    ("Applied automatically", "auto"),
    ("Confirmed", "confirmed"),
    ("Not customer payments", "ignored"),
    ("All lines", None),
)
#: Texts as wide as a column's widest usual value, to size the columns by the font.
_WIDEST = (
    "Dec 31, 2026",
    "Schäfer Sportartikel",
    "",
    "-€188,888.88",
    "Not a customer payment",
    "100%",
)
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_DELETE = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
_FOOTER_STATES = (
    ("review", "to review"),
    ("auto", "applied automatically"),
    ("confirmed", "confirmed"),
    ("ignored", "not customer payments"),
)


@dataclass(frozen=True)
class BankListing:
    """One read of the screen: the lines listed, the counts per state, the money to review."""

    rows: list[StatementLineRow]
    counts: dict[str, int]
    to_review: dict[str, Money]


@dataclass(frozen=True)
class LineShown:
    """A line for the review pane, with the open invoices offered to pick by hand."""

    detail: StatementLineDetail
    pickable: list[PickableInvoice]


class BankView(StateFilterListScreen):
    """Statement lines with filters and totals, the review pane, and the cash application."""

    title = "Bank"
    search_placeholder = "Search payer, text, amount, customer"
    noun = "statement line"
    stretch_column = LineColumn.TEXT
    settings_key = "bank"

    #: The number of lines waiting for review changed (the sidebar badge).
    review_count_changed = Signal(int)

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("BankView")
        self.model = StatementLineModel(ctx.locale, self)
        self.importer = StatementImporter(self)
        self.importer.finished.connect(self._on_importer_finished)
        self._advance_from: int | None = None
        #: What Ctrl+Z undoes: the line just applied, or every line the last run applied.
        self._last_applied: tuple[int, ...] = ()
        self._build_actions()
        self._build_state_filter([label for label, _ in STATE_FILTERS])
        self._build_table()
        self.pane = BankReviewPane(ctx.locale)
        self._connect_pane()
        self._count = muted(QLabel())
        self._totals = muted(QLabel())
        self._totals.setObjectName("BankTotals")
        list_box = self._list_with_footer(self._count, self._totals)
        self.splitter = self._new_splitter(
            "BankSplitter", (list_box, self.pane), (3, 2), [800, 470]
        )
        self._place_pages(self._build_empty_state(), self._filters)
        self._update_actions()

    # -- building ----------------------------------------------------------------------------

    def icon(self) -> QIcon:
        return self.style().standardIcon(QStyle.StandardPixmap.SP_DriveNetIcon)

    def _build_actions(self) -> None:
        sp = QStyle.StandardPixmap
        self.open_action = self._action(
            "Open statement…", self.open_statement, sp.SP_DialogOpenButton
        )
        self.open_action.setToolTip(
            "Import a bank statement: CAMT, OFX, MT940, CSV or Excel (Ctrl+O, or drop the file)"
        )
        self.match_action = self._action(
            "Match again", self._on_match_action_triggered, sp.SP_BrowserReload
        )
        self.match_action.setToolTip(
            "Look for matches for every line to review again, and apply the sure ones"
        )
        self.accept_action = self._action(
            "Accept", self._on_accept_action_triggered, sp.SP_DialogApplyButton
        )
        self.accept_action.setToolTip("Apply the selected line as its best proposal says (Enter)")
        self.reject_action = self._action("Reject", self._on_reject_action_triggered)
        self.reject_action.setToolTip("Drop the best proposal of the selected line (Delete)")
        self.not_payment_action = self._action(
            "Not a customer payment…", self._on_not_payment_action_triggered
        )
        self.undo_action = self._action("Undo", self._on_undo_action_triggered, sp.SP_ArrowBack)
        self.undo_action.setToolTip("Undo the last application (Ctrl+Z)")
        self.undo_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        self.undo_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.undo_action)
        for action in (self.open_action, self.match_action):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        for action in (
            self.accept_action,
            self.reject_action,
            self.not_payment_action,
            self.undo_action,
        ):
            self.toolbar.addAction(action)

    def _build_table(self) -> None:
        self.table = self._new_table(
            "StatementLineTable", self.model, QAbstractItemView.SelectionMode.SingleSelection
        )
        self.table.setTabKeyNavigation(False)
        self.table.installEventFilter(self)
        self._size_columns(_WIDEST, icon_column=LineColumn.STATE)
        self._fit_columns()
        self.table.horizontalHeader().setSortIndicator(LineColumn.DATE, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)

    def _build_empty_state(self) -> QWidget:
        page = EmptyStatePage(
            "No bank statements yet",
            "Drop a bank statement here (CAMT, OFX, MT940, CSV, Excel). Duebook applies the "
            "payments it is sure of and shows you the rest with its suggestions.",
            "Open a statement…",
        )
        page.import_button.hide()
        self.empty_open_button = page.new_button
        self.empty_open_button.clicked.connect(self.open_statement)
        demo_statement = self.ctx.ledger_path.parent / DEMO_STATEMENT_NAME
        if demo_statement.is_file():
            _, button = page.add_hint(
                "This demo comes with a statement that pays some of its invoices: try it.",
                "Import the demo statement",
            )
            button.clicked.connect(lambda: self.import_files([demo_statement]))
        return page

    def _connect_pane(self) -> None:
        pane = self.pane
        pane.accept_requested.connect(self._on_pane_accept_requested)
        pane.reject_requested.connect(self._on_pane_reject_requested)
        pane.apply_requested.connect(self._on_pane_apply_requested)
        pane.not_payment_requested.connect(self._on_not_payment_action_triggered)
        pane.undo_requested.connect(self._on_pane_undo_requested)
        pane.picker.search_changed.connect(self._on_picker_search_changed)

    # -- Screen hooks ------------------------------------------------------------------------

    def set_search(self, text: str) -> None:
        super().set_search(text)
        self._reload_list()

    def refresh(self) -> None:
        self.stale = False
        self._reload_list()
        self._load_writeoff_limits()

    def _sort_order(self) -> tuple[int, bool]:
        return self.model.sort_order()

    # -- importing ---------------------------------------------------------------------------

    def open_statement(self) -> None:
        """Ctrl+O: ask for a statement file and import it."""
        path = ask.choose_open_file(
            self,
            "Open a bank statement",
            "Bank statements (*.xml *.053 *.054 *.ofx *.qfx *.sta *.940 *.mt940 *.txt *.csv "
            "*.xlsx);;All files (*)",
        )
        if path is not None:
            self.importer.import_files([path])

    def import_files(self, paths: Sequence[Path]) -> None:
        """Import dropped statement files one after another, then match their lines."""
        self.importer.import_files(list(paths))

    @Slot(str)
    def _on_importer_finished(self, message: str) -> None:
        self._last_applied = self.importer.applied_line_ids
        if message:
            self.status_reported.emit(message)
        self.ledger_changed.emit()
        self._reload_list()

    @Slot()
    def _on_match_action_triggered(self) -> None:
        self.importer.match_again()

    # -- the list ----------------------------------------------------------------------------

    def _current_filter(self) -> LineFilter:
        state = STATE_FILTERS[max(self.state_filter.currentIndex(), 0)][1]
        return LineFilter(state=state, search=self.search_text.strip())

    def _reload_list(self) -> None:
        uow_factory, filt = self.ctx.uow_factory, self._current_filter()

        def read(_: TaskContext) -> BankListing:
            return BankListing(
                list_statement_lines(uow_factory(), filt),
                count_lines_by_state(uow_factory()),
                review_totals(uow_factory()),
            )

        self.ctx.runner.fetch(read, self._on_listing_loaded, self._on_read_failed)

    def load_badge(self) -> None:
        """Read how many lines wait for review, for the sidebar badge."""
        uow_factory = self.ctx.uow_factory

        def read(_: TaskContext) -> dict[str, int]:
            return count_lines_by_state(uow_factory())

        self.ctx.runner.fetch(read, self._on_counts_loaded, self._on_read_failed)

    def _on_counts_loaded(self, counts: dict[str, int]) -> None:
        self.review_count_changed.emit(_review_count(counts))

    def _on_listing_loaded(self, listing: BankListing) -> None:
        keep = self._detail_for
        self.model.set_rows(listing.rows)
        self._on_counts_loaded(listing.counts)
        self.pages.setCurrentIndex(0 if sum(listing.counts.values()) else 1)
        shown = len(listing.rows)
        self._count.setText("1 line" if shown == 1 else f"{shown:,} lines")
        self._totals.setText(_footer_text(listing, self.ctx.locale))
        row = self._row_to_select(keep)
        if row is None:
            self.table.clearSelection()
            self._load_detail(None)
        else:
            self.table.selectRow(row)
            self._load_detail(self.model.rows()[row].line_id)
        self._update_actions()

    def _row_to_select(self, keep: int | None) -> int | None:
        """The row to select after a read.

        After an action that dealt with a line, the next line to review; else the line shown
        before.
        """
        rows = self.model.rows()
        if self._advance_from is not None:
            start, self._advance_from = self._advance_from, None
            order = list(range(start, len(rows))) + list(range(start))
            for row in order:
                if rows[row].state in REVIEW_STATES and rows[row].line_id != keep:
                    return row
        found = self.model.row_of(keep) if keep is not None else None
        return found if found is not None else None

    # -- selection and the review pane -------------------------------------------------------

    def current_line(self) -> StatementLineRow | None:
        """The selected statement line."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    @Slot()
    def _on_table_selection_changed(self) -> None:
        row = self.current_line()
        if row is None:
            self._detail_for = None
            self.pane.show_line(None)
        elif row.line_id != self._detail_for or self.pane.detail is None:
            self._load_detail(row.line_id)
        self._update_actions()

    def _load_detail(self, line_id: int | None) -> None:
        self._detail_for = line_id
        if line_id is None:
            self.pane.show_line(None)
            self._update_actions()
            return
        uow_factory = self.ctx.uow_factory

        def read(_: TaskContext) -> LineShown:
            detail = get_statement_line(uow_factory(), line_id)
            return LineShown(detail, _pickable_for(uow_factory(), detail, ""))

        self.ctx.runner.fetch(read, self._on_detail_loaded, self._on_read_failed)

    def _on_detail_loaded(self, shown: LineShown) -> None:
        if shown.detail.row.line_id != self._detail_for:
            return
        self.pane.show_line(shown.detail)
        self.pane.picker.show_invoices(shown.pickable)
        self._update_actions()

    @Slot(str)
    def _on_picker_search_changed(self, text: str) -> None:
        detail = self.pane.detail
        if detail is None:
            return
        uow_factory, line_id = self.ctx.uow_factory, detail.row.line_id

        def read(_: TaskContext) -> list[PickableInvoice]:
            return _pickable_for(uow_factory(), detail, text)

        def shown(invoices: list[PickableInvoice]) -> None:
            if self._detail_for == line_id:
                self.pane.picker.show_invoices(invoices)

        self.ctx.runner.fetch(read, shown, self._on_read_failed)

    def _load_writeoff_limits(self) -> None:
        uow_factory = self.ctx.uow_factory

        def read(_: TaskContext) -> WriteoffLimits:
            settings = load_settings(uow_factory())
            try:
                return WriteoffLimits(
                    Decimal(settings["matching.writeoff_percent"]),
                    Decimal(settings["matching.writeoff_max"]),
                )
            except (KeyError, InvalidOperation):
                return WriteoffLimits()

        self.ctx.runner.fetch(read, self.pane.picker.set_writeoff_limits, self._on_read_failed)

    def _update_actions(self) -> None:
        detail = self.pane.detail
        row = self.current_line()
        shown = detail is not None and row is not None and detail.row.line_id == row.line_id
        review = shown and detail is not None and detail.row.state in REVIEW_STATES
        proposals = review and detail is not None and bool(detail.proposals)
        self.accept_action.setEnabled(proposals)
        self.reject_action.setEnabled(proposals)
        self.not_payment_action.setEnabled(review)
        self.undo_action.setEnabled(
            bool(self._last_applied) or (shown and not review and detail is not None)
        )
        self.match_action.setEnabled(not self.is_empty_state_shown())

    def _menu_actions(self) -> Sequence[QAction | None]:
        return (
            self.accept_action,
            self.reject_action,
            None,
            self.not_payment_action,
            self.undo_action,
        )

    # -- keyboard ----------------------------------------------------------------------------

    @override
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.table
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.modifiers()
            in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        ):
            if event.key() in _ENTER:
                self._on_accept_action_triggered()
                return True
            if event.key() in _DELETE:
                self._on_reject_action_triggered()
                return True
        return super().eventFilter(watched, event)

    # -- cash application --------------------------------------------------------------------

    def _shown_line(self) -> StatementLineDetail | None:
        detail = self.pane.detail
        row = self.current_line()
        if detail is None or row is None or detail.row.line_id != row.line_id:
            return None
        return detail

    @Slot()
    def _on_accept_action_triggered(self) -> None:
        detail = self._shown_line()
        if detail is None or detail.row.state not in REVIEW_STATES:
            return
        if not detail.proposals:
            self.status_reported.emit("No proposal for this line: pick the invoices by hand")
            self.pane.picker.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return
        self._on_pane_accept_requested(detail.proposals[0].rank)

    @Slot(int)
    def _on_pane_accept_requested(self, rank: int) -> None:
        self._change_line(
            lambda uow, line_id: accept_proposal(uow, line_id, rank),
            "Applying the payment…",
            applied=True,
        )

    @Slot(int, tuple)
    def _on_pane_apply_requested(
        self, customer_id: int, allocations: tuple[ManualAllocation, ...]
    ) -> None:
        self._change_line(
            lambda uow, line_id: apply_line(uow, line_id, customer_id, allocations),
            "Applying the payment…",
            applied=True,
            on_failure=lambda exc: self.pane.show_error(describe_error(exc)),
        )

    @Slot()
    def _on_reject_action_triggered(self) -> None:
        detail = self._shown_line()
        proposal = self.pane.selected_proposal()
        if detail is not None and detail.proposals:
            self._on_pane_reject_requested(
                proposal.rank if proposal is not None else detail.proposals[0].rank
            )

    @Slot(int)
    def _on_pane_reject_requested(self, rank: int) -> None:
        self._change_line(
            lambda uow, line_id: reject_proposal(uow, line_id, rank), "Rejecting the proposal…"
        )

    @Slot()
    def _on_not_payment_action_triggered(self) -> None:
        detail = self._shown_line()
        if detail is None or detail.row.state not in REVIEW_STATES:
            return
        reason = ask.ask_text(
            self,
            "Not a customer payment",
            "What is it? (interest, a refund, a transfer between your accounts…)",
        )
        if reason is None:
            return
        self._change_line(
            lambda uow, line_id: mark_not_customer_payment(uow, line_id, reason),
            "Setting the line aside…",
            advance=True,
        )

    @Slot()
    def _on_pane_undo_requested(self) -> None:
        detail = self._shown_line()
        if detail is not None:
            self._undo(detail.row.line_id)

    @Slot()
    def _on_undo_action_triggered(self) -> None:
        """Ctrl+Z undoes the application just made; else the selected line's."""
        if len(self._last_applied) > 1:
            ids, self._last_applied = self._last_applied, ()
            self._change_line(
                lambda uow, _: undo_lines(uow, ids), "Undoing the run…", line_id=ids[0]
            )
        elif self._last_applied:
            self._undo(self._last_applied[0])
        else:
            self._on_pane_undo_requested()

    def _undo(self, line_id: int) -> None:
        self._last_applied = ()
        self._detail_for = line_id
        self._change_line(undo_line, "Undoing…", line_id=line_id)

    def _change_line(
        self,
        change: Callable[[UnitOfWork, int], OpResult],
        label: str,
        *,
        applied: bool = False,
        advance: bool = False,
        line_id: int | None = None,
        on_failure: Callable[[Exception], None] | None = None,
    ) -> None:
        """Run a change of one line in the background, then read again.

        Args:
            change: the service call, given a unit of work and the line's id.
            label: what the progress dialog says.
            applied: the change applied a payment: Ctrl+Z undoes it, and the selection moves
                on to the next line to review.
            advance: move on to the next line to review afterwards.
            line_id: the line to change; the selected one when ``None``.
            on_failure: how to show an error; a message box by default.
        """
        row = self.current_line()
        target = line_id if line_id is not None else (row.line_id if row else None)
        if target is None:
            return
        uow_factory = self.ctx.uow_factory
        position = self.model.row_of(target)

        def run(_: TaskContext) -> OpResult:
            return change(uow_factory(), target)

        def done(result: OpResult) -> None:
            message = result.message
            if applied:
                self._last_applied = (target,)
                message += ". Undo (Ctrl+Z)"
            if (applied or advance) and position is not None:
                self._advance_from = position
            self.status_reported.emit(message)
            if result.changes - {"bank"}:
                self.ledger_changed.emit()
            self._reload_list()

        self.ctx.runner.run(
            run,
            progress_label=label,
            parent=self,
            on_success=done,
            on_failure=on_failure or (lambda exc: ask.warn(self, "Duebook", describe_error(exc))),
        )


def _pickable_for(
    uow: UnitOfWork, detail: StatementLineDetail, search: str
) -> list[PickableInvoice]:
    """Open invoices to pick for a line: its customer's, or any customer's when searching."""
    customer = detail.customer_id
    if customer is None and detail.proposals:
        customer = detail.proposals[0].customer_id
    return pickable_invoices(
        uow,
        currency=detail.row.amount.currency,
        customer_id=None if search else customer,
        search=search,
    )


def _review_count(counts: dict[str, int]) -> int:
    return sum(counts.get(state, 0) for state in REVIEW_STATES)


def _footer_text(listing: BankListing, locale: str) -> str:
    counts = dict(listing.counts, review=_review_count(listing.counts))
    parts = [f"{counts[key]:,} {words}" for key, words in _FOOTER_STATES if counts.get(key)]
    money = per_currency_text(listing.to_review, locale)
    if money:
        parts.append(f"{money} to review")
    return " · ".join(parts)
