"""A realistic demo ledger of a small German design studio, built through the public services.

Everything goes through the same service functions the window and the command line use, so the
demo exercises them and leaves the audit log and customer timelines a real ledger would have.
It is deterministic for a seed: the same seed and ``today`` give the same ledger.

How it is built:

1. company settings, tax rates and the three people who work in the ledger;
2. about forty customers in Germany, France and the United Kingdom, each with a payment
   behaviour (on time, a little slow, habitually late, a monthly payment run, or the one chronic
   late payer);
3. a plan of about three hundred invoices over the nine months before ``today``, their fates
   (void, credited in whole or in part, a deposit, or paid as the customer pays) and their
   payments, as dated events;
4. the events run in date order, so numbers follow issue dates and every payment, credit note or
   write-off meets the invoice in the state it would really be in;
5. a few timeline notes by the people who own the customers;
6. collections (``demo_collections``): weekly reminder passes among the events, promises to pay
   kept and broken, calls, a dispute, a pause, an exclusion and tasks.

Each concern is a small function over one :class:`DemoBuild`; a new concern (a bank statement
to match, disputes, promises to pay) is one more step in :func:`build_demo_ledger`.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from app.models.invoice import Frequency, compute_totals
from app.models.money import Money, round_money
from app.services.clock import FixedClock
from app.services.customers import CustomerInput, add_note, add_user, save_customer
from app.services.demo_collections import add_collection_actions, plan_collections
from app.services.demo_profiles import (
    CHRONIC,
    KEY_ACCOUNT,
    LATE,
    NEW_CUSTOMER,
    PAYMENT_RUN,
    PUNCTUAL,
    SLOW,
    STANDARD,
)
from app.services.dto import ContactView, DraftInvoice, DraftLine
from app.services.iban import creditor_reference, normalize_iban
from app.services.invoice_queries import get_invoice_by_number
from app.services.invoicing import (
    create_credit_note,
    create_draft,
    issue_invoice,
    line_amounts,
    record_payment,
    void_invoice,
    write_off,
)
from app.services.recurring import add_months, create_recurring_template, issue_due_recurring
from app.services.settings import TaxRateView, save_settings, save_tax_rates
from app.services.uow import UnitOfWork

#: How far back the demo's invoices go: about nine months.
HISTORY_DAYS = 273

COMPANY_SETTINGS = {
    "company.name": "Nordlicht Design GmbH",
    "company.address": "Schanzenstraße 58\n20357 Hamburg",
    "company.country": "DE",
    "company.email": "rechnung@example.de",
    "company.phone": "+49 40 3861 2450",
    "company.vat_id": "DE287654329",
    "company.currency": "EUR",
    "company.iban": "DE89370400440532013000",
    "company.bic": "COBADEFFXXX",
    "company.bank_name": "Commerzbank Hamburg",
    "invoice.payment_terms_days": "30",
    "invoice.payment_link": "https://pay.example.com/{number}?amount={amount}&cur={currency}",
    "invoice.footer": (
        "Nordlicht Design GmbH · Geschäftsführerin: Anna Lehmann · Amtsgericht Hamburg "
        "HRB 154321 · USt-IdNr. DE287654329"
    ),
}

TAX_RATES = (
    TaxRateView("Standard", Decimal(19), is_default=True),
    TaxRateView("Reduced (books, printed matter)", Decimal(7)),
    TaxRateView("Zero / reverse charge", Decimal(0)),
)

#: The people of the ledger: (name, email, the countries whose customers they own).
USERS = (
    ("Anna Lehmann", "anna.lehmann@example.de", ("DE",)),
    ("Jonas Becker", "jonas.becker@example.de", ("DE", "GB")),
    ("Sophie Martin", "sophie.martin@example.de", ("FR",)),
)


@dataclass(frozen=True)
class CustomerSpec:
    """A demo customer as written in the table below."""

    name: str
    country: str
    street: str
    city: str
    segment: str
    behaviour: str
    aliases: tuple[str, ...] = ()


CUSTOMERS = (
    CustomerSpec("Müller & Söhne Maschinenbau GmbH", "DE", "Industriestraße 12", "70565 Stuttgart",
                 KEY_ACCOUNT, PAYMENT_RUN, ("Müller Holding AG",)),
    CustomerSpec("Bäckerei Schönfeld GmbH", "DE", "Hauptstraße 47", "50667 Köln",
                 STANDARD, PUNCTUAL),
    CustomerSpec("Grünwald Immobilien GmbH", "DE", "Maximilianstraße 8", "80539 München",
                 KEY_ACCOUNT, SLOW, ("Grünwald Gruppe",)),
    CustomerSpec("Käsemann Logistik GmbH & Co. KG", "DE", "Hafenstraße 101", "28217 Bremen",
                 KEY_ACCOUNT, LATE, ("Käsemann Holding GmbH",)),
    CustomerSpec("Hofmann Möbelwerkstätten GmbH", "DE", "Am Sägewerk 3", "91522 Ansbach",
                 STANDARD, PUNCTUAL),
    CustomerSpec("Weiß & Partner Steuerberatung PartG mbB", "DE", "Königsallee 60",
                 "40212 Düsseldorf", STANDARD, PUNCTUAL),
    CustomerSpec("Strandgut Reisen GmbH", "DE", "Uferstraße 5", "24103 Kiel",
                 STANDARD, SLOW, ("Strandgut Travel",)),
    CustomerSpec("Brückner Medizintechnik AG", "DE", "Wissenschaftspark 14", "07745 Jena",
                 KEY_ACCOUNT, PAYMENT_RUN),
    CustomerSpec("Öko-Hof Lüneburger Heide eG", "DE", "Dorfstraße 2", "21357 Bardowick",
                 NEW_CUSTOMER, PUNCTUAL),
    CustomerSpec("Jäger & Krämer Rechtsanwälte", "DE", "Friedrichstraße 180", "10117 Berlin",
                 STANDARD, SLOW),
    CustomerSpec("Fleischerei Groß GmbH", "DE", "Marktplatz 9", "34117 Kassel",
                 STANDARD, LATE),
    CustomerSpec("Lübke Elektrotechnik GmbH", "DE", "Gewerbering 21", "44139 Dortmund",
                 STANDARD, CHRONIC, ("Lübke Gebäudetechnik",)),
    CustomerSpec("Schäfer Sportartikel GmbH", "DE", "Sportplatzweg 4", "90402 Nürnberg",
                 KEY_ACCOUNT, SLOW),
    CustomerSpec("Hölzl Brauhaus GmbH", "DE", "Brauhausgasse 7", "94032 Passau",
                 STANDARD, PUNCTUAL, ("Brauerei Hölzl",)),
    CustomerSpec("Vogt Zahntechnik GmbH", "DE", "Schloßstraße 33", "12163 Berlin",
                 NEW_CUSTOMER, SLOW),
    CustomerSpec("Förderverein Kunsthalle Überlingen e.V.", "DE", "Seestraße 12",
                 "88662 Überlingen", STANDARD, LATE),
    CustomerSpec("Nordsee Fischfeinkost GmbH", "DE", "Am Fischereihafen 18", "27572 Bremerhaven",
                 STANDARD, PUNCTUAL),
    CustomerSpec("Zöller Verlag GmbH", "DE", "Verlagsweg 2", "69117 Heidelberg",
                 KEY_ACCOUNT, PUNCTUAL),
    CustomerSpec("Dreßler Bau GmbH", "DE", "Baustraße 77", "04109 Leipzig",
                 STANDARD, LATE),
    CustomerSpec("Stadtmarketing Görlitz GmbH", "DE", "Obermarkt 32", "02826 Görlitz",
                 STANDARD, SLOW),
    CustomerSpec("Café Sonnenschein UG (haftungsbeschränkt)", "DE", "Lindenstraße 3",
                 "01067 Dresden", NEW_CUSTOMER, LATE),
    CustomerSpec("Rößler Gartenbau GmbH", "DE", "Gärtnerweg 5", "30159 Hannover",
                 NEW_CUSTOMER, PUNCTUAL),
    CustomerSpec("Atelier Lumière SARL", "FR", "12 rue de la Roquette", "75011 Paris",
                 STANDARD, PUNCTUAL),
    CustomerSpec("Éditions du Pré Vert SAS", "FR", "8 place Bellecour", "69002 Lyon",
                 KEY_ACCOUNT, SLOW, ("Groupe Pré Vert",)),
    CustomerSpec("Boulangerie Dufrène SARL", "FR", "3 rue Sainte-Catherine", "33000 Bordeaux",
                 STANDARD, LATE),
    CustomerSpec("Château Bellerive SCEA", "FR", "Route des Vins", "68340 Riquewihr",
                 STANDARD, SLOW, ("Domaine Bellerive",)),
    CustomerSpec("Café Hélène SARL", "FR", "21 quai des Chartrons", "33000 Bordeaux",
                 NEW_CUSTOMER, PUNCTUAL, ("Groupe Hélène Restauration",)),
    CustomerSpec("Maison Gérard & Fils SARL", "FR", "5 rue de la République", "13001 Marseille",
                 STANDARD, LATE),
    CustomerSpec("Crèmerie Léon SAS", "FR", "14 rue Mercière", "69002 Lyon",
                 STANDARD, PUNCTUAL),
    CustomerSpec("Librairie Côte d'Opale SARL", "FR", "40 rue Thiers", "62200 Boulogne-sur-Mer",
                 NEW_CUSTOMER, SLOW),
    CustomerSpec("Bénard Électricité SARL", "FR", "9 avenue Jean Médecin", "06000 Nice",
                 STANDARD, LATE),
    CustomerSpec("Thames Valley Print Ltd", "GB", "14 Kings Road", "Reading RG1 3AA",
                 STANDARD, PUNCTUAL),
    CustomerSpec("Hartley & Finch Ltd", "GB", "22 Deansgate", "Manchester M3 1RH",
                 KEY_ACCOUNT, PAYMENT_RUN, ("HF Group Holdings Ltd",)),
    CustomerSpec("Brightwater Studios Ltd", "GB", "7 Wharf Street", "Bristol BS1 4RN",
                 STANDARD, SLOW),
    CustomerSpec("Oakridge Consulting Ltd", "GB", "101 Princes Street", "Edinburgh EH2 3AA",
                 KEY_ACCOUNT, SLOW),
    CustomerSpec("Kestrel Outdoor Ltd", "GB", "3 Mill Lane", "Keswick CA12 5BJ",
                 STANDARD, LATE, ("Kestrel Outdoor Clothing",)),
    CustomerSpec("Penrose Café Ltd", "GB", "18 Market Jew Street", "Penzance TR18 2HN",
                 NEW_CUSTOMER, PUNCTUAL),
    CustomerSpec("Ashdown Publishing Ltd", "GB", "45 Museum Street", "London WC1A 1LY",
                 KEY_ACCOUNT, PUNCTUAL),
    CustomerSpec("Marlow & Crane LLP", "GB", "2 Temple Row", "Birmingham B2 5LG",
                 STANDARD, SLOW),
    CustomerSpec("Northgate Foods plc", "GB", "Northgate House, 1 Wellington Street",
                 "Leeds LS1 4AP", KEY_ACCOUNT, LATE, ("Northgate Group plc",)),
)  # fmt: skip

LANGUAGES = {"DE": "de", "FR": "fr", "GB": "en"}
CURRENCIES = {"DE": "EUR", "FR": "EUR", "GB": "GBP"}
EMAIL_DOMAINS = {"DE": "example.de", "FR": "example.fr", "GB": "example.co.uk"}
PHONE_PREFIXES = {"DE": "+49", "FR": "+33", "GB": "+44 20 7946"}

FIRST_NAMES = {
    "DE": ("Jürgen", "Sabine", "Björn", "Katrin", "Stefan", "Özlem", "Jörg", "Birgit", "Maren"),
    "FR": ("Hélène", "François", "Amélie", "Jérôme", "Cécile", "Benoît", "Inès", "Loïc"),
    "GB": ("Oliver", "Charlotte", "Harriet", "James", "Priya", "Callum", "Fiona", "Rhys"),
}
LAST_NAMES = {
    "DE": ("Köhler", "Weiß", "Schäfer", "Brückner", "Hölzl", "Krämer", "Jäger", "Vogt", "Kühn"),
    "FR": ("Lefèvre", "Dubois", "Géraud", "Moreau", "Bénard", "Faure", "Rousseau", "Chevalier"),
    "GB": (
        "Whitfield",
        "Clarke",
        "O'Neill",
        "Patel",
        "Hughes",
        "Thornton",
        "McAllister",
        "Bennett",
    ),
}
#: The shared accounts-payable mailbox of a customer: (contact name, mailbox).
AP_MAILBOXES = {
    "DE": ("Kreditorenbuchhaltung", "kreditoren"),
    "FR": ("Comptabilité fournisseurs", "compta.fournisseurs"),
    "GB": ("Accounts Payable", "accounts.payable"),
}


@dataclass(frozen=True)
class CatalogItem:
    """Something the studio sells, with its price range in EUR and German tax rate."""

    de: str
    fr: str
    en: str
    low: int
    high: int
    tax_de: int = 19
    quantities: tuple[str, ...] = ("1",)
    step: int = 10


CATALOG = (
    CatalogItem("Konzeption & Beratung (Stunden)", "Conseil et conception (heures)",
                "Consulting and concept work (hours)", 95, 120,
                quantities=("2", "3.5", "4", "6", "7.5", "8", "12", "16", "24"), step=5),
    CatalogItem("Logo-Entwicklung", "Création de logo", "Logo design", 1800, 4500),
    CatalogItem("Webdesign Landingpage", "Design de page d'atterrissage", "Landing page design",
                2400, 6800),
    CatalogItem("Illustrationen (Stück)", "Illustrations (pièce)", "Illustrations (each)",
                180, 450, quantities=("2", "3", "4", "6", "8", "12")),
    CatalogItem("Fotoproduktion, halber Tag", "Shooting photo, demi-journée",
                "Photo shoot, half day", 850, 1400),
    CatalogItem("Druck Imagebroschüre A4, 500 Stück", "Impression brochure A4, 500 ex.",
                "Printing brochure A4, 500 copies", 690, 1900),
    CatalogItem("Druck Bildband, gebunden (Stück)", "Impression livre illustré relié (ex.)",
                "Printing illustrated book, hardback (each)", 24, 39, tax_de=7,
                quantities=("50", "100", "150", "250"), step=1),
    CatalogItem("Markenhandbuch, Druck und Bindung (Stück)", "Charte graphique imprimée (ex.)",
                "Printed brand guidelines book (each)", 35, 60, tax_de=7,
                quantities=("10", "20", "25", "40"), step=1),
    CatalogItem("Bildlizenzen (Stock)", "Licences d'images", "Stock image licences",
                45, 180, quantities=("3", "5", "8", "12", "20"), step=5),
    CatalogItem("Gebühr Markenanmeldung DPMA (durchlaufender Posten)",
                "Frais de dépôt de marque (débours)", "Trademark filing fee (disbursement)",
                290, 290, tax_de=0),
    CatalogItem("UX-Workshop (Tagessatz)", "Atelier UX (jour)", "UX workshop (day rate)",
                1100, 1450, quantities=("1", "2")),
    CatalogItem("Reisekosten (Bahn, Hotel)", "Frais de déplacement", "Travel expenses",
                89, 420, step=1),
    CatalogItem("Verpackungsdesign", "Design d'emballage", "Packaging design", 2200, 5200),
    CatalogItem("Social-Media-Vorlagen (Paket)", "Modèles réseaux sociaux (pack)",
                "Social media templates (pack)", 480, 960),
    CatalogItem("Geschäftsbericht, Satz und Layout (Seiten)", "Mise en page rapport annuel (pages)",
                "Annual report typesetting (pages)", 45, 85, quantities=("24", "36", "48", "64"),
                step=5),
)  # fmt: skip

PROJECTS = {
    "de": ("Frühjahrskampagne", "Relaunch Website", "Messeauftritt Hannover", "Geschäftsbericht",
           "Neue Verpackungslinie", "Jubiläumsbroschüre", "Social-Media-Kampagne Sommer"),
    "fr": ("Campagne de printemps", "Refonte du site web", "Catalogue d'automne",
           "Rapport annuel", "Nouvelle gamme d'emballages", "Salon Maison & Objet"),
    "en": ("Spring campaign", "Website relaunch", "Autumn catalogue", "Annual report",
           "New packaging range", "Trade show stand", "Summer social media campaign"),
}  # fmt: skip

#: A tax note printed on invoices without German VAT, by customer country.
TAX_NOTES = {
    "FR": "Autoliquidation / reverse charge: article 196 de la directive 2006/112/CE.",
    "GB": "Not subject to German VAT: place of supply is the United Kingdom (§ 3a UStG).",
}

GBP_PER_EUR = Decimal("0.86")

# Event ranks: what happens first when several things happen on one day.
ISSUE, VOID, CREDIT, PAY, WRITE_OFF = range(5)


@dataclass
class DemoCustomer:
    """A customer once saved: its id and what the invoice plan needs to know about it."""

    spec: CustomerSpec
    id: int
    code: str
    currency: str
    terms: int
    language: str
    since: date
    contact: str
    owner: str


@dataclass
class PlannedInvoice:
    """An invoice of the plan; ``id``, ``number`` and ``open_minor`` follow it as events run."""

    customer: DemoCustomer
    issue_date: date
    lines: tuple[DraftLine, ...]
    total_minor: int
    po_number: str = ""
    description: str = ""
    notes: str = ""
    recurring: bool = False
    fate: str = "paid"
    id: int | None = None
    number: str = ""
    open_minor: int = 0

    @property
    def due_date(self) -> date:
        """The due date from the customer's payment terms."""
        return self.issue_date + timedelta(days=self.customer.terms)

    @property
    def currency(self) -> str:
        """The invoice currency (the customer's)."""
        return self.customer.currency


