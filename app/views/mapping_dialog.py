"""Which column of a CSV/Excel bank export holds what: asked when detection is unsure."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from app.services.statements.parsed import SheetGuess, SheetMapping
from app.views.style import error_label, heading, muted, plain_label, show_form_error

#: Date forms a bank export uses: (how it looks, its strptime pattern).
DATE_FORMATS: tuple[tuple[str, str], ...] = (
    ("31.12.2026", "%d.%m.%Y"),
    ("31/12/2026", "%d/%m/%Y"),
    ("12/31/2026", "%m/%d/%Y"),
    ("2026-12-31", "%Y-%m-%d"),
    ("31-12-2026", "%d-%m-%Y"),
    ("31.12.26", "%d.%m.%y"),
    ("12/31/26", "%m/%d/%y"),
    ("20261231", "%Y%m%d"),
)
DECIMAL_SEPARATORS = (("1234.56 (point)", "."), ("1234,56 (comma)", ","))
THOUSANDS_SEPARATORS = (
    ("none", ""),
    ("1,234 (comma)", ","),
    ("1.234 (point)", "."),
    ("1 234 (space)", " "),
    ("1'234 (apostrophe)", "'"),
)


class AmountLayout:
    """How a file gives the amount (the index of each choice in the dialog's combo)."""

    SIGNED = 0
    WITH_DIRECTION = 1
    IN_AND_OUT = 2


AMOUNT_LAYOUTS = (
    "One column, minus for money out",
    "One column, and a column saying credit or debit",
    "Money in and money out in two columns",
)
#: What preview column titles say a column is used for.
_ROLE_NAMES = {
    "date": "Date",
    "amount": "Amount",
    "direction": "Credit/debit",
    "credit": "Money in",
    "debit": "Money out",
    "payer": "Payer",
    "iban": "IBAN",
    "reference": "Reference",
    "text": "Text",
    "more_text": "Text",
    "currency": "Currency",
}
PREVIEW_ROWS = 8


class MappingDialog(QDialog):
    """Shows the first rows of a bank export and asks which column holds what.

    The form starts from detection's best guess; its doubts are said in words above it.
    Accepting emits :attr:`mapping_chosen` with the :class:`SheetMapping` and the name to
    remember it under for this bank ("" to use it for this file only).
    """

    #: The person confirmed a mapping: (SheetMapping, the name to remember it as).
    mapping_chosen = Signal(object, str)

    def __init__(self, guess: SheetGuess, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Read {guess.file}")
        self._guess = guess
        self._mapping: SheetMapping | None = None
        self._build_preview()
        self._build_columns()
        self._build_formats()
        self.remember_as = QLineEdit(Path(guess.file).stem)
        self.remember_as.setPlaceholderText("Leave empty to use it for this file only")
        self.remember_as.setAccessibleName("Remember for this bank as")
        self.error = error_label()
        self._layout_dialog()
        self._prefill(guess.mapping)
        for combo in self._role_combos.values():
            combo.currentIndexChanged.connect(self._on_role_changed)
        self.amount_layout.currentIndexChanged.connect(self._on_amount_layout_changed)
        self._on_amount_layout_changed()
        self.resize(760, 640)

    # -- building ----------------------------------------------------------------------------

    def _build_preview(self) -> None:
        guess = self._guess
        rows = guess.preview[:PREVIEW_ROWS]
        width = max([len(guess.headers), *(len(r) for r in rows)])
        self.preview = QTableWidget(len(rows), width)
        self.preview.setObjectName("MappingPreview")
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.preview.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.preview.setWordWrap(False)
        self.preview.verticalHeader().hide()
        self.preview.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                self.preview.setItem(r, c, QTableWidgetItem(text))
        self._headers = [
            guess.headers[c] if c < len(guess.headers) else f"Column {c + 1}" for c in range(width)
        ]

    def _column_combo(self, name: str, *, optional: bool = True) -> QComboBox:
        combo = QComboBox()
        combo.setAccessibleName(_ROLE_NAMES[name])
        if optional:
            combo.addItem("—", None)
        for column, title in enumerate(self._headers):
            combo.addItem(title or f"Column {column + 1}", column)
        return combo

    def _build_columns(self) -> None:
        self._role_combos: dict[str, QComboBox] = {
            name: self._column_combo(name, optional=name != "date") for name in _ROLE_NAMES
        }
        self.amount_layout = QComboBox()
        self.amount_layout.addItems(list(AMOUNT_LAYOUTS))
        self.amount_layout.setAccessibleName("The amount is in")
        self.has_header = QCheckBox("The first row holds the column names")
        self.currency = QLineEdit()
        self.currency.setMaxLength(3)
        self.currency.setPlaceholderText("EUR")
        self.currency.setMaximumWidth(70)

    def _build_formats(self) -> None:
        self.date_format = QComboBox()
        for label, pattern in DATE_FORMATS:
            self.date_format.addItem(label, pattern)
        self.decimal_separator = QComboBox()
        for label, sep in DECIMAL_SEPARATORS:
            self.decimal_separator.addItem(label, sep)
        self.thousands_separator = QComboBox()
        for label, sep in THOUSANDS_SEPARATORS:
            self.thousands_separator.addItem(label, sep)

    def combo(self, role: str) -> QComboBox:
        """The column choice of a role.

        Roles: date, amount, direction, credit, debit, payer, iban, reference, text, more_text
        and currency.
        """
        return self._role_combos[role]

    def _layout_dialog(self) -> None:
        combos = self._role_combos
        intro = plain_label(
            "Duebook could not tell for sure how this bank export is laid out. "
            "Check which column holds what; the first rows are shown below."
        )
        doubts = plain_label("\n".join(f"• {d}" for d in self._guess.doubts))
        doubts.setObjectName("MappingDoubts")
        doubts.setVisible(bool(self._guess.doubts))
        columns = QFormLayout()
        columns.addRow("&Date", combos["date"])
        columns.addRow("The amount is &in", self.amount_layout)
        self._amount_rows: dict[str, QWidget] = {}
        for role, label in (
            ("amount", "&Amount"),
            ("direction", "Credit or debit"),
            ("credit", "Money in"),
            ("debit", "Money out"),
        ):
            columns.addRow(label, combos[role])
            self._amount_rows[role] = combos[role]
        for role, label in (
            ("payer", "&Payer"),
            ("iban", "Payer's IBAN"),
            ("reference", "&Reference"),
            ("text", "&Text"),
            ("more_text", "More text"),
        ):
            columns.addRow(label, combos[role])
        currency_row = QHBoxLayout()
        currency_row.addWidget(combos["currency"], 1)
        currency_row.addWidget(QLabel("or always"))
        currency_row.addWidget(self.currency)
        columns.addRow("&Currency", currency_row)
        self._columns_form = columns
        formats = QFormLayout()
        formats.addRow("Dates &look like", self.date_format)
        formats.addRow("Decimal &separator", self.decimal_separator)
        formats.addRow("T&housands separator", self.thousands_separator)
        formats.addRow("", self.has_header)
        formats.addRow("Re&member for this bank as", self.remember_as)
        sides = QHBoxLayout()
        sides.addLayout(columns, 1)
        sides.addSpacing(16)
        sides.addLayout(formats, 1)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(self._guess.file, size_delta=1))
        layout.addWidget(intro)
        layout.addWidget(doubts)
        layout.addWidget(self.preview, 1)
        layout.addWidget(muted(QLabel(f"The first {self.preview.rowCount()} rows of the file")))
        layout.addLayout(sides)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _prefill(self, mapping: SheetMapping | None) -> None:
        guess = self._guess
        no_names = all(h.startswith("Column ") for h in guess.headers)
        self.has_header.setChecked(mapping.header_row >= 0 if mapping else not no_names)
        if mapping is None:
            return
        texts = (*mapping.text_columns, None, None)
        for role, column in (
            ("date", mapping.date_column),
            ("amount", mapping.amount_column),
            ("direction", mapping.direction_column),
            ("credit", mapping.credit_column),
            ("debit", mapping.debit_column),
            ("payer", mapping.payer_column),
            ("iban", mapping.iban_column),
            ("reference", mapping.reference_column),
            ("text", texts[0]),
            ("more_text", texts[1]),
            ("currency", mapping.currency_column),
        ):
            combo = self._role_combos[role]
            combo.setCurrentIndex(max(combo.findData(column), 0))
        if mapping.credit_column is not None or mapping.debit_column is not None:
            self.amount_layout.setCurrentIndex(AmountLayout.IN_AND_OUT)
        elif mapping.direction_column is not None:
            self.amount_layout.setCurrentIndex(AmountLayout.WITH_DIRECTION)
        if self.date_format.findData(mapping.date_format) < 0:
            self.date_format.addItem(mapping.date_format, mapping.date_format)
        self.date_format.setCurrentIndex(self.date_format.findData(mapping.date_format))
        self.decimal_separator.setCurrentIndex(
            max(self.decimal_separator.findData(mapping.decimal_separator), 0)
        )
        self.thousands_separator.setCurrentIndex(
            max(self.thousands_separator.findData(mapping.thousands_separator), 0)
        )
        self.currency.setText(mapping.currency)
        self._on_role_changed()

    # -- the answer --------------------------------------------------------------------------

    def chosen_mapping(self) -> SheetMapping | None:
        """The mapping confirmed, once accepted."""
        return self._mapping

    def _column(self, role: str) -> int | None:
        value = self._role_combos[role].currentData()
        return value if isinstance(value, int) else None

    def _read_form(self) -> SheetMapping:
        """The mapping the form says; raises ValueError with what is missing."""
        date_column = self._column("date")
        if date_column is None:
            raise ValueError("Choose the column with the booking date.")
        amount_way = self.amount_layout.currentIndex()
        amount = self._column("amount") if amount_way != AmountLayout.IN_AND_OUT else None
        direction = self._column("direction") if amount_way == AmountLayout.WITH_DIRECTION else None
        credit = self._column("credit") if amount_way == AmountLayout.IN_AND_OUT else None
        debit = self._column("debit") if amount_way == AmountLayout.IN_AND_OUT else None
        if amount_way != AmountLayout.IN_AND_OUT and amount is None:
            raise ValueError("Choose the column with the amounts.")
        if amount_way == AmountLayout.WITH_DIRECTION and direction is None:
            raise ValueError("Choose the column that says credit or debit.")
        if amount_way == AmountLayout.IN_AND_OUT and (credit is None or debit is None):
            raise ValueError("Choose both the money in and the money out columns.")
        currency = self.currency.text().strip().upper()
        if self._column("currency") is None and len(currency) != 3:
            raise ValueError("Choose the currency column, or say the currency (such as EUR).")
        decimal_sep = str(self.decimal_separator.currentData())
        thousands = str(self.thousands_separator.currentData())
        if thousands == decimal_sep:
            raise ValueError("The decimal and thousands separators must differ.")
        texts = tuple(c for c in (self._column("text"), self._column("more_text")) if c is not None)
        base = self._guess.mapping or SheetMapping(date_column=date_column, date_format="")
        header_row = max(base.header_row, 0) if self.has_header.isChecked() else -1
        return replace(
            base,
            date_column=date_column,
            date_format=str(self.date_format.currentData()),
            header_row=header_row,
            decimal_separator=decimal_sep,
            thousands_separator=thousands,
            amount_column=amount,
            direction_column=direction,
            credit_column=credit,
            debit_column=debit,
            currency_column=self._column("currency"),
            payer_column=self._column("payer"),
            iban_column=self._column("iban"),
            reference_column=self._column("reference"),
            text_columns=texts,
            currency=currency,
        )

    @override
    def accept(self) -> None:
        try:
            mapping = self._read_form()
        except ValueError as exc:
            show_form_error(self.error, str(exc))
            return
        self._mapping = mapping
        self.mapping_chosen.emit(mapping, self.remember_as.text().strip())
        super().accept()

    # -- slots -------------------------------------------------------------------------------

    @Slot()
    def _on_amount_layout_changed(self) -> None:
        way = self.amount_layout.currentIndex()
        shown = {
            "amount": way != AmountLayout.IN_AND_OUT,
            "direction": way == AmountLayout.WITH_DIRECTION,
            "credit": way == AmountLayout.IN_AND_OUT,
            "debit": way == AmountLayout.IN_AND_OUT,
        }
        for role, visible in shown.items():
            self._columns_form.setRowVisible(self._amount_rows[role], visible)
        self._on_role_changed()

    @Slot()
    def _on_role_changed(self) -> None:
        """Title each preview column with what it is used for ("Buchungstag → Date")."""
        hidden = {
            role
            for role, widget in self._amount_rows.items()
            if not self._columns_form.isRowVisible(widget)
        }
        roles: dict[int, list[str]] = {}
        for role, combo in self._role_combos.items():
            column = combo.currentData()
            if isinstance(column, int) and role not in hidden:
                roles.setdefault(column, []).append(_ROLE_NAMES[role])
        for column, title in enumerate(self._headers):
            used = roles.get(column)
            text = f"{title} → {', '.join(dict.fromkeys(used))}" if used else title
            self.preview.setHorizontalHeaderItem(column, QTableWidgetItem(text))
