"""The generator's creaming switch: the creaming provider's referrals lose low-group clients
to the service's largest other provider, and with the switch off nothing changes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from polku.synth import generate
from polku.synth.params import creaming, creaming_setting


def _episodes(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "ground_truth_episodes.csv", dtype={"episode_id": str})


@pytest.fixture(scope="module")
def areas(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    root = tmp_path_factory.mktemp("creaming")
    generate(clients=1500, seed=3, out_dir=root / "plain")
    with creaming("LVP", 1.0):
        assert creaming_setting() == ("LVP", 1.0)
        generate(clients=1500, seed=3, out_dir=root / "cream")
    assert creaming_setting() is None
    generate(clients=1500, seed=3, out_dir=root / "again")
    return {name: _episodes(root / name) for name in ("plain", "cream", "again")}


def test_creaming_provider_takes_no_low_group_clients(areas: dict[str, pd.DataFrame]) -> None:
    plain, cream = areas["plain"], areas["cream"]
    low = lambda f: f[(f["provider_id"] == "LVP") & (f["client_group"] == "low")]  # noqa: E731
    assert len(low(plain)) > 0
    assert len(low(cream)) == 0  # refusal 1.0: every low-group referral goes elsewhere
    # the same episodes, only their provider moved: COACH's largest other provider is PUB (0.30)
    moved = plain.merge(cream, on="episode_id", suffixes=("", "_cream"))
    changed = moved[moved["provider_id"] != moved["provider_id_cream"]]
    assert set(changed["provider_id"]) == {"LVP"} and set(changed["client_group"]) == {"low"}
    assert set(changed.loc[changed["service_code"] == "COACH", "provider_id_cream"]) <= {"PUB"}


def test_switch_off_changes_nothing(areas: dict[str, pd.DataFrame]) -> None:
    pd.testing.assert_frame_equal(areas["plain"], areas["again"])
