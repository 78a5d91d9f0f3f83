"""Recognising a customer from the payer name a bank shows.

Banks print names in upper case, write ``ü`` as ``ue`` or ``u``, drop the legal form, cut the
name at 35 characters and sometimes swap words. Both our names and theirs are reduced to the
same tokens (:func:`name_tokens`), so those differences vanish; what is left is scored as the
share of tokens both names have (a Dice coefficient in thousandths), where the payer's last
token may be the start of ours when the bank cut the name.

Candidates come from an index of tokens to customers, so a line is compared with the few
customers that share a word with it, never with all of them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.services.matching.types import PayerProfile

_SPECIAL_LETTERS = str.maketrans(
    {"ß": "ss", "ẞ": "SS", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
     "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "þ": "th", "Þ": "TH", "\u0131": "i"}
)  # fmt: skip
# Folding ue/ae/oe to u/a/o on both sides makes MUELLER, MULLER and Müller one name.
_DIGRAPHS = re.compile(r"([AOU])E")
LEGAL_FORMS = frozenset(
    {
        "GMBH", "MBH", "AG", "KG", "KGAA", "OHG", "GBR", "UG", "EK", "EV", "EG", "SE", "CO",
        "HAFTUNGSBESCHRANKT",  # German
        "SARL", "SAS", "SASU", "SA", "EURL", "SNC", "SCI", "CIE",  # French
        "LTD", "LIMITED", "LLC", "LLP", "INC", "CORP", "CORPORATION", "PLC",  # English
        "BV", "NV", "VOF", "CV",  # Dutch
        "SL", "SLU", "SLL",  # Spanish
        "SPA", "SRL", "SRLS", "SAPA", "SCARL",  # Italian
    }
)  # fmt: skip
_CONNECTORS = frozenset({"UND", "AND", "ET", "Y", "EN", "THE", "E"})
# A name this long may have been cut by the bank (35 characters in SEPA files, 27 in MT940).
_MAY_BE_CUT = 27
# Tokens shared by more customers than this only find candidates when nothing rarer does.
_COMMON_TOKEN = 200
# Names are also indexed by the first letters of their words, for a payer name cut in a word.
_PREFIX = 4


def fold(text: str) -> str:
    """``text`` in upper-case ASCII letters and digits: accents dropped, ß to SS, ø to O."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()


def name_tokens(name: str) -> tuple[str, ...]:
    """The words that identify a company: folded, without legal forms, ``and`` and dots.

    ``Müller Maschinenbau GmbH & Co. KG`` and ``MUELLER MASCHINENBAU`` both give
    ``("MULLER", "MASCHINENBAU")``.
    """
    folded = _DIGRAPHS.sub(r"\1", fold(name).replace(".", ""))
    words = re.findall(r"[A-Z0-9]+", folded)
    kept = tuple(w for w in words if w not in LEGAL_FORMS and w not in _CONNECTORS)
    return kept or tuple(words)


@dataclass(frozen=True)
class NameMatch:
    """A customer the payer name points to, how well (thousandths) and through which name."""

    customer_id: int
    score: int
    via: str


def similarity(payer: Sequence[str], ours: Sequence[str], *, may_be_cut: bool) -> int:
    """How alike two token lists are, in thousandths (1000 = the same words in any order).

    When the payer name may have been cut, its last token counts if it starts one of ours, and
    our tokens after the last one the payer name reaches are not held against it.
    """
    if not payer or not ours:
        return 0
    remaining = list(ours)
    reached = 0
    matched = 0
    for position, token in enumerate(payer):
        is_last_cut = may_be_cut and position == len(payer) - 1
        for index, candidate in enumerate(remaining):
            if candidate == token or (is_last_cut and candidate.startswith(token)):
                matched += 1
                remaining[index] = ""
                reached = max(reached, index + 1)
                break
    compared = reached if may_be_cut and matched == len(payer) else len(ours)
    return 2000 * matched // (len(payer) + max(compared, matched))


