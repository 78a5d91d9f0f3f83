"""Finding invoice references in remittance text, however the payer wrote them.

Every invoice is indexed under several keys derived from its number, from the surest to the
loosest. ``INV-2026-00123`` is found as:

- its ISO 11649 creditor reference ``RF80INV202600123`` (also in groups of four): certain;
- its letters and digits ``INV202600123``, or letters and numbers without leading zeros
  (``INV 2026 123``): the number as printed;
- its digit groups alone, when it has at least two (``2026-123``, ``2026/00123``,
  ``202600123``): the number without its prefix;
- its last digit group alone (``00123``, ``Rg.-Nr. 123``): a sequence number, weak evidence,
  since other years, prefixes and customer numbers share it;
- a key one digit off (a substitution or two neighbouring digits swapped): a typing slip.

The text is cut into runs of letters and digits; runs joined by at most a few separators
(space, ``-``, ``/``, ``.``, ``_``, ``:``, ``#``) are tried together, up to four at a time.
Dates are blanked first, so ``2026-03-12`` never reads as invoice ``2026-3``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum

from app.services.iban import creditor_reference
from app.services.matching.types import InvoiceItem


class RefKind(IntEnum):
    """How an invoice was named in the text; a higher value is surer evidence."""

    SEQUENCE = 1
    TYPO = 2
    DIGITS = 3
    NUMBER = 4
    CREDITOR_REF = 5

    @property
    def is_strong(self) -> bool:
        """Whether the text names the invoice itself, not just something that resembles it."""
        return self >= RefKind.DIGITS


@dataclass(frozen=True)
class ReferenceHit:
    """One invoice named in a line's text, and how surely."""

    invoice_id: int
    kind: RefKind
    written: str


_DATE = re.compile(
    r"(?<![0-9])(?:[0-9]{4}-[01][0-9]-[0-3][0-9]|[0-3]?[0-9][./-][01]?[0-9][./-](?:20)?[0-9]{2})"
    r"(?![0-9])"
)
_TOKEN = re.compile(r"[A-Z0-9]+")
_JOINER = re.compile(r"[\s\-/._:#]{1,3}")
_RUN = re.compile(r"[A-Z]+|[0-9]+")
_RF_START = re.compile(r"RF[0-9]{2}")
_MAX_WINDOW = 4
_MAX_SEQUENCE_DIGITS = 7
_RF_BODY_MAX = 21


def alnum_key(text: str) -> str:
    """The letters and digits of ``text`` in upper case: ``INV-2026-00123`` -> ``INV202600123``."""
    return "".join(_TOKEN.findall(text.upper()))


def _loose_key(text: str) -> str:
    """Letters and numbers without leading zeros: ``INV-2026-00123`` -> ``INV|2026|123``."""
    return "|".join(run if run.isalpha() else str(int(run)) for run in _RUN.findall(text))


def _digit_groups(text: str) -> list[str]:
    return re.findall(r"[0-9]+", text)


def _shape(key: str) -> str:
    """Letters become ``A`` and digits ``9``: a typo keeps the shape of the number."""
    return "".join("9" if ch.isdigit() else "A" for ch in key)


def one_digit_off(key: str) -> Iterator[str]:
    """Every key one digit away from ``key``: each digit replaced, each two neighbours swapped."""
    for i, ch in enumerate(key):
        if not ch.isdigit():
            continue
        for digit in "0123456789":
            if digit != ch:
                yield key[:i] + digit + key[i + 1 :]
        if i + 1 < len(key) and key[i + 1].isdigit() and key[i + 1] != ch:
            yield key[:i] + key[i + 1] + ch + key[i + 2 :]


@dataclass(frozen=True)
class _Window:
    """Consecutive tokens of the text that may together spell a number."""

    first: int
    last: int
    written: str

    @property
    def key(self) -> str:
        return alnum_key(self.written)