@dataclass
class PlannedPayment:
    """One transfer from a customer, settling a percentage of what is open on each invoice.

    ``fee_minor`` is a bank charge the payer's bank deducted; it is written off on the last
    invoice. ``style`` picks how the payer wrote the reference.
    """

    customer: DemoCustomer
    day: date
    items: list[tuple[PlannedInvoice, int]]
    kind: str = "full"
    fee_minor: int = 0
    style: int = 0
    recorded_minor: int = 0
    reference: str = ""


@dataclass(order=True)
class _Event:
    day: date
    rank: int
    seq: int
    run: Callable[[], None] = field(compare=False)


@dataclass
class DemoBuild:
    """The state of one demo build, handed from step to step."""

    uow: UnitOfWork
    today: date
    rng: random.Random
    users: dict[str, int] = field(default_factory=dict)
    customers: list[DemoCustomer] = field(default_factory=list)
    invoices: list[PlannedInvoice] = field(default_factory=list)
    payments: list[PlannedPayment] = field(default_factory=list)
    events: list[_Event] = field(default_factory=list)
    runs: dict[tuple[int, date], PlannedPayment] = field(default_factory=dict)

    @property
    def start(self) -> date:
        """The first day of the demo's history."""
        return self.today - timedelta(days=HISTORY_DAYS)

    def at(self, day: date, rank: int, run: Callable[[], None]) -> None:
        """Schedule ``run`` on ``day``; events run by day, then rank, then in scheduling order."""
        if day > self.today:
            raise ValueError(f"a demo event on {day} is after today ({self.today})")
        self.events.append(_Event(day, rank, len(self.events), run))

    def customer(self, name: str) -> DemoCustomer:
        """A customer of the build by name."""
        return next(c for c in self.customers if c.spec.name == name)


