"""A seeded generator of realistic matching data: customers, invoices and bank lines with the truth.

``generate(customers=..., invoices=..., lines=..., seed=..., scheme=...)`` returns a
:class:`Dataset`: payer profiles and invoices as the reconciliation service would load them, and
statement lines, each with a :class:`Truth` that says what a careful bookkeeper would do with it
and which phenomenon of DESIGN.md ("Cash application") it shows.

The customers are companies from DE, FR, NL, ES, GB and IT with legal forms, umlauts and
accents, name collisions (the same family name in the same trade), parent companies paying for
several subsidiaries and trading names; some pay from IBANs the ledger knows, some from new
ones. Invoice numbers follow one of several schemes (``INV-2026-00123``, ``2026/0456``,
``RE-10023``, ``F2026-0012``, or all of them mixed, as after a change of accounting system).
Lines carry the payer as banks show it (upper case, ``ue`` for ``ü``, legal form dropped, cut at
35 characters, words swapped) and remittance text with SEPA prefixes, order and customer
numbers, dates, amounts and other digits around (or instead of) the invoice numbers.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from app.services.iban import creditor_reference
from app.services.matching.types import BankLine, InvoiceItem, PayerProfile, ProposedAllocation

TODAY = date(2026, 11, 23)
TOLERANCE_BP = 100
TOLERANCE_MAX = 1500

SURNAMES = {
    "DE": "Müller Schäfer Größ Weiß Köhler Bäcker Schröder Jäger Krüger Böhm Hoffmann Wagner "
    "Becker Schulz Fischer Koch Richter Klein Wolf Neumann Schwarz Zimmermann Braun Hartmann Lange "
    "Schmitt Werner Krause Meier Lehmann Schmid Maier Herrmann König Walter Huber Kaiser Fuchs "
    "Peters Scholz Möller Jung Hahn Vogel Keller Günther Berger Roth Beck Lorenz Baumann "
    "Schuster Ludwig Winter Krämer Vogt Stein Sommer Groß Seidel Heinrich Brandt Haas Dörr",
    "FR": "Lefèvre Girard Bérenger Dubois Moreau Laurent Simon Michel Leroy Roux David Bertrand "
    "Morel Fournier Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand Gauthier "
    "Perrin Robin Clément Morin Nicolas Henry Rousseau Mathieu Gaillard Brunet Fontaine "
    "Rolland Lambert Bonnet Dupont Castel Lemaître Hébert Noël Benoît",
    "NL": "de_Vries van_den_Berg van_Dijk Bakker Janssen Visser Smit Meijer de_Boer Mulder "
    "de_Groot Bos Vos Hendriks van_Leeuwen Dekker Brouwer de_Wit Dijkstra Smits de_Graaf "
    "van_der_Meer van_der_Linden Kok Jacobs de_Haan Vermeulen van_den_Heuvel van_der_Veen",
    "ES": "García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Martín Jiménez "
    "Ruiz Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres "
    "Domínguez Vázquez Ramos Gil Ramírez Serrano Blanco Molina Castillo Ortega Núñez Peña",
    "GB": "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans "
    "Walker White Roberts Green Hall Wood Jackson Clarke Patel O'Brien McDonald Hughes Edwards "
    "Harrison Turner Cooper Ward Morris",
    "IT": "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo "
    "Conti De_Luca Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro "
    "Mariani Rinaldi Caruso Ferrara Galli Martini Leone Longo Gentile D'Angelo Niccolò",
}
TRADES = {
    "DE": "Maschinenbau Logistik Elektrotechnik Bauunternehmung Holzbau Metallverarbeitung "
    "Druckerei Softwareentwicklung Gebäudereinigung Autohaus Bäckerei Getränkehandel "
    "Medizintechnik Spedition Heizungstechnik Immobilienverwaltung Steuerberatung Verpackung",
    "FR": "Transports Boulangerie Bâtiment Électricité Menuiserie Conseil Imprimerie Négoce "
    "Plomberie Ingénierie Charpente Maçonnerie",
    "NL": "Installatietechniek Transport Bouwbedrijf Handelsonderneming Groothandel "
    "Automatisering Schoonmaakdiensten Techniek",
    "ES": "Construcciones Transportes Distribuciones Talleres Suministros Ingeniería Panadería "
    "Instalaciones",
    "GB": "Engineering Logistics Building_Services Consulting Print Facilities_Management "
    "Electrical Timber_Supplies Catering Joinery",
    "IT": "Costruzioni Trasporti Impianti_Elettrici Arredamenti Forniture_Industriali "
    "Meccanica Ceramiche Edilizia",
}
CITIES = {
    "DE": "München Köln Düsseldorf Nürnberg Lübeck Göttingen Würzburg Saarbrücken Berlin Essen",
    "FR": "Paris Lyon Nîmes Orléans Besançon Nantes Lille Périgueux Sète Angoulême",
    "NL": "Utrecht Eindhoven Tilburg Zwolle Groningen Leiden Delft Breda",
    "ES": "Sevilla Málaga Córdoba León Cádiz Valencia Zaragoza Bilbao",
    "GB": "Leeds Bristol Sheffield Cardiff Leicester York Derby Bath",
    "IT": "Forlì Cantù Milano Torino Bologna Genova Padova Verona",
}
LEGAL_FORMS = {
    "DE": ["GmbH", "GmbH", "GmbH", "AG", "KG", "GmbH & Co. KG", "e.K.", "UG (haftungsbeschränkt)"],
    "FR": ["SARL", "SAS", "SA", "EURL", "S.A.R.L."],
    "NL": ["B.V.", "BV", "N.V.", "V.O.F."],
    "ES": ["S.L.", "SL", "S.A.", "S.L.U."],
    "GB": ["Ltd", "Limited", "Ltd.", "plc", "LLP"],
    "IT": ["S.r.l.", "Srl", "S.p.A.", "SpA"],
}
COUNTRY_WEIGHTS = {"DE": 40, "FR": 18, "NL": 12, "ES": 10, "GB": 12, "IT": 8}
INVOICE_WORDS = [
    "Rechnung", "Rechnung Nr.", "Rg.-Nr.", "RE", "Invoice", "invoice no", "Inv.", "facture",
    "facture n°", "Fact.", "factura", "Factura nº", "factuur", "factuurnummer", "fattura",
    "Fattura n.", "Ref", "Beleg", "",
]  # fmt: skip
NOISE = [
    "Danke", "Vielen Dank", "Zahlung", "Überweisung", "Thank you", "Payment", "Paiement",
    "Virement", "Pago", "Betaling", "Pagamento", "Bonifico", "Gutschrift", "Sammelzahlung",
    "Teilzahlung", "ZAHLUNGSAVIS", "DATUM", "Abschlag", "Lieferung", "Order", "Projekt",
]  # fmt: skip
NOT_CUSTOMERS = [
    ("Finanzamt München", "Erstattung Umsatzsteuer {n} Zeitraum 2026-{m:02d}"),
    ("STRIPE PAYMENTS EUROPE LTD", "STRIPE PAYOUT {n} PO_{x}"),
    ("Adyen N.V.", "Payout batch {n} merchant account"),
    ("SumUp Limited", "SumUp Auszahlung {n}"),
    ("Allianz Versicherungs-AG", "Schadenregulierung Vers.-Nr. {n}"),
    ("", "Habenzinsen {m:02d}/2026"),
    ("", "Zinsgutschrift Tagesgeld {n}"),
    ("AOK Bayern", "Erstattung AAG {n}"),
    ("Amazon Payments Europe S.C.A.", "Marketplace settlement {n}"),
    ("PayPal Europe S.a.r.l.", "PP.{x}.PP Auszahlung {n}"),
    ("Bundesagentur für Arbeit", "Kurzarbeitergeld {n}"),
    ("Telekom Deutschland GmbH", "Gutschrift Kd-Nr {n} Rechnung {x}"),
]  # fmt: skip
DEBITS = [
    ("Telekom Deutschland GmbH", "Rechnung {n} Kundenkonto {x}"),
    ("Stadtwerke München", "Abschlag Strom {m:02d}/2026"),
    ("Lohn/Gehalt", "Gehalt {m:02d}/2026"),
    ("", "Kontoführungsgebühr {m:02d}/2026"),
    ("Büromarkt Böttcher AG", "RE {n}"),
]  # fmt: skip
# Phenomena in order of frequency (DESIGN.md) with their share of the lines, in percent.
PHENOMENA = {
    "reference exact": 27,
    "reference written differently": 11,
    "reference mistyped": 3,
    "creditor reference": 7,
    "amount only, known payer": 9,
    "amount only, name as bank shows": 5,
    "parent or trading name pays": 3,
    "several invoices, listed": 5,
    "several invoices, not listed": 4,
    "partial payment": 3,
    "bank fee short": 3,
    "overpayment": 2,
    "paid twice": 2,
    "settled invoice named": 2,
    "wrong currency": 1,
    "not a customer payment": 7,
    "debit": 6,
}


@dataclass(frozen=True)
class Truth:
    """What a careful bookkeeper does with a line.

    ``allocations`` is empty for lines that pay no invoice: then ``customer_id`` is set when the
    cash belongs on that customer's account (a double payment, a paid invoice named), else None
    (not a customer payment, a debit, a currency we hold no invoices in).
    """

    line_id: int
    phenomenon: str
    customer_id: int | None
    allocations: tuple[ProposedAllocation, ...] = ()
    unapplied_minor: int = 0

    @property
    def pays_invoices(self) -> bool:
        """Whether the line pays invoices (the lines the auto rate is measured on)."""
        return bool(self.allocations)


@dataclass
class Customer:
    """A generated customer: its profile plus what the generator needs to write its lines."""

    profile: PayerProfile
    country: str
    currency: str
    own_ibans: list[str]
    parent: str = ""
    open_ids: list[int] = field(default_factory=list)
    settled_ids: list[int] = field(default_factory=list)


@dataclass
class Dataset:
    """Payers, invoices, statement lines and the truth of each line (same order)."""

    payers: list[PayerProfile]
    invoices: list[InvoiceItem]
    lines: list[BankLine]
    truths: list[Truth]


def iban(rng: random.Random, country: str) -> str:
    """A random IBAN with valid check digits."""
    bban = "".join(rng.choice("0123456789") for _ in range(18))
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def _pick(rng: random.Random, words: str) -> str:
    return rng.choice(words.split()).replace("_", " ")


def company_name(rng: random.Random, country: str) -> str:
    """A company name as it stands in the ledger, legal form included."""
    surname, trade = _pick(rng, SURNAMES[country]), _pick(rng, TRADES[country])
    city = _pick(rng, CITIES[country])
    legal = rng.choice(LEGAL_FORMS[country])
    pattern = rng.random()
    if country in ("FR", "ES", "IT") and pattern < 0.5:
        body = f"{trade} {surname}"
    elif pattern < 0.15:
        body = f"{surname} & {_pick(rng, SURNAMES[country])} {trade}"
    elif pattern < 0.35:
        body = f"{surname} {trade} {city}"
    elif pattern < 0.45 and country == "GB":
        body = f"{surname} & Sons"
    else:
        body = f"{surname} {trade}"
    return f"{body} {legal}"


def _customers(rng: random.Random, count: int) -> list[Customer]:
    countries = rng.choices(list(COUNTRY_WEIGHTS), list(COUNTRY_WEIGHTS.values()), k=count)
    customers: list[Customer] = []
    parents: list[tuple[str, str]] = []
    for index, country in enumerate(countries):
        name = company_name(rng, country)
        aliases: tuple[str, ...] = ()
        parent = ""
        roll = rng.random()
        if roll < 0.05:  # a trading name
            aliases = (f"{_pick(rng, CITIES[country])} {_pick(rng, TRADES[country])}",)
        elif roll < 0.10:  # part of a group whose parent pays
            if parents and rng.random() < 0.6:
                parent, parent_iban = rng.choice(parents)
            else:
                parent = (
                    f"{_pick(rng, SURNAMES[country])} Holding {rng.choice(LEGAL_FORMS[country])}"
                )
                parent_iban = iban(rng, country)
                parents.append((parent, parent_iban))
            aliases = (parent,)
        ibans = tuple(iban(rng, country) for _ in range(rng.choice((1, 1, 2))))
        known = ibans if rng.random() < 0.6 else ()
        if parent:
            known = (*known, parent_iban) if rng.random() < 0.5 else known
        currency = "GBP" if country == "GB" and rng.random() < 0.8 else "EUR"
        profile = PayerProfile(10_000 + index, name, aliases, known)
        customers.append(Customer(profile, country, currency, list(ibans)))
    return customers


def invoice_number(scheme: str, year: int, seq: int) -> str:
    """An invoice number in one of the schemes real ledgers use."""
    if scheme == "slash":
        return f"{year}/{seq:04d}"
    if scheme == "re":
        return f"RE-{(year - 2024) * 50_000 + 10_000 + seq}"
    if scheme == "f":
        return f"F{year}-{seq:04d}"
    return f"INV-{year}-{seq:05d}"


def _amount(rng: random.Random) -> int:
    """An invoice total in cents: mostly a few hundred, a long tail, some round figures."""
    euros = min(int(rng.lognormvariate(6.2, 1.1)), 60_000) + 10
    if rng.random() < 0.15:
        return euros // 50 * 5000 + 5000
    return euros * 100 + rng.randrange(100)


def _invoices(
    rng: random.Random, customers: list[Customer], count: int, scheme: str
) -> list[InvoiceItem]:
    weights = [rng.paretovariate(1.4) for _ in customers]
    owners = rng.choices(customers, weights, k=int(count * 1.25))
    schemes = ["inv", "slash", "re", "f"]
    sequences = {(s, y): 0 for s in schemes for y in (2025, 2026)}
    subscription = {c.profile.customer_id: _amount(rng) for c in customers if rng.random() < 0.12}
    dated = sorted(
        ((TODAY - timedelta(days=int(rng.expovariate(1 / 70)) % 540), owner) for owner in owners),
        key=lambda pair: pair[0],
    )
    older = range(len(dated) * 7 // 10)
    settled_at = set(rng.sample(older, min(len(older), len(dated) - count)))
    invoices: list[InvoiceItem] = []
    for position, (issued, owner) in enumerate(dated):
        series = rng.choice(schemes) if scheme == "mixed" else scheme
        sequences[series, issued.year] += 1
        number = invoice_number(series, issued.year, sequences[series, issued.year])
        total = subscription.get(owner.profile.customer_id) or _amount(rng)
        settled = position in settled_at
        open_minor = 0 if settled else total
        if not settled and rng.random() < 0.05:
            open_minor = total - total * rng.choice((25, 50, 30)) // 100
        ident = len(invoices) + 1
        due = issued + timedelta(days=rng.choice((14, 30, 30, 45, 60)))
        invoices.append(
            InvoiceItem(ident, number, owner.profile.customer_id, owner.currency, total, open_minor,
                        issued, due)
        )  # fmt: skip
        (owner.settled_ids if settled else owner.open_ids).append(ident)
    return invoices


# -- how payers write things ------------------------------------------------------------------


def bank_name(rng: random.Random, name: str) -> str:
    """A name the way a bank shows it: upper case, ue for ü, legal form dropped, cut at 35."""
    text = name
    if rng.random() < 0.35:
        words = text.split()
        if len(words) > 2 and words[-1] in {w for f in LEGAL_FORMS.values() for w in f}:
            text = " ".join(words[:-1])
        for form in ("GmbH & Co. KG", "UG (haftungsbeschränkt)"):
            text = text.replace(form, "").strip()
    roll = rng.random()
    if roll < 0.45:
        umlauts = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "ss"}
        text = "".join(umlauts.get(ch, ch) for ch in text).upper()
        text = _strip_accents(text)
    elif roll < 0.65:
        text = _strip_accents(text).upper()
    elif roll < 0.75:
        text = text.upper()
    if rng.random() < 0.05 and len(text.split()) > 2:
        words = text.split()
        words[0], words[1] = words[1], words[0]
        text = " ".join(words)
    return text[:35] if rng.random() < 0.9 else text[:27]


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def written_variant(rng: random.Random, number: str) -> str:
    """The number written differently: other separators, no prefix, no zeros, words before it."""
    prefix = "".join(re.findall(r"^[A-Z]+", number))
    groups = re.findall(r"[0-9]+", number)
    word = rng.choice(INVOICE_WORDS)
    forms = [
        " ".join([prefix, *groups]).strip(),
        "/".join([prefix, *groups]).strip("/"),
        prefix + "".join(groups),
        f"{word} {int(groups[-1])}".strip(),
        f"{word} {groups[-1]}".strip(),
        number.lower().replace("-", "", 1),
    ]
    if len(groups) > 1:
        forms += ["-".join(str(int(g)) for g in groups), "-".join(groups)]
    return rng.choice(forms)


def mistyped(rng: random.Random, number: str) -> str:
    """The number with one digit replaced or two neighbouring digits swapped."""
    positions = [i for i, ch in enumerate(number) if ch.isdigit()][-5:]
    i = rng.choice(positions)
    if (
        rng.random() < 0.5
        and i + 1 < len(number)
        and number[i + 1].isdigit()
        and (number[i] != number[i + 1])
    ):
        return number[:i] + number[i + 1] + number[i] + number[i + 2 :]
    digit = rng.choice([d for d in "0123456789" if d != number[i]])
    return number[:i] + digit + number[i + 1 :]


def noise(rng: random.Random) -> str:
    """What else stands in remittance text: customer and order numbers, dates, amounts, words."""
    parts = []
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        kind = rng.randrange(7)
        if kind == 0:
            parts.append(f"Kd-Nr. {rng.randrange(10_000, 99_999)}")
        elif kind == 1:
            parts.append(f"PO {rng.randrange(4_500_000_000, 4_599_999_999)}")
        elif kind == 2:
            day = TODAY - timedelta(days=rng.randrange(90))
            parts.append(
                rng.choice((day.strftime("%d.%m.%Y"), day.isoformat(), f"vom {day:%d.%m.%y}"))
            )
        elif kind == 3:
            parts.append(f"EUR {rng.randrange(10, 9000)},{rng.randrange(100):02d}")
        elif kind == 4:
            parts.append(f"Cust {rng.randrange(100, 9999)}")
        else:
            parts.append(rng.choice(NOISE))
    return " ".join(parts)


def remittance(rng: random.Random, references: Sequence[str]) -> str:
    """Remittance text around ``references``, sometimes with SEPA prefixes, cut at 140."""
    body = " ".join(
        [
            rng.choice(("", "", "Zahlung", "Payment", "Rechnung", "Re:")),
            ", ".join(references) if rng.random() < 0.7 else " ".join(references),
            noise(rng),
        ]
    ).strip()
    roll = rng.random()
    if roll < 0.25:
        body = f"EREF+{rng.randrange(10**11, 10**12)} SVWZ+{body}"
    elif roll < 0.35:
        body = f"/INV/{body}"
    elif roll < 0.45:
        body = f"/ROC/{rng.randrange(10**7, 10**8)}/RFB/{body}"
    if rng.random() < 0.3:
        body = body.upper()
    return body[:140]


# -- lines ------------------------------------------------------------------------------------


class _Writer:
    """Writes the lines of one statement; each phenomenon is a method."""

    def __init__(
        self,
        rng: random.Random,
        customers: list[Customer],
        invoices: list[InvoiceItem],
        expected_lines: int = 1,
    ) -> None:
        self.rng = rng
        self.expected_lines = max(expected_lines, 1)
        self.customers = customers
        self.invoices = {item.invoice_id: item for item in invoices}
        self.used: set[int] = set()
        self.lines: list[BankLine] = []
        self.truths: list[Truth] = []
        self.paying = [c for c in customers if c.open_ids]
        self.with_parent = [c for c in self.paying if c.profile.aliases]
        self.with_settled = [c for c in customers if c.settled_ids]
        self.by_id = {c.profile.customer_id: c for c in customers}

    def add(
        self, phenomenon: str, customer: Customer | None, amount: int, *, payer: tuple[str, str],
        text: str, truth: tuple[ProposedAllocation, ...] = (), unapplied: int = 0,
        currency: str = "", structured: tuple[str, ...] = (), day: date | None = None,
    ) -> None:  # fmt: skip
        line_id = len(self.lines) + 1
        # A statement runs in date order over its five days, as banks write them; the truth's
        # "oldest invoice first" for equal amounts follows the same order.
        elapsed = min(4, 5 * (line_id - 1) // self.expected_lines)
        day = day or TODAY - timedelta(days=4 - elapsed)
        self.lines.append(
            BankLine(line_id, day, amount, currency or (customer.currency if customer else "EUR"),
                     payer[0], payer[1], text, structured,
                     self.rng.choice(("NOTPROVIDED", "", str(self.rng.randrange(10**9)))))
        )  # fmt: skip
        owner = customer.profile.customer_id if customer else None
        self.truths.append(Truth(line_id, phenomenon, owner, truth, unapplied))

    def open_invoices(
        self, customer: Customer, count: int = 1, *, oldest: bool = False
    ) -> list[InvoiceItem]:
        free = [i for i in customer.open_ids if i not in self.used]
        if oldest:  # what a payer clearing its account from our statement does
            chosen = sorted(free, key=lambda i: self.invoices[i].due_date)[:count]
        else:
            chosen = self.rng.sample(free, min(count, len(free)))
        self.used.update(chosen)
        return sorted((self.invoices[i] for i in chosen), key=lambda i: (i.due_date, i.number))

    def customer(self, at_least: int = 1) -> Customer:
        for _ in range(10_000):
            customer = self.rng.choice(self.paying)
            if sum(i not in self.used for i in customer.open_ids) >= at_least:
                return customer
        raise ValueError("too few open invoices for this many lines")

    def payer(self, customer: Customer, *, as_bank_shows: bool = True) -> tuple[str, str]:
        name = (
            bank_name(self.rng, customer.profile.name) if as_bank_shows else customer.profile.name
        )
        known = [i for i in customer.profile.ibans if i in customer.own_ibans]
        if known and self.rng.random() < 0.85:
            return name, self.rng.choice(known)
        return name, self.rng.choice(customer.own_ibans)

    def pay(
        self,
        phenomenon: str,
        refs: Callable[[InvoiceItem], str] | None,
        count: int = 1,
        *,
        oldest: bool = False,
    ) -> None:
        customer = self.customer(count)
        items = self.open_invoices(customer, count, oldest=oldest)
        if refs is None:  # without numbers, equal amounts go to the oldest (_oldest_or_any)
            items = self._as_oldest(items)
        amount = sum(i.open_minor for i in items)
        truth = tuple(ProposedAllocation(i.invoice_id, i.open_minor) for i in items)
        text = remittance(self.rng, [refs(i) for i in items]) if refs else remittance(self.rng, [])
        self.add(phenomenon, customer, amount, payer=self.payer(customer), text=text, truth=truth)

    # the phenomena, one method each ------------------------------------------------------------

    def reference_exact(self) -> None:
        self.pay("reference exact", lambda item: item.number)

    def reference_written_differently(self) -> None:
        self.pay("reference written differently", lambda i: written_variant(self.rng, i.number))

    def reference_mistyped(self) -> None:
        self.pay("reference mistyped", lambda item: mistyped(self.rng, item.number))

    def creditor_reference(self) -> None:
        customer = self.customer()
        (item,) = self.open_invoices(customer)
        reference = creditor_reference(item.number)
        truth = (ProposedAllocation(item.invoice_id, item.open_minor),)
        structured: tuple[str, ...] = ()
        if self.rng.random() < 0.5:
            text, structured = remittance(self.rng, []), (reference,)
        else:
            grouped = " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))
            text = remittance(self.rng, [grouped])
        self.add("creditor reference", customer, item.open_minor, payer=self.payer(customer),
                 text=text, truth=truth, structured=structured)  # fmt: skip

    def amount_only_known_payer(self) -> None:
        customer = self.customer()
        item = self._oldest_or_any(customer)
        truth = (ProposedAllocation(item.invoice_id, item.open_minor),)
        self.add("amount only, known payer", customer, item.open_minor,
                 payer=self.payer(customer, as_bank_shows=self.rng.random() < 0.5),
                 text=remittance(self.rng, []), truth=truth)  # fmt: skip

    def amount_only_name_as_bank_shows(self) -> None:
        customer = self.customer()
        item = self._oldest_or_any(customer)
        truth = (ProposedAllocation(item.invoice_id, item.open_minor),)
        payer = (bank_name(self.rng, customer.profile.name), self.rng.choice(customer.own_ibans))
        self.add("amount only, name as bank shows", customer, item.open_minor, payer=payer,
                 text=remittance(self.rng, []), truth=truth)  # fmt: skip

    def _oldest_or_any(self, customer: Customer) -> InvoiceItem:
        """Without a number, the line pays the oldest open invoice of its amount.

        A payer may have meant a younger invoice of the same amount (a monthly fee), but the
        line looks the same either way, and a careful bookkeeper applies it to the oldest.
        """
        (item,) = self.open_invoices(customer)
        return self._as_oldest([item])[0]

    def _as_oldest(self, items: list[InvoiceItem]) -> list[InvoiceItem]:
        """Each invoice swapped for the customer's oldest unused open one of the same amount."""
        chosen: list[InvoiceItem] = []
        for item in items:
            self.used.discard(item.invoice_id)
            same = [
                self.invoices[i] for i in self._owner(item).open_ids
                if self.invoices[i].open_minor == item.open_minor and i not in self.used
            ]  # fmt: skip
            oldest = min(same, key=lambda i: (i.due_date, i.number))
            self.used.add(oldest.invoice_id)
            chosen.append(oldest)
        return sorted(chosen, key=lambda i: (i.due_date, i.number))

    def _owner(self, item: InvoiceItem) -> Customer:
        return self.by_id[item.customer_id]

    def parent_or_trading_name_pays(self) -> None:
        candidates = [c for c in self.with_parent if any(i not in self.used for i in c.open_ids)]
        customer = self.rng.choice(candidates)
        (item,) = self.open_invoices(customer)
        alias = customer.profile.aliases[0]
        known = [i for i in customer.profile.ibans if i not in customer.own_ibans]
        account = (
            known[0] if known and self.rng.random() < 0.5 else iban(self.rng, customer.country)
        )
        refs = [item.number] if self.rng.random() < 0.4 else []
        if not refs:  # without a number, equal amounts go to the oldest (_oldest_or_any)
            (item,) = self._as_oldest([item])
        truth = (ProposedAllocation(item.invoice_id, item.open_minor),)
        self.add("parent or trading name pays", customer, item.open_minor,
                 payer=(bank_name(self.rng, alias), account), text=remittance(self.rng, refs),
                 truth=truth)  # fmt: skip

    def several_invoices_listed(self) -> None:
        count = self.rng.choice((2, 2, 3, 3, 4, 5))
        self.pay("several invoices, listed", lambda i: self._any_form(i.number), count)

    def several_invoices_not_listed(self) -> None:
        count, oldest = self.rng.choice((2, 2, 3, 4)), self.rng.random() < 0.6
        self.pay("several invoices, not listed", None, count, oldest=oldest)

    def _any_form(self, number: str) -> str:
        return number if self.rng.random() < 0.6 else written_variant(self.rng, number)

    def partial_payment(self) -> None:
        customer = self.customer()
        (item,) = self.open_invoices(customer)
        share = self.rng.choice((50, 50, 30, 25, 75))
        amount = item.open_minor * share // 100 // 100 * 100 or item.open_minor // 2
        refs = [self._any_form(item.number)] if self.rng.random() < 0.85 else []
        truth = (ProposedAllocation(item.invoice_id, amount),)
        self.add("partial payment", customer, amount, payer=self.payer(customer),
                 text=remittance(self.rng, ["Teilzahlung", *refs]), truth=truth)  # fmt: skip

    def bank_fee_short(self) -> None:
        customer = self.customer()
        (item,) = self.open_invoices(customer)
        limit = min(item.open_minor * TOLERANCE_BP // 10_000, TOLERANCE_MAX)
        fee = min(self.rng.choice((35, 250, 500, 750, 1000, 1250, 1500)), limit)
        if fee <= 0:
            self.used.discard(item.invoice_id)
            self.reference_exact()
            return
        refs = [self._any_form(item.number)] if self.rng.random() < 0.7 else []
        if not refs:  # without a number, equal amounts go to the oldest (_oldest_or_any)
            (item,) = self._as_oldest([item])
        amount = item.open_minor - fee
        truth = (ProposedAllocation(item.invoice_id, amount, fee),)
        self.add("bank fee short", customer, amount, payer=self.payer(customer),
                 text=remittance(self.rng, refs), truth=truth)  # fmt: skip

    def overpayment(self) -> None:
        customer = self.customer()
        (item,) = self.open_invoices(customer)
        extra = self.rng.choice((1000, 2000, 5000, 100 * self.rng.randrange(1, 300)))
        truth = (ProposedAllocation(item.invoice_id, item.open_minor),)
        reference = item.number if self.rng.random() < 0.6 else creditor_reference(item.number)
        self.add("overpayment", customer, item.open_minor + extra, payer=self.payer(customer),
                 text=remittance(self.rng, [reference]), truth=truth, unapplied=extra)  # fmt: skip

    def paid_twice(self) -> None:
        if self.rng.random() < 0.5:  # both payments in this statement: the first pays
            customer = self.customer()
            (item,) = self.open_invoices(customer)
            text, payer = remittance(self.rng, [item.number]), self.payer(customer)
            truth = (ProposedAllocation(item.invoice_id, item.open_minor),)
            self.add("reference exact", customer, item.open_minor, payer=payer, text=text,
                     truth=truth)  # fmt: skip
            # The copy is booked on the day of the first payment or later: the earlier one pays.
            first = self.lines[-1].booking_date
            later = min(TODAY, first + timedelta(days=self.rng.randrange(3)))
            self.add("paid twice", customer, item.open_minor, payer=payer, text=text,
                     unapplied=item.open_minor, day=later)  # fmt: skip
            return
        customer = self.rng.choice(self.with_settled)
        item = self.invoices[self.rng.choice(customer.settled_ids)]
        self.add("paid twice", customer, item.total_minor, payer=self.payer(customer),
                 text=remittance(self.rng, [self._any_form(item.number)]),
                 unapplied=item.total_minor)  # fmt: skip

    def settled_invoice_named(self) -> None:
        customer = self.rng.choice(self.with_settled)
        item = self.invoices[self.rng.choice(customer.settled_ids)]
        others = [self.invoices[i] for i in customer.open_ids if i not in self.used]
        if others and self.rng.random() < 0.3:  # it pays another invoice's amount: still review
            amount = self.rng.choice(others).open_minor
        else:
            amount = _amount(self.rng)
        self.add("settled invoice named", customer, amount, payer=self.payer(customer),
                 text=remittance(self.rng, [item.number]), unapplied=amount)  # fmt: skip

    def wrong_currency(self) -> None:
        customer = self.customer()
        (item,) = self.open_invoices(customer)
        self.used.discard(item.invoice_id)
        currency = self.rng.choice(("USD", "CHF"))
        self.add("wrong currency", None, item.open_minor, payer=self.payer(customer),
                 text=remittance(self.rng, [item.number]), currency=currency)  # fmt: skip

    def not_a_customer_payment(self) -> None:
        name, pattern = self.rng.choice(NOT_CUSTOMERS)
        amount = _amount(self.rng)
        if self.rng.random() < 0.2:  # by chance the amount of some open invoice
            amount = self.invoices[
                self.rng.choice(self.rng.choice(self.paying).open_ids)
            ].open_minor
        text = pattern.format(n=self.rng.randrange(100, 99_999), m=self.rng.randrange(1, 13),
                              x=self.rng.randrange(10**5, 10**9))  # fmt: skip
        self.add("not a customer payment", None, amount, payer=(name, iban(self.rng, "DE")),
                 text=text)  # fmt: skip

    def debit(self) -> None:
        name, pattern = self.rng.choice(DEBITS)
        text = pattern.format(n=self.rng.randrange(100, 99_999), m=self.rng.randrange(1, 13),
                              x=self.rng.randrange(10**5, 10**9))  # fmt: skip
        self.add("debit", None, -_amount(self.rng), payer=(name, iban(self.rng, "DE")), text=text)


def generate(
    customers: int = 2000,
    invoices: int = 10_000,
    lines: int = 3000,
    *,
    seed: int = 2026,
    scheme: str = "inv",
) -> Dataset:
    """A ledger snapshot and a statement with the truth for every line.

    Args:
        customers: how many customers.
        invoices: how many open invoices (about a quarter as many settled ones come on top).
        lines: how many statement lines.
        seed: the random seed; the same arguments give the same data.
        scheme: ``inv`` (INV-2026-00123), ``slash`` (2026/0456), ``re`` (RE-10023),
            ``f`` (F2026-0012) or ``mixed``.
    """
    rng = random.Random(seed)
    people = _customers(rng, customers)
    items = _invoices(rng, people, invoices, scheme)
    writer = _Writer(rng, people, items, lines)
    names = list(PHENOMENA)
    methods = {name: getattr(writer, _method(name)) for name in names}
    while len(writer.lines) < lines:
        methods[rng.choices(names, list(PHENOMENA.values()))[0]]()
    return Dataset([c.profile for c in people], items, writer.lines[:lines], writer.truths[:lines])


def _method(phenomenon: str) -> str:
    return phenomenon.replace(",", "").replace(" ", "_")
