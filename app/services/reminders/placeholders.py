"""The placeholders a reminder template sees, formatted for the letter's language.

A template gets plain values and small read-only objects, never ORM rows or services:

- ``company.name``, ``company.email``, ``company.phone``, ``company.iban`` (in groups of four),
  ``company.bic``; ``customer.name``, ``customer.code``; ``contact_name`` (may be empty).
- ``greeting``: "Dear Alex Example," or, without a contact name, "Dear Sir or Madam,".
- ``invoices``: each with ``number``, ``issue_date``, ``due_date``, ``total``, ``open`` (dates
  and amounts formatted), ``days_overdue`` (negative: days until due), ``partly_paid`` and
  ``state`` ("12 days overdue, partly paid").
- ``invoice_table``: the invoices as an aligned plain-text table in the text body and as an
  HTML ``<table>`` in the HTML body.
- ``totals``: per currency ``currency``, ``open``, ``credit``, ``balance``, ``sentence``;
  ``totals_text`` the sentences in one piece (open less credit on the account, worded);
  ``total_due`` the balances to pay ("€1,034.50 and £200.00").
- ``count``, ``overdue_count``, ``oldest_days_overdue``, ``earliest_due_date``,
  ``payment_link``, ``step_name``, ``tone``, ``language``, ``today`` (formatted) and
  ``in_days(n)``, the date ``n`` days from today, formatted.
- ``reminded_before``: true when a reminder email was sent or queued earlier for at least one
  of the letter's invoices (a cancelled or failed one does not count); false in a first letter,
  such as the firm letter a backlog imported already overdue gets. A letter speaks of earlier
  reminders only inside ``{% if reminded_before %}``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from markupsafe import Markup

from app.models.money import Money, currency_exponent, sum_by_currency
from app.services.iban import format_iban
from app.services.money_format import format_date, format_money
from app.services.reminders.letter_words import WORDS, invoice_state
from app.services.reminders.reminder_context import ReminderContext, ReminderInvoice
from app.services.reminders.sandbox import CompanyFields, CustomerFields

#: The languages reminders are written in; any other gets English.
LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "nl")
DEFAULT_LANGUAGE = "en"

_WEB_LINK = re.compile(r"^https?://\S+$")

#: The placeholders as the template editor lists them beneath the bodies.
PLACEHOLDER_HELP = (
    "Placeholders: {{ greeting }}, {{ customer.name }}, {{ company.name }}, {{ invoice_table }}, "
    "{{ total_due }}, {{ totals_text }}, {{ payment_link }}, {{ in_days(7) }}; "
    "{% for invoice in invoices %}…{% endfor %} with invoice.number, .due_date, .open, .state.\n"
    "{% if reminded_before %}…{% endif %}: true when a reminder about one of the letter's "
    "invoices was emailed or queued before; false in a first letter (an imported backlog), "
    "which must not speak of earlier reminders."
)


def letter_language(language: str) -> str:
    """The language a letter is written in: ``"de"`` for ``"de-AT"``, ``"en"`` for ``"it"``."""
    code = re.split(r"[-_]", language.strip(), maxsplit=1)[0].lower()
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class InvoiceFields:
    """One invoice as a template sees it, dates and amounts formatted."""

    number: str
    issue_date: str
    due_date: str
    total: str
    open: str
    days_overdue: int
    partly_paid: bool
    state: str


@dataclass(frozen=True)
class TotalFields:
    """What is open in one currency, the credit on the account, and the balance, worded."""

    currency: str
    open: str
    credit: str
    balance: str
    sentence: str


@functools.lru_cache(maxsize=4096)
def _date(day: date, language: str) -> str:
    return format_date(day, language)


@functools.lru_cache(maxsize=256)
def _money_shape(currency: str, language: str) -> tuple[str, str, str, str] | None:
    """How ``format_money`` writes a currency in a language: prefix, separators, suffix.

    ``None`` when the shape cannot be read off its output or does not hold for other amounts.
    Babel takes about 80 µs per amount, a pass over thousands of letters formats tens of
    thousands of amounts; the shape is read once from ``format_money`` itself and checked.
    """
    places = currency_exponent(currency)
    probe = format_money(Money(int("1234567" + "9" * places), currency), language)
    decimals = rf"(\D+)9{{{places}}}" if places else "()"
    match = re.fullmatch(rf"(\D*)1(?P<group>\D+)234(?P=group)567{decimals}(\D*)", probe)
    if match is None:
        return None
    shape = (match[1], match["group"], match[3], match[4])
    checks = (0, 5, 99999, 123456, 10**12 + 7)
    if any(
        _shaped(shape, minor, places) != format_money(Money(minor, currency), language)
        for minor in checks
    ):
        return None
    return shape


def _shaped(shape: tuple[str, str, str, str], minor: int, places: int) -> str:
    prefix, group, decimal, suffix = shape
    units, cents = divmod(minor, 10**places)
    number = f"{units:,}".replace(",", group)
    return (
        f"{prefix}{number}{decimal}{cents:0{places}d}{suffix}"
        if places
        else f"{prefix}{number}{suffix}"
    )


def _money(money: Money, language: str) -> str:
    """``format_money`` of an amount, without its cost for amounts of zero and more."""
    shape = _money_shape(money.currency, language) if money.minor >= 0 else None
    if shape is None:
        return format_money(money, language)
    return _shaped(shape, money.minor, currency_exponent(money.currency))


def _invoice(invoice: ReminderInvoice, language: str, words: Mapping[str, str]) -> InvoiceFields:
    return InvoiceFields(
        number=invoice.number,
        issue_date=_date(invoice.issue_date, language),
        due_date=_date(invoice.due_date, language),
        total=_money(invoice.total, language),
        open=_money(invoice.open, language),
        days_overdue=invoice.days_overdue,
        partly_paid=invoice.partly_paid,
        state=invoice_state(words, invoice.days_overdue, invoice.partly_paid),
    )


def _totals(context: ReminderContext, language: str) -> list[TotalFields]:
    """Open amounts per currency of the letter's invoices, less the credit in that currency."""
    words = WORDS[language]
    credits = sum_by_currency(context.unapplied)
    totals = []
    for currency, open_ in sum_by_currency(i.open for i in context.invoices).items():
        credit = max(credits.get(currency, Money.zero(currency)), Money.zero(currency))
        balance = max(open_ - credit, Money.zero(currency))
        key = "total_open" if not credit else "total_less_credit" if balance else "total_covered"
        amounts = {
            "open": _money(open_, language),
            "credit": _money(credit, language) if credit else "",
            "balance": _money(balance, language),
        }
        sentence = words[key].format(**amounts)
        totals.append(TotalFields(currency=currency, sentence=sentence, **amounts))
    return totals


