"""Provider behaviour in the synthetic area: a provider that creams and one that parks.

Off by default (`provider_behaviour` in assumptions.yaml, provider null), so the default
area has honest providers only. Set with `polku.synth.params.overridden(...)`, e.g.
`overridden({"provider_behaviour.creaming": {"provider": "LVP", "refuse_share": 0.6,
"below_potential": 0.0}})`, to test that the monitors of `polku.providers.monitors` find
them:

- creaming: the provider refuses referrals of clients below a potential, who are referred
  the same day to another provider of the service (the refusal is kept as a record);
- parking: the provider takes clients below a potential but does nothing for some of them
  (no measurements, no goals, no effect).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from polku.synth import codes
from polku.synth.draw import weights
from polku.synth.hazards import standardised_potential
from polku.synth.params import value
from polku.synth.services import providers

if TYPE_CHECKING:  # pragma: no cover - imported for type hints only
    from polku.synth.area import Area
    from polku.synth.paths import Month


def _index(setting: dict) -> int:
    """The provider's index, or -1 when the behaviour is off."""
    return -1 if not setting.get("provider") else providers().ids.index(str(setting["provider"]))


def _redraw(service: np.ndarray, exclude: int, day: int, u: np.ndarray) -> np.ndarray:
    """Another provider of each service (area shares without `exclude`); -1 where none."""
    prov, by_service = providers(), value("providers.by_service")
    out = np.full(len(service), -1, dtype=np.int8)
    for s in np.unique(service):
        ids, w = weights(by_service[codes.SERVICES[s]])
        index = np.array([prov.ids.index(p) for p in ids], dtype=np.int8)
        w = w * (index != exclude) * (prov.available_from[index] <= day)
        if w.sum() <= 0:
            continue
        pick = service == s
        out[pick] = index[np.minimum(np.searchsorted(np.cumsum(w / w.sum()), u[pick], side="right"), len(ids) - 1)]
    return out


def behave(idx: np.ndarray, service: np.ndarray, lp: np.ndarray, provider: np.ndarray, mo: Month) -> tuple[np.ndarray, ...]:
    """(provider after any refusal, refused_by (-1 none), parked) for this month's new episodes."""
    z = standardised_potential(lp)
    refused_by = np.full(len(idx), -1, dtype=np.int8)
    creaming = value("provider_behaviour.creaming")
    creamer = _index(creaming)
    if creamer >= 0:
        refuse = (provider == creamer) & (z < creaming["below_potential"])
        refuse &= mo.draws.u("provider_refusal")[idx] < creaming["refuse_share"]
        other = _redraw(service, creamer, mo.first_day, mo.draws.u("provider_redraw")[idx])
        refuse &= other >= 0
        provider = np.where(refuse, other, provider).astype(np.int8)
        refused_by[refuse] = creamer
    parking = value("provider_behaviour.parking")
    parker = _index(parking)
    parked = np.zeros(len(idx), dtype=bool)
    if parker >= 0:
        parked = (provider == parker) & (z < parking["below_potential"]) & (mo.draws.u("parking")[idx] < parking["park_share"])
    return provider, refused_by, parked


def served_episodes(area: Area) -> np.ndarray:
    """The clients whose episode is actively served (every episode but parked ones): those
    who get measurements and goals."""
    person = area.episodes
    return person[~area.services.parked[person].astype(bool)]
