"""Invoice and credit note PDFs: one document, a file, or a batch for a folder.

The layout is built with reportlab's platypus from an :class:`InvoiceDetail` and the business
settings (``company.*``, ``invoice.payment_link``, ``invoice.footer``), so rendering needs no
database. Text that comes from the ledger or the settings is escaped before it goes into a
paragraph. Amounts and dates go through :mod:`app.services.money_format`; nothing here does
arithmetic on money except through ``Money``.

A document is printed in its customer's language (:mod:`app.services.pdf_texts` holds the words
and picks the language); its dates and amounts follow that language's locale unless the caller
names a locale for them.

What is drawn once per company (fonts, styles, the header, the logo) is kept in a small cache, so
a batch spends its time on the invoices themselves.
"""

from __future__ import annotations

import functools
import io
import math
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, Final
from urllib.parse import quote
from xml.sax.saxutils import escape

import segno
from PIL import Image as PILImage
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
)
from sqlalchemy import select

from app.models.customer import Customer
from app.models.invoice import DocumentState, Invoice, InvoiceKind
from app.models.money import Money
from app.services.dto import InvoiceDetail
from app.services.iban import creditor_reference, format_iban, normalize_iban
from app.services.invoice_queries import get_invoice
from app.services.money_format import (
    format_date,
    format_money,
    format_percent,
    format_quantity,
    locale_language,
)
from app.services.pdf_texts import DocumentLanguage, country_name, document_language
from app.services.resources import resources_dir
from app.services.settings import load_settings
from app.services.tasks import TaskContext
from app.services.uow import UnitOfWork

FONT: Final = "DuebookSans"
FONT_BOLD: Final = "DuebookSans-Bold"
_FONT_FILES: Final = {FONT: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf"}

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN: Final = 18 * mm
BOTTOM_MARGIN: Final = 28 * mm
#: platypus frames pad their content by 6 points; the page margins leave room for it.
FRAME_PADDING: Final = 6
CONTENT_WIDTH: Final = PAGE_WIDTH - 2 * MARGIN
LOGO_MAX_WIDTH: Final = 55 * mm
LOGO_MAX_HEIGHT: Final = 22 * mm
#: Logos are shrunk to this resolution at their printed size, so big files do not slow PDFs down.
LOGO_DPI: Final = 300
QR_SIZE: Final = 38 * mm
#: The invoice number, dates and terms; wide enough for "Zahlbar innerhalb von 30 Tagen".
META_WIDTH: Final = 88 * mm
#: The space between a label column and its values.
LABEL_GAP: Final = 3 * mm
#: The clear space between the payment text and the QR code (beyond the code's own quiet zone).
QR_GAP: Final = 6 * mm
#: The longest a DRAFT or VOID marker is drawn across the page, so long words still fit.
MARKER_MAX_WIDTH: Final = 230 * mm
#: How many invoice ids one query looks customers' languages up for.
_LOOKUP_CHUNK: Final = 500

#: The largest amount an EPC payment QR code can carry (EPC069-12: EUR 999,999,999.99).
EPC_MAX_MINOR: Final = 99_999_999_999
EPC_NAME_MAX: Final = 70
EPC_MAX_BYTES: Final = 331
_PAGE_TOTAL_FORM: Final = "duebookPageTotal"
_GREY = colors.HexColor("#555555")
_RULE = colors.HexColor("#999999")
_SHADE = colors.HexColor("#EEEEEE")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)


class PdfError(Exception):
    """An invoice PDF cannot be made; the message names the file or setting at fault."""


# --------------------------------------------------------------------------- small public helpers


def epc_qr_payload(name: str, iban: str, amount: Money, reference: str, bic: str = "") -> str:
    """The text of an EPC069-12 ("GiroCode", SEPA credit transfer) payment QR code.

    Version 002, UTF-8, SCT; the BIC may be empty; the name is cut at 70 characters (and the
    whole payload kept within 331 bytes); the
    structured remittance carries the RF creditor reference, so no free text follows it.

    Args:
        name: the beneficiary (the company's name).
        iban: the beneficiary's IBAN, spaces allowed.
        amount: what to pay, in EUR.
        reference: the ISO 11649 creditor reference (``RF..``).
        bic: the beneficiary's BIC, or ``""``.

    Returns:
        The payload, its lines separated by line feeds.

    Raises:
        PdfError: the amount is not in EUR or outside 0.01..999,999,999.99, the IBAN is not
            valid, the name is empty or the reference is longer than 35 characters.
    """
    if amount.currency != "EUR":
        raise PdfError(f"an EPC payment QR code is for EUR only, not {amount.currency}")
    if not 0 < amount.minor <= EPC_MAX_MINOR:
        raise PdfError(f"an EPC payment QR code carries 0.01 to 999999999.99 EUR, not {amount}")
    try:
        account = normalize_iban(iban)
    except ValueError as exc:
        raise PdfError(f"company.iban: {exc}") from exc
    beneficiary = " ".join(name.split())[:EPC_NAME_MAX]
    if not beneficiary:
        raise PdfError("an EPC payment QR code needs the company name (company.name)")
    ref = "".join(reference.split()).upper()
    if len(ref) > 35:
        raise PdfError(f"the reference {reference!r} is longer than 35 characters")
    head = ["BCD", "002", "1", "SCT", "".join(bic.split()).upper()]
    tail = [account, f"EUR{amount.amount:f}", "", ref]
    payload = "\n".join([*head, beneficiary, *tail])
    while len(payload.encode("utf-8")) > EPC_MAX_BYTES:
        # Names in scripts of 3 or 4 bytes a letter are cut further to keep within the standard.
        beneficiary = beneficiary[:-1].rstrip()
        payload = "\n".join([*head, beneficiary, *tail])
    return payload


