"""Business settings by dotted key (``company.name``), stored in the ledger's settings table."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from email.utils import parseaddr
from pathlib import Path

from sqlalchemy import select

from app.models.company import Setting, TaxRate
from app.models.money import is_currency_code
from app.services.audit import record_audit
from app.services.iban import normalize_iban
from app.services.text_checks import has_line_break, is_email_address
from app.services.uow import UnitOfWork


class SettingError(ValueError):
    """An unknown key or a value that does not fit the key."""


def _text(value: str) -> str:
    """Free text that may span lines (an address, a footer)."""
    return value.strip()


def _line(value: str) -> str:
    """One line of text; a line break could smuggle a header into an email."""
    if has_line_break(value.strip()):
        raise SettingError("expected one line of text, without line breaks")
    return value.strip()


def _email(value: str) -> str:
    address = _line(value)
    if address and not is_email_address(parseaddr(address)[1]):
        raise SettingError(f"expected an email address such as billing@example.com, got {value!r}")
    return address


def _country(value: str) -> str:
    code = _line(value).upper()
    if code and not re.fullmatch(r"[A-Z]{2}", code):
        raise SettingError(f"expected a two-letter ISO country code such as DE, got {value!r}")
    return code


def _currency(value: str) -> str:
    code = value.strip().upper()
    if not is_currency_code(code):
        raise SettingError(f"expected an ISO 4217 currency code such as EUR, got {value!r}")
    return code


def _non_negative_int(value: str) -> str:
    if not re.fullmatch(r"[0-9]{1,5}", value.strip()):
        raise SettingError(f"expected a whole number of days, got {value!r}")
    return str(int(value))


def _port(value: str) -> str:
    if not re.fullmatch(r"[0-9]{1,5}", value.strip()) or not 0 < int(value) < 65536:
        raise SettingError(f"expected a port number from 1 to 65535, got {value!r}")
    return str(int(value))


def _iban(value: str) -> str:
    if not value.strip():
        return ""
    try:
        return normalize_iban(value)
    except ValueError as exc:
        raise SettingError(str(exc)) from exc


def _number_pattern(value: str) -> str:
    try:
        sample = format_number(value.strip(), date(2026, 1, 1), 1)
    except (KeyError, ValueError, IndexError) as exc:
        raise SettingError(
            f"expected a pattern with {{seq}} and optionally {{year}}, {{month}}, e.g. "
            f"INV-{{year}}-{{seq:05}}; got {value!r}"
        ) from exc
    if "{seq" not in value or not sample:
        raise SettingError(f"the number pattern must contain {{seq}}, got {value!r}")
    if len(format_number(value.strip(), date(2026, 12, 31), 10**7)) > MAX_NUMBER_LENGTH:
        raise SettingError(f"numbers from this pattern would exceed {MAX_NUMBER_LENGTH} characters")
    if has_line_break(value):
        raise SettingError("expected one line of text, without line breaks")
    return value.strip()


def _payment_link(value: str) -> str:
    link = _line(value)
    if link and not re.match(r"^https?://", link):
        raise SettingError(f"expected a URL starting with https://, got {value!r}")
    try:
        link.format(number="X", amount="1.00", currency="EUR", reference="RF00X")
    except (KeyError, ValueError, IndexError) as exc:
        raise SettingError(
            "the payment link may use only {number}, {amount}, {currency} and {reference}"
        ) from exc
    return link


def _choice(*options: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value.strip() not in options:
            raise SettingError(f"expected one of {', '.join(options)}, got {value!r}")
        return value.strip()

    return check


def _decimal(value: str) -> str:
    """A non-negative decimal written with a point, such as ``1`` or ``15.00``."""
    if not re.fullmatch(r"[0-9]{1,7}(\.[0-9]{1,2})?", value.strip()):
        raise SettingError(
            f"expected a number such as 15.00 (a point, no thousands), got {value!r}"
        )
    return value.strip()


def _yes_no(value: str) -> str:
    """A switch, stored as ``yes`` or ``no``; true/false, on/off and 1/0 are understood."""
    word = value.strip().lower()
    if word in {"yes", "true", "on", "1"}:
        return "yes"
    if word in {"no", "false", "off", "0"}:
        return "no"
    raise SettingError(f"expected yes or no, got {value!r}")


def _count(value: str) -> str:
    """A whole number, 0 or more (0 often meaning "no limit")."""
    if not re.fullmatch(r"[0-9]{1,6}", value.strip()):
        raise SettingError(f"expected a whole number, got {value!r}")
    return str(int(value))


def _minutes(value: str) -> str:
    if not re.fullmatch(r"[0-9]{1,4}", value.strip()) or not 1 <= int(value) <= 1440:
        raise SettingError(f"expected a number of minutes from 1 to 1440, got {value!r}")
    return str(int(value))


def _existing_file(value: str) -> str:
    """A path to a readable file, or empty."""
    path_text = _line(value)
    if path_text and not Path(path_text).expanduser().is_file():
        raise SettingError(f"no such file: {path_text}")
    return path_text


def _time(value: str) -> str:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value.strip()):
        raise SettingError(f"expected a time as HH:MM, got {value!r}")
    return value.strip()


#: The longest document number the ledger holds (``invoices.number``).
MAX_NUMBER_LENGTH = 50


@dataclass(frozen=True)
class SettingSpec:
    """A known setting: its default and how a value is checked and normalised."""

    default: str
    check: Callable[[str], str]
    label: str


SETTINGS: dict[str, SettingSpec] = {
    "company.name": SettingSpec("", _line, "Company name"),
    "company.address": SettingSpec("", _text, "Address"),
    "company.country": SettingSpec("", _country, "Country (ISO code)"),
    "company.email": SettingSpec("", _email, "Email"),
    "company.phone": SettingSpec("", _line, "Phone"),
    "company.vat_id": SettingSpec("", _line, "VAT number"),
    "company.currency": SettingSpec("EUR", _currency, "Home currency"),
    "company.iban": SettingSpec("", _iban, "IBAN"),
    "company.bic": SettingSpec("", _line, "BIC"),
    "company.bank_name": SettingSpec("", _line, "Bank"),
    "company.logo_path": SettingSpec("", _line, "Logo file"),
    "invoice.number_pattern": SettingSpec("INV-{year}-{seq:05}", _number_pattern, "Numbers"),
    "invoice.credit_note_pattern": SettingSpec(
        "CN-{year}-{seq:05}", _number_pattern, "Credit note numbers"
    ),
    "invoice.payment_terms_days": SettingSpec("30", _non_negative_int, "Payment terms (days)"),
    "invoice.payment_link": SettingSpec("", _payment_link, "Payment link"),
    "invoice.footer": SettingSpec("", _text, "Invoice footer"),
    "smtp.host": SettingSpec("", _line, "SMTP server"),
    "smtp.port": SettingSpec("587", _port, "SMTP port"),
    "smtp.security": SettingSpec("starttls", _choice("starttls", "tls", "none"), "Security"),
    "smtp.user": SettingSpec("", _line, "SMTP user"),
    "smtp.from": SettingSpec("", _email, "From address"),
    "smtp.from_name": SettingSpec("", _line, "Sender name"),
    "smtp.reply_to": SettingSpec("", _email, "Reply-to address"),
    "smtp.bcc_self": SettingSpec("no", _yes_no, "Send me a blind copy"),
    "smtp.ca_file": SettingSpec("", _existing_file, "Trusted certificates (CA file)"),
    "smtp.per_minute": SettingSpec("60", _count, "Emails per minute, at most (0: no limit)"),
    "mail.paused": SettingSpec("no", _yes_no, "Pause all sending"),
    "mail.receipts": SettingSpec("no", _yes_no, "Email a receipt when a payment is applied"),
    "mail.check_minutes": SettingSpec("5", _minutes, "Send the outbox every (minutes)"),
    "reminders.send_time": SettingSpec("09:00", _time, "Send reminders at"),
    "reminders.min_interval_days": SettingSpec(
        "5", _non_negative_int, "Days between reminders, at least"
    ),
    "reminders.promise_grace_days": SettingSpec(
        "3", _non_negative_int, "Promise to pay: days of grace"
    ),
    "reminders.stale_bank_days": SettingSpec(
        "7", _non_negative_int, "Warn when the bank statement is older than (days)"
    ),
    "matching.writeoff_percent": SettingSpec("1", _decimal, "Bank fees: at most (% of open)"),
    "matching.writeoff_max": SettingSpec("15.00", _decimal, "Bank fees: at most (amount)"),
}


def format_number(pattern: str, issue_date: date, seq: int) -> str:
    """A document number from a pattern such as ``INV-{year}-{seq:05}``."""
    return pattern.format(year=issue_date.year, month=f"{issue_date.month:02}", seq=seq)


def load_settings(uow: UnitOfWork) -> dict[str, str]:
    """Every known setting with its stored value or its default."""
    with uow:
        stored = {row.key: row.value for row in uow.session.scalars(select(Setting))}
    return {key: stored.get(key, spec.default) for key, spec in SETTINGS.items()}


def get_setting(uow: UnitOfWork, key: str) -> str:
    """One setting's value (its default when never set)."""
    spec = _spec(key)
    with uow:
        row = uow.session.get(Setting, key)
        return row.value if row else spec.default


