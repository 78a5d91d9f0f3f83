"""Generate a large, realistic ledger fast, for the speed benchmarks of the window and reports.

    python benchmarks/generate_ledger.py --customers 10000 --invoices 100000 \\
        --out /tmp/big.sqlite3

The ledger is created and migrated with ``open_ledger`` like any other, then filled with bulk
``insert()`` executemany calls in chunks (SQLAlchemy Core, one transaction), not through the
services: 100,000 invoices through the services would take minutes.

What it holds, over the two years before ``--today``:

- customers in five countries (EUR and GBP), each with one or two contacts, some with a payer IBAN
  and a trading name;
- invoices numbered ``INV-YYYY-NNNNN`` in issue-date order (the number sequences are set to go on
  from there), each with 1-3 lines at 19, 7 or 0 % tax;
- about 70 % paid (a payment and a cash allocation), 10 % partly paid, 15 % open or overdue (mostly
  recent, with a long tail of old debts), 2 % credited by a credit note (``CN-YYYY-NNNNN``, with a
  ``credit_note`` allocation), and a few void invoices and drafts.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, insert, text

from app.models.company import NumberSequence
from app.models.customer import Contact, Customer, CustomerAlias, CustomerIban
from app.models.db import open_ledger
from app.models.invoice import Invoice, InvoiceLine
from app.models.payment import Allocation, Payment
from app.services.clock import SystemClock
from app.services.demo import ascii_slug, iban_with_check_digits

CHUNK = 10_000
HISTORY_DAYS = 730

Row = dict[str, Any]

COUNTRIES = (
    # country, weight, currency, language, legal forms, email domain
    ("DE", 45, "EUR", "de", ("GmbH", "GmbH & Co. KG", "AG", "e.K."), "example.de"),
    ("FR", 15, "EUR", "fr", ("SARL", "SAS", "SA"), "example.fr"),
    ("AT", 10, "EUR", "de", ("GmbH", "KG"), "example.com"),
    ("NL", 10, "EUR", "en", ("B.V.", "N.V."), "example.com"),
    ("GB", 20, "GBP", "en", ("Ltd", "plc", "LLP"), "example.co.uk"),
)
SURNAMES = (
    "Müller", "Schäfer", "Köhler", "Weiß", "Groß", "Brückner", "Hölzl", "Jäger", "Krämer", "Vogt",
    "Lefèvre", "Dubois", "Géraud", "Moreau", "Bénard", "Faure", "Rousseau", "Chevalier",
    "Whitfield", "Clarke", "O'Neill", "Patel", "Hughes", "Thornton", "Bennett", "McAllister",
    "de Vries", "Jansen", "Bakker", "Visser", "Nordwind", "Alpenblick", "Rheinland", "Atlas",
    "Lumière", "Thames", "Kestrel", "Oakridge", "Brightwater", "Sonnenschein",
)  # fmt: skip
TRADES = (
    "Logistik", "Bau", "Design", "Foods", "Consulting", "Technik", "Handel", "Medien", "Verlag",
    "Immobilien", "Software", "Elektro", "Maschinenbau", "Reisen", "Gastronomie", "Druck",
    "Textil", "Pharma", "Energie", "Automotive", "Studios", "Publishing", "Outdoor", "Holding",
    "Services", "Systems", "Trading", "Partners", "Solutions", "Distribution",
)  # fmt: skip
PRODUCTS = (
    # description, lowest and highest unit price in minor units, tax rate in basis points
    ("Consulting (hours)", 9_500, 14_500, 1900),
    ("Design work (hours)", 8_000, 12_000, 1900),
    ("Software licence, annual", 49_000, 240_000, 1900),
    ("Support plan, monthly", 4_900, 29_900, 1900),
    ("Printed catalogue (each)", 1_200, 3_900, 700),
    ("Books, hardback (each)", 1_900, 4_900, 700),
    ("Travel expenses", 8_900, 42_000, 1900),
    ("Trademark filing fee (disbursement)", 29_000, 29_000, 0),
    ("Workshop (day rate)", 110_000, 145_000, 1900),
    ("Hardware, installed", 25_000, 250_000, 1900),
)
FIRST_NAMES = ("Anna", "Jürgen", "Hélène", "Oliver", "Priya", "Sanne", "Loïc", "Katrin", "James")
SEGMENTS = (("Key account", 10), ("Standard", 75), ("New customer", 15))


@dataclass
class Counters:
    """Running ids and totals of the generated rows."""

    ids: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    def next_id(self, table: str) -> int:
        """The next primary key of ``table`` (ids are given, not left to the database)."""
        self.ids[table] = self.ids.get(table, 0) + 1
        return self.ids[table]


def _stamp(day: date) -> datetime:
    return datetime.combine(day, day_time(9, 0), tzinfo=UTC)


def _chunks(rows: Sequence[Row]) -> Iterator[Sequence[Row]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def _insert(conn: Connection, table: Table, rows: Sequence[Row], counters: Counters) -> None:
    for chunk in _chunks(rows):
        conn.execute(insert(table), list(chunk))
    counters.rows[table.name] = counters.rows.get(table.name, 0) + len(rows)


def _table(model: type[Any]) -> Table:
    table = model.__table__
    if not isinstance(table, Table):  # pragma: no cover - every model here is a plain table
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


@dataclass(frozen=True)
class CustomerInfo:
    """What invoices need to know about a generated customer."""

    id: int
    currency: str
    terms: int
    domestic: bool


def _customers(
    rng: random.Random, count: int, created: datetime
) -> tuple[list[CustomerInfo], dict[str, list[Row]]]:
    rows: dict[str, list[Row]] = {"customers": [], "contacts": [], "ibans": [], "aliases": []}
    infos: list[CustomerInfo] = []
    weights = [c[1] for c in COUNTRIES]
    segments = [name for name, _ in SEGMENTS]
    segment_weights = [weight for _, weight in SEGMENTS]
    contact_id = iban_id = alias_id = 0
    for customer_id in range(1, count + 1):
        country, _, currency, language, forms, domain = rng.choices(COUNTRIES, weights)[0]
        first, second = rng.sample(SURNAMES, 2)
        pattern = rng.random()
        if pattern < 0.4:
            name = f"{first} {rng.choice(TRADES)} {rng.choice(forms)}"
        elif pattern < 0.7:
            name = f"{first} & {second} {rng.choice(forms)}"
        else:
            name = f"{first} {second} {rng.choice(TRADES)} {rng.choice(forms)}"
        segment = rng.choices(segments, segment_weights)[0]
        terms = rng.choice((14, 30, 30, 30, 45, 60))
        phone = f"+{rng.randint(30, 49)} {rng.randint(100, 999)} {rng.randint(10000, 99999)}"
        rows["customers"].append(
            {
                "id": customer_id,
                "code": f"C{customer_id:06d}",
                "name": name,
                "currency": currency,
                "payment_terms_days": terms,
                "phone": phone,
                "address": f"{rng.randint(1, 200)} Main Street\n{rng.randint(10000, 99999)} City",
                "country": country,
                "language": language,
                "segment": segment,
                "vat_id": f"{country}{rng.randint(100_000_000, 999_999_999)}",
                "credit_limit_minor": rng.choice((None, 1_000_000, 5_000_000)),
                "owner_id": None,
                "created_at": created,
            }
        )
        company = ascii_slug(first, "")
        for role in ("billing", "reminders")[: rng.choice((1, 1, 2))]:
            contact_id += 1
            person = rng.choice(FIRST_NAMES)
            rows["contacts"].append(
                {
                    "id": contact_id,
                    "customer_id": customer_id,
                    "name": f"{person} {second}",
                    "email": f"{ascii_slug(person)}.{company}{customer_id}@{domain}",
                    "phone": "",
                    "role": role,
                }
            )
        if rng.random() < 0.3:
            iban_id += 1
            bban = f"37040044{customer_id:010d}" if country != "GB" else f"NWBK{customer_id:014d}"
            iban_country = "DE" if country != "GB" else "GB"
            rows["ibans"].append(
                {
                    "id": iban_id,
                    "customer_id": customer_id,
                    "iban": iban_with_check_digits(iban_country, bban),
                }
            )
        if rng.random() < 0.05:
            alias_id += 1
            rows["aliases"].append(
                {"id": alias_id, "customer_id": customer_id, "alias": f"{first} Group"}
            )
        infos.append(CustomerInfo(customer_id, currency, terms, currency == "EUR"))
    return infos, rows


@dataclass
class PlannedInvoice:
    """One generated invoice before it gets its id and number."""

    customer: CustomerInfo
    fate: str
    issue_date: date
    lines: list[tuple[str, int, int, int]]
    event_day: date | None = None
    partial_percent: int = 0


def _fate(rng: random.Random) -> str:
    r = rng.random()
    for fate, upto in (
        ("paid", 0.70),
        ("partly paid", 0.80),
        ("unpaid", 0.95),
        ("credited", 0.97),
        ("void", 0.985),
    ):
        if r < upto:
            return fate
    return "draft"


def _lines(rng: random.Random, customer: CustomerInfo) -> list[tuple[str, int, int, int]]:
    lines = []
    for description, low, high, tax in rng.sample(PRODUCTS, rng.choice((1, 1, 2, 2, 3))):
        price = rng.randint(low, high) // 100 * 100
        quantity = rng.choice((1, 1, 1, 2, 3, 5, 8, 12, 20))
        lines.append((description, quantity, price, tax if customer.domestic else 0))
    return lines


def _plan(
    rng: random.Random, customers: Sequence[CustomerInfo], count: int, today: date
) -> list[PlannedInvoice]:
    plans = []
    for _ in range(count):
        customer = rng.choice(customers)
        fate = _fate(rng)
        event_day: date | None = None
        partial = 0
        if fate == "paid":
            delay = customer.terms + rng.choice((-7, -3, 0, 2, 5, 10, 20, 35, 60))
            delay = max(delay, 1)
            issue = today - timedelta(days=rng.randint(delay, HISTORY_DAYS))
            event_day = issue + timedelta(days=delay)
        elif fate == "partly paid":
            delay = rng.randint(7, 60)
            issue = today - timedelta(days=rng.randint(delay, HISTORY_DAYS))
            event_day = issue + timedelta(days=delay)
            partial = rng.choice((20, 30, 40, 50, 60, 75))
        elif fate == "unpaid":
            issue = today - timedelta(days=int(rng.triangular(0, 400, 0)))
        elif fate in ("credited", "void"):
            delay = rng.randint(2, 30)
            issue = today - timedelta(days=rng.randint(delay, HISTORY_DAYS))
            event_day = issue + timedelta(days=delay)
        else:
            issue = today - timedelta(days=rng.randint(0, 14))
        plans.append(
            PlannedInvoice(customer, fate, issue, _lines(rng, customer), event_day, partial)
        )
    plans.sort(key=lambda p: (p.issue_date, p.fate == "draft"))
    return plans


def document_totals(lines: Sequence[tuple[str, int, int, int]]) -> tuple[int, int]:
    """Net and tax of whole-quantity, undiscounted lines, in minor units.

    Tax is computed once per rate on the rate's net sum and rounded half up, exactly as
    ``app.models.invoice.compute_totals`` does, in integer arithmetic for speed.
    """
    net_by_rate: dict[int, int] = {}
    for _, quantity, price, tax in lines:
        net_by_rate[tax] = net_by_rate.get(tax, 0) + quantity * price
    tax_total = sum((net * rate + 5000) // 10000 for rate, net in net_by_rate.items())
    return sum(net_by_rate.values()), tax_total


class Numbering:
    """Gapless ``PREFIX-YYYY-NNNNN`` numbers per series and year, in the order they are asked."""

    def __init__(self) -> None:
        self.next: dict[tuple[str, int], int] = {}

    def take(self, series: str, prefix: str, day: date) -> str:
        """The next number of ``series`` in ``day``'s year."""
        seq = self.next.get((series, day.year), 1)
        self.next[(series, day.year)] = seq + 1
        return f"{prefix}-{day.year}-{seq:05d}"

    def rows(self) -> list[Row]:
        """The ``number_sequences`` rows that make the app carry on after these numbers."""
        return [
            {"id": i, "series": series, "year": year, "next_value": value}
            for i, ((series, year), value) in enumerate(sorted(self.next.items()), start=1)
        ]


