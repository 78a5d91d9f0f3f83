"""Where Duebook's bundled files (fonts, icons, templates) are found at run time."""

from __future__ import annotations

from pathlib import Path


def resources_dir() -> Path:
    """The ``resources/`` folder that ships beside the ``app`` package.

    Returns:
        The absolute path of the folder; it is not checked that it exists, so callers name the
        file they miss in their own error.
    """
    return Path(__file__).resolve().parents[2] / "resources"
