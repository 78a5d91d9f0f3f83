"""Importing a bank statement file into the ledger: every new line once, nothing twice.

A line is known by the bank's reference for it where the bank gives one that is unique in the
file, else by a fingerprint of what it says (account, dates, amount, payer, text) and how many
identical lines came before it in the file. Importing the same file again, or a later statement
that repeats some lines, adds only what is new. Debits and zero amounts are stored as "not a
customer payment" at once; credits wait for reconciliation.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.models.bank import (
    BankAccount,
    LineState,
    SheetMappingRecord,
    StatementImport,
    StatementLine,
)
from app.models.money import to_minor
from app.services.audit import record_audit
from app.services.bank_dto import StatementImportSummary
from app.services.iban import normalize_iban
from app.services.settings import load_settings
from app.services.statements.parsed import (
    MappingNeededError,
    ParsedFile,
    ParsedLine,
    ParsedStatement,
    SheetGuess,
    SheetMapping,
    StatementFileError,
)
from app.services.statements.reader import detect_format, read_statement_file
from app.services.statements.sheet import guess_sheet_mapping
from app.services.tasks import TaskContext
from app.services.uow import UnitOfWork

#: The account lines are filed under when neither the file nor the user names one.
UNKNOWN_ACCOUNT = "unknown account"

#: Bank references that are placeholders, not references (MT940 writes NONREF).
_PLACEHOLDER_REFS = frozenset({"", "NONREF", "NOTPROVIDED", "NONE", "0"})

_MAX_REF = 100


@dataclass(frozen=True)
class _Prepared:
    account: str
    line: ParsedLine
    line_ref: str
    entry: int  # the file's entry it comes from (a batch entry gives several lines)


def import_statement(
    uow: UnitOfWork,
    path: Path,
    *,
    account: str | None = None,
    mapping_name: str | None = None,
    mapping: SheetMapping | None = None,
    save_mapping_as: str | None = None,
    ctx: TaskContext | None = None,
) -> StatementImportSummary:
    """Read a statement file and store its new lines, as one transaction.

    Args:
        uow: the unit of work.
        path: the file (CAMT.053/.054, OFX/QFX, MT940, CSV or XLSX, told apart by content).
        account: the company's account (IBAN or number) the lines belong to, for files that do
            not say; the file's own account wins when it names one.
        mapping_name: a saved CSV/XLSX mapping to read the file with (``--mapping NAME``).
        mapping: a mapping a person just confirmed in the mapping dialog.
        save_mapping_as: save ``mapping`` under this name, so files of the same layout are read
            with it from now on.
        ctx: progress and cancel.

    Raises:
        StatementFileError: the file cannot be read; nothing was written.
        MappingNeededError: a CSV/XLSX export whose columns need a person's confirmation.
    """
    ctx = ctx or TaskContext()
    ctx.report(0, 3, f"Reading {path.name}")
    default_currency = load_settings(uow)["company.currency"]
    account_key = _account_key(account) if account else ""
    with uow:
        chosen = mapping or _named_mapping(uow.session, path.name, mapping_name)
        parsed = _read(uow.session, path, default_currency, chosen, account_key)
        ctx.check_cancelled()
        ctx.report(1, 3, f"Storing {path.name}")
        prepared = _prepare(parsed, account_key, default_currency)
        accounts = _accounts(uow.session, parsed, prepared)
        new = _new_lines(uow.session, accounts, prepared)
        ctx.check_cancelled()
        record = StatementImport(
            file_name=path.name,
            format=parsed.format,
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
            statements=len(parsed.statements),
            lines_total=len(prepared),
            lines_new=len(new),
            warnings="\n".join(parsed.warnings),
            actor=uow.actor,
        )
        uow.session.add(record)
        uow.session.flush()
        _insert_lines(uow.session, record.id, accounts, new)
        if mapping is not None and save_mapping_as:
            _save_mapping(uow.session, save_mapping_as, mapping, path, accounts)
        record_audit(
            uow.session,
            uow.actor,
            "import",
            "statement",
            record.id,
            after={"file": path.name, "lines": len(prepared), "new": len(new)},
        )
        uow.commit()
        ctx.report(3, 3, f"Imported {path.name}")
        return _summary(path.name, parsed, len({p.entry for p in new}), record.id)


def _account_key(text: str) -> str:
    """An account as stored: an IBAN normalised, any other account number as written."""
    try:
        return normalize_iban(text)
    except ValueError:
        return " ".join(text.split())[:64]


def _named_mapping(session: Session, file: str, name: str | None) -> SheetMapping | None:
    if not name:
        return None
    record = session.scalar(select(SheetMappingRecord).where(SheetMappingRecord.name == name))
    if record is None:
        known = sorted(session.scalars(select(SheetMappingRecord.name)))
        listed = ", ".join(known) if known else "none saved yet"
        raise StatementFileError(
            f"{file}: there is no saved mapping called {name!r} (saved mappings: {listed})"
        )
    return SheetMapping.from_json(record.mapping)


def _read(
    session: Session,
    path: Path,
    default_currency: str,
    mapping: SheetMapping | None,
    account_key: str,
) -> ParsedFile:
    """Parse the file.

    A CSV/XLSX export that detection is unsure of is read with a saved mapping when one fits
    its header layout or the account it is imported for.
    """
    try:
        return read_statement_file(path, default_currency=default_currency, mapping=mapping)
    except MappingNeededError as unsure:
        saved = _saved_mapping_for(session, unsure.guess, account_key)
        if saved is None:
            raise
        return read_statement_file(path, default_currency=default_currency, mapping=saved)


def header_signature(guess: SheetGuess) -> str:
    """The header cells of an export, to recognise the same bank's layout next time."""
    return "|".join(cell.strip().lower() for cell in guess.headers)