def _text_table(rows: tuple[InvoiceFields, ...], words: Mapping[str, str]) -> str:
    """The invoices as a plain-text table: columns two spaces apart, amounts aligned right."""
    header = [words[k] for k in ("col_invoice", "col_issued", "col_due", "col_total", "col_open")]
    cells = [header] + [[r.number, r.issue_date, r.due_date, r.total, r.open] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    states = [words["col_state"]] + [r.state for r in rows]
    lines = []
    for row, state in zip(cells, states, strict=True):
        left = [row[i].ljust(widths[i]) for i in range(3)]
        right = [row[i].rjust(widths[i]) for i in range(3, 5)]
        lines.append("  ".join([*left, *right, state]).rstrip())
    return "\n".join(lines)


#: The invoice table's heading row and one of its rows; ``%`` escapes each value put in.
_HEAD_ROW = Markup(
    "<thead><tr>"
    '<th style="padding:4px 10px;border-bottom:1px solid #999;text-align:left">%s</th>'
    '<th style="padding:4px 10px;border-bottom:1px solid #999;text-align:left">%s</th>'
    '<th style="padding:4px 10px;border-bottom:1px solid #999;text-align:left">%s</th>'
    '<th style="padding:4px 10px;border-bottom:1px solid #999;text-align:right">%s</th>'
    '<th style="padding:4px 10px;border-bottom:1px solid #999;text-align:right">%s</th>'
    '<th style="padding:4px 10px;border-bottom:1px solid #999;text-align:left">%s</th>'
    "</tr></thead>"
)
_ROW = Markup(
    "<tr>"
    '<td style="padding:4px 10px;border-bottom:1px solid #ddd;text-align:left">%s</td>'
    '<td style="padding:4px 10px;border-bottom:1px solid #ddd;text-align:left">%s</td>'
    '<td style="padding:4px 10px;border-bottom:1px solid #ddd;text-align:left">%s</td>'
    '<td style="padding:4px 10px;border-bottom:1px solid #ddd;text-align:right">%s</td>'
    '<td style="padding:4px 10px;border-bottom:1px solid #ddd;text-align:right">%s</td>'
    '<td style="padding:4px 10px;border-bottom:1px solid #ddd;text-align:left">%s</td>'
    "</tr>"
)
_TABLE = Markup('<table style="border-collapse:collapse">%s<tbody>%s</tbody></table>')
_COLUMNS = ("col_invoice", "col_issued", "col_due", "col_total", "col_open", "col_state")


def _html_table(rows: tuple[InvoiceFields, ...], words: Mapping[str, str]) -> Markup:
    """The invoices as an HTML table; every cell's text is escaped."""
    head = _HEAD_ROW % tuple(words[key] for key in _COLUMNS)
    body = Markup("").join(
        _ROW % (r.number, r.issue_date, r.due_date, r.total, r.open, r.state) for r in rows
    )
    return _TABLE % (head, body)


def letter_fields(context: ReminderContext) -> tuple[dict[str, Any], dict[str, Any]]:
    """The placeholders of a letter: one set for the text body, one for the HTML body.

    They differ only in ``invoice_table``; subjects use the text set.
    """
    language = letter_language(context.language)
    words = WORDS[language]
    rows = tuple(_invoice(invoice, language, words) for invoice in context.invoices)
    totals = tuple(_totals(context, language))
    today = context.today

    def in_days(days: int) -> str:
        return _date(today + timedelta(days=int(days)), language)

    contact = context.contact_name.strip()
    fields: dict[str, Any] = {
        "language": language,
        "company": CompanyFields(
            name=context.company_name,
            email=context.company_email,
            phone=context.company_phone,
            iban=format_iban(context.company_iban.replace(" ", "")),
            bic=context.company_bic,
        ),
        "customer": CustomerFields(name=context.customer_name, code=context.customer_code),
        "contact_name": contact,
        "greeting": words["greeting"].format(name=contact) if contact else words["greeting_nobody"],
        "invoices": rows,
        "count": len(rows),
        "overdue_count": sum(1 for r in rows if r.days_overdue > 0),
        "oldest_days_overdue": max((r.days_overdue for r in rows), default=0),
        "earliest_due_date": _date(min(i.due_date for i in context.invoices), language)
        if context.invoices
        else "",
        "totals": totals,
        "totals_text": "\n".join(t.sentence for t in totals),
        "total_due": words["and"].join(t.balance for t in totals),
        "payment_link": context.payment_link if _WEB_LINK.match(context.payment_link) else "",
        "step_name": context.step_name,
        "tone": context.tone,
        "reminded_before": context.reminded_before,
        "today": _date(today, language),
        "in_days": in_days,
    }
    text = fields | {"invoice_table": _text_table(rows, words)}
    html = fields | {"invoice_table": _html_table(rows, words)}
    return text, html
