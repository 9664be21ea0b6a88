"""Services and providers: who is referred to what, by whom it is delivered, and what it does.

Selection (`start_probabilities`) depends only on exported covariates. True effects
(`effect_lp`) are log-odds shifts of the monthly re-employment hazard by service, client
group and months since start, with the positive part scaled by the provider's quality.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from polku.synth import codes
from polku.synth.draw import weights
from polku.synth.params import value
from polku.synth.timeline import day_number

N_SERVICES = len(codes.SERVICES)
IPS = codes.SERVICES.index("IPS")
WSUB = codes.SERVICES.index("WSUB")
AVERAGE_MONTH_DAYS = 30.4375


@dataclass(frozen=True)
class Providers:
    ids: tuple[str, ...]
    quality: np.ndarray
    available_from: np.ndarray


@cache
def providers() -> Providers:
    table = value("providers.list")
    ids = tuple(table)
    since = value("providers.available_from")
    return Providers(
        ids=ids,
        quality=np.array([table[p]["quality"] for p in ids], dtype=np.float64),
        available_from=np.array([day_number(since[p]) if p in since else -(10**9) for p in ids], dtype=np.int64),
    )


def months_range(service: int) -> tuple[int, int]:
    low, high = value("services.catalogue")[codes.SERVICES[service]]["months"]
    return int(low), int(high)


def planned_months(service: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Planned length in whole months, uniform over the service's range."""
    ranges = np.array([months_range(s) for s in range(N_SERVICES)], dtype=np.int64)
    low, high = ranges[service, 0], ranges[service, 1]
    return (low + np.minimum((u * (high - low + 1)).astype(np.int64), high - low)).astype(np.int16)


def start_probabilities(
    z: np.ndarray,
    pwa: np.ndarray,
    rural: np.ndarray,
    age: np.ndarray,
    education: np.ndarray,
    language: np.ndarray,
    duration: np.ndarray,
    prev36: np.ndarray,
    basic_support: np.ndarray,
    day: int,
) -> np.ndarray:
    """(n, 6) monthly referral probabilities of unemployed, never-served clients.

    `z` is the standardised potential; `basic_support` is True when the spell began on
    labour market subsidy or no benefit. Every input is an exported column or derived
    from exported columns.
    """
    s = value("services.selection")
    long_term = (duration >= 12) | (prev36 >= 24)
    coach = s["COACH"]["base"] * np.exp(s["COACH"]["potential"] * z + s["COACH"]["duration_per_month"] * np.minimum(duration, 36))
    ips_base = np.where(pwa, s["IPS"]["base"], np.where(long_term, s["IPS"]["base_without_pwa"], 0.0))
    ips = ips_base * np.exp(s["IPS"]["potential"] * z) * np.where(rural, s["IPS"]["rural_factor"], 1.0)
    ips = ips * (day >= day_number(value("services.ips_available_from")))
    t = s["TRAIN"]
    train = t["base"] * np.exp(t["potential"] * z) * np.where(age < 50, t["under50_factor"], 1.0)
    train = train * np.where(age >= 55, t["over55_factor"], 1.0) * np.where(language == 2, t["other_language_factor"], 1.0)
    w = s["WTRIAL"]
    trial = w["base"] * np.exp(w["potential"] * z) * np.where(age < 30, w["under30_factor"], 1.0)
    trial = trial * np.where(education == 0, w["basic_factor"], 1.0)
    ws = s["WSUB"]
    subsidy = ws["base"] * np.exp(ws["potential"] * z) * np.where(duration >= 12, ws["long_term_factor"], 1.0)
    subsidy = subsidy * np.where(pwa, ws["pwa_factor"], 1.0)
    rehab = np.where(long_term & basic_support, s["REHAB"]["base"] * np.exp(s["REHAB"]["potential"] * z), 0.0)
    p = np.column_stack([coach, ips, train, trial, subsidy, rehab])
    total = p.sum(axis=1, keepdims=True)
    return np.where(total > 0.5, p * 0.5 / np.maximum(total, 1e-12), p)


def choose_provider(service: np.ndarray, rural: np.ndarray, day: int, u: np.ndarray, u_rural: np.ndarray) -> np.ndarray:
    """Provider index for each started service: area shares, rural preference, availability."""
    prov = providers()
    by_service = value("providers.by_service")
    preference = value("providers.rural_preference")
    out = np.zeros(len(service), dtype=np.int8)
    for s, name in enumerate(codes.SERVICES):
        pick = service == s
        if not pick.any():
            continue
        ids, w = weights(by_service[name])
        w = w * np.array([prov.available_from[prov.ids.index(p)] <= day for p in ids])
        chosen = np.array([prov.ids.index(p) for p in ids], dtype=np.int8)[
            np.minimum(np.searchsorted(np.cumsum(w / w.sum()), u[pick], side="right"), len(ids) - 1)
        ]
        rural_pick = rural[pick] & (u_rural[pick] < value("providers.rural_share"))
        out[pick] = np.where(rural_pick, prov.ids.index(preference[name]), chosen)
    return out


"""`polku.synth.hazards.client_group`'s code of the low group."""


@cache
def _effect_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    effects = value("services.effects")
    during = np.array([effects[s]["during"] for s in codes.SERVICES], dtype=np.float64)
    after = np.array([effects[s]["after"] for s in codes.SERVICES], dtype=np.float64)
    half_life = np.array([effects[s]["half_life"] for s in codes.SERVICES], dtype=np.float64)
    return during, after, half_life


def _scaled(shift: np.ndarray, quality: np.ndarray) -> np.ndarray:
    """Quality multiplies only the beneficial part of an effect (not a lock-in)."""
    return np.where(shift > 0, shift * quality, shift)


def effect_lp(
    service: np.ndarray, group: np.ndarray, months_since: np.ndarray, planned: np.ndarray, quality: np.ndarray
) -> np.ndarray:
    """True log-odds shift of the re-employment hazard, months_since >= 0 after the start."""
    during, after, half_life = _effect_tables()
    in_service = months_since < planned
    decay = 0.5 ** (np.maximum(months_since - planned, 0) / half_life[service])
    shift = np.where(in_service, during[service, group], after[service, group] * decay)
    return _scaled(shift, quality)


def continue_with_employer(group: np.ndarray, quality: np.ndarray) -> np.ndarray:
    """Probability that a wage-subsidy job turns into an open-market job with the employer."""
    p = np.asarray(value("services.effects")["WSUB"]["continue_with_employer"], dtype=np.float64)[group]
    return np.minimum(p * quality, 0.9)


def ips_job_end_factor() -> float:
    return float(value("services.effects")["IPS"]["job_end_factor"])
