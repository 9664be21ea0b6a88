"""The creaming and parking monitors on synthetic areas, where the truth is known.

One area is generated with a creaming provider (LVP refuses 80 % of the referrals of
clients below standardised potential 1.0, who go to another provider the same day) and a
parking provider (PKK takes such clients but, for 80 % of them, records nothing and has no
effect): the monitors must flag exactly those two on coaching, the one service both
deliver. The default area has honest providers only: no flag on any service with more than
one provider. The views are the seed model's alone (`seed_model_views`), the same cohorts
and p_i as an analysis run's.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from polku.identity import create_key_file
from polku.ingest import import_folder
from polku.providers.tables import provider_tables, seed_model_views
from polku.store import open_store
from polku.synth import generate
from polku.synth.params import overridden

BEHAVIOUR = {
    "provider_behaviour.creaming": {"provider": "LVP", "refuse_share": 0.8, "below_potential": 1.0},
    "provider_behaviour.parking": {"provider": "PKK", "park_share": 0.8, "below_potential": 1.0},
}


def monitor_of(folder: Path, services: list[str], clients: int, behaviour: dict | None) -> pd.DataFrame:
    data, store_path = folder / "area", folder / "store" / "polku.duckdb"
    with overridden(behaviour or {}):
        generate(clients=clients, seed=0, out_dir=data)
    key = create_key_file(folder / "secrets" / "pseudonym.key")
    with open_store(store_path) as store:
        import_folder(store, data, key=key)
    with open_store(store_path, read_only=True) as store:
        views = seed_model_views(store, services=services)
        return provider_tables(store, views, outcome="employed_12m", seed=0, as_of=None)["providers_monitor"]


@pytest.mark.slow
def test_the_creaming_and_the_parking_provider_are_found(tmp_path: Path) -> None:
    table = monitor_of(tmp_path, ["COACH"], 3000, BEHAVIOUR).set_index("provider_id")
    assert table.index.tolist() == ["LVP", "PKK", "PUB", "TTP"]
    assert table["creaming_flag"].to_dict() == {"LVP": True, "PKK": False, "PUB": False, "TTP": False}
    assert table["parking_flag"].to_dict() == {"LVP": False, "PKK": True, "PUB": False, "TTP": False}
    assert table.loc["LVP", "refused"] > 20 and table.loc["LVP", "mean_expected"] > table.loc["LVP", "service_mean_expected"]
    assert table.loc["PKK", "parking_share_low"] > 0.5


@pytest.mark.slow
def test_honest_providers_of_the_default_area_are_not_flagged(tmp_path: Path) -> None:
    table = monitor_of(tmp_path, ["COACH", "IPS", "REHAB", "TRAIN", "WTRIAL"], 2000, None)
    assert len(table) >= 10
    assert not table["creaming_flag"].any() and not table["parking_flag"].any()
    assert (table["refused"] == 0).all() and (table["never_served"] == 0).all()


def test_only_filed_parameters_can_be_overridden() -> None:
    with pytest.raises(KeyError, match="cannot be overridden"), overridden({"providers.no_such_parameter": {}}):
        pass
