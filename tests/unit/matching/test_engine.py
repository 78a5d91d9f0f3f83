"""The matcher on small hand-made ledgers, one phenomenon of DESIGN.md at a time."""

from datetime import date, timedelta

import pytest

from app.services.matching.engine import Matcher
from app.services.matching.names import name_tokens
from app.services.matching.types import (
    BankLine,
    InvoiceItem,
    PayerProfile,
    ProposedAllocation,
)

DAY = date(2026, 3, 2)
MUELLER_IBAN = "DE89370400440532013000"
PAYERS = [
    PayerProfile(1, "Müller Maschinenbau GmbH & Co. KG", ibans=(MUELLER_IBAN,)),
    PayerProfile(2, "Société Générale de Café SARL", aliases=("Bistro Lumière",)),
    PayerProfile(3, "Rossi Costruzioni S.r.l."),
    PayerProfile(4, "Bakker Groothandel B.V."),
    PayerProfile(5, "Van der Meer Installatietechniek Eindhoven B.V."),
]


def invoice(ident, number, customer, total, open_minor=None, currency="EUR", age=0):
    issued = DAY - timedelta(days=60 - age)
    return InvoiceItem(
        ident,
        number,
        customer,
        currency,
        total,
        total if open_minor is None else open_minor,
        issued,
        issued + timedelta(days=30),
    )


INVOICES = [
    invoice(10, "INV-2026-00123", 1, 119_000),
    invoice(11, "INV-2026-00124", 1, 50_000, age=1),
    invoice(12, "INV-2026-00125", 1, 23_450, age=2),
    invoice(20, "INV-2026-00200", 2, 70_000),
    invoice(21, "INV-2026-00201", 2, 30_000, open_minor=0),
    invoice(30, "INV-2026-00300", 3, 45_000),
    invoice(31, "INV-2026-00301", 3, 88_800, age=1),
    invoice(40, "INV-2026-00400", 4, 45_000),
    invoice(50, "INV-2026-00500", 5, 61_500),
]


def line(amount, remittance="", name="", iban="", currency="EUR", refs=()):
    return BankLine(1, DAY, amount, currency, name, iban, remittance, tuple(refs))


@pytest.fixture
def matcher():
    return Matcher(PAYERS, INVOICES)


def allocations(verdict):
    return verdict.proposals[0].allocations


@pytest.mark.parametrize(
    "text",
    [
        "INV-2026-00123",
        "SVWZ+Rechnung INV 2026 00123 Kd-Nr. 10023",
        "INV/2026/00123",
        "inv202600123",
        "Zahlung 2026-123 vom 12.03.2026",
        "Rechnung 2026-00123",
    ],
)
def test_the_number_however_written_with_the_exact_amount_is_applied(matcher, text):
    verdict = matcher.match(line(119_000, text))
    assert verdict.auto
    assert allocations(verdict) == (ProposedAllocation(10, 119_000),)
    assert "INV-2026-00123" in verdict.proposals[0].reason


@pytest.mark.parametrize(
    "text", ["Rg.-Nr. 123", "facture n° 123", "factura 00123", "invoice no 123"]
)
def test_a_sequence_number_alone_needs_the_payer_and_the_amount(matcher, text):
    from_payer = matcher.match(line(119_000, text, iban=MUELLER_IBAN))
    assert from_payer.auto
    assert allocations(from_payer) == (ProposedAllocation(10, 119_000),)
    assert not matcher.match(line(119_000, text, name="Unknown Trading Ltd")).auto


@pytest.mark.parametrize("reference", ["RF80INV202600123", "RF80 INV2 0260 0123"])
def test_a_creditor_reference_is_certain_even_for_a_partial_payment(matcher, reference):
    verdict = matcher.match(line(60_000, f"Zahlung {reference}"))
    assert verdict.auto
    assert allocations(verdict) == (ProposedAllocation(10, 60_000),)


def test_a_creditor_reference_in_the_structured_field(matcher):
    verdict = matcher.match(line(119_000, refs=["RF80INV202600123"]))
    assert verdict.auto
    assert verdict.proposals[0].reason.startswith("reference RF80INV202600123 and exact amount")


