"""The one output writer: refuses what Polku did not write, writes atomically and owner-only."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from polku.errors import UsageError
from polku.outputs import is_polku_output, prepare_folder, write_output
from polku.store import open_store

REPORT = '<!DOCTYPE html>\n<html><head>\n<meta name="generator" content="Polku 0.1.0">\n</head></html>\n'


def test_a_new_file_is_written_owner_only_and_no_temporary_file_stays(tmp_path: Path) -> None:
    target = tmp_path / "new" / "report.html"
    assert write_output(target, REPORT) == target
    assert target.read_text(encoding="utf-8") == REPORT
    assert target.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]


def test_an_earlier_report_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text(REPORT.replace("0.1.0", "0.0.9"), encoding="utf-8")
    write_output(target, REPORT)
    assert "0.1.0" in target.read_text(encoding="utf-8")


def test_the_store_is_never_overwritten(tmp_path: Path) -> None:
    store_path = tmp_path / "polku.duckdb"
    open_store(store_path).close()
    before = store_path.read_bytes()
    with pytest.raises(UsageError, match="Polku did not write it"):
        write_output(store_path, REPORT)
    assert store_path.read_bytes() == before


def test_a_key_file_or_any_other_file_is_never_overwritten(tmp_path: Path) -> None:
    for name, content in (("pseudonym.key", "ab" * 32 + "\n"), ("notes.html", "<html><p>mine</p></html>")):
        target = tmp_path / name
        target.write_text(content, encoding="utf-8")
        with pytest.raises(UsageError, match="refusing to overwrite"):
            write_output(target, REPORT)
        assert target.read_text(encoding="utf-8") == content


def test_a_symlink_to_the_store_is_refused(tmp_path: Path) -> None:
    store_path = tmp_path / "polku.duckdb"
    open_store(store_path).close()
    link = tmp_path / "report.html"
    link.symlink_to(store_path)
    with pytest.raises(UsageError):
        write_output(link, REPORT)
    assert link.is_symlink() and is_polku_output(store_path) is False


def test_a_failed_write_leaves_the_old_report_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.html"
    target.write_text(REPORT, encoding="utf-8")

    def broken(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(UsageError, match="No space left"):
        write_output(target, REPORT.replace("0.1.0", "0.2.0"))
    assert target.read_text(encoding="utf-8") == REPORT
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_folder_of_foreign_files_is_refused_and_polku_s_own_accepted(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "person.csv").write_text("real data\n", encoding="utf-8")
    with pytest.raises(UsageError, match="did not write"):
        prepare_folder(theirs)
    ours = tmp_path / "ours"
    ours.mkdir()
    (ours / "person.csv").write_text("synthetic\n", encoding="utf-8")
    (ours / "manifest.json").write_text(json.dumps({"generator": "polku.synth"}), encoding="utf-8")
    assert prepare_folder(ours) == ours
    assert prepare_folder(tmp_path / "fresh").is_dir()