def build_demo_ledger(uow: UnitOfWork, today: date, seed: int = 7) -> None:
    """Fill an empty ledger with a realistic small company, as of ``today``.

    Nordlicht Design GmbH, a Hamburg design studio invoicing in EUR and GBP: about 40 customers in
    Germany, France and the United Kingdom, about 300 invoices over the nine months before
    ``today`` in every state (paid on time and late, partly paid, overdue up to four months, open,
    drafts, credited in whole or in part, void), two monthly recurring invoices and timeline notes.

    Args:
        uow: the unit of work of an empty, migrated ledger.
        today: the date the ledger is seen on; nothing in it happens later.
        seed: the random seed; the same seed and ``today`` give the same ledger.
    """
    demo = DemoBuild(uow=uow, today=today, rng=random.Random(seed))
    add_company(demo)
    add_users(demo)
    add_customers(demo)
    plan_invoices(demo)
    plan_recurring_invoices(demo)
    plan_drafts(demo)
    plan_fates(demo)
    plan_payments(demo)
    plan_collections(demo)
    run_events(demo)
    add_timeline_notes(demo)
    add_collection_actions(demo)


# --- company, people, customers -------------------------------------------------------------


def add_company(demo: DemoBuild) -> None:
    """Company settings (address, bank, payment link) and the tax rates 19, 7 and 0 %."""
    save_settings(demo.uow, COMPANY_SETTINGS)
    save_tax_rates(demo.uow, list(TAX_RATES))