class ReferenceIndex:
    """Every invoice under every key a payer might write it as (see the module's docstring)."""

    def __init__(self, invoices: Iterable[InvoiceItem]) -> None:
        self._by_rf: dict[str, int] = {}
        self._by_number: defaultdict[str, list[int]] = defaultdict(list)
        self._by_digits: defaultdict[str, list[int]] = defaultdict(list)
        self._by_sequence: defaultdict[int, list[int]] = defaultdict(list)
        self._typo_shapes: set[str] = set()
        for invoice in invoices:
            self._add(invoice)

    def _add(self, invoice: InvoiceItem) -> None:
        key = alnum_key(invoice.number)
        if not key:
            return
        ident = invoice.invoice_id
        self._by_rf[creditor_reference(invoice.number)] = ident
        self._by_number[key].append(ident)
        self._typo_shapes.add(_shape(key))
        loose = _loose_key(invoice.number.upper())
        if loose != key:
            self._by_number[loose].append(ident)
        groups = _digit_groups(invoice.number)
        if len(groups) >= 2:  # a lone digit group is only a sequence number, see below
            self._by_digits["|".join(str(int(g)) for g in groups)].append(ident)
            self._by_digits["".join(groups)].append(ident)
            self._typo_shapes.add(_shape("".join(groups)))
        if groups:
            self._by_sequence[int(groups[-1])].append(ident)

    def find(self, texts: Sequence[str], fits: set[int] | None = None) -> list[ReferenceHit]:
        """The invoices named in ``texts``, the surest way each was named.

        Args:
            texts: remittance text, structured references, end-to-end id: anything the payer wrote.
            fits: invoices whose open amount equals the line's; a number that names another
                invoice is also tried one digit off, in case the payer slipped onto a real number.

        Returns:
            One hit per invoice, strongest kind first.
        """
        best: dict[int, ReferenceHit] = {}
        for text in texts:
            upper = text.upper()
            for hit in self._creditor_refs(upper):
                _keep(best, hit)
            for hit in self._numbers(_DATE.sub(" ", upper), fits or set()):
                _keep(best, hit)
        return sorted(best.values(), key=lambda hit: -hit.kind)

    def _creditor_refs(self, upper: str) -> Iterator[ReferenceHit]:
        compact = re.sub(r"\s", "", upper)
        for start in _RF_START.finditer(compact):
            begin = start.start()
            for end in range(begin + 5, min(len(compact), begin + 4 + _RF_BODY_MAX) + 1):
                ident = self._by_rf.get(compact[begin:end])
                if ident is not None:
                    yield ReferenceHit(ident, RefKind.CREDITOR_REF, compact[begin:end])

    def _numbers(self, upper: str, fits: set[int]) -> Iterator[ReferenceHit]:
        tokens = list(_TOKEN.finditer(upper))
        covered: set[int] = set()
        unmatched: list[_Window] = []
        for window in _windows(upper, tokens):
            hits = self._exact(window)
            if hits:
                covered.update(range(window.first, window.last + 1))
                yield from hits
            if not hits or not fits.intersection(hit.invoice_id for hit in hits):
                unmatched.append(window)
        for window in unmatched:
            yield from self._typos(window)
        for index, token in enumerate(tokens):
            text = token.group()
            if index not in covered and text.isdigit() and len(text) <= _MAX_SEQUENCE_DIGITS:
                for ident in self._by_sequence.get(int(text), ()):
                    yield ReferenceHit(ident, RefKind.SEQUENCE, text)

    def _exact(self, window: _Window) -> list[ReferenceHit]:
        key = window.key
        found = self._by_number.get(key) or self._by_number.get(_loose_key(window.written))
        if found:
            return [ReferenceHit(ident, RefKind.NUMBER, window.written) for ident in found]
        if key.isdigit() and window.last > window.first:
            groups = _digit_groups(window.written)
            found = self._by_digits.get("|".join(str(int(g)) for g in groups))
        elif key.isdigit():
            found = self._by_digits.get(key)
        return [ReferenceHit(ident, RefKind.DIGITS, window.written) for ident in found or ()]

    def _typos(self, window: _Window) -> Iterator[ReferenceHit]:
        key = window.key
        if _shape(key) not in self._typo_shapes:
            return
        index = self._by_digits if key.isdigit() else self._by_number
        for variant in one_digit_off(key):
            for ident in index.get(variant, ()):
                yield ReferenceHit(ident, RefKind.TYPO, window.written)


def _windows(upper: str, tokens: Sequence[re.Match[str]]) -> Iterator[_Window]:
    """Runs of 1 to 4 tokens joined only by separators a number may contain."""
    for first in range(len(tokens)):
        for last in range(first, min(first + _MAX_WINDOW, len(tokens))):
            if last > first:
                gap = upper[tokens[last - 1].end() : tokens[last].start()]
                if not _JOINER.fullmatch(gap):
                    break
            yield _Window(first, last, upper[tokens[first].start() : tokens[last].end()])


def _keep(best: dict[int, ReferenceHit], hit: ReferenceHit) -> None:
    current = best.get(hit.invoice_id)
    if current is None or hit.kind > current.kind:
        best[hit.invoice_id] = hit
