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
from collections.abc import Callable, Iterable, Iterator, Sequence
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


_SHAPES = str.maketrans("0123456789BCDEFGHIJKLMNOPQRSTUVWXYZ", "9" * 10 + "A" * 25)


def _shape(key: str) -> str:
    """Letters become ``A`` and digits ``9``: a typo keeps the shape of the number."""
    return key.translate(_SHAPES)


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
class _Token:
    """A run of letters and digits in the text, with the forms the keys are made of."""

    text: str
    start: int
    end: int
    loose: str  # its letter and digit runs, digits without leading zeros, joined by ``|``
    digits: tuple[str, ...]  # its digit runs
    shape: str


@dataclass(frozen=True)
class _Window:
    """Consecutive tokens of the text that may together spell a number."""

    first: int
    last: int
    written: str
    key: str  # the letters and digits, as :func:`alnum_key` gives them
    loose: str  # as :func:`_loose_key` gives them
    digits: tuple[str, ...]  # the digit groups
    shape: str


@dataclass(frozen=True)
class _Reading:
    """One text read: what it names for sure, and every window, with what it names exactly."""

    hits: list[ReferenceHit]
    windows: list[tuple[_Window, list[ReferenceHit]]]


class ReferenceIndex:
    """Every invoice under every key a payer might write it as (see the module's docstring)."""

    def __init__(self, invoices: Iterable[InvoiceItem]) -> None:
        # A creditor reference is RF, two check digits and the number's last 21 letters and
        # digits: invoices are indexed by that body, the check digits verified on a hit.
        self._by_rf_body: dict[str, int] = {}
        self._by_number: defaultdict[str, list[int]] = defaultdict(list)
        self._by_digits: defaultdict[str, list[int]] = defaultdict(list)
        self._by_sequence: defaultdict[int, list[int]] = defaultdict(list)
        self._typo_shapes: set[str] = set()
        # The letters numbers start with ("INV", "RE", "F"), and every start of those: a window
        # whose first token starts with other letters cannot spell a number and is not tried.
        self._leads: set[str] = set()
        self._readings: dict[tuple[str, ...], list[_Reading]] = {}
        for invoice in invoices:
            self._add(invoice)
        self._lead_starts = {lead[:end] for lead in self._leads for end in range(1, len(lead) + 1)}

    def _add(self, invoice: InvoiceItem) -> None:
        upper = invoice.number.upper()
        runs = _RUN.findall(upper)
        key = "".join(runs)
        if not key:
            return
        ident = invoice.invoice_id
        if runs[0].isalpha():
            self._leads.add(runs[0])
        self._by_rf_body[key[-_RF_BODY_MAX:]] = ident
        self._by_number[key].append(ident)
        self._typo_shapes.add(key.translate(_SHAPES))
        groups = [run for run in runs if run.isdigit()]
        stripped = {run: str(int(run)) for run in groups}
        loose = "|".join([stripped.get(run, run) for run in runs])
        if loose != key:
            self._by_number[loose].append(ident)
        if len(groups) >= 2:  # a lone digit group is only a sequence number, see below
            self._by_digits["|".join([stripped[g] for g in groups])].append(ident)
            digits = "".join(groups)
            self._by_digits[digits].append(ident)
            self._typo_shapes.add("9" * len(digits))
        if groups:
            self._by_sequence[int(groups[-1])].append(ident)

    def find(
        self,
        texts: Sequence[str],
        fits: set[int] | None = None,
        worth_a_slip: Callable[[int], bool] | None = None,
    ) -> list[ReferenceHit]:
        """The invoices named in ``texts``, the surest way each was named.

        Args:
            texts: remittance text, structured references, end-to-end id: anything the payer wrote.
            fits: invoices whose open amount equals the line's; a number in the first text (the
                remittance a person typed; references and ids are copied) that names another
                invoice is also tried one digit off, in case the payer slipped onto a real number.
            worth_a_slip: which invoices a number one digit off may name (all when not given);
                dense numbers are one digit off dozens of others, most of them beside the point.

        Returns:
            One hit per invoice, strongest kind first.
        """
        best: dict[int, ReferenceHit] = {}
        for index, reading in enumerate(self._read(texts)):
            for hit in reading.hits:
                _keep(best, hit)
            if index == 0 and worth_a_slip is not _NO_SLIPS:
                for hit in self._slips(reading, fits or set(), worth_a_slip):
                    _keep(best, hit)
        return sorted(best.values(), key=lambda hit: -hit.kind)

    def _read(self, texts: Sequence[str]) -> list[_Reading]:
        """What each text names for sure, read once: a statement is read first, then matched."""
        key = tuple(texts)
        readings = self._readings.get(key)
        if readings is None:
            readings = self._readings[key] = [self._reading(text.upper()) for text in texts]
        return readings

    def _reading(self, upper: str) -> _Reading:
        if not upper:
            return _Reading([], [])
        hits = list(self._creditor_refs(upper)) if "RF" in upper else []
        undated = _DATE.sub(" ", upper)
        tokens = _tokens(undated)
        covered: set[int] = set()
        windows: list[tuple[_Window, list[ReferenceHit]]] = []
        spans: list[tuple[int, int]] = []  # "INV-2026-05601" names one invoice, not "2026-05601"
        for window in _windows(undated, tokens, self._may_start):
            if any(first <= window.first and window.last <= last for first, last in spans):
                continue
            found = self._exact(window)
            if found:
                covered.update(range(window.first, window.last + 1))
                spans.append((window.first, window.last))
                hits.extend(found)
            windows.append((window, found))
        for index, token in enumerate(tokens):
            text = token.text
            if index not in covered and text.isdigit() and len(text) <= _MAX_SEQUENCE_DIGITS:
                for ident in self._by_sequence.get(int(text), ()):
                    hits.append(ReferenceHit(ident, RefKind.SEQUENCE, text))
        return _Reading(hits, windows)

    def _slips(
        self, reading: _Reading, fits: set[int], worth_a_slip: Callable[[int], bool] | None
    ) -> Iterator[ReferenceHit]:
        """Numbers one digit off what a window spells, where it names no invoice that fits."""
        for window, found in reading.windows:
            if found and fits.intersection(hit.invoice_id for hit in found):
                continue
            if window.shape in self._typo_shapes:
                for ident in self._typos(window):
                    if worth_a_slip is None or worth_a_slip(ident):
                        yield ReferenceHit(ident, RefKind.TYPO, window.written)

    def _creditor_refs(self, upper: str) -> Iterator[ReferenceHit]:
        compact = re.sub(r"\s", "", upper)
        for start in _RF_START.finditer(compact):
            begin = start.start()
            for end in range(begin + 5, min(len(compact), begin + 4 + _RF_BODY_MAX) + 1):
                body = compact[begin + 4 : end]
                ident = self._by_rf_body.get(body)
                if ident is not None and creditor_reference(body) == compact[begin:end]:
                    yield ReferenceHit(ident, RefKind.CREDITOR_REF, compact[begin:end])

    def _exact(self, window: _Window) -> list[ReferenceHit]:
        """The invoices the window spells: as printed, and (digits only) without the prefix.

        After a change of numbering ``2026/2613`` is one invoice as printed and the digits of
        ``INV-2026-02613``: both are read, and the matcher decides by the payer.
        """
        key = window.key
        found = self._by_number.get(key) or self._by_number.get(window.loose) or []
        hits = [ReferenceHit(ident, RefKind.NUMBER, window.written) for ident in found]
        if not key.isdigit():
            return hits
        if window.last > window.first:
            digits = self._by_digits.get("|".join(str(int(g)) for g in window.digits), [])
        else:
            digits = self._by_digits.get(key, [])
        hits += [ReferenceHit(i, RefKind.DIGITS, window.written) for i in digits if i not in found]
        return hits

    def _typos(self, window: _Window) -> Iterator[int]:
        """The invoices whose number is one digit off the window's."""
        key = window.key
        index = self._by_digits if key.isdigit() else self._by_number
        for variant in one_digit_off(key):
            yield from index.get(variant, ())

    def _may_start(self, token: _Token) -> bool:
        """Whether a number may start with ``token``: its leading letters start a number's."""
        if token.text[0].isdigit():
            return True
        if token.digits:  # letters then digits: the letters must be all of a number's
            return token.loose.partition("|")[0] in self._leads
        return token.text in self._lead_starts