def _saved_mapping_for(
    session: Session, guess: SheetGuess, account_key: str
) -> SheetMapping | None:
    records = select(SheetMappingRecord).order_by(SheetMappingRecord.id.desc())
    signature = header_signature(guess)
    by_layout = session.scalar(records.where(SheetMappingRecord.signature == signature))
    if by_layout is not None:
        return SheetMapping.from_json(by_layout.mapping)
    if account_key:
        by_account = session.scalar(
            records.join(BankAccount, BankAccount.id == SheetMappingRecord.bank_account_id).where(
                BankAccount.account == account_key
            )
        )
        if by_account is not None:
            return SheetMapping.from_json(by_account.mapping)
    return None


def _prepare(parsed: ParsedFile, account_key: str, default_currency: str) -> list[_Prepared]:
    """Give every line its account and its reference (the bank's, or a fingerprint).

    The summary counts the file's entries; a batch entry may become several stored lines.
    """
    placed = [
        (_statement_account(statement, account_key), line)
        for statement in parsed.statements
        for line in _with_currency(statement, default_currency)
    ]
    ref_counts = Counter((acct, line.bank_ref.strip()) for acct, line in placed)
    seen: Counter[str] = Counter()
    prepared = []
    for entry, (acct, line) in enumerate(placed):
        ref = line.bank_ref.strip()
        if ref.upper() not in _PLACEHOLDER_REFS and ref_counts[acct, ref] == 1 and len(ref) <= 90:
            line_ref = f"ref:{ref}"
        else:
            content = _fingerprint_text(acct, line)
            line_ref = f"fp:{_digest(f'{content}|{seen[content]}')}"
            seen[content] += 1
        parts = _batch_parts(line)
        if len(parts) == 1:
            prepared.append(_Prepared(acct, line, line_ref[:_MAX_REF], entry))
        else:  # "ref:X#2": the bank's reference stays readable in the export
            prepared.extend(
                _Prepared(acct, part, f"{line_ref[: _MAX_REF - 6]}#{number}", entry)
                for number, part in enumerate(parts, 1)
            )
    return prepared


def _batch_parts(line: ParsedLine) -> tuple[ParsedLine, ...]:
    """The transactions of a batch credit, each stored and matched as its own line.

    A batch is split only when its transactions are credits in its currency that add up to it
    exactly (some banks' samples do not); otherwise it stays one line with all their text.
    """
    details = line.details
    if (
        len(details) < 2
        or line.amount <= 0
        or any(d.currency not in ("", line.currency) or d.amount <= 0 for d in details)
        or sum((d.amount for d in details), Decimal(0)) != line.amount
    ):
        return (line,)
    return tuple(
        replace(
            detail,
            currency=line.currency,
            booking_date=line.booking_date,
            value_date=detail.value_date or line.value_date,
            bank_code=detail.bank_code or line.bank_code,
            details=(),
        )
        for detail in details
    )


def _statement_account(statement: ParsedStatement, account_key: str) -> str:
    if statement.account:
        return _account_key(statement.account)
    return account_key or UNKNOWN_ACCOUNT


def _with_currency(statement: ParsedStatement, default_currency: str) -> Iterable[ParsedLine]:
    for line in statement.lines:
        if line.currency:
            yield line
        else:
            currency = statement.currency or default_currency
            yield replace(line, currency=currency)


