"""The targeting checks find mis-targeting built into a synthetic area and do not flag the
correctly targeted default (issue 17 point 6: "the checks must find it").

Two areas of the same seed and size: the default, whose referrals follow the synthetic
menu; and one with `Targeting(service="IPS", to_group="recent_work", left_out=("older",))`:
IPS given mostly to job seekers on an earnings-related allowance, and nobody aged 55 or
over referred to any service. Each area is generated, imported and grouped once.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from polku.cohort.build import data_end
from polku.groups.assign import with_groups
from polku.groups.config import load_groups
from polku.groups.rows import group_rows
from polku.identity import load_key
from polku.ingest import import_folder
from polku.menu import load_menu, menu_tables
from polku.store import open_store
from polku.synth import generate
from polku.synth.params import NO_MISTARGETING, Targeting

CLIENTS, SEED = 900, 3
MISTARGETED = Targeting(service="IPS", to_group="recent_work", left_out=("older",))


def _checks(root: Path, targeting: Targeting) -> dict[str, pd.DataFrame]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POLKU_PSEUDONYM_KEY", "5e" * 32)
        generate(clients=CLIENTS, seed=SEED, out_dir=root / "synthetic", targeting=targeting)
        with open_store(root / "polku.duckdb") as store:
            import_folder(store, root / "synthetic", key=load_key())
    config = load_groups()
    with open_store(root / "polku.duckdb", read_only=True) as store:
        frame, as_of = with_groups(group_rows(store), config), data_end(store)
    return menu_tables(frame, config, load_menu(config), pd.Timestamp(as_of))


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    return _checks(tmp_path_factory.mktemp("default"), NO_MISTARGETING)


@pytest.fixture(scope="module")
def mistargeted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    return _checks(tmp_path_factory.mktemp("mistargeted"), MISTARGETED)


@pytest.mark.slow
def test_the_correctly_targeted_default_is_not_flagged(default: dict[str, pd.DataFrame]) -> None:
    targeting = default["menu_targeting"].set_index("service_code")
    assert not targeting["flagged"].any(), targeting
    assert targeting.loc["IPS", "intended"] == targeting.loc["IPS", "participants"] > 0
    assert not default["menu_unserved"]["flagged"].any()


@pytest.mark.slow
def test_the_built_in_mistargeting_is_found(mistargeted: dict[str, pd.DataFrame]) -> None:
    targeting = mistargeted["menu_targeting"].set_index("service_code")
    assert targeting["flagged"].to_dict() == {service: service == "IPS" for service in targeting.index}
    assert targeting.loc["IPS", "intended"] < 0.5 * targeting.loc["IPS", "participants"]
    participants = mistargeted["menu_participants"]
    ips = participants[participants["service_code"] == "IPS"].set_index("group")["participants"]
    assert ips.idxmax() == "recent_work"
    unserved = mistargeted["menu_unserved"].set_index("group")
    assert unserved["flagged"].to_dict() == {g: g == "older" for g in unserved.index}
    assert unserved.loc["older", "registrations"] > 0 and unserved.loc["older", "starts"] <= 1


def test_the_referral_chances_with_the_mistakes_built_in() -> None:
    """Known answer: IPS (column 1) becomes 0.03 for recent_work and a tenth elsewhere; the
    older client's chances all become 0; the default changes nothing."""
    import numpy as np

    from polku.synth.service_state import mistargeted

    p = np.full((3, 6), 0.02)
    groups = np.array(["recent_work", "youth", "older"], dtype=object)
    got = mistargeted(p, groups, MISTARGETED)
    assert got[0].tolist() == [0.02, 0.03, 0.02, 0.02, 0.02, 0.02]
    assert got[1].tolist() == pytest.approx([0.02, 0.002, 0.02, 0.02, 0.02, 0.02])
    assert got[2].tolist() == [0.0] * 6 and p[2, 0] == 0.02  # the input is left alone
    assert np.array_equal(mistargeted(p, groups, NO_MISTARGETING), p) and not NO_MISTARGETING.active
    assert MISTARGETED.to_dict()["left_out"] == ["older"] and NO_MISTARGETING.to_dict() == {}