class NameIndex:
    """Customers by the words of their names and aliases."""

    def __init__(self, payers: Iterable[PayerProfile]) -> None:
        self._names: list[tuple[int, str, tuple[str, ...]]] = []
        self._lengths: list[int] = []
        self._longest = 0
        self._by_token: defaultdict[str, list[int]] = defaultdict(list)
        self._by_squashed: defaultdict[str, list[int]] = defaultdict(list)
        self._by_prefix: defaultdict[str, list[int]] = defaultdict(list)
        # A statement names the same payers again and again: each name is looked up once.
        self._seen: dict[tuple[str, int], list[NameMatch]] = {}
        for payer in payers:
            for name in (payer.name, *payer.aliases):
                self._add(payer.customer_id, name)

    def _add(self, customer_id: int, name: str) -> None:
        tokens = name_tokens(name)
        if not tokens:
            return
        entry = len(self._names)
        self._names.append((customer_id, name, tokens))
        self._lengths.append(len(tokens))
        self._longest = max(self._longest, len(tokens))
        for token in set(tokens):
            self._by_token[token].append(entry)
        self._by_squashed["".join(tokens)].append(entry)
        for prefix in {token[:_PREFIX] for token in tokens if len(token) >= _PREFIX}:
            self._by_prefix[prefix].append(entry)

    def identify(self, payer_name: str, *, minimum: int = 500) -> list[NameMatch]:
        """Customers whose name or alias resembles ``payer_name``, best first.

        Args:
            payer_name: the name as the bank shows it.
            minimum: the lowest score (thousandths) worth returning.

        Returns:
            At most one match per customer (its best name), scores of at least ``minimum``.
        """
        key = (payer_name, minimum)
        known = self._seen.get(key)
        if known is None:
            known = self._seen[key] = self._identify(payer_name, minimum)
        return list(known)

    def _identify(self, payer_name: str, minimum: int) -> list[NameMatch]:
        tokens = name_tokens(payer_name)
        if not tokens:
            return []
        may_be_cut = len(payer_name.strip()) >= _MAY_BE_CUT
        found = self._matches(tokens, minimum, may_be_cut=may_be_cut)
        if may_be_cut and len(tokens) > 1 and _starts_legal_form(tokens[-1]):
            # "… HANDELSONDERNEMING V" was cut in "V.O.F.": the name without it is whole
            for match in self._matches(tokens[:-1], minimum, may_be_cut=False).values():
                known = found.get(match.customer_id)
                if known is None or match.score > known.score:
                    found[match.customer_id] = match
        return sorted(found.values(), key=lambda match: (-match.score, match.customer_id))

    def _matches(
        self, tokens: tuple[str, ...], minimum: int, *, may_be_cut: bool
    ) -> dict[int, NameMatch]:
        best: dict[int, NameMatch] = {}
        for entry in self._by_squashed.get("".join(tokens), ()):
            customer_id, name, _ = self._names[entry]
            best[customer_id] = NameMatch(customer_id, 1000, name)
        complete = tokens[:-1] if may_be_cut and len(tokens) > 1 else tokens
        shared: Counter[int] = Counter()  # how many of the payer's words each name may have
        for token in complete:
            shared.update(self._by_token.get(token, ()))
        extra = 0
        if len(complete) < len(tokens):  # the cut last word counts where it starts one of ours
            cut = tokens[-1]
            if len(cut) >= _PREFIX:
                shared.update(self._by_prefix.get(cut[:_PREFIX], ()))
            else:
                extra = 1
        # The fewest words a name of each length must share with the payer's to reach minimum.
        needs = [
            _shared_needed_with(len(tokens), length, minimum, may_be_cut=may_be_cut)
            for length in range(self._longest + 1)
        ]
        lengths, names = self._lengths, self._names
        candidates = self._candidates(tokens, may_be_cut=may_be_cut, minimum=minimum)
        for entry in [e for e in candidates if shared[e] + extra >= needs[lengths[e]]]:
            customer_id, name, ours = names[entry]
            score = similarity(tokens, ours, may_be_cut=may_be_cut)
            found = best.get(customer_id)
            if score >= minimum and (found is None or score > found.score):
                best[customer_id] = NameMatch(customer_id, score, name)
        return best

    def _candidates(self, tokens: Sequence[str], *, may_be_cut: bool, minimum: int) -> set[int]:
        """The names that can score ``minimum``: those with one of the payer's rarest words.

        A name scoring ``minimum`` shares at least ``needed`` of the payer's words (the score is
        at most ``2m / (len(tokens) + m)`` for ``m`` shared words), all but a cut last one whole.
        Whichever ``needed`` whole words those are, one of them is among the rarest
        ``len(complete) - needed + 1``, so only those words' names are compared. Words shared by
        more than :data:`_COMMON_TOKEN` names find candidates only when nothing rarer does.
        """
        complete = tokens[:-1] if may_be_cut and len(tokens) > 1 else tokens
        distinct = set(complete)
        postings = sorted((self._by_token.get(t, []) for t in distinct), key=len)
        needed = _shared_needed(len(tokens), minimum) - (len(tokens) - len(distinct))
        rarest = postings[: max(1, len(distinct) - max(needed, 1) + 1)]
        rare = [p for p in rarest if len(p) <= _COMMON_TOKEN]
        found: set[int] = set()
        for posting in rare or postings[:1]:
            found.update(posting)
        return found


def _starts_legal_form(token: str) -> bool:
    """Whether ``token`` is the start of a legal form (``GMB``, ``HAFTUNGSBES``, ``V``)."""
    return any(form.startswith(token) for form in LEGAL_FORMS)


def _shared_needed_with(payer_words: int, length: int, minimum: int, *, may_be_cut: bool) -> int:
    """The fewest shared words with which a name of ``length`` words can score ``minimum``.

    The bound of :func:`similarity`: ``2m / (payer_words + compared)``, where ``compared`` is the
    name's length unless the payer name may be cut and all its words are found.
    """
    for shared in range(1, payer_words + 1):
        whole = may_be_cut and shared == payer_words
        compared = shared if whole else max(shared, length)
        if 2000 * shared // (payer_words + compared) >= minimum:
            return shared
    return payer_words + 1


def _shared_needed(payer_words: int, minimum: int) -> int:
    """The fewest shared words with which ``payer_words`` words can score ``minimum``."""
    shared = 1
    while shared < payer_words and 2000 * shared // (payer_words + shared) < minimum:
        shared += 1
    return shared
