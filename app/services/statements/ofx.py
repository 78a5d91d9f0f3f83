"""OFX and QFX statements: OFX 1.x SGML and OFX 2.x XML, read by one tolerant tokenizer.

Real OFX files break the rules the strict libraries enforce: SGML leaf tags are never closed,
the whole body may sit on one line, the ``CHARSET`` header says 1252 for UTF-8 text, MEMOs hold
a raw ``&``, closing tags stray, and values carry CDATA. So the text is cut into start tags, end
tags and values, and an element is taken as a leaf when a value follows its start tag. One line
per ``STMTTRN``, in bank (``STMTRS``), credit card (``CCSTMTRS``) and investment (``INVSTMTRS``)
statements alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from app.services.statements.parsed import (
    ParsedFile,
    ParsedLine,
    ParsedStatement,
    StatementFileError,
)

_TOKEN = re.compile(
    r"<!\[CDATA\[(?P<cdata>.*?)\]\]>"
    r"|<!--.*?-->"
    r"|<[?!][^>]*>"
    r"|<(?P<close>/?)(?P<tag>[A-Za-z][A-Za-z0-9_.]*)[^>]*>"
    r"|(?P<text>[^<]+|<)",
    re.DOTALL,
)
_ENTITY = re.compile(r"&(amp|lt|gt|quot|apos|nbsp|#\d{1,7}|#x[0-9A-Fa-f]{1,6});")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'", "nbsp": " "}
_START = re.compile(r"<OFX\b", re.IGNORECASE)
_AMOUNT = re.compile(r"[+-]?(\d+[.,]?\d*|[.,]\d+)")
_STATEMENTS = frozenset(("STMTRS", "CCSTMTRS", "INVSTMTRS"))
_ACCOUNTS = frozenset(("BANKACCTFROM", "CCACCTFROM", "INVACCTFROM"))


@dataclass
class _Node:
    """An OFX element: an aggregate with children, or a leaf with a value."""

    tag: str
    line: int
    value: str = ""
    children: list[_Node] = field(default_factory=list)

    def iter(self, tags: frozenset[str]) -> Iterator[_Node]:
        """Descendants named one of ``tags``, in file order, not looking inside a match."""
        pending = self.children[::-1]
        while pending:
            node = pending.pop()
            if node.tag in tags:
                yield node
            else:
                pending.extend(reversed(node.children))

    def find(self, tag: str) -> _Node | None:
        """The first descendant named ``tag``."""
        return next(self.iter(frozenset((tag,))), None)

    def text(self, tag: str) -> str:
        """The value of the first descendant named ``tag``, or empty."""
        found = self.find(tag)
        return "" if found is None else found.value


def parse_ofx(file: str, data: bytes, *, default_currency: str) -> ParsedFile:
    """Read an OFX or QFX file (SGML or XML).

    Args:
        file: The file's name, for messages.
        data: The file's bytes; UTF-8 when valid, else Windows-1252 (whatever ``CHARSET``
            claims, since banks often get it wrong).
        default_currency: The currency of a statement without ``CURDEF``.

    Returns:
        One statement per ``STMTRS``, ``CCSTMTRS`` or ``INVSTMTRS``.

    Raises:
        StatementFileError: There is no ``<OFX>`` element, or a transaction's amount or date
            cannot be read (the message names the line and the FITID).
    """
    text = decode_ofx(data)
    start = _START.search(text)
    if start is None:
        raise StatementFileError(f"{file}: expected an <OFX> element, found none")
    root = _tree(text, start.start())
    statements = tuple(_statement(file, node, default_currency) for node in root.iter(_STATEMENTS))
    return ParsedFile(format="ofx", statements=statements)


def decode_ofx(data: bytes) -> str:
    """The file's text: UTF-8 when the bytes are valid UTF-8, else Windows-1252 or Latin-1."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _tokens(text: str, start: int) -> Iterator[tuple[str, str, int]]:
    """``(kind, value, line)``: kind ``start``/``end`` with the tag, or ``text`` with the value.

    Adjacent text and CDATA pieces come as one value, entities resolved, white space trimmed.
    """
    line = text.count("\n", 0, start) + 1
    position = start
    pieces: list[str] = []
    for match in _TOKEN.finditer(text, start):
        line += text.count("\n", position, match.start())
        position = match.start()
        if match["text"] is not None:
            pieces.append(_ENTITY.sub(_entity, match["text"]))
        elif match["cdata"] is not None:
            pieces.append(match["cdata"])
        elif match["tag"] is not None:
            value = "".join(pieces).strip()
            pieces.clear()
            if value:
                yield "text", value, line
            yield ("end" if match["close"] else "start"), match["tag"].upper(), line
    value = "".join(pieces).strip()
    if value:
        yield "text", value, line


