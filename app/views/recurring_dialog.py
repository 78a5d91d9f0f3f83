"""Making an issued invoice recurring: how often, from when, until when.

Opened with ``open()`` (never ``exec()``); the service's refusals are shown beside the form.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from app.services.dto import InvoiceRow
from app.services.money_format import format_date
from app.services.recurring import Frequency, make_recurring, next_period
from app.services.tasks import TaskContext
from app.views.context import ViewContext
from app.views.inputs import DateEdit, from_qdate, to_qdate, use_medium_dates
from app.views.style import error_label, fit_window, money_text, muted, plain_label, show_form_error
from app.views.workers import describe_error

#: How often, as a bookkeeper says it: "every month".
EVERY = {
    Frequency.MONTHLY: "every month",
    Frequency.QUARTERLY: "every quarter",
    Frequency.YEARLY: "every year",
}
_CHOICES = (
    (Frequency.MONTHLY, "Monthly"),
    (Frequency.QUARTERLY, "Quarterly"),
    (Frequency.YEARLY, "Yearly"),
)
#: The end date's "none" value, shown as "No end".
_NO_END = QDate(2000, 1, 1)


class RecurringDialog(QDialog):
    """Asks how often an issued invoice is issued again, and from and until when."""

    #: Made: the recurring invoice's id and a status message. When its first date has passed,
    #: the copies due are still to be issued (:func:`app.views.catch_up.issue_due_copies`).
    recurring_made = Signal(int, str)

    def __init__(
        self, ctx: ViewContext, invoice: InvoiceRow, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._invoice = invoice
        self.setWindowTitle(f"Make {invoice.number} recurring")
        self.frequency = QComboBox()
        for frequency, label in _CHOICES:
            self.frequency.addItem(label, frequency)
        self.first_date = DateEdit(to_qdate(next_period(invoice.issue_date, Frequency.MONTHLY)))
        self.first_date.setCalendarPopup(True)
        use_medium_dates(self.first_date, ctx.locale)
        self.end_date = DateEdit()
        self.end_date.setCalendarPopup(True)
        use_medium_dates(self.end_date, ctx.locale)
        self.end_date.setMinimumDate(_NO_END)
        self.end_date.setSpecialValueText("No end")
        self.end_date.setDate(_NO_END)
        self.end_date.setToolTip("The last day a copy may be issued on; none keeps it going")
        self.sentence = plain_label()
        self.sentence.setObjectName("RecurringSentence")
        self.past_hint = muted(plain_label())
        self.error = error_label()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Make recurring")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&How often", self.frequency)
        form.addRow("&First copy on", self.first_date)
        form.addRow("&Until", self.end_date)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.sentence)
        layout.addWidget(self.past_hint)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.frequency.currentIndexChanged.connect(self._on_frequency_current_index_changed)
        self.first_date.dateChanged.connect(self._on_date_changed)
        self.end_date.dateChanged.connect(self._on_date_changed)
        self._update_sentence()
        fit_window(self, 460)

    # -- reading the form --------------------------------------------------------------------

    def chosen_frequency(self) -> Frequency:
        """The frequency chosen."""
        return Frequency(self.frequency.currentData())

    def chosen_end(self) -> date | None:
        """The end date chosen, ``None`` for no end."""
        day = self.end_date.date()
        return None if day == _NO_END else from_qdate(day)

    def chosen_first(self) -> date:
        """The first copy's date chosen."""
        return from_qdate(self.first_date.date())

    def _every(self) -> str:
        return EVERY[self.chosen_frequency()]

    # -- slots -------------------------------------------------------------------------------

    @Slot(int)
    def _on_frequency_current_index_changed(self, _index: int) -> None:
        # The first date follows the frequency until someone changes it by hand.
        issued = self._invoice.issue_date
        defaults = {to_qdate(next_period(issued, f)) for f, _ in _CHOICES}
        if self.first_date.date() in defaults:
            self.first_date.setDate(to_qdate(next_period(issued, self.chosen_frequency())))
        self._update_sentence()

    @Slot()
    def _on_date_changed(self) -> None:
        self._update_sentence()

    def _update_sentence(self) -> None:
        loc, invoice = self._ctx.locale, self._invoice
        first = format_date(self.chosen_first(), loc)
        text = (
            f"Duebook issues a copy of {invoice.number} for {money_text(invoice.total, loc)} "
            f"{self._every()} from {first}"
        )
        end = self.chosen_end()
        self.sentence.setText(f"{text} until {format_date(end, loc)}." if end else f"{text}.")
        past = self.chosen_first() <= self._ctx.clock.today()
        self.past_hint.setText(
            "The first date has passed: the copies due until today are issued right away."
            if past
            else ""
        )
        self.past_hint.setVisible(past)

    @override
    def accept(self) -> None:
        uow_factory, invoice = self._ctx.uow_factory, self._invoice
        frequency, first, end = self.chosen_frequency(), self.chosen_first(), self.chosen_end()

        def make(_: TaskContext) -> int:
            return make_recurring(uow_factory(), invoice.id, frequency, first, end)

        self._ctx.runner.run(
            make,
            progress_label="Making the invoice recurring…",
            parent=self,
            on_success=self._on_made,
            on_failure=lambda exc: show_form_error(self.error, describe_error(exc)),
        )

    def _on_made(self, template_id: int) -> None:
        first = format_date(self.chosen_first(), self._ctx.locale)
        message = f"{self._invoice.number} will be issued again {self._every()} from {first}"
        self.recurring_made.emit(template_id, message)
        super().accept()
