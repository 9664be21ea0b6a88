"""Roles and scope: the one layer between the routes and the data (issue 16, point 2).

A route declares what it reads (`Reads`); `scope_for` checks the role may read that at all
(else `Denied`, HTTP 403), and gives a `Scope` whose `table(name)` is the store table already
narrowed to the user's clients, with the fields the role may not see removed. Queries only
ever get tables from a Scope, so no route decides access itself and none can forget it.

Who sees which clients (`clients()`):
- analyst: every client; manager and admin: no person-level data at all;
- case worker: the clients whose latest service episode names them (the data model has no
  other client-to-case-worker link, so a client never referred to a service has no case worker);
- team lead: the clients of the case workers of their team (the team in `case_worker`,
  else the team named on that episode);
- provider: the clients with an episode of theirs; they see only their own episodes, and no
  income, benefit, health or partial-work-ability fields (`PROVIDER_HIDDEN`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import cached_property
from typing import Any, TypeVar

import ibis

from polku.errors import PolkuError
from polku.schema.tables import TABLES
from polku.store import Store
from polku.store.kept import (
    carried,
    memo_of,
    note_read,
    person_rows,
    query_result,
    query_rows,
    remember,
    result_digest,
    tracking,
)
from polku.web.accounts import User

T = TypeVar("T")


class Reads(Enum):
    """What a route reads; the policy below says which roles may."""

    CLIENTS = "clients"
    """Person-level rows of the clients in the user's scope."""
    OVERVIEW = "overview"
    """Area aggregates, through the disclosure gate."""
    EXACT = "exact"
    """Area aggregates without the gate (each use audited)."""
    USERS = "users"
    """The accounts (no data of clients)."""
    TEAM = "team"
    """The caseload by case worker of the user's scope (person-level rows, counted)."""
    PROVIDER = "provider"
    """A provider's results beside the area's, from the analysis run."""
    RUNS = "runs"
    """The analysis runs, their provenance, data quality, and starting a run."""
    GROUPS = "groups"
    """Client groups, the service menu and its targeting checks: area aggregates, gated. Team
    leads too, since they steer which services their case workers offer to which groups."""
    PLANNING = "planning"
    """Area analyses for planning and procurement, gated: effects on change, every provider
    compared (funnels, creaming and parking), equal treatment, payments, the national view.
    Never a provider, who sees only their own rows (`PROVIDER`)."""


POLICY: dict[str, frozenset[Reads]] = {
    "admin": frozenset({Reads.USERS}),
    "analyst": frozenset(
        {Reads.CLIENTS, Reads.OVERVIEW, Reads.EXACT, Reads.TEAM, Reads.PROVIDER, Reads.RUNS, Reads.GROUPS, Reads.PLANNING}
    ),
    "manager": frozenset({Reads.OVERVIEW, Reads.GROUPS, Reads.PLANNING}),
    "teamlead": frozenset({Reads.CLIENTS, Reads.OVERVIEW, Reads.TEAM, Reads.GROUPS}),
    "caseworker": frozenset({Reads.CLIENTS, Reads.OVERVIEW}),
    "provider": frozenset({Reads.CLIENTS, Reads.OVERVIEW, Reads.PROVIDER}),
}

HEALTH_ITEMS = ("work_ability_score", "work_ability", "wellbeing")
"""Measurement items about health or work ability: not shown to providers."""
HEALTH_GOAL_DOMAINS = ("work_ability", "wellbeing")

PROVIDER_HIDDEN: dict[str, tuple[str, ...]] = {
    "person": ("partial_work_ability", "partial_work_ability_basis"),
    "employment_spell": ("monthly_wage",),
}
"""Columns a provider never sees (income and partial work ability); `benefit_spell` is hidden whole."""
PROVIDER_NO_TABLES = frozenset({"benefit_spell", "contact", "job_application"})
"""Tables a provider never sees: benefits, and the job-search meetings and reports that are conditions of them."""

ORGANISATION = frozenset({"service", "provider", "team", "case_worker"})
"""Tables about the organisation, not people: not narrowed by client."""


