"""`generate()`: the files, their columns, determinism, the export's view of time, the manifest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from conftest import CLIENTS, EXTRACTION, SEED, read, violations
from polku.schema.tables import IMPORT_ORDER, table
from polku.synth import GenerateResult, generate
from polku.synth.csvout import column_names

GROUND_TRUTH = (
    "ground_truth_episodes",
    "ground_truth_effects",
    "ground_truth_change",
    "ground_truth_goals",
    "ground_truth_flaws",
)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_table_and_the_ground_truth_are_written(area_dir: Path) -> None:
    names = {p.name for p in area_dir.iterdir()}
    assert names == {f"{n}.csv" for n in (*IMPORT_ORDER, *GROUND_TRUTH)} | {"manifest.json"}


def test_columns_are_the_schema_fields_in_order_with_hetu(area_dir: Path) -> None:
    for name in IMPORT_ORDER:
        header = (area_dir / f"{name}.csv").read_text(encoding="utf-8").split("\n", 1)[0]
        expected = [("hetu" if f.kind == "identity" else f.name) for f in table(name).fields]
        assert header.split(",") == expected == column_names(name)


def test_files_are_utf8_without_bom_with_unix_lines(area_dir: Path) -> None:
    raw = (area_dir / "provider.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert "työllisyyspalvelut" in raw.decode("utf-8") and b"\r\n" not in raw


def test_same_seed_gives_byte_identical_files(area_dir: Path, tmp_path: Path) -> None:
    generate(clients=CLIENTS, seed=SEED, out_dir=tmp_path)
    for path in area_dir.iterdir():
        assert _digest(path) == _digest(tmp_path / path.name), path.name


def test_a_different_seed_gives_different_files(area_dir: Path, tmp_path: Path) -> None:
    generate(clients=CLIENTS, seed=SEED + 1, out_dir=tmp_path)
    for name in ("person", "registration_spell", "service_episode", "employment_spell"):
        assert _digest(area_dir / f"{name}.csv") != _digest(tmp_path / f"{name}.csv")


def test_result_and_manifest_count_rows_and_hash_files(area_dir: Path) -> None:
    manifest = json.loads((area_dir / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["seed"], manifest["clients"], manifest["extraction_date"]) == (SEED, CLIENTS, EXTRACTION)
    assert manifest["generator_version"]
    for name, rows in manifest["rows"].items():
        path = area_dir / f"{name}.csv"
        assert len(read(path)) == rows
        assert manifest["sha256"][path.name] == _digest(path)


def test_generate_returns_a_frozen_result(tmp_path: Path) -> None:
    result = generate(clients=300, seed=3, out_dir=tmp_path / "new")
    assert isinstance(result, GenerateResult) and result.out_dir == tmp_path / "new"
    assert result.rows["person"] >= 300
    with pytest.raises(AttributeError):
        result.rows = {}  # type: ignore[misc]


def test_progress_is_reported_and_ends_at_one(tmp_path: Path) -> None:
    seen: list[tuple[str, float]] = []
    generate(clients=200, seed=1, out_dir=tmp_path, progress=lambda step, f: seen.append((step, f)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(seen) > 10


def test_clean_area_breaks_no_rule_and_shows_nothing_after_extraction(clean_dir: Path) -> None:
    for name in IMPORT_ORDER:
        assert violations(clean_dir / f"{name}.csv", name) == {}, name


def test_spells_open_on_extraction_have_no_end(clean_dir: Path) -> None:
    regs = read(clean_dir / "registration_spell.csv")
    open_ = regs[regs["end_date"] == ""]
    assert len(open_) > 0.1 * CLIENTS and (open_["end_reason"] == "").all()
    episodes = read(clean_dir / "service_episode.csv")
    ongoing = episodes[episodes["completion_status"] == "ongoing"]
    assert len(ongoing) > 0 and (ongoing["end_date"] == "").all()


def test_impossible_requests_are_usage_errors(tmp_path: Path) -> None:
    from polku.errors import UsageError

    with pytest.raises(UsageError, match="cannot generate"):
        generate(clients=0, seed=1, out_dir=tmp_path)
    with pytest.raises(UsageError, match="flaw_rate"):
        generate(clients=10, seed=1, out_dir=tmp_path, flaw_rate=0.9)
