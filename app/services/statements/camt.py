"""ISO 20022 camt.053 statements and camt.054 notifications, in every common version.

Elements are found by their local names, so ``camt.053.001.02`` … ``.13`` (and files that leave
the namespace out) read alike. One :class:`ParsedLine` per ``Ntry``; a batch entry's ``TxDtls``
are kept together on that line (all their text and references) and one by one in
``ParsedLine.details``. The XML goes through defusedxml, so entity tricks are refused.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from xml.etree.ElementTree import Element

import defusedxml
import defusedxml.ElementTree as SafeET

from app.services.statements.parsed import (
    ParsedFile,
    ParsedLine,
    ParsedStatement,
    StatementFileError,
)

#: Message element → (format, statement element) for the two kinds read here.
MESSAGES = {
    "BkToCstmrStmt": ("camt053", "Stmt"),
    "BkToCstmrDbtCdtNtfctn": ("camt054", "Ntfctn"),
}
#: camt.052, which banks send during the day; its entries may still change.
INTRADAY_REPORT = "BkToCstmrAcctRpt"

_AMOUNT = re.compile(r"\d{1,18}(\.\d{1,5})?")
_SIGNS = {"CRDT": 1, "DBIT": -1}
_OPENING_CODES = ("OPBD", "PRCD")
_NOT_PROVIDED = "NOTPROVIDED"


@dataclass(frozen=True)
class _Party:
    """Who is on the other side of an entry: the debtor of a credit, the creditor of a debit."""

    name: str = ""
    iban: str = ""


def parse_camt(file: str, data: bytes, *, default_currency: str) -> ParsedFile:
    """Read a camt.053 or camt.054 file.

    Args:
        file: The file's name, for messages.
        data: The file's bytes.
        default_currency: The currency of amounts the file gives none for.

    Returns:
        One statement per ``Stmt`` (camt.053) or ``Ntfctn`` (camt.054).

    Raises:
        StatementFileError: The XML is broken, dangerous, not a camt.053/.054 document, or an
            entry lacks an amount, a direction or a date.
    """
    root = parse_xml(file, data)
    message = next(iter(root), None) if local_name(root.tag) == "Document" else root
    kind = local_name(message.tag) if message is not None else local_name(root.tag)
    if message is None or kind not in MESSAGES:
        if kind == INTRADAY_REPORT:
            raise StatementFileError(
                f"{file} is a camt.052 intraday report, not a statement: "
                "export the camt.053 end-of-day statement instead"
            )
        raise StatementFileError(
            f"{file}: expected a camt.053 <BkToCstmrStmt> or camt.054 <BkToCstmrDbtCdtNtfctn>"
            f" message, got <{kind}>"
        )
    _strip_namespaces(message)
    file_format, statement_tag = MESSAGES[kind]
    warnings: list[str] = []
    statements = tuple(
        _statement(file, element, f"{statement_tag} {number}", default_currency, warnings)
        for number, element in enumerate(message.iter(statement_tag), 1)
    )
    return ParsedFile(format=file_format, statements=statements, warnings=tuple(warnings))


def parse_xml(file: str, data: bytes) -> Element:
    """The root element of an XML file, refusing entity declarations and external references.

    Raises:
        StatementFileError: The XML is not well-formed, names an unknown encoding, or declares
            entities (a "billion laughs" bomb) or external resources.
    """
    try:
        return SafeET.fromstring(data)  # type: ignore[no-any-return]
    except defusedxml.DefusedXmlException as error:
        raise StatementFileError(
            f"{file}: refused, the XML declares {_refused_what(error)}; a bank statement never"
            " does, so the file may be crafted to harm the computer that reads it"
        ) from error
    except LookupError as error:
        raise StatementFileError(
            f"{file}: the XML declares an encoding Python does not know ({error});"
            " expected UTF-8 or another standard encoding"
        ) from error
    except ET.ParseError as error:
        line, column = error.position
        reason = str(error).split(":", 1)[0]
        raise StatementFileError(
            f"{file}, line {line}, column {column + 1}: the XML is broken ({reason});"
            " expected a complete CAMT document"
        ) from error


def local_name(tag: str) -> str:
    """An element's name without its ``{namespace}``."""
    return tag.rpartition("}")[2]