def invoice_qr_payload(invoice: InvoiceDetail, company: Mapping[str, str]) -> str | None:
    """The EPC payment QR payload printed on an invoice, or ``None`` when it gets none.

    Only an issued EUR invoice (not a credit note, draft or void one) with ``company.iban`` set
    and a total an EPC code can carry gets a QR code.

    Raises:
        PdfError: ``company.iban`` is not a valid IBAN, or ``company.name`` is empty.
    """
    iban = company.get("company.iban", "").strip()
    if not iban or not _is_payable(invoice) or invoice.currency != "EUR":
        return None
    if not 0 < invoice.total.minor <= EPC_MAX_MINOR:
        return None
    return epc_qr_payload(
        name=company.get("company.name", ""),
        iban=iban,
        amount=invoice.total,
        reference=creditor_reference(invoice.number),
        bic=company.get("company.bic", ""),
    )


def invoice_payment_link(invoice: InvoiceDetail, template: str) -> str:
    """The payment link of an invoice from the ``invoice.payment_link`` template.

    The template may use ``{number}``, ``{amount}`` (a plain decimal such as ``1234.50``),
    ``{currency}`` and ``{reference}``; each value is URL-encoded.

    Returns:
        The URL, or ``""`` when the template is empty or the document is not payable (a draft,
        a void invoice or a credit note).

    Raises:
        PdfError: the template uses another placeholder or is not an http(s) URL.
    """
    template = template.strip()
    if not template or not _is_payable(invoice):
        return ""
    if not re.match(r"^https?://", template):
        raise PdfError(f"invoice.payment_link: expected a URL starting with https://: {template!r}")
    try:
        return template.format(
            number=quote(invoice.number, safe=""),
            amount=quote(f"{invoice.total.amount:f}", safe=""),
            currency=quote(invoice.currency, safe=""),
            reference=quote(creditor_reference(invoice.number), safe=""),
        )
    except (KeyError, IndexError, ValueError) as exc:
        raise PdfError(
            "invoice.payment_link may use only {number}, {amount}, {currency} and {reference}: "
            f"{template!r}"
        ) from exc


def invoice_pdf_name(invoice: InvoiceDetail) -> str:
    """The file name of an invoice's PDF: ``<number>.pdf``, safe on every system.

    Characters other than letters, digits, ``.``, ``_`` and ``-`` become ``_``; a draft, which has
    no number yet, is ``draft-<id>.pdf``.
    """
    stem = _SAFE_NAME.sub("_", invoice.number).strip("._") if invoice.number else ""
    if not stem:
        stem = (
            f"draft-{invoice.id}" if invoice.state == DocumentState.DRAFT else f"doc-{invoice.id}"
        )
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = f"{stem}_"
    return f"{stem}.pdf"


# --------------------------------------------------------------------------- fonts, styles, cache

_font_lock = threading.Lock()


def _prepare_reportlab() -> None:
    """Register the bundled DejaVu fonts with reportlab and set its output options, once.

    Raises:
        PdfError: a font file is missing or damaged.
    """
    with _font_lock:
        if FONT_BOLD in pdfmetrics.getRegisteredFontNames():
            return
        # Streams are zlib-compressed binary, as every PDF reader expects; reportlab's extra ASCII85
        # layer (for 7-bit mail of the 1990s) would make each file a quarter larger and cost a
        # tenth of the time spent on a one-page invoice.
        rl_config.useA85 = 0
        folder = resources_dir() / "fonts"
        for name, file_name in _FONT_FILES.items():
            path = folder / file_name
            try:
                pdfmetrics.registerFont(TTFont(name, str(path)))
            except (TTFError, OSError, ValueError) as exc:
                raise PdfError(f"cannot load the invoice font {path}: {exc}") from exc
        pdfmetrics.registerFontFamily(
            FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
        )


@dataclass(frozen=True)
class _Styles:
    body: ParagraphStyle
    small: ParagraphStyle
    bold: ParagraphStyle
    right: ParagraphStyle
    title: ParagraphStyle
    heading: ParagraphStyle
    footer: ParagraphStyle
    cell: ParagraphStyle
    label: ParagraphStyle
    head: ParagraphStyle
    head_right: ParagraphStyle


@functools.cache
def _styles() -> _Styles:
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12)
    return _Styles(
        body=body,
        small=ParagraphStyle("small", parent=body, fontSize=8, leading=10, textColor=_GREY),
        bold=ParagraphStyle("bold", parent=body, fontName=FONT_BOLD),
        right=ParagraphStyle("right", parent=body, alignment=TA_RIGHT),
        title=ParagraphStyle(
            "title", parent=body, fontName=FONT_BOLD, fontSize=20, leading=24, alignment=TA_RIGHT
        ),
        heading=ParagraphStyle(
            "heading", parent=body, fontName=FONT_BOLD, fontSize=10, leading=14, spaceBefore=4
        ),
        footer=ParagraphStyle(
            "footer", parent=body, fontSize=7.5, leading=9.5, textColor=_GREY, alignment=TA_CENTER
        ),
        cell=ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5),
        label=ParagraphStyle("label", parent=body, fontSize=8, leading=10, textColor=_GREY),
        head=ParagraphStyle("head", parent=body, fontName=FONT_BOLD, fontSize=8.5, leading=10),
        head_right=ParagraphStyle(
            "head_right",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=8.5,
            leading=10,
            alignment=TA_RIGHT,
        ),
    )


