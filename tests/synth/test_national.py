"""The national register (`polku generate --areas N --format parquet`): partitioned by area,
pseudonymised, areas that differ, and each area's ground truth beside its data."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from polku.errors import UsageError
from polku.synth.national import area_profile, area_sizes, generate_national
from polku.synth.params import overridden, value


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("national") / "register"
    generate_national(areas=3, clients=900, seed=7, out_dir=folder)
    return folder


def test_sizes_add_up_and_differ() -> None:
    sizes = area_sizes(1_000_000, 45, 0)
    assert sum(sizes) == 1_000_000 and min(sizes) >= 100
    assert max(sizes) > 5 * min(sizes)  # uneven, as the real areas are


def test_each_table_is_partitioned_by_area_with_the_catalogue_once(register: Path) -> None:
    assert (register / "service.parquet").is_file()
    assert sorted(p.name for p in (register / "person").iterdir()) == ["area=A01", "area=A02", "area=A03"]
    persons = ds.dataset(register / "person", partitioning="hive").to_table()
    assert persons.num_rows == 900
    assert sorted(set(persons.column("area").to_pylist())) == ["A01", "A02", "A03"]


def test_persons_are_uuids_and_no_identity_code_is_written(register: Path) -> None:
    person = pq.read_table(next((register / "person" / "area=A01").glob("*.parquet")))
    assert "hetu" not in person.column_names
    ids = person.column("person_id").to_pylist()
    assert all(str(uuid.UUID(i)) == i for i in ids) and len(set(ids)) == len(ids)
    for path in register.rglob("*.parquet"):
        assert "hetu" not in pq.read_schema(path).names


def test_area_ids_are_prefixed_so_they_are_unique_nationally(register: Path) -> None:
    episodes = ds.dataset(register / "service_episode", partitioning="hive").to_table().to_pandas()
    assert episodes["episode_id"].is_unique
    assert (episodes["episode_id"].str[:3] == episodes["area"]).all()


def test_areas_differ_and_the_manifest_names_each_profile(register: Path) -> None:
    manifest = json.loads((register / "manifest.json").read_text())
    profiles = manifest["areas"]
    assert [p["area"] for p in profiles] == ["A01", "A02", "A03"]
    assert len({p["labour_market"] for p in profiles}) == 3
    assert profiles[0] == json.loads(json.dumps(area_profile(0, profiles[0]["clients"], 7).__dict__))
    truth = ds.dataset(register / "ground_truth_effects", partitioning="hive").to_table()
    assert sorted(set(truth.column("area").to_pylist())) == ["A01", "A02", "A03"]


def test_a_profile_changes_the_parameters_only_inside_its_block() -> None:
    profile = area_profile(2, 500, 1)
    filed = value("hazards.employment")["intercept"]
    with overridden(profile.overrides()):
        assert value("hazards.employment")["intercept"] == pytest.approx(filed + profile.labour_market)
        assert value("services.effects")["IPS"]["after"][0] == pytest.approx(0.20 * profile.effect_factors["IPS"], abs=1e-6)
        assert sum(value("population.language_shares").values()) == pytest.approx(1.0)
    assert value("hazards.employment")["intercept"] == filed


def test_too_few_clients_per_area_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="at least 100 clients per area"):
        generate_national(areas=5, clients=300, seed=0, out_dir=tmp_path / "r")
