"""How the CAMT, OFX and MT940 parsers read what banks write, on small inline files."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.services.statements.camt import parse_camt
from app.services.statements.mt940 import decode_mt940, parse_mt940
from app.services.statements.ofx import parse_ofx


def _mt940(body: str, encoding: str = "utf-8") -> bytes:
    head = ":20:STARTUMS\n:25:DE89370400440532013000\n:28C:1/1\n:60F:C240130EUR100,00\n"
    return (head + body + ":62F:C240131EUR100,00\n-\n").encode(encoding)


def test_mt940_reference_split_over_two_subfields_comes_out_whole() -> None:
    # ?20 is full (27 characters): the bank went on in ?21 in the middle of the number.
    data = _mt940(
        ":61:2401310131C250,00NTRFNONREF//BANK1\n"
        ":86:166?00GUTSCHRIFT?109310?20SVWZ+Payment for INV-2024-0?210123 thank you\n"
        "?22EREF+E2E-4711?30COBADEFFXXX?31DE44500105175407324931?32MUSTERMANN UND SOEHNE \n"
        "HANDELS?33GMBH\n"
    )

    line = parse_mt940("a.sta", data, default_currency="EUR").lines[0]

    assert line.remittance == "Payment for INV-2024-00123 thank you"
    assert line.end_to_end_id == "E2E-4711"
    assert line.structured_refs == ("E2E-4711",)
    assert line.payer_name == "MUSTERMANN UND SOEHNE HANDELSGMBH"
    assert line.payer_iban == "DE44500105175407324931"
    assert line.bank_ref == "BANK1"
    assert line.source_line == 5


def test_mt940_rc_is_money_out_and_rd_money_in() -> None:
    data = _mt940(
        ":61:240131C10,00NTRF\n"
        ":61:240131D1,5NTRF\n"
        ":61:240131RC3,NTRF\n"
        ":61:240131RD4,25NTRF\n"
        ":61:240131CR7,NTRF\n"  # C, then funds code R
    )

    amounts = [line.amount for line in parse_mt940("a.sta", data, default_currency="EUR").lines]

    assert amounts == [
        Decimal("10.00"),
        Decimal("-1.5"),
        Decimal("-3"),
        Decimal("4.25"),
        Decimal("7"),
    ]


def test_mt940_entry_date_takes_the_year_nearest_the_value_date() -> None:
    data = _mt940(":61:2312311231C1,00NTRF\n:61:2312310102C1,00NTRF\n")

    lines = parse_mt940("a.sta", data, default_currency="EUR").lines

    assert [(line.value_date, line.booking_date) for line in lines] == [
        (date(2023, 12, 31), date(2023, 12, 31)),
        (date(2023, 12, 31), date(2024, 1, 2)),
    ]


def test_mt940_dutch_codes_and_a_dash_inside_the_text() -> None:
    data = (
        b"{1:F01INGBNL2AXXXX0000000000}{2:O940INGBNL2AXXXXN}{3:}{4:\r\n"
        b":20:P140220000000001\r\n:25:NL69INGB0123456789EUR\r\n:28C:1\r\n"
        b":60F:C140219EUR10,00\r\n"
        b":61:1402200220C1,56NTRFEREF//00000000001\r\n"
        b":86:/EREF/EV12341REP1231456T1234//MARF/MND\r\n-\r\nEV01//CNTP/NL32INGB0000012345/INGBNL2\r\n"
        b"A/J. Janssen///REMI/USTD//Factuur 2024-0042/\r\n"
        b":62F:C140220EUR11,56\r\n-}{5:}\r\n"
    )

    parsed = parse_mt940("ing.940", data, default_currency="EUR")

    statement = parsed.statements[0]
    line = statement.lines[0]
    assert statement.account == "NL69INGB0123456789"
    assert line.end_to_end_id == "EV12341REP1231456T1234"
    assert line.payer_name == "J. Janssen"
    assert line.payer_iban == "NL32INGB0000012345"
    assert line.remittance == "Factuur 2024-0042"


def test_mt940_code_page_852_is_told_from_windows_1252() -> None:
    hungarian = "Bankon belüli átutalás, díj".encode("cp852")
    german = "Überweisung für Müller".encode("cp1252")

    assert decode_mt940(hungarian) == "Bankon belüli átutalás, díj"
    assert decode_mt940(german) == "Überweisung für Müller"


def test_mt940_statement_cut_short_is_read_with_a_warning() -> None:
    data = b":20:X\n:25:123\n:60F:C240130EUR1,00\n:61:240131C1,00NTRF\n"

    parsed = parse_mt940("cut.sta", data, default_currency="EUR")

    assert len(parsed.lines) == 1
    assert parsed.statements[0].closing_balance is None
    assert "ends without a closing balance" in parsed.warnings[0]


CAMT_BATCH = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04">
<BkToCstmrStmt><Stmt><Id>S1</Id>
<Acct><Id><IBAN>CH93 0076 2011 6238 5295 7</IBAN></Id><Ccy>CHF</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="CHF">100.00</Amt>
<CdtDbtInd>DBIT</CdtDbtInd><Dt><Dt>2024-01-30</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="CHF">200.00</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-01-31</Dt></Dt></Bal>
<Ntry><Amt Ccy="CHF">300.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2024-01-31</Dt></BookgDt><ValDt><Dt>2024-02-01</Dt></ValDt>
<AcctSvcrRef>ENTRY-1</AcctSvcrRef>
<NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch>
<TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs><Amt Ccy="CHF">120.00</Amt>
<RltdPties><Dbtr><Pty><Nm>Alpha AG</Nm></Pty></Dbtr>
<DbtrAcct><Id><IBAN>CH5604835012345678009</IBAN></Id></DbtrAcct></RltdPties>
<RmtInf><Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf></TxDtls>
<TxDtls><Refs><EndToEndId>E2E-B</EndToEndId></Refs><Amt Ccy="CHF">180.00</Amt>
<RltdPties><Dbtr><Nm>Beta GmbH</Nm></Dbtr></RltdPties>
<RmtInf><Ustrd>Invoice 2024-0007</Ustrd>
<Strd><CdtrRefInf><Ref>210000000003139471430009017</Ref></CdtrRefInf></Strd></RmtInf>
</TxDtls></NtryDtls>
<AddtlNtryInf>Sammelgutschrift</AddtlNtryInf></Ntry>
</Stmt></BkToCstmrStmt></Document>
"""