@dataclass(frozen=True)
class _Logo:
    """The logo, decoded and shrunk to print resolution once, and its size on the page."""

    reader: ImageReader
    width: float
    height: float

    def flowable(self) -> Flowable:
        """A flowable drawing the logo at its size, left-aligned."""
        return _LogoFlowable(self)


class _LogoFlowable(Flowable):
    def __init__(self, logo: _Logo) -> None:
        super().__init__()
        self._logo = logo
        self.width, self.height = logo.width, logo.height
        self.hAlign = "LEFT"

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self._logo.width, self._logo.height

    def draw(self) -> None:
        logo = self._logo
        self.canv.drawImage(logo.reader, 0, 0, logo.width, logo.height, mask="auto")


@dataclass(frozen=True)
class _Company:
    """What every document of one company shares, prepared once."""

    name: str
    #: The name in bold and the address, as paragraph markup.
    address_markup: str
    #: The ISO code of ``company.country``, upper case, or ``""``.
    country: str
    #: E-mail and phone on one line, as paragraph markup.
    contact_markup: str
    vat_id: str
    logo: _Logo | None
    iban: str
    bic: str
    bank_name: str
    payment_link: str
    footer_markup: str
    settings: tuple[tuple[str, str], ...]


def _text(value: str) -> str:
    """Ledger or settings text made safe for a paragraph; line breaks are kept."""
    return "<br/>".join(escape(line) for line in value.strip().splitlines())


def _cell(text: str, width: float, style: ParagraphStyle) -> str | Paragraph:
    """Plain text when it fits on one line (drawn as it is, and cheaply), else a paragraph."""
    text = text.strip()
    if "\n" not in text and pdfmetrics.stringWidth(text, style.fontName, style.fontSize) <= width:
        return text
    return Paragraph(_text(text), style)


def _label_width(labels: Sequence[str], size: float, minimum: float, maximum: float) -> float:
    """A label column as wide as its widest label (and the gap), within the given bounds."""
    widest = max((pdfmetrics.stringWidth(label, FONT, size) for label in labels), default=0.0)
    return min(maximum, max(minimum, widest + LABEL_GAP + 1))


@dataclass(frozen=True)
class _Words:
    """One document's language: its words, and the locales its amounts and dates follow."""

    language: str
    texts: Mapping[str, str] = field(repr=False)
    #: The locale of amounts, quantities and percentages.
    numbers: str
    #: The locale of dates; always of the document's language, since dates carry month names.
    dates: str

    def __call__(self, key: str, **values: str) -> str:
        """The text of ``key`` with its placeholders filled in: plain text, not markup."""
        text = self.texts[key]
        return text.format(**values) if values else text

    def money(self, money: Money) -> str:
        """An amount as the document writes it."""
        return format_money(money, self.numbers)

    def date(self, day: date) -> str:
        """A date as the document writes it."""
        return format_date(day, self.dates)


@functools.lru_cache(maxsize=64)
def _words(language: str | None, locale: str | None, company_country: str) -> _Words:
    """The words of a document in ``language`` (see :func:`document_language`).

    An explicit ``locale`` sets how amounts are written; dates follow it too when it is of the
    document's language, and the document language's own locale otherwise.

    Raises:
        ValueError: the locale is unknown.
    """
    chosen: DocumentLanguage = document_language(language, company_country)
    if not locale:
        return _Words(chosen.language, chosen.texts, chosen.locale, chosen.locale)
    same_language = locale_language(locale) == chosen.language
    return _Words(chosen.language, chosen.texts, locale, locale if same_language else chosen.locale)


def _load_logo(path_text: str) -> _Logo:
    """Read, check and shrink the logo once; every PDF then reuses the decoded image."""
    path = Path(path_text).expanduser()
    where = f"the logo file {path} (company.logo_path)"
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise PdfError(f"cannot read the logo file {path} (company.logo_path): {reason}") from exc
    if not data.startswith((_PNG_MAGIC, _JPEG_MAGIC)):
        raise PdfError(f"{where} is not a PNG or JPEG image")
    try:
        with PILImage.open(io.BytesIO(data)) as opened:
            opened.load()
            image = opened.copy()
    except (OSError, ValueError, SyntaxError, PILImage.DecompressionBombError) as exc:
        raise PdfError(f"{where} is damaged or not an image: {exc}") from exc
    if image.width <= 0 or image.height <= 0:
        raise PdfError(f"{where} is empty")
    scale = min(LOGO_MAX_WIDTH / image.width, LOGO_MAX_HEIGHT / image.height)
    width, height = image.width * scale, image.height * scale
    pixels = (math.ceil(width / 72 * LOGO_DPI), math.ceil(height / 72 * LOGO_DPI))
    if data.startswith(_JPEG_MAGIC) and image.width <= pixels[0]:
        # Small enough: the JPEG goes into each PDF as it is, without decoding.
        return _Logo(ImageReader(io.BytesIO(data)), width, height)
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        has_alpha = image.mode == "P" and "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    if image.width > pixels[0]:
        image = image.resize(pixels, PILImage.Resampling.LANCZOS)
    # The reader keeps the pixels it decodes for the first PDF; later PDFs reuse them.
    return _Logo(ImageReader(image), width, height)


def _logo_stamp(path_text: str) -> tuple[int, int] | None:
    """The logo's modification time and size, so an edited logo is read again."""
    if not path_text:
        return None
    try:
        stat = Path(path_text).expanduser().stat()
    except OSError:
        return (-1, -1)
    return (stat.st_mtime_ns, stat.st_size)


