"""The audit trail: one row per use, no identity code in it, written even when the store is
locked (through the journal), and never updated or deleted by any code path."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import duckdb

from polku.store import audit, open_store

Hold = Callable[[Path, float], subprocess.Popen[str]]  # the `hold` fixture of conftest.py
SRC = Path(__file__).resolve().parents[2] / "src" / "polku"
CODE = "010594Y9032"  # DVV's test range (individual number 903): nobody's code


def stored(store_path: Path) -> list[dict[str, object]]:
    with open_store(store_path, read_only=True) as store:
        rows = store.con.execute(f"SELECT {', '.join(audit.COLUMNS)} FROM audit ORDER BY at_utc").fetchall()
    return [dict(zip(audit.COLUMNS, row)) for row in rows]


def entry(**changes: object) -> audit.AuditEntry:
    return audit.AuditEntry("report", {"out_path": "/tmp/r.html", "lang": None}, **changes)  # type: ignore[arg-type]


def test_a_row_says_who_when_what_and_which_output(store_path: Path) -> None:
    before = audit.utc_now()
    audit.record(
        store_path, entry(actor="analyst", output_path="/tmp/r.html", output_sha256="ab" * 32, data={"access": "aggregates"})
    )
    (row,) = stored(store_path)
    assert (row["actor"], row["channel"], row["action"], row["outcome"]) == ("analyst", "cli", "report", "ok")
    assert json.loads(str(row["arguments"])) == {"out_path": "/tmp/r.html"}  # options left empty are not kept
    assert json.loads(str(row["data"])) == {"access": "aggregates"}
    assert (row["output_path"], row["output_sha256"]) == ("/tmp/r.html", "ab" * 32)
    assert before <= row["at_utc"] <= audit.utc_now()  # type: ignore[operator]


def test_the_web_records_through_its_open_connection(store_path: Path) -> None:
    with open_store(store_path) as store:
        audit.record(store, entry(channel="web", actor="caseworker", outcome="denied"))
    assert [(r["channel"], r["actor"], r["outcome"]) for r in stored(store_path)] == [("web", "caseworker", "denied")]


def test_identity_codes_never_reach_the_row(store_path: Path) -> None:
    arguments = {
        "hetu": "whatever the shape",
        "pseudonym": "00000000-0000-0000-0000-000000000001",
        "source": f"export {CODE}.csv",
        "services": ("S1", CODE.lower()),
        "seed": 3,
    }
    audit.record(store_path, audit.AuditEntry("erase", arguments, data={"note": f"file {CODE}"}))
    (row,) = stored(store_path)
    text = json.dumps(row, default=str)
    assert CODE not in text and CODE.lower() not in text and "whatever" not in text and "0001" not in text
    assert json.loads(str(row["arguments"])) == {
        "hetu": "<redacted>",
        "pseudonym": "<redacted>",
        "source": "export <hetu>.csv",
        "services": ["S1", "<hetu>"],
        "seed": 3,
    }


def test_no_store_no_row_and_no_file(tmp_path: Path) -> None:
    audit.record(tmp_path / "missing.duckdb", entry())
    assert list(tmp_path.iterdir()) == []


def test_a_locked_store_gets_the_row_through_the_journal(store_path: Path, hold: Hold) -> None:
    holder = hold(store_path, 60)
    audit.record(store_path, entry(actor="first"))
    journal = audit.journal_path(store_path)
    assert journal.stat().st_mode & 0o777 == 0o600
    holder.kill()
    holder.wait(timeout=30)
    (pending,) = audit.rows(store_path)
    assert (pending["actor"], pending["pending"]) == ("first", True)
    open_store(store_path).close()  # the next writer moves the journal into the table
    assert journal.read_text(encoding="utf-8") == ""
    assert [(r["actor"], r["pending"]) for r in audit.rows(store_path)] == [("first", False)]


def test_a_journal_row_already_in_the_table_is_not_doubled(store_path: Path) -> None:
    row = entry()
    audit.record(store_path, row)
    audit.append_journal(store_path, row)  # e.g. a crash between the insert and the emptying
    open_store(store_path).close()
    assert [r["audit_id"] for r in audit.rows(store_path)] == [row.audit_id]


def test_since_keeps_later_rows_only(store_path: Path) -> None:
    audit.record(store_path, entry(actor="old", at_utc=dt.datetime(2025, 1, 1)))
    audit.record(store_path, entry(actor="new", at_utc=dt.datetime(2026, 6, 1)))
    assert [r["actor"] for r in audit.rows(store_path, since=dt.datetime(2026, 1, 1))] == ["new"]


def test_no_code_path_updates_or_deletes_audit_rows() -> None:
    """Append-only by construction: no UPDATE, DELETE, TRUNCATE, DROP or ALTER names the
    table anywhere in the package (erase and purge included). SQL built from table names
    at run time is outside this scan; erase works on the schema's tables, not META_TABLES."""
    changing = re.compile(
        r"\b(UPDATE|DELETE\s+FROM|TRUNCATE(\s+TABLE)?|DROP\s+TABLE(\s+IF\s+EXISTS)?|ALTER\s+TABLE)\s+\"?audit\b", re.I
    )
    offenders = [
        f"{path.relative_to(SRC)}: {m.group(0)}"
        for path in SRC.rglob("*.py")
        for m in changing.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    assert "audit" in (SRC / "store" / "ddl.py").read_text(encoding="utf-8")  # the scan looks at the right tree


class _Appending:
    """A write connection whose batch insert of journal rows first checks that the journal is
    not locked, and appends one more row meanwhile (as a web page read during an import)."""

    def __init__(self, con: object, store_path: Path) -> None:
        self.con, self.store_path, self.inserted = con, store_path, 0

    def execute(self, *args: object) -> object:
        return self.con.execute(*args)  # type: ignore[attr-defined]

    def executemany(self, sql: str, rows: list[list[object]]) -> object:
        with audit.journal_path(self.store_path).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if the drain held the lock
        audit.append_journal(self.store_path, entry(actor="meanwhile"))
        self.inserted += len(rows)
        return self.con.executemany(sql, rows)  # type: ignore[attr-defined]


def test_the_journal_is_drained_without_holding_its_lock_and_keeps_rows_appended_meanwhile(store_path: Path) -> None:
    open_store(store_path).close()
    for n in range(3):
        audit.append_journal(store_path, entry(actor=f"reader{n}"))
    with open_store(store_path, read_only=True):
        pass  # a reader drains nothing
    assert len(audit.read_journal(store_path)) == 3
    con = duckdb.connect(str(store_path))
    try:
        appending = _Appending(con, store_path)
        assert audit.drain_journal(appending, store_path) == 3  # type: ignore[arg-type]
        assert appending.inserted == 3
    finally:
        con.close()
    assert sorted(str(r["actor"]) for r in stored(store_path)) == ["reader0", "reader1", "reader2"]
    assert [r["actor"] for r in audit.read_journal(store_path)] == ["meanwhile"], "the row appended meanwhile waits"
    open_store(store_path).close()
    assert sorted(str(r["actor"]) for r in stored(store_path)) == ["meanwhile", "reader0", "reader1", "reader2"]
    assert audit.read_journal(store_path) == []
