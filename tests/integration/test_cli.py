import pytest

from app.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("duebook ")


def test_settings_set_and_show(tmp_path, capsys):
    db = str(tmp_path / "l.sqlite3")
    assert main(["--db", db, "settings", "set", "company.name", "Łódź Spółka"]) == 0
    assert main(["--db", db, "settings", "set", "company.iban", "de89 3704 0044 0532 0130 00"]) == 0
    assert main(["--db", db, "settings", "show"]) == 0
    out = capsys.readouterr().out
    assert "company.name = Łódź Spółka" in out
    assert "company.iban = DE89370400440532013000" in out
    assert "invoice.number_pattern = INV-{year}-{seq:05}" in out


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("company.iban", "DE00123", "company.iban: not an IBAN"),
        ("company.nmae", "x", "unknown setting 'company.nmae'"),
        ("invoice.number_pattern", "INV-{yr}", "invoice.number_pattern"),
        ("smtp.port", "99999", "smtp.port: expected a port"),
    ],
)
def test_bad_settings_exit_1_with_one_line_and_change_nothing(
    tmp_path, capsys, key, value, message
):
    db = str(tmp_path / "l.sqlite3")
    assert main(["--db", db, "settings", "set", key, value]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    main(["--db", db, "settings", "show"])
    assert f"{key} = {value}" not in capsys.readouterr().out


def test_usage_errors_exit_2(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["--db", str(tmp_path / "l.sqlite3"), "import", "nonsense", "x.csv"])
    assert exit_info.value.code == 2


def test_a_foreign_ledger_exits_1(tmp_path, capsys):
    path = tmp_path / "x.sqlite3"
    path.write_text("hello")
    assert main(["--db", str(path), "settings", "show"]) == 1
    assert "not an SQLite database" in capsys.readouterr().err


def test_duebook_db_environment_variable(tmp_path, monkeypatch, capsys):
    path = tmp_path / "env.sqlite3"
    monkeypatch.setenv("DUEBOOK_DB", str(path))
    assert main(["settings", "set", "company.currency", "chf"]) == 0
    assert path.exists()
    assert "company.currency = CHF" in capsys.readouterr().out


def test_db_may_follow_the_command(tmp_path, capsys):
    db = tmp_path / "after.sqlite3"
    assert main(["settings", "set", "company.name", "Acme", "--db", str(db)]) == 0
    assert main(["settings", "show", "--db", str(db)]) == 0
    assert "company.name = Acme" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("smtp.port", "²", "smtp.port: expected a port"),
        ("invoice.payment_terms_days", "\u0663\u0660", "expected a whole number"),
        ("smtp.from", "a@b.example\nBcc: evil@x.example", "without line breaks"),
        ("company.email", "not-an-address", "expected an email address"),
        ("company.country", "Germany", "two-letter ISO country code"),
        (
            "invoice.number_pattern",
            "INVOICE-NUMBER-FOR-THE-YEAR-{year}-AND-SEQUENCE-{seq:030}",
            "exceed 50",
        ),
    ],
)
def test_settings_refuse_what_would_break_later(tmp_path, capsys, key, value, message):
    assert main(["--db", str(tmp_path / "l.sqlite3"), "settings", "set", key, value]) == 1
    assert message in capsys.readouterr().err


def test_a_named_sender_is_a_valid_from_address(tmp_path):
    db = str(tmp_path / "l.sqlite3")
    assert (
        main(
            [
                "--db",
                db,
                "settings",
                "set",
                "smtp.from",
                "Nordlicht Billing <billing@nordlicht.example>",
            ]
        )
        == 0
    )


def test_a_folder_is_not_a_ledger(tmp_path, capsys):
    assert main(["--db", str(tmp_path), "settings", "show"]) == 1
    assert "is a folder" in capsys.readouterr().err


def test_an_export_to_a_missing_folder_exits_1(tmp_path, capsys):
    target = tmp_path / "missing" / "x.xlsx"
    assert main(["--db", str(tmp_path / "l.sqlite3"), "export", "invoices", str(target)]) == 1
    err = capsys.readouterr().err
    assert "cannot write" in err
    assert str(target) in err


def test_demo_with_a_named_ledger_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--demo", "--db", str(tmp_path / "books.sqlite3")])
    assert exit_info.value.code == 2
    assert "leave out --db" in capsys.readouterr().err
    assert not (tmp_path / "books.sqlite3").exists()
