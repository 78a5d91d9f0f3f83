"""The statement of account: a customer's open items, their aging and how to pay, as a PDF.

Built from the invoice PDF's parts (:mod:`app.services.pdf_invoices`: fonts, styles, the company
block, page numbers) and printed in the customer's language (:mod:`app.services.pdf_texts`). The
open items table flows over as many pages as it needs; each later page repeats the table's
heading under a running header naming the statement, the customer and the date.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.company import Setting
from app.models.customer import Customer
from app.services.aging import BUCKETS, CustomerAging, aging_of_customer
from app.services.customers import CustomerError
from app.services.dto import InvoiceRow
from app.services.iban import creditor_reference
from app.services.invoice_queries import open_invoice_rows
from app.services.pdf_invoices import (
    _CELL_PADDING,
    _GREY,
    _LIST_TABLE_STYLE,
    _RULE,
    BOTTOM_MARGIN,
    CONTENT_WIDTH,
    FONT,
    FONT_BOLD,
    FRAME_PADDING,
    LABEL_GAP,
    MARGIN,
    META_WIDTH,
    PAGE_HEIGHT,
    PdfError,
    _bank_rows,
    _cell,
    _column_widths,
    _Company,
    _company,
    _customer_lines,
    _head_cells,
    _label_width,
    _page_decor,
    _PagedCanvas,
    _PageDecor,
    _payment_details,
    _sender_block,
    _styles,
    _Words,
    _words,
)
from app.services.settings import SETTINGS
from app.services.uow import UnitOfWork

#: The text key of each aging bucket's label, in :data:`app.services.aging.BUCKETS` order.
_BUCKET_KEYS: Final = dict(
    zip(
        BUCKETS,
        ("bucket_current", "bucket_1_30", "bucket_31_60", "bucket_61_90", "bucket_90_plus"),
        strict=True,
    )
)
#: Open items columns: text key and width (``None`` takes what is left).
_ITEM_COLUMNS: Final = (
    ("invoice_no", None),
    ("issue_date", 26 * mm),
    ("due_date", 26 * mm),
    ("total", 30 * mm),
    ("open_amount", 30 * mm),
    ("days_overdue", 20 * mm),
)


@dataclass(frozen=True)
class _Statement:
    """Everything a statement shows, read from the ledger in one transaction."""

    customer_code: str
    customer_name: str
    customer_address: str
    customer_country: str
    today: date
    items: tuple[InvoiceRow, ...]
    aging: CustomerAging


def _settings(session: Session) -> dict[str, str]:
    """The business settings, read in the caller's transaction (defaults where never set)."""
    stored = {row.key: row.value for row in session.scalars(select(Setting))}
    return {key: stored.get(key, spec.default) for key, spec in SETTINGS.items()}


def _header(statement: _Statement, company: _Company, words: _Words) -> Table:
    styles = _styles()
    country = statement.customer_country.strip().upper()
    left = _sender_block(company, country, words)
    customer = _customer_lines(
        statement.customer_name, statement.customer_address, country, company, words
    )
    rows = [(words("statement_date"), words.date(statement.today))]
    if statement.customer_code:
        rows.append((words("customer_no"), statement.customer_code))
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
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (0, -1), LABEL_GAP),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ],
        hAlign="RIGHT",
    )
    return Table(
        [
            [left or "", Paragraph(escape(words("statement")), styles.title)],
            [Paragraph("<br/>".join(customer), styles.body), meta],
        ],
        colWidths=[CONTENT_WIDTH - META_WIDTH, META_WIDTH],
        style=[
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 1), (-1, 1), 8 * mm),
        ],
    )


def _pay_link(template: str, row: InvoiceRow) -> str:
    """The payment link of an open item, for what is still open on it (``""`` without one)."""
    if not template or not row.number:
        return ""
    return template.format(
        number=quote(row.number, safe=""),
        amount=quote(f"{row.open_amount.amount:f}", safe=""),
        currency=quote(row.open_amount.currency, safe=""),
        reference=quote(creditor_reference(row.number), safe=""),
    )


def _items_table(items: Sequence[InvoiceRow], company: _Company, words: _Words) -> Table:
    styles = _styles()
    widths = _column_widths(_ITEM_COLUMNS)
    data: list[list[Any]] = [_head_cells([words(key) for key, _ in _ITEM_COLUMNS], widths)]
    for row in items:
        link = _pay_link(company.payment_link, row)
        number: str | Paragraph = row.number
        if link:
            href = escape(link, {'"': "&quot;"})
            number = Paragraph(
                f'<link href="{href}" color="blue">{escape(row.number)}</link>', styles.cell
            )
        data.append(
            [
                number,
                words.date(row.issue_date),
                words.date(row.due_date),
                words.money(row.total),
                words.money(row.open_amount),
                str(row.days_overdue) if row.days_overdue > 0 else "",
            ]
        )
    return Table(
        data,
        colWidths=widths,
        repeatRows=1,
        style=list(_LIST_TABLE_STYLE),
    )


