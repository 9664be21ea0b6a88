"""Who is compared with whom: the participants and the comparison draw, as Ibis expressions.

Risk-set sampling in calendar time (`polku.cohort.build` gives the design): on each day a
service starts, `k` comparison people per participant starting that day are drawn from the
people registered that day who have not yet started any service, and, for a service the
law reserves for some job seekers (`ELIGIBLE_ONLY`), whom the rule allows; a cohort drawn
within the services' target groups (`TARGET_GROUP_ONLY`) adds the rules the services' own
definitions give.

The draw's order is `draw_key`, a SHA-256 defined in this module's Python, not an engine's
own hash: written as an Ibis expression (`draw_key_expr`) it becomes the engine's SHA-256
function where the backend has one (DuckDB `sha256`, Spark `sha2(x, 256)`), and a Python
UDF calling `draw_key`'s own hashlib elsewhere; both give the key `draw_key` gives. Every
expression here is plain Ibis (joins, windows, aggregates), so another backend runs it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

import ibis
import ibis.expr.operations as ops
from ibis import _

UNEMPLOYMENT_BENEFITS = ("earnings_related_allowance", "basic_unemployment_allowance", "labour_market_subsidy")
BASIC_SUPPORT = ("labour_market_subsidy", "none")
"""Unemployment benefits that are basic support (no benefit at all counts too)."""
LONG_TERM_MONTHS = 12
RECURRENT_MONTHS_OF_36 = 24
DRAW_KEY_PREFIX = "polku-comparison-draw"

Tables = Callable[[str], ibis.Table]
"""The store's tables by name (`Store.table`, or any Ibis backend's `table`)."""


def draw_key(person_id: str, ref_date: dt.date, seed: int) -> str:
    """The comparison draw's sort key: SHA-256, as 64 lowercase hex digits, of the UTF-8 text
    `polku-comparison-draw:<seed>:<person_id>:<ref_date as YYYY-MM-DD>`, the person id in
    its canonical text form (a UUID's lowercase, hyphenated form).

    On each reference date the comparison people are the at-risk people with the smallest
    keys (ties, practically impossible, by person id). SHA-256 and text concatenation exist
    in every SQL engine and dataframe library, so any engine can redraw exactly the same
    people; DuckDB's own `hash()` is defined by DuckDB's code only. This function is the
    reference that `draw_key_expr` must match."""
    return _sha256_hex(f"{DRAW_KEY_PREFIX}:{seed}:{person_id}:{ref_date.isoformat()}")


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@ibis.udf.scalar.python(name="polku_sha256_hex")
def _sha256_udf(text: str) -> str:
    """SHA-256 in Python, for a backend that has no SHA-256 function of its own."""
    return _sha256_hex(text)


def draw_key_expr(person: ibis.Value, ref_date: ibis.Value, seed: int, *, native: bool = True) -> ibis.Value:
    """`draw_key` as an Ibis expression: the engine's SHA-256 (`hexdigest`), or with
    `native=False` the Python UDF, which every backend with Python UDFs runs."""
    text = ibis.literal(f"{DRAW_KEY_PREFIX}:{int(seed)}:") + person.cast("string") + ":" + ref_date.cast("string")
    return text.hexdigest("sha256") if native else _sha256_udf(text)


def has_native_sha256(backend: ibis.BaseBackend) -> bool:
    """Whether the backend compiles `hexdigest` (DuckDB, Spark and most SQL engines do)."""
    return bool(backend.has_operation(ops.HexDigest))


def months_between(start: ibis.Value, end: ibis.Value) -> ibis.Value:
    """Calendar months from `start` to `end`, counting month boundaries (DuckDB's
    `date_diff('month', ...)`), written in year and month arithmetic every engine has."""
    return (end.year() * 12 + end.month()) - (start.year() * 12 + start.month())


def participants(table: Tables, service: str, as_of: dt.date) -> ibis.Table:
    """The service's episodes that started by `as_of`: one row each, entering on the start day."""
    e = table("service_episode")
    started = e.filter(e.service_code == service, e.start_date <= as_of, e.completion_status != "did_not_start")
    return started.select("person_id", "episode_id", "provider_id", ref_date=_.start_date, treated=ibis.literal(True))


def first_service(table: Tables) -> ibis.Table:
    """Each person's first service start (episodes that did start)."""
    e = table("service_episode")
    return e.filter(e.completion_status != "did_not_start").group_by("person_id").aggregate(first_start=_.start_date.min())


def _long_term_on_basic_support(table: Tables, at_risk: ibis.Table) -> ibis.Table:
    """The at-risk rows whose person is, on the date, long unemployed (12 months in the
    spell, or 24 of the last 36) on basic support (labour market subsidy or no unemployment
    benefit at the spell's start), by the cohort's own definitions of `spell_months`,
    `months_unemployed_prev36` and `benefit_at_spell_start`."""
    r, b = table("registration_spell"), table("benefit_spell")
    paid = r.join(b, [b.person_id == r.person_id, b.start_date >= r.start_date, b.benefit_type.isin(UNEMPLOYMENT_BENEFITS)])
    paid = paid.select(r.person_id, spell_start=r.start_date, benefit_start=b.start_date, benefit_type=b.benefit_type)
    first = paid.group_by("person_id", "spell_start").aggregate(
        first_start=_.benefit_start.min(), first_type=_.benefit_type.argmin(_.benefit_start)
    )
    long_term = at_risk.filter(_long_term(at_risk))  # first: it needs no join, and keeps about a third
    joined = long_term.left_join(first, ["person_id", "spell_start"]).select(long_term, first.first_start, first.first_type)
    on_support = tuple(b for b in BASIC_SUPPORT if b != "none")
    basic = joined.first_start.isnull() | (joined.first_start >= joined.ref_date) | joined.first_type.isin(on_support)
    return joined.filter(basic).drop("first_start", "first_type")


def _long_term(rows: ibis.Table) -> ibis.Value:
    """Long unemployed on the row's date: 12 months in the spell, or 24 of the last 36."""
    in_spell = rows.current_spell_months + months_between(rows.spell_start, rows.ref_date)
    return (in_spell >= LONG_TERM_MONTHS) | (rows.months_unemployed_prev36 >= RECURRENT_MONTHS_OF_36)


def _partial_work_ability_or_long_term(table: Tables, at_risk: ibis.Table) -> ibis.Table:
    """The at-risk rows whose person has partial work ability recorded (`person`) or is, on
    the date, long unemployed (`_long_term`): the target group of supported employment."""
    p = table("person")
    joined = at_risk.join(p, at_risk.person_id == p.person_id).select(at_risk, p.partial_work_ability)
    return joined.filter(joined.partial_work_ability.fill_null(False) | _long_term(joined)).drop("partial_work_ability")


Rule = Callable[[Tables, ibis.Table], ibis.Table]
"""An eligibility rule: a filter of the at-risk rows (`at_risk`'s columns, and any others)."""

ELIGIBLE_ONLY: dict[str, Rule] = {"rehabilitative_work": _long_term_on_basic_support}
"""Service categories that the law reserves for some job seekers, and their rule (a filter of
the at-risk rows). Rehabilitative work activity (kuntouttava työtoiminta, Act 189/2001
s. 2-3) is for people long unemployed on basic support. For such a service the comparison
people are drawn only from those the rule allows: everyone else has no chance of the
service, so cannot stand for a participant; in the synthetic area they were 86 % of the
comparison people, and the estimate rested on the models' extrapolation from them
(docs/methods.md section 7)."""

TARGET_GROUP_ONLY: dict[str, Rule] = ELIGIBLE_ONLY | {"supported_employment": _partial_work_ability_or_long_term}
"""The rules of a cohort drawn within each service's target group (`CohortSpec.target_group`,
the effects on measured change and on goals, `polku.change`): the law's, and the target
group the service's own definition names where the comparison would otherwise rest on a
handful of people. Supported employment (tuettu työhönvalmennus, IPS) follows the IPS
quality criteria as THL adapted them in the Työkykyohjelma: its target group is people with
partial work ability and the long unemployed (seed 000, Rovaniemi). Drawn among all at-risk
job seekers, its comparison people had partial work ability in 8 of 164 (participants
94 %), and the weighted comparison was worth 1-8 people (docs/methods.md section 11). The
employment impact's cohort keeps the draw among everyone at risk for it (its figures in
docs/methods.md section 7 were measured so)."""

TARGET_GROUP_CONTROLS = 20
"""Comparison people per participant where a target group adds a rule to the law's
(`own_target_group`): within supported employment's target group few are measured twice
like its participants (about 1 in 9 of those with partial work ability, against about half
of the participants), and with five per participant the weighted comparison was still worth
a median 5-7 people; with 20, a median 18 on the three areas 20 was chosen on and 17 on the
benchmark's twelve, where the influence function's interval holds (docs/methods.md section 11)."""


def own_target_group(category: str) -> bool:
    """Whether the category's target group (`TARGET_GROUP_ONLY`) adds a rule to the law's."""
    return TARGET_GROUP_ONLY.get(category) is not ELIGIBLE_ONLY.get(category)


def start_dates(starts: ibis.Table) -> ibis.Table:
    """(ref_date, starting): the days participants start, with how many start each day."""
    return starts.group_by("ref_date").aggregate(starting=_.count())


def at_risk(table: Tables, dates: ibis.Table) -> ibis.Table:
    """(ref_date, person_id, spell_start, current_spell_months, months_unemployed_prev36): on
    each date of `dates`, the people registered that day who have not started any service
    by then."""
    r = table("registration_spell")
    open_ = dates.join(r, [r.start_date <= dates.ref_date, r.end_date.isnull() | (r.end_date >= dates.ref_date)])
    rows = open_.select(
        dates.ref_date,
        r.person_id,
        spell_start=r.start_date,
        current_spell_months=r.current_spell_months,
        months_unemployed_prev36=r.months_unemployed_prev36,
    )
    first = first_service(table)
    rows = rows.left_join(first, "person_id").select(rows, first.first_start)
    return rows.filter(rows.first_start.isnull() | (rows.first_start > rows.ref_date)).drop("first_start")


def draw_pool(table: Tables, dates: ibis.Table, seed: int, *, native: bool = True) -> ibis.Table:
    """`at_risk` on `dates` (a table with `ref_date`) with each row's `key` (`draw_key`) and
    its place `draw` (from 0) among the day's at-risk people in key order (ties by person id).

    The key depends on the person, the day and the seed, never on the service, so one pool
    on every service's start days serves every service's draw: it is most of a cohort's
    cost (a SHA-256 per person at risk per day), paid once per analysis instead of once
    per service. Where `dates` also has `below` (one row per day, `polku.cohort.pool`), only
    the rows whose key sorts below the day's `below` are kept: a prefix of the day's key
    order, so each kept row's `draw` is its place among all of the day's people."""
    days = dates.select("ref_date", "below") if "below" in dates.columns else dates.select("ref_date").distinct()
    rows = at_risk(table, days.select("ref_date"))
    keyed = rows.mutate(key=draw_key_expr(rows.person_id, rows.ref_date, seed, native=native))
    if "below" in days.columns:
        keyed = keyed.join(days, "ref_date").filter(_.key < _.below).drop("below")
    return keyed.mutate(draw=ibis.row_number().over(group_by="ref_date", order_by=["key", "person_id"]))


def comparison_draw(table: Tables, starts: ibis.Table, pool: ibis.Table, k: int, rule: Rule | None) -> ibis.Table:
    """The `k` x `starting` at-risk people of each of `starts`' days with the smallest
    `draw_key`s (ties by person id), among those `rule` allows, as comparison rows shaped
    like `participants`. `pool`: `draw_pool` on (at least) those days, with the same seed."""
    rows = pool.join(start_dates(starts), "ref_date")
    if rule is not None:  # the place among the people the rule allows
        rows = rule(table, rows)
        rows = rows.mutate(draw=ibis.row_number().over(group_by="ref_date", order_by=["key", "person_id"]))
    drawn = rows.filter(rows.draw < rows.starting * k)
    return drawn.select(
        "person_id",
        episode_id=ibis.null("string"),
        provider_id=ibis.null("string"),
        ref_date=_.ref_date,
        treated=ibis.literal(False),
    )
