"""The matching engine: which open invoices a bank line pays, how sure that is, and why.

For each credit line the :class:`Matcher`

1. identifies the payer: an IBAN seen before (strength 1000) or the name (the name score scaled
   to 950 at most, see :mod:`app.services.matching.names`); a parent company or shared account
   may be many customers;
2. reads the invoice references in the text (:mod:`app.services.matching.references`), and of
   several invoices one written number names keeps the payer's;
3. builds candidate proposals: the named invoices (all together, each alone, and together with
   other open invoices of the customer when that explains the amount), then the identified
   payers' invoices by amount (exact, groups adding up (:mod:`.combinations`), a bank fee
   short, the invoices a partial payment is a round share of (:mod:`.shares`)), then the
   ledger's invoices with exactly the line's amount;
4. scores each proposal from three pieces of evidence, in the table of :func:`score`: how the
   invoices were named, how the amount fits them, and whether the payer is their customer;
5. applies the best one automatically only when it is auto-eligible and nothing blocks it: a
   rival auto-eligible proposal within :data:`AMBIGUITY_MARGIN`, a named invoice that is
   already paid, a number in the text that the amount-only proposal ignores, or an exact
   explanation of the amount that a partial or overpayment proposal ignores.

Everything is a dictionary lookup or a short loop over one customer's open invoices, so a line
costs well under a millisecond however big the ledger is.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum

from app.services.matching.combinations import SubsetSearch, exact_groups, subsets_summing_to
from app.services.matching.names import NameIndex
from app.services.matching.references import (
    ReferenceHit,
    ReferenceIndex,
    RefKind,
    alnum_key,
    no_slips,
)
from app.services.matching.shares import Share, says_partial, share_of
from app.services.matching.types import (
    BankLine,
    InvoiceItem,
    LineVerdict,
    PayerProfile,
    Proposal,
    ProposedAllocation,
    WriteOffTolerance,
)

MAX_PROPOSALS = 5
DEFAULT_TOLERANCE = WriteOffTolerance()
# An auto-eligible proposal this close to the best one makes the line ambiguous.
AMBIGUITY_MARGIN = 50
# Payer strengths (thousandths): an IBAN seen before, and the best a name can give.
IBAN_STRENGTH = 1000
NAME_STRENGTH = 950
# A payer at least this strong is "confirmed": settled partial and overpayments may be applied.
CONFIRMED = 900
# A payer at least this strong is "recognised": exact amounts alone may be applied.
RECOGNISED = 800
# Names weaker than this are not worth a proposal.
NAME_MINIMUM = 600
MAX_PAYERS = 3
# Customers with the same name as the best match are all kept, up to this many.
MAX_TIED_PAYERS = 12
# Among more open invoices than this, a combination that adds up may be chance: never applied.
FEW_OPEN = 12
FEE_COMBINATIONS = SubsetSearch(max_size=3)
# Among many open invoices no answer is applied unseen: a short search finds suggestions.
MANY_COMBINATIONS = SubsetSearch(max_items=24, max_steps=2_000)
# Groups of invoices adding up to a line, proposed per customer.
MAX_GROUPS = 4
# Cash on account: a last resort, or the first suggestion when the invoice named is paid.
ON_ACCOUNT = 200
SETTLED_CAP = 600
MAX_GLOBAL_AMOUNT_HITS = 5
# Invoices a partial payment is a round share of, proposed per customer.
MAX_SHARES = 2


class Order(Enum):
    """Where invoices that fit equally well stand: the oldest is what a bookkeeper applies."""

    OLDEST = "oldest"
    YOUNGER = "younger"


class Fit(Enum):
    """How a line's amount fits the open amount of the invoices proposed."""

    EXACT = "exact"
    FEE = "fee"
    PARTIAL = "partial"
    OVER = "over"


@dataclass(frozen=True)
class Payer:
    """A customer the line may come from, how strongly (thousandths) and why."""

    customer_id: int
    strength: int
    how: str


@dataclass(frozen=True)
class Evidence:
    """What speaks for one proposal: the inputs of :func:`score`."""

    ref: RefKind | None
    fit: Fit
    payer: int
    combined: bool = False
    unique_search: bool = True
    order: Order | None = None
    share: bool = False
    says_partial: bool = False


@dataclass(frozen=True)
class Score:
    """A proposal's confidence (thousandths) and whether it may be applied without review."""

    confidence: int
    auto_eligible: bool


def score(evidence: Evidence) -> Score:
    """The confidence of a proposal from its evidence.

    The table, surest first:

    - a creditor reference is certain whatever the amount (partial and overpayments too);
    - the invoice number (or its digits) and an exact amount or a bank fee short is applied;
      a partial or overpayment against it only when the payer is confirmed; the named invoices
      completed by unnamed ones only when the amount fits and the payer is recognised;
    - a number one digit off, or only the sequence number, is applied only when the amount fits
      exactly (or by a bank fee) and the payer is recognised as the invoice's customer;
    - no number: an exact amount or combination, or a bank fee short, is applied only for a
      recognised payer, a combination only when it was the one answer of a complete search over
      a few invoices (:data:`FEW_OPEN`); partial and overpayments without a number never are,
      but a round share of an invoice (half, a third) ranks above groups a bank fee short.

    A bank fee costs 20 thousandths against an exact amount, so an exact rival wins.
    """
    fits = evidence.fit in (Fit.EXACT, Fit.FEE)
    penalty = 20 if evidence.fit is Fit.FEE else 0
    if evidence.ref is RefKind.CREDITOR_REF:
        return Score((1000 if fits else 950) - penalty, auto_eligible=True)
    if evidence.ref is not None and evidence.ref.is_strong:
        return _score_named(evidence.ref, fits, penalty, evidence)
    if evidence.ref is not None:
        if fits and evidence.payer >= RECOGNISED:
            return Score((920 if evidence.ref is RefKind.TYPO else 910) - penalty, True)
        return Score((700 if fits else 400) - penalty, auto_eligible=False)
    return _score_unnamed(fits, penalty, evidence)


