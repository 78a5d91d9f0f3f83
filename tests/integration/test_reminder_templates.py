"""Reminder templates against a real ledger: edits, resets, the audit log, a customer's letter."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.models.activity import AuditEntry
from app.models.collections import ReminderTemplate
from app.models.customer import Contact
from app.models.money import Money
from app.services.clock import FixedClock
from app.services.dto import DraftInvoice, DraftLine
from app.services.invoicing import (
    create_credit_note,
    create_draft,
    issue_invoice,
    record_payment,
    void_invoice,
)
from app.services.reminders.templates import (
    LANGUAGES,
    TEMPLATE_NAMES,
    TemplateError,
    TemplateSource,
    context_for_customer,
    load_template,
    load_templates,
    render_reminder,
    reset_template,
    save_template,
    shipped_template,
)
from app.services.settings import save_settings
from tests.conftest import TODAY, add_customer


def edited(name="firm", language="de", subject="Mahnung {{ customer.code }}"):
    shipped = shipped_template(name, language)
    return TemplateSource(
        name, language, subject, "Eigener Text\n\n{{ invoice_table }}\n", shipped.body_html
    )


def edits_and_audits(uow):
    with uow:
        rows = uow.session.scalar(select(func.count()).select_from(ReminderTemplate))
        audits = uow.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity == "reminder_template")
        ).all()
    return rows, list(audits)


def test_the_shipped_templates_are_used_until_the_user_edits_one(uow):
    with uow:
        templates = load_templates(uow.session)
    assert set(templates) == {(n, lang) for n in TEMPLATE_NAMES for lang in LANGUAGES}
    assert len(templates) == 20
    assert not any(t.edited for t in templates.values())
    assert templates[("final", "nl")] == shipped_template("final", "nl")


def test_an_edited_template_wins_over_the_shipped_one_and_is_audited(uow):
    save_template(uow, edited())

    with uow:
        one = load_template(uow.session, "firm", "de")
        other = load_template(uow.session, "firm", "fr")
        templates = load_templates(uow.session)
    assert one.edited
    assert one.subject == "Mahnung {{ customer.code }}"
    assert not other.edited
    assert templates[("firm", "de")] == one
    assert [k for k, t in templates.items() if t.edited] == [("firm", "de")]
    assert edits_and_audits(uow) == (1, ["edit"])

    save_template(uow, edited(subject="Zweite Mahnung {{ customer.code }}"))
    with uow:
        assert load_template(uow.session, "firm", "de-AT").subject.startswith("Zweite")
    assert edits_and_audits(uow) == (1, ["edit", "edit"])


def test_reset_brings_back_the_shipped_template(uow):
    save_template(uow, edited())
    reset_template(uow, "firm", "de")

    with uow:
        assert load_template(uow.session, "firm", "de") == shipped_template("firm", "de")
    assert edits_and_audits(uow) == (0, ["edit", "reset"])
    reset_template(uow, "firm", "de")  # nothing to reset: nothing logged
    assert edits_and_audits(uow) == (0, ["edit", "reset"])


def test_saving_the_shipped_text_unchanged_removes_the_edit(uow):
    save_template(uow, edited())
    shipped = shipped_template("firm", "de")
    save_template(uow, TemplateSource(**{**shipped.__dict__, "edited": True}))
    with uow:
        assert not load_template(uow.session, "firm", "de").edited
    assert edits_and_audits(uow)[0] == 0


@pytest.mark.parametrize(
    ("subject", "body", "message"),
    [
        ("Mahnung {{ kunde.name }}", "Text", r"subject, line 1: unknown placeholder: 'kunde'"),
        ("Mahnung", "Text\n{% for x in invoices %}", r"text body, line 2: cannot be read"),
        ("Mahnung", "{{ ''.__class__.__mro__ }}", "text body"),
    ],
)
def test_a_broken_template_is_refused_and_nothing_is_stored(uow, subject, body, message):
    save_template(uow, edited())
    with pytest.raises(TemplateError, match=message):
        save_template(uow, TemplateSource("firm", "de", subject, body, ""))
    with uow:
        assert load_template(uow.session, "firm", "de").subject == "Mahnung {{ customer.code }}"
    assert edits_and_audits(uow) == (1, ["edit"])


def test_an_unknown_language_loads_the_english_template(uow):
    save_template(uow, edited(language="en", subject="Edited {{ count }}"))
    with uow:
        assert load_template(uow.session, "firm", "it").subject == "Edited {{ count }}"
        assert load_template(uow.session, "friendly", "").language == "en"


def _invoice(uow, customer_id, issued, net, *, issue=True):
    draft = DraftInvoice(
        customer_id, issued, (DraftLine("Consulting", Decimal(1), Decimal(net), Decimal(19)),)
    )
    invoice_id = create_draft(uow, draft)
    number = issue_invoice(uow, invoice_id) if issue else ""
    return invoice_id, number


def test_context_for_customer_lists_the_open_invoices_of_a_real_ledger(uow):
    save_settings(
        uow,
        {
            "company.name": "Nordlicht Design GmbH",
            "company.country": "DE",
            "company.email": "buchhaltung@nordlicht.example",
            "company.iban": "DE89 3704 0044 0532 0130 00",
            "invoice.payment_link": "https://pay.example.com/{number}?amount={amount}",
        },
    )
    customer = add_customer(uow, name="Müller & Söhne <GmbH>", terms=30)
    other = add_customer(uow, code="C002", name="Someone Else")
    with uow:
        uow.session.add_all(
            [
                Contact(customer_id=customer, name="Petra Müller", email="pm@example.com"),
                Contact(customer_id=customer, name="No Mail", email=""),
            ]
        )
        uow.commit()
    old_id, old = _invoice(uow, customer, TODAY - timedelta(days=75), "1000.00")  # 1190.00
    part_id, part = _invoice(uow, customer, TODAY - timedelta(days=40), "500.00")  # 595.00
    _, new = _invoice(uow, customer, TODAY - timedelta(days=5), "100.00")  # 119.00
    paid_id, paid = _invoice(uow, customer, TODAY - timedelta(days=50), "200.00")
    void_id, void = _invoice(uow, customer, TODAY - timedelta(days=20), "300.00")
    _invoice(uow, customer, TODAY, "999.00", issue=False)
    _invoice(uow, other, TODAY - timedelta(days=60), "700.00")
    void_invoice(uow, void_id, "typo")
    record_payment(uow, customer, Money(23800, "EUR"), TODAY, [(paid_id, Money(23800, "EUR"))])
    record_payment(uow, customer, Money(19500, "EUR"), TODAY, [(part_id, Money(19500, "EUR"))])
    record_payment(uow, customer, Money(5000, "EUR"), TODAY)  # on account, unapplied
    goodwill = (DraftLine("Goodwill", Decimal(1), Decimal("10.00"), Decimal(19)),)
    create_credit_note(uow, old_id, FixedClock(TODAY), "goodwill", goodwill)

    with uow:
        context = context_for_customer(uow.session, customer, TODAY, "2nd reminder", "firm")

    assert context.language == "de"  # no language of its own: the company's country
    assert (context.company_name, context.company_iban) == (
        "Nordlicht Design GmbH",
        "DE89370400440532013000",
    )
    assert (context.customer_name, context.contact_name) == (
        "Müller & Söhne <GmbH>",
        "Petra Müller",
    )
    assert (context.step_name, context.tone, context.today) == ("2nd reminder", "firm", TODAY)
    assert [i.number for i in context.invoices] == [old, part, new]
    assert void not in [i.number for i in context.invoices]
    assert paid not in [i.number for i in context.invoices]
    first, second, third = context.invoices
    assert (first.days_overdue, first.partly_paid) == (45, True)  # the credit note reduced it
    assert first.open == Money(119000 - 1190, "EUR")
    assert (second.days_overdue, second.partly_paid, second.open) == (10, True, Money(40000, "EUR"))
    assert (third.days_overdue, third.partly_paid) == (-25, False)
    assert context.unapplied == (Money(5000, "EUR"),)
    assert context.payment_link == ""  # several invoices: no one amount to link

    letter = render_reminder(shipped_template("firm", context.language), context)
    assert "Müller &amp; Söhne &lt;GmbH&gt;" not in letter.body_html  # not in the shipped text
    assert "Guten Tag Petra Müller," in letter.body_text
    for number in (old, part, new):
        assert number in letter.body_text
        assert number in letter.body_html
    assert "400,00\xa0€" in letter.body_text
    assert "45 Tage überfällig, teilweise bezahlt" in letter.body_text
    assert "abzüglich Ihres Guthabens von 50,00\xa0€" in letter.body_text


def test_a_one_invoice_letter_gets_the_payment_link(uow):
    save_settings(uow, {"invoice.payment_link": "https://pay.example.com/{number}?a={amount}"})
    customer = add_customer(uow)
    _, number = _invoice(uow, customer, TODAY - timedelta(days=40), "100.00")
    with uow:
        context = context_for_customer(uow.session, customer, TODAY)
    assert context.payment_link == f"https://pay.example.com/{number}?a=119.00"
    assert context.contact_name == ""
    letter = render_reminder(shipped_template("reminder", "en"), context)
    assert context.payment_link in letter.body_text


def test_context_for_an_unknown_customer(uow):
    with uow, pytest.raises(LookupError, match="no customer with id 99"):
        context_for_customer(uow.session, 99, TODAY)


def test_a_customer_with_nothing_open_still_renders(uow):
    customer = add_customer(uow)
    with uow:
        context = context_for_customer(uow.session, customer, date(2026, 1, 1))
    assert context.invoices == ()
    letter = render_reminder(shipped_template("friendly", "en"), context)
    assert letter.subject
