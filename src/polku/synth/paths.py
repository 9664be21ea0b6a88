"""Monthly simulation of every client's path, in the observed world and without the service.

Each month, for the persons in each state at the start of the month:
unemployed -> (referral to a service) -> job / education / out of the labour force /
pension / moved / self-employment / unknown; employed -> contract ends -> next contract /
registration / out of sight / moved / pension; out of the labour force -> registration.
At most one service episode per person keeps potential outcomes well defined: the world
without the service is the observed world with that one episode cancelled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from polku.synth import codes
from polku.synth.draw import categorical, logistic
from polku.synth.hazards import calendar_lp, other_exit_probabilities, potential_lp
from polku.synth.jobs import draw_jobs, full_time_wage
from polku.synth.params import NO_MISTARGETING, Targeting, value
from polku.synth.population import Population
from polku.synth.service_state import ServiceState, end_services, start_services
from polku.synth.services import IPS, WSUB, continue_with_employer, effect_lp, ips_job_end_factor
from polku.synth.streams import MonthDraws
from polku.synth.timeline import Timeline
from polku.synth.world import World

_EXIT_REASONS = np.array(
    [codes.OPEN_JOB, codes.EDUCATION_EXIT, codes.OUT_OF_LF, codes.PENSION, codes.MOVED, codes.SELF_EMPLOYMENT, codes.UNKNOWN],
    dtype=np.int8,
)
_MAX_EXIT = 0.9
_PENSION_EXIT = int(np.flatnonzero(_EXIT_REASONS == codes.PENSION)[0])


@dataclass(frozen=True)
class Simulation:
    population: Population
    timeline: Timeline
    observed: World
    counterfactual: World
    services: ServiceState


@dataclass
class Month:
    """What every step of one month needs."""

    m: int
    draws: MonthDraws
    pop: Population
    timeline: Timeline
    services: ServiceState
    targeting: Targeting = NO_MISTARGETING

    @property
    def first_day(self) -> int:
        return int(self.timeline.month_starts[self.m])

    @property
    def year(self) -> int:
        return self.timeline.year(self.m)

    def age(self, idx: np.ndarray) -> np.ndarray:
        return np.floor((self.first_day - self.pop.birth_day[idx]) / 365.25)

    @property
    def next_first_day(self) -> int:
        return int(self.timeline.month_starts[self.m + 1])

    def retiring(self, idx: np.ndarray, day: np.ndarray | None = None) -> np.ndarray:
        """Who turns 65 (the pension age limit) by the start of the month after `day`'s month
        (default: this month): such a person retires rather than registers, and a registered
        person retires on the birthday (see `unemployed_step`)."""
        if day is None:
            return self.pop.retirement_day[idx] <= self.next_first_day
        starts = self.timeline.month_starts
        month = np.minimum(self.timeline.month_of(day) + 1, len(starts) - 1)
        return self.pop.retirement_day[idx] <= starts[month]

    def ips_active(self, idx: np.ndarray, treated: bool) -> np.ndarray:
        if not treated:
            return np.zeros(len(idx), dtype=bool)
        s = self.services
        return (s.service[idx] == IPS) & (s.end_day[idx] < 0) & (s.start_month[idx] <= self.m)


# --- registration spells -------------------------------------------------------------------


def _entitlement(world: World, idx: np.ndarray, mo: Month) -> None:
    """Benefit at the start of a spell: new entitlement after 12 months' work, else carry on."""
    new = world.work_months[idx] >= 12
    fund = mo.pop.fund_member[idx]
    ent = np.where(new, np.where(fund, codes.BENEFIT_EARNINGS, codes.BENEFIT_BASIC), world.entitlement[idx])
    world.entitlement[idx] = ent
    world.days_used[idx] = np.where(new, 0.0, world.days_used[idx])
    world.wage_basis[idx] = np.where(new, world.last_wage[idx], world.wage_basis[idx])
    world.work_months[idx] = np.where(new, 0, world.work_months[idx])
    _set_benefit(world, idx, mo)


