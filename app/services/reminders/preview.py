"""The template editor's reads: a template as stored, and a letter rendered on a real customer."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from app.models.collections import Tone
from app.services.reminders.reminder_context import context_for_customer, sample_context
from app.services.reminders.templates import (
    RenderedEmail,
    TemplateError,
    TemplateSource,
    load_template,
    render_reminder,
)
from app.services.uow import UnitOfWork

#: The tone and the step name a preview is written with, per template.
_PREVIEW_STEP: dict[str, tuple[str, str]] = {
    "friendly": ("Friendly note", Tone.FRIENDLY.value),
    "reminder": ("1st reminder", Tone.NEUTRAL.value),
    "firm": ("2nd reminder", Tone.FIRM.value),
    "final": ("Final notice", Tone.FINAL.value),
}


def load_template_for_editing(uow: UnitOfWork, name: str, language: str) -> TemplateSource:
    """The template a letter is written with now: the user's edit, else the shipped one.

    Raises:
        TemplateError: the name is unknown or the shipped files are missing.
    """
    with uow:
        return load_template(uow.session, name, language)


def preview_for_customer(
    uow: UnitOfWork, source: TemplateSource, customer_id: int | None, today: date
) -> RenderedEmail:
    """A template as typed, rendered on a real customer's open invoices (or a made-up one).

    The letter is written in the template's language, whatever the customer's, since that is
    the version being edited.

    Args:
        uow: the unit of work.
        source: the template, possibly not saved yet.
        customer_id: the customer; ``None`` for the sample customer.
        today: the day the letter is written on.

    Raises:
        TemplateError: the template does not render (the message names the part and line), or
            there is no such customer.
    """
    step_name, tone = _PREVIEW_STEP.get(source.name, ("1st reminder", Tone.NEUTRAL.value))
    if customer_id is None:
        context = replace(sample_context(source.language, today), step_name=step_name, tone=tone)
    else:
        with uow:
            try:
                context = context_for_customer(uow.session, customer_id, today, step_name, tone)
            except LookupError as exc:
                raise TemplateError(f"preview: {exc}") from exc
        context = replace(context, language=source.language)
    return render_reminder(source, context)
