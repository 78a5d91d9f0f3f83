"""Writing a CAMT.053 statement (version 001.08), for the demo ledger, tests and benchmarks.

Only building XML happens here (``xml.etree`` is safe for that); reading goes through defusedxml.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from xml.etree.ElementTree import Element, ElementTree, SubElement, indent

from app.services.statements.parsed import ParsedLine

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
#: The longest unstructured remittance element the schema allows; longer text takes several.
USTRD_LENGTH = 140


def write_camt053(
    path: Path,
    *,
    account_iban: str,
    currency: str,
    lines: Sequence[ParsedLine],
    opening_balance: Decimal = Decimal(0),
    statement_id: str = "STMT-1",
    created: datetime | None = None,
) -> None:
    """Write one statement of one account with a booked entry per line.

    Each line's ``bank_ref`` becomes the entry's ``AcctSvcrRef``; its first structured
    reference goes into ``Strd/CdtrRefInf``; its remittance text into ``Ustrd``.
    """
    first_day = min((line.booking_date for line in lines), default=date(2026, 1, 1))
    last_day = max((line.booking_date for line in lines), default=first_day)
    created = created or datetime.combine(last_day, time(18), tzinfo=UTC)
    stamp = created.isoformat(timespec="seconds")
    root = Element("Document", xmlns=NAMESPACE)
    message = SubElement(root, "BkToCstmrStmt")
    group = SubElement(message, "GrpHdr")
    SubElement(group, "MsgId").text = statement_id
    SubElement(group, "CreDtTm").text = stamp
    statement = SubElement(message, "Stmt")
    SubElement(statement, "Id").text = statement_id
    SubElement(statement, "CreDtTm").text = stamp
    account = SubElement(statement, "Acct")
    SubElement(SubElement(account, "Id"), "IBAN").text = account_iban
    SubElement(account, "Ccy").text = currency
    closing = opening_balance + sum((line.amount for line in lines), Decimal(0))
    _balance(statement, "OPBD", opening_balance, currency, first_day)
    _balance(statement, "CLBD", closing, currency, last_day)
    for line in lines:
        _entry(statement, line)
    indent(root)
    ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _amount(parent: Element, tag: str, amount: Decimal, currency: str) -> None:
    SubElement(parent, tag, Ccy=currency).text = f"{abs(amount):.2f}"


def _balance(parent: Element, code: str, amount: Decimal, currency: str, day: date) -> None:
    balance = SubElement(parent, "Bal")
    SubElement(SubElement(SubElement(balance, "Tp"), "CdOrPrtry"), "Cd").text = code
    _amount(balance, "Amt", amount, currency)
    SubElement(balance, "CdtDbtInd").text = "CRDT" if amount >= 0 else "DBIT"
    SubElement(SubElement(balance, "Dt"), "Dt").text = day.isoformat()


def _entry(parent: Element, line: ParsedLine) -> None:
    entry = SubElement(parent, "Ntry")
    _amount(entry, "Amt", line.amount, line.currency)
    credit = line.amount >= 0
    SubElement(entry, "CdtDbtInd").text = "CRDT" if credit else "DBIT"
    SubElement(entry, "Sts").text = "BOOK"
    SubElement(SubElement(entry, "BookgDt"), "Dt").text = line.booking_date.isoformat()
    value_date = line.value_date or line.booking_date
    SubElement(SubElement(entry, "ValDt"), "Dt").text = value_date.isoformat()
    if line.bank_ref:
        SubElement(entry, "AcctSvcrRef").text = line.bank_ref
    details = SubElement(SubElement(entry, "NtryDtls"), "TxDtls")
    if line.end_to_end_id:
        SubElement(SubElement(details, "Refs"), "EndToEndId").text = line.end_to_end_id
    _amount(details, "Amt", line.amount, line.currency)
    _parties(details, line, credit)
    _remittance(details, line)


def _parties(details: Element, line: ParsedLine, credit: bool) -> None:
    if not (line.payer_name or line.payer_iban):
        return
    parties = SubElement(details, "RltdPties")
    party, account = ("Dbtr", "DbtrAcct") if credit else ("Cdtr", "CdtrAcct")
    if line.payer_name:
        SubElement(SubElement(SubElement(parties, party), "Pty"), "Nm").text = line.payer_name
    if line.payer_iban:
        SubElement(SubElement(SubElement(parties, account), "Id"), "IBAN").text = line.payer_iban


def _remittance(details: Element, line: ParsedLine) -> None:
    if not (line.remittance or line.structured_refs):
        return
    info = SubElement(details, "RmtInf")
    for piece in _pieces(line.remittance, USTRD_LENGTH):
        SubElement(info, "Ustrd").text = piece
    for reference in line.structured_refs[:1]:
        creditor = SubElement(SubElement(info, "Strd"), "CdtrRefInf")
        kind = SubElement(SubElement(creditor, "Tp"), "CdOrPrtry")
        SubElement(kind, "Cd").text = "SCOR"
        SubElement(creditor, "Ref").text = reference


def _pieces(text: str, width: int) -> list[str]:
    """Text in pieces of at most ``width`` characters, broken between words where possible."""
    pieces: list[str] = []
    rest = " ".join(text.split())
    while len(rest) > width:
        cut = rest.rfind(" ", 0, width + 1)
        cut = cut if cut > 0 else width
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip()
    return [*pieces, rest] if rest else pieces
