"""The pane beside the statement lines: the selected line, its proposals, and picking by hand."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from app.services.bank_dto import ProposalInvoice, ProposalView, StatementLineDetail
from app.services.money_format import format_date
from app.views.inputs import InputError
from app.views.invoice_picker import InvoicePicker
from app.views.models.statement_line_model import (
    LINE_STATE_TEXT,
    REVIEW_STATES,
    confidence_text,
    state_marker,
)
from app.views.style import (
    WrappingDelegate,
    error_label,
    fit_height,
    heading,
    money_text,
    muted,
    plain_label,
    show_form_error,
)

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
#: The item data role holding a proposal row's :class:`ProposalView`.
PROPOSAL_ROLE = Qt.ItemDataRole.UserRole + 1
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_DELETE = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)


class BankReviewPane(QScrollArea):
    """Shows one statement line and what can be done with it, or a hint when none is selected.

    The pane only shows and asks; the Bank screen runs the services when it hears a request.
    """

    #: Accept a proposal: its rank.
    accept_requested = Signal(int)
    #: Reject a proposal: its rank.
    reject_requested = Signal(int)
    #: Apply the line to the invoices picked by hand: (customer id, ManualAllocation tuple).
    apply_requested = Signal(int, tuple)
    #: Mark the line as not a customer payment.
    not_payment_requested = Signal()
    #: Undo the line's application (or its "not a customer payment" mark).
    undo_requested = Signal()

    def __init__(self, locale: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._locale = locale
        self.detail: StatementLineDetail | None = None
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumWidth(360)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._build_header()
        self._build_proposals()
        self._build_applied()
        self._build_picker()
        self._build_layout()
        self.proposals.installEventFilter(self)
        self.proposals.itemSelectionChanged.connect(self._on_proposals_item_selection_changed)
        self.accept_button.clicked.connect(self._on_accept_button_clicked)
        self.reject_button.clicked.connect(self._on_reject_button_clicked)
        self.apply_button.clicked.connect(self._on_apply_button_clicked)
        self.not_payment_button.clicked.connect(self.not_payment_requested)
        self.undo_button.clicked.connect(self.undo_requested)
        self.picker.picks_changed.connect(self._on_picker_picks_changed)
        self.show_line(None)

    # -- building ----------------------------------------------------------------------------

    def _build_header(self) -> None:
        self._title = heading("")
        self._title.setWordWrap(True)
        self._marker = QLabel()
        self._marker.setFixedWidth(14)
        self._state = plain_label()
        self._state.setObjectName("LineState")
        self._hint = muted(plain_label("Select a statement line to review it."))
        self._form = QFormLayout()
        self._form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self._fields: dict[str, QLabel] = {}
        for key in ("Booked", "Text", "IBAN", "References", "Account"):
            label = plain_label(selectable=True)
            self._fields[key] = label
            self._form.addRow(key, label)

    def _build_proposals(self) -> None:
        self._proposals_title = heading("Proposals", size_delta=0)
        self.proposals = QTreeWidget()
        self.proposals.setObjectName("Proposals")
        self.proposals.setHeaderLabels(["Sure", "Pays", "Why"])
        self.proposals.setRootIsDecorated(False)
        self.proposals.setSelectionMode(QTreeWidget.SelectionMode.SingleSelection)
        self.proposals.setItemDelegate(WrappingDelegate(self.proposals))
        self.proposals.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.proposals.headerItem().setTextAlignment(0, _RIGHT)
        header = self.proposals.header()
        header.setStretchLastSection(True)
        header.resizeSection(0, self.fontMetrics().horizontalAdvance("100%") + 24)
        header.resizeSection(1, 180)
        self.accept_button = QPushButton("&Accept")
        self.accept_button.setToolTip("Apply the payment as proposed (Enter)")
        self.reject_button = QPushButton("Re&ject")
        self.reject_button.setToolTip(
            "Drop this proposal (Delete); Match again brings rejected proposals back"
        )

    def _build_applied(self) -> None:
        self._applied_title = heading("Applied", size_delta=0)
        self.applied = QTreeWidget()
        self.applied.setObjectName("AppliedInvoices")
        self.applied.setHeaderLabels(["Invoice", "Cash", "Written off"])
        self.applied.setRootIsDecorated(False)
        self.applied.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.applied.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            self.applied.headerItem().setTextAlignment(column, _RIGHT)
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self._applied_note = muted(plain_label())
        self.undo_button = QPushButton("&Undo application")

    def _build_picker(self) -> None:
        self._picker_title = heading("Apply by hand", size_delta=0)
        self.picker = InvoicePicker(self._locale)
        self.picker.setMinimumHeight(220)
        self.apply_button = QPushButton("A&pply payment")
        self.apply_button.setObjectName("ApplyPayment")
        self.error = error_label()
        self.not_payment_button = QPushButton("&Not a customer payment…")
        self.not_payment_button.setToolTip(
            "A refund, interest, a transfer between your accounts: nothing to apply"
        )

    def _build_layout(self) -> None:
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(8)
        state_row = QHBoxLayout()
        state_row.setSpacing(4)
        state_row.addWidget(self._marker, 0, Qt.AlignmentFlag.AlignTop)
        state_row.addWidget(self._state, 1)
        layout.addWidget(self._title)
        layout.addLayout(state_row)
        layout.addWidget(self._hint)
        layout.addLayout(self._form)
        layout.addWidget(self._proposals_title)
        layout.addWidget(self.proposals)
        layout.addLayout(_button_row(self.accept_button, self.reject_button))
        layout.addWidget(self._applied_title)
        layout.addWidget(self.applied)
        layout.addWidget(self._applied_note)
        layout.addLayout(_button_row(self.undo_button))
        layout.addWidget(self._picker_title)
        layout.addWidget(self.picker, 1)
        layout.addWidget(self.error)
        layout.addLayout(_button_row(self.apply_button))
        layout.addLayout(_button_row(self.not_payment_button))
        layout.addStretch(0)
        self.setWidget(body)

    # -- what is shown -----------------------------------------------------------------------

    def show_line(self, detail: StatementLineDetail | None) -> None:
        """Show a statement line with its proposals or its application; a hint for ``None``."""
        self.detail = detail
        row = detail.row if detail is not None else None
        review = row is not None and row.state in REVIEW_STATES
        credit = row is not None and row.amount.minor > 0
        has_proposals = review and detail is not None and bool(detail.proposals)
        applied = row is not None and row.state in {"auto", "confirmed"}
        ignored = row is not None and row.state == "ignored"
        self._hint.setVisible(row is None)
        _set_visible(row is not None, self._title, self._marker, self._state)
        for label in self._fields.values():
            self._form.setRowVisible(label, row is not None)
        _set_visible(
            has_proposals,
            self._proposals_title,
            self.proposals,
            self.accept_button,
            self.reject_button,
        )
        _set_visible(applied, self._applied_title, self.applied)
        _set_visible(applied or ignored, self._applied_note, self.undo_button)
        _set_visible(review and credit, self._picker_title, self.picker, self.apply_button)
        self.not_payment_button.setVisible(review)
        self.error.hide()
        self.proposals.clear()
        self.applied.clear()
        self.picker.start(row.amount if review and credit and row is not None else None)
        if detail is None:
            return
        self._show_header(detail)
        if has_proposals:
            self._show_proposals(detail.proposals)
        if applied:
            self._show_applied(detail)
        if ignored:
            self._applied_note.setText(detail.note or "Marked as not a customer payment.")
            self.undo_button.setText("&Undo: it is a customer payment")
        else:
            self.undo_button.setText("&Undo application")

    def _show_header(self, detail: StatementLineDetail) -> None:
        loc, row = self._locale, detail.row
        amount = money_text(row.amount, loc)
        party = row.payer_name or "an unnamed payer"
        self._title.setText(
            f"{amount} from {party}" if row.amount.minor >= 0 else f"{amount} to {party}"
        )
        state = LINE_STATE_TEXT.get(row.state, row.state)
        if row.customer_name:
            state += f" · {row.customer_name}"
        if row.reason and row.state in {"auto", "confirmed"}:  # else the proposals say why
            state += f" · {row.reason}"
        self._state.setText(state)
        self._marker.setPixmap(state_marker(row.state).pixmap(12, 12))
        booked = format_date(row.booking_date, loc)
        if detail.value_date is not None and detail.value_date != row.booking_date:
            booked += f" (value {format_date(detail.value_date, loc)})"
        refs = [*detail.structured_refs, detail.end_to_end_id]
        texts = {
            "Booked": booked,
            "Text": " ".join(row.remittance.split()) or "—",
            "IBAN": detail.payer_iban or "—",
            "References": " · ".join(r for r in refs if r) or "—",
            "Account": " · ".join(x for x in (detail.account, detail.file_name) if x) or "—",
        }
        for key, text in texts.items():
            self._fields[key].setText(text)

    def _show_proposals(self, proposals: tuple[ProposalView, ...]) -> None:
        loc = self._locale
        for proposal in proposals:
            pays = ", ".join(i.number for i in proposal.invoices)
            if not pays:
                pays = "the customer's account"
            elif proposal.unapplied.minor:
                pays += f", {money_text(proposal.unapplied, loc)} on account"
            item = QTreeWidgetItem(
                [
                    confidence_text(proposal.confidence),
                    f"{proposal.customer_name}: {pays}",
                    proposal.reason,
                ]
            )
            item.setTextAlignment(0, _RIGHT)
            item.setData(0, PROPOSAL_ROLE, proposal)
            item.setToolTip(1, "\n".join(_invoice_line(i, loc) for i in proposal.invoices))
            self.proposals.addTopLevelItem(item)
        top = self.proposals.topLevelItem(0)
        if top is not None:
            self.proposals.setCurrentItem(top)
        fit_height(self.proposals)

    def _show_applied(self, detail: StatementLineDetail) -> None:
        loc = self._locale
        for invoice in detail.applied:
            item = QTreeWidgetItem(
                [
                    invoice.number,
                    money_text(invoice.cash, loc),
                    money_text(invoice.writeoff, loc) if invoice.writeoff.minor else "",
                ]
            )
            item.setTextAlignment(1, _RIGHT)
            item.setTextAlignment(2, _RIGHT)
            self.applied.addTopLevelItem(item)
        fit_height(self.applied)
        unapplied = detail.unapplied
        self._applied_note.setText(
            f"{money_text(unapplied, loc)} stays on the customer's account as unapplied cash."
            if unapplied is not None and unapplied.minor
            else "Undo takes the payment off these invoices; they are open again."
        )

    # -- asking ------------------------------------------------------------------------------

    def selected_proposal(self) -> ProposalView | None:
        """The proposal selected in the list (the top one unless another was chosen)."""
        item = self.proposals.currentItem()
        proposal = item.data(0, PROPOSAL_ROLE) if item is not None else None
        return proposal if isinstance(proposal, ProposalView) else None

    def show_error(self, text: str) -> None:
        """Say why picking by hand cannot be applied."""
        show_form_error(self.error, text)

    @Slot()
    def _on_accept_button_clicked(self) -> None:
        proposal = self.selected_proposal()
        if proposal is not None:
            self.accept_requested.emit(proposal.rank)

    @Slot()
    def _on_reject_button_clicked(self) -> None:
        proposal = self.selected_proposal()
        if proposal is not None:
            self.reject_requested.emit(proposal.rank)

    @Slot()
    def _on_apply_button_clicked(self) -> None:
        try:
            total = self.picker.total()
        except InputError as exc:
            self.show_error(str(exc))
            return
        if not total.allocations:
            self.show_error("Pick the invoices this payment is for.")
            return
        if len(total.customer_ids) > 1:
            self.show_error("Pick invoices of one customer: a payment is applied to one.")
            return
        self.error.hide()
        (customer_id,) = total.customer_ids
        self.apply_requested.emit(customer_id, total.allocations)

    @Slot()
    def _on_proposals_item_selection_changed(self) -> None:
        chosen = self.selected_proposal() is not None
        self.accept_button.setEnabled(chosen)
        self.reject_button.setEnabled(chosen)

    @Slot()
    def _on_picker_picks_changed(self) -> None:
        self.error.hide()

    @override
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.proposals
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
        ):
            if event.key() in _ENTER:
                self._on_accept_button_clicked()
                return True
            if event.key() in _DELETE:
                self._on_reject_button_clicked()
                return True
        return super().eventFilter(watched, event)


def _set_visible(visible: bool, *widgets: QWidget) -> None:
    for widget in widgets:
        widget.setVisible(visible)


def _button_row(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    return row


def _invoice_line(invoice: ProposalInvoice, locale: str) -> str:
    cash, still_open = money_text(invoice.cash, locale), money_text(invoice.open, locale)
    text = f"{invoice.number}: {cash} of {still_open} open"
    if invoice.writeoff.minor:
        text += f", {money_text(invoice.writeoff, locale)} written off"
    return text