def _score_named(ref: RefKind, fits: bool, penalty: int, evidence: Evidence) -> Score:
    """The invoice number or its digits are in the text."""
    if evidence.combined:
        recognised = evidence.payer >= RECOGNISED
        return Score((900 if recognised else 600) - penalty, auto_eligible=fits and recognised)
    if fits:
        return Score((970 if ref is RefKind.NUMBER else 960) - penalty, auto_eligible=True)
    confirmed = evidence.payer >= CONFIRMED
    return Score(880 if confirmed else 650, auto_eligible=confirmed)


def _score_unnamed(fits: bool, penalty: int, evidence: Evidence) -> Score:
    """No number: the payer and the amount are all there is.

    When several open invoices (or groups of them) fit, the oldest is what a bookkeeper
    applies: it is applied when the payer is confirmed, and the younger ones stay suggestions.
    """
    doubt = CONFIRMED - min(evidence.payer, CONFIRMED)
    if not fits and evidence.share and evidence.payer >= RECOGNISED:
        return Score((870 if evidence.says_partial else 850) - doubt, auto_eligible=False)
    if not fits:
        return Score(400 if evidence.payer else 100, auto_eligible=False)
    if evidence.payer >= RECOGNISED:
        base = 860 if evidence.combined else 900
        eligible = evidence.unique_search
        if evidence.order is Order.OLDEST:
            eligible = eligible or evidence.payer >= CONFIRMED
            base += 20
        elif evidence.order is Order.YOUNGER:
            base, eligible = base - 60, False
        return Score(base - penalty - doubt, auto_eligible=eligible)
    return Score((600 if evidence.payer else 300) - penalty, auto_eligible=False)


def money(minor: int) -> str:
    """``750`` -> ``7.50`` (two decimals; the reason texts are not localised)."""
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100:,}.{abs(minor) % 100:02d}"


@dataclass
class _Candidate:
    """A proposal being built: the customer, the invoices, and what named them."""

    customer_id: int
    invoice_ids: tuple[int, ...]
    ref: RefKind | None
    named: dict[int, ReferenceHit] = field(default_factory=dict)
    combined: bool = False
    unique_search: bool = True
    order: Order | None = None
    share: Share | None = None


@dataclass(frozen=True)
class _Ranked:
    """A proposal with its score, and whether it may be applied (nothing in the text against it)."""

    proposal: Proposal
    score: Score
    applicable: bool


@dataclass
class _Line:
    """What the matcher learned about one line while matching it."""

    line: BankLine
    payers: dict[int, Payer]
    hits: list[ReferenceHit]
    notes: list[str] = field(default_factory=list)
    settled_customers: set[int] = field(default_factory=set)
    says_partial: bool = False


