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