@pytest.mark.parametrize("typo", ["INV-2026-00126", "INV-2026-00152"])
def test_a_number_one_digit_off_is_applied_when_payer_and_amount_agree(matcher, typo):
    verdict = matcher.match(line(23_450, typo, iban=MUELLER_IBAN))
    assert verdict.auto
    assert allocations(verdict) == (ProposedAllocation(12, 23_450),)
    assert "one digit off" in verdict.proposals[0].reason


def test_a_number_one_digit_off_with_another_amount_is_only_suggested(matcher):
    verdict = matcher.match(line(10_000, "INV-2026-00126", iban=MUELLER_IBAN))
    assert not verdict.auto


@pytest.mark.parametrize(
    "payer",
    [
        "MUELLER MASCHINENBAU",
        "MULLER MASCHINENBAU GMBH",
        "Müller Maschinenbau GmbH & Co. KG",
        "MASCHINENBAU MUELLER",
    ],
)
def test_the_payer_name_as_banks_show_it_finds_the_customer(matcher, payer):
    verdict = matcher.match(line(50_000, "Zahlung", name=payer))
    assert verdict.customer_id == 1
    assert verdict.auto
    assert allocations(verdict) == (ProposedAllocation(11, 50_000),)


def test_a_name_cut_at_35_characters_and_an_alias_are_recognised(matcher):
    cut = "VAN DER MEER INSTALLATIETECHNIEK EINDHOVEN B.V."[:35]
    assert matcher.match(line(61_500, name=cut)).customer_id == 5
    alias = matcher.match(line(70_000, "Paiement", name="BISTRO LUMIERE"))
    assert alias.customer_id == 2
    assert alias.auto
    assert allocations(alias) == (ProposedAllocation(20, 70_000),)


def test_name_tokens_drop_legal_forms_and_fold_letters():
    assert name_tokens("Müller Maschinenbau GmbH & Co. KG") == name_tokens("MUELLER MASCHINENBAU")
    assert name_tokens("Ærø Størgaard B.V.") == name_tokens("AERO STORGAARD BV")
    assert name_tokens("Weiß S.A.R.L.") == ("WEISS",)


def test_three_invoices_without_numbers_are_found_by_their_sum(matcher):
    verdict = matcher.match(line(119_000 + 50_000 + 23_450, "Sammelzahlung", iban=MUELLER_IBAN))
    assert verdict.auto
    assert {a.invoice_id for a in allocations(verdict)} == {10, 11, 12}
    assert verdict.proposals[0].reason.startswith("amount equals the sum of INV-2026-00123")
    assert "IBAN seen before" in verdict.proposals[0].reason


def test_a_bank_fee_within_tolerance_is_written_off(matcher):
    verdict = matcher.match(line(119_000 - 750, "INV-2026-00123"))
    assert verdict.auto
    assert allocations(verdict) == (ProposedAllocation(10, 118_250, 750),)
    assert "short by 7.50, written off as bank fees" in verdict.proposals[0].reason


def test_a_short_payment_beyond_tolerance_is_a_partial_payment(matcher):
    verdict = matcher.match(line(119_000 - 1600, "INV-2026-00123", iban=MUELLER_IBAN))
    assert allocations(verdict) == (ProposedAllocation(10, 117_400),)
    assert all(a.writeoff_minor == 0 for p in verdict.proposals for a in p.allocations)


def test_an_overpayment_leaves_the_rest_unapplied(matcher):
    verdict = matcher.match(line(125_000, "RF80INV202600123"))
    assert verdict.auto
    assert allocations(verdict) == (ProposedAllocation(10, 119_000),)
    assert verdict.proposals[0].unapplied_minor == 6_000


def test_the_same_invoice_paid_twice_is_not_applied_the_second_time(matcher):
    first = matcher.match(line(119_000, "INV-2026-00123", iban=MUELLER_IBAN))
    assert first.auto
    matcher.consume(first.proposals[0])
    second = matcher.match(line(119_000, "INV-2026-00123", iban=MUELLER_IBAN))
    assert not second.auto
    assert "already paid" in second.note
    assert second.proposals[0].allocations == ()
    assert second.proposals[0].unapplied_minor == 119_000