def _refused_what(error: defusedxml.DefusedXmlException) -> str:
    if isinstance(error, defusedxml.EntitiesForbidden):
        if error.sysid:
            return f"the entity {error.name!r} read from outside the file ({error.sysid})"
        return f"the entity {error.name!r}"
    if isinstance(error, defusedxml.ExternalReferenceForbidden):
        return f"a reference to the outside resource {error.sysid!r}"
    return "a document type (DTD)"


def _strip_namespaces(root: Element) -> None:
    """Rename every element to its local name, so paths work for every camt version."""
    for element in root.iter():
        if element.tag[0] == "{":
            element.tag = local_name(element.tag)


def _text(element: Element, path: str) -> str:
    found = element.find(path)
    if found is None or found.text is None:
        return ""
    return found.text.strip()


def _texts(element: Element, path: str) -> list[str]:
    """Every non-empty text at ``path``, with runs of white space made single spaces."""
    return [" ".join(found.text.split()) for found in element.iterfind(path) if found.text]


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    """Non-empty items in their first order, each once."""
    return tuple(dict.fromkeys(item for item in items if item))


def _statement(
    file: str, element: Element, where: str, default_currency: str, warnings: list[str]
) -> ParsedStatement:
    account = _account(element)
    currency = (
        _text(element, "Acct/Ccy")
        or _attribute(element, "Ntry/Amt", "Ccy")
        or _attribute(element, "Bal/Amt", "Ccy")
        or default_currency
    )
    lines: list[ParsedLine] = []
    pending = 0
    for number, entry in enumerate(element.iterfind("Ntry"), 1):
        status = _text(entry, "Sts/Cd") or _text(entry, "Sts")
        if status not in ("", "BOOK"):
            pending += 1
            continue
        lines.append(_entry(file, entry, f"{where}, Ntry {number}", currency, warnings))
    if pending:
        warnings.append(
            f"{file}, {where}: left out {pending} entries that are not booked yet (pending or"
            " information only); they come again on a later statement once booked"
        )
    return ParsedStatement(
        account=account,
        currency=currency,
        lines=tuple(lines),
        statement_id=_text(element, "Id"),
        opening_balance=_balance(file, element, where, _OPENING_CODES),
        closing_balance=_balance(file, element, where, ("CLBD",)),
    )


def _attribute(element: Element, path: str, name: str) -> str:
    found = element.find(path)
    return "" if found is None else found.get(name, "").strip()


def _account(element: Element) -> str:
    iban = _text(element, "Acct/Id/IBAN")
    if iban:
        return "".join(iban.split()).upper()
    return _text(element, "Acct/Id/Othr/Id")


def _balance(file: str, element: Element, where: str, codes: tuple[str, ...]) -> Decimal | None:
    """The first balance of the kinds in ``codes`` (in that order of preference), signed."""
    balances = {
        _text(balance, "Tp/CdOrPrtry/Cd") or _text(balance, "Tp/CdOrPrtry/Prtry"): balance
        for balance in reversed(element.findall("Bal"))
    }
    for code in codes:
        if code in balances:
            balance = balances[code]
            place = f"{where}, Bal {code}"
            return _sign(file, balance, place) * _amount(file, balance, place)
    return None


def _amount(file: str, element: Element, where: str, path: str = "Amt") -> Decimal:
    text = _text(element, path)
    if not _AMOUNT.fullmatch(text):
        raise StatementFileError(
            f"{file}, {where}, {path}: expected an amount such as 1234.56, got {text!r}"
        )
    return Decimal(text)


def _sign(file: str, element: Element, where: str) -> int:
    indicator = _text(element, "CdtDbtInd")
    if indicator not in _SIGNS:
        raise StatementFileError(
            f"{file}, {where}, CdtDbtInd: expected CRDT or DBIT, got {indicator!r}"
        )
    return _SIGNS[indicator]


def _date(file: str, element: Element, where: str, path: str) -> date | None:
    text = _text(element, f"{path}/Dt") or _text(element, f"{path}/DtTm")
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])  # xs:date may carry a zone: 2017-04-03+02:00
    except ValueError:
        raise StatementFileError(
            f"{file}, {where}, {path}: expected a date such as 2024-01-31, got {text!r}"
        ) from None