def test_camt_batch_entry_is_one_line_carrying_every_transaction() -> None:
    parsed = parse_camt("batch.xml", CAMT_BATCH, default_currency="EUR")

    statement = parsed.statements[0]
    line = statement.lines[0]
    assert parsed.format == "camt053"
    assert (statement.account, statement.currency) == ("CH9300762011623852957", "CHF")
    assert (statement.opening_balance, statement.closing_balance) == (
        Decimal("-100.00"),
        Decimal("200.00"),
    )
    assert line.amount == Decimal("300.00")
    assert line.bank_ref == "ENTRY-1"
    assert line.structured_refs == ("RF18539007547034", "210000000003139471430009017")
    assert line.remittance == "Invoice 2024-0007 Sammelgutschrift"
    assert line.end_to_end_id == "E2E-B"
    assert (line.booking_date, line.value_date) == (date(2024, 1, 31), date(2024, 2, 1))


def test_camt_batch_transactions_are_also_given_one_by_one() -> None:
    line = parse_camt("batch.xml", CAMT_BATCH, default_currency="EUR").lines[0]

    assert [
        (d.amount, d.payer_name, d.payer_iban, d.structured_refs, d.end_to_end_id)
        for d in line.details
    ] == [
        (Decimal("120.00"), "Alpha AG", "CH5604835012345678009", ("RF18539007547034",), ""),
        (Decimal("180.00"), "Beta GmbH", "", ("210000000003139471430009017",), "E2E-B"),
    ]


def test_camt054_notification_carries_its_structured_reference() -> None:
    data = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02">
