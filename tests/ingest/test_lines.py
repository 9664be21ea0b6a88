"""Record boundaries and field counts found over raw bytes, the way an RFC 4180 reader splits."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from polku.ingest.decoding import line_count_if_simple
from polku.ingest.lines import guess_delimiter, scan_records
from polku.ingest.read import _parsed


def test_quoted_newlines_blank_lines_and_field_counts() -> None:
    """The quoted line break on line 7 is in a record of four fields under a header of three,
    so it is not taken as a value spanning lines: lines 7 and 8 are set apart one by one."""
    data = b'a,b,c\n1,"x\ny",3\n\n4,"5,5",6\n7,8\n"q""\n",1,2,3\r\n\r\n9,9,9'
    records = scan_records(data, ",")
    assert records.lines.tolist() == [1, 2, 5, 6, 7, 8, 10]
    assert records.fields.tolist()[:4] + records.fields.tolist()[-1:] == [3, 3, 3, 2, 3]
    assert records.unbalanced.tolist() == [False, False, False, False, True, True, False]
    assert data[records.starts[1] : records.ends[1]] == b'1,"x\ny",3'


def test_a_stray_quote_sets_apart_its_own_line_only() -> None:
    """Before, the quote opened on line 3 swallowed every later line into one record."""
    rows = [f"{n},x,y" for n in range(1, 8)]
    rows[1] = '2,"x,y'
    records = scan_records(("a,b,c\n" + "\n".join(rows) + "\n").encode(), ",")
    assert records.lines.tolist() == list(range(1, 9))
    assert np.flatnonzero(records.unbalanced).tolist() == [2]
    assert records.fields.tolist()[3:] == [3] * 5


def test_misplaced_and_unclosed_quotes() -> None:
    data = b'a,b\n1,x"y"\n2,"ok ""quoted"""\n"3,"z\n4,"open'
    records = scan_records(data, ",")
    assert records.lines.tolist() == [1, 2, 3, 4, 5]
    assert records.unbalanced.tolist() == [False, True, False, True, True]


def test_last_line_without_newline_and_crlf() -> None:
    records = scan_records(b"a;b\r\n1;2\r\n3;4", ";")
    assert records.lines.tolist() == [1, 2, 3]
    assert records.fields.tolist() == [2, 2, 2]


def test_guess_delimiter() -> None:
    assert guess_delimiter(b"henkilotunnus;alkupvm;loppupvm") == ";"
    assert guess_delimiter(b"a,b,c") == ","
    assert guess_delimiter(b"single") == ","
    assert guess_delimiter(b"a\tb") == "\t"


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.lists(st.sampled_from(["", "1", "ab", "x y", "a\rb", '"q"']), min_size=1, max_size=4), max_size=8),
    ending=st.sampled_from(["\n", "\r\n"]),
    final=st.booleans(),
)
def test_fast_line_numbers_are_kept_only_when_the_parser_confirms_them(rows: list[list[str]], ending: str, final: bool) -> None:
    """The fast count claims each line is one row; the parser's row count confirms it or the
    careful scan takes over (`read_csv`). Whenever the claim survives, it equals the scan,
    and every record has the header's width (no wrong row slipped through).

    Rows of one to four fields under a header of two (every table has at least two columns):
    empty lines and rows with too few or too many fields occur.
    """
    data = (ending.join(",".join(r) for r in [["h", "i"], *rows]) + (ending if final else "")).encode()
    count = line_count_if_simple(data)
    if count is None:
        return
    table = _parsed(data, ("h", "i"), ",", quoted=False)
    records = scan_records(data, ",")
    if table is not None and table.num_rows == count:
        assert count == len(records) - 1
        assert records.lines.tolist() == list(range(1, len(records) + 1))
        assert set(records.fields.tolist()) == {2}