def _fingerprint_text(account: str, line: ParsedLine) -> str:
    parts = (
        account,
        line.booking_date.isoformat(),
        line.value_date.isoformat() if line.value_date else "",
        f"{line.amount.normalize():f}",
        line.currency,
        " ".join(line.payer_name.split()).upper(),
        line.payer_iban.replace(" ", "").upper(),
        " ".join(line.remittance.split()).upper(),
        " ".join(line.structured_refs),
        line.end_to_end_id,
    )
    return "|".join(parts)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _accounts(
    session: Session, parsed: ParsedFile, prepared: Sequence[_Prepared]
) -> dict[str, int]:
    """The ledger's id of every account in the file, creating the ones not seen before."""
    currencies = {
        _account_key(s.account) if s.account else "": s.currency for s in parsed.statements
    }
    ids: dict[str, int] = {}
    for key in dict.fromkeys(p.account for p in prepared):
        found = session.scalar(select(BankAccount).where(BankAccount.account == key))
        if found is None:
            found = BankAccount(account=key, currency=currencies.get(key, "")[:3])
            session.add(found)
            session.flush()
        ids[key] = found.id
    return ids


def _new_lines(
    session: Session, accounts: dict[str, int], prepared: Sequence[_Prepared]
) -> list[_Prepared]:
    known: set[tuple[int, str]] = set()
    for key, account_id in accounts.items():
        refs = [p.line_ref for p in prepared if p.account == key]
        for start in range(0, len(refs), 500):
            chunk = refs[start : start + 500]
            rows = session.execute(
                select(StatementLine.line_ref).where(
                    StatementLine.bank_account_id == account_id,
                    StatementLine.line_ref.in_(chunk),
                )
            )
            known.update((account_id, ref) for (ref,) in rows)
    return [p for p in prepared if (accounts[p.account], p.line_ref) not in known]


def _insert_lines(
    session: Session, import_id: int, accounts: dict[str, int], new: Sequence[_Prepared]
) -> None:
    rows = [_line_row(import_id, accounts[p.account], p) for p in new]
    if rows:
        session.execute(insert(StatementLine), rows)


def _line_row(import_id: int, account_id: int, prepared: _Prepared) -> dict[str, object]:
    line = prepared.line
    amount_minor = to_minor(line.amount, line.currency)
    is_credit = amount_minor > 0
    return {
        "bank_account_id": account_id,
        "import_id": import_id,
        "line_ref": prepared.line_ref,
        "booking_date": line.booking_date,
        "value_date": line.value_date,
        "amount_minor": amount_minor,
        "currency": line.currency,
        "payer_name": line.payer_name[:300],
        "payer_iban": line.payer_iban.replace(" ", "").upper()[:64],
        "remittance": line.remittance,
        "structured_refs": " ".join(ref.replace(" ", "") for ref in line.structured_refs),
        "end_to_end_id": line.end_to_end_id[:100],
        "bank_code": line.bank_code[:100],
        "state": LineState.UNMATCHED if is_credit else LineState.IGNORED,
        "reason": "" if is_credit else _not_a_payment_reason(amount_minor),
        "confidence": 0,
        "note": "",
        "rejected": "[]",
    }


def _not_a_payment_reason(amount_minor: int) -> str:
    return "money out, not a customer payment" if amount_minor < 0 else "zero amount"


def _save_mapping(
    session: Session, name: str, mapping: SheetMapping, path: Path, accounts: dict[str, int]
) -> None:
    """Keep a confirmed mapping under its name, for its layout and its account."""
    data = path.read_bytes()
    kind = "xlsx" if detect_format(data) == "xlsx" else "csv"
    signature = header_signature(guess_sheet_mapping(path.name, data, kind=kind))
    record = session.scalar(select(SheetMappingRecord).where(SheetMappingRecord.name == name))
    if record is None:
        record = SheetMappingRecord(name=name, mapping="")
        session.add(record)
    record.mapping = mapping.to_json()
    record.signature = signature
    record.bank_account_id = next(iter(accounts.values()), None)


def _summary(file: str, parsed: ParsedFile, new: int, import_id: int) -> StatementImportSummary:
    lines = parsed.lines
    credits = sum((line.amount for line in lines if line.amount > 0), Decimal(0))
    debits = sum((-line.amount for line in lines if line.amount < 0), Decimal(0))
    currencies = tuple(sorted({line.currency for line in lines} | _statement_currencies(parsed)))
    return StatementImportSummary(
        file=file,
        format=parsed.format,
        statements=len(parsed.statements),
        lines=len(lines),
        new=new,
        duplicates=len(lines) - new,
        credits_total=credits,
        debits_total=debits,
        currencies=tuple(c for c in currencies if c),
        warnings=parsed.warnings,
        import_id=import_id,
    )


def _statement_currencies(parsed: ParsedFile) -> set[str]:
    return {s.currency for s in parsed.statements if s.currency}