def save_settings(uow: UnitOfWork, values: dict[str, str]) -> dict[str, str]:
    """Check and store several settings in one transaction; all or nothing.

    Returns:
        The normalised values that were stored.

    Raises:
        SettingError: a key is unknown or a value does not fit; the message names the key.
    """
    normalised: dict[str, str] = {}
    for key, value in values.items():
        try:
            normalised[key] = _spec(key).check(value)
        except SettingError as exc:
            raise SettingError(f"{key}: {exc}") from exc
    with uow:
        for key, value in normalised.items():
            row = uow.session.get(Setting, key)
            before = row.value if row else None
            if row is None:
                uow.session.add(Setting(key=key, value=value))
            else:
                row.value = value
            if before != value:
                record_audit(
                    uow.session, uow.actor, "set", "setting", None, {key: before}, {key: value}
                )
        uow.commit()
    return normalised


def _spec(key: str) -> SettingSpec:
    try:
        return SETTINGS[key]
    except KeyError:
        raise SettingError(
            f"unknown setting {key!r}; known: {', '.join(sorted(SETTINGS))}"
        ) from None


@dataclass(frozen=True)
class TaxRateView:
    """A tax rate offered on invoice lines."""

    name: str
    percent: Decimal
    is_default: bool = False


DEFAULT_TAX_RATES = (
    TaxRateView("Standard", Decimal(19), True),
    TaxRateView("Reduced", Decimal(7)),
    TaxRateView("Zero / reverse charge", Decimal(0)),
)


