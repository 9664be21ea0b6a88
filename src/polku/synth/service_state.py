"""Who is in which service episode: referral, start, provider, and how the episode ends.

Each client has at most one episode (see `paths`). Starting one is the moment the two
worlds split: the person's observed state is copied into the world without the service
before anything about the service changes it, so both histories agree up to the start.
A wage-subsidy episode *is* a job: the registration ends (reason `subsidised_job`) and a
subsidised employment spell runs until the planned end, a dropout or the job's end.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from polku.synth import codes
from polku.synth.behaviour import behave
from polku.synth.draw import categorical_rows
from polku.synth.hazards import SpellState, client_group, potential_lp, standardised_potential
from polku.synth.jobs import draw_jobs
from polku.synth.params import Targeting, value
from polku.synth.services import (
    AVERAGE_MONTH_DAYS,
    IPS,
    WSUB,
    choose_provider,
    planned_months,
    providers,
    start_probabilities,
)

if TYPE_CHECKING:  # pragma: no cover - imported for type hints only
    from polku.groups.config import GroupConfig
    from polku.synth.paths import Month
    from polku.synth.world import World

NOT_ENDED = -1
INTERRUPTED, COMPLETED = 0, 1

_FIELDS: dict[str, tuple[type, float]] = {
    "service": (np.int8, -1),
    "group": (np.int8, -1),
    "provider": (np.int8, -1),
    "quality": (np.float32, 1.0),
    "strength": (np.float32, 1.0),
    "potential": (np.float32, np.nan),
    "start_month": (np.int16, -1),
    "referral_day": (np.int64, -1),
    "start_day": (np.int64, -1),
    "planned": (np.int16, 0),
    "effect_months": (np.int16, 0),
    "planned_end_day": (np.int64, -1),
    "end_day": (np.int64, NOT_ENDED),
    "completed": (np.int8, -1),
    "reg_id": (np.int64, -1),
    "refused_by": (np.int8, -1),  # issue 18: the provider that refused the referral (polku.synth.behaviour)
    "parked": (np.bool_, False),  # issue 18: taken on but not served
}


@dataclass
class ServiceState:
    """One slot per client (index = client sequence - 1); `service` -1 = never served.

    `strength` scales the true effect: the provider's quality, reduced in proportion to
    the planned months actually received when the episode is interrupted (a dropout after
    one month of a six-month course gets a sixth of its benefit). `effect_months` is when
    the "during" effect gives way to the "after" effect.
    """

    service: np.ndarray
    group: np.ndarray
    provider: np.ndarray
    quality: np.ndarray
    strength: np.ndarray
    potential: np.ndarray
    start_month: np.ndarray
    referral_day: np.ndarray
    start_day: np.ndarray
    planned: np.ndarray
    effect_months: np.ndarray
    planned_end_day: np.ndarray
    end_day: np.ndarray
    completed: np.ndarray
    reg_id: np.ndarray
    refused_by: np.ndarray
    parked: np.ndarray

    @classmethod
    def empty(cls, n: int) -> ServiceState:
        return cls(**{name: np.full(n, fill, dtype=dtype) for name, (dtype, fill) in _FIELDS.items()})

    def active(self) -> np.ndarray:
        """Persons whose episode has started and not ended."""
        return np.flatnonzero((self.service >= 0) & (self.end_day == NOT_ENDED))

    def finish(self, idx: np.ndarray, day: np.ndarray, completed: np.ndarray | bool, month: int | None = None) -> None:
        """End the episodes of `idx` on `day` (last day in the service), once.

        With `month`, an interruption also shortens the effect to the months received.
        """
        idx, day = np.asarray(idx), np.asarray(day)
        completed = np.broadcast_to(np.asarray(completed, dtype=bool), idx.shape)
        open_ = self.end_day[idx] == NOT_ENDED
        idx, day, completed = idx[open_], day[open_], completed[open_]
        self.end_day[idx] = day
        self.completed[idx] = np.where(completed, COMPLETED, INTERRUPTED)
        if month is None:
            return
        received = np.clip(month - self.start_month[idx] + 1, 1, self.planned[idx])
        cut = ~completed & (received < self.planned[idx])
        shares = received / np.maximum(self.planned[idx], 1)
        self.strength[idx] = np.where(cut, self.strength[idx] * shares, self.strength[idx])
        self.effect_months[idx] = np.where(cut, received, self.effect_months[idx])


# --- starting ------------------------------------------------------------------------------


def _candidates(world: World, mo: Month) -> np.ndarray:
    """Unemployed clients settled before this month who have never had a service and do not
    retire this month (turn 65 by the next month's start)."""
    unemployed = (world.state == codes.UNEMPLOYED) & (world.since < mo.first_day)
    idx = np.flatnonzero(unemployed & (mo.services.service < 0))
    return idx[~mo.retiring(idx)]


def _choose(world: World, idx: np.ndarray, mo: Month) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Who is referred this month, to which service, and their potential at the start."""
    pop = mo.pop
    spell = world.spell_state(idx, mo.m)
    lp = potential_lp(pop, idx, mo.age(idx), spell)
    basic_support = np.isin(world.benefit[idx], (codes.BENEFIT_SUBSIDY, codes.BENEFIT_NONE))
    p = start_probabilities(
        standardised_potential(lp),
        pop.pwa[idx],
        pop.rural[idx],
        mo.age(idx),
        pop.education[idx],
        pop.language[idx],
        spell.duration,
        spell.prev36,
        basic_support,
        mo.first_day,
    )
    if mo.targeting.active:
        p = mistargeted(p, referral_groups(world, idx, mo, spell), mo.targeting)
    total = p.sum(axis=1)
    go = mo.draws.u("service")[idx] < total
    shares = p[go] / total[go, None]
    service = categorical_rows(mo.draws.u("service_choice")[idx[go]], shares)
    return idx[go], service, lp[go]


@cache
def _group_config(path: str | None) -> GroupConfig:
    """The targeting's group file (the shipped default when none), read once."""
    from polku.groups.config import default_path, load_groups

    return load_groups(Path(path) if path else default_path())


_PAYER = {codes.BENEFIT_EARNINGS: "unemployment_fund", codes.BENEFIT_BASIC: "kela", codes.BENEFIT_SUBSIDY: "kela"}


def referral_groups(world: World, idx: np.ndarray, mo: Month, spell: SpellState) -> np.ndarray:
    """Each candidate's client group (the targeting's group file) on the generator's state,
    with the variables the store shows (`polku.groups.rows`)."""
    from polku.groups.config import assign

    config = _group_config(mo.targeting.groups_file)
    variables = {
        "age": mo.age(idx),
        "education": np.array(codes.EDUCATION, dtype=object)[mo.pop.education[idx]],
        "months_unemployed_prev36": spell.prev36.astype(float),
        "spell_months": spell.duration.astype(float),
        "benefit_payer": np.array([_PAYER.get(int(b), "none") for b in world.benefit[idx]], dtype=object),
        "activity_before": np.array(codes.ACTIVITY, dtype=object)[world.activity[idx]],
        "partial_work_ability": mo.pop.pwa[idx].astype(object),
    }
    return assign(config, variables, len(idx))


def mistargeted(p: np.ndarray, groups: np.ndarray, targeting: Targeting) -> np.ndarray:
    """Monthly referral chances (n, services) with the targeting's mistakes built in."""
    p = p.copy()
    if targeting.service is not None:
        s = codes.SERVICES.index(targeting.service)
        p[:, s] = np.where(groups == targeting.to_group, targeting.rate, p[:, s] * targeting.keep)
    p[np.isin(groups, targeting.left_out)] = 0.0
    return p


def _record(s: ServiceState, world: World, idx: np.ndarray, service: np.ndarray, lp: np.ndarray, mo: Month) -> None:
    """Write the new episodes into the state (dates, provider, group, plan)."""
    draws, rural = mo.draws, mo.pop.rural[idx]
    # Never the month's last day: an exit in the same month must fall after the start.
    span = mo.timeline.days_in(mo.m) - 1
    start = mo.first_day + np.minimum((draws.u("service_day")[idx] * span).astype(np.int64), span - 1)
    low, high = value("services.referral_lead_days")
    lead = low + (draws.u("referral")[idx] * (high - low + 1)).astype(np.int64)
    planned = planned_months(service, draws.u("service_length")[idx])
    provider = choose_provider(service, rural, mo.first_day, draws.u("provider")[idx], draws.u("provider_rural")[idx])
    provider, s.refused_by[idx], s.parked[idx] = behave(idx, service, lp, provider, mo)
    quality = np.where(s.parked[idx], 0.0, providers().quality[provider])
    s.service[idx], s.group[idx], s.provider[idx], s.potential[idx] = service, client_group(lp), provider, lp
    s.quality[idx] = s.strength[idx] = quality
    s.start_month[idx], s.start_day[idx] = mo.m, start
    s.referral_day[idx] = np.maximum(world.since[idx], start - lead)
    s.planned[idx] = s.effect_months[idx] = planned
    s.planned_end_day[idx] = start + np.round(planned * AVERAGE_MONTH_DAYS).astype(np.int64) - 1
    s.reg_id[idx] = world.reg_id[idx]


def _start_subsidised_jobs(world: World, idx: np.ndarray, mo: Month) -> None:
    """A wage-subsidy episode starts as subsidised employment that runs to the planned end."""
    s = mo.services
    day = s.start_day[idx]
    world.end_registration(idx, day - 1, codes.SUBSIDISED_JOB)
    jobs = draw_jobs(mo.pop, idx, mo.age(idx), mo.year, day, mo.draws, np.zeros(len(idx), dtype=bool), subsidised=True)
    world.start_job(idx, day, replace(jobs, end_day=s.planned_end_day[idx].copy()), subsidised=True)


def start_services(observed: World, counterfactual: World, mo: Month) -> np.ndarray:
    """Refer and start this month's episodes; returns the persons whose worlds split now.

    No episode starts after the extraction month: the export cannot show it, and the
    ground truth is defined for exported episodes only.
    """
    if mo.m > mo.timeline.extraction_month:
        return np.zeros(0, dtype=np.int64)
    idx, service, lp = _choose(observed, _candidates(observed, mo), mo)
    _record(mo.services, observed, idx, service, lp, mo)
    counterfactual.copy_from(observed, idx)
    _start_subsidised_jobs(observed, idx[service == WSUB], mo)
    return idx


# --- ending --------------------------------------------------------------------------------


def _exit_days(mo: Month, idx: np.ndarray, left_u: tuple, left_job: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Last service day and 'completed' flag implied by leaving the register or a job.

    Leaving unemployment ends every episode but IPS, which follows the client into work;
    a job found counts as completing it. IPS ends when its client leaves for anything but
    work. The sentinel day is a large number (no exit this month).
    """
    far = np.iinfo(np.int64).max
    day, done = np.full(len(idx), far, dtype=np.int64), np.zeros(len(idx), dtype=bool)
    position = np.full(mo.pop.size, -1, dtype=np.int64)
    position[idx] = np.arange(len(idx))
    persons, exit_day, reason = left_u
    at = position[persons]
    ips = mo.services.service[persons] == IPS
    ends = (at >= 0) & (~ips | (reason != codes.OPEN_JOB))
    day[at[ends]], done[at[ends]] = exit_day[ends] - 1, reason[ends] == codes.OPEN_JOB
    persons, last_day, follow = left_job
    at = position[persons]
    gone = (at >= 0) & np.isin(follow, (codes.AFTER_UNKNOWN, codes.AFTER_MOVED, codes.AFTER_PENSION))
    day[at[gone]] = np.minimum(day[at[gone]], last_day[gone])
    return day, done


def end_services(mo: Month, left_u: tuple, left_job: tuple) -> None:
    """End episodes this month at the earliest of: planned end, dropout, or leaving.

    Wage-subsidy episodes end with their subsidised job (see `paths.employed_step`).
    """
    s = mo.services
    idx = s.active()
    idx = idx[s.service[idx] != WSUB]
    if not len(idx):
        return
    next_month = mo.timeline.month_starts[mo.m + 1]
    far = np.iinfo(np.int64).max
    planned = np.where(s.planned_end_day[idx] < next_month, s.planned_end_day[idx], far)
    rates = np.array([value("services.dropout_per_month")[name] for name in codes.SERVICES])[s.service[idx]]
    drop = mo.draws.u("dropout")[idx] < rates
    drop_day = np.where(drop, mo.timeline.day_in(mo.m, mo.draws.u("dropout_day")[idx], s.start_day[idx]), far)
    exit_day, exit_done = _exit_days(mo, idx, left_u, left_job)
    day = np.minimum(np.minimum(planned, drop_day), exit_day)
    ending = day < far
    completed = (day == planned) | ((day == exit_day) & exit_done)
    s.finish(idx[ending], day[ending], completed[ending], month=mo.m)