_COMPANY_KEYS: Final = (
    "company.name",
    "company.address",
    "company.country",
    "company.email",
    "company.phone",
    "company.vat_id",
    "company.iban",
    "company.bic",
    "company.bank_name",
    "company.logo_path",
    "invoice.payment_link",
    "invoice.footer",
)


def _company(settings: Mapping[str, str]) -> _Company:
    """The prepared company of these settings, from the cache when nothing changed."""
    values = tuple((key, settings.get(key, "").strip()) for key in _COMPANY_KEYS)
    return _prepared_company(values, _logo_stamp(settings.get("company.logo_path", "").strip()))


@functools.lru_cache(maxsize=8)
def _prepared_company(
    values: tuple[tuple[str, str], ...], logo_stamp: tuple[int, int] | None
) -> _Company:
    _prepare_reportlab()
    get = dict(values).__getitem__
    logo = _load_logo(get("company.logo_path")) if logo_stamp is not None else None
    iban = get("company.iban")
    if iban:
        try:
            iban = normalize_iban(iban)
        except ValueError as exc:
            raise PdfError(f"company.iban: {exc}") from exc
    parts = [f"<b>{_text(get('company.name'))}</b>"] if get("company.name") else []
    if get("company.address"):
        parts.append(_text(get("company.address")))
    contact = " · ".join(escape(get(k)) for k in ("company.email", "company.phone") if get(k))
    return _Company(
        name=get("company.name"),
        address_markup="<br/>".join(parts),
        country=get("company.country").upper(),
        contact_markup=contact,
        vat_id=get("company.vat_id"),
        logo=logo,
        iban=iban,
        bic=get("company.bic"),
        bank_name=get("company.bank_name"),
        payment_link=get("invoice.payment_link"),
        footer_markup=_text(get("invoice.footer")),
        settings=values,
    )


# --------------------------------------------------------------------------- drawing


class _QrCode(Flowable):
    """A QR code drawn as vector squares, one filled path."""

    def __init__(self, payload: str, size: float) -> None:
        super().__init__()
        qr = segno.make_qr(payload, error="m", encoding="utf-8", boost_error=False)
        self._matrix: tuple[bytearray, ...] = tuple(qr.matrix)
        self._size = size
        self.width = self.height = size

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self._size, self._size

    def draw(self) -> None:
        count = len(self._matrix)
        quiet = 2
        module = self._size / (count + 2 * quiet)
        top = self._size - quiet * module
        squares: list[str] = []
        for row_index, row in enumerate(self._matrix):
            y = top - (row_index + 1) * module
            squares.extend(
                f"{(quiet + start) * module:.3f} {y:.3f} {(end - start) * module:.3f} "
                f"{module * 1.02:.3f} re"
                for start, end in _dark_runs(row)
            )
        canvas = self.canv
        canvas.saveState()
        canvas.setFillColor(colors.black)
        canvas.addLiteral("\n".join(squares) + "\nf")
        canvas.restoreState()


def _dark_runs(row: bytearray) -> Iterator[tuple[int, int]]:
    start = -1
    for index, value in enumerate(row):
        if value and start < 0:
            start = index
        elif not value and start >= 0:
            yield start, index
            start = -1
    if start >= 0:
        yield start, len(row)


class _PagedCanvas(Canvas):
    """A canvas that can print "Page n of N": the total is a form filled in when saving."""

    def save(self) -> None:
        total = self.getPageNumber() - 1
        self.beginForm(_PAGE_TOTAL_FORM)
        self.setFont(FONT, 7.5)
        self.setFillColor(_GREY)
        self.drawString(0, 0, str(max(total, 1)))
        self.endForm()
        super().save()


@dataclass(frozen=True)
class _PageDecor:
    """What every page gets: footer text, page numbers and a DRAFT or VOID marker."""

    footer: Paragraph | None
    marker: str
    #: "Page {n} of " in the document's language; the page count is drawn after it.
    page_label: str

    def __call__(self, canvas: Canvas, doc: SimpleDocTemplate) -> None:
        if self.marker:
            natural = pdfmetrics.stringWidth(self.marker, FONT_BOLD, 110)
            size = min(110.0, 110 * MARKER_MAX_WIDTH / natural)
            canvas.saveState()
            canvas.setFont(FONT_BOLD, size)
            canvas.setFillColor(colors.Color(0.85, 0.1, 0.1, alpha=0.18))
            canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
            canvas.rotate(40)
            canvas.drawCentredString(0, -0.36 * size, self.marker)
            canvas.restoreState()
        canvas.saveState()
        canvas.setStrokeColor(_RULE)
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN, BOTTOM_MARGIN - 6 * mm, PAGE_WIDTH - MARGIN, BOTTOM_MARGIN - 6 * mm)
        if self.footer is not None:
            _, height = self.footer.wrapOn(canvas, CONTENT_WIDTH - 30 * mm, BOTTOM_MARGIN)
            self.footer.drawOn(canvas, MARGIN + 15 * mm, BOTTOM_MARGIN - 8 * mm - height)
        label = self.page_label.format(n=canvas.getPageNumber())
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(_GREY)
        # Room for a two-digit page count at the right margin.
        width = pdfmetrics.stringWidth(label, FONT, 7.5)
        x = PAGE_WIDTH - MARGIN - width - pdfmetrics.stringWidth("00", FONT, 7.5)
        y = 10 * mm
        canvas.drawString(x, y, label)
        canvas.translate(x + width, y)
        canvas.doForm(_PAGE_TOTAL_FORM)
        canvas.restoreState()


