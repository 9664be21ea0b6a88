"""Person-level queries of the web: the client list (the own desk) and one client's timeline.

Every table comes from a `Scope` (`polku.web.access`), so these functions never see a row or
a field the user may not. Dates are judged against the data's own date (`as_of`, the latest
recorded date in the store), not the wall clock, so a store extracted last month reads as it
did then.

The stage on the path, as of `as_of`, first that holds: employed (an employment spell open
that day), in a service (an episode running that day that did start), waiting (referred,
the service not started yet), registered (a registration spell open), ended (none of these).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import ibis
import pandas as pd

from polku.web.access import Scope

STAGES = ("employed", "in_service", "waiting", "registered", "ended")
DESK_ORDER = ("waiting", "registered", "in_service", "employed", "ended")
"""The desk lists first the clients who wait for something, then the longest without a service."""


def _open_on(table: ibis.Table, as_of: dt.date) -> ibis.Value:
    return (table.start_date <= as_of) & (table.end_date.isnull() | (table.end_date >= as_of))


def _flag_query(read: Callable[[str], ibis.Table], people: ibis.Table, as_of: dt.date) -> ibis.Table:
    """Per person of `people`: the stage flags, the last service's end and the latest measurement date."""
    names = ("registration_spell", "service_episode", "employment_spell", "measurement")
    regs, eps, emp, meas = (read(n) for n in names)
    any_of = lambda cond: cond.cast("int").max()  # noqa: E731
    started = eps.filter(eps.start_date <= as_of)
    parts = [
        regs.group_by("person_id").aggregate(registered=any_of(_open_on(regs, as_of))),
        eps.group_by("person_id").aggregate(
            in_service=any_of(_open_on(eps, as_of) & (eps.completion_status != "did_not_start")),
            waiting=any_of(eps.referral_date.notnull() & (eps.referral_date <= as_of) & (eps.start_date > as_of)),
        ),
        started.group_by("person_id").aggregate(last_service=started.end_date.fill_null(as_of).max()),
        emp.group_by("person_id").aggregate(employed=any_of(_open_on(emp, as_of))),
        meas.filter(meas.measured_on <= as_of).group_by("person_id").aggregate(latest_measured_on=meas.measured_on.max()),
    ]
    joined = people
    for part in parts:  # one query, not one per part: compiling each costs more than running it
        joined = joined.left_join(part, "person_id")
        joined = joined.drop(*[c for c in joined.columns if c.endswith("_right")])
    return joined.mutate(person_id=joined.person_id.cast("string"))


def _flags(scope: Scope, as_of: dt.date, person_id: uuid.UUID | None) -> list[dict[str, Any]]:
    """Per client in scope (or the one client): `_flag_query`'s rows as dicts. The whole scope's
    query is compiled once per schema, scope and date (`Scope.scope_rows`), without pandas."""
    if person_id is None:
        names, rows = scope.scope_rows(("flags", as_of), lambda s: _flag_query(s.table, s.clients(), as_of))
        return [dict(zip(names, row)) for row in rows]
    one = ibis.memtable({"person_id": [str(person_id)]}, schema={"person_id": "string"})
    people = one.select(person_id=one.person_id.cast("uuid"))
    frame = _flag_query(lambda name: scope.client_table(name, person_id), people, as_of).execute()
    return [{k: None if v is None or v != v else v for k, v in row.items()} for row in frame.to_dict("records")]


def stage_of(row: dict[str, Any]) -> str:
    """The first stage of `STAGES` whose flag is set (no rows: not set)."""
    return next((stage for stage in STAGES[:-1] if row[stage]), "ended")


