"""The same data and seed give identical runs, with every registered report section (not the
test section): `polku analyse` twice over one store, the same `results_sha256` and the same
bytes in every table; another seed is recorded as such."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from polku.cli import main
from polku.runs import open_run


def _analyse(store_path: Path, seed: int) -> dict[str, object]:
    result = CliRunner().invoke(main, ["analyse", "--seed", str(seed), "--json", "--store", str(store_path)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert isinstance(payload, dict)
    return payload


@pytest.mark.slow
def test_polku_analyse_twice_gives_identical_runs(store_path: Path) -> None:
    first, second = _analyse(store_path, 11), _analyse(store_path, 11)
    assert first["run_id"] != second["run_id"]
    assert first["results_sha256"] == second["results_sha256"] and first["effects"] == second["effects"]
    a, b = open_run(store_path, str(first["run_id"])), open_run(store_path, str(second["run_id"]))
    assert a.provenance["tables"] == b.provenance["tables"]
    for name in a.tables:
        assert (a.folder / "tables" / f"{name}.parquet").read_bytes() == (b.folder / "tables" / f"{name}.parquet").read_bytes()
    other = open_run(store_path, str(_analyse(store_path, 12)["run_id"]))
    assert other.provenance["seed"] == 12 and other.provenance["imports"] == a.provenance["imports"]
