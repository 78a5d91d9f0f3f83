"""The header words of bank exports, per column role, and the status and summary words.

Words are written as :func:`~app.services.statements.sheet_values.header_key` makes them
(lower-case ASCII, words split on anything else: ``Auftraggeber/Empfänger`` is
``auftraggeber empfanger``). Within a role, earlier words are preferred: a Knab export has both
``Boekdatum`` and ``Transactiedatum``, and the booking date is the first.
"""

from __future__ import annotations

#: Roles in the order they win a tie for one column.
ROLES = (
    "date",
    "value_date",
    "amount",
    "credit",
    "debit",
    "direction",
    "balance",
    "currency",
    "account",
    "iban",
    "bank_ref",
    "status",
    "reference",
    "payer",
    "text",
)

TERMS: dict[str, tuple[str, ...]] = {
    "date": (
        "booking date", "buchungstag", "buchungsdatum", "buchung", "boekdatum", "boekingsdatum",
        "date comptable", "date operation", "date d operation", "date de l operation",
        "fecha operacion", "fecha contable", "data contabile", "data operazione",
        "data registrazione", "operacijos data", "completed date", "posting date", "posted date",
        "transaction date", "transactiedatum", "transaktionsdatum", "date", "datum", "fecha",
        "data",
    ),
    "value_date": (
        "value date", "valutadatum", "valuta", "wertstellung", "wertstellungsdatum",
        "date de valeur", "date valeur", "fecha valor", "data valuta", "rentedatum", "valeur",
    ),
    "amount": (
        "amount", "betrag", "montant", "bedrag", "importe", "importo", "suma", "summe", "summa",
        "kwota", "transaction amount", "umsatz", "belopp", "belob",
    ),
    "credit": (
        "credit", "credits", "credit amount", "haben", "bij", "abono", "abonos", "entrate",
        "entrata", "money in", "paid in", "deposits", "deposit", "ingresos", "ingreso", "avere",
        "recettes", "gutschrift", "kreditas", "pajamos", "credito",
    ),
    "debit": (
        "debit", "debits", "debit amount", "soll", "af", "cargo", "cargos", "uscite", "uscita",
        "money out", "paid out", "withdrawals", "withdrawal", "gastos", "dare", "depenses",
        "debetas", "islaidos", "debito",
    ),
    "direction": (
        "af bij", "bij af", "creditdebet", "credit debet", "debet credit", "debit credit",
        "credit debit", "d c", "c d", "d k", "dc", "cd", "soll haben", "s h", "dr cr", "cr dr",
        "sens", "segno", "direction", "debit credit indicator", "credit debit indicator",
    ),
    "balance": (
        "balance", "saldo", "kontostand", "solde", "running balance", "saldo na mutatie",
        "likutis", "saldo contable", "available balance", "balance after",
    ),
    "currency": (
        "currency", "currency code", "wahrung", "waehrung", "devise", "monnaie", "munt", "valuta",
        "valutacode", "moneda", "divisa", "valiuta", "ccy",
    ),
    "account": (
        "account", "account number", "own account", "konto", "kontonummer", "auftragskonto",
        "rekening", "rekeningnummer", "eigen rekening", "compte", "numero de compte", "cuenta",
        "conto", "saskaitos nr", "saskaita",
    ),
    "iban": (
        "counterparty iban", "counterparty account", "tegenrekening", "tegenrekeningnummer",
        "iban", "gegenkonto", "iban auftraggeber", "iban empfanger", "payer iban", "payee iban",
        "iban beneficiario", "iban ordenante", "compte contrepartie", "contra account",
    ),
    "bank_ref": (
        "transaction id", "transaction reference", "bank reference", "id", "ref", "referentie",
        "reference number", "document number", "iraso nr", "dok nr", "transaktionsnummer",
        "numero operation", "riferimento", "journaalnummer",
    ),
    "status": ("state", "status", "stato", "estado", "statut", "zustand"),
    "reference": (
        "reference", "remittance", "remittance information", "verwendungszweck", "mededelingen",
        "omschrijving", "libelle", "concepto", "causale", "paaiskinimai", "memo", "details",
        "purpose", "narrative", "particulars", "beschreibung", "communication", "motif",
        "description", "descrizione", "descripcion", "texte",
    ),
    "payer": (
        "name", "payee", "payer", "counterparty", "counterparty name", "auftraggeber empfanger",
        "auftraggeber", "empfanger", "begunstigter zahlungspflichtiger", "zahlungspflichtiger",
        "begunstigter", "naam", "naam omschrijving", "tegenrekeninghouder", "naam tegenpartij",
        "tegenpartij", "nom", "beneficiaire", "tiers", "beneficiario", "ordenante", "nombre",
        "contraparte", "gavejas", "moketojas", "merchant", "beneficiary", "remitter", "sender",
    ),
    "text": ("buchungstext", "memodet", "descrizione completa", "additional information", "notes"),
}  # fmt: skip

#: Header words that are English; a header whose matched words are all English leaves the
#: order of day and month open (``03/04/2026`` is March in the US, April in the UK).
ENGLISH = frozenset(
    {
        "booking date", "completed date", "posting date", "posted date", "transaction date",
        "date", "value date", "amount", "transaction amount", "credit", "credits",
        "credit amount", "money in", "paid in", "deposits", "deposit", "debit", "debits",
        "debit amount", "money out", "paid out", "withdrawals", "withdrawal", "d c", "c d", "dc",
        "cd", "dr cr", "cr dr", "direction", "debit credit", "credit debit",
        "debit credit indicator", "credit debit indicator", "balance", "running balance",
        "available balance", "balance after", "currency", "currency code", "ccy", "account",
        "account number", "own account", "counterparty iban", "counterparty account", "iban",
        "payer iban", "payee iban", "contra account", "transaction id", "transaction reference",
        "bank reference", "id", "ref", "reference number", "document number", "state", "status",
        "reference", "remittance", "remittance information", "memo", "details", "purpose",
        "narrative", "particulars", "communication", "description", "name", "payee", "payer",
        "counterparty", "counterparty name", "merchant", "beneficiary", "remitter", "sender",
        "memodet", "additional information", "notes",
    }
)  # fmt: skip

#: Status words of rows that are not booked (yet): they are left out.
SKIPPED_STATES = frozenset(
    {
        "pending", "declined", "reverted", "failed", "cancelled", "canceled", "rejected",
        "vorgemerkt", "abgelehnt", "in attesa", "rifiutato", "annullato", "en attente", "refuse",
        "annule", "pendiente", "rechazado", "cancelado", "in behandeling", "geweigerd",
        "geannuleerd",
    }
)  # fmt: skip

#: Cells that make a row a balance, turnover or total row rather than a transaction.
SUMMARY_WORDS = frozenset(
    {
        "total", "totals", "grand total", "summe", "gesamt", "totaal", "totale", "saldo",
        "opening balance", "closing balance", "balance", "anfangssaldo", "endsaldo",
        "schlusssaldo", "saldo iniziale", "saldo finale", "solde initial", "solde final",
        "saldo inicial", "saldo final", "beginsaldo", "eindsaldo", "likutis pradziai",
        "likutis pabaigai", "apyvarta", "turnover", "kontostand", "neuer kontostand",
        "alter kontostand",
    }
)  # fmt: skip

#: Swedbank's record types: 10 opening balance, 20 transaction, 82 turnover, 86 closing balance.
RECORD_TYPES = frozenset({"10", "20", "82", "86"})
TRANSACTION_RECORD = "20"
OPENING_RECORD = "10"
CLOSING_RECORD = "86"
