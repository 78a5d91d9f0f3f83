import pytest

from app.services.iban import (
    creditor_reference,
    format_iban,
    is_valid_creditor_reference,
    is_valid_iban,
    normalize_iban,
)


def test_creditor_reference_from_formats_md():
    assert creditor_reference("INV-2026-00123") == "RF80INV202600123"
    assert is_valid_creditor_reference("RF80 INV2 0260 0123")
    assert not is_valid_creditor_reference("RF81INV202600123")


def test_long_numbers_keep_their_last_21_letters_and_digits():
    reference = creditor_reference("CUSTOMER-ACCOUNT-2026-INVOICE-000123")
    assert reference[4:] == "ACCOUNT2026INVOICE000123"[-21:]
    assert is_valid_creditor_reference(reference)


@pytest.mark.parametrize("text", ["de89 3704 0044 0532 0130 00", "DE89-3704-0044-0532-0130-00"])
def test_ibans_are_normalised(text):
    assert normalize_iban(text) == "DE89370400440532013000"
    assert format_iban(normalize_iban(text)) == "DE89 3704 0044 0532 0130 00"


@pytest.mark.parametrize(
    "text",
    [
        "DE88370400440532013000",
        "DE89",
        "GB82 WEST 1234 5698 7654 3X",
        "DE\u0668\u0669370400440532013000",
    ],
)
def test_bad_ibans_are_refused(text):
    assert not is_valid_iban(text)
