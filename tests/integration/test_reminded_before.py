"""A firm or final letter speaks of earlier reminders only when Duebook sent or queued one.

A new user imports a backlog already 53 and 39 days overdue: the engine rightly takes the firm
step, but nothing was ever sent, so the letter must not say "despite our earlier reminders". The
ledger is loaded through the CSV imports, with customers in each of the five languages.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models.collections import OutboxItem
from app.models.customer import Customer
from app.services.file_import import import_customers, import_invoices
from app.services.reminders.outbox import cancel_outbox_item, queue_reminder_now
from app.services.reminders.run import DecisionView, run_reminders
from app.services.reminders.templates import context_for_customer
from app.services.settings import save_settings
from app.services.uow import UnitOfWork
from tests.conftest import TODAY

LANGUAGES = ("en", "de", "fr", "es", "nl")

#: What claims earlier contact, per language: the firm letter's "despite our earlier reminder"
#: and the final notice's "we have written to you about this before".
EARLIER = {
    "en": re.compile(r"earlier reminder|written to you about this before"),
    "de": re.compile(r"trotz unserer Zahlungserinnerung|bereits daran erinnert"),
    "fr": re.compile(r"précédents? rappels?|déjà écrit"),
    "es": re.compile(r"recordatorios? anterior|escrito anteriormente"),
    "nl": re.compile(r"eerdere herinnering|eerder over geschreven"),
}
#: The honest opener says how long the oldest invoice is overdue.
DAYS_OVERDUE = {
    "en": "53 days overdue",
    "de": "53 Tage überfällig",
    "fr": "53 jours",
    "es": "53 días vencida",
    "nl": "53 dagen over de vervaldatum",
}


def _customer_code(language: str, invoices: int) -> str:
    return f"{language.upper()}{invoices}"


@pytest.fixture
def backlog(uow: UnitOfWork, tmp_path: Path) -> UnitOfWork:
    """Per language one customer with invoices 53 and 39 days overdue, one with a single one."""
    customers = ["customer_id,name,email,language,segment"]
    invoices = ["number,customer_id,issue_date,due_date,total,amount_paid"]
    for language in LANGUAGES:
        for count in (1, 2):
            code = _customer_code(language, count)
            customers.append(f"{code},Backlog {code} Ltd,ap@{code.lower()}.example,{language},")
            for n, overdue in enumerate((53, 39)[:count], start=1):
                due = TODAY - timedelta(days=overdue)
                issued = due - timedelta(days=30)
                invoices.append(f"INV-{code}-{n},{code},{issued},{due},100.00,0")
    customer_csv, invoice_csv = tmp_path / "customers.csv", tmp_path / "invoices.csv"
    customer_csv.write_text("\n".join(customers) + "\n", encoding="utf-8")
    invoice_csv.write_text("\n".join(invoices) + "\n", encoding="utf-8")
    import_customers(uow, customer_csv)
    import_invoices(uow, invoice_csv)
    save_settings(uow, {"company.name": "Duebook Demo GmbH", "company.email": "ar@duebook.example"})
    return uow


def _letters(uow: UnitOfWork, day_offset: int = 0) -> dict[str, DecisionView]:
    result = run_reminders(uow, TODAY + timedelta(days=day_offset))
    return {d.customer_code: d for d in result.decisions if d.email is not None}


def _bodies(decision: DecisionView) -> tuple[str, str]:
    assert decision.email is not None
    return decision.email.body_text, decision.email.body_html


def _customer_id(uow: UnitOfWork, code: str) -> int:
    with uow:
        return uow.session.scalars(select(Customer.id).where(Customer.code == code)).one()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_first_letter_at_the_firm_step_claims_no_earlier_reminder(
    backlog: UnitOfWork, language: str
) -> None:
    letters = _letters(backlog)

    for count in (1, 2):
        letter = letters[_customer_code(language, count)]
        assert letter.step == "2nd reminder"
        for body in _bodies(letter):
            assert not EARLIER[language].search(body), body
            assert DAYS_OVERDUE[language] in body
            assert "INV-" in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_letter_after_an_earlier_one_says_so(backlog: UnitOfWork, language: str) -> None:
    first = _letters(backlog, -25)  # 28 and 14 days overdue: the 1st reminder
    assert {d.step for d in first.values()} == {"1st reminder"}

    later = _letters(backlog)

    for count in (1, 2):
        letter = later[_customer_code(language, count)]
        assert letter.step == "2nd reminder"
        for body in _bodies(letter):
            assert EARLIER[language].search(body), body


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_first_final_notice_claims_no_earlier_letter_and_a_later_one_does(
    backlog: UnitOfWork, language: str
) -> None:
    final = _letters(backlog, 10)  # 63 and 49 days overdue: the final notice for the oldest
    letter = final[_customer_code(language, 1)]
    assert letter.step == "Final notice"
    for body in _bodies(letter):
        assert not EARLIER[language].search(body), body

    again = _letters(backlog, 40)  # the second invoice reaches the final notice
    letter = again[_customer_code(language, 2)]
    assert letter.step == "Final notice"
    for body in _bodies(letter):
        assert EARLIER[language].search(body), body


def test_a_cancelled_letter_is_no_earlier_reminder(backlog: UnitOfWork) -> None:
    _letters(backlog, -25)
    with backlog:
        ids = list(backlog.session.scalars(select(OutboxItem.id)))
    for item_id in ids:
        cancel_outbox_item(backlog, item_id)

    later = _letters(backlog)

    text, html = _bodies(later["EN2"])
    assert not EARLIER["en"].search(text)
    assert not EARLIER["en"].search(html)
    assert text.count("The invoices below remain unpaid") == 1


def test_a_reminder_queued_by_hand_is_an_earlier_reminder(backlog: UnitOfWork) -> None:
    customer_id = _customer_id(backlog, "DE2")
    queue_reminder_now(backlog, customer_id, TODAY - timedelta(days=25))

    later = _letters(backlog)

    text, _ = _bodies(later["DE2"])
    assert "trotz unserer Zahlungserinnerungen" in text
    assert not EARLIER["de"].search(_bodies(later["DE1"])[0])


def test_the_editor_preview_on_a_real_customer_knows_of_earlier_reminders(
    backlog: UnitOfWork,
) -> None:
    customer_id = _customer_id(backlog, "FR2")
    with backlog:
        before = context_for_customer(backlog.session, customer_id, TODAY)
    _letters(backlog)
    with backlog:
        after = context_for_customer(backlog.session, customer_id, TODAY)

    assert (before.reminded_before, after.reminded_before) == (False, True)
