"""No identity code in any file Polku writes: store, reports, logs, temporary files.

One module fixture runs the real commands (`polku key`, `import` of every table, a file with
the identity column swapped with a date column, a file exported without its header,
`status`, `report`, `estimate`, `erase`, `purge --dry-run`) on a synthetic area of 300
clients, with TMPDIR pointed at a folder of its own and each command's output written to a
log file. The tests then look for every identity code of the input files (valid or not):

- in every byte of every file written (store, its temporary folder if any, report, logs,
  TMPDIR, and the write-ahead log of one more import into a store that keeps it), and
- in every value of every table of the store, read through DuckDB, because DuckDB may
  compress strings so that a stored code is not a run of bytes in the file.

Two controls prove that each scan finds a code when one is there, so the tests can fail.
"""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from polku.cli import main
from polku.identity import load_key
from polku.ingest import import_file
from polku.redaction import HETU_SHAPE
from polku.schema.tables import IMPORT_ORDER
from polku.store import Store, open_store

SHAPE = re.compile(HETU_SHAPE.encode("ascii"))


@dataclass(frozen=True)
class Run:
    codes: frozenset[bytes]
    work: Path
    store: Path
    exit_codes: dict[str, int]


def _codes_in(folder: Path) -> frozenset[bytes]:
    """Every hetu-shaped value of the tables' identity column (valid or not): the codes
    that must not reappear. (Other hetu-shaped text, such as pieces of the manifest's
    SHA-256 digests, which `import_log` keeps, is no code.)"""
    codes = set()
    for table in IMPORT_ORDER:
        with folder.joinpath(f"{table}.csv").open(encoding="utf-8", newline="") as handle:
            codes |= {
                r["hetu"].strip().encode("ascii")
                for r in csv.DictReader(handle)
                if SHAPE.fullmatch(r.get("hetu", "").strip().encode("ascii"))
            }
    return frozenset(codes)


def _codes_found(data: bytes, codes: frozenset[bytes]) -> set[bytes]:
    return {m for m in SHAPE.findall(data) if m in codes}


def _special_inputs(inputs: Path, special: Path) -> dict[str, Path]:
    """A copy of employment_spell with identity and start date swapped, and one without its header."""
    header, *rows = inputs.joinpath("employment_spell.csv").read_text(encoding="utf-8").splitlines()
    swapped = []
    for line in rows:
        fields = line.split(",")
        fields[1], fields[2] = fields[2], fields[1]
        swapped.append(",".join(fields))
    special.mkdir()
    paths = {"swapped": special / "swapped.csv", "headerless": special / "headerless.csv"}
    paths["swapped"].write_text("\n".join([header, *swapped]) + "\n", encoding="utf-8")
    ended = sorted(rows, key=lambda line: ",," in line)  # a first line without empty fields
    paths["headerless"].write_text("\n".join(ended) + "\n", encoding="utf-8")
    return paths


def _commands(inputs: Path, special: dict[str, Path], work: Path, erase_code: str) -> dict[str, tuple[list[str], str | None]]:
    store, key = str(work / "polku.duckdb"), str(work / "secrets" / "pseudonym.key")
    both = ["--store", store, "--key-file", key]
    commands: dict[str, tuple[list[str], str | None]] = {"key": (["key", key], None)}
    for table in IMPORT_ORDER:
        commands[f"import-{table}"] = (["import", table, str(inputs / f"{table}.csv"), *both], None)
    commands["import-swapped"] = (["import", "employment_spell", str(special["swapped"]), "--source", "swapped", *both], None)
    commands["import-headerless"] = (
        ["import", "employment_spell", str(special["headerless"]), "--source", "headerless", *both],
        None,
    )
    commands["status"] = (["status", "--json", "--store", store], None)
    commands["analyse"] = (["analyse", "--json", "--store", store], None)
    commands["report"] = (["report", "--out", str(work / "reports" / "report.html"), "--lang", "en", "--store", store], None)
    commands["estimate"] = (["estimate", "--json", "--store", store], None)
    commands["erase"] = (["erase", "--hetu", "-", *both], erase_code + "\n")
    commands["purge"] = (["purge", "--older-than", "2024-01-01", "--dry-run", "--store", store], None)
    return commands


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    root = tmp_path_factory.mktemp("disk")
    inputs, work = root / "inputs", root / "work"
    for folder in (work / "logs", work / "tmp", work / "reports"):
        folder.mkdir(parents=True)
    runner = CliRunner()
    assert runner.invoke(main, ["generate", "--clients", "300", "--seed", "3", "--out", str(inputs)]).exit_code == 0
    special = _special_inputs(inputs, root / "special")
    codes = _codes_in(inputs)
    erase_code = sorted(codes)[0].decode("ascii")
    exit_codes = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", str(work / "tmp"))
        patch.setattr(tempfile, "tempdir", str(work / "tmp"))
        for name, (args, stdin) in _commands(inputs, special, work, erase_code).items():
            result = runner.invoke(main, args, input=stdin)
            exit_codes[name] = result.exit_code
            (work / "logs" / f"{name}.log").write_text(
                f"{result.stdout}\n{result.stderr}\n{result.exception!r}\n", encoding="utf-8"
            )
        _import_keeping_the_log(work / "wal" / "kept.duckdb", special["swapped"], work / "secrets" / "pseudonym.key")
    yield Run(codes, work, work / "polku.duckdb", exit_codes)


