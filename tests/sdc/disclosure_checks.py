"""What an attacker can compute from one output table, checked against the threshold.

Used by the findings tests and the property test. A table is a report `Table` block (cells
as text) or a list of JSON records. The checks: no shown count from 1 to T-1, and no line
(a column with its shown total, a row with its shown total, a service's client groups or
providers beside the service) whose shown total minus its shown parts is 1 to T-1 while
some part is hidden, and no number from 1 to T-1 in a note.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from polku import sdc
from polku.reports.blocks import Table

ORGANISATION_TABLES = {"service", "provider", "team", "case_worker"}
_INT = re.compile(r"^-?\d{1,3}(\u202f\d{3})*$|^-?\d+$")
_NUMBER = re.compile(r"(?<![\w.\-/])\d+(?![\w.\-/%])")


def small(value: int | None, t: int) -> bool:
    return value is not None and 0 < value < t


def cell_int(text: str) -> int | None | str:
    """An integer cell, None for the marker, or the text itself for anything else."""
    if text == sdc.MARKER:
        return None
    return int(text.replace("\u202f", "")) if _INT.match(text) else text


def line_leaks(total: int | None, parts: Sequence[int | None], t: int) -> bool:
    """A shown total minus its shown parts (the hidden parts and any rest no part shows) small."""
    return total is not None and small(total - sum(p for p in parts if p is not None), t)


def note_numbers(text: str | None) -> list[int]:
    return [int(m) for m in _NUMBER.findall(text or "")]


def table_problems(table: Table, t: int) -> list[str]:
    """Shown counts and line sums from 1 to T-1 in a report table (column 0 holds labels)."""
    problems = []
    rows = [r for r in table.rows if r[0] not in ORGANISATION_TABLES]
    grid = [[cell_int(c) for c in r[1:]] for r in rows]
    for r, row in zip(rows, grid):
        problems += [f"{table.id}: {r[0]} shows {v}" for v in row if isinstance(v, int) and small(v, t)]
    if table.foot is not None:
        foot = [cell_int(c) for c in table.foot[1:]]
        for j, total in enumerate(foot):
            column = [row[j] for row in grid]
            if isinstance(total, int) and all(v is None or isinstance(v, int) for v in column) and line_leaks(total, column, t):
                problems.append(f"{table.id}: column {table.header[j + 1]} hides a sum below {t}")
        if len(table.header) > 3 and table.header[-1] == table.foot[0]:  # a cross table: its last column holds row totals
            for r, row in zip(rows, grid):
                if (
                    all(v is None or isinstance(v, int) for v in row)
                    and isinstance(row[-1], int)
                    and line_leaks(row[-1], row[:-1], t)
                ):
                    problems.append(f"{table.id}: row {r[0]} hides a sum below {t}")
    return problems


def estimate_problems(records: Sequence[dict[str, Any]], t: int) -> list[str]:
    problems = []
    for r in records:
        who = f"{r.get('service_code')}/{r.get('client_group')}/{r.get('provider_id')}"
        problems += [f"{who} {k}={r[k]}" for k in ("n_treated", "n_control", "n_trimmed") if small(r.get(k), t)]
        problems += [f"{who} note {n}" for n in note_numbers(r.get("note")) if small(n, t)]
    for s in (r for r in records if r.get("level") == "service"):
        for level in ("service_group", "service_provider"):
            parts = [r["n_treated"] for r in records if r.get("level") == level and r["service_code"] == s["service_code"]]
            if parts and line_leaks(s["n_treated"], parts, t):
                problems.append(f"{s['service_code']} {level} hide a sum below {t}")
    return problems


def cba_problems(records: Sequence[dict[str, Any]], t: int) -> list[str]:
    problems = []
    keys = ("participants", "participants_in_estimate", "employed", "wages_imputed", "costs_missing", "fallbacks")
    for r in records:
        problems += [f"{r['service']} {k}={r[k]}" for k in keys if small(r.get(k), t)]
        problems += [f"{r['service']} note {n}" for n in note_numbers(r.get("note")) if small(n, t)]
        p, i = r.get("participants"), r.get("participants_in_estimate")
        if p is not None and i is not None and small(p - i, t):
            problems.append(f"{r['service']} participants - in estimate = {p - i}")
    return problems


def status_problems(summary: dict[str, Any], t: int) -> list[str]:
    people = lambda table: table not in ORGANISATION_TABLES  # noqa: E731
    problems = [f"table {k}={v}" for k, v in summary["tables"].items() if people(k) and small(v, t)]
    for e in (e for e in summary["imports"] if people(e["table"])):
        read, accepted, quarantined = e["rows_read"], e["rows_accepted"], e["rows_quarantined"]
        problems += [f"import {e['table']} {v}" for v in (read, accepted, quarantined) if small(v, t)]
        if line_leaks(read, [accepted, quarantined], t):
            problems.append(f"import {e['table']} hides a sum below {t}")
    problems += [
        f"quarantine {q['table']} {q['rows']}" for q in summary["quarantine"] if people(q["table"]) and small(q["rows"], t)
    ]
    problems += [f"finding {f['code']} {f['count']}" for f in summary["findings"] if people(f["table"]) and small(f["count"], t)]
    return problems


def all_tables(blocks: Iterable[Any]) -> list[Table]:
    return [b for b in blocks if isinstance(b, Table)]


# --- JSON of the web API and of `polku change --json` --------------------------------------

NOT_COUNTS = frozenset({"threshold", "page", "pages", "year", "month", "months", "decimals", "order", "limit"})
"""Keys of JSON numbers that are not counts of people (settings, paging, calendar)."""


def _line_of(node: dict[str, Any]) -> tuple[Any, list[Any]] | None:
    """(total, parts) when a JSON object is a distribution: `rows` (an object or a list of
    numbers) beside its `total`."""
    rows, total = node.get("rows"), node.get("total")
    if not isinstance(total, int) or isinstance(total, bool):
        return None
    parts = list(rows.values()) if isinstance(rows, dict) else rows if isinstance(rows, list) else None
    if parts is None or not all(p is None or (isinstance(p, int) and not isinstance(p, bool)) for p in parts):
        return None
    return total, parts


def _foot_lines(node: dict[str, Any]) -> list[tuple[Any, list[Any]]]:
    """A table object with list rows and a `foot` of column totals: one line per column."""
    rows, foot = node.get("rows"), node.get("foot")
    if not (isinstance(rows, list) and isinstance(foot, list) and all(isinstance(r, list) for r in rows)):
        return []
    lines = []
    for j, total in enumerate(foot):
        column = [r[j] if j < len(r) else None for r in rows]
        if isinstance(total, int) and all(v is None or isinstance(v, int) for v in column):
            lines.append((total, column))
    return lines


def json_problems(node: Any, t: int, where: str = "") -> list[str]:
    """Counts from 1 to T-1 anywhere in a JSON answer, and distributions or footed tables whose
    shown total minus shown parts is 1 to T-1."""
    problems: list[str] = []
    if isinstance(node, dict):
        line = _line_of(node)
        for total, parts in ([line] if line else []) + _foot_lines(node):
            if line_leaks(total, parts, t):
                problems.append(f"{where}: a total minus its shown parts is below {t}")
        for key, value in node.items():
            if isinstance(value, int) and not isinstance(value, bool):
                if key not in NOT_COUNTS and small(value, t):
                    problems.append(f"{where}.{key} = {value}")
            else:
                problems += json_problems(value, t, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, int) and not isinstance(value, bool):
                problems += [f"{where}[{i}] = {value}"] if small(value, t) else []
            else:
                problems += json_problems(value, t, f"{where}[{i}]")
    return problems


CHANGE_CLASSES = ("improved", "unchanged", "worsened")
GAS_BANDS = ("below", "at", "above")


def change_problems(record: dict[str, Any], t: int) -> list[str]:
    """`polku change --json`: every count, each row's classes against its clients, GAS bands
    against the GAS clients, goals per domain and level."""
    problems = []
    for part in ("items", "services"):
        for r in record[part]:
            who = f"{part} {r.get('service_code', '')} {r.get('instrument')}:{r.get('item')} {r.get('period', '')}"
            problems += [f"{who} {k}={r[k]}" for k in (*CHANGE_CLASSES, "clients") if small(r[k], t)]
            if line_leaks(r["clients"], [r[c] for c in CHANGE_CLASSES], t):
                problems.append(f"{who}: clients minus the shown classes is below {t}")
    gas = record["gas"]
    problems += [f"gas {k}={gas[k]}" for k in (*GAS_BANDS, "clients") if small(gas[k], t)]
    if line_leaks(gas["clients"], [gas[b] for b in GAS_BANDS], t):
        problems.append(f"gas: clients minus the shown bands is below {t}")
    problems += [f"gas level {r['domain']} {r['level']}={r['count']}" for r in record["gas_levels"] if small(r["count"], t)]
    return problems
