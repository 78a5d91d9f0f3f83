"""What an import says when it is done, in numbers, and when it fails, what to do next."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtWidgets import QWidget

from app.services.file_import import ImportFileError, ImportResult
from app.services.wording import plural
from app.views import ask
from app.views.workers import describe_error

#: The importer's words for a customer id that is not in the ledger.
_UNKNOWN_CUSTOMER = re.compile(
    r"column customer_id: expected the customer_id of a customer in the ledger, got '([^']*)'"
)


def import_summary(result: ImportResult, noun: str, path: Path) -> tuple[str, str]:
    """The status message of an import and its warnings as text (empty when there are none).

    Args:
        result: what the import did.
        noun: what was imported, singular ("invoice", "customer").
        path: the file imported; its name is shown exactly as it is.

    Returns:
        For example ``("Imported 120 invoices from q3.csv: 100 new, 20 updated", "")``.
    """
    created, updated, unchanged = result.created, result.updated, result.unchanged
    warnings = [str(w) for w in result.warnings]
    total = created + updated + unchanged
    parts = [f"{created:,} new", f"{updated:,} updated"]
    if unchanged:
        parts.append(f"{unchanged:,} unchanged")
    message = f"Imported {plural(total, noun)} from {path.name}: {', '.join(parts)}"
    if warnings:
        message += f" ({plural(len(warnings), 'warning')})"
    return message, "\n".join(warnings)


def show_import_warnings(parent: QWidget | None, result: ImportResult, message: str) -> None:
    """Tell about an import's warnings: one in the message itself, more under Show Details."""
    warnings = [str(w) for w in result.warnings]
    if not warnings:
        return
    if len(warnings) == 1:
        ask.inform(parent, "Import finished with a warning", f"{message}.\n\n{warnings[0]}")
        return
    ask.inform(
        parent,
        "Import finished with warnings",
        f"{message}.\n\nThe first: {warnings[0]}\n\nShow Details lists all {len(warnings):,}.",
        "\n".join(warnings),
    )


def import_failure(exc: BaseException) -> str:
    """Why an import failed and what to do next; file names stay exactly as they are.

    For example ``"invoices.csv, row 3, column customer_id: expected the customer_id of a
    customer in the ledger, got 'K2001'. Nothing was imported. Import the customers first, or
    add customer K2001."``
    """
    if isinstance(exc, ImportFileError):
        text = str(exc).strip()
        if not text.endswith((".", "?", "!")):
            text += "."
    else:
        text = describe_error(exc)
    text += " Nothing was imported."
    unknown = _UNKNOWN_CUSTOMER.search(str(exc))
    if unknown:
        text += f" Import the customers first, or add customer {unknown.group(1)}."
    return text