def test_a_settled_invoice_named_is_never_applied_elsewhere(matcher):
    # INV-2026-00201 is paid; the amount happens to be that of the open INV-2026-00200
    verdict = matcher.match(line(70_000, "Facture INV-2026-00201", name="Societe Generale de Cafe"))
    assert not verdict.auto
    assert verdict.note == "names INV-2026-00201, which is already paid"
    assert verdict.customer_id == 2
    assert verdict.proposals[0].allocations == ()
    assert "on the account of Société Générale de Café SARL" in verdict.proposals[0].reason


def test_a_debit_gets_no_proposals(matcher):
    verdict = matcher.match(line(-119_000, "INV-2026-00123", iban=MUELLER_IBAN))
    assert verdict.proposals == ()
    assert not verdict.auto


def test_a_currency_without_open_invoices_applies_nothing(matcher):
    verdict = matcher.match(line(119_000, "INV-2026-00123", iban=MUELLER_IBAN, currency="USD"))
    assert not verdict.auto
    assert all(not p.allocations for p in verdict.proposals)
    assert "no open invoices in USD" in verdict.note


def test_two_customers_with_the_same_amount_and_no_reference_is_ambiguous(matcher):
    verdict = matcher.match(line(45_000, "Payment"))
    assert not verdict.auto
    assert {p.customer_id for p in verdict.proposals[:2]} == {3, 4}


def test_a_partial_payment_named_by_a_confirmed_payer_is_applied(matcher):
    verdict = matcher.match(line(40_000, "Teilzahlung INV-2026-00123", iban=MUELLER_IBAN))
    assert verdict.auto
    assert allocations(verdict) == (ProposedAllocation(10, 40_000),)
    assert "79,000.00 stays open" in verdict.proposals[0].reason.replace("790.00", "79,000.00")


def test_two_lines_of_one_statement_paying_the_same_invoice_apply_only_once(matcher):
    first = BankLine(1, DAY, 61_500, "EUR", remittance="INV-2026-00500")
    second = BankLine(2, DAY, 61_500, "EUR", remittance="INV-2026-00500")
    matcher.preview([first, second])
    assert matcher.match(first).auto
    verdict = matcher.match(second)
    assert not verdict.auto
    assert "INV-2026-00500 is paid by another line of this statement too" in verdict.note


def test_equal_amounts_from_a_known_payer_go_to_the_oldest_invoice():
    invoices = [
        invoice(60, "INV-2026-00600", 1, 9_900, age=0),
        invoice(61, "INV-2026-00610", 1, 9_900, age=30),
        invoice(62, "INV-2026-00620", 1, 9_900, age=60),
    ]
    verdict = Matcher(PAYERS, invoices).match(line(9_900, "Abo", iban=MUELLER_IBAN))
    assert verdict.auto
    assert allocations(verdict) == (ProposedAllocation(60, 9_900),)
    by_name = Matcher(PAYERS, invoices).match(line(9_900, "Abo", name="Bakker Groothandel"))
    assert not by_name.auto  # another customer's name: nothing of theirs fits


def test_a_mistyped_number_of_another_customer_reserves_nothing_in_the_preview():
    # Bakker pays its INV-2026-00401 but types INV-2026-00301, Rossi's; Rossi pays 888.00
    # without a number in the same statement and still gets INV-2026-00301.
    matcher = Matcher(PAYERS, [*INVOICES, invoice(41, "INV-2026-00401", 4, 12_345)])
    slip = BankLine(1, DAY, 12_345, "EUR", "BAKKER GROOTHANDEL", "", "INV-2026-00301")
    rossi = BankLine(2, DAY, 88_800, "EUR", "ROSSI COSTRUZIONI", "", "Pagamento")
    matcher.preview([slip, rossi])
    verdict = matcher.match(rossi)
    assert verdict.auto
    assert allocations(verdict) == (ProposedAllocation(31, 88_800),)


def test_a_number_the_payer_writes_of_its_own_is_left_to_its_line():
    matcher = Matcher(PAYERS, INVOICES)
    named = BankLine(1, DAY, 40_000, "EUR", "ROSSI COSTRUZIONI", "", "Acconto INV-2026-00301")
    unnamed = BankLine(2, DAY, 88_800, "EUR", "ROSSI COSTRUZIONI", "", "Pagamento")
    matcher.preview([named, unnamed])
    assert all(a.invoice_id != 31 for p in matcher.match(unnamed).proposals for a in p.allocations)