def _without_checkpoint(path: Path) -> Store:
    """A store whose write-ahead log stays on disk when it is closed (no checkpoint)."""
    store = open_store(path)
    store.con.execute("PRAGMA disable_checkpoint_on_shutdown")
    store.con.execute("SET checkpoint_threshold = '1GB'")
    return store


def _import_keeping_the_log(path: Path, file: Path, key_file: Path) -> None:
    """The swapped file imported into a store that keeps its write-ahead log, which DuckDB
    writes uncompressed and deletes at the checkpoint on close: scanned like any file."""
    with _without_checkpoint(path) as store:
        import_file(store, "employment_spell", file, key=load_key(key_file=key_file), source="swapped")
        store.changed = False  # no read snapshot: publishing one checkpoints the store, and the log must stay


def test_every_command_ran(run: Run) -> None:
    """The scan means something only when the commands did their work."""
    assert len(run.codes) > 300
    assert run.exit_codes["import-swapped"] == 1 and run.exit_codes["import-headerless"] == 1
    assert all(code in (0, 1) for code in run.exit_codes.values()), run.exit_codes
    assert {run.exit_codes[n] for n in ("key", "status", "analyse", "report", "estimate", "erase", "purge")} == {0}
    assert "the first line looks like data" in (run.work / "logs" / "import-headerless.log").read_text()
    assert (run.work / "reports" / "report.html").stat().st_size > 10_000
    with duckdb.connect(str(run.store), read_only=True) as con:
        swapped = con.execute(
            "SELECT count(*), count(person_pseudonym) FROM quarantine WHERE source = 'swapped' AND reason_code = 'hetu_in_field'"
        ).fetchall()[0]
    assert swapped[0] > 200 and swapped[0] - swapped[1] < 20  # almost every swapped code is valid and carries its pseudonym


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_no_code_in_any_byte_of_any_file_written(run: Run) -> None:
    written = _files(run.work)
    assert {p.name for p in written} >= {
        "polku.duckdb",
        "report.html",
        "pseudonym.key",
        "import-swapped.log",
        "estimate.log",
        "kept.duckdb.wal",
        "run.json",  # the analysis run
        "latest.json",  # the read snapshots' pointer
    }
    assert [p.parent.name for p in written if p.suffix == ".duckdb" and p.parent.name.endswith(".snapshots")] == [
        "polku.duckdb.snapshots"  # one read snapshot, the one published after erase rewrote the store
    ]
    assert (run.work / "wal" / "kept.duckdb.wal").stat().st_size > 100_000
    leaks = {str(p.relative_to(run.work)): _codes_found(p.read_bytes(), run.codes) for p in written}
    assert {name: found for name, found in leaks.items() if found} == {}


def _values(con: duckdb.DuckDBPyConnection) -> str:
    """Every value of every table of the store, as text."""
    tables = [name for (name,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()]
    return "\n".join(repr(r) for name in tables for r in con.execute(f'SELECT * FROM "{name}"').fetchall())


def test_no_code_in_any_value_of_the_store(run: Run) -> None:
    with duckdb.connect(str(run.store), read_only=True) as con:
        assert _codes_found(_values(con).encode("utf-8"), run.codes) == set()


def _scratch_copy(run: Run, folder: Path, codes: list[str]) -> Path:
    """A copy of the store with `codes` written into a table of its own."""
    copy = folder / "control.duckdb"
    shutil.copyfile(run.store, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("CREATE TABLE scratch AS SELECT unnest($codes) AS v", {"codes": codes})
    return copy


def test_control_the_byte_scan_finds_a_code_in_a_write_ahead_log(run: Run, tmp_path: Path) -> None:
    shutil.copytree(run.work / "wal", tmp_path / "wal")
    code = sorted(run.codes)[0]
    assert _codes_found((tmp_path / "wal" / "kept.duckdb.wal").read_bytes(), run.codes) == set()
    with _without_checkpoint(tmp_path / "wal" / "kept.duckdb") as store:
        store.con.execute("CREATE TABLE scratch AS SELECT ? AS v", [code.decode("ascii")])
    assert _codes_found((tmp_path / "wal" / "kept.duckdb.wal").read_bytes(), run.codes) == {code}


@pytest.mark.parametrize("count", [1, 2000])
def test_control_each_scan_finds_a_stored_code(run: Run, tmp_path: Path, count: int) -> None:
    """The same scans on a copy of the store with codes stored on purpose: both find them,
    one code alone or many (which DuckDB may compress)."""
    codes = sorted(c.decode("ascii") for c in run.codes)[:count]
    copy = _scratch_copy(run, tmp_path, codes)
    with duckdb.connect(str(copy), read_only=True) as con:
        assert len(_codes_found(_values(con).encode("utf-8"), run.codes)) == len(codes)
    found = _codes_found(copy.read_bytes(), run.codes)
    assert len(found) == len(codes) if count == 1 else len(found) > 0
