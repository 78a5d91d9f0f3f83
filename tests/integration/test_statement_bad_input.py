"""Bad statement files through the command line: one line naming the file, nothing imported."""

from __future__ import annotations

import pytest

from app.cli import main
from app.models.db import open_ledger
from app.services.bank_dto import LineFilter
from app.services.bank_queries import list_statement_lines
from app.services.uow import UnitOfWork

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
CAMT = f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{NAMESPACE}">'
BOMB = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
    '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>&lol2;'
    "</BkToCstmrStmt></Document>"
)
BAD_FILES: dict[str, tuple[str, bytes, str]] = {
    "not a statement": ("letter.txt", b"Dear Sir,\nplease find our invoice attached.\n", ""),
    "a picture": ("scan.png", b"\x89PNG\r\n\x1a\n" + bytes(64), ""),
    "truncated XML": ("cut.xml", (CAMT + "<BkToCstmrStmt><Stmt><Ntry>").encode(), "line"),
    "entity bomb": ("bomb.xml", BOMB.encode(), ""),
    "unknown encoding": (
        "odd.xml",
        f'<?xml version="1.0" encoding="klingon-8"?><Document xmlns="{NAMESPACE}">'
        "<BkToCstmrStmt><Stmt></Stmt></BkToCstmrStmt></Document>".encode(),
        "klingon",
    ),
    "empty file": ("empty.csv", b"", "empty"),
    "no amount column": ("bank.csv", b"Date,Payer,Text\n2026-11-02,ACME,Invoice 1\n", "amount"),
    "bad date": (
        "bank2.csv",
        b"Date,Payer,Amount\n"
        + b"".join(b"2026-11-%02d,ACME,1%d.00\n" % (day, day) for day in range(1, 13))
        + b"2026-11-3x,ACME,13.00\n",
        "row 14",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_bad_statement_exits_1_naming_the_file_and_imports_nothing(tmp_path, capsys, case):
    name, content, detail = BAD_FILES[case]
    path = tmp_path / name
    path.write_bytes(content)
    db = tmp_path / "ledger.sqlite3"

    assert main(["--db", str(db), "import", "statement", str(path)]) == 1

    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert name in err
    assert detail.lower() in err.lower()
    assert list_statement_lines(UnitOfWork(open_ledger(db)), LineFilter()) == []


def test_a_missing_file_is_named(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "l.sqlite3"), "import", "statement", "nowhere.xml"]) == 1
    assert "nowhere.xml" in capsys.readouterr().err
