"""`generate()`: simulate the area and write it in the import format with its ground truth.

Files are written table by table in the import order (catalogue and organisation first),
each followed by its deliberate recording mistakes; then the ground truth and a manifest
with every file's row count and sha256. Nothing depends on the clock or the machine, so
the same seed and client count give byte-identical files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from polku.errors import UsageError
from polku.outputs import FOLDER_MANIFEST, prepare_folder
from polku.schema.tables import IMPORT_ORDER
from polku.synth.area import Area
from polku.synth.contacts import contact_table, job_application_table
from polku.synth.core_tables import employment_table, episode_table, person_table, registration_table
from polku.synth.csvout import CsvFile, column_names
from polku.synth.flaws import DEFAULT_FLAW_RATE, Flaw, flawed_rows
from polku.synth.goals import goal_table
from polku.synth.household_benefits import benefit_table
from polku.synth.measurements import levels, measurement_table, occasions
from polku.synth.organisation import case_worker_table, provider_table, service_table, team_table
from polku.synth.params import NO_MISTARGETING, Targeting, value
from polku.synth.paths import simulate
from polku.synth.population import draw_population
from polku.synth.timeline import Timeline
from polku.synth.truth import change_table, effects_table, episodes_table, goals_table

GENERATOR_VERSION = "1.1.0"
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class GenerateResult:
    out_dir: Path
    rows: dict[str, int]


def _builders(area: Area) -> dict[str, Callable[[], dict[str, pa.Array]]]:
    def measurement() -> dict[str, pa.Array]:
        return measurement_table(area)

    def goal() -> dict[str, pa.Array]:
        occ = occasions(area)
        return goal_table(area, occ, levels(area, occ))

    return {
        "service": service_table,
        "provider": provider_table,
        "team": lambda: team_table(area.org),
        "case_worker": lambda: case_worker_table(area.org),
        "person": lambda: person_table(area),
        "registration_spell": lambda: registration_table(area),
        "benefit_spell": lambda: benefit_table(area),
        "service_episode": lambda: episode_table(area),
        "measurement": measurement,
        "goal": goal,
        "employment_spell": lambda: employment_table(area),
        "contact": lambda: contact_table(area),
        "job_application": lambda: job_application_table(area),
    }


def _write(
    path: Path, columns: dict[str, pa.Array], header: list[str], extra: dict[str, pa.Array] | None = None
) -> tuple[int, str]:
    out = CsvFile(path, header)
    out.append(columns)
    if extra:
        out.append(extra)
    digest = out.close()
    return out.rows, digest


def _write_tables(area: Area, out_dir: Path, flaw_rate: float, progress: Progress) -> tuple[dict, dict, list[Flaw]]:
    rows, hashes, flaws = {}, {}, []
    builders = _builders(area)
    for i, name in enumerate(IMPORT_ORDER):
        progress(f"writing {name}", 0.5 + 0.4 * i / len(IMPORT_ORDER))
        columns = builders[name]()
        header = column_names(name)
        extra, found = flawed_rows(name, columns, flaw_rate, area.seed, len(next(iter(columns.values()))) + 2)
        rows[name], hashes[f"{name}.csv"] = _write(out_dir / f"{name}.csv", columns, header, extra)
        flaws += found
        del columns
    return rows, hashes, flaws


def _write_truth(area: Area, out_dir: Path, flaws: list[Flaw], rows: dict, hashes: dict) -> None:
    truths = (
        ("ground_truth_episodes", episodes_table(area)),
        ("ground_truth_effects", effects_table(area)),
        ("ground_truth_change", change_table(area)),
        ("ground_truth_goals", goals_table(area)),
    )
    for name, columns in truths:
        rows[name], hashes[f"{name}.csv"] = _write(out_dir / f"{name}.csv", columns, list(columns))
    flaw_columns = {
        "file": pa.array([f.file for f in flaws], type=pa.string()),
        "line": pa.array([f.line for f in flaws], type=pa.int64()),
        "column": pa.array([f.column for f in flaws], type=pa.string()),
        "flaw": pa.array([f.flaw for f in flaws], type=pa.string()),
    }
    rows["ground_truth_flaws"], hashes["ground_truth_flaws.csv"] = _write(
        out_dir / "ground_truth_flaws.csv", flaw_columns, list(flaw_columns)
    )


def _manifest_stub(out_dir: Path) -> None:
    text = json.dumps({"generator": "polku.synth", "generator_version": GENERATOR_VERSION, "complete": False}) + "\n"
    (out_dir / FOLDER_MANIFEST).write_text(text, encoding="utf-8")


def _manifest(
    out_dir: Path, clients: int, seed: int, flaw_rate: float, rows: dict, hashes: dict, targeting: Targeting = NO_MISTARGETING
) -> None:
    manifest = {
        "generator": "polku.synth",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "clients": clients,
        "flaw_rate": flaw_rate,
        "extraction_date": value("period.extraction_date"),
        "rows": rows,
        "sha256": hashes,
    } | ({"mistargeting": targeting.to_dict()} if targeting.active else {})
    text = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    (out_dir / FOLDER_MANIFEST).write_text(text, encoding="utf-8")


def generate(
    *,
    clients: int,
    seed: int,
    out_dir: Path,
    progress: Progress | None = None,
    flaw_rate: float = DEFAULT_FLAW_RATE,
    targeting: Targeting = NO_MISTARGETING,
) -> GenerateResult:
    """Simulate `clients` job seekers and write the area's files into `out_dir`.

    Returns the folder and the rows written per file (data rows, header excluded).
    `flaw_rate` is the share of extra rows with one deliberate recording mistake (0 = none);
    `targeting` builds mis-targeted referrals in (docs/groups.md), recorded in the manifest.
    """
    if clients < 1 or not 0 <= flaw_rate < 0.5:
        raise UsageError(
            f"cannot generate {clients} clients with flaw_rate {flaw_rate}",
            why="an area needs at least one client, and mistakes must stay a minority of rows.",
            fix="give clients >= 1 and 0 <= flaw_rate < 0.5.",
        )
    report = progress or (lambda step, fraction: None)
    out_dir = prepare_folder(out_dir)  # never over files Polku did not write
    _manifest_stub(out_dir)  # so that a run stopped half-way can be run again into the same folder
    timeline = Timeline.from_assumptions()
    report("drawing clients", 0.0)
    population = draw_population(clients, seed, timeline)
    sim = simulate(population, timeline, seed, lambda f: report("simulating paths", 0.5 * f), targeting)
    area = Area(sim, seed)
    rows, hashes, flaws = _write_tables(area, out_dir, flaw_rate, report)
    report("writing ground truth", 0.9)
    _write_truth(area, out_dir, flaws, rows, hashes)
    _manifest(out_dir, clients, seed, flaw_rate, rows, hashes, targeting)
    report("done", 1.0)
    return GenerateResult(out_dir=out_dir, rows=rows)


__all__ = ["GENERATOR_VERSION", "GenerateResult", "generate"]
