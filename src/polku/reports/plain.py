"""An effect in plain words: "of 100 participants like these, N found work within 12 months;
without the service, about M would have", with its 95 % interval, in fi, sv and en.

Why a module of its own: the council summary and the impact section both say it, and must
say it the same way from the same released figures.
"""

from __future__ import annotations

import math

from polku.i18n import t


def whole(value: float) -> int:
    """`value` rounded to a whole number, halves away from zero (2.5 -> 3, -2.5 -> -3), after
    dropping float noise below 1e-9 (100 x 0.345 is 34.4999... in binary, and means 34.5)."""
    value = round(value, 9)
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def plain_words(lang: str, rate: float, effect: float, low: float, high: float, months: int = 12) -> str:
    """The effect as a sentence about 100 participants, with its 95 % interval.

    `rate` is the participants' observed share in work, `effect` the estimated difference
    (shares, not points): of 100 participants N = rate x 100 found work, and without the
    service about M = (rate - effect) x 100 would have; the interval's limits, times 100,
    are "more" or "fewer" by sign. Each number is rounded on its own to a whole person."""
    found = min(max(whole(100 * rate), 0), 100)
    without = min(max(whole(100 * (rate - effect)), 0), 100)
    lo, hi = whole(100 * low), whole(100 * high)
    if lo >= 0:
        interval = t("plain.interval.more", lang, low=lo, high=hi)
    elif hi <= 0:
        interval = t("plain.interval.fewer", lang, low=-hi, high=-lo)
    else:
        interval = t("plain.interval.mixed", lang, low=-lo, high=hi)
    return t("plain.sentence", lang, found=found, months=months, without=without, interval=interval)


def months_of(outcome: str) -> int:
    """The window of an `employed_<n>m` outcome (12 for the report's)."""
    tail = outcome.rpartition("_")[2]
    return int(tail[:-1]) if tail.endswith("m") and tail[:-1].isdigit() else 12
