"""CSV/XLSX bank exports: detection of the columns, reading with a mapping, and bad input."""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from time import perf_counter

import openpyxl
import pytest

from app.services.statements.parsed import (
    MappingNeededError,
    ParsedFile,
    SheetMapping,
    StatementFileError,
)
from app.services.statements.sheet import guess_sheet_mapping, read_sheet
from app.services.statements.sheet_values import read_amount, split_amount

CORPUS = Path(__file__).resolve().parents[2] / "data" / "real-statements"


def _read(
    text: str,
    encoding: str = "utf-8",
    *,
    default_currency: str = "EUR",
    mapping: SheetMapping | None = None,
) -> ParsedFile:
    data = text.encode(encoding)
    return read_sheet(
        "export.csv", data, kind="csv", default_currency=default_currency, mapping=mapping
    )


def _amounts(parsed: ParsedFile) -> list[Decimal]:
    return [line.amount for line in parsed.lines]


# ------------------------------------------------------------------------------------------
# Banks and languages

GERMAN = """Umsatzanzeige;Girokonto
IBAN;DE89 3704 0044 0532 0130 00
Zeitraum;01.01.2026 - 31.01.2026

Buchungstag;Wertstellung;Auftraggeber/Empfänger;Verwendungszweck;Soll;Haben;Währung
02.01.2026;02.01.2026;Müller GmbH;RE-2026-001;;1.234,56;EUR
03.01.2026;05.01.2026;Stadtwerke Köln;Abschlag Jänner;-89,90;;EUR
04.01.2026;04.01.2026;Bäckerei;Brötchen;12,00;;EUR
"""


def test_german_soll_haben_semicolon_cp1252_with_preamble() -> None:
    parsed = _read(GERMAN, "cp1252")
    assert parsed.format == "csv"
    assert _amounts(parsed) == [Decimal("1234.56"), Decimal("-89.90"), Decimal("-12.00")]
    first, second = parsed.lines[0], parsed.lines[1]
    assert first.payer_name == "Müller GmbH"
    assert first.remittance == "RE-2026-001"
    assert second.booking_date == date(2026, 1, 3)
    assert second.value_date == date(2026, 1, 5)
    assert first.source_line == 6
    assert parsed.statements[0].account == "DE89370400440532013000"


def test_french_debit_credit_with_space_thousands() -> None:
    text = (
        "Date d'opération;Date de valeur;Libellé;Débit;Crédit\n"
        "15/01/2026;15/01/2026;VIR SEPA DUPONT SARL FACTURE F-1001;;1 234,56\n"
        "16/01/2026;17/01/2026;PRLV EDF;-45,00;\n"
    )
    parsed = _read(text)
    assert _amounts(parsed) == [Decimal("1234.56"), Decimal("-45.00")]
    assert parsed.lines[0].remittance == "VIR SEPA DUPONT SARL FACTURE F-1001"
    assert parsed.lines[1].value_date == date(2026, 1, 17)


def test_spanish_cargo_abono_with_running_balance() -> None:
    text = (
        "Fecha,Fecha valor,Concepto,Cargo,Abono,Saldo\n"
        '13/02/2026,13/02/2026,"Transferencia de ACME SL, factura 77",,"1.500,00","3.500,00"\n'
        '14/02/2026,14/02/2026,Comisión,"12,00",,"3.488,00"\n'
    )
    parsed = _read(text)
    assert _amounts(parsed) == [Decimal("1500.00"), Decimal("-12.00")]
    statement = parsed.statements[0]
    assert (statement.opening_balance, statement.closing_balance) == (
        Decimal("2000.00"),
        Decimal("3488.00"),
    )


def test_dutch_af_bij_tab_separated_currency_from_header() -> None:
    text = (
        "Datum\tNaam / Omschrijving\tRekening\tTegenrekening\tAf Bij\tBedrag (EUR)\tMededelingen\n"
        "20260115\tJansen BV\tNL91ABNA0417164300\tNL20INGB0001234567\tBij\t250,00\tFactuur 42\n"
        "20260116\tHuur\tNL91ABNA0417164300\t\tAf\t1.000,00\tHuur januari\n"
    )
    parsed = _read(text, default_currency="USD")
    assert _amounts(parsed) == [Decimal("250.00"), Decimal("-1000.00")]
    statement = parsed.statements[0]
    assert (statement.account, statement.currency) == ("NL91ABNA0417164300", "EUR")
    assert parsed.lines[0].payer_iban == "NL20INGB0001234567"
    assert parsed.lines[0].payer_name == "Jansen BV"
    assert parsed.lines[0].booking_date == date(2026, 1, 15)