def add_users(demo: DemoBuild) -> None:
    """The three people who own customers."""
    for name, email, _ in USERS:
        demo.users[name] = add_user(demo.uow, name, email)


def ascii_slug(text: str, separator: str = ".") -> str:
    """Lower-case ASCII letters and digits of ``text`` (ü → ue, é → e), for email addresses."""
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.lower().replace(umlaut, spelled)
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(ch if ch.isalnum() else " " for ch in plain).split()
    return separator.join(words)


def iban_with_check_digits(country: str, bban: str) -> str:
    """An IBAN for a national account number (BBAN), with its ISO 7064 check digits computed."""
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return normalize_iban(f"{country}{98 - int(digits) % 97:02d}{bban}")


def _digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(count))


def random_iban(rng: random.Random, country: str) -> str:
    """A valid, made-up IBAN of a German, French or British account."""
    if country == "DE":
        bank = rng.choice(("37040044", "10070000", "20050550", "70150000", "50010517", "60050101"))
        return iban_with_check_digits("DE", bank + _digits(rng, 10))
    if country == "FR":
        bank = rng.choice(("30004", "30003", "30002", "10278", "18206"))
        branch, account = _digits(rng, 5), _digits(rng, 11)
        rib_key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
        return iban_with_check_digits("FR", f"{bank}{branch}{account}{rib_key:02d}")
    bank = rng.choice(("NWBK", "BARC", "LOYD", "HBUK", "MIDL"))
    return iban_with_check_digits("GB", bank + _digits(rng, 6) + _digits(rng, 8))


def _phone(rng: random.Random, country: str) -> str:
    if country == "GB":
        return f"{PHONE_PREFIXES['GB']} {rng.randint(1000, 1999)}"
    groups = " ".join(_digits(rng, 2) for _ in range(4))
    return f"{PHONE_PREFIXES[country]} {rng.randint(1, 9)} {groups}"


def _vat_id(rng: random.Random, country: str) -> str:
    return {"DE": "DE", "FR": f"FR{_digits(rng, 2)}", "GB": "GB"}[country] + _digits(rng, 9)


