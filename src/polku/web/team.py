"""The team lead's view: the team's caseload, flags, change and goal attainment by case worker.

This is for support, not ranking: case workers are listed by team and id, never by any
figure, and no column is a score to sort by. Each count passes the disclosure gate
(`sdc.separate_counts`, shares by `sdc.share`), so a case worker with a handful of clients
in some state is not shown to the exact person; an analyst's `?exact=1` shows them exact.
It reads person-level rows of the scope (the team's clients), so each view is audited.

Per case worker, on the data's own date: clients; in a service; waiting; without a service
for 3 months or more (the desk's flag); goals achieved out of those closed (achieved,
partly achieved, not achieved); clients whose measurements rose from their first to their
latest day (mean over the items measured on both), out of those measured twice or more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import ibis
import pandas as pd

from polku import sdc
from polku.web import clients
from polku.web.access import Scope

NO_SERVICE_DAYS = 91
CLOSED_GOALS = ("achieved", "partly_achieved", "not_achieved")
COUNTS = ("clients", "in_service", "waiting", "no_service_3m", "goals_closed", "goals_achieved", "measured", "improved")


def _improved_query(scope: Scope) -> ibis.Table:
    """Per client measured twice or more on an item: whether the mean change first -> latest
    (by date, over the items measured twice or more) is above 0."""
    meas = scope.table("measurement")
    order = [meas.measured_on, meas.measurement_id]
    ends = meas.group_by(["person_id", "item"]).aggregate(
        first=meas.value.first(order_by=order), last=meas.value.last(order_by=order), n=meas.count()
    )
    ends = ends.filter(ends.n >= 2)
    change = ends.group_by("person_id").aggregate(change=(ends["last"] - ends["first"]).mean())
    return change.select(id=change.person_id.cast("string"), improved=change.change > 0)


def _goals_query(scope: Scope) -> ibis.Table:
    """Per client with a closed goal: goals closed, and achieved."""
    goal = scope.table("goal")
    closed = goal.filter(goal.status.isin(CLOSED_GOALS))
    per = closed.group_by("person_id").aggregate(
        closed=closed.count(), achieved=(closed.status == "achieved").cast("int64").sum()
    )
    return per.select(id=per.person_id.cast("string"), closed=per.closed, achieved=per.achieved)


def _frame(scope: Scope, key: str, query: Callable[[Scope], ibis.Table]) -> pd.DataFrame:
    """`query`'s rows over the scope as a frame (its SQL compiled once per schema and scope)."""
    names, rows = scope.scope_rows(key, query)
    return pd.DataFrame.from_records(rows, columns=names)


def caseload_frame(scope: Scope, as_of: dt.date) -> pd.DataFrame:
    """One row per client in scope: case worker, team, stage flags, goals and change (worked out
    once per snapshot, scope and date; a copy each time)."""
    return scope.prepared(("caseload", as_of), lambda s: _caseload_frame(s, as_of)).copy()


def _caseload_frame(scope: Scope, as_of: dt.date) -> pd.DataFrame:
    listed = pd.DataFrame(clients.client_list(scope, as_of))
    if listed.empty:
        return listed
    owners = _frame(scope, "owners_teams", lambda s: s.responsible().mutate(id=ibis._.person_id.cast("string")).drop("person_id"))
    frame = listed.merge(owners, on="id", how="left", suffixes=("_listed", ""))
    frame = frame.merge(_frame(scope, "closed_goals", _goals_query), on="id", how="left")
    return frame.merge(_frame(scope, "improved", _improved_query), on="id", how="left")


def _counts(group: pd.DataFrame) -> dict[str, int]:
    days = group.days_since_service
    return {
        "clients": len(group),
        "in_service": int((group.stage == "in_service").sum()),
        "waiting": int((group.stage == "waiting").sum()),
        "no_service_3m": int(((days >= NO_SERVICE_DAYS) | days.isna()).sum()),
        "goals_closed": int(group["closed"].fillna(0).sum()),
        "goals_achieved": int(group["achieved"].fillna(0).sum()),
        "measured": int(group.improved.notna().sum()),
        "improved": int(group.improved.eq(True).sum()),
    }


def caseload(frame: pd.DataFrame, *, exact: bool) -> list[dict[str, Any]]:
    """Rows per (team, case worker) of `caseload_frame`, in that order (never by a figure),
    gated unless `exact`."""
    if frame.empty:
        return []
    frame = frame.assign(team_id=frame.team_id.fillna("-"), case_worker_id=frame.case_worker_id.fillna("-"))
    rows = []
    for (team, worker), group in frame.groupby(["team_id", "case_worker_id"], sort=True):
        counts = _counts(group)
        rows.append({"team_id": team, "case_worker_id": worker} | _released(counts, 1 if exact else None))
    return rows


def _released(counts: dict[str, int], t: int | None) -> dict[str, Any]:
    """Each count through the gate, and the two shares by the gate's rule for shares (t=1: exact)."""
    shown, _ = sdc.separate_counts(counts, t=t)
    achieved = sdc.share(counts["goals_achieved"], counts["goals_closed"], t=t).value
    improved = sdc.share(counts["improved"], counts["measured"], t=t).value
    return shown | {"goals_achieved_share": achieved, "improved_share": improved}


def team_page(ctx: Any) -> dict[str, Any]:
    """The caseload by case worker of the user's scope (a team lead's team; every team for an analyst)."""
    from polku.web.access import Reads
    from polku.web.area import exact_asked

    ctx.require(Reads.TEAM)
    exact = exact_asked(ctx)
    scope = ctx.scope
    as_of = ctx.state.as_of(scope)
    key = ("caseload rows", as_of, exact, sdc.threshold())  # the gate's setting: its released rows

    def released(scope: Any) -> tuple[list[dict[str, Any]], int]:
        frame = caseload_frame(scope, as_of)
        return caseload(frame, exact=exact), len(frame)

    rows, clients_read = scope.prepared(key, released)  # gated and counted once per snapshot, scope and setting
    ctx.read(rows={"person": clients_read}, exact=exact)
    return {"as_of": as_of, "rows": rows, "exact": exact, "threshold": sdc.threshold(), "columns": list(COUNTS)}