def client_list(scope: Scope, as_of: dt.date, person_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
    """The user's clients (or the one client) with stage, last service, latest measurement, and
    the case worker where the role sees more than its own clients; the whole scope's list is
    kept with the snapshot (the desk and the team page both start from it)."""
    if person_id is None:
        return list(_listed(scope, as_of)[0])
    return _client_list(scope, as_of, person_id)


def client_list_digest(scope: Scope, as_of: dt.date) -> bytes:
    """The digest of `client_list(scope, as_of)` (`rows_digest_of`), worked out
    once with the list, so the desk can tell that it is unchanged without reading 20,000 rows."""
    return _listed(scope, as_of)[1]


def rows_digest_of(rows: list[dict[str, Any]]) -> bytes:
    """A digest of the client list's rows (BLAKE2b of their `repr`: exact for the dates, numbers,
    text and None they hold; a row's keys come in the order the code puts them, so equal rows
    give equal digests)."""
    return hashlib.blake2b(repr(rows).encode("utf-8"), digest_size=16).digest()


def _listed(scope: Scope, as_of: dt.date) -> tuple[tuple[dict[str, Any], ...], bytes]:
    def compute(scope: Scope) -> tuple[tuple[dict[str, Any], ...], bytes]:
        rows = _client_list(scope, as_of, None)
        return tuple(rows), rows_digest_of(rows)

    return scope.prepared(("client_list", as_of), compute)


def _client_list(scope: Scope, as_of: dt.date, person_id: uuid.UUID | None) -> list[dict[str, Any]]:
    owners = _owners(scope, person_id)
    rows = []
    for row in _flags(scope, as_of, person_id):
        last = _date(row["last_service"])
        rows.append(
            {
                "id": row["person_id"],
                "stage": stage_of(row),
                "last_service_end": last,
                "days_since_service": None if last is None else (as_of - last).days,
                "latest_measured_on": _date(row["latest_measured_on"]),
            }
            | ({"case_worker_id": owners.get(row["person_id"])} if owners is not None else {})
        )
    order = {stage: i for i, stage in enumerate(DESK_ORDER)}
    return sorted(rows, key=lambda r: (order[r["stage"]], -(r["days_since_service"] or 0), r["id"]))


def _owners(scope: Scope, person_id: uuid.UUID | None = None) -> dict[str, str] | None:
    """Responsible case worker per client id, for the roles that see more than their own clients:
    on a kept-open snapshot everyone's at once, kept and carried with it (one query, where a
    client page would make one of its own); else of the one client (`person_id`), or everyone's."""
    if scope.user.role not in ("teamlead", "analyst"):
        return None
    if person_id is not None and not scope.keeps:
        found = scope.person_query("owner", person_id, lambda p: _owner_of(scope, p))
        return {str(row["person_id"]): row["case_worker_id"] for row in found}
    query = lambda s: s.responsible().select(person_id=ibis._.person_id.cast("string"), worker=ibis._.case_worker_id)  # noqa: E731
    return scope.prepared("owners", lambda s: dict(s.scope_rows("owners", query)[1]))


def _owner_of(scope: Scope, person_id: uuid.UUID) -> ibis.Table:
    owners = scope.responsible()
    return owners.filter(owners.person_id == person_id)


def _open_row(row: dict[str, Any], as_of: dt.date) -> bool:
    start, end = row.get("start_date"), row.get("end_date")
    return start is not None and start <= as_of and (end is None or end >= as_of)


def client_row(scope: Scope, path: dict[str, list[dict[str, Any]]], as_of: dt.date, person_id: uuid.UUID) -> dict[str, Any]:
    """`client_list(scope, as_of, person_id)[0]` computed from the client's `timeline`, which the
    client page reads anyway: the same flags as `_flags` without five more queries."""
    eps = path.get("service_episode", [])
    started = [e for e in eps if e["start_date"] is not None and e["start_date"] <= as_of]
    days = [m["measured_on"] for m in path.get("measurement", [])]
    measured = [day for day in days if day is not None and day <= as_of]
    referred = lambda e: e["referral_date"] is not None and e["referral_date"] <= as_of and e["start_date"] > as_of  # noqa: E731
    flags = {
        "employed": any(_open_row(r, as_of) for r in path.get("employment_spell", [])),
        "in_service": any(_open_row(e, as_of) and e["completion_status"] not in (None, "did_not_start") for e in eps),
        "waiting": any(e["start_date"] is not None and referred(e) for e in eps),
        "registered": any(_open_row(r, as_of) for r in path.get("registration_spell", [])),
    }
    last = max((e["end_date"] or as_of for e in started), default=None)
    owners = _owners(scope, person_id)
    return {
        "id": str(person_id),
        "stage": next((stage for stage in STAGES[:-1] if flags[stage]), "ended"),
        "last_service_end": last,
        "days_since_service": None if last is None else (as_of - last).days,
        "latest_measured_on": max(measured, default=None),
    } | ({"case_worker_id": owners.get(str(person_id))} if owners is not None else {})


def _date(value: Any) -> dt.date | None:
    if value is None or value != value:
        return None
    return value.date() if isinstance(value, (pd.Timestamp, dt.datetime)) else value


def latest_measurements(scope: Scope, person_ids: list[uuid.UUID] | None = None) -> dict[str, dict[str, float]]:
    """Per client: the values of their latest measurement day, item -> value."""
    meas = scope.table("measurement")
    if person_ids is not None:
        meas = meas.filter(meas.person_id.isin(person_ids))
    latest = meas.group_by("person_id").aggregate(day=meas.measured_on.max())
    joined = meas.inner_join(latest, (meas.person_id == latest.person_id) & (meas.measured_on == latest.day))
    frame = joined.select(meas.person_id, meas.item, meas.value).execute()
    found: dict[str, dict[str, float]] = {}
    for row in frame.itertuples(index=False):
        found.setdefault(str(row.person_id), {})[row.item] = float(row.value)
    return found


TIMELINE_TABLES: dict[str, tuple[str, str | None]] = {
    "registration_spell": ("start_date", "end_date"),
    "benefit_spell": ("start_date", "end_date"),
    "service_episode": ("start_date", "end_date"),
    "measurement": ("measured_on", None),
    "goal": ("set_on", "due"),
    "employment_spell": ("start_date", "end_date"),
    "contact": ("contact_date", None),
    "job_application": ("month", None),
}
"""The tables of a client's path, each with the dates that place a row on the timeline."""


def timeline(scope: Scope, person_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    """One client's rows per table, oldest first, with the lineage columns left out; a table the
    role may not see is absent (so a page can tell "hidden" from "none"). Each table's query is
    compiled once per snapshot and scope (`Scope.client_rows`): compiling cost more than running."""
    found: dict[str, list[dict[str, Any]]] = {}
    for name, (start, _) in TIMELINE_TABLES.items():
        if scope.may_see(name):
            found[name] = [{k: plain_value(v) for k, v in row.items()} for row in scope.client_rows(name, person_id, start)]
    return found


def plain_value(value: Any) -> Any:
    """A JSON- and template-friendly value: dates as dates, NaN/NaT as None, decimals as float."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return float(value) if type(value).__name__ == "Decimal" else value