def _contacts(rng: random.Random, spec: CustomerSpec) -> tuple[ContactView, ...]:
    country = spec.country
    domain = EMAIL_DOMAINS[country]
    if "Holding" in " ".join(spec.aliases) or "Group" in " ".join(spec.aliases):
        domain = "example.com"  # a group with a shared-service centre
    company = ascii_slug(spec.name.split(" ")[0], "")
    first, last = rng.choice(FIRST_NAMES[country]), rng.choice(LAST_NAMES[country])
    person = f"{first} {last}"
    contacts = [
        ContactView(
            person, f"{ascii_slug(person)}.{company}@{domain}", _phone(rng, country), "billing"
        )
    ]
    if spec.segment == KEY_ACCOUNT or rng.random() < 0.4:
        team, mailbox = AP_MAILBOXES[country]
        contacts.append(ContactView(team, f"{mailbox}.{company}@{domain}", "", "accounts_payable"))
    if spec.behaviour in (LATE, CHRONIC) or rng.random() < 0.25:
        boss = f"{rng.choice(FIRST_NAMES[country])} {rng.choice(LAST_NAMES[country])}"
        contacts.append(
            ContactView(boss, f"{ascii_slug(boss)}.{company}@{domain}", "", "reminders")
        )
    return tuple(contacts)


def _terms(rng: random.Random, spec: CustomerSpec) -> int:
    if spec.segment == KEY_ACCOUNT:
        return rng.choice((30, 30, 45))
    if spec.segment == NEW_CUSTOMER:
        return 14
    return rng.choice((14, 30, 30))


def add_customers(demo: DemoBuild) -> None:
    """About forty customers with contacts, payer accounts, aliases, segments and owners."""
    rng = demo.rng
    owners: dict[str, list[str]] = {}
    for name, _, countries in USERS:
        for country in countries:
            owners.setdefault(country, []).append(name)
    for index, spec in enumerate(CUSTOMERS, start=1):
        ibans = [random_iban(rng, spec.country) for _ in range(rng.choice((0, 1, 1, 1, 2)))]
        contacts = _contacts(rng, spec)
        terms = _terms(rng, spec)
        currency = CURRENCIES[spec.country]
        owner = owners[spec.country][index % len(owners[spec.country])]
        limit = {KEY_ACCOUNT: Decimal(50000), STANDARD: Decimal(15000)}.get(spec.segment)
        data = CustomerInput(
            code=f"K{10000 + index * 7}",
            name=spec.name,
            currency=currency,
            payment_terms_days=terms,
            phone=contacts[0].phone,
            address=f"{spec.street}\n{spec.city}",
            country=spec.country,
            language=LANGUAGES[spec.country],
            segment=spec.segment,
            vat_id=_vat_id(rng, spec.country),
            credit_limit=limit,
            owner_id=demo.users[owner],
            contacts=contacts,
            ibans=tuple(ibans),
            aliases=spec.aliases,
        )
        customer_id = save_customer(demo.uow, data)
        since = demo.start
        if spec.segment == NEW_CUSTOMER:
            since = demo.today - timedelta(days=rng.randint(60, 110))
        demo.customers.append(
            DemoCustomer(
                spec=spec,
                id=customer_id,
                code=data.code,
                currency=currency,
                terms=terms,
                language=LANGUAGES[spec.country],
                since=since,
                contact=contacts[0].name,
                owner=owner,
            )
        )


# --- the invoice plan -----------------------------------------------------------------------


def _price(rng: random.Random, item: CatalogItem, currency: str) -> Decimal:
    steps = (item.high - item.low) // item.step
    eur = Decimal(item.low + item.step * rng.randint(0, steps))
    if currency == "EUR":
        return eur
    return round_money(eur * GBP_PER_EUR / item.step, currency).to_integral_value() * item.step


def _tax_rate(customer: DemoCustomer, item: CatalogItem) -> Decimal:
    return Decimal(item.tax_de) if customer.spec.country == "DE" else Decimal(0)


def random_lines(rng: random.Random, customer: DemoCustomer) -> tuple[DraftLine, ...]:
    """One to four lines of what the studio sells, priced in the customer's currency."""
    count = rng.choices((1, 2, 3, 4), weights=(35, 30, 20, 15))[0]
    lines = []
    for item in rng.sample(CATALOG, count):
        discount = Decimal(0)
        if customer.spec.segment == KEY_ACCOUNT and rng.random() < 0.2:
            discount = Decimal(rng.choice((5, 10)))
        lines.append(
            DraftLine(
                description=getattr(item, customer.language),
                quantity=Decimal(rng.choice(item.quantities)),
                unit_price=_price(rng, item, customer.currency),
                tax_rate_percent=_tax_rate(customer, item),
                discount_percent=discount,
            )
        )
    return tuple(lines)


def total_minor(lines: Sequence[DraftLine], currency: str) -> int:
    """The total of a set of lines, computed as the ledger computes it."""
    return compute_totals([line_amounts(line, currency) for line in lines], currency).total_minor


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _cadence(customer: DemoCustomer) -> tuple[int, int]:
    """How many days pass between two invoices to this customer (shortest, longest)."""
    if customer.spec.behaviour == CHRONIC:
        return 14, 21
    return {KEY_ACCOUNT: (17, 28), STANDARD: (40, 70), NEW_CUSTOMER: (14, 30)}[
        customer.spec.segment
    ]


def plan_invoices(demo: DemoBuild) -> None:
    """The one-off invoices: each customer on its own rhythm from its first day to today."""
    rng = demo.rng
    for customer in demo.customers:
        shortest, longest = _cadence(customer)
        day = customer.since + timedelta(days=rng.randint(0, shortest))
        while (issue := _weekday(day)) <= demo.today:
            _add_planned(demo, customer, issue, random_lines(rng, customer))
            day = issue + timedelta(days=rng.randint(shortest, longest))


