"""The own desk and the client page: what a case worker sees per client, read through the Scope.

Per client: the stage and time since the last service (`polku.web.clients`), time since the
last contact, the latest measurements with their change since entry, goals due or overdue,
the job-search obligations (`polku.obligations`, dated rules), flags (`desk_rules`) and the
chance of work within 12 months without a service with its interval, from the seed model
stored in the latest analysis run (`polku.desk.expected`: prediction, never fitting), beside
the effects the run estimated for the services offered to the client's group, through the
disclosure gate. No run yet: the page says so. Tables the role may not see are empty here,
as everywhere (`polku.web.access`).
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import ibis
import pandas as pd

from polku import sdc
from polku.change.instrument import Item, instruments
from polku.desk import expected
from polku.desk.features import derive, feature_query
from polku.obligations import obligations
from polku.runs.effects import effect_lines, estimate_records
from polku.runs.read import Run
from polku.store.kept import Memo
from polku.web import desk_rules
from polku.web.access import Scope
from polku.web.clients import rows_digest_of

Read = Callable[[str], ibis.Table]
COLUMNS = {
    "contact": ("contact_date", "kind"),
    "job_application": ("month", "applications"),
    "registration_spell": ("start_date", "end_date"),
    "measurement": ("instrument", "item", "measured_on", "value"),
    "goal": ("goal_id", "domain", "due", "status"),
}


Rows = dict[str, Sequence[tuple[Any, ...]]]
"""Per table: the rows of one client, each a tuple in the order of `COLUMNS`."""


def _cell(value: Any) -> Any:
    """A plain Python value: dates as dates, missing as None."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    return value.date() if isinstance(value, (pd.Timestamp, dt.datetime)) else value


def _gather_query(read: Read, name: str, as_of: dt.date) -> ibis.Table:
    """The rows of table `name` the desk needs, up to `as_of`, by person and oldest first."""
    columns = COLUMNS[name]
    table = read(name)
    picked = table.select(table.person_id.cast("string").name("person_id"), *columns)  # no UUID objects
    first = columns[0] if name != "measurement" else "measured_on"
    if name in ("contact", "measurement"):
        picked = picked.filter(picked[first] <= as_of)
    return picked.order_by(["person_id", first])


def _by_person(rows: Iterable[tuple[Any, ...]]) -> dict[str, list[tuple[Any, ...]]]:
    by_person: dict[str, list[tuple[Any, ...]]] = {}
    for person, *row in rows:
        by_person.setdefault(person, []).append(tuple(row))
    return by_person


def gather(read: Read, as_of: dt.date) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    """Per table and person: the rows the desk needs, up to `as_of`, oldest first (plain tuples,
    so that a caseload of a few hundred clients is summarised without pandas per client)."""
    found = {}
    for name, columns in COLUMNS.items():
        frame = _gather_query(read, name, as_of).execute()
        cells = [[_cell(v) for v in frame[c].tolist()] for c in columns]
        found[name] = _by_person(zip(frame["person_id"].tolist(), *cells))
    return found


EFFECTS_KEPT = 32
"""Released effects per client group kept per process (per run, gate setting and language)."""
_effects = Memo(EFFECTS_KEPT)

GATHERED_KEPT = 256
"""Tables' desk rows kept per process, by scope and digest (a few per scope in use)."""
_gathered = Memo(GATHERED_KEPT)


def gather_scope(scope: Scope, as_of: dt.date) -> tuple[dict[str, dict[str, Sequence[tuple[Any, ...]]]], Hashable]:
    """`gather(scope.table, as_of)` over the whole scope, and a digest of it. Each table's query
    is compiled once per schema, scope and date; DuckDB works out the digest of its rows first
    (`Scope.scope_digest`), and they are fetched (as DuckDB's own values, no pandas) only when
    no rows of that digest are kept: an import that replaced a table with the same rows in
    these columns (a re-export, new lineage) or changed another table costs no fetch."""
    found: dict[str, dict[str, Sequence[tuple[Any, ...]]]] = {}
    digests = []
    for name in COLUMNS:
        digest, found[name] = scope.memo(("gather", name, as_of), functools.partial(_gather_table, scope, name, as_of))
        digests.append(digest)
    return found, tuple(digests)


