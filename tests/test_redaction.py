"""`redact_hetus` removes every identity-code-shaped substring and nothing else.

Property tests (Hypothesis, 300 examples each): a valid or invalid code put anywhere in any
text never survives; text without one comes out unchanged; the DuckDB twin gives the same
result as Python on the same batch; every `PolkuError` part is redacted.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from polku.errors import Location, UsageError, ValidationFailed
from polku.identity import SEPARATORS, compose_hetus, hetu_valid
from polku.redaction import MARK, first_hetu_sql, has_hetu, has_hetu_sql, redact_hetus, redact_hetus_sql

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DIGITS = "0123456789"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)


@st.composite
def valid_codes(draw: st.DrawFn) -> str:
    """A valid code from any century sign, temporary individual numbers included."""
    sign = draw(st.sampled_from(sorted(SEPARATORS)))
    base = SEPARATORS[sign]
    born = draw(st.dates(dt.date(base, 1, 1), dt.date(base + 99, 12, 31)))
    individual = draw(st.integers(2, 999))
    return str(compose_hetus(np.datetime64(born), individual, sign))


@st.composite
def invalid_codes(draw: st.DrawFn) -> str:
    """Hetu-shaped but not valid: any letter or sign in the 7th place, any check character."""
    date_part = draw(st.text(st.sampled_from(DIGITS), min_size=6, max_size=6))
    sign = draw(st.sampled_from(LETTERS + "+-"))
    number = draw(st.text(st.sampled_from(DIGITS), min_size=3, max_size=3))
    check = draw(st.sampled_from(DIGITS + LETTERS))
    code = date_part + sign + number + check
    assume(not hetu_valid(code, allow_temporary=True))
    return code


CODES = st.one_of(valid_codes(), invalid_codes())


@PROPERTY
@given(before=TEXT, code=CODES, after=TEXT)
def test_a_code_anywhere_never_survives(before: str, code: str, after: str) -> None:
    redacted = redact_hetus(before + code + after)
    assert code not in redacted
    assert not has_hetu(redacted)
    assert MARK in redacted
    assert redact_hetus(redacted) == redacted  # idempotent: the mark is not code-shaped


@PROPERTY
@given(text=TEXT)
def test_text_without_a_code_is_unchanged(text: str) -> None:
    assume(not has_hetu(text))
    assert redact_hetus(text) == text


@PROPERTY
@given(texts=st.lists(st.one_of(TEXT, st.tuples(TEXT, CODES, TEXT).map("".join)), min_size=1, max_size=20))
def test_sql_twins_agree_with_python(con: duckdb.DuckDBPyConnection, texts: list[str]) -> None:
    rows = con.execute(
        f"SELECT {redact_hetus_sql('t')}, {has_hetu_sql('t')}, {first_hetu_sql('t')} FROM (SELECT unnest($t) AS t, "
        "generate_subscripts($t, 1) AS i) ORDER BY i",
        {"t": texts},
    ).fetchall()
    assert [r[0] for r in rows] == [redact_hetus(t) for t in texts]
    assert [r[1] for r in rows] == [has_hetu(t) for t in texts]
    assert [r[2] is not None for r in rows] == [has_hetu(t) for t in texts]


def test_known_examples() -> None:
    assert redact_hetus("W1,010594Y9032,2023-04-01") == "W1,<hetu>,2023-04-01"
    assert redact_hetus("x010594y9033y 131052-308T") == "x<hetu>y <hetu>"  # lowercase, wrong check, glued
    for kept in ("2023-04-01", "1234567-1", "0401234567", "040-1234567", "12345-123A", "31.12.2023"):
        assert redact_hetus(kept) == kept


def test_every_part_of_an_error_is_redacted() -> None:
    error = ValidationFailed(
        "columns: W1, 010594Y9032",
        where=Location("010594Y9032.csv", 1, "020594X903P"),
        why="because 030594W903B",
        fix="not 040594V9030",
    )
    for part in (error.render(), str(error), error.what, str(error.where), error.why, error.fix):
        assert not has_hetu(part or ""), part
    assert error.render().splitlines()[1] == "  where: <hetu>.csv, line 1, column '<hetu>'"
    assert str(UsageError("x", where="/data/010594Y9032/f.csv").where) == "/data/<hetu>/f.csv"
