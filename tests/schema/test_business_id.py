"""Y-tunnus check digits: the Python rule and its SQL twin agree, on published IDs.

Known IDs (public registry, ytj.fi): 0112038-9 (Nokia Oyj), 0116297-6 (Kesko Oyj),
1234567-1 (hand-computed: 7+18+30+20+40+24+14 = 153, 153 mod 11 = 10, 11 - 10 = 1).
"""

from __future__ import annotations

import duckdb
import pytest

from polku.schema.business_id import check_digit, check_digit_holds_sql

VALID = ["0112038-9", "0116297-6", "1234567-1"]


@pytest.mark.parametrize("business_id", VALID)
def test_published_ids_have_the_right_digit(business_id: str) -> None:
    assert check_digit(business_id[:7]) == int(business_id[-1])


def test_a_body_with_remainder_one_has_no_valid_digit() -> None:
    body = next(
        f"{n:07d}" for n in range(10_000) if sum(int(d) * w for d, w in zip(f"{n:07d}", (7, 9, 10, 5, 8, 4, 2))) % 11 == 1
    )
    assert body == "0000006"  # 6 * 2 = 12, 12 mod 11 = 1
    assert check_digit(body) is None


def test_sql_agrees_with_python_on_every_last_digit() -> None:
    ids = [f"{body}-{d}" for body in ("0112038", "0116297", "1234567", "9000017", "0000000") for d in range(10)]
    rows = duckdb.sql(f"SELECT x, {check_digit_holds_sql('x')} FROM (SELECT unnest({ids!r}) AS x)").fetchall()
    assert {x: ok for x, ok in rows} == {x: check_digit(x[:7]) == int(x[-1]) for x in ids}
    assert sum(ok for _, ok in rows) == 5