def _gather_table(scope: Scope, name: str, as_of: dt.date) -> tuple[tuple[int, int, int], dict[str, Sequence[tuple[Any, ...]]]]:
    """One table's part of `gather_scope`, with the digest of its rows: kept with the snapshot
    and carried to the next while the tables it read (this one, and those the scope's clients
    come from) hold the same rows, so an import of another table costs no query here at all."""
    query = functools.partial(_table_query, name=name, as_of=as_of)
    digest = scope.scope_digest(("gather", name, as_of), query)

    def fetch() -> dict[str, Sequence[tuple[Any, ...]]]:
        # tuples, not lists: kept for a while, and the garbage collector skips a tuple of plain values
        return {p: tuple(rows) for p, rows in _by_person(scope.scope_rows(("gather", name, as_of), query)[1]).items()}

    return digest, _gathered.get((scope.identity, name, as_of, digest), fetch)


def _table_query(scope: Scope, *, name: str, as_of: dt.date) -> ibis.Table:
    return _gather_query(scope.table, name, as_of)


def _open_spell(regs: Sequence[tuple[Any, ...]], as_of: dt.date) -> dt.date | None:
    """Start of the latest registration spell open on `as_of`."""
    open_ = [start for start, end in regs if start <= as_of <= (end or as_of)]
    return max(open_) if open_ else None


@cache
def _items() -> dict[str, Item]:
    return {code: item for inst in instruments().values() for code, item in inst.items.items()}


