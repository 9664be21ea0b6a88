"""`polku serve` and `polku user`: run the app on uvicorn, and manage accounts on the server.

Accounts are managed on the command line only (an admin's page lists them): a password is
read from a prompt or standard input, never from an argument, where it would reach the
shell's history and the process list. The id a scoped role is tied to must exist in the
store, so that a typo cannot give a user an empty (or somebody else's) desk.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from polku.errors import UsageError
from polku.store import Store
from polku.web.accounts import TIES, Accounts, User, check_role_ties, path_for
from polku.web.data import reader, settle

TIE_TABLES = {"case_worker_id": "case_worker", "team_id": "team", "provider_id": "provider"}


def read_password(confirm: bool = True) -> str:
    """The new password from a hidden prompt (twice) on a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=confirm))
    line = sys.stdin.readline()
    if not line:
        raise UsageError("no password on standard input", fix="type it at the prompt, or pipe it in on one line.")
    return line.rstrip("\r\n")


def _tie_exists(store: Store, user: User) -> None:
    column = TIES.get(user.role)
    if column is None:
        return
    table = store.table(TIE_TABLES[column])
    value = getattr(user, column)
    if table.filter(table[column] == value).count().execute() == 0:
        raise UsageError(f"the store has no {TIE_TABLES[column].replace('_', ' ')} {value!r}", fix="give an id of the store.")


def add_user(store_path: Path, user: User, password: str) -> None:
    """Create an account tied to an id that exists in the store."""
    check_role_ties(user)
    with reader(store_path) as store:
        _tie_exists(store, user)
    Accounts(path_for(store_path)).add_user(user, password)


def accounts_of(store_path: Path) -> Accounts:
    """The accounts file of an existing store."""
    with reader(store_path):
        pass
    return Accounts(path_for(store_path))


STORE_VARIABLE = "POLKU_WEB_STORE"
"""How `serve` tells its worker processes which store to serve (uvicorn starts them from an import string)."""
REGISTER_VARIABLE = "POLKU_WEB_REGISTER"
"""And which national register's runs the national view shows, when one is given."""


def app_from_environment() -> Any:
    """The app of one worker process of `serve --workers N`."""
    register = os.environ.get(REGISTER_VARIABLE)
    return served_app(Path(os.environ[STORE_VARIABLE]), Path(register) if register else None)


def served_app(store_path: Path, register: Path | None) -> Any:
    """The app as `polku serve` runs it: new snapshots prepared in the background, and what it
    loaded at its start (living as long as the process) left out of full collections."""
    from polku.web import create_app

    app = create_app(store_path, register=register, prepare=True)  # refuses a missing or foreign store
    settle()
    return app


def serve(store_path: Path, host: str, port: int, workers: int = 1, register: Path | None = None) -> None:
    """Run the app until interrupted, in `workers` processes. uvicorn's access log is off (it
    would print query strings); `polku.web.security` logs method, redacted path and status instead.

    Several workers share the accounts file (sessions, throttling) and each keeps its own read
    snapshot open; an analysis started from the web is followed by the process that started it."""
    import uvicorn

    app = served_app(store_path, register)  # before any worker starts
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    demo = " (demo store: demo logins are the role names, password polku-demo)" if app.state.web.demo else ""
    processes = f" in {workers} processes" if workers > 1 else ""
    click.echo(f"Polku serving {store_path} at http://{host}:{port}/{processes}{demo}", err=True)
    options: dict[str, Any] = {"host": host, "port": port, "access_log": False, "log_level": "warning", "proxy_headers": True}
    if workers == 1:
        uvicorn.run(app, **options)
        return
    os.environ[STORE_VARIABLE] = str(Path(store_path).resolve())
    if register is not None:
        os.environ[REGISTER_VARIABLE] = str(Path(register).resolve())
    uvicorn.run("polku.web.serve:app_from_environment", factory=True, workers=workers, **options)
