"""Safe operations (docs/operations.md) through the real command: `--out` never overwrites
the store or the key, bad input gives one line and exit 1 or 2 (a traceback only with
--debug), an internal error exits 70, and each command leaves its audit row."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from polku.cli import main
from polku.command import INTERNAL_ERROR
from polku.store.connection import DUCKDB_MAGIC

HEADER = (
    "hetu,birth_year,birth_month,sex,mother_tongue_group,municipality_code,education_level,isced_level,"
    "partial_work_ability,partial_work_ability_basis\n"
)
CODE = "010594Y9032"  # DVV's test range: nobody's code
PERSON = f"{CODE},1994,5,female,fi,698,basic,2,false,\n"
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4  # a picture given as --persons
PERSONS = "person_id,age,annual_wage_income,unemployment_benefit_days,unemployment_benefit_type\np1,30,20000,0,none\n"


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store with one imported person, its key apart from it, settings pointing there."""
    for name in ("POLKU_PSEUDONYM_KEY", "POLKU_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POLKU_PSEUDONYM_KEY_FILE", str(tmp_path / "secrets" / "pseudonym.key"))
    monkeypatch.setenv("POLKU_STORE", str(tmp_path / "store.duckdb"))
    monkeypatch.chdir(tmp_path)
    assert run("key", str(tmp_path / "secrets" / "pseudonym.key")).exit_code == 0
    (tmp_path / "person.csv").write_text(HEADER + PERSON, encoding="utf-8")
    assert run("import", "person", "person.csv").exit_code == 0
    assert run("analyse").exit_code == 0  # the run `polku report` renders
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def one_error(result: Result, *words: str) -> None:
    """One `error:` message, naming what is wrong, and no traceback."""
    assert "Traceback" not in result.output
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == result.stderr.splitlines()[:1]
    for word in words:
        assert word in result.stderr, (word, result.stderr)


def test_report_out_onto_the_store_is_refused_and_the_store_kept(env: Path) -> None:
    result = run("report", "--out", str(env / "store.duckdb"))
    assert result.exit_code == 2
    one_error(result, "refusing to overwrite", "store.duckdb")
    assert (env / "store.duckdb").read_bytes()[8:12] == DUCKDB_MAGIC
    assert "person" in run("status").stdout  # the store still opens, with its import


def test_report_out_onto_the_key_is_refused_and_the_key_kept(env: Path) -> None:
    key = env / "secrets" / "pseudonym.key"
    before = key.read_bytes()
    result = run("report", "--out", str(key))
    assert result.exit_code == 2
    one_error(result, "refusing to overwrite", "pseudonym.key")
    assert key.read_bytes() == before


def test_report_is_owner_only_and_a_second_run_replaces_it(env: Path) -> None:
    assert run("report", "--out", "r.html").exit_code == 0
    assert run("report", "--out", "r.html").exit_code == 0
    assert (env / "r.html").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "args, code, words",
    [
        (["fiscal", "--year", "-1", "--persons", "persons.csv"], 2, ["--year", "-1"]),
        (["fiscal", "--year", "99999999999999999999", "--persons", "persons.csv"], 2, ["--year"]),
        (["fiscal", "--year", "2024", "--persons", "binary.csv"], 1, ["not a readable CSV", "binary.csv", "not UTF-8"]),
        (
            [
                "cba",
                "--year",
                "2024",
                "--employed",
                "binary.csv",
                "--participants",
                "10",
                "--cost",
                "1",
                "--additional",
                "1",
                "--interval",
                "0,2",
            ],
            1,
            ["not a readable CSV", "binary.csv"],
        ),
        (["estimate", "--outcome", "employed_999999m"], 2, ["unknown outcome 'employed_999999m'", "12m"]),
        (["status", "--store", "persons.csv"], 2, ["persons.csv is not a Polku store"]),
        (["estimate", "--store", "persons.csv"], 2, ["not a Polku store"]),
        (["import", "person", "person.csv", "--store", "persons.csv"], 2, ["not a Polku store"]),
        (["key", "persons.csv/pseudonym.key"], 2, ["cannot create the folder"]),
        (["generate", "--clients", "100", "--out", "secrets"], 2, ["refusing to write into secrets"]),
    ],
)
def test_bad_input_gives_one_line_and_its_exit_code(env: Path, args: list[str], code: int, words: list[str]) -> None:
    (env / "persons.csv").write_text(PERSONS, encoding="utf-8")
    (env / "binary.csv").write_bytes(BINARY)
    before = (env / "persons.csv").read_bytes()
    result = run(*args)
    assert result.exit_code == code, result.output
    if code == 2 and "--year" in words:  # Click's own usage error, in Click's format
        assert "Invalid value for '--year'" in result.stderr and "Traceback" not in result.output
    else:
        one_error(result, *words)
    assert (env / "persons.csv").read_bytes() == before  # a store path that is a CSV is never written


def test_debug_shows_the_traceback(env: Path) -> None:
    (env / "binary.csv").write_bytes(BINARY)
    result = run("--debug", "fiscal", "--year", "2024", "--persons", "binary.csv")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr and "UnicodeDecodeError" in result.stderr