def _aging_table(aging: CustomerAging, words: _Words) -> Table:
    """Bucket by bucket, one column per currency, then the total, unapplied cash and balance."""
    currencies = list(aging.by_currency.values())
    width = 32 * mm
    label_width = CONTENT_WIDTH - width * len(currencies)
    data: list[list[Any]] = [["", *(c.currency for c in currencies)]]
    for bucket in BUCKETS:
        data.append(
            [words(_BUCKET_KEYS[bucket]), *(words.money(c.buckets[bucket]) for c in currencies)]
        )
    first_total = len(data)
    data.append([words("total_open"), *(words.money(c.total_open) for c in currencies)])
    if any(c.unapplied for c in currencies):
        data.append([words("unapplied"), *(words.money(-c.unapplied) for c in currencies)])
        data.append([words("balance"), *(words.money(c.balance) for c in currencies)])
    return Table(
        data,
        colWidths=[label_width, *([width] * len(currencies))],
        style=[
            ("FONT", (0, 0), (-1, -1), FONT, 8.5),
            ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8.5),
            ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ("LINEBELOW", (0, 0), (-1, 0), 0.4, _RULE),
            ("LINEABOVE", (0, first_total), (-1, first_total), 0.4, _RULE),
            ("FONT", (0, -1), (-1, -1), FONT_BOLD, 9),
            ("LEFTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
        ],
    )


def _payment(statement: _Statement, company: _Company, words: _Words) -> list[Flowable]:
    styles = _styles()
    rows = _bank_rows(company, words)
    story: list[Flowable] = [Paragraph(escape(words("payment")), styles.heading)]
    if rows:
        story += [_payment_details(rows, CONTENT_WIDTH)[0], Spacer(1, 2 * mm)]
    overdue = [c.overdue for c in statement.aging.by_currency.values() if c.overdue]
    if overdue:
        amounts = ", ".join(words.money(amount) for amount in overdue)
        story.append(Paragraph(escape(words("please_pay_overdue", amount=amounts)), styles.body))
    story.append(Paragraph(escape(words("reference_hint")), styles.body))
    if company.payment_link and statement.items:
        story.append(Paragraph(escape(words("pay_online_hint")), styles.body))
    return story


def _story(statement: _Statement, company: _Company, words: _Words) -> list[Flowable]:
    styles = _styles()
    story: list[Flowable] = [_header(statement, company, words), Spacer(1, 8 * mm)]
    if not statement.items:
        story += [Paragraph(escape(words("nothing_open")), styles.body), Spacer(1, 4 * mm)]
    else:
        intro = words("statement_intro", date=words.date(statement.today))
        story += [Paragraph(escape(intro), styles.body), Spacer(1, 3 * mm)]
        story += [_items_table(statement.items, company, words), Spacer(1, 6 * mm)]
    if statement.aging.by_currency:
        summary = [
            Paragraph(escape(words("aging")), styles.heading),
            _aging_table(statement.aging, words),
        ]
        story += [KeepTogether(summary), Spacer(1, 6 * mm)]
    story.append(KeepTogether(_payment(statement, company, words)))
    return story


@dataclass(frozen=True)
class _RunningHeader:
    """Every page's footer and page number; later pages also name the statement at the top."""

    decor: _PageDecor
    text: str

    def __call__(self, canvas: Canvas, doc: SimpleDocTemplate) -> None:
        self.decor(canvas, doc)
        if canvas.getPageNumber() > 1:
            canvas.saveState()
            canvas.setFont(FONT, 7.5)
            canvas.setFillColor(_GREY)
            canvas.drawString(MARGIN, PAGE_HEIGHT - MARGIN + 3 * mm, self.text)
            canvas.restoreState()


def _render(statement: _Statement, settings: Mapping[str, str], language: str) -> bytes:
    company = _company(settings)
    words = _words(language, None, company.country)
    title = words("statement")
    running = _RunningHeader(
        _page_decor(company, words, ""),
        f"{title} · {statement.customer_name} · {words.date(statement.today)}",
    )
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN - FRAME_PADDING,
        rightMargin=MARGIN - FRAME_PADDING,
        topMargin=MARGIN - FRAME_PADDING + 4 * mm,
        bottomMargin=BOTTOM_MARGIN - FRAME_PADDING,
        title=f"{title} {statement.customer_name}",
        author=company.name,
        subject=words("subject", title=title, customer=statement.customer_name),
        creator="Duebook",
        lang=words.language,
        invariant=1,
    )
    try:
        doc.build(
            _story(statement, company, words),
            onFirstPage=running,
            onLaterPages=running,
            canvasmaker=_PagedCanvas,
        )
    except PdfError:
        raise
    except Exception as exc:
        raise PdfError(f"cannot lay out the statement of {statement.customer_name}: {exc}") from exc
    return buffer.getvalue()


def statement_pdf_bytes(session: Session, customer_id: int, today: date) -> bytes:
    """A customer's statement of account as PDF bytes, in the customer's language.

    Reads in the caller's transaction, so the mailer can attach it to the letter it is writing.

    Args:
        session: the transaction's session.
        customer_id: whose statement.
        today: the statement's date; amounts are aged on it.

    Raises:
        CustomerError: there is no such customer.
        PdfError: the fonts are missing, the logo is unreadable or a setting is malformed.
    """
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise CustomerError(f"there is no customer with id {customer_id}")
    statement = _Statement(
        customer_code=customer.code,
        customer_name=customer.name,
        customer_address=customer.address,
        customer_country=customer.country,
        today=today,
        items=tuple(open_invoice_rows(session, customer_id, today)),
        aging=aging_of_customer(session, customer_id, today),
    )
    return _render(statement, _settings(session), customer.language)


def write_statement_pdf(uow: UnitOfWork, customer_id: int, today: date, path: Path) -> Path:
    """Write a customer's statement of account to a file, replacing it in one step.

    Returns:
        The path written.

    Raises:
        CustomerError: there is no such customer.
        PdfError: the PDF cannot be made or written.
    """
    with uow:
        data = statement_pdf_bytes(uow.session, customer_id, today)
    partial = path.with_name(f".{path.name}.part")
    try:
        partial.write_bytes(data)
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise PdfError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path