def _add_planned(
    demo: DemoBuild, customer: DemoCustomer, issue: date, lines: tuple[DraftLine, ...]
) -> PlannedInvoice:
    rng = demo.rng
    po_number = ""
    if customer.spec.segment == KEY_ACCOUNT:
        po_number = f"45000{rng.randint(10000, 99999)}"
        if customer.spec.country == "GB":
            po_number = f"PO-{rng.randint(10000, 99999)}"
    project = rng.choice(PROJECTS[customer.language])
    invoice = PlannedInvoice(
        customer=customer,
        issue_date=issue,
        lines=lines,
        total_minor=total_minor(lines, customer.currency),
        po_number=po_number,
        description=f"{project} {issue.year}",
        notes=TAX_NOTES.get(customer.spec.country, ""),
    )
    demo.invoices.append(invoice)
    return invoice


RECURRING = (
    (
        "Brückner Medizintechnik AG",
        1,
        "Hosting & Wartung Website",
        (
            DraftLine("Hosting & Wartung Website (Monat)", Decimal(1), Decimal(149), Decimal(19)),
            DraftLine("Pauschale CMS-Updates (Monat)", Decimal(1), Decimal(240), Decimal(19)),
        ),
    ),
    (
        "Oakridge Consulting Ltd",
        15,
        "Design retainer",
        (DraftLine("Design retainer, 12 hours a month", Decimal(1), Decimal(1150), Decimal(0)),),
    ),
)


def plan_recurring_invoices(demo: DemoBuild) -> None:
    """Two monthly recurring invoices; each copy is issued on its day by the recurring service."""
    for name, anchor, title, lines in RECURRING:
        customer = demo.customer(name)
        first = add_months(demo.start, 1, anchor)
        create_recurring_template(
            demo.uow, customer.id, Frequency.MONTHLY, first, lines, name=title, description=title
        )
        day = first
        while day <= demo.today:
            invoice = PlannedInvoice(
                customer=customer,
                issue_date=day,
                lines=lines,
                total_minor=total_minor(lines, customer.currency),
                recurring=True,
            )
            demo.invoices.append(invoice)
            demo.at(day, ISSUE, _issue_recurring_copy(demo, invoice))
            day = add_months(day, 1, anchor)


def plan_drafts(demo: DemoBuild) -> None:
    """A few drafts from the last week that nobody has issued yet."""
    rng = demo.rng
    established = [c for c in demo.customers if c.spec.segment != NEW_CUSTOMER]
    for customer in rng.sample(established, 4):
        day = demo.today - timedelta(days=rng.randint(0, 6))
        invoice = _add_planned(demo, customer, day, random_lines(rng, customer))
        invoice.fate = "draft"


def _pick(
    demo: DemoBuild, count: int, fits: Callable[[PlannedInvoice], bool]
) -> list[PlannedInvoice]:
    """``count`` one-off invoices still bound to be paid normally that meet ``fits``."""
    candidates = [
        i
        for i in demo.invoices
        if i.fate == "paid" and not i.recurring and i.customer.spec.behaviour != CHRONIC and fits(i)
    ]
    return demo.rng.sample(candidates, min(count, len(candidates)))


def plan_fates(demo: DemoBuild) -> None:
    """Invoices that are voided, credited in whole or in part, or paid a deposit on."""
    today = demo.today
    for invoice in _pick(demo, 4, lambda i: i.issue_date <= today - timedelta(days=5)):
        invoice.fate = "void"
    for invoice in _pick(demo, 3, lambda i: i.issue_date <= today - timedelta(days=30)):
        invoice.fate = "credited"
    for invoice in _pick(demo, 5, lambda i: i.issue_date <= today - timedelta(days=25)):
        invoice.fate = "part credited"
    for invoice in _pick(
        demo,
        4,
        lambda i: (
            i.due_date > today + timedelta(days=3) and i.issue_date < today - timedelta(days=2)
        ),
    ):
        invoice.fate = "deposit"


VOID_REASONS = (
    "Issued to the wrong customer entity",
    "Duplicate of an invoice already sent",
    "Order cancelled before delivery",
    "Wrong prices; replaced by a new invoice",
)
CREDIT_REASONS = {
    "de": ("Auftrag storniert", "Gutschrift: Leistungsumfang reduziert", "Kulanzgutschrift"),
    "fr": ("Commande annulée", "Avoir : périmètre réduit", "Geste commercial"),
    "en": ("Order cancelled", "Credit: reduced scope", "Goodwill credit"),
}


def _partial_credit_lines(invoice: PlannedInvoice, percent: int) -> tuple[DraftLine, ...]:
    first = invoice.lines[0]
    net = first.quantity * first.unit_price * (1 - first.discount_percent / 100)
    amount = round_money(net * percent / 100, invoice.currency)
    label = {"de": "Gutschrift {p} % auf", "fr": "Avoir {p} % sur", "en": "Credit {p}% on"}
    text = f"{label[invoice.customer.language].format(p=percent)}: {first.description}"
    return (DraftLine(text, Decimal(1), amount, first.tax_rate_percent),)


# --- payments -------------------------------------------------------------------------------


def _pay_delay(demo: DemoBuild, invoice: PlannedInvoice) -> int | None:
    """Days after the due date this customer pays, or None if it has not paid yet."""
    rng = demo.rng
    behaviour = invoice.customer.spec.behaviour
    if behaviour == CHRONIC:
        overdue = (demo.today - invoice.due_date).days
        if 55 <= overdue <= 118:
            return None  # the stack of old invoices the customer sits on
        return rng.randint(60, 110)
    return {
        PUNCTUAL: rng.randint(-10, 1),
        SLOW: rng.randint(0, 21),
        LATE: rng.randint(12, 50),
    }[behaviour]


def _schedule_payment(demo: DemoBuild, payment: PlannedPayment) -> None:
    demo.payments.append(payment)
    demo.at(payment.day, PAY, lambda: _record(demo, payment))


