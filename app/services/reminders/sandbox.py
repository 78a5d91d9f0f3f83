"""The Jinja2 sandbox every customer email is written in: reminders, invoices, receipts.

Templates run in an immutable sandbox with strict placeholders: a misspelt placeholder, an
attempt to reach Python internals or to change a value is a :class:`TemplateError` naming the
template, its language, the part and the line. The HTML body escapes every value; the subject is
always one line, whatever the values hold. Compiled templates are cached by their text.

The shipped templates are files in ``resources/reminder_templates/<language>/<name>.subject|
.txt|.html``. This module imports nothing of the ledger, so the services that record payments
can write a receipt without importing the reminder engine.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from app.services.resources import resources_dir

#: A rendered subject longer than this is cut, with an ellipsis.
MAX_SUBJECT_LENGTH = 200


class TemplateError(ValueError):
    """A template that cannot be compiled or rendered; the message names template, part, line."""


@dataclass(frozen=True)
class TemplateSource:
    """One email template in one language.

    Attributes:
        name: the template's name (``reminder``, ``invoice``, ...).
        language: ``en``, ``de``, ``fr``, ``es`` or ``nl``.
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


def _render(
    source: TemplateSource, part: str, text: str, fields: Mapping[str, Any], what: str
) -> str:
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
            f"{what} {source.name!r} ({source.language}), {part}{where}: {_problem(exc)}"
        ) from exc


def one_line(text: str, limit: int = MAX_SUBJECT_LENGTH) -> str:
    """Text fit for a header: line breaks, tabs and controls become one space; cut at ``limit``."""
    line = _NOT_ONE_LINE.sub(" ", text).strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _tidy(text: str) -> str:
    """A text body without trailing blanks or runs of empty lines, ending with one newline."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def render_email(
    source: TemplateSource,
    text_fields: Mapping[str, Any],
    html_fields: Mapping[str, Any],
    what: str = "email template",
) -> RenderedEmail:
    """Fill a template in: the subject and text body with one set of values, the HTML with another.

    Args:
        source: the template.
        text_fields: the placeholders of the subject and the text body.
        html_fields: the placeholders of the HTML body (values are escaped there).
        what: how an error names the template ("reminder template").

    Returns:
        The subject on one line (at most :data:`MAX_SUBJECT_LENGTH` characters), the text body,
        and the HTML body (``""`` when the template has none).

    Raises:
        TemplateError: the template does not compile, names an unknown placeholder or reaches
            for something the sandbox forbids.
    """
    subject = _render(source, "subject", source.subject, text_fields, what)
    body_text = _render(source, "text body", source.body_text, text_fields, what)
    body_html = (
        _render(source, "HTML body", source.body_html, html_fields, what)
        if source.body_html.strip()
        else ""
    )
    return RenderedEmail(one_line(subject), _tidy(body_text), body_html)


@functools.lru_cache(maxsize=64)
def read_shipped(name: str, language: str, what: str = "email template") -> TemplateSource:
    """The template as it ships, read from ``resources/reminder_templates/<language>/``.

    Args:
        name: the template's file name without suffix.
        language: the folder's name (``en``, ``de``, ...).
        what: how an error names the template.

    Raises:
        TemplateError: one of its three files is missing or cannot be read.
    """
    folder = resources_dir() / "reminder_templates" / language
    parts = {}
    for suffix in ("subject", "txt", "html"):
        path = folder / f"{name}.{suffix}"
        try:
            parts[suffix] = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TemplateError(
                f"{what} {name!r} ({language}): the shipped file {path} cannot be "
                f"read ({exc.strerror or exc})"
            ) from exc
    return TemplateSource(
        name=name,
        language=language,
        subject=parts["subject"].strip(),
        body_text=parts["txt"],
        body_html=parts["html"],
    )


@dataclass(frozen=True)
class CompanyFields:
    """The company as a template sees it."""

    name: str
    email: str
    phone: str
    iban: str
    bic: str


@dataclass(frozen=True)
class CustomerFields:
    """The customer as a template sees it."""

    name: str
    code: str