def _set_benefit(world: World, idx: np.ndarray, mo: Month) -> None:
    has = (world.entitlement[idx] > 0) & (world.days_used[idx] < value("benefits.maximum_days"))
    passes = mo.draws.u("means_test")[idx] < value("population.means_test_pass")
    basic = np.where(passes, codes.BENEFIT_SUBSIDY, codes.BENEFIT_NONE)
    world.benefit[idx] = np.where(has, world.entitlement[idx], basic)


def _prev36(world: World, idx: np.ndarray, mo: Month) -> np.ndarray:
    """Months unemployed in the 36 before month m: simulated history plus pre-entry history."""
    m, pop = mo.m, mo.pop
    simulated = world.history[idx, max(0, m - 36) : m].sum(axis=1)
    overlap = np.maximum(0, 36 - (m - pop.entry_month[idx]))
    carried = np.round(pop.prev36_0[idx] * overlap / 36.0)
    return np.minimum(simulated + carried, 36).astype(np.int16)


def register_again(world: World, idx: np.ndarray, day: np.ndarray, activity: np.ndarray, mo: Month) -> None:
    """Open a new registration spell after work or inactivity."""
    world.activity[idx] = activity
    world.prev36[idx] = _prev36(world, idx, mo)
    world.continuing[idx] = 0
    _entitlement(world, idx, mo)
    world.start_registration(idx, day, mo.timeline.month_of(day))


def enter(world: World, mo: Month) -> None:
    """First registration of the clients whose entry month this is.

    A client who turns 65 before the next month begins retires on the birthday: the spell
    ends at once (one day before it), since entrants take no step in their entry month.
    """
    pop = mo.pop
    idx = np.flatnonzero(pop.entry_month == mo.m)
    if not len(idx):
        return
    world.activity[idx] = pop.activity0[idx]
    world.prev36[idx] = pop.prev36_0[idx]
    world.continuing[idx] = pop.continuing0[idx]
    fund = pop.fund_member[idx]
    ent = np.where(pop.condition0[idx], np.where(fund, codes.BENEFIT_EARNINGS, codes.BENEFIT_BASIC), 0)
    world.entitlement[idx] = ent
    days = pop.continuing0[idx] * value("benefits.days_per_month")
    world.days_used[idx] = np.where(ent > 0, np.minimum(days, value("benefits.maximum_days")), 0.0)
    age = np.floor((pop.entry_day[idx] - pop.birth_day[idx]) / 365.25)
    wage = full_time_wage(pop, idx, age, mo.year, mo.draws.u("entry_wage")[idx])
    world.wage_basis[idx] = world.last_wage[idx] = np.round(wage, 2)
    _set_benefit(world, idx, mo)
    world.start_registration(idx, pop.entry_day[idx], mo.m)
    old = idx[mo.retiring(idx)]
    retire = pop.retirement_day[old]
    world.end_registration(old, retire - 1, codes.PENSION)
    _leave(world, old, retire, np.full(len(old), codes.PENSION, dtype=np.int8))


def count_month(world: World, idx: np.ndarray, m: int) -> None:
    """Unemployment history, benefit days used and months worked, at the start of month m."""
    unemployed = idx[world.state[idx] == codes.UNEMPLOYED]
    world.history[unemployed, m] = 1
    paid = unemployed[world.entitlement[unemployed] > 0]
    world.days_used[paid] += value("benefits.days_per_month")
    employed = idx[world.state[idx] == codes.EMPLOYED]
    world.work_months[employed] += 1


# --- unemployed ----------------------------------------------------------------------------


def _employment_lp(world: World, idx: np.ndarray, mo: Month, treated: bool) -> np.ndarray:
    spell = world.spell_state(idx, mo.m)
    lp = potential_lp(mo.pop, idx, mo.age(idx), spell)
    lp += calendar_lp(mo.year, mo.timeline.calendar_month(mo.m)) + mo.pop.frailty[idx]
    if treated:
        s = mo.services
        served = s.service[idx] >= 0
        k = np.where(served, mo.m - s.start_month[idx], 0)
        shift = effect_lp(np.maximum(s.service[idx], 0), np.maximum(s.group[idx], 0), k, s.effect_months[idx], s.strength[idx])
        lp += np.where(served, shift, 0.0)
    return lp