def test_english_money_in_money_out() -> None:
    text = (
        "Date,Description,Money out,Money in,Balance\n"
        '14/01/2026,ACME LTD INV-7,,"1,250.00","2,250.00"\n'
        '15/01/2026,CARD PAYMENT,12.50,,"2,237.50"\n'
    )
    parsed = _read(text)
    assert _amounts(parsed) == [Decimal("1250.00"), Decimal("-12.50")]
    assert parsed.statements[0].closing_balance == Decimal("2237.50")


def test_trailing_minus_and_plus_amounts() -> None:
    text = (
        "Buchungstag;Betrag;Verwendungszweck\n"
        "31.01.2026;1.234,56-;Lastschrift\n"
        "31.01.2026;99,00+;Gutschrift\n"
    )
    assert _amounts(_read(text)) == [Decimal("-1234.56"), Decimal("99.00")]


def test_pending_rows_are_left_out_with_a_warning() -> None:
    text = (
        "Completed Date,Description,Amount,Currency,State\n"
        "2026-01-02 10:00:00,Top-up,100.00,EUR,COMPLETED\n"
        ",Shop,-5.00,EUR,PENDING\n"
        "2026-01-03 11:00:00,Card,-7.5,EUR,COMPLETED\n"
    )
    parsed = _read(text)
    assert _amounts(parsed) == [Decimal("100.00"), Decimal("-7.5")]
    assert "left out 1 rows" in parsed.warnings[0]


def test_several_currencies_give_one_statement_each_in_file_order() -> None:
    text = (
        "Date,Amount,Currency,Description\n"
        "2026-01-02,10.00,USD,a\n"
        "2026-01-03,20.00,EUR,b\n"
        "2026-01-04,-5.00,USD,c\n"
    )
    parsed = _read(text)
    assert [(s.currency, len(s.lines)) for s in parsed.statements] == [("USD", 2), ("EUR", 1)]


def test_quoted_field_over_several_lines_keeps_its_starting_line() -> None:
    text = (
        "Date,Description,Amount\n"
        '2026-01-02,"first line\nsecond line",10.00\n'
        "2026-01-03,plain,-1.00\n"
    )
    parsed = _read(text)
    assert [line.source_line for line in parsed.lines] == [2, 4]
    assert parsed.lines[0].remittance == "first line second line"


def test_header_without_rows_is_an_empty_file() -> None:
    parsed = _read("Date,Description,Amount\n")
    assert parsed.statements == ()
    assert parsed.warnings == ("export.csv holds no transactions",)


def test_value_date_in_another_layout_is_left_out() -> None:
    text = "Date,Value date,Amount\n2026-01-02,02.01.2026,1.00\n2026-01-13,14.01.2026,2.00\n"
    parsed = _read(text)
    assert [line.value_date for line in parsed.lines] == [None, None]


def test_total_row_without_a_date_is_not_a_transaction() -> None:
    text = "Date,Description,Amount\n2026-01-02,a,10.00\n2026-01-03,b,5.00\n,TOTAL,15.00\n"
    assert _amounts(_read(text)) == [Decimal("10.00"), Decimal("5.00")]


# ------------------------------------------------------------------------------------------
# Without a header, and when detection is not sure

NO_HEADER = """2026-01-13,NL91ABNA0417164300,NL20INGB0001234567,Jansen BV,100.00,250.00,'Factuur 42'
2026-01-14,NL91ABNA0417164300,,Bank,350.00,-2.50,'Kosten januari'
2026-01-15,NL91ABNA0417164300,NL20INGB0001234567,Pieters,347.50,-47.50,'Huur'
"""


def test_file_without_header_is_read_from_its_values() -> None:
    parsed = _read(NO_HEADER)
    assert _amounts(parsed) == [Decimal("250.00"), Decimal("-2.50"), Decimal("-47.50")]
    statement = parsed.statements[0]
    assert statement.account == "NL91ABNA0417164300"
    assert (statement.opening_balance, statement.closing_balance) == (
        Decimal("100.00"),
        Decimal("300.00"),
    )
    assert parsed.lines[0].payer_name == "Jansen BV"
    assert parsed.lines[0].remittance == "Factuur 42"
    assert "no header row" in parsed.warnings[0]


AMBIGUOUS = "Date,Description,Amount\n01/02/2026,ACME,100.00\n03/04/2026,Foo,-5.00\n"


def test_ambiguous_dates_need_a_mapping_and_the_guess_reads_the_file() -> None:
    with pytest.raises(MappingNeededError) as caught:
        _read(AMBIGUOUS)
    guess = caught.value.guess
    assert not guess.sure
    assert guess.mapping is not None
    assert (guess.mapping.date_column, guess.mapping.amount_column) == (0, 2)
    assert any("day/month or month/day" in doubt for doubt in guess.doubts)
    assert "export.csv" in str(caught.value)
    month_first = dataclasses.replace(guess.mapping, date_format="%m/%d/%Y")
    parsed = _read(AMBIGUOUS, mapping=month_first)
    assert [line.booking_date for line in parsed.lines] == [date(2026, 1, 2), date(2026, 3, 4)]


