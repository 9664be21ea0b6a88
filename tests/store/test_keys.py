"""The store binds each key version to one key (issue 14: a different key with the same
version was accepted and broke every link silently)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from polku.cli import main
from polku.errors import ConfigurationError
from polku.identity import PseudonymKey
from polku.ingest import import_file
from polku.store import open_store

PERSON = (
    "hetu,birth_year,birth_month,sex,mother_tongue_group,municipality_code,education_level,isced_level,"
    "partial_work_ability,partial_work_ability_basis\n"
    "010594Y9032,1994,5,male,fi,698,basic,2,false,\n"
)
FIRST = PseudonymKey(hashlib.sha256(b"first test key").digest(), 1)
OTHER = PseudonymKey(hashlib.sha256(b"other test key").digest(), 1)


def _person(tmp_path: Path, name: str = "person.csv") -> Path:
    path = tmp_path / name
    path.write_text(PERSON, encoding="utf-8")
    return path


def _tables(store_path: Path) -> dict[str, list[tuple[object, ...]]]:
    with open_store(store_path, read_only=True) as store:
        return {
            t: store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("person", "import_log", "key_fingerprint")
        }


def test_another_key_under_the_same_version_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    with open_store(path) as store:
        import_file(store, "person", _person(tmp_path), key=FIRST)
    before = _tables(path)
    assert before["key_fingerprint"][0][:3] == (1, FIRST.fingerprint, 1)
    with open_store(path) as store, pytest.raises(ConfigurationError) as caught:
        import_file(store, "person", _person(tmp_path, "again.csv"), key=OTHER)
    what = caught.value.what
    assert what.splitlines() == [what]
    assert f"key version 1 was made with another key (fingerprint {FIRST.fingerprint}, this key {OTHER.fingerprint})" in what
    assert FIRST.secret.hex() not in str(caught.value) and OTHER.secret.hex() not in str(caught.value)
    assert _tables(path) == before


def test_the_same_key_again_and_a_new_version_are_accepted(tmp_path: Path) -> None:
    with open_store(tmp_path / "store.duckdb") as store:
        import_file(store, "person", _person(tmp_path), key=FIRST)
        assert import_file(store, "person", _person(tmp_path, "b.csv"), key=FIRST).status == "imported"
        rotated = PseudonymKey(OTHER.secret, 2)
        assert import_file(store, "person", _person(tmp_path, "c.csv"), key=rotated, source="c").status == "imported"
        stored = store.con.execute("SELECT key_version, fingerprint FROM key_fingerprint ORDER BY 1").fetchall()
    assert stored == [(1, FIRST.fingerprint), (2, rotated.fingerprint)]


def test_the_cli_refuses_the_wrong_key_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLKU_STORE", str(tmp_path / "store.duckdb"))
    monkeypatch.setenv("POLKU_PSEUDONYM_KEY", FIRST.secret.hex())
    runner = CliRunner()
    assert runner.invoke(main, ["import", "person", str(_person(tmp_path))]).exit_code == 0
    monkeypatch.setenv("POLKU_PSEUDONYM_KEY", OTHER.secret.hex())
    result = runner.invoke(main, ["import", "person", str(_person(tmp_path, "b.csv"))])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "was made with another key" in result.stderr.splitlines()[0]


def test_a_group_readable_key_file_is_refused_by_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POLKU_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("POLKU_STORE", str(tmp_path / "store.duckdb"))
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text(os.urandom(32).hex())
    key_file.chmod(0o640)
    result = CliRunner().invoke(main, ["import", "person", str(_person(tmp_path)), "--key-file", str(key_file)])
    assert result.exit_code == 2
    assert f"chmod 600 {key_file}" in result.stderr.splitlines()[0]
    assert not (tmp_path / "store.duckdb").exists()


def test_a_weak_key_is_warned_about_but_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLKU_STORE", str(tmp_path / "store.duckdb"))
    monkeypatch.setenv("POLKU_PSEUDONYM_KEY", "ab" * 32)
    result = CliRunner().invoke(main, ["import", "person", str(_person(tmp_path))])
    assert result.exit_code == 0
    assert "warning: the pseudonymisation key looks weak: every byte of the key is the same" in result.stderr