def _entry(file: str, entry: Element, where: str, currency: str, warnings: list[str]) -> ParsedLine:
    sign = _sign(file, entry, where)
    amount = sign * _amount(file, entry, where)
    entry_currency = _attribute(entry, "Amt", "Ccy") or currency
    value_date = _date(file, entry, where, "ValDt")
    booking_date = _date(file, entry, where, "BookgDt") or value_date
    if booking_date is None:
        raise StatementFileError(f"{file}, {where}: expected a booking date (BookgDt) or ValDt")
    transactions = entry.findall("NtryDtls/TxDtls")
    parties = [_party(transaction, sign) for transaction in transactions]
    payer = next((party for party in parties if party.name or party.iban), _Party())
    line = ParsedLine(
        booking_date=booking_date,
        amount=amount,
        currency=entry_currency,
        bank_ref=_text(entry, "AcctSvcrRef")
        or next(filter(None, (_text(tx, "Refs/AcctSvcrRef") for tx in transactions)), ""),
        value_date=value_date,
        payer_name=payer.name,
        payer_iban=payer.iban,
        remittance=" ".join(
            _unique(
                [piece for tx in transactions for piece in _remittance(tx)]
                + _texts(entry, "AddtlNtryInf")
            )
        ),
        structured_refs=_unique(ref for tx in transactions for ref in _references(tx)),
        end_to_end_id=next(filter(None, map(_end_to_end_id, transactions)), ""),
        bank_code=_bank_code(entry),
    )
    if len(transactions) < 2:
        return line
    details = _details(file, line, transactions, parties, sign, where, warnings)
    return replace(line, details=details)


def _details(
    file: str,
    line: ParsedLine,
    transactions: list[Element],
    parties: list[_Party],
    sign: int,
    where: str,
    warnings: list[str],
) -> tuple[ParsedLine, ...]:
    """The batch's transactions one by one, or none when a ``TxDtls`` gives no amount."""
    details: list[ParsedLine] = []
    for number, (transaction, party) in enumerate(zip(transactions, parties, strict=True), 1):
        path = "Amt" if transaction.find("Amt") is not None else "AmtDtls/TxAmt/Amt"
        if transaction.find(path) is None:
            return ()
        place = f"{where}, TxDtls {number}"
        details.append(
            ParsedLine(
                booking_date=line.booking_date,
                amount=sign * _amount(file, transaction, place, path),
                currency=_attribute(transaction, path, "Ccy") or line.currency,
                bank_ref=_text(transaction, "Refs/AcctSvcrRef") or line.bank_ref,
                value_date=line.value_date,
                payer_name=party.name,
                payer_iban=party.iban,
                remittance=" ".join(_unique(_remittance(transaction))),
                structured_refs=_unique(_references(transaction)),
                end_to_end_id=_end_to_end_id(transaction),
                bank_code=line.bank_code,
            )
        )
    total = sum((detail.amount for detail in details), Decimal(0))
    if all(detail.currency == line.currency for detail in details) and total != line.amount:
        warnings.append(
            f"{file}, {where}: the batch's {len(details)} transactions add up to {total},"
            f" but the entry is {line.amount}"
        )
    return tuple(details)


def _party(transaction: Element, sign: int) -> _Party:
    role = "Dbtr" if sign > 0 else "Cdtr"
    name = _text(transaction, f"RltdPties/{role}/Nm") or _text(
        transaction, f"RltdPties/{role}/Pty/Nm"
    )
    iban = _text(transaction, f"RltdPties/{role}Acct/Id/IBAN")
    return _Party(name=" ".join(name.split()), iban="".join(iban.split()).upper())


def _remittance(transaction: Element) -> list[str]:
    return (
        _texts(transaction, "RmtInf/Ustrd")
        + _texts(transaction, "RmtInf/Strd/AddtlRmtInf")
        + _texts(transaction, "AddtlTxInf")
    )


def _references(transaction: Element) -> list[str]:
    return _texts(transaction, "RmtInf/Strd/CdtrRefInf/Ref")


def _end_to_end_id(transaction: Element) -> str:
    reference = _text(transaction, "Refs/EndToEndId")
    return "" if reference.upper() == _NOT_PROVIDED else reference


def _bank_code(entry: Element) -> str:
    domain = "/".join(
        filter(
            None,
            (
                _text(entry, "BkTxCd/Domn/Cd"),
                _text(entry, "BkTxCd/Domn/Fmly/Cd"),
                _text(entry, "BkTxCd/Domn/Fmly/SubFmlyCd"),
            ),
        )
    )
    return domain or _text(entry, "BkTxCd/Prtry/Cd")