def test_ambiguous_dates_under_a_german_header_are_day_first() -> None:
    text = "Datum;Betrag;Verwendungszweck\n01/02/2026;100.00;a\n03/04/2026;-5.00;b\n"
    assert _read(text).lines[0].booking_date == date(2026, 2, 1)


def test_month_first_dates_are_recognised_from_a_day_above_12() -> None:
    text = "Date,Description,Amount\n12/31/2026,a,1.00\n01/02/2027,b,2.00\n"
    assert _read(text).lines[1].booking_date == date(2027, 1, 2)


def test_unknown_amount_title_needs_a_mapping_with_a_best_guess() -> None:
    text = "Datum;Kunde;Wert\n02.01.2026;A;12,50\n03.01.2026;B;-3,00\n"
    with pytest.raises(MappingNeededError) as caught:
        _read(text)
    guess = caught.value.guess
    assert guess.mapping is not None
    assert guess.mapping.amount_column == 2
    assert any("recognised from their values" in doubt for doubt in guess.doubts)
    assert _amounts(_read(text, mapping=guess.mapping)) == [Decimal("12.50"), Decimal("-3.00")]


def test_guess_gives_headers_and_preview() -> None:
    guess = guess_sheet_mapping("export.csv", GERMAN.encode("cp1252"), kind="csv")
    assert guess.sure
    assert guess.headers[0] == "Buchungstag"
    assert guess.preview[0][2] == "Müller GmbH"
    assert guess.mapping is not None
    assert guess.mapping.encoding == "cp1252"
    assert guess.mapping.delimiter == ";"
    assert guess.mapping.header_row == 4


def test_mapping_json_round_trip() -> None:
    mapping = guess_sheet_mapping("export.csv", GERMAN.encode("cp1252"), kind="csv").mapping
    assert mapping is not None
    assert SheetMapping.from_json(mapping.to_json()) == mapping
    again = _read(GERMAN, "cp1252", mapping=SheetMapping.from_json(mapping.to_json()))
    assert _amounts(again) == _amounts(_read(GERMAN, "cp1252"))


# ------------------------------------------------------------------------------------------
# Bad input


def test_no_amount_column_is_refused_by_name() -> None:
    with pytest.raises(StatementFileError, match=r"^export\.csv: expected a column of amounts"):
        _read("Date,Name\n2026-01-01,Foo\n2026-01-02,Bar\n")


def test_bad_date_names_file_row_and_column_and_returns_nothing() -> None:
    rows = "".join(f"2026-01-{day:02d},payer,{day}.00\n" for day in range(1, 12))
    text = "Date,Name,Amount\n" + rows + "yesterday,payer,1.00\n"
    with pytest.raises(StatementFileError) as caught:
        _read(text)
    assert str(caught.value) == (
        "export.csv, row 13, column Date: expected a date like 2026-12-31, got 'yesterday'"
    )


def test_bad_amount_with_a_mapping_names_the_column() -> None:
    mapping = SheetMapping(date_column=0, date_format="%d.%m.%Y", amount_column=1, delimiter=";")
    text = "Tag;Summe\n01.01.2026;5,00\n02.01.2026;zwölf\n"
    with pytest.raises(StatementFileError, match=r"row 3, column Summe: expected an amount"):
        _read(text, mapping=dataclasses.replace(mapping, decimal_separator=","))


def test_bytes_in_no_known_encoding_name_the_offset() -> None:
    data = b"Date,Name,Amount\n2026-01-01,\xe4\x81,1.00\n"
    with pytest.raises(StatementFileError, match=r"export\.csv, line 2: .*offset 29"):
        read_sheet("export.csv", data, kind="csv", default_currency="EUR")


def test_binary_data_is_refused() -> None:
    with pytest.raises(StatementFileError, match="not binary data"):
        read_sheet("export.csv", b"PK\x00\x01junk", kind="csv", default_currency="EUR")


def test_windows_1257_is_told_from_windows_1252() -> None:
    text = "Data;Suma;Paaiškinimai\n2026-01-02;10.00;Mokestis už lėšų įskaitymą\n"
    parsed = _read(text, "cp1257")
    assert parsed.lines[0].remittance == "Mokestis už lėšų įskaitymą"


def test_file_over_50_mb_is_refused() -> None:
    with pytest.raises(StatementFileError, match="at most 50 MB"):
        read_sheet("big.csv", b" " * 50_000_001, kind="csv", default_currency="EUR")


# ------------------------------------------------------------------------------------------
# Amounts