def _new_payment(
    demo: DemoBuild, invoice: PlannedInvoice, day: date, percent: int, kind: str
) -> None:
    if day > demo.today:
        return
    fee = 0
    if kind == "full" and invoice.customer.spec.country == "GB" and demo.rng.random() < 0.12:
        fee = demo.rng.choice((600, 1000, 1250))
    payment = PlannedPayment(
        invoice.customer,
        day,
        [(invoice, percent)],
        kind=kind,
        fee_minor=fee,
        style=demo.rng.randrange(100),
    )
    _schedule_payment(demo, payment)


def _next_run(day: date) -> date:
    """The customer's monthly payment run on the 25th, on or after ``day``."""
    run = day.replace(day=25)
    return run if run >= day else add_months(run, 1, 25)


def _plan_run_payment(demo: DemoBuild, invoice: PlannedInvoice, not_before: date) -> None:
    run = _next_run(max(invoice.due_date - timedelta(days=7), not_before))
    if run > demo.today:
        return
    key = (invoice.customer.id, run)
    if key in demo.runs:
        demo.runs[key].items.append((invoice, 100))
        return
    payment = PlannedPayment(
        invoice.customer, run, [(invoice, 100)], kind="run", style=demo.rng.randrange(100)
    )
    demo.runs[key] = payment
    _schedule_payment(demo, payment)


def _plan_normal_payment(demo: DemoBuild, invoice: PlannedInvoice, not_before: date) -> None:
    rng = demo.rng
    if invoice.customer.spec.behaviour == PAYMENT_RUN:
        _plan_run_payment(demo, invoice, not_before)
        return
    delay = _pay_delay(demo, invoice)
    if delay is None:
        return
    day = max(invoice.due_date + timedelta(days=delay), not_before)
    if invoice.customer.spec.behaviour in (SLOW, LATE, CHRONIC) and rng.random() < 0.12:
        part = rng.choice((30, 40, 50))
        _new_payment(demo, invoice, day, part, "part")
        day += timedelta(days=rng.randint(14, 45))
    _new_payment(demo, invoice, day, 100, "full")


def plan_payments(demo: DemoBuild) -> None:
    """Schedule issuing, voiding, crediting and paying every planned invoice."""
    rng = demo.rng
    for invoice in demo.invoices:
        if invoice.recurring:
            _plan_normal_payment(demo, invoice, invoice.issue_date + timedelta(days=1))
            continue
        demo.at(invoice.issue_date, ISSUE, _issue(demo, invoice))
        not_before = invoice.issue_date + timedelta(days=1)
        if invoice.fate == "void":
            day = min(invoice.issue_date + timedelta(days=rng.randint(1, 4)), demo.today)
            demo.at(day, VOID, _void(demo, invoice, rng.choice(VOID_REASONS)))
        elif invoice.fate == "credited":
            day = invoice.issue_date + timedelta(days=rng.randint(5, 20))
            reason = CREDIT_REASONS[invoice.customer.language][0]
            demo.at(day, CREDIT, _credit(demo, invoice, day, reason, None))
        elif invoice.fate == "part credited":
            day = invoice.issue_date + timedelta(days=rng.randint(3, 12))
            reason = rng.choice(CREDIT_REASONS[invoice.customer.language][1:])
            lines = _partial_credit_lines(invoice, rng.choice((10, 15, 20, 25)))
            demo.at(day, CREDIT, _credit(demo, invoice, day, reason, lines))
            _plan_normal_payment(demo, invoice, day + timedelta(days=1))
        elif invoice.fate == "deposit":
            day = invoice.issue_date + timedelta(days=rng.randint(1, 2))
            _new_payment(demo, invoice, day, rng.choice((30, 50)), "deposit")
        elif invoice.fate == "paid":
            _plan_normal_payment(demo, invoice, not_before)
    _plan_double_payment(demo)


def _plan_double_payment(demo: DemoBuild) -> None:
    """One invoice paid twice by a punctual customer: the second transfer is unapplied cash."""
    paid = [
        p
        for p in demo.payments
        if p.kind == "full"
        and p.customer.spec.behaviour == PUNCTUAL
        and p.day <= demo.today - timedelta(days=20)
    ]
    if not paid:
        return
    first = demo.rng.choice(paid)
    day = first.day + timedelta(days=demo.rng.randint(1, 3))

    def pay_again() -> None:
        if first.recorded_minor <= 0:
            return
        record_payment(
            demo.uow,
            first.customer.id,
            Money(first.recorded_minor, first.customer.currency),
            day,
            reference=first.reference,
        )

    demo.at(day, PAY, pay_again)


# --- running the plan -----------------------------------------------------------------------


def _id(invoice: PlannedInvoice) -> int:
    if invoice.id is None:
        raise RuntimeError(f"demo invoice of {invoice.issue_date} used before it was issued")
    return invoice.id


def _issue(demo: DemoBuild, invoice: PlannedInvoice) -> Callable[[], None]:
    def run() -> None:
        draft = DraftInvoice(
            customer_id=invoice.customer.id,
            issue_date=invoice.issue_date,
            lines=invoice.lines,
            po_number=invoice.po_number,
            description=invoice.description,
            notes=invoice.notes,
        )
        invoice.id = create_draft(demo.uow, draft)
        if invoice.fate != "draft":
            invoice.number = issue_invoice(demo.uow, invoice.id)
            invoice.open_minor = invoice.total_minor

    return run


def _issue_recurring_copy(demo: DemoBuild, invoice: PlannedInvoice) -> Callable[[], None]:
    def run() -> None:
        numbers = issue_due_recurring(demo.uow, FixedClock(invoice.issue_date))
        if len(numbers) != 1:
            raise RuntimeError(f"expected one recurring invoice on {invoice.issue_date}: {numbers}")
        invoice.number = numbers[0]
        invoice.id = get_invoice_by_number(demo.uow, invoice.number, demo.today).id
        invoice.open_minor = invoice.total_minor

    return run