class Matcher:
    """Matches bank lines against a snapshot of customers and invoices (see the module doc)."""

    def __init__(
        self,
        payers: Iterable[PayerProfile],
        invoices: Iterable[InvoiceItem],
        *,
        tolerance: WriteOffTolerance = DEFAULT_TOLERANCE,
    ) -> None:
        """Index the snapshot.

        Args:
            payers: every customer, with its aliases and known IBANs.
            invoices: issued invoices, settled ones included (to recognise double payments).
            tolerance: the largest short payment written off as a bank fee.
        """
        payer_list = list(payers)
        self._tolerance = tolerance
        self._invoices = {invoice.invoice_id: invoice for invoice in invoices}
        self._open = {ident: item.open_minor for ident, item in self._invoices.items()}
        self._names = {payer.customer_id: payer.name for payer in payer_list}
        self._name_index = NameIndex(payer_list)
        self._refs = ReferenceIndex(self._invoices.values())
        self._by_iban: defaultdict[str, list[int]] = defaultdict(list)
        for payer in payer_list:
            for iban in payer.ibans:
                self._by_iban[_compact(iban)].append(payer.customer_id)
        self._by_customer: defaultdict[tuple[int, str], list[int]] = defaultdict(list)
        self._by_amount: defaultdict[tuple[str, int], list[int]] = defaultdict(list)
        self._open_count: defaultdict[str, int] = defaultdict(int)
        for item in sorted(self._invoices.values(), key=lambda i: (i.due_date, i.invoice_id)):
            self._by_customer[item.customer_id, item.currency].append(item.invoice_id)
            if item.open_minor > 0:
                self._by_amount[item.currency, item.open_minor].append(item.invoice_id)
                self._open_count[item.currency] += 1
        # The invoices each line of the statement names by number (see preview).
        self._named_by: dict[int, list[tuple[int, int]]] = {}
        self._payers_seen: dict[tuple[str, str], tuple[dict[int, Payer], dict[int, Payer]]] = {}

    def preview(self, lines: Sequence[BankLine]) -> None:
        """Read the whole statement first: which lines name which invoices.

        With it, a line paying without a number leaves alone the invoices that other lines of
        the statement name, and of two lines naming the same invoice with the same amount only
        the first (in the order given) is applied; the other goes to review with a note.

        Args:
            lines: the lines about to be matched, in the order they will be.
        """
        named_by: defaultdict[int, list[tuple[int, int]]] = defaultdict(list)
        for line in lines:
            if line.amount_minor <= 0:
                continue
            texts = (line.remittance, *line.structured_refs, line.end_to_end_id)
            hits = [h for h in self._refs.find(texts, worth_a_slip=no_slips) if h.kind.is_strong]
            recognised = (
                {p.customer_id for p in self._identify(line).values() if p.strength >= RECOGNISED}
                if hits
                else set()
            )
            for hit in hits:
                if self._names_for_sure(line, hit, recognised):
                    named_by[hit.invoice_id].append((line.line_id, line.amount_minor))
        self._named_by = dict(named_by)

    def _names_for_sure(self, line: BankLine, hit: ReferenceHit, recognised: set[int]) -> bool:
        """Whether a number in a line's text is what the line pays, for :meth:`preview`.

        A number of another customer than the recognised payer, with an amount that does not
        fit it, is most likely a slip onto a real number; bare digit groups (``2026-04``) from a
        payer nobody knows, with an amount that does not fit, are as likely a tax period or
        someone else's reference. Neither reserves the invoice.
        """
        item = self._invoices[hit.invoice_id]
        if item.currency != line.currency:
            return False
        if hit.kind is RefKind.CREDITOR_REF or item.customer_id in recognised:
            return True
        if not recognised and hit.kind is not RefKind.DIGITS:
            return True
        open_minor = self._open[item.invoice_id]
        return open_minor == line.amount_minor or self._fee_fits(open_minor, line.amount_minor)

    def _named_elsewhere(self, line: BankLine, invoice_id: int) -> bool:
        """Whether another line of the statement names the invoice (see preview)."""
        return any(other != line.line_id for other, _ in self._named_by.get(invoice_id, ()))

    def _paid_by_earlier_line(self, line: BankLine, invoice_id: int) -> bool:
        """Whether an earlier line of the statement names the invoice with the same amount."""
        for other, amount in self._named_by.get(invoice_id, ()):
            if other == line.line_id:
                return False
            if amount == line.amount_minor:
                return True
        return False

    def consume(self, proposal: Proposal) -> None:
        """Settle what ``proposal`` allocates, so later lines of the run see it.

        Args:
            proposal: a proposal the reconciliation applied (automatically or after review).
        """
        for allocation in proposal.allocations:
            item = self._invoices[allocation.invoice_id]
            before = self._open[item.invoice_id]
            after = max(0, before - allocation.amount_minor - allocation.writeoff_minor)
            self._open[item.invoice_id] = after
            if after > 0:
                self._by_amount[item.currency, after].append(item.invoice_id)
            elif before > 0:
                self._open_count[item.currency] -= 1

    def match(self, line: BankLine) -> LineVerdict:
        """The ranked proposals for one line, and whether the first may be applied.

        Args:
            line: a statement line; debits and zero amounts get an empty verdict.

        Returns:
            The verdict: at most five proposals, best first.
        """
        if line.amount_minor <= 0:
            return LineVerdict(line.line_id, ())
        fits = set(self._with_amount(line.currency, line.amount_minor))
        texts = (line.remittance, *line.structured_refs, line.end_to_end_id)
        state = _Line(line, self._identify(line), [], says_partial=says_partial(line.remittance))
        state.hits = self._refs.find(texts, fits, self._slip_filter(state))
        state.hits = self._payers_readings(state, self._without_slips(state))
        candidates = self._candidates(state)
        proposals = self._rank(state, candidates)
        auto = self._may_apply(state, proposals)
        customer = proposals[0].proposal.customer_id if proposals else _top_payer(state)
        if self._open_count[line.currency] == 0:
            state.notes.append(f"no open invoices in {line.currency}")
        return LineVerdict(
            line.line_id,
            tuple(entry.proposal for entry in proposals),
            auto=auto,
            customer_id=customer,
            note="; ".join(dict.fromkeys(state.notes)),
        )

    # -- the payer ---------------------------------------------------------------------------

    def _identify(self, line: BankLine) -> dict[int, Payer]:
        """The customers the line may come from (a statement names the same payers again)."""
        return self._payers_of(line)[0]

    def _payers_of(self, line: BankLine) -> tuple[dict[int, Payer], dict[int, Payer]]:
        """The payers, and those tied with the strongest beyond :data:`MAX_TIED_PAYERS`."""
        key = (line.payer_iban, line.payer_name)
        known = self._payers_seen.get(key)
        if known is None:
            known = self._payers_seen[key] = self._identify_anew(line)
        return known

    def _identify_anew(self, line: BankLine) -> tuple[dict[int, Payer], dict[int, Payer]]:
        found: dict[int, Payer] = {}
        for customer_id in self._by_iban.get(_compact(line.payer_iban), ()):
            found[customer_id] = Payer(customer_id, IBAN_STRENGTH, "IBAN seen before")
        if line.payer_name.strip():
            for match in self._name_index.identify(line.payer_name, minimum=NAME_MINIMUM):
                strength = match.score * NAME_STRENGTH // 1000
                if match.customer_id not in found:
                    how = f"name {line.payer_name.strip()!r}"
                    found[match.customer_id] = Payer(match.customer_id, strength, how)
        ranked = sorted(found.values(), key=lambda p: (-p.strength, p.customer_id))
        strongest = ranked[0].strength if ranked else 0
        tied = [p for p in ranked if p.strength == strongest]
        close = [p for p in ranked if p.strength >= strongest - 150][:MAX_PAYERS]
        payers = {payer.customer_id: payer for payer in (*tied[:MAX_TIED_PAYERS], *close)}
        return payers, {p.customer_id: p for p in tied[MAX_TIED_PAYERS:]}

    # -- candidates --------------------------------------------------------------------------

    def _candidates(self, state: _Line) -> list[_Candidate]:
        candidates = self._named_candidates(state)
        for payer in state.payers.values():
            candidates.extend(self._payer_candidates(state, payer.customer_id))
        candidates.extend(self._group_candidates(state))
        if not any(p.strength >= RECOGNISED for p in state.payers.values()):
            same_amount = self._with_amount(state.line.currency, state.line.amount_minor)
            for ident in same_amount[:MAX_GLOBAL_AMOUNT_HITS]:
                customer = self._invoices[ident].customer_id
                candidates.append(_Candidate(customer, (ident,), None))
        return candidates

    def _group_candidates(self, state: _Line) -> list[_Candidate]:
        """The exact amount among every customer the payer is, beyond the few searched in full.

        A parent company or a shared account pays for many subsidiaries: each is searched in
        full up to :data:`MAX_TIED_PAYERS`; for the others the oldest open invoice of exactly
        the amount is looked up.
        """
        line = state.line
        beyond = self._payers_of(line)[1]
        if not beyond:
            return []
        candidates: dict[int, _Candidate] = {}
        for ident in self._with_amount(line.currency, line.amount_minor):
            customer = self._invoices[ident].customer_id
            if customer not in beyond or customer in candidates:
                continue
            if not (self._named_by and self._named_elsewhere(line, ident)):
                candidates[customer] = _Candidate(customer, (ident,), None)
        state.payers = {**state.payers, **{c: beyond[c] for c in candidates}}
        return list(candidates.values())

    def _named_candidates(self, state: _Line) -> list[_Candidate]:
        line = state.line
        by_customer: defaultdict[int, dict[int, ReferenceHit]] = defaultdict(dict)
        for hit in state.hits:
            item = self._invoices[hit.invoice_id]
            if not self._worth_reading(state, hit):
                continue
            if item.currency != line.currency:
                state.notes.append(f"names {item.number}, which is in {item.currency}")
            elif self._open[item.invoice_id] == 0:
                payer = state.payers.get(item.customer_id)
                own_total = (  # a payer naming its own paid invoice by its sequence number
                    payer is not None
                    and payer.strength >= RECOGNISED
                    and item.total_minor == line.amount_minor
                )
                if hit.kind.is_strong or own_total:
                    state.notes.append(f"names {item.number}, which is already paid")
                    state.settled_customers.add(item.customer_id)
            else:
                by_customer[item.customer_id][item.invoice_id] = hit
        candidates: list[_Candidate] = []
        for customer, named in by_customer.items():
            candidates.extend(self._named_for_customer(state, customer, named))
        candidates.extend(_Candidate(c, (), None) for c in sorted(state.settled_customers))
        return candidates

    def _without_slips(self, state: _Line) -> list[ReferenceHit]:
        """Drop a number that names the wrong invoice when, one digit off, it names the right one.

        Invoice numbers are dense, so a mistyped number is usually another customer's real
        invoice. When the same written number, read one digit off, gives an invoice of a
        recognised payer that fits the amount, and the literal reading is not that payer's, the
        literal reading is the slip's accident and is dropped. A payer naming its own invoice is
        taken at its word (a paid one is never swapped for a neighbour that fits).
        """
        slips = {
            alnum_key(hit.written)
            for hit in state.hits
            if hit.kind is RefKind.TYPO and self._fits_payer(state, hit.invoice_id)
        }
        return [
            hit
            for hit in state.hits
            if not (
                hit.kind.is_strong
                and hit.kind is not RefKind.CREDITOR_REF
                and any(alnum_key(hit.written) in slip for slip in slips)
                and self._invoices[hit.invoice_id].customer_id not in state.payers
            )
        ]

    def _payers_readings(self, state: _Line, hits: list[ReferenceHit]) -> list[ReferenceHit]:
        """Of several invoices one written number names, the payer's, when one of them is.

        After a change of numbering, ``2026-4777`` is ``INV-2026-04777``, ``2026/4777`` and
        ``F2026-4777`` at once, usually of different customers: the payer means its own.
        """
        by_written: defaultdict[str, list[ReferenceHit]] = defaultdict(list)
        for hit in hits:
            by_written[hit.written].append(hit)
        dropped: set[int] = set()
        for same in by_written.values():
            if len(same) > 1:
                customers = {self._invoices[h.invoice_id].customer_id for h in same}
                if customers & state.payers.keys() and customers - state.payers.keys():
                    dropped.update(
                        h.invoice_id
                        for h in same
                        if self._invoices[h.invoice_id].customer_id not in state.payers
                    )
        return [hit for hit in hits if hit.invoice_id not in dropped] if dropped else hits

    def _fits_payer(self, state: _Line, invoice_id: int) -> bool:
        """Whether the invoice is a recognised payer's and its open amount fits the line."""
        item = self._invoices[invoice_id]
        payer = state.payers.get(item.customer_id)
        open_minor = self._open[invoice_id]
        amount = state.line.amount_minor
        return (
            payer is not None
            and payer.strength >= RECOGNISED
            and item.currency == state.line.currency
            and (open_minor == amount or self._fee_fits(open_minor, amount))
        )

    def _worth_reading(self, state: _Line, hit: ReferenceHit) -> bool:
        """Weak hits only count where the customer or the amount agrees with the line."""
        return hit.kind.is_strong or self._worth_a_slip(state, hit.invoice_id)

    def _slip_filter(self, state: _Line) -> Callable[[int], bool]:
        """:meth:`_worth_a_slip` for one line, quick: dense numbers give many slips to try."""
        payers, invoices, opens = state.payers, self._invoices, self._open
        amount, bp, most = (
            state.line.amount_minor,
            self._tolerance.percent_bp,
            self._tolerance.max_minor,
        )

        def worth(invoice_id: int) -> bool:
            if invoices[invoice_id].customer_id in payers:
                return True
            open_minor = opens[invoice_id]
            short = open_minor - amount
            return short == 0 or 0 < short <= min(open_minor * bp // 10_000, most)

        return worth

    def _worth_a_slip(self, state: _Line, invoice_id: int) -> bool:
        """Whether the customer or the amount of an invoice agrees with the line."""
        item = self._invoices[invoice_id]
        open_minor = self._open[item.invoice_id]
        amount = state.line.amount_minor
        return (
            item.customer_id in state.payers
            or open_minor == amount
            or self._fee_fits(open_minor, amount)
        )

    def _named_for_customer(
        self, state: _Line, customer: int, named: dict[int, ReferenceHit]
    ) -> list[_Candidate]:
        strong = {i: h for i, h in named.items() if h.kind.is_strong}
        groups = [strong] if len(strong) > 1 else []
        # all the numbers the text names, but not a slip read from a number it names exactly
        exactly = {h.written for h in strong.values()}
        every = {i: h for i, h in named.items() if h.kind.is_strong or h.written not in exactly}
        if strong and len(every) > len(strong):
            groups.append(every)
        groups += [{ident: hit} for ident, hit in named.items()]
        candidates = [
            _Candidate(customer, self._by_due(group), min(h.kind for h in group.values()), group)
            for group in groups
        ]
        if strong:
            candidates.extend(self._completions(state, customer, strong))
        return candidates

    def _completions(
        self, state: _Line, customer: int, named: dict[int, ReferenceHit]
    ) -> list[_Candidate]:
        """The named invoices plus other open invoices of the customer, when those add up."""
        line = state.line
        rest = line.amount_minor - sum(self._open[i] for i in named)
        others = [
            (i, self._open[i]) for i in self._open_of(customer, line.currency) if i not in named
        ]
        if rest <= 0 or not others:
            return []
        singles = [(i,) for i, amount in others if amount == rest]
        groups = singles or subsets_summing_to(others, rest, rest).groups
        kind = min(hit.kind for hit in named.values())
        return [
            _Candidate(customer, self._by_due([*named, *group]), kind, named, combined=True)
            for group in groups
        ]

    def _payer_candidates(self, state: _Line, customer: int) -> list[_Candidate]:
        """The customer's invoices by amount: exact, a bank fee short, combinations, partial."""
        amount = state.line.amount_minor
        line = state.line
        named_by, opens = self._named_by, self._open
        open_items = [  # an invoice another line names is that line's to pay
            (i, opens[i])
            for i in self._by_customer.get((customer, line.currency), ())
            if opens[i] > 0 and not (i in named_by and self._named_elsewhere(line, i))
        ]
        few = len(open_items) <= FEW_OPEN
        bounds = SubsetSearch() if few else MANY_COMBINATIONS
        candidates = self._singles(customer, open_items, amount)
        if not any(self._open[c.invoice_ids[0]] == amount for c in candidates):
            # a bank fee short of one invoice may as well be several paid in full
            candidates += self._exact_combinations(customer, open_items, amount)
        if not candidates:
            high = amount + self._tolerance.max_minor
            fee_bounds = replace(bounds, max_size=FEE_COMBINATIONS.max_size)
            fee = subsets_summing_to(open_items, amount + 1, high, fee_bounds)
            groups = [g for g in fee.groups if self._fee_fits(self._open_sum(g), amount)]
            candidates = self._combinations(customer, groups, few and fee.exhaustive)
        named = any(hit.kind.is_strong for hit in state.hits)
        shares = [] if named else self._shares(customer, open_items, amount)
        if not candidates:
            # a partial payment: of the oldest invoices, or of the one the amount comes closest to
            larger = [(i, open_minor) for i, open_minor in open_items if open_minor > amount]
            closest = sorted(larger, key=lambda item: item[1])[:1]
            chosen = dict.fromkeys(i for i, _ in [*larger[:2], *closest])
            candidates = [_Candidate(customer, (i,), None) for i in chosen]
        return [*shares, *candidates, _Candidate(customer, (), None)]

    @staticmethod
    def _shares(
        customer: int, open_items: Sequence[tuple[int, int]], amount: int
    ) -> list[_Candidate]:
        """The invoices the amount is a round share of (see :mod:`.shares`), likeliest first."""
        if any(open_minor == amount for _, open_minor in open_items):
            return []
        found = []
        for age, (ident, open_minor) in enumerate(open_items):
            share = share_of(amount, open_minor)
            if share is not None:
                rank = (share.off_minor, share.commonness, age)
                found.append((rank, _Candidate(customer, (ident,), None, share=share)))
        found.sort(key=lambda entry: entry[0])
        return [candidate for _, candidate in found[:MAX_SHARES]]

    def _singles(
        self, customer: int, open_items: Sequence[tuple[int, int]], amount: int
    ) -> list[_Candidate]:
        """Invoices the amount pays alone (exactly or a bank fee short), the oldest per amount."""
        fitting = [
            (ident, open_minor)
            for ident, open_minor in open_items
            if open_minor == amount or self._fee_fits(open_minor, amount)
        ]
        counts = Counter(open_minor for _, open_minor in fitting)
        firsts: set[int] = set()
        singles = []
        for ident, open_minor in fitting:
            order = None
            if counts[open_minor] > 1:
                order = Order.YOUNGER if open_minor in firsts else Order.OLDEST
                firsts.add(open_minor)
            singles.append(_Candidate(customer, (ident,), None, order=order))
        return singles

    def _exact_combinations(
        self, customer: int, open_items: Sequence[tuple[int, int]], amount: int
    ) -> list[_Candidate]:
        """Groups of the customer's open invoices that add up to the amount, likeliest first.

        The oldest invoices adding up come first. Among a few open invoices the search is
        complete (a single answer may be applied); among many, groups of up to four anywhere
        among them are looked up (:func:`exact_groups`), fewer invoices and older ones first.
        """
        if len(open_items) <= FEW_OPEN:
            exact = subsets_summing_to(open_items, amount, amount)
            groups, unique_search = exact.groups, exact.exhaustive
        else:
            groups, unique_search = exact_groups(open_items, amount), False
        candidates = self._combinations(customer, groups[:MAX_GROUPS], unique_search)
        oldest = self._oldest_first(customer, open_items, amount)
        if oldest is None:
            return candidates
        younger = [replace(c, order=Order.YOUNGER) for c in candidates]
        return [replace(oldest, unique_search=unique_search), *younger]

    def _oldest_first(
        self, customer: int, open_items: Sequence[tuple[int, int]], amount: int
    ) -> _Candidate | None:
        """The customer's oldest open invoices, when they add up to exactly the amount.

        Paying the oldest invoices is what a payer clearing its account does; among other
        groups that add up as well, it is the one a bookkeeper applies.
        """
        total = 0
        for count, (_, open_minor) in enumerate(open_items, 1):
            total += open_minor
            if count >= 2 and total == amount:
                group = tuple(i for i, _ in open_items[:count])
                return _Candidate(customer, group, None, combined=True, order=Order.OLDEST)
            if total >= amount:
                break
        return None

    @staticmethod
    def _combinations(
        customer: int, groups: Sequence[tuple[int, ...]], unique_search: bool
    ) -> list[_Candidate]:
        return [
            _Candidate(customer, group, None, combined=True, unique_search=unique_search)
            for group in groups
        ]

    def _open_sum(self, invoice_ids: Iterable[int]) -> int:
        return sum(self._open[i] for i in invoice_ids)

    # -- proposals ---------------------------------------------------------------------------

    def _rank(self, state: _Line, candidates: Sequence[_Candidate]) -> list[_Ranked]:
        best: dict[tuple[int, tuple[ProposedAllocation, ...]], tuple[_Ranked, _Candidate]] = {}
        for candidate in candidates:
            proposal, result = self._proposal(state, candidate)
            ranked = _Ranked(proposal, result, self._applicable(state, proposal, result))
            key = (proposal.customer_id, proposal.allocations)
            if key not in best or proposal.confidence > best[key][0].proposal.confidence:
                best[key] = (ranked, candidate)
        ordered = sorted(best.values(), key=lambda entry: -entry[0].proposal.confidence)
        everything = [entry for entry, _ in ordered]
        return [  # only the proposals shown are explained in words
            self._unless_settled_elsewhere(self._explained(state, entry, candidate), everything)
            for entry, candidate in ordered[:MAX_PROPOSALS]
        ]

    def _explained(self, state: _Line, entry: _Ranked, candidate: _Candidate) -> _Ranked:
        proposal = entry.proposal
        if not proposal.allocations:
            return entry
        payer = state.payers.get(candidate.customer_id)
        _, fit, _ = self._allocate(candidate.invoice_ids, state.line.amount_minor)
        reason = self._reason(candidate, proposal.allocations, fit, proposal.unapplied_minor, payer)
        return replace(entry, proposal=replace(proposal, reason=reason))

    def _unless_settled_elsewhere(self, entry: _Ranked, ranked: Sequence[_Ranked]) -> _Ranked:
        """A partial or overpayment is not applied while another proposal settles the amount."""
        if not (entry.proposal.unapplied_minor or _is_partial(entry.proposal, self._open)):
            return entry
        if any(_settles(other.proposal, self._open) for other in ranked if other is not entry):
            return replace(entry, applicable=False)
        return entry

    def _applicable(self, state: _Line, proposal: Proposal, result: Score) -> bool:
        """Auto-eligible, and not an amount-only proposal that ignores a number in the text."""
        named = {hit.invoice_id for hit in state.hits}
        allocated = {a.invoice_id for a in proposal.allocations}
        ignores = not allocated & named and self._number_ignored(state, proposal.customer_id)
        return result.auto_eligible and not ignores

    def _proposal(self, state: _Line, candidate: _Candidate) -> tuple[Proposal, Score]:
        amount = state.line.amount_minor
        payer = state.payers.get(candidate.customer_id)
        if not candidate.invoice_ids:
            return self._on_account(state, candidate.customer_id, payer)
        allocations, fit, unapplied = self._allocate(candidate.invoice_ids, amount)
        evidence = Evidence(
            candidate.ref,
            fit,
            payer.strength if payer else 0,
            combined=candidate.combined,
            unique_search=candidate.unique_search,
            order=candidate.order,
            share=candidate.share is not None and fit is Fit.PARTIAL,
            says_partial=state.says_partial,
        )
        result = score(evidence)
        if state.settled_customers:  # never guess past an invoice the payer says it pays
            result = Score(min(result.confidence, SETTLED_CAP - 50), auto_eligible=False)
        proposal = Proposal(candidate.customer_id, allocations, result.confidence, "", unapplied)
        return proposal, result

    def _on_account(
        self, state: _Line, customer: int, payer: Payer | None
    ) -> tuple[Proposal, Score]:
        amount = state.line.amount_minor
        who = self._names.get(customer, f"customer {customer}")
        how = f" ({payer.how})" if payer else ""
        if customer in state.settled_customers:
            confidence = SETTLED_CAP
            why = "the invoice named is already paid"
        else:
            confidence = ON_ACCOUNT
            why = "no open invoice fits"
        reason = f"{why}: put {money(amount)} on the account of {who}{how} as unapplied cash"
        proposal = Proposal(customer, (), confidence, reason, amount)
        return proposal, Score(confidence, auto_eligible=False)

    def _allocate(
        self, invoice_ids: Sequence[int], amount: int
    ) -> tuple[tuple[ProposedAllocation, ...], Fit, int]:
        """Cash for each invoice, oldest due first, and how the amount fits them."""
        opens = [self._open[i] for i in invoice_ids]
        total = sum(opens)
        if amount >= total:
            allocations = tuple(
                ProposedAllocation(i, o) for i, o in zip(invoice_ids, opens, strict=True)
            )
            return allocations, Fit.EXACT if amount == total else Fit.OVER, amount - total
        if self._fee_fits(total, amount):
            short = total - amount
            largest = max(range(len(opens)), key=opens.__getitem__)
            fee = tuple(
                ProposedAllocation(i, o - short, short)
                if n == largest
                else ProposedAllocation(i, o)
                for n, (i, o) in enumerate(zip(invoice_ids, opens, strict=True))
            )
            return fee, Fit.FEE, 0
        partial: list[ProposedAllocation] = []
        left = amount
        for ident, open_minor in zip(invoice_ids, opens, strict=True):
            if left > 0:
                partial.append(ProposedAllocation(ident, min(left, open_minor)))
                left -= min(left, open_minor)
        return tuple(partial), Fit.PARTIAL, 0

    def _fee_fits(self, open_minor: int, amount: int) -> bool:
        """Whether ``amount`` is short of ``open_minor`` by no more than the write-off tolerance."""
        short = open_minor - amount
        limit = min(open_minor * self._tolerance.percent_bp // 10_000, self._tolerance.max_minor)
        return 0 < short <= limit

    def _reason(
        self,
        candidate: _Candidate,
        allocations: Sequence[ProposedAllocation],
        fit: Fit,
        unapplied: int,
        payer: Payer | None,
    ) -> str:
        numbers = [self._invoices[i].number for i in candidate.invoice_ids]
        if fit is Fit.EXACT:
            fits = "exact amount" if len(numbers) == 1 else "amount equals the sum of "
            fits += _enumerate(numbers) if len(numbers) > 1 else ""
        elif fit is Fit.FEE:
            short = sum(a.writeoff_minor for a in allocations)
            fits = f"{_enumerate(numbers)} short by {money(short)}, written off as bank fees"
        elif fit is Fit.OVER:
            fits = f"pays {money(unapplied)} more than is open: the rest goes on the account"
        else:
            paid = sum(a.amount_minor for a in allocations)
            still = sum(self._open[i] for i in candidate.invoice_ids) - paid
            share = f" ({candidate.share.words} of it)" if candidate.share else ""
            fits = f"partial payment of {_enumerate(numbers)}{share}, {money(still)} stays open"
        naming = _naming(self._invoices, candidate) if candidate.named else ""
        who = self._names.get(candidate.customer_id, f"customer {candidate.customer_id}")
        source = f"from {who} ({payer.how})" if payer else f"invoiced to {who}"
        return f"{naming} and {fits}, {source}" if naming else f"{fits}, {source}"

    # -- deciding ----------------------------------------------------------------------------

    def _may_apply(self, state: _Line, ranked: Sequence[_Ranked]) -> bool:
        """Whether the best proposal may be applied without a person (see the module doc)."""
        if not ranked or any(n.endswith("already paid") for n in state.notes):
            return False
        best = ranked[0]
        twice = [
            a.invoice_id
            for a in best.proposal.allocations
            if self._named_by and self._paid_by_earlier_line(state.line, a.invoice_id)
        ]
        if twice:
            number = self._invoices[twice[0]].number
            state.notes.append(f"{number} is paid by another line of this statement too")
            return False
        if not best.applicable:
            if best.score.auto_eligible:
                state.notes.append("the text names an invoice this proposal does not pay")
            return False
        margin = best.proposal.confidence - AMBIGUITY_MARGIN
        if any(r.applicable and r.proposal.confidence >= margin for r in ranked[1:]):
            state.notes.append("several proposals fit equally well")
            return False
        rival = self._rival_explanation(state, ranked)
        if rival:
            state.notes.append(rival)
        return not rival

    def _rival_explanation(self, state: _Line, ranked: Sequence[_Ranked]) -> str:
        """What else explains the amount as well as the best proposal, in words ("" if nothing).

        Another recognised customer's invoices that fit (:meth:`_payer_pays_own`), or, for a
        bank fee on an invoice the text does not name, the customer's invoices adding up to
        the amount exactly: paying several in full is as likely as a fee on one.
        """
        best = ranked[0].proposal
        if self._payer_pays_own(state, best, ranked):
            return "the payer is another customer, with an open invoice that fits"
        customer = best.customer_id
        if not _writes_off(best) or any(
            self._invoices[hit.invoice_id].customer_id == customer for hit in state.hits
        ):
            return ""
        if any(
            r.proposal.customer_id == customer
            and _settles(r.proposal, self._open)
            and not _writes_off(r.proposal)
            for r in ranked[1:]
        ):
            return "invoices adding up exactly fit as well as a bank fee on one"
        return ""

    def _payer_pays_own(self, state: _Line, best: Proposal, ranked: Sequence[_Ranked]) -> bool:
        """Whether a recognised payer other than the invoice's customer has invoices that fit.

        A number and an amount can agree by chance (round amounts, dense numbers); when the
        payer is recognised as another customer and that customer has open invoices the amount
        settles, a person decides.
        """
        recognised = {c for c, p in state.payers.items() if p.strength >= RECOGNISED}
        if not recognised or best.customer_id in recognised:
            return False
        return any(
            r.proposal.customer_id in recognised and _settles(r.proposal, self._open)
            for r in ranked[1:]
        )

    def _number_ignored(self, state: _Line, customer: int) -> bool:
        """Whether the text names an invoice, or one of this customer's by a near number."""
        return any(
            hit.kind.is_strong
            or (hit.kind is RefKind.TYPO and self._invoices[hit.invoice_id].customer_id == customer)
            for hit in state.hits
        )

    # -- lookups -----------------------------------------------------------------------------

    def _open_of(self, customer: int, currency: str) -> list[int]:
        """The customer's open invoices in ``currency``, oldest due first."""
        return [i for i in self._by_customer.get((customer, currency), ()) if self._open[i] > 0]

    def _with_amount(self, currency: str, amount: int) -> list[int]:
        """Open invoices in ``currency`` with exactly ``amount`` open, oldest due first."""
        found = self._by_amount.get((currency, amount), [])
        return [i for i in dict.fromkeys(found) if self._open[i] == amount]

    def _by_due(self, invoice_ids: Iterable[int]) -> tuple[int, ...]:
        return tuple(
            sorted(
                invoice_ids, key=lambda i: (self._invoices[i].due_date, self._invoices[i].number)
            )
        )


def _compact(iban: str) -> str:
    """An account number as IBANs are compared: no spaces or dashes, upper case."""
    return iban.replace(" ", "").replace("-", "").upper()


def _top_payer(state: _Line) -> int | None:
    ranked = sorted(state.payers.values(), key=lambda p: (-p.strength, p.customer_id))
    return ranked[0].customer_id if ranked else None


def _writes_off(proposal: Proposal) -> bool:
    return any(a.writeoff_minor for a in proposal.allocations)


def _is_partial(proposal: Proposal, open_amounts: dict[int, int]) -> bool:
    return any(
        a.amount_minor + a.writeoff_minor < open_amounts[a.invoice_id] for a in proposal.allocations
    )


def _settles(proposal: Proposal, open_amounts: dict[int, int]) -> bool:
    """Whether the proposal explains the whole amount by settling invoices in full."""
    return (
        bool(proposal.allocations)
        and proposal.unapplied_minor == 0
        and not _is_partial(proposal, open_amounts)
    )


def _enumerate(numbers: Sequence[str]) -> str:
    if len(numbers) <= 1:
        return "".join(numbers)
    return ", ".join(numbers[:-1]) + " and " + numbers[-1]


def _naming(invoices: dict[int, InvoiceItem], candidate: _Candidate) -> str:
    """How the text named the invoices: "reference INV-2026-00123", "INV-… read from '…'"."""
    described = []
    for ident, hit in candidate.named.items():
        number = invoices[ident].number
        if hit.kind is RefKind.CREDITOR_REF:
            described.append(f"reference {hit.written}")
        elif hit.kind is RefKind.NUMBER and hit.written.replace(" ", "") == number.upper():
            described.append(f"reference {number}")
        elif hit.kind.is_strong:
            described.append(f"reference {number} written as {hit.written!r}")
        elif hit.kind is RefKind.TYPO:
            described.append(f"{number} read from {hit.written!r} (one digit off)")
        else:
            described.append(f"sequence number {hit.written} of {number}")
    return ", ".join(described)