def _page_decor(company: _Company, words: _Words, marker: str) -> _PageDecor:
    """The page decoration of a document of ``company`` in ``words``' language."""
    styles = _styles()
    footer = Paragraph(company.footer_markup, styles.footer) if company.footer_markup else None
    page_label = words("page").partition("{total}")[0]
    return _PageDecor(footer, marker, page_label)


def _is_payable(invoice: InvoiceDetail) -> bool:
    return (
        invoice.kind != InvoiceKind.CREDIT_NOTE
        and invoice.state == DocumentState.ISSUED
        and bool(invoice.number)
    )


def _terms(invoice: InvoiceDetail, words: _Words) -> str:
    days = (invoice.due_date - invoice.issue_date).days
    if days <= 0:
        return words("payable_on_receipt")
    if days == 1:
        return words("payable_within_one_day")
    return words("payable_within_days", days=str(days))


def _title(invoice: InvoiceDetail, words: _Words) -> str:
    is_credit = invoice.kind == InvoiceKind.CREDIT_NOTE
    if invoice.state == DocumentState.DRAFT:
        return words("draft_credit_note" if is_credit else "draft_invoice")
    return words("credit_note" if is_credit else "invoice")


def _meta_rows(invoice: InvoiceDetail, words: _Words) -> list[tuple[str, str]]:
    is_credit = invoice.kind == InvoiceKind.CREDIT_NOTE
    rows: list[tuple[str, str]] = []
    if invoice.number:
        rows.append((words("credit_note_no" if is_credit else "invoice_no"), invoice.number))
    date_label = words("credit_note_date" if is_credit else "issue_date")
    rows.append((date_label, words.date(invoice.issue_date)))
    if is_credit:
        if invoice.credited_invoice_number:
            rows.append((words("credits_invoice"), invoice.credited_invoice_number))
    else:
        rows.append((words("due_date"), words.date(invoice.due_date)))
        rows.append((words("terms"), _terms(invoice, words)))
    if invoice.po_number:
        rows.append((words("po_number"), invoice.po_number))
    if invoice.customer_code:
        rows.append((words("customer_no"), invoice.customer_code))
    if _is_payable(invoice):
        rows.append((words("reference"), creditor_reference(invoice.number)))
    return rows


def _sender_markup(company: _Company, customer_country: str, words: _Words) -> str:
    """The company's block: its country only when the customer is in another one, by name."""
    parts = [company.address_markup] if company.address_markup else []
    if company.country and company.country != customer_country:
        parts.append(escape(country_name(company.country, words.language)))
    if company.contact_markup:
        parts.append(company.contact_markup)
    if company.vat_id:
        parts.append(escape(words("vat_id", vat_id=company.vat_id)))
    return "<br/>".join(parts)


def _sender_block(company: _Company, customer_country: str, words: _Words) -> list[Flowable]:
    """The logo (if any) above the sender's address line, top left of the first page."""
    left: list[Flowable] = []
    if company.logo is not None:
        left += [company.logo.flowable(), Spacer(1, 3 * mm)]
    sender = _sender_markup(company, customer_country, words)
    if sender:
        left.append(Paragraph(sender, _styles().small))
    return left


def _customer_lines(
    name: str, address: str, customer_country: str, company: _Company, words: _Words
) -> list[str]:
    """The addressee as paragraph markup lines: name in bold, address, country if foreign."""
    customer = [f"<b>{_text(name)}</b>"]
    if address.strip():
        customer.append(_text(address))
    if customer_country and customer_country != company.country:
        customer.append(escape(country_name(customer_country, words.language)))
    return customer


