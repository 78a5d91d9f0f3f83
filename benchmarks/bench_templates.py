"""Reminder letters rendered per second: 3,000 account letters of about five invoices each.

Run ``python benchmarks/bench_templates.py [--letters N] [--seed N]``. The letters are made up
(no ledger): customers in the five languages, each with one to nine open invoices in EUR or GBP,
some partly paid, some with credit on the account, each rendered with the template of a random
dunning step (subject, text and HTML body). The engine's budget is well under 2 s for 3,000.
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import replace
from datetime import date, timedelta

from app.models.money import Money
from app.services.reminders.templates import (
    LANGUAGES,
    TEMPLATE_NAMES,
    ReminderContext,
    ReminderInvoice,
    render_reminder,
    sample_context,
    shipped_template,
)

TODAY = date(2026, 11, 23)
BUDGET_S = 2.0


def make_contexts(count: int, seed: int) -> list[ReminderContext]:
    """``count`` letters with about five invoices each (1 to 9), in every language."""
    rng = random.Random(seed)
    contexts = []
    for n in range(count):
        language = LANGUAGES[n % len(LANGUAGES)]
        currency = "GBP" if rng.random() < 0.2 else "EUR"
        invoices = []
        for i in range(rng.randint(1, 9)):
            overdue = rng.randint(-10, 120)
            total = rng.randint(5_000, 2_500_000)
            open_ = total if rng.random() < 0.8 else rng.randint(1, total - 1)
            due = TODAY - timedelta(days=overdue)
            invoices.append(
                ReminderInvoice(
                    number=f"INV-2026-{n:05d}{i}",
                    issue_date=due - timedelta(days=30),
                    due_date=due,
                    total=Money(total, currency),
                    open=Money(open_, currency),
                    days_overdue=overdue,
                    partly_paid=open_ < total,
                )
            )
        credit = (Money(rng.randint(100, 50_000), currency),) if rng.random() < 0.1 else ()
        contexts.append(
            replace(
                sample_context(language, TODAY),
                customer_name=f"Customer {n} & Co",
                customer_code=f"C{n:05d}",
                contact_name="" if rng.random() < 0.3 else f"Contact {n}",
                invoices=tuple(invoices),
                payment_link="https://pay.example.com/x" if len(invoices) == 1 else "",
                unapplied=credit,
            )
        )
    return contexts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    contexts = make_contexts(args.letters, args.seed)
    rng = random.Random(args.seed)
    templates = [shipped_template(rng.choice(TEMPLATE_NAMES), c.language) for c in contexts]
    invoices = sum(len(c.invoices) for c in contexts)

    started = time.perf_counter()
    sizes = 0
    for source, context in zip(templates, contexts, strict=True):
        letter = render_reminder(source, context)
        sizes += len(letter.body_text) + len(letter.body_html)
    elapsed = time.perf_counter() - started

    print(
        f"{args.letters} letters ({invoices} invoices, {invoices / args.letters:.1f} per letter, "
        f"{sizes / 1e6:.1f} MB of text and HTML) in {elapsed:.2f} s: "
        f"{args.letters / elapsed:,.0f} emails/s"
    )
    budget = BUDGET_S * args.letters / 3000
    print(f"budget {budget:.2f} s: {'ok' if elapsed < budget else 'TOO SLOW'}")


if __name__ == "__main__":
    main()
