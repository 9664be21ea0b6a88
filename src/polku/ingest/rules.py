"""One field's rules as SQL: how its text becomes a typed value, and what is wrong if not.

Each field gets two expressions: `value_sql` (the typed value, NULL when the text does not
convert) and `problem_sql` (a reason code from `polku.ingest.reasons`, NULL when the value
is fine). `polku.ingest.validate` evaluates them in layers, so every conversion runs once
per row in DuckDB's vectorised engine; no Python touches a row.

Conversions are strict on purpose: DuckDB's own casts round `1.5` to the integer 2 and
`12.345` to 12.35, which would silently change data, so every numeric text is first matched
against the exact form the mapping declares.
"""

from __future__ import annotations

import re

from polku.ingest.mapping import TableMapping
from polku.redaction import has_hetu, has_hetu_sql
from polku.schema.codelists import codelist
from polku.schema.tables import Field
from polku.store.sql import literal, quote

DATE_SHAPES = {"yyyy-mm-dd": r"[0-9]{4}-[0-9]{2}-[0-9]{2}", "d.m.yyyy": r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}"}
ISO = "yyyy-mm-dd"


def trimmed_sql(expr: str) -> str:
    """`expr` without surrounding white space, paying for `trim` only where it is needed.

    DuckDB's `trim` handles all Unicode white space and costs more than every other check
    of a value together; almost no value has surrounding spaces, so test first.
    """
    edges = f"starts_with({expr}, ' ') OR ends_with({expr}, ' ') OR contains({expr}, chr(160))"
    return f"(CASE WHEN {edges} THEN trim({expr}) ELSE {expr} END)"


def text_col(name: str) -> str:
    return quote(f"_t_{name}")


def problem_col(name: str) -> str:
    return quote(f"_p_{name}")


def _decimal_form(sep: str, decimals: str) -> str:
    return literal(rf"[+-]?[0-9]+({re.escape(sep)}[0-9]{decimals})?")


def _numeric_value(t: str, sep: str, sql_type: str, decimals: str) -> str:
    as_point = f"replace({t}, {literal(sep)}, '.')" if sep != "." else t
    return f"(CASE WHEN regexp_full_match({t}, {_decimal_form(sep, decimals)}) THEN TRY_CAST({as_point} AS {sql_type}) END)"


def _date_value(t: str, date_format: str) -> str:
    """A DATE from text of the exact shape; an impossible day (31.2.) gives NULL.

    For ISO text the shape check leaves only `dddd-dd-dd`, which DuckDB's own date cast
    reads exactly (and faster than `strptime`, which builds a timestamp first)."""
    arms = [f"WHEN regexp_full_match({t}, {literal(DATE_SHAPES[ISO])}) THEN TRY_CAST({t} AS DATE)"]
    if date_format != ISO:
        strptime = {"d.m.yyyy": "%d.%m.%Y"}[date_format]
        arms.append(
            f"WHEN regexp_full_match({t}, {literal(DATE_SHAPES[date_format])}) "
            f"THEN CAST(try_strptime({t}, {literal(strptime)}) AS DATE)"
        )
    return f"(CASE {' '.join(arms)} END)"


def _boolean_value(t: str, true_words: tuple[str, ...], false_words: tuple[str, ...]) -> str:
    """true/false from the mapping's words, any case. Text written exactly as a word (the
    usual case) is matched before anything is lower-cased, which halves the cost."""
    yes, no = _words(true_words), _words(false_words)
    return (
        f"(CASE WHEN {t} IN ({yes}) THEN true WHEN {t} IN ({no}) THEN false "
        f"WHEN lower({t}) IN ({yes}) THEN true WHEN lower({t}) IN ({no}) THEN false END)"
    )


def _words(words: tuple[str, ...]) -> str:
    return ", ".join(literal(w) for w in words)


def _mapped_code(t: str, words: dict[str, str]) -> str:
    """The text with the mapping's words replaced by codes (case-insensitive); else as is."""
    if not words:
        return t
    arms = " ".join(f"WHEN {literal(w)} THEN {literal(c)}" for w, c in sorted(words.items()))
    return f"(CASE lower({t}) {arms} ELSE {t} END)"


def code_accepts_sql(expr: str, codelist_name: str) -> str:
    """SQL twin of `CodeList.accepts`: listed codes, or (open lists) the list's pattern."""
    codes = codelist(codelist_name)
    listed = f"{expr} IN ({_words(codes.codes)})"
    if codes.closed or not codes.pattern:
        return f"({listed})"
    return f"({listed} OR regexp_full_match({expr}, {literal(codes.pattern)}))"


def _code_value(t: str, field: Field, mapping: TableMapping) -> str:
    mapped = _mapped_code(t, mapping.codes.get(field.name, {}))
    return f"(CASE WHEN {code_accepts_sql(mapped, field.codelist or '')} THEN {mapped} END)"


