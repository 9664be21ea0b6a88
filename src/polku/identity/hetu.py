"""Finnish personal identity codes (henkilötunnus, "hetu"): validation, SQL twins, synthesis.

A code is `DDMMYYCZZZQ`: date of birth, century sign, individual number and a mod-31 check
character (population-information decree 128/2010; century signs from the decree in force
1 January 2023). The century sign is part of the person's identity since 2023:
`100190-999P` and `100190Y999P` are different people, so nothing here ever drops it.

Every rule exists twice: `hetu_problem` in Python (for single values and tests) and
`hetu_problem_sql` as one vectorised DuckDB expression (for imports of millions of rows).
A property test keeps the two in step. The input must already be canonical: the importer
trims it, and lowercase is rejected rather than silently upper-cased, because a source that
writes lowercase codes has a recording problem worth seeing.

Nothing in this module prints, logs or puts a code into a message: `REASONS` explain a
problem without the value.
"""

from __future__ import annotations

import re

import numpy as np

from polku.errors import ValidationFailed

SEPARATORS: dict[str, int] = {
    "+": 1800,
    "-": 1900,
    "Y": 1900,
    "X": 1900,
    "W": 1900,
    "V": 1900,
    "U": 1900,
    "A": 2000,
    "B": 2000,
    "C": 2000,
    "D": 2000,
    "E": 2000,
    "F": 2000,
}
"""Century sign -> first year of the century it stands for."""

CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
"""Check character of `int(DDMMYY + ZZZ) % 31`; G, I, O, Q and Z are never used."""

REASONS: dict[str, str] = {
    "hetu_missing": "the personal identity code is missing",
    "hetu_format": (
        "the personal identity code is not in the form DDMMYYCZZZQ "
        "(11 characters: six digits, a century sign, three digits and an uppercase check character)"
    ),
    "hetu_separator": ("the century sign (7th character) is not one of + - Y X W V U A B C D E F"),
    "hetu_date": "the first six digits and the century sign do not form a real date of birth",
    "hetu_individual_number": "the individual number (characters 8-10) is 000 or 001, which are never issued",
    "hetu_temporary": (
        "the individual number is in the 900-999 range used for temporary and test codes, which this import does not accept"
    ),
    "hetu_check_character": ("the check character does not match the date and individual number (mod-31 rule)"),
}
"""Reason code -> a message a user understands; never contains the value itself."""

_SHAPE = r"[0-9]{6}[A-Z+\-][0-9]{3}[0-9A-Z]"
_SHAPE_RE = re.compile(_SHAPE)
_FIRST_TEMPORARY = 900


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _date_is_real(code: str) -> bool:
    """Day and month exist in the year that the digits and century sign give."""
    day, month = int(code[0:2]), int(code[2:4])
    year = SEPARATORS[code[6]] + int(code[4:6])
    return 1 <= month <= 12 and 1 <= day <= _days_in_month(year, month)


def _check_character(code: str) -> str:
    return CHECK_CHARACTERS[int(code[0:6] + code[7:10]) % 31]


def hetu_problem(code: str | None, *, allow_temporary: bool = False) -> str | None:
    """Why `code` is not a valid personal identity code (a `REASONS` key), or None.

    Rules are checked in a fixed order and the first failure is reported, so Python and
    SQL give the same single reason for any input.
    """
    if code is None or code == "":
        return "hetu_missing"
    if not isinstance(code, str) or _SHAPE_RE.fullmatch(code) is None:
        return "hetu_format"
    if code[6] not in SEPARATORS:
        return "hetu_separator"
    if not _date_is_real(code):
        return "hetu_date"
    individual = int(code[7:10])
    if individual < 2:
        return "hetu_individual_number"
    if individual >= _FIRST_TEMPORARY and not allow_temporary:
        return "hetu_temporary"
    if _check_character(code) != code[10]:
        return "hetu_check_character"
    return None


def hetu_valid(code: str | None, *, allow_temporary: bool = False) -> bool:
    """True when `code` passes every rule of `hetu_problem`."""
    return hetu_problem(code, allow_temporary=allow_temporary) is None


# --- SQL twins -----------------------------------------------------------------------------


