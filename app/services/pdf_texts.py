"""The words on invoice and statement PDFs in each language they are printed in, and which one.

Every language has the same keys as English (a test checks it). Texts are plain text, not
markup; the PDF escapes them. ``{placeholders}`` are filled in with ``str.format``:
``{days}``, ``{amount}``, ``{date}``, ``{reference}``, ``{invoice}``, ``{reason}``, ``{rate}``,
``{vat_id}``, ``{title}``, ``{customer}``, ``{n}`` and ``{total}``. ``page`` ends with
``{total}``, because the page count is drawn after the rest of the line.

A document's language is the customer's (``Customer.language``: ``de``, ``fr-CH``, ``en``...);
a customer without one gets the language of the company's country, and anything else English.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from babel import Locale, UnknownLocaleError
from babel.languages import get_official_languages

DEFAULT_LANGUAGE: Final = "en"

_EN: Final = {
    "invoice": "Invoice",
    "credit_note": "Credit note",
    "draft_invoice": "Draft invoice",
    "draft_credit_note": "Draft credit note",
    "bill_to": "Bill to",
    "invoice_no": "Invoice no.",
    "credit_note_no": "Credit note no.",
    "issue_date": "Issue date",
    "credit_note_date": "Date",
    "credits_invoice": "Credits invoice",
    "due_date": "Due date",
    "terms": "Terms",
    "payable_within_days": "Payable within {days} days",
    "payable_within_one_day": "Payable within 1 day",
    "payable_on_receipt": "Payable on receipt",
    "po_number": "PO number",
    "customer_no": "Customer no.",
    "reference": "Reference",
    "vat_id": "VAT no. {vat_id}",
    "description": "Description",
    "qty": "Qty",
    "unit_price": "Unit price",
    "discount": "Discount",
    "tax": "Tax",
    "net": "Net",
    "tax_rate": "Tax rate",
    "tax_base": "Net",
    "vat_rate": "VAT {rate}",
    "net_total": "Net total",
    "tax_total": "Tax total",
    "total": "Total",
    "total_credited": "Total credited",
    "payment": "Payment",
    "amount_due": "Amount due",
    "bank": "Bank",
    "iban": "IBAN",
    "bic": "BIC",
    "pay_online": "Pay online",
    "please_pay": "Please pay {amount} by {date}.",
    "please_pay_reference": "Please pay {amount} by {date}, quoting the reference {reference}.",
    "scan_to_pay": "Scan to pay (SEPA)",
    "credit_note_notice": (
        "This credit note reduces the amount due on invoice {invoice} by {amount}."
    ),
    "credit_note_notice_no_invoice": "This credit note reduces the amount due by {amount}.",
    "void_notice": "This invoice is void. Please do not pay it.",
    "void_notice_reason": "This invoice is void: {reason}. Please do not pay it.",
    "draft_marker": "DRAFT",
    "void_marker": "VOID",
    "page": "Page {n} of {total}",
    "subject": "{title} for {customer}",
    # Statement of account
    "statement": "Statement of account",
    "statement_date": "Date",
    "statement_intro": "Your account with us on {date}: the invoices still open.",
    "nothing_open": "There are no open items on your account.",
    "open_amount": "Open",
    "days_overdue": "Days overdue",
    "aging": "Open amounts by age",
    "bucket_current": "Not yet due",
    "bucket_1_30": "1-30 days overdue",
    "bucket_31_60": "31-60 days overdue",
    "bucket_61_90": "61-90 days overdue",
    "bucket_90_plus": "Over 90 days overdue",
    "total_open": "Total open",
    "unapplied": "Payments and credit not yet applied",
    "balance": "Balance",
    "please_pay_overdue": "Please pay the overdue {amount} now.",
    "reference_hint": (
        "Please quote the invoice number, or the reference (RF...) printed on the invoice, "
        "with each payment."
    ),
    "pay_online_hint": "Each invoice number above links to its online payment.",
}

_DE: Final = {
    "invoice": "Rechnung",
    "credit_note": "Rechnungskorrektur",
    "draft_invoice": "Rechnungsentwurf",
    "draft_credit_note": "Entwurf Rechnungskorrektur",
    "bill_to": "Rechnungsempfänger",
    "invoice_no": "Rechnungsnummer",
    "credit_note_no": "Rechnungskorrektur-Nr.",
    "issue_date": "Rechnungsdatum",
    "credit_note_date": "Datum",
    "credits_invoice": "Zur Rechnung",
    "due_date": "Fällig am",
    "terms": "Zahlungsbedingungen",
    "payable_within_days": "Zahlbar innerhalb von {days} Tagen",
    "payable_within_one_day": "Zahlbar innerhalb von 1 Tag",
    "payable_on_receipt": "Zahlbar sofort ohne Abzug",
    "po_number": "Bestellnummer",
    "customer_no": "Kundennummer",
    "reference": "Verwendungszweck",
    "vat_id": "USt-IdNr. {vat_id}",
    "description": "Bezeichnung",
    "qty": "Menge",
    "unit_price": "Einzelpreis",
    "discount": "Rabatt",
    "tax": "USt.",
    "net": "Netto",
    "tax_rate": "USt.-Satz",
    "tax_base": "Netto",
    "vat_rate": "USt. {rate}",
    "net_total": "Summe netto",
    "tax_total": "Umsatzsteuer",
    "total": "Gesamtbetrag",
    "total_credited": "Korrekturbetrag",
    "payment": "Zahlung",
    "amount_due": "Zu zahlender Betrag",
    "bank": "Bank",
    "iban": "IBAN",
    "bic": "BIC",
    "pay_online": "Online bezahlen",
    "please_pay": "Bitte überweisen Sie {amount} bis zum {date}.",
    "please_pay_reference": (
        "Bitte überweisen Sie {amount} bis zum {date} unter Angabe des Verwendungszwecks "
        "{reference}."
    ),
    "scan_to_pay": "Mit Banking-App scannen",
    "credit_note_notice": (
        "Diese Rechnungskorrektur mindert den offenen Betrag der Rechnung {invoice} um {amount}."
    ),
    "credit_note_notice_no_invoice": (
        "Diese Rechnungskorrektur mindert den offenen Betrag um {amount}."
    ),
    "void_notice": "Diese Rechnung wurde storniert. Bitte nicht bezahlen.",
    "void_notice_reason": "Diese Rechnung wurde storniert: {reason}. Bitte nicht bezahlen.",
    "draft_marker": "ENTWURF",
    "void_marker": "STORNIERT",
    "page": "Seite {n} von {total}",
    "subject": "{title} für {customer}",
    # Kontoauszug
    "statement": "Kontoauszug",
    "statement_date": "Datum",
    "statement_intro": "Ihr Konto bei uns am {date}: die noch offenen Rechnungen.",
    "nothing_open": "Auf Ihrem Konto sind keine Posten offen.",
    "open_amount": "Offen",
    "days_overdue": "Tage überfällig",
    "aging": "Offene Beträge nach Alter",
    "bucket_current": "Noch nicht fällig",
    "bucket_1_30": "1-30 Tage überfällig",
    "bucket_31_60": "31-60 Tage überfällig",
    "bucket_61_90": "61-90 Tage überfällig",
    "bucket_90_plus": "Über 90 Tage überfällig",
    "total_open": "Summe offen",
    "unapplied": "Noch nicht verrechnete Zahlungen und Gutschriften",
    "balance": "Saldo",
    "please_pay_overdue": "Bitte überweisen Sie die überfälligen {amount} umgehend.",
    "reference_hint": (
        "Bitte geben Sie bei jeder Zahlung die Rechnungsnummer oder den auf der Rechnung "
        "angegebenen Verwendungszweck (RF...) an."
    ),
    "pay_online_hint": "Jede Rechnungsnummer oben führt zur Online-Zahlung dieser Rechnung.",
}

_FR: Final = {
    "invoice": "Facture",
    "credit_note": "Avoir",
    "draft_invoice": "Projet de facture",
    "draft_credit_note": "Projet d'avoir",
    "bill_to": "Facturé à",
    "invoice_no": "N° de facture",
    "credit_note_no": "N° d'avoir",
    "issue_date": "Date de facture",
    "credit_note_date": "Date",
    "credits_invoice": "Facture d'origine",
    "due_date": "Échéance",
    "terms": "Conditions de paiement",
    "payable_within_days": "Paiement à {days} jours",
    "payable_within_one_day": "Paiement à 1 jour",
    "payable_on_receipt": "Paiement à réception",
    "po_number": "N° de commande",
    "customer_no": "N° client",
    "reference": "Référence",
    "vat_id": "N° TVA intracom. {vat_id}",
    "description": "Désignation",
    "qty": "Qté",
    "unit_price": "Prix unit. HT",
    "discount": "Remise",
    "tax": "TVA",
    "net": "Montant HT",
    "tax_rate": "Taux de TVA",
    "tax_base": "Base HT",
    "vat_rate": "TVA {rate}",
    "net_total": "Total HT",
    "tax_total": "Total TVA",
    "total": "Total TTC",
    "total_credited": "Total de l'avoir TTC",
    "payment": "Règlement",
    "amount_due": "Montant dû",
    "bank": "Banque",
    "iban": "IBAN",
    "bic": "BIC",
    "pay_online": "Payer en ligne",
    "please_pay": "Merci de régler {amount} au plus tard le {date}.",
    "please_pay_reference": (
        "Merci de régler {amount} au plus tard le {date} en indiquant la référence {reference}."
    ),
    "scan_to_pay": "Scanner pour payer (SEPA)",
    "credit_note_notice": "Cet avoir réduit le montant dû sur la facture {invoice} de {amount}.",
    "credit_note_notice_no_invoice": "Cet avoir réduit le montant dû de {amount}.",
    "void_notice": "Cette facture est annulée. Merci de ne pas la régler.",
    "void_notice_reason": ("Cette facture est annulée\u00a0: {reason}. Merci de ne pas la régler."),
    "draft_marker": "BROUILLON",
    "void_marker": "ANNULÉE",
    "page": "Page {n} sur {total}",
    "subject": "{title} pour {customer}",
    # Relevé de compte
    "statement": "Relevé de compte",
    "statement_date": "Date",
    "statement_intro": "Votre compte chez nous au {date} : les factures encore ouvertes.",
    "nothing_open": "Aucune facture n'est ouverte sur votre compte.",
    "open_amount": "Restant dû",
    "days_overdue": "Jours de retard",
    "aging": "Montants ouverts par ancienneté",
    "bucket_current": "Non échu",
    "bucket_1_30": "1 à 30 jours de retard",
    "bucket_31_60": "31 à 60 jours de retard",
    "bucket_61_90": "61 à 90 jours de retard",
    "bucket_90_plus": "Plus de 90 jours de retard",
    "total_open": "Total restant dû",
    "unapplied": "Paiements et avoirs non encore imputés",
    "balance": "Solde",
    "please_pay_overdue": "Merci de régler sans délai les {amount} échus.",
    "reference_hint": (
        "Merci d'indiquer avec chaque paiement le numéro de facture ou la référence (RF...) "
        "figurant sur la facture."
    ),
    "pay_online_hint": "Chaque numéro de facture ci-dessus mène à son paiement en ligne.",
}

_ES: Final = {
    "invoice": "Factura",
    "credit_note": "Factura rectificativa",
    "draft_invoice": "Borrador de factura",
    "draft_credit_note": "Borrador de factura rectificativa",
    "bill_to": "Cliente",
    "invoice_no": "N.º de factura",
    "credit_note_no": "N.º de factura rectificativa",
    "issue_date": "Fecha de emisión",
    "credit_note_date": "Fecha",
    "credits_invoice": "Factura rectificada",
    "due_date": "Vencimiento",
    "terms": "Condiciones de pago",
    "payable_within_days": "Pago a {days} días",
    "payable_within_one_day": "Pago a 1 día",
    "payable_on_receipt": "Pago a la recepción",
    "po_number": "N.º de pedido",
    "customer_no": "N.º de cliente",
    "reference": "Referencia",
    "vat_id": "NIF-IVA {vat_id}",
    "description": "Descripción",
    "qty": "Cant.",
    "unit_price": "Precio unit.",
    "discount": "Dto.",
    "tax": "IVA",
    "net": "Importe",
    "tax_rate": "Tipo de IVA",
    "tax_base": "Base imponible",
    "vat_rate": "IVA {rate}",
    "net_total": "Base imponible",
    "tax_total": "Total IVA",
    "total": "Total",
    "total_credited": "Total rectificado",
    "payment": "Pago",
    "amount_due": "Importe a pagar",
    "bank": "Banco",
    "iban": "IBAN",
    "bic": "BIC",
    "pay_online": "Pagar en línea",
    "please_pay": "Le rogamos abone {amount} a más tardar el {date}.",
    "please_pay_reference": (
        "Le rogamos abone {amount} a más tardar el {date}, indicando la referencia {reference}."
    ),
    "scan_to_pay": "Escanear para pagar (SEPA)",
    "credit_note_notice": (
        "Esta factura rectificativa reduce el importe pendiente de la factura {invoice} "
        "en {amount}."
    ),
    "credit_note_notice_no_invoice": (
        "Esta factura rectificativa reduce el importe pendiente en {amount}."
    ),
    "void_notice": "Esta factura está anulada. Por favor, no la pague.",
    "void_notice_reason": "Esta factura está anulada: {reason}. Por favor, no la pague.",
    "draft_marker": "BORRADOR",
    "void_marker": "ANULADA",
    "page": "Página {n} de {total}",
    "subject": "{title} para {customer}",
    # Extracto de cuenta
    "statement": "Extracto de cuenta",
    "statement_date": "Fecha",
    "statement_intro": "Su cuenta con nosotros a {date}: las facturas aún pendientes.",
    "nothing_open": "No hay partidas pendientes en su cuenta.",
    "open_amount": "Pendiente",
    "days_overdue": "Días de retraso",
    "aging": "Importes pendientes por antigüedad",
    "bucket_current": "No vencido",
    "bucket_1_30": "1-30 días de retraso",
    "bucket_31_60": "31-60 días de retraso",
    "bucket_61_90": "61-90 días de retraso",
    "bucket_90_plus": "Más de 90 días de retraso",
    "total_open": "Total pendiente",
    "unapplied": "Pagos y abonos aún no aplicados",
    "balance": "Saldo",
    "please_pay_overdue": "Le rogamos abone de inmediato los {amount} vencidos.",
    "reference_hint": (
        "Le rogamos indique en cada pago el número de factura o la referencia (RF...) que "
        "figura en la factura."
    ),
    "pay_online_hint": "Cada número de factura de arriba lleva a su pago en línea.",
}

_NL: Final = {
    "invoice": "Factuur",
    "credit_note": "Creditfactuur",
    "draft_invoice": "Conceptfactuur",
    "draft_credit_note": "Concept-creditfactuur",
    "bill_to": "Factuur aan",
    "invoice_no": "Factuurnummer",
    "credit_note_no": "Creditfactuurnummer",
    "issue_date": "Factuurdatum",
    "credit_note_date": "Datum",
    "credits_invoice": "Betreft factuur",
    "due_date": "Vervaldatum",
    "terms": "Betalingstermijn",
    "payable_within_days": "Te betalen binnen {days} dagen",
    "payable_within_one_day": "Te betalen binnen 1 dag",
    "payable_on_receipt": "Te betalen bij ontvangst",
    "po_number": "Ordernummer",
    "customer_no": "Klantnummer",
    "reference": "Betalingskenmerk",
    "vat_id": "Btw-nr. {vat_id}",
    "description": "Omschrijving",
    "qty": "Aantal",
    "unit_price": "Prijs per stuk",
    "discount": "Korting",
    "tax": "Btw",
    "net": "Bedrag",
    "tax_rate": "Btw-tarief",
    "tax_base": "Grondslag",
    "vat_rate": "Btw {rate}",
    "net_total": "Totaal excl. btw",
    "tax_total": "Totaal btw",
    "total": "Totaal incl. btw",
    "total_credited": "Totaal gecrediteerd",
    "payment": "Betaling",
    "amount_due": "Te betalen",
    "bank": "Bank",
    "iban": "IBAN",
    "bic": "BIC",
    "pay_online": "Online betalen",
    "please_pay": "Wij verzoeken u {amount} uiterlijk {date} over te maken.",
    "please_pay_reference": (
        "Wij verzoeken u {amount} uiterlijk {date} over te maken onder vermelding van "
        "betalingskenmerk {reference}."
    ),
    "scan_to_pay": "Scan om te betalen (SEPA)",
    "credit_note_notice": (
        "Deze creditfactuur verlaagt het openstaande bedrag van factuur {invoice} met {amount}."
    ),
    "credit_note_notice_no_invoice": (
        "Deze creditfactuur verlaagt het openstaande bedrag met {amount}."
    ),
    "void_notice": "Deze factuur is geannuleerd. Gelieve deze niet te betalen.",
    "void_notice_reason": ("Deze factuur is geannuleerd: {reason}. Gelieve deze niet te betalen."),
    "draft_marker": "CONCEPT",
    "void_marker": "GEANNULEERD",
    "page": "Pagina {n} van {total}",
    "subject": "{title} voor {customer}",
    # Rekeningoverzicht
    "statement": "Rekeningoverzicht",
    "statement_date": "Datum",
    "statement_intro": "Uw rekening bij ons op {date}: de facturen die nog openstaan.",
    "nothing_open": "Er staan geen posten open op uw rekening.",
    "open_amount": "Openstaand",
    "days_overdue": "Dagen te laat",
    "aging": "Openstaande bedragen naar ouderdom",
    "bucket_current": "Nog niet vervallen",
    "bucket_1_30": "1-30 dagen te laat",
    "bucket_31_60": "31-60 dagen te laat",
    "bucket_61_90": "61-90 dagen te laat",
    "bucket_90_plus": "Meer dan 90 dagen te laat",
    "total_open": "Totaal openstaand",
    "unapplied": "Nog niet verrekende betalingen en creditnota's",
    "balance": "Saldo",
    "please_pay_overdue": "Wij verzoeken u de vervallen {amount} per omgaande te betalen.",
    "reference_hint": (
        "Vermeld bij elke betaling het factuurnummer of de referentie (RF...) op de factuur."
    ),
    "pay_online_hint": "Elk factuurnummer hierboven leidt naar de online betaling ervan.",
}

#: The texts of each language an invoice can be printed in, by ISO 639-1 code.
TEXTS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        code: MappingProxyType(texts)
        for code, texts in {"en": _EN, "de": _DE, "fr": _FR, "es": _ES, "nl": _NL}.items()
    }
)


@dataclass(frozen=True)
class DocumentLanguage:
    """The language a document is printed in and the locale its dates and amounts follow.

    Attributes:
        language: the key into :data:`TEXTS`, such as ``"de"``.
        locale: a babel locale of that language, such as ``"de"``, ``"fr_CH"`` or ``"de_AT"``.
    """

    language: str
    locale: str

    @property
    def texts(self) -> Mapping[str, str]:
        """The document's words by key."""
        return TEXTS[self.language]


