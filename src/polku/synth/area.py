"""The simulated area as the writers see it: both worlds' spells, codes and organisation.

Built once from a `Simulation`; every table writer and the ground truth read from here,
so they all agree on which spells exist and what the export shows on the extraction day.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa

from polku.synth.identities import synthetic_hetus
from polku.synth.organisation import Organisation, organise
from polku.synth.paths import Simulation
from polku.synth.population import Population
from polku.synth.records import Jobs, Registrations, jobs, registrations
from polku.synth.service_state import ServiceState
from polku.synth.timeline import Timeline


@dataclass
class Area:
    sim: Simulation
    seed: int

    @property
    def pop(self) -> Population:
        return self.sim.population

    @property
    def timeline(self) -> Timeline:
        return self.sim.timeline

    @property
    def services(self) -> ServiceState:
        return self.sim.services

    @property
    def extraction(self) -> int:
        return self.timeline.extraction

    @cached_property
    def regs(self) -> Registrations:
        return registrations(self.sim.observed)

    @cached_property
    def jobs(self) -> Jobs:
        return jobs(self.sim.observed)

    @cached_property
    def counterfactual_jobs(self) -> Jobs:
        return jobs(self.sim.counterfactual)

    @cached_property
    def hetu(self) -> pa.Array:
        """Identity code of every client (index = client sequence - 1)."""
        return pa.array(synthetic_hetus(self.pop, self.seed).astype(object), type=pa.string())

    def hetus(self, person: np.ndarray) -> pa.Array:
        return self.hetu.take(pa.array(np.asarray(person, dtype=np.int64)))

    @cached_property
    def org(self) -> Organisation:
        return organise(self.pop, self.regs, self.timeline.month_starts, self.extraction, self.seed)

    @cached_property
    def episodes(self) -> np.ndarray:
        """Clients with an exported service episode (started by the extraction day), in order."""
        s = self.services
        return np.flatnonzero((s.service >= 0) & (s.start_day <= self.extraction))