def test_a_partial_payment_without_a_number_proposes_the_invoice_it_is_half_of():
    invoices = [
        invoice(70, "INV-2026-00700", 1, 30_000, age=0),
        invoice(71, "INV-2026-00710", 1, 250_000, age=10),
        invoice(72, "INV-2026-00720", 1, 81_234, age=20),
        invoice(73, "INV-2026-00730", 1, 95_000, age=30),
    ]
    verdict = Matcher(PAYERS, invoices).match(line(40_600, "Teilzahlung", iban=MUELLER_IBAN))
    assert not verdict.auto
    best = verdict.proposals[0]
    assert best.allocations == (ProposedAllocation(72, 40_600),)  # half of 812.34, rounded down
    assert "partial payment of INV-2026-00720 (half of it), 406.34 stays open" in best.reason


def test_a_payer_name_cut_inside_its_legal_form_is_recognised_in_full():
    payers = [PayerProfile(1, "van der Linden Handelsonderneming V.O.F.")]
    invoices = [invoice(80, "INV-2026-00800", 1, 44_049)]
    cut = "VAN DER LINDEN HANDELSONDERNEMING V.O.F."[:35]  # "... HANDELSONDERNEMING V"
    # confirmed, as the whole name would be: its partial payment of a named invoice is applied
    verdict = Matcher(payers, invoices).match(line(20_000, "Teilzahlung INV-2026-00800", name=cut))
    assert verdict.auto
    assert allocations(verdict) == (ProposedAllocation(80, 20_000),)


def test_two_invoices_anywhere_among_many_are_found_by_their_sum():
    # 30 open invoices (amounts with distinct pair sums); the payer pays the 4th and the 28th
    invoices = [
        invoice(100 + k, f"INV-2026-{k:05d}", 1, 10_000 + 37 * k * k, age=k) for k in range(30)
    ]
    amount = 20_000 + 37 * (3 * 3 + 27 * 27)
    verdict = Matcher(PAYERS, invoices).match(line(amount, "Zahlung", iban=MUELLER_IBAN))
    assert not verdict.auto  # among many open invoices a sum may be chance
    wanted = {ProposedAllocation(103, 10_333), ProposedAllocation(127, 10_000 + 37 * 729)}
    assert any(set(p.allocations) == wanted for p in verdict.proposals[:3])


def test_the_oldest_invoices_adding_up_are_proposed_beside_a_bank_fee_on_one():
    invoices = [
        invoice(90, "INV-2026-00900", 1, 36_604, age=0),
        invoice(91, "INV-2026-00910", 1, 45_000, age=5),
        invoice(92, "INV-2026-00920", 1, 81_700, age=10),  # 81,604 is 0.96 short of it
    ]
    verdict = Matcher(PAYERS, invoices).match(line(81_604, "Payment", iban=MUELLER_IBAN))
    assert not verdict.auto
    shown = [set(p.allocations) for p in verdict.proposals[:3]]
    assert {ProposedAllocation(90, 36_604), ProposedAllocation(91, 45_000)} in shown
    assert {ProposedAllocation(92, 81_604, 96)} in shown


def test_numbers_listed_in_several_forms_are_paid_together_among_many_open_invoices():
    older = [
        invoice(200 + k, f"INV-2025-{k:05d}", 1, 1_000_000 + k, age=-100 + k) for k in range(45)
    ]
    listed = [
        invoice(10, "INV-2026-00123", 1, 119_000),
        invoice(11, "INV-2026-00124", 1, 50_000, age=1),  # one digit off the first number
        invoice(14, "INV-2026-00457", 1, 21_000, age=2),
        invoice(15, "INV-2026-00789", 1, 31_500, age=3),
    ]
    matcher = Matcher(PAYERS, [*older, *listed])
    text = "INV-2026-00123, Rg. 457, Rechnung 789"
    verdict = matcher.match(line(171_500, text, iban=MUELLER_IBAN))
    assert verdict.auto
    assert set(allocations(verdict)) == {
        ProposedAllocation(10, 119_000),
        ProposedAllocation(14, 21_000),
        ProposedAllocation(15, 31_500),
    }