_ENGLISH: Final = DocumentLanguage(DEFAULT_LANGUAGE, DEFAULT_LANGUAGE)


def _parse_locale(tag: str) -> Locale | None:
    try:
        return Locale.parse(tag.strip().replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


@functools.lru_cache(maxsize=256)
def document_language(requested: str | None, company_country: str = "") -> DocumentLanguage:
    """Which language a document is printed in.

    Args:
        requested: the customer's language (or the caller's choice) as a code such as ``"de"``,
            ``"fr-CH"`` or ``"en_GB"``; ``None`` or ``""`` when there is none.
        company_country: the company's ISO country code, whose first official language is the
            fallback when nothing is requested.

    Returns:
        The requested language when there are texts for it, with its region if one was given
        (``fr-CH`` prints French with Swiss amounts). Without a request, the language of the
        company's country with that country's formats (``AT`` gives German with ``de_AT``).
        English otherwise, including for a requested language without texts.
    """
    if requested and requested.strip():
        parsed = _parse_locale(requested)
        if parsed is None or parsed.language not in TEXTS:
            return _ENGLISH
        return DocumentLanguage(parsed.language, str(parsed))
    country = company_country.strip().upper()
    if len(country) != 2 or not country.isalpha():
        return _ENGLISH
    for language in get_official_languages(country, de_facto=True):
        if language in TEXTS:
            regional = _parse_locale(f"{language}_{country}")
            return DocumentLanguage(language, str(regional) if regional else language)
    return _ENGLISH


@functools.lru_cache(maxsize=512)
def country_name(code: str, language: str) -> str:
    """A country's name in a language (``"DE"`` in ``"de"`` is ``"Deutschland"``).

    Returns:
        The name, or the code itself when babel does not know it.
    """
    code = code.strip().upper()
    parsed = _parse_locale(language)
    if parsed is None:
        return code
    return str(parsed.territories.get(code, code))
