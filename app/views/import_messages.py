"""What an import says when it is done, in numbers."""

from __future__ import annotations

from pathlib import Path

from app.services.file_import import ImportResult


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def import_summary(result: ImportResult, noun: str, path: Path) -> tuple[str, str]:
    """The status message of an import and its warnings as text (empty when there are none).

    Args:
        result: what the import did.
        noun: what was imported, singular ("invoice", "customer").
        path: the file imported.

    Returns:
        For example ``("Imported 120 invoices from q3.csv: 100 new, 20 updated", "")``.
    """
    created, updated, unchanged = result.created, result.updated, result.unchanged
    warnings = [str(w) for w in result.warnings]
    total = created + updated + unchanged
    parts = [f"{created:,} new", f"{updated:,} updated"]
    if unchanged:
        parts.append(f"{unchanged:,} unchanged")
    message = f"Imported {_plural(total, noun)} from {path.name}: {', '.join(parts)}"
    if warnings:
        message += f" ({_plural(len(warnings), 'warning')})"
    return message, "\n".join(warnings)
