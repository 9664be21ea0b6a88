"""Demo users, one per role, and how a demo store is recognised.

A store is a demo store when every row in its data tables came from a file the synthetic
generator wrote: each import that wrote rows still in the store names a file whose SHA-256
is listed in the generator's `manifest.json` (`"generator": "polku.synth"`) beside it. Real
exports never carry such a manifest, so known demo passwords can never be given to a store
of real people; and no marker file is needed that a copy could carry along or lose.

`create_demo_users(store_path)` then creates `admin`, `analyst`, `manager`, `teamlead`,
`caseworker` and `provider`, each with the password `polku-demo`, tied to the case worker
with the most clients, that case worker's team and the provider with the most clients.
"""

from __future__ import annotations

import json
from pathlib import Path

import ibis

from polku.errors import UsageError
from polku.outputs import FOLDER_MANIFEST
from polku.schema.tables import TABLES
from polku.store import Store
from polku.web.access import Scope
from polku.web.accounts import ROLES, Accounts, User, path_for
from polku.web.data import reader

DEMO_PASSWORD = "polku-demo"
GENERATOR = "polku.synth"


def _imported_files(store: Store) -> list[tuple[str, str]]:
    """(file path, SHA-256) of every import that wrote rows still in the store."""
    ids = ibis.union(*(store.table(name).select("_import_id") for name in TABLES), distinct=True)
    log = store.table("import_log")
    frame = log.filter(log.import_id.isin(ids._import_id)).select("file_path", "file_sha256").distinct().execute()
    return list(zip(frame.file_path.astype(str), frame.file_sha256.astype(str)))


def _synthetic(file_path: str, sha256: str) -> bool:
    """The file's folder holds the generator's manifest, and it lists this file with this hash."""
    path = Path(file_path)
    try:
        manifest = json.loads((path.parent / FOLDER_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return manifest.get("generator") == GENERATOR and manifest.get("sha256", {}).get(path.name) == sha256


def is_demo_store(store_path: Path) -> bool:
    """True when the store holds data and all of it was imported from synthetic files."""
    with reader(store_path) as store:
        files = _imported_files(store)
    return bool(files) and all(_synthetic(path, sha) for path, sha in files)


def _demo_ties(store: Store) -> dict[str, User]:
    """One user per role, tied to the busiest case worker, their team and the busiest provider."""
    owners = Scope(User("demo", "analyst"), store).responsible()
    worker = owners.group_by("case_worker_id", "team_id").aggregate(n=owners.count()).order_by([ibis.desc("n"), "case_worker_id"])
    episodes = store.table("service_episode").filter(lambda e: e.provider_id.notnull())
    provider = (
        episodes.group_by("provider_id").aggregate(n=episodes.person_id.nunique()).order_by([ibis.desc("n"), "provider_id"])
    )
    top_worker, top_provider = worker.limit(1).execute(), provider.limit(1).execute()
    if top_worker.empty or top_provider.empty:
        raise UsageError("the demo store has no case worker or provider with clients", fix="run `polku demo` again.")
    ties = {
        "caseworker": {"case_worker_id": str(top_worker.case_worker_id[0])},
        "teamlead": {"team_id": str(top_worker.team_id[0])},
        "provider": {"provider_id": str(top_provider.provider_id[0])},
    }
    return {role: User(role, role, demo=True, **ties.get(role, {})) for role in ROLES}


def create_demo_users(store_path: Path) -> list[User]:
    """Create (or renew) the six demo users of a demo store; refuse any other store."""
    store_path = Path(store_path)
    if not is_demo_store(store_path):
        raise UsageError(
            f"{store_path} is not a demo store",
            why="demo users have a published password; they may exist only where all data is synthetic.",
            fix="create real accounts with `polku user add`.",
        )
    with reader(store_path) as store:
        users = _demo_ties(store)
    accounts = Accounts(path_for(store_path))
    for user in users.values():
        accounts.replace_demo_user(user, DEMO_PASSWORD)
    return list(users.values())
