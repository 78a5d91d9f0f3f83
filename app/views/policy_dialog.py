"""Reminder policies and segments: the dunning steps of each policy and which customers get it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from app.services.reminders.policies import (
    ACTIONS,
    TONES,
    PolicyError,
    PolicyInput,
    PolicyView,
    SegmentView,
    StepInput,
    StepView,
    list_policies,
    list_segments,
    save_policy,
    save_segment,
)
from app.services.reminders.templates import TEMPLATE_NAMES
from app.services.tasks import TaskContext
from app.views import ask
from app.views.context import ViewContext
from app.views.style import error_label, muted, plain_label, show_form_error
from app.views.workers import describe_error

#: The letters by their short names, as a step names them.
LETTER_TEXT: dict[str, str] = {
    "friendly": "Friendly note",
    "reminder": "Reminder",
    "firm": "Firm reminder",
    "final": "Final notice",
}
ACTION_TEXT: dict[str, str] = {
    "email": "Email",
    "task": "Task for the owner",
    "escalation": "Email and task (escalation)",
}
TONE_TEXT: dict[str, str] = {
    "friendly": "Friendly",
    "neutral": "Neutral",
    "firm": "Firm",
    "final": "Final",
}


class StepColumn:
    """The columns of the steps table."""

    NAME = 0
    DAYS = 1
    LETTER = 2
    TONE = 3
    ACTION = 4
    INVOICES = 5
    STATEMENT = 6


_STEP_TITLES = (
    "Step",
    "Days after due",
    "Letter",
    "Tone",
    "Action",
    "Attach invoices",
    "Statement",
)
_SEGMENT_TITLES = ("Segment", "Policy", "Worklist weight", "Customers")
_STEP_AT = re.compile(r"^step (\d+)")
_DEFAULT_POLICY = "The default (Standard segment's)"


@dataclass(frozen=True)
class _Listing:
    policies: list[PolicyView]
    segments: list[SegmentView]


def _combo(values: Sequence[str], words: dict[str, str], current: str) -> QComboBox:
    combo = QComboBox()
    for value in values:
        combo.addItem(words.get(value, value), value)
    combo.setCurrentIndex(max(combo.findData(current), 0))
    return combo


def _check(checked: bool, name: str) -> QWidget:
    box = QCheckBox()
    box.setChecked(checked)
    box.setAccessibleName(name)
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setAlignment(Qt.AlignmentFlag.AlignCenter)
    layout.addWidget(box)
    return holder


def _spin(value: int, low: int, high: int, name: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setAccessibleName(name)
    spin.setAlignment(Qt.AlignmentFlag.AlignRight)
    return spin


class PolicyDialog(QDialog):
    """Edit the reminder policies (their dunning steps) and the segments' policies."""

    #: A policy or a segment was saved.
    policies_changed = Signal()

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("PolicyDialog")
        self.setWindowTitle("Reminder policies")
        self.policies: list[PolicyView] = []
        self.segments: list[SegmentView] = []
        self._policy: PolicyView | None = None
        self._shown: PolicyInput | None = None
        self._select_after_load: int | None = None
        self._build_policy_side()
        self._build_segments()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._list_box)
        splitter.addWidget(self._editor_box)
        splitter.setSizes([220, 880])
        splitter.setChildrenCollapsible(False)
        self.close_button = QPushButton("Close")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 3)
        layout.addWidget(self._segments_box, 2)
        layout.addLayout(bottom)
        self.resize(1120, 780)
        geometry = ctx.settings.value("policies/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        self.refresh()

    # -- building ----------------------------------------------------------------------------

    def _build_policy_side(self) -> None:
        self.policy_list = QListWidget()
        self.policy_list.setObjectName("PolicyList")
        self.policy_list.setAccessibleName("Policies")
        self.new_button = QPushButton("New policy")
        self._list_box = QGroupBox("Policies")
        list_layout = QVBoxLayout(self._list_box)
        list_layout.addWidget(self.policy_list, 1)
        list_layout.addWidget(self.new_button)

        self.name = QLineEdit()
        self.name.setObjectName("PolicyName")
        self.per_invoice = QCheckBox("One letter per invoice (else one letter per customer)")
        self.used_by = muted(plain_label())
        self._build_steps_table()
        self.add_step_button = QPushButton("Add step")
        self.remove_step_button = QPushButton("Remove step")
        self.error = error_label()
        self.error.setObjectName("PolicyError")
        self.save_button = QPushButton("Save policy")
        self.save_button.setDefault(True)
        self.revert_button = QPushButton("Revert")
        self.revert_button.setAutoDefault(False)

        self._editor_box = QGroupBox("Policy")
        form = QFormLayout()
        form.addRow("&Name", self.name)
        form.addRow("", self.per_invoice)
        form.addRow("Used by", self.used_by)
        step_buttons = QHBoxLayout()
        step_buttons.addWidget(self.add_step_button)
        step_buttons.addWidget(self.remove_step_button)
        step_buttons.addStretch(1)
        hint = muted(
            QLabel(
                "Days after the due date; a negative number is before it. Steps are kept in "
                "order of their days. A step already taken for some invoice cannot be removed."
            )
        )
        hint.setWordWrap(True)
        save_row = QHBoxLayout()
        save_row.addWidget(self.error, 1)
        save_row.addStretch(1)
        save_row.addWidget(self.revert_button)
        save_row.addWidget(self.save_button)
        editor = QVBoxLayout(self._editor_box)
        editor.addLayout(form)
        editor.addWidget(self.steps, 1)
        editor.addLayout(step_buttons)
        editor.addWidget(hint)
        editor.addLayout(save_row)

        self.policy_list.currentRowChanged.connect(self._on_policy_list_current_row_changed)
        self.new_button.clicked.connect(self._on_new_button_clicked)
        self.add_step_button.clicked.connect(self._on_add_step_button_clicked)
        self.remove_step_button.clicked.connect(self._on_remove_step_button_clicked)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.revert_button.clicked.connect(self._on_revert_button_clicked)

    def _build_steps_table(self) -> None:
        self.steps = QTableWidget(0, len(_STEP_TITLES))
        self.steps.setObjectName("PolicySteps")
        self.steps.setHorizontalHeaderLabels(list(_STEP_TITLES))
        self.steps.verticalHeader().hide()
        self.steps.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.steps.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.steps.horizontalHeader()
        header.setSectionResizeMode(StepColumn.NAME, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 110), (2, 150), (3, 90), (4, 190), (5, 110), (6, 80)):
            header.resizeSection(column, width)
        self.steps.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 16)

    def _build_segments(self) -> None:
        self.segment_table = QTableWidget(0, len(_SEGMENT_TITLES))
        self.segment_table.setObjectName("Segments")
        self.segment_table.setHorizontalHeaderLabels(list(_SEGMENT_TITLES))
        self.segment_table.verticalHeader().hide()
        self.segment_table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 16)
        header = self.segment_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 260), (2, 130), (3, 90)):
            header.resizeSection(column, width)
        self.add_segment_button = QPushButton("Add segment")
        self.save_segments_button = QPushButton("Save segments")
        self.segment_error = error_label()
        self.segment_error.setObjectName("SegmentError")
        self.segment_saved = muted(QLabel())
        self._segments_box = QGroupBox("Segments: which policy their customers get")
        layout = QVBoxLayout(self._segments_box)
        layout.addWidget(self.segment_table, 1)
        note = muted(
            QLabel(
                "A customer gets its segment's policy unless it names its own; customers "
                "without a known segment get the Standard segment's. The weight moves a "
                "segment's customers up the worklist."
            )
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        row = QHBoxLayout()
        row.addWidget(self.add_segment_button)
        row.addWidget(self.segment_error, 1)
        row.addWidget(self.segment_saved)
        row.addStretch(1)
        row.addWidget(self.save_segments_button)
        layout.addLayout(row)
        self.add_segment_button.clicked.connect(self._on_add_segment_button_clicked)
        self.save_segments_button.clicked.connect(self._on_save_segments_button_clicked)

    # -- loading -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the policies and segments again."""
        uow_factory = self.ctx.uow_factory

        def read(_: TaskContext) -> _Listing:
            return _Listing(list_policies(uow_factory()), list_segments(uow_factory()))

        self.ctx.runner.fetch(read, self._on_loaded, self._on_failed)

    def _on_failed(self, exc: Exception) -> None:
        show_form_error(self.error, describe_error(exc))

    def _on_loaded(self, listing: _Listing) -> None:
        self.policies, self.segments = listing.policies, listing.segments
        keep = self._select_after_load or (self._policy.id if self._policy else None)
        self._select_after_load = None
        self.policy_list.blockSignals(True)
        self.policy_list.clear()
        for policy in self.policies:
            steps = len(policy.steps)
            item = QListWidgetItem(f"{policy.name}\n{steps} step{'s' if steps != 1 else ''}")
            item.setData(Qt.ItemDataRole.UserRole, policy.id)
            self.policy_list.addItem(item)
        self.policy_list.blockSignals(False)
        row = next((i for i, p in enumerate(self.policies) if p.id == keep), 0)
        if self.policies:
            self.policy_list.setCurrentRow(row)
            self.show_policy(self.policies[row])
        else:
            self.show_policy(None)
        self._show_segments()

    def show_policy(self, policy: PolicyView | None) -> None:
        """Put a policy into the editor; ``None`` for a new one."""
        self._policy = policy
        self.name.setText(policy.name if policy else "")
        self.per_invoice.setChecked(policy.per_invoice if policy else False)
        if policy is None:
            self.used_by.setText("Not used yet: choose it for a segment below.")
        else:
            parts = [f"segment {', '.join(policy.segments)}"] if policy.segments else []
            if policy.customers:
                parts.append(
                    f"{policy.customers} customer{'s' if policy.customers != 1 else ''} "
                    "chose it themselves"
                )
            self.used_by.setText(" · ".join(parts) if parts else "No segment or customer yet")
        self.steps.setRowCount(0)
        for step in policy.steps if policy else ():
            self._add_step_row(step)
        if policy is None:
            self._add_step_row(
                StepView(0, "1st reminder", 7, "reminder", "neutral", "email", True, False)
            )
        show_form_error(self.error, "")
        self._shown = self.policy_input()

    def _add_step_row(self, step: StepView) -> None:
        row = self.steps.rowCount()
        self.steps.insertRow(row)
        name = QTableWidgetItem(step.name)
        name.setData(Qt.ItemDataRole.UserRole, step.id or None)
        name.setData(Qt.ItemDataRole.UserRole + 1, step.taken)
        if step.taken:
            name.setToolTip(
                f"Taken for {step.taken} invoice{'s' if step.taken != 1 else ''}: it can be "
                "changed but not removed"
            )
        self.steps.setItem(row, StepColumn.NAME, name)
        self.steps.setCellWidget(
            row, StepColumn.DAYS, _spin(step.offset_days, -1000, 1000, "Days after due")
        )
        self.steps.setCellWidget(
            row, StepColumn.LETTER, _combo(TEMPLATE_NAMES, LETTER_TEXT, step.template)
        )
        self.steps.setCellWidget(row, StepColumn.TONE, _combo(TONES, TONE_TEXT, step.tone))
        self.steps.setCellWidget(row, StepColumn.ACTION, _combo(ACTIONS, ACTION_TEXT, step.action))
        self.steps.setCellWidget(
            row, StepColumn.INVOICES, _check(step.attach_invoices, "Attach invoices")
        )
        self.steps.setCellWidget(
            row, StepColumn.STATEMENT, _check(step.attach_statement, "Attach a statement")
        )

    def _show_segments(self) -> None:
        self.segment_table.setRowCount(0)
        for segment in self.segments:
            self._add_segment_row(segment)

    def _add_segment_row(self, segment: SegmentView) -> None:
        row = self.segment_table.rowCount()
        self.segment_table.insertRow(row)
        name = QTableWidgetItem(segment.name)
        if segment.id:
            name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
            name.setToolTip("Customers name their segment; rename it on the customers")
        self.segment_table.setItem(row, 0, name)
        combo = QComboBox()
        combo.setAccessibleName("Policy")
        combo.addItem(_DEFAULT_POLICY, None)
        for policy in self.policies:
            combo.addItem(policy.name, policy.id)
        combo.setCurrentIndex(max(combo.findData(segment.policy_id), 0))
        self.segment_table.setCellWidget(row, 1, combo)
        self.segment_table.setCellWidget(
            row, 2, _spin(segment.priority_weight, -100, 100, "Worklist weight")
        )
        customers = QTableWidgetItem(f"{segment.customers:,}")
        customers.setFlags(customers.flags() & ~Qt.ItemFlag.ItemIsEditable)
        customers.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.segment_table.setItem(row, 3, customers)

    # -- reading the editor ------------------------------------------------------------------

    def _cell(self, row: int, column: int) -> QWidget | None:
        return self.steps.cellWidget(row, column)

    def step_input(self, row: int) -> StepInput:
        """The step in a row of the table, as typed."""
        item = self.steps.item(row, StepColumn.NAME)
        days, letter = self._cell(row, StepColumn.DAYS), self._cell(row, StepColumn.LETTER)
        tone, action = self._cell(row, StepColumn.TONE), self._cell(row, StepColumn.ACTION)
        invoices = self._cell(row, StepColumn.INVOICES)
        statement = self._cell(row, StepColumn.STATEMENT)
        step_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None

        def checked(holder: QWidget | None) -> bool:
            box = holder.findChild(QCheckBox) if holder is not None else None
            return box is not None and box.isChecked()

        def data(combo: QWidget | None) -> str:
            return str(combo.currentData()) if isinstance(combo, QComboBox) else ""

        return StepInput(
            name=item.text() if item is not None else "",
            offset_days=days.value() if isinstance(days, QSpinBox) else 0,
            template=data(letter),
            tone=data(tone),
            action=data(action),
            attach_invoices=checked(invoices),
            attach_statement=checked(statement),
            id=int(step_id) if isinstance(step_id, int) else None,
        )

    def _step_order(self) -> list[int]:
        """The table's rows in order of their days (the order the policy keeps)."""
        rows = list(range(self.steps.rowCount()))
        return sorted(rows, key=lambda r: (self.step_input(r).offset_days, r))

    def policy_input(self) -> PolicyInput:
        """The policy as typed, its steps in order of their days."""
        return PolicyInput(
            name=self.name.text(),
            steps=tuple(self.step_input(r) for r in self._step_order()),
            per_invoice=self.per_invoice.isChecked(),
            id=self._policy.id if self._policy else None,
        )

    def is_dirty(self) -> bool:
        """Whether the policy in the editor differs from what was read."""
        return self._shown is not None and self.policy_input() != self._shown

    # -- policy actions ----------------------------------------------------------------------

    def _discard_ok(self) -> bool:
        return not self.is_dirty() or ask.confirm(
            self,
            "Reminder policies",
            "Your changes to this policy are not saved. Drop them?",
            "Drop changes",
        )

    @Slot(int)
    def _on_policy_list_current_row_changed(self, row: int) -> None:
        if not 0 <= row < len(self.policies):
            return
        if self._policy is not None and self.policies[row].id == self._policy.id:
            return
        if not self._discard_ok():
            back = next(
                (
                    i
                    for i, p in enumerate(self.policies)
                    if self._policy and p.id == self._policy.id
                ),
                -1,
            )
            self.policy_list.blockSignals(True)
            self.policy_list.setCurrentRow(back)
            self.policy_list.blockSignals(False)
            return
        self.show_policy(self.policies[row])

    @Slot()
    def _on_new_button_clicked(self) -> None:
        if not self._discard_ok():
            return
        self.policy_list.blockSignals(True)
        self.policy_list.clearSelection()
        self.policy_list.setCurrentRow(-1)
        self.policy_list.blockSignals(False)
        self.show_policy(None)
        self.name.setFocus()

    @Slot()
    def _on_add_step_button_clicked(self) -> None:
        last = self.step_input(self.steps.rowCount() - 1) if self.steps.rowCount() else None
        days = last.offset_days + 14 if last else 7
        self._add_step_row(StepView(0, "", days, "reminder", "neutral", "email", True, False))
        row = self.steps.rowCount() - 1
        self.steps.setCurrentCell(row, StepColumn.NAME)
        item = self.steps.item(row, StepColumn.NAME)
        if item is not None:
            self.steps.editItem(item)

    @Slot()
    def _on_remove_step_button_clicked(self) -> None:
        row = self.steps.currentRow()
        if row < 0:
            show_form_error(self.error, "Select the step to remove first.")
            return
        item = self.steps.item(row, StepColumn.NAME)
        taken = item.data(Qt.ItemDataRole.UserRole + 1) if item is not None else 0
        if isinstance(taken, int) and taken > 0:
            name = item.text() if item is not None else ""
            show_form_error(
                self.error,
                f"“{name}” was already taken for {taken} invoice{'s' if taken != 1 else ''} "
                "and cannot be removed: the ledger keeps which letters went under it. Change "
                "its days, letter or action instead.",
            )
            return
        self.steps.removeRow(row)
        show_form_error(self.error, "")

    @Slot()
    def _on_revert_button_clicked(self) -> None:
        self.show_policy(self._policy)

    @Slot()
    def _on_save_button_clicked(self) -> None:
        self.save()

    def save(self) -> None:
        """Check and store the policy in the editor."""
        order = self._step_order()
        policy = self.policy_input()
        uow_factory = self.ctx.uow_factory

        def save(_: TaskContext) -> int:
            return save_policy(uow_factory(), policy)

        def saved(policy_id: int) -> None:
            self._select_after_load = policy_id
            self._shown = None
            self.policies_changed.emit()
            self.refresh()
            show_form_error(self.error, "")

        self.ctx.runner.run(
            save,
            progress_label="Saving the policy…",
            parent=self,
            on_success=saved,
            on_failure=lambda exc: self._on_save_failed(exc, order),
        )

    def _on_save_failed(self, exc: Exception, order: list[int]) -> None:
        show_form_error(self.error, describe_error(exc))
        if not isinstance(exc, PolicyError):
            return
        message = str(exc)
        at = _STEP_AT.match(message)
        row: int | None = None
        if at is not None and 0 < int(at.group(1)) <= len(order):
            row = order[int(at.group(1)) - 1]
        if row is not None:
            column = StepColumn.NAME
            for words, place in (
                ("days after due", StepColumn.DAYS),
                ("template", StepColumn.LETTER),
                ("tone", StepColumn.TONE),
                ("action", StepColumn.ACTION),
            ):
                if f", {words}:" in message:
                    column = place
            self.steps.setCurrentCell(row, column)
            widget = self.steps.cellWidget(row, column)
            (widget or self.steps).setFocus()
        elif message.startswith("policy, name"):
            self.name.setFocus()

    # -- segments ----------------------------------------------------------------------------

    @Slot()
    def _on_add_segment_button_clicked(self) -> None:
        self._add_segment_row(SegmentView(0, "", None, "", 0, 0))
        row = self.segment_table.rowCount() - 1
        self.segment_table.setCurrentCell(row, 0)
        item = self.segment_table.item(row, 0)
        if item is not None:
            self.segment_table.editItem(item)

    def segment_rows(self) -> list[tuple[str, int | None, int]]:
        """Each segment row as typed: name, policy id, worklist weight."""
        rows = []
        for row in range(self.segment_table.rowCount()):
            item = self.segment_table.item(row, 0)
            combo, spin = (
                self.segment_table.cellWidget(row, 1),
                self.segment_table.cellWidget(row, 2),
            )
            policy = combo.currentData() if isinstance(combo, QComboBox) else None
            rows.append(
                (
                    item.text() if item is not None else "",
                    int(policy) if isinstance(policy, int) else None,
                    spin.value() if isinstance(spin, QSpinBox) else 0,
                )
            )
        return rows

    @Slot()
    def _on_save_segments_button_clicked(self) -> None:
        before = {(s.name, s.policy_id, s.priority_weight) for s in self.segments}
        changed = [r for r in self.segment_rows() if r not in before and r[0].strip()]
        if not changed:
            self.segment_saved.setText("Nothing changed")
            return
        self.segment_saved.setText("")
        uow_factory = self.ctx.uow_factory

        def save(_: TaskContext) -> int:
            for name, policy_id, weight in changed:
                save_segment(uow_factory(), name, policy_id, weight)
            return len(changed)

        def saved(count: int) -> None:
            show_form_error(self.segment_error, "")
            self.policies_changed.emit()
            self.refresh()
            self.segment_saved.setText(f"Saved {count} segment{'s' if count != 1 else ''}")

        self.ctx.runner.run(
            save,
            progress_label="Saving the segments…",
            parent=self,
            on_success=saved,
            on_failure=lambda exc: show_form_error(self.segment_error, describe_error(exc)),
        )

    # -- closing -----------------------------------------------------------------------------

    @override
    def reject(self) -> None:
        """Close (Escape, Close, the window's X), asking first when there are unsaved changes."""
        if not self._discard_ok():
            return
        self.ctx.settings.setValue("policies/geometry", self.saveGeometry())
        super().reject()
