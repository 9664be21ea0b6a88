"""Deliberate recording mistakes: extra rows that copy a valid row with one error each.

The clean rows and the ground truth are untouched; the flawed copies are appended after
them with new ids (except the duplicate-key copy, whose point is the repeated id), and
listed in ground_truth_flaws.csv so an importer's quarantine can be checked exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from polku.identity import CHECK_CHARACTERS
from polku.schema.tables import IMPORT_ORDER
from polku.schema.tables import table as schema_table
from polku.synth.csvout import IDENTITY_COLUMN, stringify
from polku.synth.streams import rng

DEFAULT_FLAW_RATE = 0.002


@dataclass(frozen=True)
class Flaw:
    file: str
    line: int
    column: str
    flaw: str


def _date_pair(name: str) -> tuple[str, str] | None:
    """(earlier, later) columns of the table's first date-order rule."""
    for check in schema_table(name).checks:
        if len(check.columns) == 2 and check.name.endswith("_not_before_" + check.columns[1]):
            return check.columns[1], check.columns[0]
    return None


def kinds(name: str) -> list[str]:
    """Which mistakes make sense in this table (each breaks exactly one rule)."""
    t = schema_table(name)
    if name == "person":
        return ["invalid_hetu_check_character", "duplicate_key"]
    found = ["duplicate_key", "malformed_date", "unknown_code"]
    if t.identity_field is not None:
        found.append("invalid_hetu_check_character")
    if _date_pair(name):
        found.append("end_before_start")
    if any(f.kind == "money" and f.minimum == 0 for f in t.fields):
        found.append("negative_money")
    if name == "measurement":
        found.append("value_outside_scale")
    if not any(f.kind == "date" and f.required for f in t.fields):
        found.remove("malformed_date")
    if not any(f.kind == "code" and f.codelist and f.codelist != "municipality" for f in t.fields):
        found.remove("unknown_code")
    return found


def _column_for(name: str, kind: str, row: dict[str, str | None]) -> str | None:
    """The column the mistake goes into, or None when this row cannot carry it."""
    t = schema_table(name)
    if kind == "invalid_hetu_check_character":
        return IDENTITY_COLUMN
    if kind == "duplicate_key":
        return IDENTITY_COLUMN if name == "person" else t.key[0]
    if kind == "malformed_date":
        return next(f.name for f in t.fields if f.kind == "date" and f.required)
    if kind == "unknown_code":
        return next(f.name for f in t.fields if f.kind == "code" and f.required and f.codelist != "municipality")
    if kind == "end_before_start":
        pair = _date_pair(name)
        if pair is None:
            return None
        first, second = pair
        return second if row.get(second) and row.get(first) else None
    if kind == "negative_money":
        column = next(f.name for f in t.fields if f.kind == "money" and f.minimum == 0)
        return column if row.get(column) else None
    return "value"


def _shift_iso(iso: str, days: int) -> str:
    return str(np.datetime64(iso, "D") + np.int64(days))


def _filled(row: dict[str, str | None], column: str | None) -> str:
    """The value of a column that _column_for has already found filled in this row."""
    value = row.get(column) if column else None
    if value is None:
        raise ValueError(f"the row has no value in {column}")
    return value


def _broken(kind: str, row: dict[str, str | None], column: str, name: str, g: np.random.Generator) -> str:
    old = row[column] or ""
    if kind == "invalid_hetu_check_character":
        return old[:10] + next(c for c in CHECK_CHARACTERS[int(g.integers(31)) :] + CHECK_CHARACTERS if c != old[10])
    if kind == "duplicate_key":
        return old
    if kind == "malformed_date":
        year, month, day = old.split("-")
        return f"{int(day)}.{int(month)}.{year}"
    if kind == "unknown_code":
        return "tuntematon_koodi"
    if kind == "end_before_start":
        pair = _date_pair(name)
        return _shift_iso(_filled(row, pair[0] if pair else None), -int(g.integers(1, 31)))
    if kind == "negative_money":
        return "-" + (old if float(old) > 0 else "1.00")
    return f"{float(_filled(row, 'scale_max')) + 1 + int(g.integers(3)):g}"


def flawed_rows(
    name: str, columns: dict[str, pa.Array], rate: float, seed: int, first_line: int
) -> tuple[dict[str, pa.Array], list[Flaw]]:
    """Flawed copies of random rows of one table, and where each lands in the file."""
    rows = len(next(iter(columns.values()))) if columns else 0
    count = int(round(rows * rate))
    if not count:
        return {}, []
    g = rng(seed, "organisation", 1000 + IMPORT_ORDER.index(name))
    source_rows = pa.array(g.integers(0, rows, count))  # one draw: every column copies the same row
    picked = stringify({k: v.take(source_rows) for k, v in columns.items()})
    available = kinds(name)
    key = IDENTITY_COLUMN if name == "person" else schema_table(name).key[0]
    out: dict[str, list[str | None]] = {k: [] for k in columns}
    flaws: list[Flaw] = []
    for i in range(count):
        row = {k: v[i] for k, v in picked.items()}
        kind = available[i % len(available)]
        column = _column_for(name, kind, row)
        if column is None:
            kind, column = "duplicate_key", key
        row[column] = _broken(kind, row, column, name, g)
        if kind != "duplicate_key" and column != key and key != IDENTITY_COLUMN:
            row[key] = f"{row[key]}F{i + 1}"
        for k in out:
            out[k].append(row[k])
        flaws.append(Flaw(f"{name}.csv", first_line + i, column, kind))
    return {k: pa.array(v, type=pa.string()) for k, v in out.items()}, flaws
