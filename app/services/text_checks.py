"""Checks on text bound for an email header or a one-line field.

Shared by every entry point: the window, the command line and the importers.
"""

from __future__ import annotations

import re

_EMAIL_ATOM = r"[^\s\x00-\x1f\x7f@\"(),.:;<>\[\]\\]+"
_EMAIL_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_EMAIL = re.compile(rf"{_EMAIL_ATOM}(?:\.{_EMAIL_ATOM})*@{_EMAIL_LABEL}(?:\.{_EMAIL_LABEL})+")
#: What ends a line: text in a one-line field must not hold any of these.
_LINE_BREAKS = re.compile(r"[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")

#: The longest address the ledger keeps (RFC 5321's limit on a forward path).
MAX_EMAIL_LENGTH = 320


def is_email_address(text: str) -> bool:
    """Whether ``text`` is one plain address, ``local@domain.tld`` (accented domains allowed)."""
    return len(text) <= MAX_EMAIL_LENGTH and bool(_EMAIL.fullmatch(text))


def has_line_break(text: str) -> bool:
    """Whether ``text`` holds any character that ends a line, not only a newline."""
    return bool(_LINE_BREAKS.search(text))