def _sql_list(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _century_sql(c: str) -> str:
    """Century base year of the code's sign (NULL for an unknown sign)."""
    by_base: dict[int, list[str]] = {}
    for sign, base in SEPARATORS.items():
        by_base.setdefault(base, []).append(sign)
    arms = " ".join(f"WHEN substr({c}, 7, 1) IN ({_sql_list(signs)}) THEN {base}" for base, signs in by_base.items())
    return f"(CASE {arms} END)"


def _int_sql(c: str, start: int, length: int) -> str:
    # TRY_CAST: the optimiser may hoist this out of the CASE and run it on every row.
    return f"TRY_CAST(substr({c}, {start}, {length}) AS INTEGER)"


def _date_is_real_sql(c: str) -> str:
    """True when DDMMYY plus the century form a real date (DuckDB's date cast is strict)."""
    sign = f"substr({c}, 7, 1)"
    centuries = (
        f"(CASE WHEN {sign} = '+' THEN '18' "
        f"WHEN {sign} IN ({_sql_list([s for s, b in SEPARATORS.items() if b == 2000])}) THEN '20' ELSE '19' END)"
    )
    iso = f"{centuries} || substr({c}, 5, 2) || '-' || substr({c}, 3, 2) || '-' || substr({c}, 1, 2)"
    return f"(TRY_CAST({iso} AS DATE) IS NOT NULL)"


def _check_character_sql(c: str) -> str:
    number = f"TRY_CAST(substr({c}, 1, 6) || substr({c}, 8, 3) AS BIGINT)"
    return f"substr('{CHECK_CHARACTERS}', CAST({number} % 31 AS INTEGER) + 1, 1)"


def hetu_problem_sql(column: str, *, allow_temporary: bool) -> str:
    """DuckDB expression giving `hetu_problem`'s reason code for `column`, or NULL when valid.

    `column` is an SQL expression over VARCHAR (a quoted column name, or e.g. `trim(x)`).
    Plain SQL, no Python UDF, so an import validates millions of rows in one vectorised
    pass. `tests/identity/test_hetu_sql.py` proves it agrees with `hetu_problem`.
    """
    c = f"({column})"
    individual = _int_sql(c, 8, 3)
    temporary = "" if allow_temporary else f"WHEN {individual} >= {_FIRST_TEMPORARY} THEN 'hetu_temporary' "
    return (
        "(CASE "
        f"WHEN {c} IS NULL OR {c} = '' THEN 'hetu_missing' "
        f"WHEN NOT regexp_full_match({c}, '{_SHAPE}') THEN 'hetu_format' "
        f"WHEN substr({c}, 7, 1) NOT IN ({_sql_list(list(SEPARATORS))}) THEN 'hetu_separator' "
        f"WHEN NOT {_date_is_real_sql(c)} THEN 'hetu_date' "
        f"WHEN {individual} < 2 THEN 'hetu_individual_number' "
        f"{temporary}"
        f"WHEN {_check_character_sql(c)} <> substr({c}, 11, 1) THEN 'hetu_check_character' "
        "ELSE NULL END)"
    )


def birth_year_sql(column: str) -> str:
    """DuckDB expression: year of birth (INTEGER) of a valid code, century sign included."""
    c = f"({column})"
    return f"({_century_sql(c)} + {_int_sql(c, 5, 2)})"


def birth_month_sql(column: str) -> str:
    """DuckDB expression: month of birth (INTEGER, 1-12) of a valid code."""
    return _int_sql(f"({column})", 3, 2)


def sex_sql(column: str) -> str:
    """DuckDB expression: 'male' for an odd individual number, 'female' for an even one."""
    individual = _int_sql(f"({column})", 8, 3)
    return f"(CASE WHEN {individual} % 2 = 1 THEN 'male' WHEN {individual} % 2 = 0 THEN 'female' END)"


# --- synthesis -----------------------------------------------------------------------------

_CHECK_POINTS = np.frombuffer(CHECK_CHARACTERS.encode("ascii"), dtype=np.uint8).astype(np.uint32)
_SIGNS = np.array(list(SEPARATORS), dtype="<U1")
_SIGN_BASES = np.array(list(SEPARATORS.values()), dtype=np.int64)
_SIGN_ORDER = np.argsort(_SIGNS)


def _date_parts(birth_dates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month (1-12) and day (1-31) of datetime64[D] values, without Python loops."""
    days = np.asarray(birth_dates, dtype="datetime64[D]")
    months = days.astype("datetime64[M]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (days - months).astype(np.int64) + 1
    return year, month, day


def _century_of(separators: np.ndarray) -> np.ndarray:
    """Century base year of each sign; a ValidationFailed for any unknown sign."""
    position = np.clip(np.searchsorted(_SIGNS[_SIGN_ORDER], separators), 0, len(_SIGNS) - 1)
    found = _SIGN_ORDER[position]
    if not (_SIGNS[found] == separators).all():
        raise ValidationFailed(
            "compose_hetus got a century sign that does not exist",
            why="only + - Y X W V U A B C D E F are century signs.",
            fix="pass one of those signs for every person.",
        )
    return _SIGN_BASES[found]


def _check_inputs(year: np.ndarray, century: np.ndarray, individual: np.ndarray) -> None:
    if not (year - year % 100 == century).all():
        raise ValidationFailed(
            "compose_hetus got a century sign that does not match the year of birth",
            why="+ stands for the 1800s, - Y X W V U for the 1900s, A B C D E F for the 2000s.",
            fix="choose each sign from the century of that person's birth year.",
        )
    if not ((individual >= 2) & (individual <= 999)).all():
        raise ValidationFailed(
            "compose_hetus got an individual number outside 2-999",
            why="000 and 001 are never issued and the number has three digits.",
            fix="draw individual numbers from 2-899 (900-999 for temporary codes).",
        )


def _digits(values: np.ndarray, width: int) -> list[np.ndarray]:
    """ASCII code points of `values` written with `width` digits, most significant first."""
    return [(values // 10 ** (width - 1 - i)) % 10 + ord("0") for i in range(width)]


def compose_hetus(birth_dates: np.ndarray, individual_numbers: np.ndarray, separators: np.ndarray) -> np.ndarray:
    """Valid codes for the given dates, individual numbers and century signs (arrays broadcast).

    Built as an (n, 11) array of code points viewed as 11-character strings, so a million
    synthetic people take a fraction of a second. The result is a `<U11` array.
    """
    dates, individual, signs = np.broadcast_arrays(
        np.asarray(birth_dates, dtype="datetime64[D]"),
        np.asarray(individual_numbers, dtype=np.int64),
        np.asarray(separators, dtype="<U1"),
    )
    year, month, day = _date_parts(dates.ravel())
    individual = individual.ravel()
    signs = signs.ravel()
    _check_inputs(year, _century_of(signs), individual)
    number = ((day * 100 + month) * 100 + year % 100) * 1000 + individual
    columns = _digits(day, 2) + _digits(month, 2) + _digits(year % 100, 2)
    columns.append(signs.view(np.uint32))
    columns += _digits(individual, 3) + [_CHECK_POINTS[number % 31]]
    points = np.stack([c.astype(np.uint32) for c in columns], axis=1)
    return np.ascontiguousarray(points).view("=U11").reshape(dates.shape)