def test_a_parent_paying_for_many_subsidiaries_finds_the_one_with_the_amount():
    names = ["Alfa", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta", "Iota"]
    names += ["Kappa", "Lambda", "Mu", "Nu", "Xi"]
    payers = [
        PayerProfile(40 + k, f"{name} Costruzioni S.r.l.", aliases=("Rinaldi Holding S.p.A.",))
        for k, name in enumerate(names)
    ]
    invoices = [
        invoice(400 + k, f"INV-2026-{400 + k:05d}", 40 + k, 12_345 + 1_000 * k) for k in range(14)
    ]
    verdict = Matcher(payers, invoices).match(line(12_345 + 13_000, "", name="RINALDI HOLDING"))
    assert verdict.customer_id == 53  # the 14th of them
    assert verdict.proposals[0].allocations == (ProposedAllocation(413, 25_345),)


def test_a_tax_period_that_reads_like_a_number_reserves_nothing():
    invoices = [*INVOICES, invoice(13, "INV-2026-00004", 1, 42_196)]
    matcher = Matcher(PAYERS, invoices)
    refund = BankLine(1, DAY, 24_689, "EUR", "Finanzamt München", "", "Erstattung USt 2026-04")
    payment = BankLine(2, DAY, 42_196, "EUR", "", MUELLER_IBAN, "Zahlung")
    matcher.preview([refund, payment])
    verdict = matcher.match(payment)
    assert verdict.auto
    assert allocations(verdict) == (ProposedAllocation(13, 42_196),)


# After a change of numbering the ledger holds INV-2026-04777 (Bakker's, open), 2026/4777
# (Rossi's, paid) and INV-2026-00124's neighbour 2026/0124 (Rossi's, paid).
RENUMBERED = [
    *INVOICES,
    invoice(42, "INV-2026-04777", 4, 47_272),
    invoice(33, "2026/4777", 3, 12_000, open_minor=0),
    invoice(34, "2026/0124", 3, 9_000, open_minor=0),
]


def test_a_number_written_in_full_names_one_invoice_not_also_its_digits():
    verdict = Matcher(PAYERS, RENUMBERED).match(line(50_000, "INV-2026-00124", iban=MUELLER_IBAN))
    assert verdict.auto  # 2026-00124 inside it is not also Rossi's paid 2026/0124
    assert allocations(verdict) == (ProposedAllocation(11, 50_000),)
    assert verdict.note == ""


def test_bare_digits_that_are_two_invoices_are_read_as_the_payers():
    verdict = Matcher(PAYERS, RENUMBERED).match(
        line(47_272, "2026/4777", name="BAKKER GROOTHANDEL")
    )
    assert verdict.auto  # not Rossi's paid 2026/4777 as printed
    assert allocations(verdict) == (ProposedAllocation(42, 47_272),)
    assert "already paid" not in verdict.note


def test_a_slip_is_looked_for_in_the_typed_text_not_in_a_copied_end_to_end_id(matcher):
    typed = matcher.match(line(23_450, "INV-2026-00126", iban=MUELLER_IBAN))
    copied = matcher.match(
        BankLine(1, DAY, 23_450, "EUR", "", MUELLER_IBAN, "Zahlung", (), "INV-2026-00126")
    )
    assert "one digit off" in typed.proposals[0].reason
    assert all("one digit off" not in p.reason for p in copied.proposals)


def test_a_bank_fee_on_one_invoice_is_not_applied_when_others_add_up_exactly():
    # 15 open invoices (cubes: the pair sums differ); 609.31 is the 3rd and 6th in full, or
    # the last one (613.31) short by 4.00
    invoices = [
        invoice(100 + k, f"INV-2026-{k:05d}", 1, 30_000 + 7 * k**3, age=k) for k in range(15)
    ]
    invoices.append(invoice(120, "INV-2026-00020", 1, 61_331, age=20))
    verdict = Matcher(PAYERS, invoices).match(line(60_931, "Zahlung", iban=MUELLER_IBAN))
    assert not verdict.auto
    assert verdict.note == "invoices adding up exactly fit as well as a bank fee on one"
    shown = [set(p.allocations) for p in verdict.proposals[:3]]
    assert {ProposedAllocation(120, 60_931, 400)} in shown
    assert {ProposedAllocation(102, 30_056), ProposedAllocation(105, 30_875)} in shown
