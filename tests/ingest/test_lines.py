"""Record boundaries and field counts found over raw bytes, the way an RFC 4180 reader splits."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from polku.ingest.lines import guess_delimiter, scan_records
from polku.ingest.read import _line_count_if_simple


def test_quoted_newlines_blank_lines_and_field_counts() -> None:
    data = b'a,b,c\n1,"x\ny",3\n\n4,"5,5",6\n7,8\n"q""\n",1,2,3\r\n\r\n9,9,9'
    records = scan_records(data, ",")
    assert records.lines.tolist() == [1, 2, 5, 6, 7, 10]
    assert records.fields.tolist() == [3, 3, 3, 2, 4, 3]
    assert data[records.starts[1] : records.ends[1]] == b'1,"x\ny",3'


def test_last_line_without_newline_and_crlf() -> None:
    records = scan_records(b"a;b\r\n1;2\r\n3;4", ";")
    assert records.lines.tolist() == [1, 2, 3]
    assert records.fields.tolist() == [2, 2, 2]


def test_guess_delimiter() -> None:
    assert guess_delimiter(b"henkilotunnus;alkupvm;loppupvm") == ";"
    assert guess_delimiter(b"a,b,c") == ","
    assert guess_delimiter(b"single") == ","
    assert guess_delimiter(b"a\tb") == "\t"


@settings(max_examples=500, deadline=None)
@given(
    rows=st.lists(st.lists(st.sampled_from(["", "1", "ab", "x y", "a\rb", "\"q\""]), min_size=1, max_size=3), max_size=8),
    ending=st.sampled_from(["\n", "\r\n"]),
    final=st.booleans(),
)
def test_simple_line_count_agrees_with_the_record_scan(rows: list[list[str]], ending: str, final: bool) -> None:
    """The fast count (each line one row) is given only when it equals the careful scan's.

    Empty lines or quotes make it decline (None), and then the scan is used instead.
    """
    data = (ending.join(",".join(r) for r in [["h"], *rows]) + (ending if final else "")).encode()
    count = _line_count_if_simple(data)
    if count is None:
        return
    records = scan_records(data, ",")
    assert count == len(records) - 1
    assert records.lines.tolist() == list(range(1, len(records) + 1))
