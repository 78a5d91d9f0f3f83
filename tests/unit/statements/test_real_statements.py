"""Every file of the real-statement corpus reads as its manifest says.

The corpus is kept byte for byte in tests/data/real-statements (its README names each file's
source and licence), a copy of ../shared/real-statements.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from app.services.statements.reader import detect_format, read_statement_file

CORPUS = Path(__file__).resolve().parents[2] / "data" / "real-statements"


def _rows() -> list[dict[str, str]]:
    with (CORPUS / "MANIFEST.csv").open(encoding="utf-8", newline="") as manifest:
        return list(csv.DictReader(manifest))


ROWS = _rows()
#: Files that state no currency: the one the manifest implies is what a user would pick.
IMPLIED_CURRENCY = {
    "csv/ofxstatement-lithuanian__danske.csv": "USD",
    "csv/ofxstatement-fineco__movements.xlsx": "EUR",
}
#: ISO 4217 "no currency": seen in a result only if a file's own currency was missed.
NO_CURRENCY = "XXX"


@pytest.mark.parametrize("row", ROWS, ids=[row["file"] for row in ROWS])
def test_corpus_file_reads_as_the_manifest_says(row: dict[str, str]) -> None:
    path = CORPUS / row["file"]

    parsed = read_statement_file(
        path, default_currency=IMPLIED_CURRENCY.get(row["file"], NO_CURRENCY)
    )

    amounts = [line.amount for line in parsed.lines]
    assert parsed.format == row["format"]
    assert len(amounts) == int(row["transactions"])
    assert sum((a for a in amounts if a > 0), Decimal(0)) == Decimal(row["credits_total"])
    assert sum((-a for a in amounts if a < 0), Decimal(0)) == Decimal(row["debits_total"])
    assert len(parsed.statements) == int(row["statements"])
    currencies = {line.currency for line in parsed.lines} or {
        statement.currency for statement in parsed.statements
    }
    assert currencies == set(row["currency"].split(";"))


@pytest.mark.parametrize("row", ROWS, ids=[row["file"] for row in ROWS])
def test_corpus_file_format_is_told_from_its_content(row: dict[str, str]) -> None:
    assert detect_format((CORPUS / row["file"]).read_bytes()) == row["format"]


NOT_RECONCILING = {
    "mt940/wolph-mt940-jejik__abnamro.sta",
    "mt940/wolph-mt940-jejik__ing.sta",
    "mt940/wolph-mt940-jejik__knab.sta",
    "mt940/wolph-mt940-jejik__postfinance.sta",
    "mt940/wolph-mt940-jejik__rabobank.sta",
    "mt940/wolph-mt940-jejik__triodos.sta",
    "mt940/wolph-mt940-selfprovided__raiffeisen-cmi.sta",
    "camt053/oca-camt__test-camt053",
    "camt053/genkgo-camt__camt053.v8.xml",
}
BALANCED = [
    row["file"]
    for row in ROWS
    if row["format"] in ("mt940", "camt053") and row["file"] not in NOT_RECONCILING
]


@pytest.mark.parametrize("file", BALANCED)
def test_statements_whose_balances_reconcile_give_no_balance_warning(file: str) -> None:
    parsed = read_statement_file(CORPUS / file, default_currency="EUR")

    assert not [warning for warning in parsed.warnings if "closing balance is" in warning]


def test_a_statement_that_does_not_reconcile_is_named_with_its_figures() -> None:
    parsed = read_statement_file(CORPUS / "camt053/oca-camt__test-camt053", default_currency="EUR")

    assert parsed.warnings == (
        "oca-camt__test-camt053: statement 1 of NL77ABNA0574908765: opening 15568.27"
        " + lines -12.99 = 15555.28, but the closing balance is 15121.12",
    )
