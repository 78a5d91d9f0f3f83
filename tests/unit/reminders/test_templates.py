"""Reminder templates rendered on made-up letters: every shipped one, escaping, the sandbox."""

from dataclasses import replace
from datetime import date

import pytest

from app.models.money import Money
from app.services.money_format import format_money
from app.services.reminders.templates import (
    LANGUAGES,
    MAX_SUBJECT_LENGTH,
    PLACEHOLDER_HELP,
    TEMPLATE_NAMES,
    ReminderInvoice,
    TemplateError,
    TemplateSource,
    check_template,
    render_reminder,
    sample_context,
    shipped_template,
)

TODAY = date(2026, 3, 16)
BREAKS = ("\r", "\n", "\t", "\x0b", "\x0c", "\x85", "\u2028", "\u2029")


def custom(subject="Hello", body_text="Text", body_html="<p>HTML</p>", language="en"):
    return TemplateSource("reminder", language, subject, body_text, body_html)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_every_shipped_template_renders_the_letter_in_its_language(name, language):
    context = sample_context(language, TODAY)
    source = shipped_template(name, language)
    assert (source.name, source.language, source.edited) == (name, language, False)

    letter = render_reminder(source, context)

    assert letter.subject
    assert not any(c in letter.subject for c in BREAKS)
    assert context.company_name in letter.subject
    for invoice in context.invoices:
        for body in (letter.body_text, letter.body_html):
            assert invoice.number in body
            assert format_money(invoice.open, language) in body
            assert format_money(invoice.total, language) in body
    assert "\n\n\n" not in letter.body_text
    assert letter.body_html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{language}">' in letter.body_html
    assert "<table" in letter.body_html
    assert "https://pay.example.com/C-SAMPLE" in letter.body_text
    assert "DE89 3704 0044 0532 0130 00" in letter.body_text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_every_shipped_template_passes_the_save_check(name, language):
    check_template(shipped_template(name, language))


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_a_one_invoice_letter_without_contact_link_or_credit(name):
    context = sample_context("en", TODAY)
    context = replace(
        context, contact_name="", invoices=context.invoices[:1], payment_link="", unapplied=()
    )
    letter = render_reminder(shipped_template(name, "en"), context)
    assert "INV-2026-00101" in letter.subject
    assert letter.body_text.startswith("Dear Sir or Madam,\n")
    assert "pay online" not in letter.body_text
    assert "Total open: €1,234.50." in letter.body_text


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_german_letters_write_german_amounts_dates_and_states(name):
    letter = render_reminder(shipped_template(name, "de"), sample_context("de", TODAY))
    for body in (letter.body_text, letter.body_html):
        assert "1.234,50\xa0€" in body
        assert "02.02.2026" in body
        assert "15 Tage überfällig, teilweise bezahlt" in body
        assert "fällig in 3 Tagen" in body
    assert "Guten Tag Alex Example," in letter.body_text
    assert "noch zu zahlen 2.021,25\xa0€" in letter.body_text


def test_the_text_table_lists_each_invoice_with_its_state_and_aligned_amounts():
    letter = render_reminder(shipped_template("reminder", "en"), sample_context("en", TODAY))
    rows = [line for line in letter.body_text.splitlines() if line.startswith("INV-")]
    assert len(rows) == 3
    assert rows[0].endswith("42 days overdue")
    assert rows[1].endswith("15 days overdue, partly paid")
    assert rows[2].endswith("due in 3 days")
    opens = ("€1,234.50", "€480.00", "€456.75")
    ends = {row.rindex(amount) + len(amount) for row, amount in zip(rows, opens, strict=True)}
    assert len(ends) == 1  # the open amounts are aligned right
    assert (
        "Total open: €2,171.25, less €150.00 in credit on your account: €2,021.25 to pay."
        in letter.body_text
    )


def test_totals_are_per_currency_and_credit_covering_a_balance_is_worded():
    context = replace(
        sample_context("en", TODAY),
        invoices=(
            ReminderInvoice(
                "A-1", TODAY, TODAY, Money(10000, "EUR"), Money(10000, "EUR"), 0, False
            ),
            ReminderInvoice("A-2", TODAY, TODAY, Money(5000, "GBP"), Money(5000, "GBP"), 0, False),
        ),
        unapplied=(Money(20000, "EUR"),),
    )
    source = custom(body_text="{{ totals_text }}|{{ total_due }}")
    text = render_reminder(source, context).body_text
    assert text == (
        "Total open: €100.00, covered by €200.00 in credit on your account.\n"
        "Total open: £50.00.|€0.00 and £50.00\n"
    )


