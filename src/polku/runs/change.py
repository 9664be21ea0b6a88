"""The effects on change of the store's latest analysis run, for `polku change`.

Why here and not in `polku.change`: the change package computes (it is imported by the
report's sections, which a run stores); reading a stored run belongs to the runs package,
so that no package imports itself through others.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from polku.change.record import effects_record
from polku.runs.read import list_runs


def run_effects(store_path: Path) -> dict[str, Any]:
    """The effects record of the store's latest analysis run (views read runs and never
    fit), with its `run_id`; empty, with `run_id` None, when no run holds the tables."""
    runs = list_runs(store_path)
    run = runs[-1] if runs else None
    if run is None or not {"change_effects", "change_work"} <= set(run.tables):
        return {"run_id": None, "effects": [], "work": [], "goal_effects": []}
    return {"run_id": run.run_id} | effects_record(run.tables)
