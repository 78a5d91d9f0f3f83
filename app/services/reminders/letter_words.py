"""The words a reminder letter gets from code rather than from its template, per language.

Greetings, the invoice table's headings, each invoice's state ("12 days overdue, partly paid")
and the totals sentence are worded here, so that a template only places them. Every language
has the same keys as English. ``{placeholders}`` are filled in with ``str.format``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

_EN: Final = {
    "greeting": "Dear {name},",
    "greeting_nobody": "Dear Sir or Madam,",
    "col_invoice": "Invoice",
    "col_issued": "Date",
    "col_due": "Due",
    "col_total": "Amount",
    "col_open": "Open",
    "col_state": "Status",
    "overdue_days": "{n} days overdue",
    "overdue_day": "1 day overdue",
    "due_today": "due today",
    "due_tomorrow": "due tomorrow",
    "due_in_days": "due in {n} days",
    "partly_paid": "partly paid",
    "state_join": ", ",
    "total_open": "Total open: {open}.",
    "total_less_credit": (
        "Total open: {open}, less {credit} in credit on your account: {balance} to pay."
    ),
    "total_covered": "Total open: {open}, covered by {credit} in credit on your account.",
    "and": " and ",
}

_DE: Final = {
    "greeting": "Guten Tag {name},",
    "greeting_nobody": "Sehr geehrte Damen und Herren,",
    "col_invoice": "Rechnung",
    "col_issued": "Datum",
    "col_due": "Fällig am",
    "col_total": "Betrag",
    "col_open": "Offen",
    "col_state": "Stand",
    "overdue_days": "{n} Tage überfällig",
    "overdue_day": "1 Tag überfällig",
    "due_today": "heute fällig",
    "due_tomorrow": "morgen fällig",
    "due_in_days": "fällig in {n} Tagen",
    "partly_paid": "teilweise bezahlt",
    "state_join": ", ",
    "total_open": "Offener Betrag: {open}.",
    "total_less_credit": (
        "Offener Betrag: {open}, abzüglich Ihres Guthabens von {credit}: noch zu zahlen {balance}."
    ),
    "total_covered": "Offener Betrag: {open}, gedeckt durch Ihr Guthaben von {credit}.",
    "and": " und ",
}

_FR: Final = {
    "greeting": "Bonjour {name},",
    "greeting_nobody": "Madame, Monsieur,",
    "col_invoice": "Facture",
    "col_issued": "Date",
    "col_due": "Échéance",
    "col_total": "Montant",
    "col_open": "Reste dû",
    "col_state": "Situation",
    "overdue_days": "en retard de {n} jours",
    "overdue_day": "en retard de 1 jour",
    "due_today": "échue aujourd'hui",
    "due_tomorrow": "échéance demain",
    "due_in_days": "échéance dans {n} jours",
    "partly_paid": "réglée en partie",
    "state_join": ", ",
    "total_open": "Total restant dû\u00a0: {open}.",
    "total_less_credit": (
        "Total restant dû\u00a0: {open}, moins l'avoir de {credit} sur votre compte\u00a0: "
        "{balance} à régler."
    ),
    "total_covered": (
        "Total restant dû\u00a0: {open}, couvert par l'avoir de {credit} sur votre compte."
    ),
    "and": " et ",
}

_ES: Final = {
    "greeting": "Estimado/a {name}:",
    "greeting_nobody": "Estimados señores:",
    "col_invoice": "Factura",
    "col_issued": "Fecha",
    "col_due": "Vencimiento",
    "col_total": "Importe",
    "col_open": "Pendiente",
    "col_state": "Situación",
    "overdue_days": "vencida hace {n} días",
    "overdue_day": "vencida hace 1 día",
    "due_today": "vence hoy",
    "due_tomorrow": "vence mañana",
    "due_in_days": "vence en {n} días",
    "partly_paid": "pagada en parte",
    "state_join": ", ",
    "total_open": "Total pendiente: {open}.",
    "total_less_credit": (
        "Total pendiente: {open}, menos el saldo a su favor de {credit}: {balance} por pagar."
    ),
    "total_covered": "Total pendiente: {open}, cubierto por el saldo a su favor de {credit}.",
    "and": " y ",
}

_NL: Final = {
    "greeting": "Geachte {name},",
    "greeting_nobody": "Geachte heer, mevrouw,",
    "col_invoice": "Factuur",
    "col_issued": "Datum",
    "col_due": "Vervaldatum",
    "col_total": "Bedrag",
    "col_open": "Openstaand",
    "col_state": "Status",
    "overdue_days": "{n} dagen over de vervaldatum",
    "overdue_day": "1 dag over de vervaldatum",
    "due_today": "vervalt vandaag",
    "due_tomorrow": "vervalt morgen",
    "due_in_days": "vervalt over {n} dagen",
    "partly_paid": "gedeeltelijk betaald",
    "state_join": ", ",
    "total_open": "Totaal openstaand: {open}.",
    "total_less_credit": (
        "Totaal openstaand: {open}, min uw tegoed van {credit}: nog te betalen {balance}."
    ),
    "total_covered": "Totaal openstaand: {open}, gedekt door uw tegoed van {credit}.",
    "and": " en ",
}

#: The letter words of each language a reminder is written in, by ISO 639-1 code.
WORDS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        code: MappingProxyType(words)
        for code, words in {"en": _EN, "de": _DE, "fr": _FR, "es": _ES, "nl": _NL}.items()
    }
)


def invoice_state(words: Mapping[str, str], days_overdue: int, partly_paid: bool) -> str:
    """Where an invoice stands in words: ``"12 days overdue, partly paid"``, ``"due in 3 days"``.

    Args:
        words: one language's entry of :data:`WORDS`.
        days_overdue: days past the due date; negative is days until it.
        partly_paid: whether part of it is already settled.
    """
    if days_overdue > 1:
        state = words["overdue_days"].format(n=days_overdue)
    elif days_overdue == 1:
        state = words["overdue_day"]
    elif days_overdue == 0:
        state = words["due_today"]
    elif days_overdue == -1:
        state = words["due_tomorrow"]
    else:
        state = words["due_in_days"].format(n=-days_overdue)
    return state + words["state_join"] + words["partly_paid"] if partly_paid else state
