"""Issuing the recurring invoices that have fallen due, in the background, and saying so.

The Invoices screen runs this after a recurring invoice is made with a first date already past,
so its copies appear at once; the daily pass of the background jobs issues the others.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from app.services.document_emails import queue_issued_invoice_emails
from app.services.recurring import issue_due_recurring
from app.services.tasks import TaskContext
from app.views.context import ViewContext
from app.views.workers import describe_error

#: How many numbers the message names before it says "and 3 more".
_NAMED = 5


def issued_message(numbers: list[str]) -> str:
    """``"Issued 2 recurring invoices (INV-2026-00301, INV-2026-00302)"``; "" for none."""
    if not numbers:
        return ""
    named = ", ".join(numbers[:_NAMED])
    if len(numbers) > _NAMED:
        named += f" and {len(numbers) - _NAMED} more"
    noun = "recurring invoice" if len(numbers) == 1 else "recurring invoices"
    return f"Issued {len(numbers)} {noun} ({named})"


def issue_due_copies(
    ctx: ViewContext, parent: QWidget | None, on_done: Callable[[list[str], str], None]
) -> None:
    """Issue every recurring copy due up to today on the ledger's write pool.

    Args:
        ctx: the window's collaborators.
        parent: the widget a long run's progress dialog belongs to.
        on_done: called on the GUI thread with the numbers issued and a message for the status
            bar (empty when nothing was due); a failure is reported the same way, with no
            numbers, rather than in a dialog nobody asked for.
    """
    uow_factory, clock = ctx.uow_factory, ctx.clock

    def issue(task: TaskContext) -> list[str]:
        uow = uow_factory()
        numbers = issue_due_recurring(uow, clock, task)
        queue_issued_invoice_emails(uow, numbers, clock.today())
        return numbers

    ctx.runner.run(
        issue,
        progress_label="Issuing the recurring invoices due…",
        parent=parent,
        on_success=lambda numbers: on_done(numbers, issued_message(numbers)),
        on_failure=lambda exc: on_done(
            [], f"The recurring invoices due were not issued: {describe_error(exc)}"
        ),
    )
