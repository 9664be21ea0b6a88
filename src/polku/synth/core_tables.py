"""The person, registration, employment and service-episode tables as the export shows them.

Only what was known on the extraction day is written: spells that started by then, with
empty end dates (and end reasons) when still open, and no planned date that lies after it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from polku.synth import codes
from polku.synth.area import Area
from polku.synth.csvout import dates, flags, identifiers, labels, money, numbers
from polku.synth.organisation import worker_columns
from polku.synth.params import value
from polku.synth.records import NO_DAY, censored_end, exported
from polku.synth.service_state import COMPLETED
from polku.synth.services import AVERAGE_MONTH_DAYS, providers

SEX = ("female", "male")


def person_table(area: Area) -> dict[str, pa.Array]:
    pop = area.pop
    birth = pop.birth_day.astype("datetime64[D]")
    known_isced = pop.isced >= 0
    return {
        "hetu": area.hetu,
        "birth_year": numbers(birth.astype("datetime64[Y]").astype(np.int64) + 1970, integer=True),
        "birth_month": numbers(birth.astype("datetime64[M]").astype(np.int64) % 12 + 1, integer=True),
        "sex": labels(SEX, pop.male.astype(np.int64)),
        "mother_tongue_group": labels(codes.LANGUAGE, pop.language),
        "municipality_code": labels(pop.municipality_codes, pop.municipality),
        "education_level": labels(codes.EDUCATION, pop.education),
        "isced_level": numbers(pop.isced, known_isced, integer=True),
        "partial_work_ability": flags(pop.pwa),
        "partial_work_ability_basis": labels(codes.PWA_BASIS, pop.pwa_basis),
    }


def registration_table(area: Area) -> dict[str, pa.Array]:
    r = area.regs
    keep = exported(r.start, area.extraction)
    end = censored_end(r.end[keep], area.extraction)
    reason = np.where(end == NO_DAY, -1, r.reason[keep])
    return {
        "spell_id": identifiers("R", np.arange(1, int(keep.sum()) + 1), 8),
        "hetu": area.hetus(r.person[keep]),
        "start_date": dates(r.start[keep]),
        "end_date": dates(end),
        "end_reason": labels(codes.END_REASONS, reason),
        "activity_before": labels(codes.ACTIVITY, r.activity[keep]),
        "months_unemployed_prev36": numbers(r.prev36[keep], integer=True),
        "current_spell_months": numbers(r.continuing[keep], integer=True),
    }


def employment_table(area: Area) -> dict[str, pa.Array]:
    j = area.jobs
    keep = exported(j.start, area.extraction)
    return {
        "employment_id": identifiers("J", np.arange(1, int(keep.sum()) + 1), 8),
        "hetu": area.hetus(j.person[keep]),
        "start_date": dates(j.start[keep]),
        "end_date": dates(censored_end(j.end[keep], area.extraction)),
        "weekly_hours": numbers(j.hours[keep]),
        "monthly_wage": money(j.wage[keep], ~j.wage_missing[keep]),
        "employer_sector": labels(codes.SECTOR, j.sector[keep]),
        "subsidised": flags(j.subsidised[keep]),
        "source": labels(codes.EMPLOYMENT_SOURCE, j.source[keep]),
    }


def episode_end(area: Area, person: np.ndarray) -> np.ndarray:
    """Last day in the service as exported: NO_DAY when still ongoing on extraction."""
    return censored_end(area.services.end_day[person], area.extraction)


def episode_status(area: Area, person: np.ndarray) -> np.ndarray:
    """Index into codes.COMPLETION of each episode on the extraction day."""
    end = episode_end(area, person)
    done = area.services.completed[person] == COMPLETED
    return np.where(end == NO_DAY, 2, np.where(done, 0, 1))


def episode_costs(area: Area, person: np.ndarray) -> np.ndarray:
    """Cost to the extraction day: the unit cost times the units received."""
    s = area.services
    catalogue = value("services.catalogue")
    unit = np.array([catalogue[c]["unit_cost"] for c in codes.SERVICES], dtype=np.float64)[s.service[person]]
    per = np.array([catalogue[c]["cost_unit"] for c in codes.SERVICES])[s.service[person]]
    end = episode_end(area, person)
    last = np.where(end == NO_DAY, area.extraction, end)
    months = np.ceil((last - s.start_day[person] + 1) / AVERAGE_MONTH_DAYS)
    per_day = unit * value("services.rehab_days_per_month") * months
    return np.select([per == "per_month", per == "per_day"], [unit * months, per_day], unit)


def episode_table(area: Area) -> dict[str, pa.Array]:
    """Every episode, then every refused referral (issue 18: `polku.synth.behaviour`)."""
    episodes, refusals = started_episodes(area), refusal_rows(area)
    return {name: pa.concat_arrays([episodes[name], refusals[name].cast(episodes[name].type)]) for name in episodes}


def refusal_rows(area: Area) -> dict[str, pa.Array]:
    """A refused referral: an episode that did not start, on the referral day, with the
    provider that refused it and referral_decision 'refused'; ids R + client sequence."""
    s = area.services
    person = area.episodes[s.refused_by[area.episodes] >= 0]
    day = s.referral_day[person]
    none = np.full(len(person), NO_DAY)
    return {
        "episode_id": identifiers("R", np.asarray(person) + 1, 7),
        "hetu": area.hetus(person),
        "service_code": labels(codes.SERVICES, s.service[person]),
        "provider_id": labels(providers().ids, s.refused_by[person]),
        "referral_date": dates(day),
        "start_date": dates(day),
        "planned_end_date": dates(none),
        "end_date": dates(none),
        "completion_status": pa.array(["did_not_start"] * len(person), type=pa.string()),
        "cost": money(np.zeros(len(person))),
        **worker_columns(area.org, person),
        "referral_decision": pa.array(["refused"] * len(person), type=pa.string()),
    }


def started_episodes(area: Area) -> dict[str, pa.Array]:
    s, person = area.services, area.episodes
    planned_end = np.where(s.planned_end_day[person] <= area.extraction, s.planned_end_day[person], NO_DAY)
    return {
        "episode_id": episode_ids(person),
        "hetu": area.hetus(person),
        "service_code": labels(codes.SERVICES, s.service[person]),
        "provider_id": labels(providers().ids, s.provider[person]),
        "referral_date": dates(s.referral_day[person]),
        "start_date": dates(s.start_day[person]),
        "planned_end_date": dates(planned_end),
        "end_date": dates(episode_end(area, person)),
        "completion_status": labels(codes.COMPLETION, episode_status(area, person)),
        "cost": money(episode_costs(area, person)),
        **worker_columns(area.org, person),
        "referral_decision": pa.array(["accepted"] * len(person), type=pa.string()),
    }


def episode_ids(person: np.ndarray) -> pa.Array:
    """Episode id from the client sequence number (one episode per client at most)."""
    return identifiers("E", np.asarray(person) + 1, 7)