class Denied(PolkuError):
    """The role may not read this at all (HTTP 403)."""


class NotInScope(PolkuError):
    """No such client in the user's scope, whether it exists elsewhere or not (HTTP 404)."""


def allowed(user: User, reads: Reads) -> bool:
    return reads in POLICY.get(user.role, frozenset())


def require(user: User, reads: Reads) -> None:
    if not allowed(user, reads):
        raise Denied(f"the role {user.role} may not read {reads.value}")


def identity(user: User) -> tuple[str, str | None, str | None, str | None]:
    """What decides a user's clients, rows, fields and permissions: the role and the id it is tied to."""
    return (user.role, user.case_worker_id, user.team_id, user.provider_id)


@dataclass(frozen=True)
class Scope:
    """A user's view of one open store: every table a query gets comes from here.

    One Scope serves one request: its base tables and client set are made once. On a kept-open
    snapshot, what depends only on the snapshot and this user's scope is kept with the snapshot
    (`memo`, `polku.store.kept.Memo`) under a key that always holds the scope's `identity`, so
    two users with different scopes never share a value: the client ids, the SQL of one
    client's rows (`client_rows`), and whatever a view keeps through `memo`."""

    user: User
    store: Store
    _tables: dict[str, ibis.Table] = field(default_factory=dict, compare=False, repr=False)
    _verified: set[uuid.UUID] = field(default_factory=set, compare=False, repr=False)
    inline: bool = False
    """Whether `clients()` is the scope's own query of the base tables rather than the ids fetched
    once: the form a query compiled once per schema needs (`scope_rows`)."""

    def _base(self, name: str) -> ibis.Table:
        note_read(name)  # what a kept value read (`polku.store.kept.carried`)
        if name not in self._tables:
            self._tables[name] = self.store.table(name)  # a kept-open snapshot's store keeps them between requests
        return self._tables[name]

    def may_see(self, name: str) -> bool:
        return not (self.user.role == "provider" and name in PROVIDER_NO_TABLES)

    def clients(self) -> ibis.Table:
        """The person ids this user may see (one column, `person_id`), worked out once per request;
        each use counts as a read of the tables they come from (`polku.store.kept.note_read`)."""
        table, reads = self._clients
        note_read(*reads)
        return table

    @cached_property
    def _clients(self) -> tuple[ibis.Table, frozenset[str]]:
        with tracking() as reads:
            if self.inline:
                require(self.user, Reads.CLIENTS)
                table = self._base("person").select("person_id") if self.user.role == "analyst" else self._client_query()
            elif (ids := self._client_ids) is None:
                table = self._base("person").select("person_id")
            else:
                found = {"person_id": sorted(ids)}
                table = ibis.memtable(found, schema={"person_id": "string"}).select(person_id=ibis._.person_id.cast("uuid"))
        return table, frozenset(reads)

    @property
    def _client_ids(self) -> frozenset[str] | None:
        """The ids of a narrowed scope, fetched once (None for the analyst, who sees every client)."""
        ids, reads = self._ids_read
        note_read(*reads)
        return ids

    @cached_property
    def _ids_read(self) -> tuple[frozenset[str] | None, frozenset[str]]:
        require(self.user, Reads.CLIENTS)
        if self.user.role == "analyst":
            return None, frozenset()

        def query_of(scope: Scope) -> Callable[[], ibis.Table]:
            return lambda: scope._client_query().select(person_id=ibis._.person_id.cast("string"))

        with tracking() as reads:
            ids = self.prepared(
                "client_ids",
                lambda scope: frozenset(r[0] for r in query_rows(scope.store, ("client_ids", scope.identity), query_of(scope))),
            )
        return ids, frozenset(reads)

    @property
    def identity(self) -> tuple[str, str | None, str | None, str | None]:
        return identity(self.user)

    @property
    def keeps(self) -> bool:
        """Whether `memo` keeps values (on a kept-open snapshot), or computes each time."""
        return memo_of(self.store) is not None

    def memo(self, key: Any, compute: Callable[[], T]) -> T:
        """`compute()`, kept with the snapshot under `key` and this scope's identity (computed
        each time on a store opened for one request), and carried to a newer snapshot where the
        tables it read hold the same rows (`polku.store.kept.carried`). `key` names what else
        the value depends on (the data's date, a run, a language); `compute` reads the data only
        through this scope."""
        return carried(self.store, ("scope", self.identity, key), compute)

    def prepared(self, key: Any, compute: Callable[[Scope], T]) -> T:
        """`memo(key, lambda: compute(self))`, and remembered as a recipe of this scope's user,
        so that on the next snapshot it is worked out before requests move there
        (`polku.store.kept.remember`, `polku.web.data.Snapshots`): for the values a page waits
        for (a desk, a team's caseload). `compute` reads the data only through the scope it is given."""
        user = self.user

        def again(store: Store) -> T:
            scope = Scope(user, store)
            return scope.memo(key, lambda: compute(scope))

        remember(self.store, ("scope", self.identity, key), again)
        return self.memo(key, lambda: compute(self))

    def _client_query(self) -> ibis.Table:
        role = self.user.role
        if role == "provider":
            episodes = self._base("service_episode")
            return episodes.filter(episodes.provider_id == self.user.provider_id).select("person_id").distinct()
        owners = self.responsible()
        wanted = (
            owners.case_worker_id == self.user.case_worker_id if role == "caseworker" else owners.team_id == self.user.team_id
        )
        return owners.filter(wanted).select("person_id")

    def responsible(self) -> ibis.Table:
        """Each client's responsible case worker and team: those of the latest episode naming a case worker."""
        episodes = self._base("service_episode")
        named = episodes.filter(episodes.case_worker_id.notnull())
        order = [ibis.desc(named.start_date), ibis.desc(named.episode_id)]
        ranked = named.mutate(rank=ibis.row_number().over(group_by=named.person_id, order_by=order))
        latest = ranked.filter(ranked["rank"] == 0)
        workers = self._base("case_worker")
        joined = latest.left_join(workers, latest.case_worker_id == workers.case_worker_id)
        return joined.select(latest.person_id, latest.case_worker_id, team_id=ibis.coalesce(workers.team_id, latest.team_id))

    def table(self, name: str) -> ibis.Table:
        """Store table `name` as this user may see it: the rows of their clients, without hidden fields."""
        base = self._readable(name)
        if name in ORGANISATION or not self.may_see(name):
            return base
        clients = self.clients()
        narrowed = base if self.user.role == "analyst" else base.semi_join(clients, base.person_id == clients.person_id)
        return self._provider_view(name, narrowed) if self.user.role == "provider" else narrowed

    def columns(self, name: str) -> tuple[str, ...]:
        """The fields of table `name` this user may see (`table(name).columns`, without building the scope's join)."""
        base = self._readable(name)
        return tuple((self._provider_view(name, base) if self.user.role == "provider" else base).columns)

    def client_rows(self, name: str, person_id: uuid.UUID, order_by: str) -> list[dict[str, Any]]:
        """`client_table(name, person_id)` without the lineage columns (`_import_id`, `_source`,
        `_line`, `key_version`) and `person_id`, ordered by `order_by`, as plain dicts: its SQL
        compiled once per snapshot, table and scope, the client given as a parameter."""
        if person_id not in self._verified:
            raise NotInScope("no such client in your scope")

        def query(person: uuid.UUID) -> ibis.Table:
            table = self.for_person(name, person)
            columns = [c for c in table.columns if not c.startswith("_") and c not in ("person_id", "key_version")]
            return table.select(*columns).order_by(order_by)

        return self.person_query(("client_rows", name, order_by), person_id, query)

    def scope_rows(self, key: Any, query: Callable[[Scope], ibis.Table]) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The column names and rows of `query(scope)` over the whole scope, `scope` being this one
        with its clients as a query of the base tables (`inline`), so that its SQL is compiled
        once per schema, `key` and scope identity and holds for every snapshot
        (`polku.store.kept.query_result`); `key` names what else the query depends on (a date)."""
        inline = replace(self, inline=True, _tables=self._tables, _verified=self._verified)
        return query_result(self.store, ("scope", self.identity, key), lambda: query(inline))

    def scope_digest(self, key: Any, query: Callable[[Scope], ibis.Table]) -> tuple[int, int, int]:
        """The digest of `scope_rows(key, query)`'s rows, worked out by DuckDB without fetching
        them (`polku.store.kept.result_digest`)."""
        inline = replace(self, inline=True, _tables=self._tables, _verified=self._verified)
        return result_digest(self.store, ("scope", self.identity, key), lambda: query(inline))

    def person_query(self, key: Any, person_id: uuid.UUID, query: Callable[[uuid.UUID], ibis.Table]) -> list[dict[str, Any]]:
        """The rows of `query(person_id)` for a client `client()` found in scope: a query built from
        this scope's tables (`for_person`) that depends on nothing but the person, the data and
        `key`, compiled once per schema, `key` and scope (`polku.store.kept.person_rows`)."""
        if person_id not in self._verified:
            raise NotInScope("no such client in your scope")
        return person_rows(self.store, ("scope", self.identity, key), person_id, query)

    def for_person(self, name: str, person: uuid.UUID) -> ibis.Table:
        """Table `name` for one person as this user may see it, to build a query for `person_query`
        (which runs it only for a client in scope)."""
        return self._one_client(name, person)

    def client_table(self, name: str, person_id: uuid.UUID) -> ibis.Table:
        """Table `name` for one client that `client()` found in scope: the same rows and fields as
        `table(name)` has for them, without joining the whole scope again."""
        if person_id not in self._verified:
            raise NotInScope("no such client in your scope")
        return self._one_client(name, person_id)

    def _one_client(self, name: str, person_id: uuid.UUID) -> ibis.Table:
        base = self._readable(name)
        if name in ORGANISATION or not self.may_see(name):
            return base
        one = base.filter(base.person_id == person_id)
        return self._provider_view(name, one) if self.user.role == "provider" else one

    def _readable(self, name: str) -> ibis.Table:
        """The base table, refused when not a data table; empty when the role may not see it at all."""
        require(self.user, Reads.CLIENTS)
        if name not in TABLES:
            raise Denied(f"the table {name} is not readable on the web")
        base = self._base(name)
        return base if self.may_see(name) else base.filter(ibis.literal(False))

    def _provider_view(self, name: str, table: ibis.Table) -> ibis.Table:
        """The provider's rows and columns: own episodes only, no health items, no hidden fields."""
        if name == "service_episode":
            table = table.filter(table.provider_id == self.user.provider_id)
        elif name == "measurement":
            table = table.filter(~table.item.isin(HEALTH_ITEMS))
        elif name == "goal":
            table = table.filter(~table.domain.isin(HEALTH_GOAL_DOMAINS))
        hidden = PROVIDER_HIDDEN.get(name, ())
        return table.drop(*hidden) if hidden else table

    def client(self, client_id: str) -> uuid.UUID:
        """The client's id when in scope; NotInScope for a malformed, unknown or out-of-scope id alike."""
        try:
            person_id = uuid.UUID(client_id)
        except ValueError:
            raise NotInScope("no such client in your scope") from None
        ids = self._client_ids
        if ids is not None:
            known = str(person_id) in ids
        else:
            person = self._base("person")
            query = lambda p: person.filter(person.person_id == p).select("person_id")  # noqa: E731
            known = bool(person_rows(self.store, ("scope", self.identity, "known"), person_id, query))
        if not known:
            raise NotInScope("no such client in your scope")
        self._verified.add(person_id)
        return person_id

    def area(self) -> Store:
        """The whole store, for area aggregates that then pass the disclosure gate (`polku.web.overview`)."""
        require(self.user, Reads.OVERVIEW)
        return self.store


def scope_for(user: User, store: Store, reads: Reads) -> Scope:
    """The user's scope for a route that reads `reads`; Denied when the role may not."""
    require(user, reads)
    return Scope(user, store)
