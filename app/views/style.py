"""Colours, markers and text shared by the screens; palette-aware so dark mode works too."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QWidget,
)
from typing_extensions import override

from app.services.invoice_preview import InvoiceStatus, Money
from app.services.money_format import format_money

#: (light palette, dark palette) colours.
_WARM = ("#b34700", "#ffa057")
_STATUS_COLOURS: dict[str, tuple[str, str]] = {
    InvoiceStatus.DRAFT: ("#7a7a7a", "#a8a8a8"),
    InvoiceStatus.OPEN: ("#1f6fd1", "#6aa8ff"),
    InvoiceStatus.PARTIALLY_PAID: ("#7b4fc9", "#b195f0"),
    InvoiceStatus.PAID: ("#2e8540", "#6fcf7f"),
    InvoiceStatus.OVERDUE: _WARM,
    InvoiceStatus.VOID: ("#9a9a9a", "#777777"),
    InvoiceStatus.CREDITED: ("#2e8540", "#6fcf7f"),
    InvoiceStatus.CREDIT_NOTE: ("#00838f", "#4dd0e1"),
}

STATUS_TEXT: dict[str, str] = {
    InvoiceStatus.DRAFT: "Draft",
    InvoiceStatus.OPEN: "Open",
    InvoiceStatus.PARTIALLY_PAID: "Partly paid",
    InvoiceStatus.PAID: "Paid",
    InvoiceStatus.OVERDUE: "Overdue",
    InvoiceStatus.VOID: "Void",
    InvoiceStatus.CREDITED: "Credited",
    InvoiceStatus.CREDIT_NOTE: "Credit note",
}


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether the palette is a dark one (light text on a dark window)."""
    pal = palette if palette is not None else QApplication.palette()
    return pal.color(QPalette.ColorRole.Base).lightness() < 128


def warm_colour(palette: QPalette | None = None) -> QColor:
    """The colour of overdue amounts and dates, readable on the palette's base colour."""
    return QColor(_WARM[1] if is_dark(palette) else _WARM[0])


def status_colour(status: str, palette: QPalette | None = None) -> QColor:
    """The colour of a status marker."""
    light, dark = _STATUS_COLOURS.get(status, ("#7a7a7a", "#a8a8a8"))
    return QColor(dark if is_dark(palette) else light)


@cache
def _marker(colour_name: str) -> QIcon:
    size = 12
    pixmap = QPixmap(QSize(size, size))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour_name))
    painter.drawEllipse(2, 2, size - 4, size - 4)
    painter.end()
    return QIcon(pixmap)


#: The sizes an envelope icon is drawn in (sidebar 20, toolbars 16 to 32).
_ICON_SIZES = (16, 20, 24, 32, 48)


def _envelope_pixmap(size: int, ink: QColor, arrow: QColor | None) -> QPixmap:
    """An envelope outline with its flap; with ``arrow``, a small arrow leaving it to the right."""
    pixmap = QPixmap(QSize(size, size))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(ink, max(size / 14, 1.2))
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    width = size * (0.7 if arrow is not None else 0.86)
    body = QRectF(size * 0.07, size * 0.22, width, size * 0.56)
    painter.drawRoundedRect(body, size / 24, size / 24)
    painter.drawPolyline(
        QPolygonF(
            [
                body.topLeft() + QPointF(size * 0.03, size * 0.04),
                QPointF(body.center().x(), body.top() + body.height() * 0.58),
                body.topRight() + QPointF(-size * 0.03, size * 0.04),
            ]
        )
    )
    if arrow is not None:
        y, tip, shaft, head = size * 0.7, size * 0.98, size * 0.08, size * 0.2
        shape = QPolygonF(
            [
                QPointF(size * 0.48, y - shaft),
                QPointF(size * 0.74, y - shaft),
                QPointF(size * 0.74, y - head),
                QPointF(tip, y),
                QPointF(size * 0.74, y + head),
                QPointF(size * 0.74, y + shaft),
                QPointF(size * 0.48, y + shaft),
            ]
        )
        # A gap around the arrow, so that it stands apart from the envelope's lines.
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
        painter.setPen(QPen(Qt.GlobalColor.black, max(size / 10, 1.5)))
        painter.setBrush(Qt.GlobalColor.black)
        painter.drawPolygon(shape)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(arrow)
        painter.drawPolygon(shape)
    painter.end()
    return pixmap


@cache
def _envelope(ink_name: str, arrow_name: str) -> QIcon:
    icon = QIcon()
    arrow = QColor(arrow_name) if arrow_name else None
    for size in _ICON_SIZES:
        icon.addPixmap(_envelope_pixmap(size, QColor(ink_name), arrow))
    return icon