def unemployed_step(world: World, idx: np.ndarray, mo: Month, treated: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exits from unemployment this month; returns (persons, exit day, end reason)."""
    probs = np.column_stack(
        [
            logistic(_employment_lp(world, idx, mo, treated)),
            other_exit_probabilities(mo.pop, idx, mo.age(idx), world.activity[idx]),
        ]
    )
    total = probs.sum(axis=1, keepdims=True)
    probs = np.where(total > _MAX_EXIT, probs * _MAX_EXIT / total, probs)
    s = mo.services
    after = np.where(s.start_month[idx] == mo.m, s.start_day[idx], -1)
    probs = probs * _rest_of_month(mo, after, probs.sum(axis=1))[:, None]
    u = mo.draws.u("exit")[idx]
    dest = (u[:, None] >= np.cumsum(probs, axis=1)).sum(axis=1)
    day = mo.timeline.day_in(mo.m, mo.draws.u("exit_day")[idx], after)
    # From the 65th birthday nobody is registered: retire on it unless gone before.
    retire = mo.pop.retirement_day[idx]
    leaving = dest < probs.shape[1]
    forced = mo.retiring(idx) & (~leaving | (day >= retire))
    dest = np.where(forced, _PENSION_EXIT, dest)
    day = np.where(forced, retire, day)
    leaving |= forced
    idx, dest, day = idx[leaving], dest[leaving], day[leaving]
    reason = _EXIT_REASONS[dest]
    world.end_registration(idx, day - 1, reason)
    job = reason == codes.OPEN_JOB
    _begin_jobs(world, idx[job], day[job], mo, treated)
    _leave(world, idx[~job], day[~job], reason[~job])
    return idx, day, reason


def _rest_of_month(mo: Month, after: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Exit-probability factor for clients whose service starts this month (`after` >= 0).

    Their exit is placed after the start day, so they must get only the chance of someone
    still registered on that day of leaving in the rest of the month: with exits uniform
    over the month's days, P(exit in the q = days left / days of month | still here) =
    p q / (1 - p (1 - q)). Giving them the whole month's chance squeezed into the days
    left made every participant a little more likely to leave than a comparison person
    registered on the same day with the same covariates: a hidden advantage (worth 1-3
    points of employment within a year for services started late in a month) that no
    estimator could see and the ground truth carried into both worlds (docs/synthetic.md).
    """
    first, span = mo.first_day, mo.timeline.days_in(mo.m)
    q = (first + span - 1 - after) / span
    factor = q / (1.0 - total * (1.0 - q))
    return np.where(after >= 0, factor, 1.0)


def _begin_jobs(world: World, idx: np.ndarray, day: np.ndarray, mo: Month, treated: bool) -> None:
    jobs = draw_jobs(mo.pop, idx, mo.age(idx), mo.year, day, mo.draws, mo.ips_active(idx, treated))
    world.start_job(idx, day, jobs, subsidised=False)


def _leave(world: World, idx: np.ndarray, day: np.ndarray, reason: np.ndarray) -> None:
    gone = (reason == codes.PENSION) | (reason == codes.MOVED)
    world.state[idx] = np.where(gone, codes.GONE, codes.INACTIVE)
    world.inactive_kind[idx] = reason
    world.since[idx] = day


# --- employed ------------------------------------------------------------------------------


def _job_ends(world: World, idx: np.ndarray, mo: Month, treated: bool) -> tuple[np.ndarray, np.ndarray]:
    """Which jobs end this month and on which day (planned contract end or early end)."""
    next_month = mo.timeline.month_starts[mo.m + 1]
    planned_day = world.job_end_day[idx]
    planned = (planned_day >= 0) & (planned_day < next_month)
    p_end = np.full(len(idx), value("jobs.open_ended_end_probability"))
    p_end = np.where(mo.ips_active(idx, treated), p_end * ips_job_end_factor(), p_end)
    p_end = np.where(world.job_subsidised[idx], value("services.dropout_per_month")["WSUB"], p_end)
    early = mo.draws.u("job_end")[idx] < p_end
    early_day = mo.timeline.day_in(mo.m, mo.draws.u("job_end_day")[idx], world.since[idx])
    day = np.where(planned & early, np.minimum(planned_day, early_day), np.where(planned, planned_day, early_day))
    return planned | early, day


def employed_step(world: World, idx: np.ndarray, mo: Month, treated: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Jobs ending this month and what follows; returns (persons, last day, what followed)."""
    ended, day = _job_ends(world, idx, mo, treated)
    idx, day = idx[ended], day[ended]
    subsidised = world.job_subsidised[idx].copy()
    completed = subsidised & (day == world.job_end_day[idx])
    world.end_job(idx, day)
    if treated and subsidised.any():
        mo.services.finish(idx[subsidised], day[subsidised], completed[subsidised])
    follow = _after_job(idx, mo, treated, subsidised & completed)
    # Nobody registers in the month of turning 65 or later: retirement instead.
    follow = np.where((follow == _REGISTER) & mo.retiring(idx, day + 1), _PENSION, follow)
    _follow_job(world, idx, day, follow, mo, treated)
    return idx, day, follow


_NEXT, _REGISTER, _UNKNOWN, _MOVED, _PENSION = (
    codes.AFTER_NEXT,
    codes.AFTER_REGISTER,
    codes.AFTER_UNKNOWN,
    codes.AFTER_MOVED,
    codes.AFTER_PENSION,
)


def _after_job(idx: np.ndarray, mo: Month, treated: bool, subsidy_done: np.ndarray) -> np.ndarray:
    a = value("jobs.after_job")
    p = np.tile([a["next_job"], a["register"], a["unknown"], a["moved"]], (len(idx), 1))
    boost = np.where(mo.ips_active(idx, treated), value("services.effects")["IPS"]["next_job_factor"], 1.0)
    p[:, 0] *= boost
    if treated:
        s = mo.services
        cont = continue_with_employer(np.maximum(s.group[idx], 0), s.quality[idx])
        p[:, 0] = np.where(subsidy_done, cont / np.maximum(1 - cont, 1e-9) * p[:, 1:].sum(axis=1), p[:, 0])
    follow = categorical_from_rows(mo.draws.u("after_job")[idx], p)
    retire = (mo.age(idx) >= 63) & (mo.draws.u("continue_with_employer")[idx] < value("jobs.pension_after_job_age63"))
    return np.where(retire, _PENSION, follow)


def categorical_from_rows(u: np.ndarray, weights: np.ndarray) -> np.ndarray:
    p = weights / weights.sum(axis=1, keepdims=True)
    return (u[:, None] >= np.cumsum(p, axis=1)[:, :-1]).sum(axis=1)


def _follow_job(world: World, idx: np.ndarray, day: np.ndarray, follow: np.ndarray, mo: Month, treated: bool) -> None:
    nxt = follow == _NEXT
    _begin_jobs(world, idx[nxt], day[nxt] + 1, mo, treated)
    reg = follow == _REGISTER
    work = np.full(int(reg.sum()), codes.ACTIVITY.index("work"), dtype=np.int8)
    register_again(world, idx[reg], day[reg] + 1, work, mo)
    rest = ~(nxt | reg)
    kind = np.select([follow[rest] == _MOVED, follow[rest] == _PENSION], [codes.MOVED, codes.PENSION], codes.UNKNOWN)
    _leave(world, idx[rest], day[rest] + 1, kind.astype(np.int8))


# --- out of the labour force ---------------------------------------------------------------


def inactive_step(world: World, idx: np.ndarray, mo: Month) -> None:
    """Registration again from education, care, self-employment or an unknown activity.

    A person turning 65 by the start of the next month retires instead (state gone, pension).
    """
    rates = value("hazards.reentry")
    kind = world.inactive_kind[idx]
    p = np.select(
        [kind == codes.EDUCATION_EXIT, kind == codes.OUT_OF_LF, kind == codes.SELF_EMPLOYMENT],
        [rates["education"], rates["out_of_labour_force"], rates["self_employment"]],
        rates["unknown"],
    )
    back = mo.draws.u("reentry")[idx] < p
    idx, kind = idx[back], kind[back]
    day = mo.timeline.day_in(mo.m, mo.draws.u("reentry_day")[idx], world.since[idx])
    olf_keys = value("hazards.reentry_activity_from_out_of_labour_force")
    olf = np.array([codes.ACTIVITY.index(k) for k in olf_keys], dtype=np.int8)[
        categorical(mo.draws.u("reentry_activity")[idx], list(olf_keys.values()))
    ]
    activity = np.select(
        [kind == codes.EDUCATION_EXIT, kind == codes.OUT_OF_LF, kind == codes.SELF_EMPLOYMENT],
        [codes.ACTIVITY.index("study"), olf, codes.ACTIVITY.index("work")],
        codes.ACTIVITY.index("other"),
    ).astype(np.int8)
    old = mo.retiring(idx, day)
    _leave(world, idx[old], day[old], np.full(int(old.sum()), codes.PENSION, dtype=np.int8))
    register_again(world, idx[~old], day[~old], activity[~old], mo)


# --- the month loop ------------------------------------------------------------------------


def _active(world: World, mask: np.ndarray | None = None) -> np.ndarray:
    alive = (world.state != codes.NOT_YET) & (world.state != codes.GONE)
    return np.flatnonzero(alive if mask is None else alive & mask)


def _by_state(world: World, idx: np.ndarray, first_day: int) -> dict[int, np.ndarray]:
    """Persons in each state that began before this month (one transition per month)."""
    settled = idx[world.since[idx] < first_day]
    return {s: settled[world.state[settled] == s] for s in (codes.UNEMPLOYED, codes.EMPLOYED, codes.INACTIVE)}


def _steps(world: World, idx: np.ndarray, mo: Month, treated: bool) -> tuple[tuple, tuple]:
    groups = _by_state(world, idx, mo.first_day)
    left_unemployment = unemployed_step(world, groups[codes.UNEMPLOYED], mo, treated)
    left_job = employed_step(world, groups[codes.EMPLOYED], mo, treated)
    inactive_step(world, groups[codes.INACTIVE], mo)
    return left_unemployment, left_job


def simulate(
    pop: Population,
    timeline: Timeline,
    seed: int,
    progress: Callable[[float], None] | None = None,
    targeting: Targeting = NO_MISTARGETING,
) -> Simulation:
    """Run every month for both worlds; the same inputs always give the same logs.
    `targeting` builds mis-targeted referrals in (`polku.synth.params.Targeting`)."""
    n = pop.size
    observed, counterfactual = World(n, timeline.months), World(n, timeline.months)
    services = ServiceState.empty(n)
    diverged = np.zeros(n, dtype=bool)
    for m in range(timeline.months):
        mo = Month(m, MonthDraws(seed, m, n), pop, timeline, services, targeting)
        enter(observed, mo)
        count_month(observed, _active(observed), m)
        count_month(counterfactual, _active(counterfactual, diverged), m)
        started = start_services(observed, counterfactual, mo)
        diverged[started] = True
        left_u, left_job = _steps(observed, _active(observed), mo, treated=True)
        _steps(counterfactual, _active(counterfactual, diverged), mo, treated=False)
        end_services(mo, left_u, left_job)
        if progress is not None:
            progress((m + 1) / timeline.months)
    return Simulation(pop, timeline, observed, counterfactual, services)


__all__ = ["Simulation", "Month", "simulate", "register_again", "WSUB"]
