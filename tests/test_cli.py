"""The `polku` command: exit codes 0 ok, 1 validation failed, 2 usage error, and messages
that say what, where and how to fix. Runs the real commands through Click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from polku.cli import main

VALID_PERSON = (
    "hetu,birth_year,birth_month,sex,mother_tongue_group,municipality_code,education_level,isced_level,"
    "partial_work_ability,partial_work_ability_basis\n"
)
# 131052-308T: the example code of the population-information rules (kysy.fi).
GOOD_ROW = "131052-308T,1952,10,female,fi,698,basic,2,false,\n"
BAD_ROW = "131052-308U,1952,10,female,fi,698,basic,2,false,\n"


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment: no key in the environment, settings pointing into tmp_path."""
    for name in ("POLKU_PSEUDONYM_KEY", "POLKU_STORE", "POLKU_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POLKU_PSEUDONYM_KEY_FILE", str(tmp_path / "secrets" / "pseudonym.key"))
    monkeypatch.setenv("POLKU_STORE", str(tmp_path / "store.duckdb"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_help_lists_every_command(env: Path) -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("demo", "generate", "import", "status", "report", "estimate", "key"):
        assert command in result.output


def test_unknown_option_is_a_usage_error(env: Path) -> None:
    assert run("status", "--no-such-option").exit_code == 2


def test_key_is_created_once_and_never_overwritten_silently(env: Path) -> None:
    path = env / "k" / "pseudonym.key"
    first = run("key", str(path))
    assert first.exit_code == 0 and "fingerprint" in first.output
    assert (path.stat().st_mode & 0o777) == 0o600
    second = run("key", str(path))
    assert second.exit_code == 2
    assert "already exists" in second.stderr


def test_import_without_a_key_says_how_to_make_one(env: Path) -> None:
    csv = env / "person.csv"
    csv.write_text(VALID_PERSON + GOOD_ROW, encoding="utf-8")
    result = run("import", "person", str(csv))
    assert result.exit_code == 2
    assert "polku key" in result.stderr


def test_import_of_a_missing_file_is_a_usage_error(env: Path) -> None:
    run("key", str(env / "secrets" / "pseudonym.key"))
    result = run("import", "person", str(env / "nowhere.csv"))
    assert result.exit_code == 2
    assert "nowhere.csv" in result.stderr


def test_import_into_an_unknown_table_names_the_known_ones(env: Path) -> None:
    run("key", str(env / "secrets" / "pseudonym.key"))
    csv = env / "person.csv"
    csv.write_text(VALID_PERSON + GOOD_ROW, encoding="utf-8")
    result = run("import", "persons", str(csv))
    assert result.exit_code == 2
    assert "persons" in result.stderr and "person" in result.stderr


def test_clean_import_exits_0_and_a_quarantined_row_exits_1(env: Path) -> None:
    run("key", str(env / "secrets" / "pseudonym.key"))
    good = env / "person.csv"
    good.write_text(VALID_PERSON + GOOD_ROW, encoding="utf-8")
    assert run("import", "person", str(good)).exit_code == 0
    bad = env / "person_more.csv"
    bad.write_text(VALID_PERSON + BAD_ROW, encoding="utf-8")
    result = run("import", "person", str(bad), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["rows_read"], report["rows_accepted"], report["rows_quarantined"]) == (1, 0, 1)
    assert "308T" not in result.output and "308U" not in result.output


def test_status_without_a_store_is_a_usage_error(env: Path) -> None:
    result = run("status")
    assert result.exit_code == 2
    assert "no store" in result.stderr


def test_status_reports_the_quarantine_by_reason(env: Path) -> None:
    run("key", str(env / "secrets" / "pseudonym.key"))
    bad = env / "person.csv"
    bad.write_text(VALID_PERSON + GOOD_ROW + BAD_ROW, encoding="utf-8")
    assert run("import", "person", str(bad)).exit_code == 1
    result = run("status", "--json")
    assert result.exit_code == 0
    assert "hetu_check_character" in result.stdout