def envelope_icon(*, sending: bool = False, palette: QPalette | None = None) -> QIcon:
    """The mail icons Qt's standard set lacks: the theme's where it has one, else drawn.

    ``sending=False``: an envelope (the Outbox); ``sending=True``: an envelope with an arrow
    leaving it (Send now). Drawn in the palette's text colour; the arrow in the colour of open
    (blue), so it reads in light and dark palettes alike.
    """
    pal = palette if palette is not None else QApplication.palette()
    ink = pal.color(QPalette.ColorRole.WindowText).name()
    drawn = _envelope(ink, status_colour(InvoiceStatus.OPEN, pal).name() if sending else "")
    return QIcon.fromTheme("mail-send" if sending else "mail-folder-outbox", drawn)


def status_marker(status: str, palette: QPalette | None = None) -> QIcon:
    """A small coloured dot shown beside the status text (never colour alone)."""
    return _marker(status_colour(status, palette).name())


def money_text(money: Money | None, locale: str) -> str:
    """An amount as the locale writes it, or an empty text for none."""
    return "" if money is None else format_money(money, locale)


def per_currency_text(amounts: dict[str, Money], locale: str) -> str:
    """Amounts in several currencies side by side, never added: ``"€1,200.00 · £300.00"``."""
    return " · ".join(format_money(m, locale) for m in amounts.values() if m.minor)


def heading(text: str, parent: QWidget | None = None, *, size_delta: int = 3) -> QLabel:
    """A bold label a little larger than the body text."""
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)  # names such as "Müller & Söhne" as typed
    font = label.font()
    font.setBold(True)
    font.setPointSize(font.pointSize() + size_delta)
    label.setFont(font)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def plain_label(text: str = "", *, selectable: bool = False) -> QLabel:
    """A wrapped label that shows text as typed ("Müller & Söhne", never as markup)."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def muted(label: QLabel) -> QLabel:
    """A label in the palette's secondary text colour."""
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


def error_label() -> QLabel:
    """A hidden label for a form's error message, in the warm colour, with an icon-free text."""
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText, warm_colour(palette))
    label.setPalette(palette)
    label.setObjectName("FormError")
    label.hide()
    return label


def show_form_error(label: QLabel, text: str) -> None:
    """Show an error sentence in a form's error label (first letter capitalised).

    A dialog grows to show the whole sentence rather than squeezing its other lines.
    """
    text = text.strip()
    label.setText(text[:1].upper() + text[1:])
    label.setVisible(bool(text))
    window = label.window()
    if text and isinstance(window, QDialog) and window.isVisible():
        fit_window(window, window.width())


def fit_window(window: QWidget, width: int) -> None:
    """Make a window ``width`` wide and at least as tall as its wrapped texts need."""
    layout = window.layout()
    if layout is not None:
        layout.activate()
    needed = (
        window.heightForWidth(width) if window.hasHeightForWidth() else window.sizeHint().height()
    )
    window.resize(width, max(needed, window.height() if window.isVisible() else 0))


class WrappingDelegate(QStyledItemDelegate):
    """Rows as tall as their text wrapped in its column's width.

    QTreeView alone sizes rows for one line and then cuts the wrapped text short.
    """

    def __init__(self, tree: QTreeView) -> None:
        super().__init__(tree)
        self._tree = tree
        tree.setWordWrap(True)
        tree.setUniformRowHeights(False)
        tree.header().sectionResized.connect(lambda *_: tree.scheduleDelayedItemsLayout())

    @override
    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = super().sizeHint(option, index)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        width = self._tree.header().sectionSize(index.column())
        if not isinstance(text, str) or not text or width <= 0:
            return hint
        style = self._tree.style()
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self._tree) + 1
        bounds = QRect(0, 0, max(width - 2 * margin, 1), 100000)
        flags = int(Qt.TextFlag.TextWordWrap)
        height = option.fontMetrics.boundingRect(bounds, flags, text).height()
        return QSize(hint.width(), max(hint.height(), height + 4))


def fit_height(tree: QTreeView, max_rows: int = 0) -> None:
    """Make a short list exactly as tall as its rows (up to ``max_rows``; all when 0).

    The pane around it scrolls rather than the list. It is fitted again whenever a column
    changes width (wrapped rows grow or shrink).
    """
    model = tree.model()
    rows = model.rowCount() if model is not None else 0
    shown = min(rows, max_rows) if max_rows else rows
    line = tree.fontMetrics().height() + 4
    height = sum(max(tree.sizeHintForRow(row), line) for row in range(shown)) or line
    frame = 2 * tree.frameWidth()
    tree.setFixedHeight(tree.header().sizeHint().height() + height + frame + 2)
    if not tree.property("fitsHeight"):
        tree.setProperty("fitsHeight", True)
        tree.header().sectionResized.connect(lambda *_: fit_height(tree, max_rows))