def _invoice_rows(
    plans: Sequence[PlannedInvoice], today: date, counters: Counters
) -> dict[str, list[Row]]:
    rows: dict[str, list[Row]] = {
        "invoices": [],
        "lines": [],
        "payments": [],
        "allocations": [],
        "credit_notes": [],
    }
    numbering = Numbering()
    credit_notes: list[tuple[PlannedInvoice, int, int, int, int]] = []
    for plan in plans:
        invoice_id = counters.next_id("invoices")
        net, tax = document_totals(plan.lines)
        total = net + tax
        customer = plan.customer
        draft = plan.fate == "draft"
        void = plan.fate == "void"
        rows["invoices"].append(
            _document(
                invoice_id,
                None if draft else numbering.take("invoice", "INV", plan.issue_date),
                "invoice",
                "draft" if draft else "void" if void else "issued",
                customer,
                plan.issue_date,
                plan.issue_date + timedelta(days=customer.terms),
                (net, tax),
                credited=None,
                void_day=plan.event_day if void else None,
            )
        )
        rows["lines"].extend(_line_rows(invoice_id, plan.lines, counters))
        if plan.fate in ("paid", "partly paid") and plan.event_day is not None:
            amount = total
            if plan.fate == "partly paid":
                amount = max(total * plan.partial_percent // 100 // 100 * 100, 1)
                amount = min(amount, total - 1)
            payment_id = counters.next_id("payments")
            rows["payments"].append(
                _payment(payment_id, customer, plan.event_day, amount, rows["invoices"][-1])
            )
            rows["allocations"].append(
                _allocation(counters, invoice_id, "cash", amount, customer, plan.event_day,
                            payment_id=payment_id)
            )  # fmt: skip
        elif plan.fate == "credited" and plan.event_day is not None:
            credit_notes.append((plan, invoice_id, net, tax, total))
    credit_notes.sort(key=lambda c: (c[0].event_day, c[1]))
    for plan, invoice_id, net, tax, total in credit_notes:
        day = plan.event_day or today
        note_id = counters.next_id("invoices")
        rows["credit_notes"].append(
            _document(
                note_id,
                numbering.take("credit_note", "CN", day),
                "credit_note",
                "issued",
                plan.customer,
                day,
                day,
                (net, tax),
                credited=invoice_id,
                void_day=None,
            )
        )
        rows["lines"].extend(_line_rows(note_id, plan.lines, counters))
        rows["allocations"].append(
            _allocation(counters, invoice_id, "credit_note", total, plan.customer, day,
                        credit_note_id=note_id)
        )  # fmt: skip
    rows["sequences"] = numbering.rows()
    return rows


def _document(
    invoice_id: int,
    number: str | None,
    kind: str,
    state: str,
    customer: CustomerInfo,
    issue_date: date,
    due_date: date,
    amounts: tuple[int, int],
    credited: int | None,
    void_day: date | None,
) -> Row:
    net, tax = amounts
    return {
        "id": invoice_id,
        "number": number,
        "kind": kind,
        "state": state,
        "customer_id": customer.id,
        "currency": customer.currency,
        "issue_date": issue_date,
        "due_date": due_date,
        "net_minor": net,
        "tax_minor": tax,
        "total_minor": net + tax,
        "po_number": "",
        "description": "",
        "notes": "",
        "credited_invoice_id": credited,
        "recurring_template_id": None,
        "source": "generated",
        "void_reason": "Issued in error" if void_day else "",
        "created_at": _stamp(issue_date),
        "issued_at": None if state == "draft" else _stamp(issue_date),
        "voided_at": _stamp(void_day) if void_day else None,
    }


def _line_rows(
    invoice_id: int, lines: Sequence[tuple[str, int, int, int]], counters: Counters
) -> list[Row]:
    return [
        {
            "id": counters.next_id("invoice_lines"),
            "invoice_id": invoice_id,
            "position": position,
            "description": description,
            "quantity_milli": quantity * 1000,
            "unit_price_minor": price,
            "discount_bp": 0,
            "tax_rate_bp": tax,
        }
        for position, (description, quantity, price, tax) in enumerate(lines)
    ]


def _payment(payment_id: int, customer: CustomerInfo, day: date, amount: int, invoice: Row) -> Row:
    return {
        "id": payment_id,
        "customer_id": customer.id,
        "received_on": day,
        "amount_minor": amount,
        "currency": customer.currency,
        "method": "bank transfer",
        "reference": invoice["number"] or "",
        "payer_name": "",
        "payer_iban": "",
        "source": "generated",
        "created_at": _stamp(day),
        "reversed_at": None,
    }


def _allocation(
    counters: Counters,
    invoice_id: int,
    kind: str,
    amount: int,
    customer: CustomerInfo,
    day: date,
    payment_id: int | None = None,
    credit_note_id: int | None = None,
) -> Row:
    return {
        "id": counters.next_id("allocations"),
        "invoice_id": invoice_id,
        "kind": kind,
        "amount_minor": amount,
        "currency": customer.currency,
        "payment_id": payment_id,
        "credit_note_id": credit_note_id,
        "allocated_on": day,
        "note": "",
        "created_at": _stamp(day),
        "reversed_at": None,
    }


def generate_ledger(
    path: Path, customers: int, invoices: int, seed: int = 1, today: date | None = None
) -> dict[str, int]:
    """Create a migrated ledger at ``path`` with ``customers`` and ``invoices`` (and credit notes).

    Args:
        path: the new ledger file; it must not exist yet.
        customers: how many customers.
        invoices: how many invoices (drafts and void ones included, credit notes not).
        seed: the random seed; the same seed and ``today`` give the same ledger.
        today: the last day of the two years of history; the machine's date by default.

    Returns:
        How many rows went into each table.

    Raises:
        FileExistsError: ``path`` already exists.
    """
    if path.exists():
        raise FileExistsError(f"{path} exists; remove it first")
    today = today or SystemClock().today()
    rng = random.Random(seed)
    counters = Counters()
    factory = open_ledger(path)
    created = _stamp(today - timedelta(days=HISTORY_DAYS + 30))
    infos, customer_rows = _customers(rng, customers, created)
    plans = _plan(rng, infos, invoices, today)
    invoice_rows = _invoice_rows(plans, today, counters)
    with factory() as session, session.begin():
        conn = session.connection()
        for table, rows in (
            (_table(Customer), customer_rows["customers"]),
            (_table(Contact), customer_rows["contacts"]),
            (_table(CustomerIban), customer_rows["ibans"]),
            (_table(CustomerAlias), customer_rows["aliases"]),
            (_table(Invoice), invoice_rows["invoices"]),
            (_table(Invoice), invoice_rows["credit_notes"]),
            (_table(InvoiceLine), invoice_rows["lines"]),
            (_table(Payment), invoice_rows["payments"]),
            (_table(Allocation), invoice_rows["allocations"]),
            (_table(NumberSequence), invoice_rows["sequences"]),
        ):
            _insert(conn, table, rows, counters)
    with factory() as session:
        session.execute(text("ANALYZE"))
        session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        session.commit()
    return counters.rows


def cached_ledger(customers: int, invoices: int, today: date, fresh: bool = False) -> Path:
    """A generated ledger kept in the temporary folder between benchmark runs (seed 1)."""
    cache = Path(tempfile.gettempdir()) / "duebook-bench"
    cache.mkdir(exist_ok=True)
    path = cache / f"ledger-{customers}-{invoices}.sqlite3"
    if fresh and path.exists():
        path.unlink()
    if not path.exists():
        started = time.perf_counter()
        generate_ledger(path, customers, invoices, seed=1, today=today)
        print(f"generated {path} in {time.perf_counter() - started:.1f} s")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: generate a ledger and print how long it took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/ledger.sqlite3"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    args = parser.parse_args(argv)
    if args.customers < 1 or args.invoices < 0:
        parser.error("need at least one customer and no negative number of invoices")
    if args.out.exists():
        if not args.force:
            print(f"{args.out} exists; pass --force to replace it", file=sys.stderr)
            return 2
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.out}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    counts = generate_ledger(args.out, args.customers, args.invoices, args.seed, args.today)
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{n:,} {table}" for table, n in counts.items())
    size = args.out.stat().st_size / 1_000_000
    print(f"{args.out}: {summary}")
    print(f"generated in {elapsed:.1f} s ({size:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
