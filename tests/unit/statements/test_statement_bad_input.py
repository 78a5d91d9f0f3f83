"""Files that are no statement, or broken ones, are refused in one line naming file and place."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.services.statements.parsed import StatementFileError
from app.services.statements.reader import MAX_FILE_BYTES, read_statement_file

EXPECTED = "expected CAMT.053/.054 XML, OFX, MT940, CSV or XLSX"

CAMT = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <Stmt>
      <Id>1</Id>
      <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>
      <Ntry>
        <Amt Ccy="EUR">10.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <BookgDt><Dt>2024-01-31</Dt></BookgDt>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
"""


def _read(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(StatementFileError) as refused:
        read_statement_file(path, default_currency="EUR")
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(name)
    return message


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "a PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "a PDF document"),
        (b"<!DOCTYPE html>\n<html><body><p>Hello</p></body></html>\n", "a web page"),
        (b'<?xml version="1.0"?>\n<invoice><total>12</total></invoice>\n', "an XML document"),
    ],
)
def test_a_file_of_another_kind_is_not_a_statement(tmp_path: Path, data: bytes, what: str) -> None:
    message = _read(tmp_path, "upload.bin", data)

    assert message.startswith("upload.bin is not a bank statement")
    assert what in message
    assert EXPECTED in message


def test_plain_prose_is_not_a_statement(tmp_path: Path) -> None:
    prose = b"Dear Sir or Madam\nThank you for your letter.\nWe will pay next week.\n"

    assert _read(tmp_path, "letter.txt", prose) == (
        f"letter.txt is not a bank statement: {EXPECTED}"
    )


@pytest.mark.parametrize("data", [b"", b"  \r\n\n"])
def test_an_empty_file_is_refused(tmp_path: Path, data: bytes) -> None:
    assert _read(tmp_path, "march.sta", data) == f"march.sta is empty: {EXPECTED}"


def test_a_file_over_50_mb_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.xml"
    with path.open("wb") as huge:
        huge.truncate(MAX_FILE_BYTES + 1)

    with pytest.raises(StatementFileError, match=r"^huge\.xml is 50 MB; .* over 50 MB"):
        read_statement_file(path, default_currency="EUR")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(StatementFileError, match=r"^gone\.xml cannot be read"):
        read_statement_file(tmp_path / "gone.xml", default_currency="EUR")


def test_truncated_camt_names_the_line_where_the_xml_breaks(tmp_path: Path) -> None:
    cut = CAMT[: CAMT.index(b"<CdtDbtInd>")]

    message = _read(tmp_path, "cut.xml", cut)

    assert message.startswith("cut.xml, line 9, column ")
    assert "the XML is broken (no element found)" in message


def test_an_entity_bomb_is_refused(tmp_path: Path) -> None:
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Document><BkToCstmrStmt><Stmt><Id>&lol3;</Id></Stmt></BkToCstmrStmt></Document>
"""
    message = _read(tmp_path, "bomb.xml", bomb)

    assert message.startswith("bomb.xml: refused, the XML declares the entity 'lol'")


def test_an_external_entity_is_refused(tmp_path: Path) -> None:
    external = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Document><BkToCstmrStmt><Stmt><Id>&secret;</Id></Stmt></BkToCstmrStmt></Document>
"""
    message = _read(tmp_path, "xxe.xml", external)

    assert "the entity 'secret' read from outside the file (file:///etc/passwd)" in message


def test_an_unknown_declared_encoding_is_named(tmp_path: Path) -> None:
    data = CAMT.replace(b'encoding="UTF-8"', b'encoding="x-no-such-charset"')

    message = _read(tmp_path, "odd.xml", data)

    assert "x-no-such-charset" in message
    assert "expected UTF-8" in message


def test_bytes_that_are_not_in_the_declared_encoding_name_the_line(tmp_path: Path) -> None:
    data = CAMT.replace(b"<Id>1</Id>", b"<Id>\xff\xfe</Id>")

    message = _read(tmp_path, "bytes.xml", data)

    assert message.startswith("bytes.xml, line 5, column ")
    assert "invalid token" in message


def test_camt052_is_refused_as_an_intraday_report(tmp_path: Path) -> None:
    report = CAMT.replace(b"BkToCstmrStmt", b"BkToCstmrAcctRpt").replace(b"Stmt>", b"Rpt>")

    message = _read(tmp_path, "today.xml", report)

    assert "is a camt.052 intraday report, not a statement" in message


def test_a_camt_amount_that_is_no_number_names_the_entry(tmp_path: Path) -> None:
    data = CAMT.replace(b">10.00<", b">ten<")

    assert _read(tmp_path, "amount.xml", data) == (
        "amount.xml, Stmt 1, Ntry 1, Amt: expected an amount such as 1234.56, got 'ten'"
    )


MT940 = b""":20:STARTUMS
:25:DE89370400440532013000
:28C:1/1
:60F:C240130EUR100,00
:61:2401310131C20,00NTRFNONREF//B1
:86:166?00GUTSCHRIFT?20Invoice 1
:61:2413310131C5,00NTRFNONREF
:62F:C240131EUR125,00
"""


def test_an_mt940_date_that_cannot_be_read_names_file_and_line(tmp_path: Path) -> None:
    assert _read(tmp_path, "march.sta", MT940) == (
        "march.sta, line 7: expected a :61: date YYMMDD such as 240131, got '241331'"
    )


def test_an_mt940_amount_mark_that_cannot_be_read_names_the_line(tmp_path: Path) -> None:
    data = MT940.replace(b":61:2413310131C5,00", b":61:2401310131X5,00")

    message = _read(tmp_path, "march.sta", data)

    assert message.startswith("march.sta, line 7: expected a :61: line such as")


OFX = b"""OFXHEADER:100
DATA:OFXSGML
VERSION:102

<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD
<BANKACCTFROM><BANKID>1<ACCTID>42<ACCTTYPE>CHECKING</BANKACCTFROM>
<BANKTRANLIST>
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20240131<TRNAMT>12.50<FITID>A1<NAME>ACME</STMTTRN>
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20240131
<TRNAMT>12,5O
<FITID>A2<NAME>ACME</STMTTRN>
</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>
"""


def test_an_ofx_amount_that_cannot_be_read_names_line_and_transaction(tmp_path: Path) -> None:
    assert _read(tmp_path, "bank.ofx", OFX) == (
        "bank.ofx, line 10: expected TRNAMT such as -12.34 in the transaction FITID A2, got '12,5O'"
    )


def test_an_ofx_transaction_without_a_date_is_named(tmp_path: Path) -> None:
    data = OFX.replace(b"<DTPOSTED>20240131\n", b"")

    message = _read(tmp_path, "bank.ofx", data)

    assert message == (
        "bank.ofx, line 9: expected DTPOSTED as a date such as 20240131 in the transaction"
        " FITID A2, got ''"
    )
