"""Reminder email templates: the shipped ones, the user's edits, and rendering them into letters.

Four letters (``friendly``, ``reminder``, ``firm``, ``final``) in five languages ship as files in
``resources/reminder_templates/<language>/<name>.subject|.txt|.html``. A user's edit of one
(per name and language) lives in the ``reminder_templates`` table and wins over the shipped one;
resetting deletes the edit.

Templates are Jinja2 run in the sandbox of :mod:`app.services.reminders.sandbox` with strict
placeholders: a misspelt placeholder, an attempt to reach Python internals or to change a value
is a :class:`TemplateError` naming the template, its language, the part and the line. The HTML
body escapes every value (customer names included); the subject is always one line, whatever the
values hold. The placeholders are listed in :mod:`app.services.reminders.placeholders`. Compiled
templates are cached by their text, so an engine pass over thousands of letters compiles each
template once.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.collections import ReminderTemplate
from app.services.audit import record_audit
from app.services.reminders.placeholders import (
    LANGUAGES,
    PLACEHOLDER_HELP,
    letter_fields,
    letter_language,
)
from app.services.reminders.reminder_context import (
    ReminderContext,
    ReminderInvoice,
    context_for_customer,
    sample_context,
)
from app.services.reminders.sandbox import (
    MAX_SUBJECT_LENGTH,
    RenderedEmail,
    TemplateError,
    TemplateSource,
    read_shipped,
    render_email,
)
from app.services.uow import UnitOfWork

__all__ = [
    "LANGUAGES",
    "MAX_SUBJECT_LENGTH",
    "PLACEHOLDER_HELP",
    "TEMPLATE_NAMES",
    "ReminderContext",
    "ReminderInvoice",
    "RenderedEmail",
    "TemplateError",
    "TemplateSource",
    "context_for_customer",
    "load_template",
    "load_templates",
    "render_reminder",
    "reset_template",
    "sample_context",
    "save_template",
    "shipped_template",
]

#: The letters a dunning step can name (``PolicyStep.template``), gentlest first.
TEMPLATE_NAMES: tuple[str, ...] = ("friendly", "reminder", "firm", "final")

#: How an error names a reminder template.
_WHAT = "reminder template"

#: The day the sample letters of :func:`save_template`'s check are written on.
_CHECK_DAY = date(2026, 3, 16)


def render_reminder(source: TemplateSource, context: ReminderContext) -> RenderedEmail:
    """Write one letter: a template filled in with a customer's invoices.

    Args:
        source: the template (see :func:`load_template`).
        context: the letter's facts; dates and amounts are formatted in its language.

    Returns:
        The subject on one line (at most :data:`MAX_SUBJECT_LENGTH` characters), the text body,
        and the HTML body with every value escaped (``""`` when the template has none).

    Raises:
        TemplateError: the template does not compile, names an unknown placeholder or reaches
            for something the sandbox forbids.
    """
    text_fields, html_fields = letter_fields(context)
    return render_email(source, text_fields, html_fields, _WHAT)


# --- shipped templates and the user's edits ------------------------------------------------


def _checked_name(name: str) -> str:
    if name not in TEMPLATE_NAMES:
        raise TemplateError(
            f"unknown reminder template {name!r}; known: {', '.join(TEMPLATE_NAMES)}"
        )
    return name


@functools.lru_cache(maxsize=len(TEMPLATE_NAMES) * len(LANGUAGES))
def _shipped(name: str, language: str) -> TemplateSource:
    return read_shipped(name, language, _WHAT)


def shipped_template(name: str, language: str) -> TemplateSource:
    """The template as it ships with Duebook.

    Args:
        name: one of :data:`TEMPLATE_NAMES`.
        language: a language such as ``"de"`` or ``"fr-CH"``; one without letters is English.

    Raises:
        TemplateError: the name is unknown or the shipped files are missing.
    """
    return _shipped(_checked_name(name), letter_language(language))


def _source(row: ReminderTemplate) -> TemplateSource:
    return TemplateSource(
        name=row.name,
        language=row.language,
        subject=row.subject,
        body_text=row.body_text,
        body_html=row.body_html,
        edited=True,
    )


def load_template(session: Session, name: str, language: str) -> TemplateSource:
    """The template a letter is written with: the user's edit, else the shipped one.

    Args:
        session: an open session on the ledger.
        name: one of :data:`TEMPLATE_NAMES`.
        language: the letter's language; one without letters gets English.

    Raises:
        TemplateError: the name is unknown or the shipped files are missing.
    """
    name, language = _checked_name(name), letter_language(language)
    row = _edit_row(session, name, language)
    return _source(row) if row else _shipped(name, language)


def load_templates(session: Session) -> dict[tuple[str, str], TemplateSource]:
    """Every template by ``(name, language)``, edits winning, read in one query.

    Raises:
        TemplateError: the shipped files are missing.
    """
    templates = {
        (name, language): _shipped(name, language)
        for name in TEMPLATE_NAMES
        for language in LANGUAGES
    }
    for row in session.scalars(select(ReminderTemplate)):
        if (row.name, row.language) in templates:
            templates[(row.name, row.language)] = _source(row)
    return templates


def check_template(source: TemplateSource) -> None:
    """Render a template on sample letters: with and without a contact, one invoice and several.

    Jinja finds a misspelt placeholder only in the branches a letter takes, so the samples take
    the usual ones (see :func:`_check_contexts`), each both after earlier reminders and as a
    first letter (``reminded_before`` true and false).

    Raises:
        TemplateError: the name or language is unknown, the subject or text body is empty, or
            the template does not compile or render.
    """
    _checked_name(source.name)
    if source.language not in LANGUAGES:
        raise TemplateError(
            f"reminder template {source.name!r}: unknown language {source.language!r}; "
            f"known: {', '.join(LANGUAGES)}"
        )
    for part, text in (("subject", source.subject), ("text body", source.body_text)):
        if not text.strip():
            raise TemplateError(
                f"reminder template {source.name!r} ({source.language}), {part}: it is empty"
            )
    for context in _check_contexts(source.language):
        if not render_reminder(source, context).subject:
            raise TemplateError(
                f"reminder template {source.name!r} ({source.language}), subject: it renders empty"
            )


def _check_contexts(language: str) -> tuple[ReminderContext, ...]:
    """Sample letters that take a template's usual branches.

    Several invoices, some overdue; one overdue, and one not yet due, without contact, link or
    credit; several, all overdue. Each both after earlier reminders and as a first letter
    (``reminded_before``), except the one not yet due, which is always a first letter.
    """
    sample = sample_context(language, _CHECK_DAY)
    bare = replace(sample, contact_name="", payment_link="", unapplied=())
    first, second, last = sample.invoices
    reminded = (
        sample,
        replace(bare, invoices=(first,)),
        replace(sample, invoices=(first, second)),
    )
    return (
        *reminded,
        replace(bare, invoices=(last,), reminded_before=False),
        *(replace(context, reminded_before=False) for context in reminded),
    )


def _audit_values(source: TemplateSource | ReminderTemplate) -> dict[str, str]:
    return {
        "name": source.name,
        "language": source.language,
        "subject": source.subject,
        "body_text": source.body_text,
        "body_html": source.body_html,
    }


def _edit_row(session: Session, name: str, language: str) -> ReminderTemplate | None:
    return session.scalar(
        select(ReminderTemplate).where(
            ReminderTemplate.name == name, ReminderTemplate.language == language
        )
    )


def save_template(uow: UnitOfWork, source: TemplateSource) -> None:
    """Store the user's edit of a template, after checking it renders (audit-logged).

    Saving the shipped text unchanged removes the edit instead (:func:`reset_template`), so the
    letter follows the shipped template again.

    Raises:
        TemplateError: see :func:`check_template`; nothing is stored then.
    """
    check_template(source)
    shipped = _shipped(source.name, source.language)
    if (source.subject, source.body_text, source.body_html) == (
        shipped.subject,
        shipped.body_text,
        shipped.body_html,
    ):
        reset_template(uow, source.name, source.language)
        return
    with uow:
        row = _edit_row(uow.session, source.name, source.language)
        before = _audit_values(row) if row else None
        if row is None:
            row = ReminderTemplate(name=source.name, language=source.language)
            uow.session.add(row)
        row.subject = source.subject
        row.body_text = source.body_text
        row.body_html = source.body_html
        row.updated_at = utcnow()
        uow.session.flush()
        record_audit(
            uow.session,
            uow.actor,
            "edit",
            "reminder_template",
            row.id,
            before,
            _audit_values(source),
        )
        uow.commit()


def reset_template(uow: UnitOfWork, name: str, language: str) -> None:
    """Go back to the shipped template: the user's edit is deleted (audit-logged).

    Raises:
        TemplateError: the name is unknown.
    """
    name, language = _checked_name(name), letter_language(language)
    with uow:
        row = _edit_row(uow.session, name, language)
        if row is None:
            return
        record_audit(
            uow.session, uow.actor, "reset", "reminder_template", row.id, _audit_values(row)
        )
        uow.session.delete(row)
        uow.commit()
