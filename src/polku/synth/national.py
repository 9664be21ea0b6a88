"""`polku generate --areas N --format parquet`: a national synthetic register, area by area.

Why area by area: the national register has a million clients and tens of millions of
events; simulating it at once would hold all of it in memory. Each area is simulated on
its own (its own seed, parameters and clients), written to Parquet and dropped before the
next, so memory stays that of the largest area. The register is what a research
environment holds: already pseudonymised (`person_id` a UUID, never an identity code;
a synthetic code is hashed with the area and seed and never written) and without the
recording mistakes of a raw export. Folders are Hive-partitioned (`<table>/area=A01/`), so
DuckDB and Spark read one table over all areas, with `area` as a column.

Areas differ, each by a profile drawn from the seed (`area_profile`): labour market (the
re-employment hazard's intercept), client mix (foreign-language and male shares, and the
share of people with partial work ability through its odds), service mix (each service's
referral rate) and true effects (each service's effect after it). Sizes are uneven, as the
real areas' are (lognormal weights). Each area's ground truth is written beside its data,
and its published unemployment rate (`area_labour_market.parquet`, `labour_market_rows`):
what an analysis may know of the labour market, which the latent term itself is not.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from polku.errors import UsageError
from polku.outputs import FOLDER_MANIFEST, prepare_folder
from polku.schema.tables import IMPORT_ORDER
from polku.synth import services as service_model
from polku.synth.area import Area
from polku.synth.generate import GENERATOR_VERSION, _builders
from polku.synth.params import overridden, value
from polku.synth.paths import simulate
from polku.synth.population import draw_population
from polku.synth.timeline import Timeline
from polku.synth.truth import effects_table

AREA_COUNT = 45
"""Finland's employment areas from 1 January 2025."""
SHARED_TABLES = ("service",)
"""Tables the same in every area (the national service catalogue): written once, not by area."""
SIZE_SIGMA = 0.8
"""Spread of the areas' log sizes: the largest area some twenty times the smallest."""

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class AreaProfile:
    """How one area differs from the filed assumptions."""

    area: str
    clients: int
    seed: int
    labour_market: float  # added to the re-employment log-odds
    other_language_share: float
    male_share: float
    referral_factors: dict[str, float]  # multiply each service's referral rate
    effect_factors: dict[str, float]  # multiply each service's effect after it

    def overrides(self) -> dict[str, Any]:
        """The area's parameters, by dotted path, in place of the filed ones."""
        hazard = copy.deepcopy(value("hazards.employment"))
        hazard["intercept"] += self.labour_market
        languages = dict(value("population.language_shares"))
        rest = 1.0 - self.other_language_share
        native = languages["fi"] + languages["sv"]
        languages = {
            "fi": rest * languages["fi"] / native,
            "sv": rest * languages["sv"] / native,
            "other": self.other_language_share,
        }
        selection = copy.deepcopy(value("services.selection"))
        for code, factor in self.referral_factors.items():
            selection[code]["base"] *= factor
        effects = copy.deepcopy(value("services.effects"))
        for code, factor in self.effect_factors.items():
            effects[code]["after"] = [round(x * factor, 6) for x in effects[code]["after"]]
        return {
            "area.area_id": self.area,
            "hazards.employment": hazard,
            "population.language_shares": languages,
            "population.male_share": self.male_share,
            "services.selection": selection,
            "services.effects": effects,
        }


def area_sizes(clients: int, areas: int, seed: int) -> list[int]:
    """Clients per area: lognormal weights, at least 100 each, summing to `clients`."""
    weights = np.exp(np.random.default_rng([seed, 45]).normal(0.0, SIZE_SIGMA, areas))
    sizes = np.maximum(np.floor(clients * weights / weights.sum()).astype(np.int64), 100)
    sizes[int(np.argmax(sizes))] += clients - int(sizes.sum())
    return [int(n) for n in sizes]


def area_profile(index: int, clients: int, seed: int) -> AreaProfile:
    """Area `index` (0-based) of the register drawn from `seed`: the same seed, the same areas."""
    g = np.random.default_rng([seed, 19, index])
    codes = list(value("services.catalogue"))
    return AreaProfile(
        area=f"A{index + 1:02d}",
        clients=clients,
        seed=seed * 1000 + index,
        labour_market=round(float(g.uniform(-0.35, 0.35)), 4),
        other_language_share=round(float(g.uniform(0.02, 0.20)), 4),
        male_share=round(float(g.uniform(0.50, 0.60)), 4),
        referral_factors={c: round(float(g.uniform(0.5, 1.5)), 4) for c in codes},
        effect_factors={c: round(float(g.uniform(0.4, 1.6)), 4) for c in codes},
    )


def _simulated(profile: AreaProfile) -> Area:
    """One area simulated under its profile (the effect tables, cached per process, are
    rebuilt for it and again afterwards)."""
    with overridden(profile.overrides()):
        service_model._effect_tables.cache_clear()
        try:
            timeline = Timeline.from_assumptions()
            sim = simulate(draw_population(profile.clients, profile.seed, timeline), timeline, profile.seed, lambda f: None)
            area = Area(sim, profile.seed)
            tables = {name: build() for name, build in _builders(area).items()}
            tables["ground_truth_effects"] = effects_table(area)
        finally:
            service_model._effect_tables.cache_clear()
    area.national_tables = tables  # type: ignore[attr-defined]
    return area


