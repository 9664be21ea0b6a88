"""Counts to run tables and back (`polku.reports.frames`): exact, sorted, Parquet-safe."""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polku.reports.frames import COUNT, count_frame, counts_of, pairs_of, typed_frame

keys = st.text(alphabet=st.characters(codec="utf-8"), max_size=8)
counts = st.integers(0, 2**62)


def _parquet(frame: pd.DataFrame) -> pd.DataFrame:
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer)
    return pq.read_table(io.BytesIO(buffer.getvalue())).to_pandas()


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(keys, counts, max_size=12))
def test_one_key_counts_come_back_exactly_and_sorted(data: dict[str, int]) -> None:
    frame = count_frame(data, "sex")
    assert list(frame.columns) == ["sex", COUNT] and frame[COUNT].dtype == "int64"
    assert list(frame["sex"]) == sorted(data)
    assert counts_of(frame) == dict(sorted(data.items()))
    pd.testing.assert_frame_equal(_parquet(frame), frame, check_exact=True)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.tuples(keys, keys), counts, max_size=12))
def test_two_key_counts_come_back_exactly(data: dict[tuple[str, str], int]) -> None:
    frame = count_frame(data, "service_code", "year")
    assert pairs_of(frame) == data and list(zip(frame["service_code"], frame["year"])) == sorted(data)
    pd.testing.assert_frame_equal(_parquet(frame), frame, check_exact=True)
    assert count_frame(dict(reversed(list(data.items()))), "service_code", "year").equals(frame)


def test_known_counts_and_empty() -> None:
    frame = count_frame({"fi": 27, "sv": 3, "other": 10}, "mother_tongue_group")
    assert frame.to_dict("list") == {"mother_tongue_group": ["fi", "other", "sv"], COUNT: [27, 10, 3]}
    empty = count_frame({}, "a", "b")
    assert list(empty.columns) == ["a", "b", COUNT] and empty.empty and pairs_of(empty) == {}
    pd.testing.assert_frame_equal(_parquet(empty), empty)


def test_keys_of_the_wrong_length_are_refused() -> None:
    with pytest.raises(ValueError, match="2 parts"):
        count_frame({("a",): 1}, "x", "y")


def test_typed_frame_keeps_columns_and_types_when_empty() -> None:
    schema = {"table": "object", "rows": "int64"}
    assert typed_frame([], schema).dtypes.astype(str).to_dict() == {"table": "object", "rows": "int64"}
    frame = typed_frame([{"rows": 3, "table": "goal", "extra": 1}], schema)
    assert frame.to_dict("records") == [{"table": "goal", "rows": 3}]
