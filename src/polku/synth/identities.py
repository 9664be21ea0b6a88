"""Synthetic personal identity codes: valid, unique, consistent with birth date and sex.

Individual numbers come from the temporary/test range 900-999, so no synthetic code is a
real person's; odd numbers are men's. For one birth date and sex a century sign has 50
numbers: clients get `-` (1900s) or `A` (2000s) first and the new signs (Y X W V U,
B C D E F, in use since 2023) when those run out, and a share of the foreign-language
clients registered from 2023 on start on the new signs (codes issued in 2023 or later).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from polku.errors import ValidationFailed
from polku.identity import compose_hetus
from polku.synth import codes
from polku.synth.params import value
from polku.synth.population import Population
from polku.synth.streams import rng

SIGNS = {1900: np.array(list("-YXWVU")), 2000: np.array(list("ABCDEF"))}
_PER_SIGN = 50


def _slots(pop: Population, new_sign: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """Slot 0.. of each client among the clients of the same birth date and sex.

    Clients on the old sign fill slots from 0; those issued a new-style code start at slot
    50 (the first new sign) or after the last old-sign client, whichever is later.
    """
    frame = pd.DataFrame({"day": pop.birth_day, "male": pop.male, "new": new_sign, "tie": tiebreak})
    frame = frame.sort_values(["day", "male", "new", "tie"], kind="stable")
    rank = frame.groupby(["day", "male", "new"], sort=False).cumcount().to_numpy()
    old_count = frame.assign(old=~frame["new"]).groupby(["day", "male"], sort=False)["old"].transform("sum").to_numpy()
    slot = np.where(frame["new"].to_numpy(), np.maximum(old_count, _PER_SIGN) + rank, rank)
    out = np.empty(pop.size, dtype=np.int64)
    out[frame.index.to_numpy()] = slot
    return out


def synthetic_hetus(pop: Population, seed: int) -> np.ndarray:
    """One code per client (index = client sequence - 1), as a `<U11` array."""
    g = rng(seed, "population", 99)
    low, high = value("identity.individual_numbers")
    recent = pop.entry_month >= 24
    new_sign = (pop.language == codes.LANGUAGE.index("other")) & recent & (g.random(pop.size) < value("identity.new_sign_share"))
    slot = _slots(pop, new_sign, g.random(pop.size))
    if slot.max(initial=0) >= _PER_SIGN * 6 or (high - low + 1) // 2 != _PER_SIGN:
        raise ValidationFailed(
            "too many synthetic clients share a birth date and sex for unique test-range codes",
            why="each birth date and sex has 6 century signs x 50 individual numbers in 900-999.",
            fix="generate fewer clients.",
        )
    year = pop.birth_day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    century = np.where(year >= 2000, 2000, 1900)
    sign = np.where(century == 2000, SIGNS[2000][slot // _PER_SIGN], SIGNS[1900][slot // _PER_SIGN])
    number = low + 2 * (slot % _PER_SIGN) + pop.male.astype(np.int64)
    return compose_hetus(pop.birth_day.astype("datetime64[D]"), number, sign)
