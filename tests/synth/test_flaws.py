"""Deliberate recording mistakes: listed exactly, each really a mistake, the rest untouched."""

from __future__ import annotations

from pathlib import Path

from conftest import read, violations
from polku.schema.tables import IMPORT_ORDER
from polku.synth.flaws import kinds

EXPECTED_RULE = {
    "invalid_hetu_check_character": {"hetu"},
    "duplicate_key": {"duplicate_key"},
    "malformed_date": {"kind"},
    "unknown_code": {"code"},
    "negative_money": {"minimum"},
    "value_outside_scale": {"value_within_scale"},
}


def _listed(area_dir: Path) -> dict[str, dict[int, tuple[str, str]]]:
    flaws = read(area_dir / "ground_truth_flaws.csv")
    out: dict[str, dict[int, tuple[str, str]]] = {}
    for row in flaws.itertuples():
        out.setdefault(row.file, {})[int(row.line)] = (row.column, row.flaw)
    return out


def test_exactly_the_listed_lines_break_a_rule(area_dir: Path) -> None:
    listed = _listed(area_dir)
    assert sum(map(len, listed.values())) > 0
    for name in IMPORT_ORDER:
        found = violations(area_dir / f"{name}.csv", name)
        assert set(found) == set(listed.get(f"{name}.csv", {})), name


def test_each_flaw_breaks_the_rule_its_kind_names(area_dir: Path) -> None:
    listed = _listed(area_dir)
    for file, lines in listed.items():
        found = violations(area_dir / file, file.removesuffix(".csv"))
        for line, (_, flaw) in lines.items():
            if flaw == "end_before_start":
                assert any(r.endswith("_not_before_" + r.split("_not_before_")[-1]) for r in found[line])
            else:
                assert found[line] & EXPECTED_RULE[flaw], (file, line, flaw, found[line])


def test_flawed_rows_are_appended_so_clean_rows_are_unchanged(area_dir: Path, clean_dir: Path) -> None:
    for name in IMPORT_ORDER:
        clean = (clean_dir / f"{name}.csv").read_bytes()
        assert (area_dir / f"{name}.csv").read_bytes().startswith(clean), name
    for name in ("ground_truth_episodes", "ground_truth_effects"):
        assert (area_dir / f"{name}.csv").read_bytes() == (clean_dir / f"{name}.csv").read_bytes()


def test_rate_is_about_two_per_thousand_and_several_kinds_occur(area_dir: Path) -> None:
    flaws = read(area_dir / "ground_truth_flaws.csv")
    measurement_rows = len(read(area_dir / "measurement.csv"))
    share = (flaws["file"] == "measurement.csv").sum() / measurement_rows
    assert 0.0015 < share < 0.0025
    assert set(flaws["flaw"]) >= {
        "invalid_hetu_check_character",
        "duplicate_key",
        "end_before_start",
        "malformed_date",
        "unknown_code",
        "negative_money",
        "value_outside_scale",
    }


def test_zero_rate_writes_no_flaws(clean_dir: Path) -> None:
    assert len(read(clean_dir / "ground_truth_flaws.csv")) == 0


def test_person_flaws_never_add_a_person() -> None:
    assert kinds("person") == ["invalid_hetu_check_character", "duplicate_key"]


def test_a_flawed_row_is_its_source_row_with_one_column_changed(area_dir: Path) -> None:
    """Regression: each column once copied a different random row, making impossible rows
    (earnings-related allowance paid by Kela) that were not what the flaw list said."""
    for name in ("benefit_spell", "employment_spell", "service_episode"):
        frame = read(area_dir / f"{name}.csv").astype(str)
        key = frame.columns[0]
        originals = frame.set_index(key)
        copies = frame[frame[key].str.contains("F")]
        assert len(copies) > 0
        for _, copy in copies.iterrows():
            source = originals.loc[copy[key].split("F")[0]]
            if source.ndim > 1:  # the source row also has a duplicate-key copy
                source = source.iloc[0]
            changed = [c for c in originals.columns if c != "__line" and copy[c] != source[c]]
            assert len(changed) == 1, (name, copy[key], changed)