def test_customer_text_is_escaped_in_the_html_body_but_not_in_the_text_body():
    context = replace(
        sample_context("en", TODAY),
        customer_name="<script>alert(1)</script>",
        contact_name='Eve "<b>" & Co',
        company_name="Smith & Sons <Ltd>",
    )
    source = custom(
        subject="{{ customer.name }}",
        body_text="{{ customer.name }} {{ greeting }}",
        body_html="<p>{{ customer.name }}</p><p>{{ greeting }}</p>",
    )
    letter = render_reminder(source, context)
    assert "<script>" not in letter.body_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in letter.body_html
    assert "Dear Eve &#34;&lt;b&gt;&#34; &amp; Co," in letter.body_html
    assert letter.body_text == '<script>alert(1)</script> Dear Eve "<b>" & Co,\n'

    shipped = render_reminder(shipped_template("final", "en"), context)
    assert "<b>" not in shipped.body_html
    assert "Smith &amp; Sons &lt;Ltd&gt;" in shipped.body_html


def test_an_invoice_number_with_markup_is_escaped_in_the_html_table():
    context = sample_context("en", TODAY)
    evil = replace(context.invoices[0], number="<img src=x onerror=alert(1)>")
    letter = render_reminder(shipped_template("reminder", "en"), replace(context, invoices=(evil,)))
    assert "<img" not in letter.body_html
    assert "&lt;img src=x onerror=alert(1)&gt;" in letter.body_html


@pytest.mark.parametrize("name", ["ACME\r\nBcc: x@y", "ACME\nBcc: x@y", "ACME\u2028Bcc: x@y\t"])
def test_a_line_break_in_a_value_never_reaches_the_subject(name):
    context = replace(sample_context("en", TODAY), customer_name=name, company_name=name)
    subject = render_reminder(custom(subject="Reminder for {{ customer.name }}"), context).subject
    assert subject == "Reminder for ACME Bcc: x@y"
    for template in TEMPLATE_NAMES:
        shipped = render_reminder(shipped_template(template, "en"), context).subject
        assert not any(c in shipped for c in BREAKS)
        assert shipped.endswith("ACME Bcc: x@y")


def test_a_subject_template_over_several_lines_becomes_one_line():
    subject = render_reminder(
        custom(subject="  Reminder\n{% if count %}\n  {{ count }} invoices\n{% endif %}\n"),
        sample_context("en", TODAY),
    ).subject
    assert subject == "Reminder 3 invoices"


def test_a_long_subject_is_cut():
    context = replace(sample_context("en", TODAY), customer_name="x" * 500)
    subject = render_reminder(custom(subject="Reminder {{ customer.name }}"), context).subject
    assert len(subject) == MAX_SUBJECT_LENGTH
    assert subject.endswith("…")


def test_a_misspelt_placeholder_is_an_error_naming_it_and_its_line():
    source = custom(body_text="{{ greeting }}\n\nDear {{ custmer.name }}")
    with pytest.raises(TemplateError, match=r"'reminder' \(en\), text body, line 3: .*'custmer'"):
        render_reminder(source, sample_context("en", TODAY))


def test_a_misspelt_field_is_an_error_naming_the_placeholder_and_the_field():
    source = custom(body_html="<p>\n{{ company.nmae }}</p>", language="de")
    with pytest.raises(TemplateError, match=r"\(de\), HTML body, line 2: .*'company'.*'nmae'"):
        render_reminder(source, sample_context("de", TODAY))


def test_a_syntax_error_names_the_part_and_line():
    with pytest.raises(TemplateError, match=r"subject, line 1: cannot be read"):
        render_reminder(custom(subject="{% if %}"), sample_context("en", TODAY))


@pytest.mark.parametrize(
    "body",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ in_days.__globals__ }}",
        "{{ company.__class__.__init__.__globals__ }}",
        "{{ invoices.__class__.__base__ }}",
        "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
        "{% set x = {} %}{{ x.update(a=1) }}",
        "{{ in_days.__code__ }}",
    ],
)
def test_templates_cannot_reach_python_internals(body):
    with pytest.raises(TemplateError, match="text body"):
        render_reminder(custom(body_text=body), sample_context("en", TODAY))


def test_python_errors_inside_a_template_are_template_errors():
    with pytest.raises(TemplateError, match="ZeroDivisionError"):
        render_reminder(custom(body_text="{{ count / 0 }}"), sample_context("en", TODAY))
    with pytest.raises(TemplateError, match="line 2"):
        render_reminder(
            custom(body_text="ok\n{{ invoices[99].number }}"), sample_context("en", TODAY)
        )


def test_an_unknown_language_is_written_in_english():
    source = shipped_template("reminder", "it")
    assert source.language == "en"
    assert shipped_template("reminder", "de-AT").language == "de"
    letter = render_reminder(source, sample_context("it", TODAY))
    assert letter.body_text.startswith("Dear Alex Example,")
    assert "€1,234.50" in letter.body_text