def _header(invoice: InvoiceDetail, company: _Company, words: _Words) -> Table:
    styles = _styles()
    customer_country = invoice.customer_country.strip().upper()
    left = _sender_block(company, customer_country, words)
    customer = _customer_lines(
        invoice.customer_name, invoice.customer_address, customer_country, company, words
    )
    if invoice.customer_vat_id.strip():
        customer.append(escape(words("vat_id", vat_id=invoice.customer_vat_id.strip())))
    rows = _meta_rows(invoice, words)
    label_width = _label_width([label for label, _ in rows], 8, 28 * mm, 40 * mm)
    value_width = META_WIDTH - label_width
    meta = Table(
        [
            [
                _cell(label, label_width - LABEL_GAP, styles.label),
                _cell(value, value_width, styles.right),
            ]
            for label, value in rows
        ],
        colWidths=[label_width, value_width],
        style=[
            ("FONT", (0, 0), (0, -1), FONT, 8),
            ("TEXTCOLOR", (0, 0), (0, -1), _GREY),
            ("FONT", (1, 0), (1, -1), FONT, 9),
            ("ALIGN", (1, 0), (1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (0, -1), LABEL_GAP),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ],
        hAlign="RIGHT",
    )
    bill_to = [
        Paragraph(escape(words("bill_to")), styles.small),
        Paragraph("<br/>".join(customer), styles.body),
    ]
    return Table(
        [
            [left or "", Paragraph(escape(_title(invoice, words)), styles.title)],
            [bill_to, meta],
        ],
        colWidths=[CONTENT_WIDTH - META_WIDTH, META_WIDTH],
        style=[
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ALIGN", (1, 0), (1, -1), "RIGHT"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 1), (-1, 1), 8 * mm),
        ],
    )


_LINE_COLUMNS: Final = (
    ("description", None),
    ("qty", 15 * mm),
    ("unit_price", 26 * mm),
    ("discount", 18 * mm),
    ("tax", 12 * mm),
    ("net", 28 * mm),
)
#: The left and right padding of the cells of the lines and totals tables.
_CELL_PADDING: Final = 3


#: The look of a table of items (invoice lines, open items): a shaded heading row, thin rules.
_LIST_TABLE_STYLE: Final = (
    ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8.5),
    ("FONT", (0, 1), (-1, -1), FONT, 8.5),
    ("BACKGROUND", (0, 0), (-1, 0), _SHADE),
    ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
    ("LINEBELOW", (0, 0), (-1, 0), 0.6, _RULE),
    ("LINEBELOW", (0, 1), (-1, -1), 0.25, _SHADE),
    ("LEFTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
    ("RIGHTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
)


def _column_widths(columns: Sequence[tuple[str, float | None]]) -> list[float]:
    """The widths of (text key, width) columns; the one without a width takes what is left."""
    fixed = sum(width for _, width in columns if width is not None)
    return [width if width is not None else CONTENT_WIDTH - fixed for _, width in columns]


def _head_cells(labels: Sequence[str], widths: Sequence[float]) -> list[str | Paragraph]:
    """Column headings: the first left-aligned, the others right; long ones wrap."""
    styles = _styles()
    return [
        _cell(label, width - 2 * _CELL_PADDING, styles.head if index == 0 else styles.head_right)
        for index, (label, width) in enumerate(zip(labels, widths, strict=True))
    ]


def _lines_table(invoice: InvoiceDetail, words: _Words) -> Table:
    styles = _styles()
    numbers = words.numbers
    widths = _column_widths(_LINE_COLUMNS)
    data: list[list[Any]] = [_head_cells([words(key) for key, _ in _LINE_COLUMNS], widths)]
    for line in invoice.lines:
        data.append(
            [
                _cell(line.description, widths[0] - 2 * _CELL_PADDING, styles.cell),
                format_quantity(line.quantity, numbers),
                words.money(line.unit_price),
                format_percent(line.discount_percent, numbers) if line.discount_percent else "",
                format_percent(line.tax_rate_percent, numbers),
                words.money(line.net),
            ]
        )
    return Table(
        data,
        colWidths=widths,
        repeatRows=1,
        splitInRow=1,
        style=list(_LIST_TABLE_STYLE),
    )


def _totals_table(invoice: InvoiceDetail, words: _Words) -> Table:
    widths = [30 * mm, 30 * mm, 30 * mm]
    data: list[list[Any]] = [
        _head_cells([words("tax_rate"), words("tax_base"), words("tax")], widths)
    ]
    for rate, net, tax in invoice.tax_by_rate:
        data.append(
            [
                words("vat_rate", rate=format_percent(rate, words.numbers)),
                words.money(net),
                words.money(tax),
            ]
        )
    first_total = len(data)
    is_credit = invoice.kind == InvoiceKind.CREDIT_NOTE
    data += [
        [words("net_total"), "", words.money(invoice.net)],
        [words("tax_total"), "", words.money(invoice.tax)],
        [words("total_credited" if is_credit else "total"), "", words.money(invoice.total)],
    ]
    return Table(
        data,
        colWidths=widths,
        hAlign="RIGHT",
        style=[
            ("FONT", (0, 0), (-1, -1), FONT, 8.5),
            ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8.5),
            ("TEXTCOLOR", (0, 0), (-1, first_total - 1), _GREY),
            ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
            ("LINEBELOW", (0, 0), (-1, 0), 0.4, _RULE),
            ("LINEABOVE", (0, first_total), (-1, first_total), 0.4, _RULE),
            # The labels of the totals may use the empty middle column.
            *[("SPAN", (0, row), (1, row)) for row in range(first_total, len(data))],
            ("FONT", (0, -1), (-1, -1), FONT_BOLD, 10),
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
            ("TOPPADDING", (0, -1), (-1, -1), 4),
            ("LEFTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
        ],
    )


def _bank_rows(company: _Company, words: _Words) -> list[tuple[str, str | Paragraph]]:
    """The company's bank, IBAN and BIC as rows of :func:`_payment_details` (those it has)."""
    rows: list[tuple[str, str | Paragraph]] = []
    if company.bank_name:
        rows.append((words("bank"), company.bank_name))
    if company.iban:
        rows.append((words("iban"), format_iban(company.iban)))
    if company.bic:
        rows.append((words("bic"), company.bic))
    return rows


def _payment_details(
    rows: Sequence[tuple[str, str | Paragraph]], width: float
) -> tuple[Table, float]:
    """The label and value table of the payment block, exactly ``width`` wide."""
    styles = _styles()
    label_width = _label_width([label for label, _ in rows], 8, 24 * mm, 45 * mm)
    value_width = width - label_width
    cells = [
        [
            _cell(label, label_width - LABEL_GAP, styles.label),
            _cell(value, value_width, styles.body) if isinstance(value, str) else value,
        ]
        for label, value in rows
    ]
    table = Table(
        cells,
        colWidths=[label_width, value_width],
        style=[
            ("FONT", (0, 0), (0, -1), FONT, 8),
            ("TEXTCOLOR", (0, 0), (0, -1), _GREY),
            ("FONT", (1, 0), (1, -1), FONT, 9),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (0, -1), LABEL_GAP),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ],
        hAlign="LEFT",
    )
    return table, value_width


def _notice(invoice: InvoiceDetail, words: _Words) -> list[Flowable] | None:
    """What a credit note or a void invoice says instead of how to pay; ``None`` for others."""
    styles = _styles()
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        if invoice.state == DocumentState.VOID:
            return []
        amount = words.money(invoice.total)
        if invoice.credited_invoice_number:
            notice = words(
                "credit_note_notice", invoice=invoice.credited_invoice_number, amount=amount
            )
        else:
            notice = words("credit_note_notice_no_invoice", amount=amount)
        return [Paragraph(escape(notice), styles.body)]
    if invoice.state == DocumentState.VOID:
        reason = " ".join(invoice.void_reason.split()).rstrip(".")
        notice = words("void_notice_reason", reason=reason) if reason else words("void_notice")
        return [Paragraph(escape(notice), styles.bold)]
    return None


def _payment_section(invoice: InvoiceDetail, company: _Company, words: _Words) -> list[Flowable]:
    notice = _notice(invoice, words)
    if notice is not None:
        return notice
    styles = _styles()
    payable = _is_payable(invoice)
    payload = invoice_qr_payload(invoice, dict(company.settings))
    # The text column ends QR_GAP before the QR code, whatever the language or the values.
    qr_column = QR_SIZE + QR_GAP if payload is not None else 0
    text_width = CONTENT_WIDTH - qr_column
    amount = words.money(invoice.total)
    due = words.date(invoice.due_date)
    rows: list[tuple[str, str | Paragraph]] = [
        (words("amount_due"), amount),
        (words("due_date"), due),
        *_bank_rows(company, words),
    ]
    reference = creditor_reference(invoice.number) if payable else ""
    if reference:
        rows.append((words("reference"), reference))
    link = invoice_payment_link(invoice, company.payment_link)
    if link:
        href = escape(link, {'"': "&quot;"})
        rows.append(
            (
                words("pay_online"),
                Paragraph(
                    f'<link href="{href}" color="blue"><u>{escape(link)}</u></link>', styles.body
                ),
            )
        )
    details, _ = _payment_details(rows, text_width)
    if reference:
        instruction = words("please_pay_reference", amount=amount, date=due, reference=reference)
    else:
        instruction = words("please_pay", amount=amount, date=due)
    text: list[Flowable] = [details, Spacer(1, 2 * mm), Paragraph(escape(instruction), styles.body)]
    if payload is None:
        return [Paragraph(escape(words("payment")), styles.heading), *text]
    qr: list[Flowable] = [
        _QrCode(payload, QR_SIZE),
        Paragraph(escape(words("scan_to_pay")), styles.footer),
    ]
    block = Table(
        [[text, qr]],
        colWidths=[text_width, qr_column],
        style=[
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            # The QR column's padding is the gap: its content is exactly QR_SIZE wide.
            ("LEFTPADDING", (1, 0), (1, 0), QR_GAP),
        ],
    )
    return [Paragraph(escape(words("payment")), styles.heading), block]


def _story(invoice: InvoiceDetail, company: _Company, words: _Words) -> list[Flowable]:
    styles = _styles()
    story: list[Flowable] = [_header(invoice, company, words), Spacer(1, 8 * mm)]
    if invoice.description.strip():
        story += [Paragraph(_text(invoice.description), styles.body), Spacer(1, 4 * mm)]
    story += [_lines_table(invoice, words), Spacer(1, 4 * mm)]
    closing: list[Flowable] = [_totals_table(invoice, words), Spacer(1, 6 * mm)]
    if invoice.notes.strip():
        closing += [Paragraph(_text(invoice.notes), styles.body), Spacer(1, 4 * mm)]
    story.append(KeepTogether(closing))
    payment = _payment_section(invoice, company, words)
    if payment:
        story.append(KeepTogether(payment))
    return story


def _marker(invoice: InvoiceDetail, words: _Words) -> str:
    if invoice.state == DocumentState.DRAFT:
        return words("draft_marker")
    if invoice.state == DocumentState.VOID:
        return words("void_marker")
    return ""


def _document_title(invoice: InvoiceDetail, words: _Words) -> str:
    return f"{_title(invoice, words)} {invoice.number}".strip()


def _render(invoice: InvoiceDetail, company: _Company, out: BinaryIO, words: _Words) -> None:
    decor = _page_decor(company, words, _marker(invoice, words))
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN - FRAME_PADDING,
        rightMargin=MARGIN - FRAME_PADDING,
        topMargin=MARGIN - FRAME_PADDING,
        bottomMargin=BOTTOM_MARGIN - FRAME_PADDING,
        title=_document_title(invoice, words),
        author=company.name,
        subject=words("subject", title=_title(invoice, words), customer=invoice.customer_name),
        creator="Duebook",
        lang=words.language,
        invariant=1,
    )
    try:
        doc.build(
            _story(invoice, company, words),
            onFirstPage=decor,
            onLaterPages=decor,
            canvasmaker=_PagedCanvas,
        )
    except PdfError:
        raise
    except Exception as exc:
        label = invoice.number or f"draft {invoice.id}"
        raise PdfError(f"cannot lay out the PDF of {label}: {exc}") from exc