def _changes(meas: Sequence[tuple[Any, ...]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Each item's change since entry, and the items falling (see `desk_rules`)."""
    dated: dict[str, list[tuple[dt.date, float]]] = {}
    for _instrument, item, day, value in meas:
        dated.setdefault(str(item), []).append((day, float(value)))
    changes, falling = [], []
    for item in sorted(dated):
        known = _items().get(item)
        changes.append(vars(desk_rules.change_since_entry(item, dated[item], known)))
        if desk_rules.falling([v for _, v in dated[item]], known):
            falling.append(item)
    return changes, falling


def _obligations(mine: Rows, spell: dt.date | None, as_of: dt.date) -> dict[str, Any] | None:
    if spell is None:
        return None
    contacts = [(day, str(kind)) for day, kind in mine.get("contact", [])]
    reports = {month: int(count) for month, count in mine.get("job_application", [])}
    found = obligations(spell, contacts, reports, as_of)
    if found.rules is None:
        return {"rules": None}
    required, reported = found.applications_last(3)
    return {
        "rules": found.rules.id,
        "overdue_meetings": found.overdue,
        "next_meeting_due": found.next_due,
        "applications_required": required,
        "applications_reported": reported,
        "meetings": [vars(m) for m in found.meetings],
        "applications": [vars(p) | {"short": p.short} for p in found.applications],
    }


def summary(mine: Rows, base: dict[str, Any], as_of: dt.date, *, obliged: bool = True) -> dict[str, Any]:
    """One client's desk row: `base` (stage, last service) with contacts, change, goals, obligations
    (none when the role may not see the contacts they rest on: `obliged` False), flags."""
    contacts = mine.get("contact", [])
    last_contact = max(day for day, _ in contacts) if contacts else None
    spell = _open_spell(mine.get("registration_spell", []), as_of)
    changes, falling = _changes(mine.get("measurement", []))
    goals = [desk_rules.goal_state(status, due, as_of) for _id, _domain, due, status in mine.get("goal", [])]
    spell_days = None if spell is None else (as_of - spell).days
    return base | {
        "last_contact": last_contact,
        "days_since_contact": None if last_contact is None else (as_of - last_contact).days,
        "spell_days": spell_days,
        "changes": changes,
        "goals_overdue": goals.count("overdue"),
        "goals_due": goals.count("due"),
        "obligations": _obligations(mine, spell, as_of) if obliged else None,
        "flags": desk_rules.flags(base["stage"], base["days_since_service"], spell_days, falling),
        "falling_items": falling,
    }


def _rows_of(data: dict[str, dict[str, Sequence[tuple[Any, ...]]]], person: str) -> Rows:
    return {name: by_person.get(person, []) for name, by_person in data.items()}


SCOPES_CARRIED = 64
"""Scopes whose last desk is kept per process, to carry unchanged clients' rows to a new snapshot."""
_last_desk: Memo = Memo(SCOPES_CARRIED)


def desk(scope: Scope, rows: list[dict[str, Any]], as_of: dt.date, rows_digest: bytes | None = None) -> list[dict[str, Any]]:
    """The desk rows of `rows` (from `clients.client_list`) with everything the desk adds;
    `rows_digest`: `rows_digest_of(rows)` when the caller has it (`polku.web.clients.client_list_digest`).

    `summary` is a pure function of a client's rows, desk row, date and `obliged`, and most
    clients' are the same on the next snapshot (an import of one table, an entry for one
    client), so a client's row is carried from this scope's last desk when their inputs are
    equal, and worked out again otherwise. Equal is told cheaply: a table whose digest did not
    change gives the very rows kept before (`gather_scope`), so only the tables that changed are
    compared, client by client (tuples of dates, numbers, text and None: `==` is exact for the
    values of one column type), with the client's desk row."""
    data, digest = gather_scope(scope, as_of)
    obliged = scope.may_see("contact")
    whole = (digest, as_of, obliged, rows_digest_of(rows) if rows_digest is None else rows_digest)
    last: _LastDesk | None = _last_desk.peek(scope.identity)
    if last is not None and last.inputs == whole:  # every input the same: the same rows
        return [row for _, row in last.rows.values()]
    same_terms = last is not None and last.inputs[1:3] == (as_of, obliged)
    before = last.rows if last is not None and same_terms else {}
    kept_data = last.data if last is not None else {}
    changed = [(data[name], kept_data.get(name, {})) for name in data if kept_data.get(name) is not data[name]]
    now: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    found = []
    for base in rows:
        person = base["id"]
        kept = before.get(person)
        if kept is not None and kept[0] == base and all(new.get(person) == old.get(person) for new, old in changed):
            row = kept[1]
        else:
            row = summary(_rows_of(data, person), base, as_of, obliged=obliged)
        now[person] = (base, row)
        found.append(row)
    _last_desk.put(scope.identity, _LastDesk(whole, data, now))
    return found


def forget() -> None:
    """Forget every scope's last desk and kept rows (tests)."""
    _last_desk.clear()
    _gathered.clear()


@dataclass(frozen=True)
class _LastDesk:
    """A scope's last desk: the digest of all its inputs, the rows it read, and per client their desk row and summary."""

    inputs: tuple[Hashable, ...]
    data: dict[str, dict[str, Any]]
    """Per table, the rows of each client the desk was worked out from (`gather_scope`)."""
    rows: dict[str, tuple[dict[str, Any], dict[str, Any]]]


class Chances:
    """The seed model's chance per client and the effects per client group, from the latest run."""

    def __init__(self, store_path: Path) -> None:
        from polku.web.results import latest_run  # the run read once per process

        self.run: Run | None = latest_run(store_path)

    @property
    def available(self) -> bool:
        return self.run is not None and expected.TERMS_TABLE in self.run.tables

    def about(self) -> dict[str, Any] | None:
        if self.run is None:
            return None
        return {"run_id": self.run.run_id, "finished_at": self.run.finished_at.date(), "model": self.available}

    def for_clients(self, scope: Scope, ids: list[str], as_of: dt.date) -> dict[str, dict[str, Any]]:
        """id -> chance, low, high, group; empty without a model, or when the role may not see
        a field the model uses (partial work ability is hidden from providers)."""
        if not self.available or not ids or "partial_work_ability" not in scope.columns("person"):
            return {}
        assert self.run is not None
        everyone = scope.prepared(("chances", self.run.run_id, as_of), lambda s: self._in_scope(s, as_of))
        return {i: everyone[i] for i in ids if i in everyone}

    def for_client(self, scope: Scope, person_id: uuid.UUID, as_of: dt.date) -> dict[str, Any] | None:
        """`for_clients` of one client `scope.client()` found: the whole scope's, worked out once
        per snapshot and carried while the tables they read do not change (one query of the
        scope's features costs DuckDB about as much as one client's: 30-50 ms against 25 ms on
        the 2,000-client demo); on a store opened for one request, from the client's own rows
        only (a query prepared once per schema and scope)."""
        if not self.available or "partial_work_ability" not in scope.columns("person"):
            return None
        assert self.run is not None
        if scope.keeps:
            everyone = scope.prepared(("chances", self.run.run_id, as_of), lambda s: self._in_scope(s, as_of))
            kept: dict[str, Any] | None = everyone.get(str(person_id))
            return kept

        def query(person: uuid.UUID) -> ibis.Table:
            one = scope.for_person("person", person)
            days = one.select(one.person_id, ref_date=ibis.literal(as_of, type="date"))
            return feature_query(lambda name: scope.for_person(name, person), days)

        rows = scope.person_query(("features", as_of), person_id, query)
        if not rows:
            return None
        tables = self.run.tables
        covariance = tables[expected.COVARIANCE_TABLE] if expected.COVARIANCE_TABLE in tables else None
        chance = expected.chances(tables[expected.TERMS_TABLE], covariance, derive(pd.DataFrame(rows)))
        return chance.to_dict("records")[0] if len(chance) else None

    def _in_scope(self, scope: Scope, as_of: dt.date) -> dict[str, dict[str, Any]]:
        """The chance of every client of the scope, in one query (kept per snapshot, scope, run and
        date by `for_clients`: a client page then costs no query of its own)."""
        assert self.run is not None
        tables = self.run.tables
        covariance = tables[expected.COVARIANCE_TABLE] if expected.COVARIANCE_TABLE in tables else None

        def query(inline: Scope) -> ibis.Table:
            people = inline.clients()
            days = people.select(person_id=people.person_id, ref_date=ibis.literal(as_of, type="date"))
            rows = feature_query(inline.table, days)
            return rows.mutate(person_id=rows.person_id.cast("string"))

        names, rows = scope.scope_rows(("features", as_of), query)
        frame = derive(pd.DataFrame.from_records(rows, columns=names))
        found = expected.chances(tables[expected.TERMS_TABLE], covariance, frame)
        return {r["person_id"]: r for r in found.to_dict("records")}

    def effects(self, names: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
        """Client group -> the released effects of the services on that group (percentage points)."""
        if self.run is None:
            return {}
        run = self.run

        def released() -> dict[str, list[dict[str, Any]]]:
            lines = effect_lines(sdc.release_estimates(estimate_records(run.tables)))
            found: dict[str, list[dict[str, Any]]] = {}
            for line in lines:
                if line["level"] == "service_group" and line["client_group"]:
                    found.setdefault(line["client_group"], []).append(
                        line | {"name": names.get(line["service_code"], line["service_code"])}
                    )
            return found

        # a run never changes: kept per run, the gate's setting and the names (a client page asked it each time)
        return _effects.get((str(run.folder), sdc.threshold(), tuple(sorted(names.items()))), released)


def one_client(path: dict[str, list[dict[str, Any]]], base: dict[str, Any], as_of: dt.date, *, obliged: bool) -> dict[str, Any]:
    """The desk row of one client from their timeline (`polku.web.clients.timeline`), which the
    client page reads anyway: the rows `gather` would read, without querying the tables again."""
    return summary(rows_from_timeline(path, as_of), base, as_of, obliged=obliged)


def rows_from_timeline(path: dict[str, list[dict[str, Any]]], as_of: dt.date) -> Rows:
    """One client's `gather` rows (the columns of `COLUMNS`, filtered and ordered alike) from their
    timeline rows; a table the role may not see is absent from the timeline and empty here."""
    mine: Rows = {}
    for name, columns in COLUMNS.items():
        first = columns[0] if name != "measurement" else "measured_on"
        rows = path.get(name, [])
        if name in ("contact", "measurement"):
            rows = [r for r in rows if r[first] is not None and r[first] <= as_of]
        ordered = sorted(rows, key=lambda r: (r[first] is None, r[first] if r[first] is not None else 0))
        mine[name] = [tuple(r[c] for c in columns) for r in ordered]
    return mine
