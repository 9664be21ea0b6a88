"""Shared synthetic areas (generated once per session) and a rule checker for their files.

The checker reads a file as text, exactly as an importer would, and reports every line
that breaks a rule of the data model: required values, kinds, code lists, min/max,
patterns, identity codes, duplicate keys, the tables' Check conditions (evaluated with
DuckDB) and dates after the extraction day.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from polku.identity import hetu_problem_sql
from polku.schema.codelists import codelist
from polku.schema.tables import Field, table
from polku.synth import generate

CLIENTS = 4000
SEED = 11
EXTRACTION = "2026-03-31"


@pytest.fixture(scope="session")
def area_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default area: recording mistakes at the default rate."""
    out = tmp_path_factory.mktemp("area")
    generate(clients=CLIENTS, seed=SEED, out_dir=out)
    return out


@pytest.fixture(scope="session")
def clean_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same area without recording mistakes."""
    out = tmp_path_factory.mktemp("clean")
    generate(clients=CLIENTS, seed=SEED, out_dir=out, flaw_rate=0)
    return out


def views(folder: Path, *names: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per written table, read as the files are."""
    con = duckdb.connect()
    for name in names:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_csv('{folder / (name + '.csv')}', header = true)")
    return con


def read(path: Path) -> pd.DataFrame:
    """A file as text; `__line` counts the header as line 1."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return frame.assign(__line=range(2, len(frame) + 2))


def _typed(f: Field, column: str) -> str:
    c = f"NULLIF(\"{column}\", '')"
    if f.kind == "date":
        return f"CASE WHEN regexp_full_match({c}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') THEN TRY_CAST({c} AS DATE) END"
    if f.kind in ("integer", "number", "money"):
        return f"TRY_CAST({c} AS DOUBLE)"
    if f.kind == "boolean":
        return f"CASE {c} WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END"
    return c


def _field_problems(f: Field, column: str) -> list[tuple[str, str]]:
    """(reason, SQL condition that is true when the value breaks the rule)."""
    c, typed = f'"{column}"', _typed(f, column)
    rules = [("missing", f"{c} = ''")] if f.required else []
    present = f"{c} <> ''"
    shapes = {"integer": "-?[0-9]+", "money": "-?[0-9]+\\.[0-9]{2}", "number": "-?[0-9]+(\\.[0-9]+)?"}
    if f.kind in shapes:
        rules.append(("kind", f"{present} AND NOT regexp_full_match({c}, '{shapes[f.kind]}')"))
    if f.kind in ("date", "boolean"):
        rules.append(("kind", f"{present} AND {typed} IS NULL"))
    if f.kind == "date":
        rules.append(("after_extraction", f"{typed} > DATE '{EXTRACTION}'"))
    if f.codelist:
        lst = codelist(f.codelist)
        codes = ", ".join(f"'{code}'" for code in lst.codes)
        known = f"{c} IN ({codes})" + (f" OR regexp_full_match({c}, '{lst.pattern}')" if not lst.closed else "")
        rules.append(("code", f"{present} AND NOT ({known})"))
    if f.minimum is not None:
        rules.append(("minimum", f"{typed} < {f.minimum}"))
    if f.maximum is not None:
        rules.append(("maximum", f"{typed} > {f.maximum}"))
    if f.pattern:
        rules.append(("pattern", f"{present} AND NOT regexp_full_match({c}, '{f.pattern}')"))
    if f.kind == "identity":
        rules.append(("hetu", f"{hetu_problem_sql(c, allow_temporary=True)} IS NOT NULL"))
        rules.append(("hetu_not_test_range", f"TRY_CAST(substr({c}, 8, 3) AS INTEGER) < 900"))
    return rules


def violations(path: Path, name: str) -> dict[int, set[str]]:
    """Line -> the rules it breaks, for one file of table `name`."""
    t = table(name)
    frame = read(path)
    con = duckdb.connect()
    con.register("raw", frame.rename(columns={"__line": "line"}))
    names = {f.name: ("hetu" if f.kind == "identity" else f.name) for f in t.fields}
    typed = ", ".join(f'{_typed(f, names[f.name])} AS "{f.name}"' for f in t.fields)
    con.execute(f"CREATE TABLE typed AS SELECT line, {typed} FROM raw")
    found: dict[int, set[str]] = {}
    checks = [(reason, cond, "raw") for f in t.fields for reason, cond in _field_problems(f, names[f.name])]
    for check in t.checks:
        present = " AND ".join(f'"{c}" IS NOT NULL' for c in check.columns)
        checks.append((check.name, f"{present} AND NOT ({check.condition})", "typed"))
    key = ", ".join(f'"{names[k]}"' for k in t.key)
    checks.append(("duplicate_key", f"row_number() OVER (PARTITION BY {key} ORDER BY line) > 1", "raw"))
    for reason, condition, source in checks:
        if "OVER" in condition:
            sql = f"SELECT line FROM (SELECT line, {condition} AS bad FROM {source}) WHERE bad"
        else:
            sql = f"SELECT line FROM {source} WHERE {condition}"
        for (line,) in con.execute(sql).fetchall():
            found.setdefault(int(line), set()).add(reason)
    return found