def _entity(match: re.Match[str]) -> str:
    name = match[1]
    if name[0] != "#":
        return _ENTITIES[name]
    code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
    return chr(code) if code < 0x110000 else match[0]


def _tree(text: str, start: int) -> _Node:
    """The elements as a tree; a start tag followed by a value is a leaf, closed or not."""
    root = _Node("", 0)
    stack = [root]
    for kind, value, line in _tokens(text, start):
        if kind == "start":
            node = _Node(value, line)
            stack[-1].children.append(node)
            stack.append(node)
        elif kind == "text":
            top = stack[-1]
            if top is not root and not top.children and not top.value:
                top.value = value
                stack.pop()
        elif value in (node.tag for node in stack[1:]):
            while stack.pop().tag != value:
                pass
    return root


def _statement(file: str, node: _Node, default_currency: str) -> ParsedStatement:
    currency = node.text("CURDEF").upper() or default_currency
    account = next(node.iter(_ACCOUNTS), None)
    ledger = node.find("LEDGERBAL")
    closing = None
    if ledger is not None and ledger.text("BALAMT"):
        closing = _amount(file, ledger, "BALAMT", "the ledger balance")
    return ParsedStatement(
        account="" if account is None else account.text("ACCTID"),
        currency=currency,
        lines=tuple(
            _line(file, transaction, currency) for transaction in node.iter(frozenset(("STMTTRN",)))
        ),
        closing_balance=closing,
    )


def _line(file: str, node: _Node, currency: str) -> ParsedLine:
    fitid = node.text("FITID")
    what = f"the transaction FITID {fitid}" if fitid else "a transaction"
    name = " ".join(node.text("NAME").split())
    memo = " ".join(node.text("MEMO").split())
    return ParsedLine(
        booking_date=_date(file, node, "DTPOSTED", what),
        amount=_amount(file, node, "TRNAMT", what),
        currency=node.text("CURSYM").upper() or currency,
        bank_ref=fitid,
        value_date=_date(file, node, "DTAVAIL", what) if node.find("DTAVAIL") else None,
        payer_name=name,
        remittance=" ".join(dict.fromkeys(filter(None, (name, memo)))),
        bank_code=node.text("TRNTYPE"),
        source_line=node.line,
    )


def _amount(file: str, node: _Node, tag: str, what: str) -> Decimal:
    found = node.find(tag)
    text = "" if found is None else found.value
    if not _AMOUNT.fullmatch(text):
        line = node.line if found is None else found.line
        raise StatementFileError(
            f"{file}, line {line}: expected {tag} such as -12.34 in {what}, got {text!r}"
        )
    return Decimal(text.replace(",", ".")) + 0  # + 0 turns the "-0" some banks write into 0


def _date(file: str, node: _Node, tag: str, what: str) -> date:
    """``YYYYMMDD`` with any time and zone after it (``20240131120000.000[-5:EST]``)."""
    found = node.find(tag)
    text = "" if found is None else found.value
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        line = node.line if found is None else found.line
        raise StatementFileError(
            f"{file}, line {line}: expected {tag} as a date such as 20240131 in {what},"
            f" got {text!r}"
        ) from None