<BkToCstmrDbtCdtNtfctn><Ntfctn><Id>N1</Id>
<Acct><Id><Othr><Id>0532013000</Id></Othr></Id></Acct>
<Ntry><Amt Ccy="EUR">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><DtTm>2022-01-26T10:00:00</DtTm></BookgDt>
<NtryDtls><TxDtls><Refs><AcctSvcrRef>TX-9</AcctSvcrRef></Refs>
<RltdPties><Dbtr><Nm>Test Customer</Nm></Dbtr></RltdPties>
<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>
<Ref>RF80INV202600123</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">9.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>PDNG</Sts>
<BookgDt><Dt>2022-01-27</Dt></BookgDt></Ntry>
</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>
"""
    parsed = parse_camt("n.xml", data, default_currency="CHF")

    line = parsed.lines[0]
    assert parsed.format == "camt054"
    assert parsed.statements[0].account == "0532013000"
    assert len(parsed.lines) == 1
    assert line.structured_refs == ("RF80INV202600123",)
    assert (line.bank_ref, line.payer_name) == ("TX-9", "Test Customer")
    assert line.booking_date == date(2022, 1, 26)
    assert "1 entries that are not booked yet" in parsed.warnings[0]


def test_camt_in_another_namespace_version_reads_the_same() -> None:
    data = CAMT_BATCH.replace(b"camt.053.001.04", b"camt.053.001.13")

    assert parse_camt("b.xml", data, default_currency="EUR").lines[0].amount == Decimal("300.00")


OFX_ONE_LINE = (
    b"OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nCHARSET:1252\r\n\r\n"
    b"<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS></SONRS>"
    b"</SIGNONMSGSRSV1><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STMTRS><CURDEF>EUR"
    b"<BANKACCTFROM><BANKID>X<ACCTID>12345<ACCTTYPE>CHECKING</BANKACCTFROM>"
    b"<BANKTRANLIST><DTSTART>20240101<DTEND>20240131"
    b"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240131120000.000[-5:EST]<TRNAMT>+00000000000115.8331"
    b"<FITID>F1<NAME>Smith &amp; Sons<MEMO>INV-7 & INV-8</STMTTRN>"
    b"<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20240131<TRNAMT>-0<FITID>F2"
    b"<PAYEE><NAME>Payee Name</PAYEE></STMTTRN>"
    b"</BANKTRANLIST><LEDGERBAL><BALAMT>1,234.5<DTASOF>20240131</LEDGERBAL>"
    b"</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"
)


def test_ofx_sgml_body_on_one_line() -> None:
    data = OFX_ONE_LINE.replace(b"1,234.5", b"1234.5")

    parsed = parse_ofx("one.ofx", data, default_currency="USD")

    statement = parsed.statements[0]
    first, second = statement.lines
    assert (statement.account, statement.currency) == ("12345", "EUR")
    assert statement.closing_balance == Decimal("1234.5")
    assert first.amount == Decimal("115.8331")
    assert first.booking_date == date(2024, 1, 31)
    assert (first.bank_ref, first.payer_name) == ("F1", "Smith & Sons")
    assert first.remittance == "Smith & Sons INV-7 & INV-8"
    assert (first.bank_code, first.source_line) == ("DEBIT", 6)
    assert second.amount == Decimal(0)
    assert not second.amount.is_signed()
    assert second.payer_name == "Payee Name"


def test_latin1_ofx_is_read_whatever_its_charset_says() -> None:
    body = (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nENCODING:USASCII\nCHARSET:{charset}\n\n"
        "<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>CAD<BANKACCTFROM><ACCTID>9"
        "</BANKACCTFROM><BANKTRANLIST><STMTTRN><TRNTYPE>PAYMENT<DTPOSTED>20140920170000[0:GMT]"
        "<TRNAMT>-58.73<FITID>1<NAME>Virement Interac à: Jean</STMTTRN>"
        "</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
    )
    latin1 = body.format(charset="1252").encode("latin-1")
    utf8_claiming_1252 = body.format(charset="1252").encode("utf-8")

    for data in (latin1, utf8_claiming_1252):
        line = parse_ofx("x.ofx", data, default_currency="USD").lines[0]
        assert line.payer_name == "Virement Interac à: Jean"


def test_ofx_xml_with_cdata_and_several_transaction_lists() -> None:
    data = b"""<?xml version="1.0" encoding="UTF-8"?>
<?OFX OFXHEADER="200" VERSION="211" SECURITY="NONE"?>
<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>AUD</CURDEF>
<BANKACCTFROM><ACCTID>7</ACCTID></BANKACCTFROM>
<BANKTRANLIST><STMTTRN><DTPOSTED>20131215</DTPOSTED><TRNAMT>-16.85</TRNAMT>
<NAME><![CDATA[ALDI <STORE>]]></NAME></STMTTRN></BANKTRANLIST>
<BANKTRANLIST><STMTTRN><DTPOSTED>20131216</DTPOSTED><TRNAMT>20</TRNAMT></STMTTRN>
</BANKTRANLIST></BANKTRANLIST>
</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>
"""
    lines = parse_ofx("x.ofx", data, default_currency="USD").lines

    assert [(line.amount, line.payer_name) for line in lines] == [
        (Decimal("-16.85"), "ALDI <STORE>"),
        (Decimal("20"), ""),
    ]