def no_slips(invoice_id: int) -> bool:
    """For :meth:`ReferenceIndex.find`: numbers one digit off are not tried at all."""
    del invoice_id
    return False


_NO_SLIPS = no_slips


def _tokens(upper: str) -> list[_Token]:
    tokens = []
    digits: tuple[str, ...]
    for match in _TOKEN.finditer(upper):
        text = match.group()
        if text.isdigit():
            loose, digits = str(int(text)), (text,)
        elif text.isalpha():
            loose, digits = text, ()
        else:
            runs = _RUN.findall(text)
            loose = "|".join(run if run.isalpha() else str(int(run)) for run in runs)
            digits = tuple(run for run in runs if run.isdigit())
        tokens.append(_Token(text, match.start(), match.end(), loose, digits, _shape(text)))
    return tokens


def _windows(
    upper: str, tokens: Sequence[_Token], may_start: Callable[[_Token], bool]
) -> Iterator[_Window]:
    """Runs of 1 to 4 tokens joined only by separators a number may contain."""
    for first, token in enumerate(tokens):
        if not may_start(token):
            continue
        key, loose, digits, shape = token.text, token.loose, token.digits, token.shape
        yield _Window(first, first, token.text, key, loose, digits, shape)
        for last in range(first + 1, min(first + _MAX_WINDOW, len(tokens))):
            before, after = tokens[last - 1], tokens[last]
            if not _JOINER.fullmatch(upper, before.end, after.start):
                break
            key += after.text
            loose += "|" + after.loose
            digits += after.digits
            shape += after.shape
            written = upper[token.start : after.end]
            yield _Window(first, last, written, key, loose, digits, shape)


def _keep(best: dict[int, ReferenceHit], hit: ReferenceHit) -> None:
    current = best.get(hit.invoice_id)
    if current is None or hit.kind > current.kind:
        best[hit.invoice_id] = hit
