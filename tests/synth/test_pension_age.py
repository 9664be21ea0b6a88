"""From age 65 nobody is a registered job seeker or paid an unemployment benefit.

Age is exact: the birth date comes from the identity code (DDMMYY + century sign), as an
analyst would read it, and is compared with each spell's dates.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from conftest import EXTRACTION, read
from polku.identity.hetu import SEPARATORS
from polku.synth.population import birthday
from polku.synth.timeline import day_number

UNEMPLOYMENT_BENEFITS = ("earnings_related_allowance", "labour_market_subsidy", "basic_unemployment_allowance")


def _birth(code: str) -> date:
    return date(SEPARATORS[code[6]] + int(code[4:6]), int(code[2:4]), int(code[0:2]))


def _age(born: date, on: str) -> int:
    day = date.fromisoformat(on)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _ages(frame: pd.DataFrame, births: dict[str, date], column: str) -> np.ndarray:
    dated = frame[frame[column] != ""]
    return np.array([_age(births[h], d) for h, d in zip(dated["hetu"], dated[column])], dtype=np.int64)


def test_nobody_registers_or_starts_an_unemployment_benefit_at_65(clean_dir: Path) -> None:
    births = {h: _birth(h) for h in read(clean_dir / "person.csv")["hetu"]}
    regs = read(clean_dir / "registration_spell.csv")
    benefits = read(clean_dir / "benefit_spell.csv")
    benefits = benefits[benefits["benefit_type"].isin(UNEMPLOYMENT_BENEFITS)]
    assert len(regs) and len(benefits)
    assert _ages(regs, births, "start_date").max() < 65
    assert _ages(benefits, births, "start_date").max() < 65
    # ... and what began before 65 has ended by the day before the 65th birthday.
    assert _ages(regs, births, "end_date").max() < 65
    assert _ages(benefits, births, "end_date").max() < 65
    still_open = regs[regs["end_date"] == ""]
    assert all(_age(births[h], EXTRACTION) < 65 for h in still_open["hetu"])
    # A spell ending the day before the 65th birthday ends for pension.
    ended = regs[regs["end_date"] != ""]
    next_day = [str(date.fromisoformat(d) + timedelta(days=1)) for d in ended["end_date"]]
    turning = np.array([_age(births[h], d) >= 65 for h, d in zip(ended["hetu"], next_day)], dtype=bool)
    assert turning.any()
    assert set(ended[turning]["end_reason"]) == {"pension"}


def test_the_65th_birthday_is_the_calendar_birthday() -> None:
    born = np.array([day_number(d) for d in ("1960-02-29", "1958-03-01", "1956-12-31")])
    expected = [day_number(d) for d in ("2025-03-01", "2023-03-01", "2021-12-31")]
    assert birthday(born, 65).tolist() == expected