@pytest.mark.parametrize(
    ("text", "decimal", "thousands", "expected"),
    [
        ("-.46", ".", ",", "-0.46"),
        ("2500", ",", ".", "2500"),
        ("'579,68 USD", ",", ".", "579.68"),
        ("544,00 $", ",", ".", "544.00"),
        ("+1.234,56", ",", ".", "1234.56"),
        ("1.234,56-", ",", ".", "-1234.56"),
        ("(12.34)", ".", ",", "-12.34"),
        ("1,234.56", ".", ",", "1234.56"),
        ("1 234,56", ",", " ", "1234.56"),
        ("1'234.50", ".", "'", "1234.50"),
        ("USD 9.126,07", ",", ".", "9126.07"),
        ("12.34 DR", ".", ",", "-12.34"),
    ],
)
def test_amounts(text: str, decimal: str, thousands: str, expected: str) -> None:
    assert read_amount(text, decimal, thousands) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "(12.34", "2026-01-02", "12-34"])
def test_not_amounts(text: str) -> None:
    assert split_amount(text) is None


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("2012:03:01", date(2012, 3, 1)), ("20261231", date(2026, 12, 31))],
)
def test_year_first_dates_need_no_order(cell: str, expected: date) -> None:
    text = f"Date,Amount\n{cell},1.00\n"
    assert _read(text).lines[0].booking_date == expected


def test_text_month_dates() -> None:
    text = "Date,Amount\n31 Dec 2026,1.00\n02 Jan 2027,2.00\n"
    assert _read(text).lines[1].booking_date == date(2027, 1, 2)


# ------------------------------------------------------------------------------------------
# XLSX


def _workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_preamble_numbers_and_datetime_cells() -> None:
    data = _workbook(
        [
            ["Conto: 123"],
            [],
            ["Data", "Entrate", "Uscite", "Descrizione"],
            [datetime.combine(date(2026, 1, 2), time(9, 30)), 1084, None, "Bonifico"],
            ["03/01/2026", None, -9.99, "VISA"],
            ["13/01/2026", 0.1, None, "Interessi"],
        ]
    )
    parsed = read_sheet("m.xlsx", data, kind="xlsx", default_currency="EUR")
    assert parsed.format == "xlsx"
    assert _amounts(parsed) == [Decimal("1084"), Decimal("-9.99"), Decimal("0.1")]
    assert parsed.lines[0].booking_date == date(2026, 1, 2)
    assert parsed.lines[1].booking_date == date(2026, 1, 3)
    assert [line.source_line for line in parsed.lines] == [4, 5, 6]


def test_xlsx_zip_bomb_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * 5_000_000)
    with pytest.raises(StatementFileError, match="unpacks to"):
        read_sheet("bomb.xlsx", buffer.getvalue(), kind="xlsx", default_currency="EUR")


def test_not_a_workbook() -> None:
    with pytest.raises(StatementFileError, match="not a readable Excel workbook"):
        read_sheet("x.xlsx", b"hello", kind="xlsx", default_currency="EUR")


# ------------------------------------------------------------------------------------------
# Speed


def test_ten_thousand_rows_read_quickly() -> None:
    rows = "".join(
        f"{1 + i % 28:02d}.{1 + i % 12:02d}.2026;Kunde {i} GmbH;RE-{i};{i},{i % 100:02d};EUR\n"
        for i in range(10_000)
    )
    data = ("Buchungstag;Auftraggeber;Verwendungszweck;Betrag;Währung\n" + rows).encode()
    started = perf_counter()
    parsed = read_sheet("big.csv", data, kind="csv", default_currency="EUR")
    elapsed = perf_counter() - started
    assert len(parsed.lines) == 10_000
    assert elapsed < 1.5


# ------------------------------------------------------------------------------------------
# The real exports of the corpus


def _corpus_rows() -> list[dict[str, str]]:
    manifest = CORPUS / "MANIFEST.csv"
    if not manifest.exists():
        return []
    with manifest.open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["format"] in ("csv", "xlsx")]


@pytest.mark.parametrize("row", _corpus_rows(), ids=lambda row: row["file"])
def test_corpus_exports_read_without_a_mapping(row: dict[str, str]) -> None:
    path = CORPUS / row["file"]
    currency = row["currency"].split(";")[0]
    parsed = read_sheet(path.name, path.read_bytes(), kind=row["format"], default_currency=currency)
    amounts = _amounts(parsed)
    assert len(amounts) == int(row["transactions"])
    assert sum(a for a in amounts if a > 0) == Decimal(row["credits_total"])
    assert -sum(a for a in amounts if a < 0) == Decimal(row["debits_total"])
    assert len(parsed.statements) == int(row["statements"])
    assert {s.currency for s in parsed.statements} <= set(row["currency"].split(";")) | {"EUR"}