def list_tax_rates(uow: UnitOfWork) -> list[TaxRateView]:
    """The active tax rates, the default first; the built-in set when none were saved."""
    with uow:
        rates = [
            TaxRateView(r.name, Decimal(r.rate_bp) / 100, r.is_default)
            for r in uow.session.scalars(select(TaxRate).where(TaxRate.active))
        ]
    if not rates:
        return list(DEFAULT_TAX_RATES)
    return sorted(rates, key=lambda r: (not r.is_default, -r.percent))


def save_tax_rates(uow: UnitOfWork, rates: list[TaxRateView]) -> None:
    """Replace the offered tax rates; earlier ones are kept inactive (old invoices name them).

    Raises:
        SettingError: a rate is outside 0..100, a name is empty, or there is no rate at all.
    """
    if not rates:
        raise SettingError("tax rates: keep at least one rate (0% for none)")
    for rate in rates:
        if not rate.name.strip():
            raise SettingError("tax rates: every rate needs a name")
        if not Decimal(0) <= rate.percent <= Decimal(100):
            raise SettingError(f"tax rates: {rate.percent}% is not between 0 and 100")
    with uow:
        for row in uow.session.scalars(select(TaxRate).where(TaxRate.active)):
            row.active = False
        has_default = any(r.is_default for r in rates)
        for i, rate in enumerate(rates):
            uow.session.add(
                TaxRate(
                    name=rate.name.strip(),
                    rate_bp=int((rate.percent * 100).to_integral_value()),
                    is_default=rate.is_default or (not has_default and i == 0),
                )
            )
        record_audit(
            uow.session, uow.actor, "set", "tax_rates", None,
            after={r.name: str(r.percent) for r in rates},
        )  # fmt: skip
        uow.commit()
