"""The naive comparison an analyst without a design would make, computed from the files.

Participants of a service: open-market employment within 12 months of the service start.
Everyone else: the same outcome from a reference day = the start of their first
registration spell plus the participants' median wait from registration to service, among
those still registered then. Both restricted to follow-ups that end by the extraction day.
The difference mixes the effect with selection, which is what the ground truth lets a
test (and docs/synthetic.md) show: compare it with the true ATT of `employed_12m`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

_SQL = """
WITH ep AS (
    SELECT e.hetu, e.service_code, e.start_date,
           (SELECT max(r.start_date) FROM reg r WHERE r.hetu = e.hetu AND r.start_date <= e.start_date) AS reg_start
    FROM episode e WHERE e.start_date <= DATE '{extraction}' - INTERVAL 12 MONTH
),
lag AS (SELECT service_code, median(start_date - reg_start) AS wait FROM ep GROUP BY 1),
first_reg AS (
    SELECT hetu, arg_min(start_date, start_date) AS start_date, arg_min(end_date, start_date) AS end_date
    FROM reg WHERE hetu NOT IN (SELECT hetu FROM episode) GROUP BY 1
),
others AS (
    SELECT l.service_code, f.hetu, f.start_date + CAST(l.wait AS INTEGER) AS ref
    FROM first_reg f CROSS JOIN lag l
    WHERE (f.end_date IS NULL OR f.end_date >= f.start_date + CAST(l.wait AS INTEGER))
      AND f.start_date + CAST(l.wait AS INTEGER) <= DATE '{extraction}' - INTERVAL 12 MONTH
),
outcome AS (
    SELECT service_code, TRUE AS participant, hetu, start_date AS ref FROM ep
    UNION ALL SELECT service_code, FALSE, hetu, ref FROM others
)
SELECT service_code, participant, count(*) AS n,
       avg(CASE WHEN EXISTS (
           SELECT 1 FROM job j WHERE j.hetu = o.hetu AND NOT j.subsidised
             AND j.start_date < o.ref + INTERVAL 12 MONTH AND coalesce(j.end_date, DATE '9999-12-31') >= o.ref
       ) THEN 1.0 ELSE 0.0 END) AS employed_12m
FROM outcome o GROUP BY 1, 2 ORDER BY 1, 2
"""


_VIEWS = {
    "episode": ("service_episode", "episode_id", "hetu, service_code, {start}"),
    "reg": ("registration_spell", "spell_id", "hetu, {start}, {end}"),
    "job": ("employment_spell", "employment_id", "hetu, {start}, {end}, subsidised = 'true' AS subsidised"),
}


def _load(con: duckdb.DuckDBPyConnection, data_dir: Path) -> None:
    """Typed views over the clean rows: a flawed copy (new id with an F) is skipped."""
    dates = {"start": "TRY_CAST(start_date AS DATE) AS start_date", "end": "TRY_CAST(end_date AS DATE) AS end_date"}
    for view, (name, key, columns) in _VIEWS.items():
        path = str(Path(data_dir) / f"{name}.csv").replace("'", "''")
        con.execute(
            f"CREATE VIEW {view} AS SELECT {columns.format(**dates)} "
            f"FROM read_csv('{path}', header = true, all_varchar = true) WHERE {key} NOT LIKE '%F%'"
        )


def naive_differences(data_dir: Path, extraction: str) -> dict[str, float]:
    """Service code -> participants' minus others' share employed within 12 months."""
    con = duckdb.connect()
    _load(con, data_dir)
    rows = con.execute(_SQL.format(extraction=extraction)).fetchall()
    shares = {(service, participant): share for service, participant, _, share in rows}
    return {
        service: shares[(service, True)] - shares[(service, False)]
        for service, participant in shares
        if participant and (service, False) in shares
    }