def pseudonyms(hetus: pa.Array, area: str, seed: int) -> pa.Array:
    """Each synthetic identity code as a UUID (SHA-256 of area, seed and code), as text."""
    salt = f"polku-national:{seed}:{area}:"
    return pa.array(
        [
            None if h is None else str(uuid.UUID(bytes=hashlib.sha256((salt + h).encode()).digest()[:16]))
            for h in hetus.to_pylist()
        ],
        type=pa.string(),
    )


def register_table(columns: dict[str, pa.Array], area: str, seed: int) -> pa.Table:
    """One table of one area as the register holds it: `person_id` for the identity code,
    the area's own ids (spells, episodes, providers, teams, case workers) prefixed with the
    area so that they are unique nationally."""
    out: dict[str, pa.Array] = {}
    for name, values in columns.items():
        if name == "hetu":
            out["person_id"] = pseudonyms(values, area, seed)
        elif name.endswith("_id") and pa.types.is_string(values.type) and name != "area_id":
            out[name] = pc.if_else(pc.is_null(values), values, pc.binary_join_element_wise(area + "-", values, ""))
        else:
            out[name] = values
    return pa.table(out)


def _write_area(out_dir: Path, profile: AreaProfile, seed: int, first: bool) -> dict[str, int]:
    area = _simulated(profile)
    rows: dict[str, int] = {}
    for name, columns in area.national_tables.items():  # type: ignore[attr-defined]
        if name in SHARED_TABLES:
            if first:
                pq.write_table(pa.table(columns), out_dir / f"{name}.parquet", compression="zstd")
            continue
        table = register_table(columns, profile.area, seed)
        folder = out_dir / name / f"area={profile.area}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, folder / "part-0.parquet", compression="zstd")
        rows[name] = table.num_rows
    return rows


LABOUR_MARKET_TABLE = "area_labour_market"
BASE_UNEMPLOYMENT_RATE = 9.0
"""Per cent: about mainland Finland's unemployment rate in 2024-2025 (Statistics Finland,
Labour Force Survey, trend 8.5-9.8 %)."""
RATE_PER_LABOUR_MARKET = 1.2
"""How strongly an area's published unemployment rate follows its labour market (the log
rate falls by 1.2 per unit of the re-employment log-odds shift): an assumption that puts the
register's areas between about 6 % and 14 %, the spread of the ELY centres' areas in the
Ministry's employment bulletins (Työllisyyskatsaus)."""
RATE_NOISE = 0.05
"""The published rate is not the labour market itself: 5 % noise on the log scale."""


def labour_market_rows(profiles: list[AreaProfile], seed: int) -> pa.Table:
    """Each area's unemployment rate as a statistics office publishes it for the area: the
    observable trace of its labour market (the generator's latent `labour_market`, which no
    analysis reads), so that a national comparison can adjust for it, as jobindsats does."""
    g = np.random.default_rng([seed, 77])
    rates = [
        round(BASE_UNEMPLOYMENT_RATE * float(np.exp(-RATE_PER_LABOUR_MARKET * p.labour_market + g.normal(0.0, RATE_NOISE))), 1)
        for p in profiles
    ]
    return pa.table(
        {
            "area": pa.array([p.area for p in profiles], pa.string()),
            "unemployment_rate": pa.array(rates, pa.float64()),
            "source": pa.array(["synthetic: polku.synth.national.labour_market_rows"] * len(profiles), pa.string()),
        }
    )


@dataclass(frozen=True)
class NationalResult:
    out_dir: Path
    rows: dict[str, int]
    areas: int


def profiles(areas: int, clients: int, seed: int) -> Iterator[AreaProfile]:
    for index, size in enumerate(area_sizes(clients, areas, seed)):
        yield area_profile(index, size, seed)


def generate_national(*, areas: int, clients: int, seed: int, out_dir: Path, progress: Progress | None = None) -> NationalResult:
    """Simulate `areas` areas with `clients` clients in all and write the register as
    Parquet partitioned by area into `out_dir`, one area at a time; a manifest names every
    area's profile (its ground truth is in `ground_truth_effects/area=.../`)."""
    if not 1 <= areas <= 100 or clients < 100 * areas:
        raise UsageError(
            f"cannot generate {clients} clients in {areas} areas", fix="give 1 to 100 areas and at least 100 clients per area."
        )
    report = progress or (lambda step, fraction: None)
    out_dir = prepare_folder(out_dir)
    tables = [*IMPORT_ORDER, "ground_truth_effects"]
    for name in tables:  # a rerun into the same folder leaves no area of the last run behind
        shutil.rmtree(out_dir / name, ignore_errors=True)
    stub = {"generator": "polku.synth.national", "generator_version": GENERATOR_VERSION, "complete": False}
    (out_dir / FOLDER_MANIFEST).write_text(json.dumps(stub) + "\n", encoding="utf-8")
    totals: dict[str, int] = {}
    written = []
    drawn = list(profiles(areas, clients, seed))
    pq.write_table(labour_market_rows(drawn, seed), out_dir / f"{LABOUR_MARKET_TABLE}.parquet", compression="zstd")
    for i, profile in enumerate(drawn):
        report(f"area {profile.area}", i / areas)
        for name, count in _write_area(out_dir, profile, seed, first=i == 0).items():
            totals[name] = totals.get(name, 0) + count
        written.append(asdict(profile))
    manifest = {
        "generator": "polku.synth.national",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "clients": clients,
        "areas": written,
        "rows": totals,
        "tables": [*tables, LABOUR_MARKET_TABLE],
        "extraction_date": value("period.extraction_date"),
    }
    (out_dir / FOLDER_MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    report("done", 1.0)
    return NationalResult(out_dir, totals, areas)