def _write_file(invoice: InvoiceDetail, company: _Company, path: Path, words: _Words) -> None:
    """Render to memory, then replace the file in one step: no half-written PDFs."""
    buffer = io.BytesIO()
    _render(invoice, company, buffer, words)
    partial = path.with_name(f".{path.name}.part")
    try:
        partial.write_bytes(buffer.getvalue())
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise PdfError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _customer_languages(uow: UnitOfWork, invoice_ids: Sequence[int]) -> dict[int, str]:
    """The language of the customers of these invoices, by customer id.

    One query per 500 invoices, however many there are, rather than one per invoice.
    """
    ids = list(dict.fromkeys(invoice_ids))
    languages: dict[int, str] = {}
    with uow:
        for start in range(0, len(ids), _LOOKUP_CHUNK):
            rows = uow.session.execute(
                select(Customer.id, Customer.language)
                .join(Invoice, Invoice.customer_id == Customer.id)
                .where(Invoice.id.in_(ids[start : start + _LOOKUP_CHUNK]))
                .distinct()
            )
            languages.update((customer_id, language or "") for customer_id, language in rows)
    return languages


# --------------------------------------------------------------------------- public entry points


def render_invoice_pdf(
    invoice: InvoiceDetail,
    company: Mapping[str, str],
    target: Path | BinaryIO,
    locale: str | None = None,
    *,
    language: str | None = None,
) -> None:
    """Draw an invoice or credit note as a PDF; needs no database.

    Args:
        invoice: the document, as :func:`app.services.invoice_queries.get_invoice` returns it.
        company: the business settings by key (``company.name``, ``company.iban``,
            ``company.logo_path``, ``invoice.payment_link``, ``invoice.footer``...), as
            :func:`app.services.settings.load_settings` returns them; missing keys count as empty.
        target: a file path (written in one step, replacing it) or a binary stream.
        locale: how amounts (and, in the same language, dates) are written, e.g. ``"de_CH"``;
            ``None`` for the document language's own locale.
        language: the language to print in, e.g. ``"de"`` or ``"fr-CH"``; ``None`` for the
            language of ``company.country``. Languages without texts print in English.

    Raises:
        PdfError: the logo file is set but unreadable, the fonts are missing, a setting is
            malformed, or the file cannot be written.
        ValueError: the locale is unknown.
    """
    prepared = _company(company)
    words = _words(language, locale, prepared.country)
    if isinstance(target, Path):
        _write_file(invoice, prepared, target, words)
    else:
        _render(invoice, prepared, target, words)


