"""Reminder email templates: the shipped ones, the user's edits, and rendering them into letters.

Four letters (``friendly``, ``reminder``, ``firm``, ``final``) in five languages ship as files in
``resources/reminder_templates/<language>/<name>.subject|.txt|.html``. A user's edit of one
(per name and language) lives in the ``reminder_templates`` table and wins over the shipped one;
resetting deletes the edit.

Templates are Jinja2 run in an immutable sandbox with strict placeholders: a misspelt placeholder,
an attempt to reach Python internals or to change a value is a :class:`TemplateError` naming the
template, its language, the part and the line. The HTML body escapes every value (customer names
included); the subject is always one line, whatever the values hold. The placeholders are listed
in :mod:`app.services.reminders.placeholders`. Compiled templates are cached by their text, so an
engine pass over thousands of letters compiles each template once.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from datetime import date
from types import TracebackType
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.collections import ReminderTemplate
from app.services.audit import record_audit
from app.services.reminders.placeholders import LANGUAGES, letter_fields, letter_language
from app.services.reminders.reminder_context import (
    ReminderContext,
    ReminderInvoice,
    context_for_customer,
    sample_context,
)
from app.services.resources import resources_dir
from app.services.uow import UnitOfWork

__all__ = [
    "LANGUAGES",
    "MAX_SUBJECT_LENGTH",
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

#: A rendered subject longer than this is cut, with an ellipsis.
MAX_SUBJECT_LENGTH = 200

#: The day the sample letters of :func:`save_template`'s check are written on.
_CHECK_DAY = date(2026, 3, 16)


class TemplateError(ValueError):
    """A template that cannot be compiled or rendered; the message names template, part, line."""


@dataclass(frozen=True)
class TemplateSource:
    """One reminder template in one language.

    Attributes:
        name: one of :data:`TEMPLATE_NAMES`.
        language: one of :data:`LANGUAGES`.
        subject: the subject line's template.
        body_text: the plain-text body's template.
        body_html: the HTML body's template; ``""`` for a text-only email.
        edited: whether it is the user's edit from the ledger rather than the shipped one.
    """

    name: str
    language: str
    subject: str
    body_text: str
    body_html: str
    edited: bool = False


@dataclass(frozen=True)
class RenderedEmail:
    """A letter ready for the outbox: a one-line subject, a text body and an HTML body."""

    subject: str
    body_text: str
    body_html: str


# --- rendering ------------------------------------------------------------------------------

_TEXT_ENV = ImmutableSandboxedEnvironment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_HTML_ENV = ImmutableSandboxedEnvironment(
    undefined=jinja2.StrictUndefined,
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

#: Whatever would end or split a header line: controls, tabs and Unicode line separators.
_NOT_ONE_LINE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_FIELDS_OBJECT = re.compile(r"'(?:\w+\.)*(\w+)Fields object'")
_TEMPLATE_FILE = "<template>"


@functools.lru_cache(maxsize=512)
def _compiled(text: str, html: bool) -> jinja2.Template:
    return (_HTML_ENV if html else _TEXT_ENV).from_string(text)


def _template_line(traceback: TracebackType | None) -> int | None:
    """The template line an error was raised on, from the frames Jinja rewrites to it."""
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == _TEMPLATE_FILE:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def _problem(exc: Exception) -> str:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"cannot be read: {exc.message}"
    if isinstance(exc, jinja2.UndefinedError):
        # "'CompanyFields object' has no attribute 'nmae'" reads "'company' has no ...".
        message = _FIELDS_OBJECT.sub(lambda m: f"'{m[1].lower()}'", exc.message or str(exc))
        return f"unknown placeholder: {message}"
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return f"not allowed in a template: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _render(source: TemplateSource, part: str, text: str, fields: dict[str, Any]) -> str:
    try:
        return _compiled(text, part == "HTML body").render(fields)
    except (
        jinja2.TemplateError,
        ArithmeticError,
        AttributeError,
        LookupError,
        RecursionError,
        TypeError,
        ValueError,
    ) as exc:
        line: int | None = (
            exc.lineno
            if isinstance(exc, jinja2.TemplateSyntaxError)
            else _template_line(exc.__traceback__)
        )
        where = f", line {line}" if line else ""
        raise TemplateError(
            f"reminder template {source.name!r} ({source.language}), {part}{where}: {_problem(exc)}"
        ) from exc


def one_line(text: str, limit: int = MAX_SUBJECT_LENGTH) -> str:
    """Text fit for a header: line breaks, tabs and controls become one space; cut at ``limit``."""
    line = _NOT_ONE_LINE.sub(" ", text).strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _tidy(text: str) -> str:
    """A text body without trailing blanks or runs of empty lines, ending with one newline."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


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
    subject = _render(source, "subject", source.subject, text_fields)
    body_text = _render(source, "text body", source.body_text, text_fields)
    body_html = (
        _render(source, "HTML body", source.body_html, html_fields)
        if source.body_html.strip()
        else ""
    )
    return RenderedEmail(one_line(subject), _tidy(body_text), body_html)


# --- shipped templates and the user's edits ------------------------------------------------


def _checked_name(name: str) -> str:
    if name not in TEMPLATE_NAMES:
        raise TemplateError(
            f"unknown reminder template {name!r}; known: {', '.join(TEMPLATE_NAMES)}"
        )
    return name


@functools.lru_cache(maxsize=len(TEMPLATE_NAMES) * len(LANGUAGES))
def _shipped(name: str, language: str) -> TemplateSource:
    folder = resources_dir() / "reminder_templates" / language
    parts = {}
    for suffix in ("subject", "txt", "html"):
        path = folder / f"{name}.{suffix}"
        try:
            parts[suffix] = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TemplateError(
                f"reminder template {name!r} ({language}): the shipped file {path} cannot be "
                f"read ({exc.strerror or exc})"
            ) from exc
    return TemplateSource(
        name=name,
        language=language,
        subject=parts["subject"].strip(),
        body_text=parts["txt"],
        body_html=parts["html"],
    )


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
    the usual ones (see :func:`_check_contexts`).

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
    credit; several, all overdue.
    """
    sample = sample_context(language, _CHECK_DAY)
    bare = replace(sample, contact_name="", payment_link="", unapplied=())
    first, second, last = sample.invoices
    return (
        sample,
        replace(bare, invoices=(first,)),
        replace(bare, invoices=(last,)),
        replace(sample, invoices=(first, second)),
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