def test_an_unknown_template_name_is_refused():
    with pytest.raises(TemplateError, match="unknown reminder template 'gentle'"):
        shipped_template("gentle", "en")


def test_an_empty_html_template_gives_a_text_only_letter():
    letter = render_reminder(custom(body_html="  \n"), sample_context("en", TODAY))
    assert letter.body_html == ""


def test_a_payment_link_that_is_not_a_web_address_is_left_out():
    context = replace(sample_context("en", TODAY), payment_link="javascript:alert(1)")
    letter = render_reminder(shipped_template("reminder", "en"), context)
    assert "javascript" not in letter.body_text
    assert "javascript" not in letter.body_html


def test_placeholders_for_the_step_and_dates():
    source = custom(
        body_text=(
            "{{ step_name }}|{{ tone }}|{{ today }}|{{ in_days(7) }}|{{ count }}|"
            "{{ overdue_count }}|{{ oldest_days_overdue }}|{{ earliest_due_date }}|"
            "{{ customer.code }}|{{ contact_name }}|{{ language }}"
        ),
        language="fr",
    )
    text = render_reminder(source, sample_context("fr", TODAY)).body_text
    assert text == (
        "1st reminder|neutral|16 mars 2026|23 mars 2026|3|2|42|2 févr. 2026|C-SAMPLE|"
        "Alex Example|fr\n"
    )


def test_reminded_before_says_whether_an_earlier_reminder_went():
    source = custom(body_text="{{ reminded_before }}")
    sample = sample_context("en", TODAY)
    assert render_reminder(source, sample).body_text == "True\n"
    first = replace(sample, reminded_before=False)
    assert render_reminder(source, first).body_text == "False\n"
    assert "reminded_before" in PLACEHOLDER_HELP


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", ["firm", "final"])
def test_a_first_letter_claims_no_earlier_contact_and_a_later_one_does(name, language):
    source = shipped_template(name, language)
    sample = sample_context(language, TODAY)
    for invoices in (sample.invoices[:1], sample.invoices[:2]):
        later = render_reminder(source, replace(sample, invoices=invoices))
        first = render_reminder(source, replace(sample, invoices=invoices, reminded_before=False))
        assert later.body_text != first.body_text
        assert later.body_html != first.body_html
        assert later.subject == first.subject
        opener = first.body_text.split("\n")[2]
        assert "42" in opener  # the oldest is 42 days overdue, said plainly


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (custom(subject="  "), "subject: it is empty"),
        (custom(body_text=""), "text body: it is empty"),
        (custom(subject="{% if false %}x{% endif %}"), "subject: it renders empty"),
        (custom(language="it"), "unknown language 'it'"),
        (replace(custom(), name="gentle"), "unknown reminder template"),
        # Only the one-invoice sample reaches this branch; the check renders both.
        (custom(body_text="{% if count == 1 %}{{ oops }}{% endif %}"), "'oops'"),
        # The samples are written after earlier reminders and as first letters alike.
        (custom(body_text="{% if reminded_before %}x{% else %}{{ oops }}{% endif %}"), "'oops'"),
        (custom(body_text="{% if reminded_before %}{{ oops }}{% endif %}"), "'oops'"),
        (
            custom(body_text="{% if count > 1 and not reminded_before %}{{ oops }}{% endif %}"),
            "'oops'",
        ),
    ],
)
def test_the_save_check_refuses_what_would_fail_later(source, message):
    with pytest.raises(TemplateError, match=message):
        check_template(source)


@pytest.mark.parametrize("language", [*LANGUAGES, "fr-CH", "de-AT"])
@pytest.mark.parametrize("currency", ["EUR", "GBP", "CHF", "JPY", "KWD", "SEK"])
def test_amounts_are_written_exactly_as_format_money_writes_them(language, currency):
    amounts = [0, 1, 9, 10, 99, 100, 999, 1000, 12345, 99999, 100000, 123456789, 10**13 + 1]
    amounts += [(n * 7919) ** 2 % 10**9 for n in range(40)]
    context = replace(
        sample_context(language, TODAY),
        invoices=tuple(
            ReminderInvoice(f"N{i}", TODAY, TODAY, Money(m, currency), Money(m, currency), 0, False)
            for i, m in enumerate(amounts)
        ),
        unapplied=(),
    )
    text = render_reminder(
        custom(body_text="{% for i in invoices %}{{ i.open }}|{% endfor %}"), context
    ).body_text
    letter_language = language[:2]
    assert (
        text
        == "".join(f"{format_money(Money(m, currency), letter_language)}|" for m in amounts) + "\n"
    )