def test_an_internal_error_is_one_line_exit_70_and_the_traceback_with_debug(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import polku.quality

    def broken(store: object) -> None:
        raise RuntimeError(f"a bug that mentions {CODE}")

    monkeypatch.setattr(polku.quality, "summarise", broken)
    result = run("status")
    assert result.exit_code == INTERNAL_ERROR == 70
    one_error(result, "internal error (RuntimeError)", "--debug")
    assert CODE not in result.output  # the exception's text is not printed without --debug
    debug = run("--debug", "status")
    assert debug.exit_code == 70 and "Traceback" in debug.stderr and "RuntimeError" in debug.stderr


def test_import_status_report_and_estimate_leave_audit_rows_that_polku_audit_lists(env: Path) -> None:
    assert run("status").exit_code == 0
    assert run("report", "--out", "r.html").exit_code == 0
    assert run("estimate", "--json").exit_code == 0
    assert run("report", "--out", "store.duckdb").exit_code == 2
    result = run("audit", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [(r["action"], r["outcome"]) for r in rows] == [
        ("import", "ok"),
        ("analyse", "ok"),
        ("status", "ok"),
        ("report", "ok"),
        ("estimate", "ok"),
        ("report", "refused"),
    ]
    assert {r["channel"] for r in rows} == {"cli"} and all(r["actor"] for r in rows)
    imported = rows[0]["data"]
    assert imported["access"] == "person-level rows written"
    assert [(i["table_name"], i["rows_read"], i["rows_accepted"], i["rows_quarantined"]) for i in imported["imports"]] == [
        ("person", 1, 0 + 1, 0)
    ]
    run_id = rows[1]["data"]["run_id"]
    assert rows[1]["data"]["access"] == "person-level rows read; aggregates stored in an analysis run"
    assert rows[2]["data"] == {"access": "aggregates"}
    report = rows[3]
    assert report["output_path"] == str(env / "r.html")
    assert report["output_sha256"] == hashlib.sha256((env / "r.html").read_bytes()).hexdigest()
    assert report["arguments"] == {"out_path": "r.html", "run_ref": "latest"}
    assert report["data"] == {"access": "aggregates", "run_id": run_id}
    assert CODE not in result.output and CODE not in run("audit").stdout


def test_audit_since_and_its_text_listing(env: Path) -> None:
    text = run("audit")
    assert text.exit_code == 0 and "import ok: person-level rows written" in text.stdout and "2 audit rows" in text.stdout
    later = run("audit", "--since", "2999-01-01", "--json")
    assert later.exit_code == 0 and json.loads(later.stdout) == []
    assert run("audit", "--since", "yesterday").exit_code == 2


def test_an_error_outside_the_command_s_action_is_caught_too(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`cba` builds its assumptions before `_run`; the group's last resort catches a bug there."""
    import polku.cba

    def broken(**options: object) -> None:
        raise ValueError("a bug in option handling")

    monkeypatch.setattr(polku.cba, "Assumptions", broken)
    result = run("cba")
    assert result.exit_code == INTERNAL_ERROR
    one_error(result, "internal error (ValueError)")


@pytest.mark.parametrize("args", [["cba", "--persistence", "nan"], ["--wait", "nan", "status"], ["estimate", "--trim", "nan"]])
def test_nan_and_inf_are_refused_as_numbers(env: Path, args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 2 and "is not a finite number" in result.stderr


def test_a_row_that_cannot_be_recorded_fails_the_command(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from polku.errors import UsageError
    from polku.store import audit

    def unwritable(exit_code: int) -> None:
        raise UsageError("cannot append to the audit journal")

    monkeypatch.setattr(audit, "finish", unwritable)
    result = run("status")
    assert result.exit_code == 1
    assert "cannot append to the audit journal" in result.stderr and "audit row could not be recorded" in result.stderr


def test_markup_in_a_message_is_printed_as_text(env: Path) -> None:
    result = run("fiscal", "--year", "2024", "--persons", "[/bold]x.csv")
    assert result.exit_code == 2 and "[/bold]x.csv" in result.stderr and "Traceback" not in result.output


def test_key_overwrite_replaces_a_key_but_never_the_store(env: Path) -> None:
    store = env / "store.duckdb"
    result = run("key", str(store), "--overwrite")
    assert result.exit_code == 2
    one_error(result, "refusing to overwrite", "not a key file")
    assert store.read_bytes()[8:12] == DUCKDB_MAGIC
    key = env / "secrets" / "pseudonym.key"
    before = key.read_bytes()
    assert run("key", str(key), "--overwrite").exit_code == 0 and key.read_bytes() != before


@pytest.mark.parametrize(
    "args",
    [
        ["estimate", "--bootstrap", "010594Y9032"],
        ["--wait", "010594Y9032", "status"],
        ["status", "010594Y9032"],
        ["--010594Y9032"],
    ],
)
def test_clicks_own_usage_errors_never_print_an_identity_code(args: list[str]) -> None:
    """Click quotes the value it refused; a code typed into the wrong place is redacted there too."""
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "010594Y9032" not in result.output and "<hetu>" in result.output