def write_invoice_pdf(
    uow: UnitOfWork,
    invoice_id: int,
    target: Path,
    today: date,
    locale: str | None = None,
    *,
    language: str | None = None,
) -> Path:
    """Write one invoice's PDF; a draft gets a DRAFT marker and no number, reference or QR code.

    Args:
        uow: the unit of work to read the invoice and settings with.
        invoice_id: the invoice or credit note.
        target: the PDF file to write, or an existing folder to write ``<number>.pdf`` into.
        today: the date the invoice's status is seen on.
        locale: how amounts (and, in the same language, dates) are written; ``None`` for the
            document language's own locale.
        language: the language to print in; ``None`` for the customer's (``Customer.language``),
            or the language of ``company.country`` when the customer has none.

    Returns:
        The path of the file written.

    Raises:
        InvoicingError: there is no such invoice.
        PdfError: the PDF cannot be made or written (the message says why).
        ValueError: the locale is unknown.
    """
    settings = load_settings(uow)
    company = _company(settings)
    invoice = get_invoice(uow, invoice_id, today)
    if language is None:
        language = _customer_languages(uow, [invoice_id]).get(invoice.customer_id, "")
    words = _words(language, locale, company.country)
    path = target / invoice_pdf_name(invoice) if target.is_dir() else target
    _write_file(invoice, company, path, words)
    return path


def export_invoice_pdfs(
    uow: UnitOfWork,
    invoice_ids: Sequence[int],
    folder: Path,
    today: date,
    ctx: TaskContext,
    locale: str | None = None,
    *,
    language: str | None = None,
) -> list[Path]:
    """Write the PDFs of several invoices into a folder as ``<number>.pdf``.

    Progress goes to ``ctx.report(done, total, file name)``; a cancel request is honoured before
    each invoice. The batch is all or nothing: when it is cancelled or fails, the files it had
    already written are removed again.

    Args:
        uow: the unit of work to read invoices and settings with.
        invoice_ids: the invoices and credit notes, in the order to write them.
        folder: where the files go; created if missing.
        today: the date the invoices' status is seen on.
        ctx: progress and cancel.
        locale: how amounts (and, in the same language, dates) are written; ``None`` for each
            document language's own locale.
        language: the language to print every document in; ``None`` for each customer's
            (looked up once for the whole batch), or the language of ``company.country`` when a
            customer has none.

    Returns:
        The files written, in the order of ``invoice_ids``.

    Raises:
        TaskCancelledError: the user cancelled; nothing of the batch is left in the folder.
        InvoicingError: an invoice does not exist.
        PdfError: a PDF cannot be made or written.
        ValueError: the locale is unknown.
    """
    settings = load_settings(uow)
    company = _company(settings)
    languages = _customer_languages(uow, invoice_ids) if language is None else {}
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PdfError(f"cannot create the folder {folder}: {exc.strerror or exc}") from exc
    total = len(invoice_ids)
    ctx.report(0, total, "")
    written: list[Path] = []
    names: set[str] = set()
    finished = False
    try:
        for done, invoice_id in enumerate(invoice_ids, start=1):
            ctx.check_cancelled()
            invoice = get_invoice(uow, invoice_id, today)
            name = invoice_pdf_name(invoice)
            if name in names:
                name = f"{name.removesuffix('.pdf')}-{invoice.id}.pdf"
            path = folder / name
            chosen = language if language is not None else languages.get(invoice.customer_id, "")
            _write_file(invoice, company, path, _words(chosen, locale, company.country))
            names.add(name)
            written.append(path)
            ctx.report(done, total, name)
        finished = True
    finally:
        if not finished:
            for path in written:
                path.unlink(missing_ok=True)
    return written