def value_sql(field: Field, mapping: TableMapping) -> str:
    """Typed value of `field` from its text column (NULL when it does not convert)."""
    t = text_col(field.name)
    options = mapping.file
    if field.kind == "identity":
        return "_pid"  # computed once per distinct code in `validate.IDS`
    if field.kind == "integer":
        return f"(CASE WHEN regexp_full_match({t}, '[+-]?[0-9]+') THEN TRY_CAST({t} AS INTEGER) END)"
    if field.kind == "number":
        return _numeric_value(t, options.decimal_separator, "DOUBLE", "+")
    if field.kind == "money":
        return _numeric_value(t, options.decimal_separator, "DECIMAL(14,2)", "{1,2}")
    if field.kind == "date":
        return _date_value(t, options.date_format)
    if field.kind == "boolean":
        return _boolean_value(t, options.true_words, options.false_words)
    if field.kind == "code":
        return _code_value(t, field, mapping)
    return t


CONVERSION_REASONS = {
    "integer": "not_an_integer",
    "number": "not_a_number",
    "money": "not_money",
    "date": "not_a_date",
    "boolean": "not_a_boolean",
    "code": "unknown_code",
}


PLAUSIBLE_DATES = ("1900-01-01", "2099-12-31")
"""Dates outside these are typing mistakes (1.3.0024, 31.12.2999), not service paths: they
would put "data up to 2999" in a report and make every duration nonsense."""


def _range_arms(field: Field, v: str) -> list[str]:
    arms = []
    if field.kind == "date":
        first, last = PLAUSIBLE_DATES
        arms.append(f"WHEN {v} < DATE '{first}' OR {v} > DATE '{last}' THEN 'implausible_date'")
    if field.minimum is not None:
        arms.append(f"WHEN {v} < {field.minimum!r} THEN 'below_minimum'")
    if field.maximum is not None:
        arms.append(f"WHEN {v} > {field.maximum!r} THEN 'above_maximum'")
    return arms


def problem_sql(field: Field, mapping: TableMapping, *, derived: bool = False, short: bool = False) -> str:
    """Reason code for the first problem of `field` in a row, or NULL.

    Order: missing, an identity code outside the identity column (`hetu_in_field`: a
    swapped column must never store a code as text), conversion (with `too_many_decimals`
    before `not_money`), range, pattern. A field derived from the identity code is only
    judged when the code is valid. `short`: the reader knows that no value of the column
    is long enough to hold an identity code, so none is searched.
    """
    if field.kind == "identity":
        return "_hetu"
    t, v = text_col(field.name), quote(field.name)
    arms = [f"WHEN {t} IS NULL THEN " + ("'missing_value'" if field.required else "NULL")]
    if not (derived or short):
        unconverted = f"{v} IS NULL AND " if converts_without_codes(field, mapping) else ""
        arms.append(f"WHEN {unconverted}{has_hetu_sql(t)} THEN 'hetu_in_field'")
    if field.kind == "money":
        too_many = literal(rf"[+-]?[0-9]+{re.escape(mapping.file.decimal_separator)}[0-9]{{3,}}")
        arms.append(f"WHEN {v} IS NULL AND regexp_full_match({t}, {too_many}) THEN 'too_many_decimals'")
    if field.kind in CONVERSION_REASONS:
        arms.append(f"WHEN {v} IS NULL THEN '{CONVERSION_REASONS[field.kind]}'")
    arms += _range_arms(field, v)
    if field.pattern:
        arms.append(f"WHEN NOT regexp_full_match({t}, {literal(field.pattern)}) THEN 'pattern_mismatch'")
    body = f"(CASE {' '.join(arms)} END)"
    return f"(CASE WHEN _hetu IS NULL THEN {body} END)" if derived else body


def converts_without_codes(field: Field, mapping: TableMapping) -> bool:
    """True when no text holding an identity code converts to a value of `field`, so only
    the texts that did not convert need the search for one (most values convert).

    Dates and numbers have shapes without room for a code (no letter, sign or `-` after a
    digit); booleans and closed code lists accept only their words, which are checked here.
    An open code list whose pattern might accept a code, and text, are always searched.
    """
    if field.kind in ("integer", "date") or (field.kind in ("number", "money") and mapping.file.decimal_separator in ".,"):
        return True
    if field.kind == "boolean":
        return not any(has_hetu(w) for w in mapping.file.true_words + mapping.file.false_words)
    if field.kind == "code":
        codes = codelist(field.codelist or "")
        words = mapping.codes.get(field.name, {})
        closed = codes.closed or not codes.pattern
        return closed and not any(has_hetu(w) for w in (*codes.codes, *words, *words.values()))
    return False


def redacted_sql(expr: str) -> str:
    """An identity code reduced to its format class: digits -> 9, letters -> X or x.

    Enough to see that a code is too short or has a lowercase check character; nothing
    of the date of birth or the individual number survives.
    """
    digits = f"regexp_replace({expr}, '[0-9]', '9', 'g')"
    upper = f"regexp_replace({digits}, '[A-Z]', 'X', 'g')"
    return f"regexp_replace({upper}, '[^9X+\\-]', 'x', 'g')"
