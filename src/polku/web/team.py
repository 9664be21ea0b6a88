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
from typing import Any

import pandas as pd

from polku import sdc
from polku.web import clients
from polku.web.access import Scope

NO_SERVICE_DAYS = 91
CLOSED_GOALS = ("achieved", "partly_achieved", "not_achieved")
COUNTS = ("clients", "in_service", "waiting", "no_service_3m", "goals_closed", "goals_achieved", "measured", "improved")


def _improved(scope: Scope) -> pd.DataFrame:
    """Per client measured on two days or more: whether the mean change first -> latest is above 0."""
    meas = scope.table("measurement").select("person_id", "item", "value", "measured_on").execute()
    if meas.empty:
        return pd.DataFrame({"person_id": [], "improved": []})
    meas = meas.sort_values(["person_id", "item", "measured_on"])
    ends = meas.groupby(["person_id", "item"]).value.agg(["first", "last", "count"]).reset_index()
    ends = ends[ends["count"] >= 2]
    change = (ends["last"].astype(float) - ends["first"].astype(float)).groupby(ends.person_id).mean()
    return pd.DataFrame({"person_id": change.index.astype(str), "improved": (change > 0).to_numpy()})


def _goals(scope: Scope) -> pd.DataFrame:
    goals = scope.table("goal").select("person_id", "status").execute()
    closed = goals[goals.status.isin(CLOSED_GOALS)]
    per = closed.groupby("person_id").status.agg(closed="count", achieved=lambda s: int((s == "achieved").sum()))
    return per.reset_index().assign(person_id=lambda f: f.person_id.astype(str))


def caseload_frame(scope: Scope, as_of: dt.date) -> pd.DataFrame:
    """One row per client in scope: case worker, team, stage flags, goals and change (worked out
    once per snapshot, scope and date; a copy each time)."""
    return scope.memo(("caseload", as_of), lambda: _caseload_frame(scope, as_of)).copy()


def _caseload_frame(scope: Scope, as_of: dt.date) -> pd.DataFrame:
    listed = pd.DataFrame(clients.client_list(scope, as_of))
    if listed.empty:
        return listed
    owners = scope.responsible().execute().assign(person_id=lambda f: f.person_id.astype(str))
    frame = listed.merge(owners.rename(columns={"person_id": "id"}), on="id", how="left", suffixes=("_listed", ""))
    frame = frame.merge(_goals(scope).rename(columns={"person_id": "id"}), on="id", how="left")
    return frame.merge(_improved(scope).rename(columns={"person_id": "id"}), on="id", how="left")


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
    frame = caseload_frame(scope, as_of)
    rows = caseload(frame, exact=exact)
    ctx.read(rows={"person": len(frame)}, exact=exact)
    return {"as_of": as_of, "rows": rows, "exact": exact, "threshold": sdc.threshold(), "columns": list(COUNTS)}