def _void(demo: DemoBuild, invoice: PlannedInvoice, reason: str) -> Callable[[], None]:
    return lambda: void_invoice(demo.uow, _id(invoice), reason)


def _credit(
    demo: DemoBuild,
    invoice: PlannedInvoice,
    day: date,
    reason: str,
    lines: tuple[DraftLine, ...] | None,
) -> Callable[[], None]:
    def run() -> None:
        create_credit_note(demo.uow, _id(invoice), FixedClock(day), reason, lines)
        credit = invoice.total_minor if lines is None else total_minor(lines, invoice.currency)
        invoice.open_minor -= min(credit, invoice.open_minor)

    return run


def _partial(open_minor: int, percent: int) -> int:
    """Part of what is open, in whole currency units as people pay part of a bill."""
    part = open_minor * percent // 100 // 100 * 100
    return part if 0 < part < open_minor else open_minor // 2


REFERENCE_STYLES = {
    "de": ("Rechnung {n}", "RE {n}", "{n}", "Re-Nr. {compact}", "{rf}", "Rechnungsnr {short}"),
    "fr": ("Facture {n}", "FACT {n}", "{n}", "Règlement facture {n}", "{rf}", "Fact. {short}"),
    "en": ("Invoice {n}", "INV {short}", "{n}", "Payment {n}", "{rf}", "Inv {compact}"),
}
KIND_WORDS = {
    "part": {"de": "Teilzahlung", "fr": "Acompte", "en": "Part payment"},
    "deposit": {"de": "Anzahlung", "fr": "Acompte", "en": "Deposit"},
    "run": {"de": "Zahlungslauf", "fr": "Virement groupé", "en": "Payment run"},
}


def payment_reference(payment: PlannedPayment, numbers: Sequence[str]) -> str:
    """The remittance text as the payer wrote it, in one of several real-world styles."""
    language = payment.customer.language
    if payment.style < 5:
        return ""  # no reference at all
    if payment.kind == "run":
        return f"{KIND_WORDS['run'][language]} {payment.day.isoformat()} " + ", ".join(numbers)
    number = numbers[0]
    prefix, year, seq = ([*number.split("-"), "", ""])[:3]
    styles = REFERENCE_STYLES[language]
    text = styles[payment.style % len(styles)].format(
        n=number,
        compact=number.replace("-", ""),
        short=f"{prefix} {year} {seq.lstrip('0')}".strip(),
        rf=creditor_reference(number),
    )
    if payment.kind in KIND_WORDS:
        return f"{KIND_WORDS[payment.kind][language]} {text}"
    return text


def _record(demo: DemoBuild, payment: PlannedPayment) -> None:
    parts: list[tuple[PlannedInvoice, int]] = []
    for invoice, percent in payment.items:
        if invoice.open_minor <= 0:
            continue
        amount = invoice.open_minor if percent >= 100 else _partial(invoice.open_minor, percent)
        parts.append((invoice, amount))
    if not parts:
        return
    currency = payment.customer.currency
    fee = payment.fee_minor if payment.fee_minor < parts[-1][1] else 0
    allocations = [(_id(i), Money(a, currency)) for i, a in parts]
    if fee:
        last_id, last = allocations[-1]
        allocations[-1] = (last_id, Money(last.minor - fee, currency))
    payment.recorded_minor = sum(a.minor for _, a in allocations)
    payment.reference = payment_reference(payment, [i.number for i, _ in parts])
    record_payment(
        demo.uow,
        payment.customer.id,
        Money(payment.recorded_minor, currency),
        payment.day,
        allocations,
        reference=payment.reference,
    )
    for invoice, amount in parts:
        invoice.open_minor -= amount
    if fee:
        charged = parts[-1][0]
        write_off(
            demo.uow,
            _id(charged),
            Money(fee, currency),
            payment.day,
            "Bank charges deducted by the payer's bank",
        )


def run_events(demo: DemoBuild) -> None:
    """Run every planned event in date order."""
    for event in sorted(demo.events):
        event.run()


# --- timeline -------------------------------------------------------------------------------


def add_timeline_notes(demo: DemoBuild) -> None:
    """Notes the owners wrote on customers' timelines: calls, promises, changed addresses."""
    notes: list[tuple[str, str]] = []
    chronic = next(c for c in demo.customers if c.spec.behaviour == CHRONIC)
    notes += [
        (chronic.spec.name, f"Called {chronic.contact}: the open invoices are 'with the managing "
                            "director for approval'. Asked for a payment date; none given."),
        (chronic.spec.name, "Sent a statement of account with every open invoice by email."),
        (chronic.spec.name, "No new work before the invoices older than 60 days are paid "
                            "(agreed with Anna)."),
    ]  # fmt: skip
    late = [c for c in demo.customers if c.spec.behaviour == LATE]
    for customer in late[:4]:
        notes.append(
            (customer.spec.name, f"Reminded {customer.contact} of the payment terms "
                                 f"({customer.terms} days) at the project meeting.")
        )  # fmt: skip
    notes += [
        ("Hartley & Finch Ltd", "AP asks that every invoice quotes their PO number; invoices "
                                "without one are rejected."),
        ("Müller & Söhne Maschinenbau GmbH", "Pays in its monthly payment run on the 25th; "
                                             "payments come from Müller Holding AG."),
        ("Éditions du Pré Vert SAS", "Nouvelle adresse de facturation : service comptabilité, "
                                     "Lyon. Envoyer les factures en PDF uniquement."),
        ("Northgate Foods plc", "Invoices go through their shared-service centre; allow two "
                                "weeks for approval."),
        ("Strandgut Reisen GmbH", "Trading as 'Strandgut Travel'; payments may arrive under "
                                  "that name."),
    ]  # fmt: skip
    actor = demo.uow.actor
    try:
        for name, text in notes:
            customer = demo.customer(name)
            demo.uow.actor = customer.owner
            add_note(demo.uow, customer.id, text)
    finally:
        demo.uow.actor = actor
