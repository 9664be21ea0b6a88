"""Redaction of identity-code-shaped text: one rule for every message and every stored value.

A personal identity code (hetu) may turn up where no code belongs: in a column swapped with
the identity column, in the first row of a file exported without its header, in a file
name. Whatever its validity, such a string is personal data, so every text Polku prints or
stores outside the identity column passes through `redact_hetus` (Python) or
`redact_hetus_sql` (DuckDB), which replace each such substring by `MARK`.

"Hetu-shaped" is deliberately looser than a valid code: six digits, any century sign or
letter in either case, three digits and a digit or letter (`HETU_SHAPE`). A wrong check
character, an impossible date or a lowercase separator is still somebody's code. The mark
has no digits, so a redacted text never looks like a code again, and redacting twice
changes nothing. This module imports nothing from Polku, so `polku.errors` can use it.
"""

from __future__ import annotations

import re

HETU_SHAPE = r"[0-9]{6}[-+A-Za-z][0-9]{3}[0-9A-Za-z]"
"""Any identity-code-shaped substring, valid or not (RE2 and Python `re` read it alike)."""

MARK = "<hetu>"
"""What a redacted code becomes: says what was there, reveals nothing of it."""

MIN_LENGTH = 11
"""Length of a code: shorter text cannot hold one (a cheap test before the pattern)."""

_SHAPE_RE = re.compile(HETU_SHAPE)


def redact_hetus(text: str) -> str:
    """`text` with every hetu-shaped substring replaced by `MARK`; other text unchanged."""
    return _SHAPE_RE.sub(MARK, text)


def has_hetu(text: str) -> bool:
    """True when `text` holds a hetu-shaped substring."""
    return _SHAPE_RE.search(text) is not None


def redact_hetus_sql(expr: str) -> str:
    """DuckDB twin of `redact_hetus` for a VARCHAR expression (NULL stays NULL)."""
    return f"regexp_replace({expr}, '{HETU_SHAPE}', '{MARK}', 'g')"


def has_hetu_sql(expr: str) -> str:
    """DuckDB twin of `has_hetu`. The byte-length test first keeps the pattern off the
    short values (codes, ISO dates, amounts) that make up almost every column."""
    return f"(strlen({expr}) >= {MIN_LENGTH} AND regexp_matches({expr}, '{HETU_SHAPE}'))"


def first_hetu_sql(expr: str) -> str:
    """DuckDB: the first hetu-shaped substring of `expr`, or NULL when there is none."""
    return f"NULLIF(regexp_extract({expr}, '{HETU_SHAPE}'), '')"
