"""Known-answer tests of the personal identity code rules (identity-and-privacy.md §0.1, §2).

Valid examples: `131052-308T` (kysy.fi worked example: 131052308 mod 31 = 25 -> T) and the
DVV test persons listed in §0.1 (dimarchi.net/test/new-ssn/, from DVV's Excel file).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from polku.errors import ValidationFailed
from polku.identity import (
    CHECK_CHARACTERS,
    REASONS,
    SEPARATORS,
    compose_hetus,
    hetu_problem,
    hetu_valid,
)

DVV_TEST_CODES = (
    "010594Y9032 020594X903P 030594W903B 040594V9030 050594U903M "
    "010516B903X 020516C903K 030516D9037 010501E9032 020503F9037 020504A902E"
).split()


def test_separator_set_is_exactly_the_2023_decree() -> None:
    assert set(SEPARATORS) == set("+-UVWXYABCDEF")
    assert SEPARATORS["+"] == 1800
    assert {s for s, base in SEPARATORS.items() if base == 1900} == set("-YXWVU")
    assert {s for s, base in SEPARATORS.items() if base == 2000} == set("ABCDEF")


def test_check_characters_skip_g_i_o_q_z() -> None:
    assert len(CHECK_CHARACTERS) == 31
    assert not set("GIOQZ") & set(CHECK_CHARACTERS)
    assert CHECK_CHARACTERS[25] == "T"


def test_worked_example_is_valid_by_default() -> None:
    assert hetu_problem("131052-308T") is None
    assert hetu_valid("131052-308T")


@pytest.mark.parametrize("code", DVV_TEST_CODES)
def test_dvv_test_codes_need_allow_temporary(code: str) -> None:
    assert hetu_valid(code, allow_temporary=True)
    assert not hetu_valid(code)
    assert hetu_problem(code) == "hetu_temporary"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("", "hetu_missing"),
        (None, "hetu_missing"),
        ("131052-308", "hetu_format"),  # 10 characters
        ("131052-308TT", "hetu_format"),  # 12 characters
        (" 131052-308T", "hetu_format"),  # not trimmed
        ("131052-308t", "hetu_format"),  # lowercase check character
        ("131052a308T", "hetu_format"),  # lowercase century sign
        ("13105X-308T", "hetu_format"),  # letter in the date
        ("131052/308T", "hetu_format"),  # not a sign at all
        ("131052G308T", "hetu_separator"),
        ("131052Z308T", "hetu_separator"),
        ("310252-308T", "hetu_date"),  # 31 February
        ("001052-308T", "hetu_date"),  # day 0
        ("131352-308T", "hetu_date"),  # month 13
        ("131052-000T", "hetu_individual_number"),
        ("131052-001T", "hetu_individual_number"),
        ("131052-308U", "hetu_check_character"),
        ("131052-308G", "hetu_check_character"),  # G is never a check character
    ],
)
def test_each_rule_reports_its_reason(code: str | None, reason: str) -> None:
    assert hetu_problem(code) == reason
    assert hetu_problem(code, allow_temporary=True) == reason
    assert not hetu_valid(code)


def test_individual_numbers_002_and_899_are_the_ordinary_range() -> None:
    assert hetu_valid(str(compose_hetus(np.datetime64("1952-10-13"), 2, "-")))
    assert hetu_valid(str(compose_hetus(np.datetime64("1952-10-13"), 899, "-")))
    assert hetu_problem(str(compose_hetus(np.datetime64("1952-10-13"), 900, "-"))) == "hetu_temporary"


def test_leap_day_depends_on_the_century_sign() -> None:
    # 29 Feb 1900 did not exist; 29 Feb 2000 did. Same digits, check 290200999 % 31 = 17 -> J.
    assert CHECK_CHARACTERS[290200999 % 31] == "J"
    assert hetu_problem("290200-999J", allow_temporary=True) == "hetu_date"
    assert hetu_problem("290200A999J", allow_temporary=True) is None


def test_separator_is_not_covered_by_the_check_character() -> None:
    # Both pass every rule, yet they are two different people (DVV, hetu reform 2023).
    assert hetu_valid("100190-999P", allow_temporary=True)
    assert hetu_valid("100190Y999P", allow_temporary=True)


def test_every_reason_has_a_message_without_a_code_in_it() -> None:
    assert set(REASONS) == {
        "hetu_missing",
        "hetu_format",
        "hetu_separator",
        "hetu_date",
        "hetu_individual_number",
        "hetu_temporary",
        "hetu_check_character",
    }
    assert "mod-31" in REASONS["hetu_check_character"]
    for message in REASONS.values():
        assert not re.search(r"[0-9]{6}", message), message


def test_compose_hetus_reproduces_the_worked_example_and_dvv_codes() -> None:
    dates = np.array(["1952-10-13", "1994-05-01", "2016-05-03", "1801-01-01"], dtype="datetime64[D]")
    codes = compose_hetus(dates, np.array([308, 903, 903, 2]), np.array(["-", "Y", "D", "+"]))
    assert codes.tolist() == ["131052-308T", "010594Y9032", "030516D9037", "010101+002S"]
    assert codes.dtype == np.dtype("<U11")


def test_compose_hetus_outputs_are_all_valid() -> None:
    rng = np.random.default_rng(7)
    n = 20_000
    days = rng.integers(0, 300 * 365, n)
    dates = np.datetime64("1800-01-01") + days
    year = dates.astype("datetime64[Y]").astype(int) + 1970
    signs = np.array(list(SEPARATORS))
    by_century = {1800: ["+"], 1900: list("-YXWVU"), 2000: list("ABCDEF")}
    separators = np.array([by_century[y - y % 100][i % len(by_century[y - y % 100])] for i, y in enumerate(year)])
    individual = rng.integers(2, 1000, n)
    codes = compose_hetus(dates, individual, separators)
    assert set(separators) == set(signs)
    assert all(hetu_valid(code, allow_temporary=True) for code in codes)
    assert [c[6] for c in codes[:50]] == separators[:50].tolist()


@pytest.mark.parametrize(
    ("date", "individual", "sign", "words"),
    [
        ("1952-10-13", 308, "A", "does not match the year"),
        ("1952-10-13", 308, "G", "does not exist"),
        ("1952-10-13", 1, "-", "outside 2-999"),
        ("1952-10-13", 1000, "-", "outside 2-999"),
        ("2100-01-01", 308, "A", "does not match the year"),
    ],
)
def test_compose_hetus_refuses_impossible_inputs(date: str, individual: int, sign: str, words: str) -> None:
    with pytest.raises(ValidationFailed, match=words):
        compose_hetus(np.array([date], dtype="datetime64[D]"), np.array([individual]), np.array([sign]))
