"""The web app's commands: `polku serve` and `polku user` (polku.web; docs/web.md)."""

from __future__ import annotations

from pathlib import Path

import click

from polku.cli.base import (
    STORE_OPTION,
    emit_json,
    main,
    register_option,
    runs_owner,
)
from polku.cli.text import (
    out,
)
from polku.command import run as _run


def _store_for_web(store_path: Path | None) -> Path:
    """The existing store a web command works on (never created here)."""
    from polku.store.connection import store_target

    return store_target(store_path)


@main.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (keep 127.0.0.1 behind a reverse proxy)."
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Server processes (uvicorn workers), about one per core; sessions are shared (docs/web.md, Load).",
)
@STORE_OPTION
@register_option("A national register's folder: the national view shows its latest run (`polku national`).")
def serve(host: str, port: int, workers: int, store_path: Path | None, register: Path | None) -> None:
    """Serve the web views of the store until interrupted (docs/web.md).

    Logins are local accounts (`polku user add`); put a reverse proxy with TLS in front
    of it for any use beyond this machine.
    """
    from polku.web.serve import serve as run_server

    def action() -> None:
        target = _store_for_web(store_path)
        run_server(target, host, port, workers, None if register is None else runs_owner(None, register))

    _run(action)


@main.group()
def user() -> None:
    """Web accounts of a store: add, disable, set a password, list (docs/web.md).

    Passwords are read from a hidden prompt or from standard input, never from an argument.
    """


@user.command(name="add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "analyst", "manager", "teamlead", "caseworker", "provider"]),
    help="What the user may see (docs/web.md).",
)
@click.option(
    "--case-worker", "case_worker_id", default=None, help="With --role caseworker: the case worker id whose clients they see."
)
@click.option("--team", "team_id", default=None, help="With --role teamlead: the team id whose clients they see.")
@click.option("--provider", "provider_id", default=None, help="With --role provider: the provider id whose clients they see.")
@STORE_OPTION
def user_add(
    name: str, role: str, case_worker_id: str | None, team_id: str | None, provider_id: str | None, store_path: Path | None
) -> None:
    """Add the account NAME; its password is asked for (or read from standard input)."""
    from polku.web.accounts import User
    from polku.web.serve import add_user, read_password

    def action() -> int:
        account = User(name, role, case_worker_id=case_worker_id, team_id=team_id, provider_id=provider_id)
        add_user(_store_for_web(store_path), account, read_password())
        out.print(f"user {name} added ({role})")
        return 0

    _run(action)


@user.command(name="disable")
@click.argument("name")
@STORE_OPTION
def user_disable(name: str, store_path: Path | None) -> None:
    """Disable the account NAME and end its sessions (the account stays, for the audit trail)."""
    from polku.web.serve import accounts_of

    def action() -> int:
        accounts_of(_store_for_web(store_path)).disable(name)
        out.print(f"user {name} disabled")
        return 0

    _run(action)


@user.command(name="passwd")
@click.argument("name")
@STORE_OPTION
def user_passwd(name: str, store_path: Path | None) -> None:
    """Set a new password for NAME (asked for, or read from standard input); its sessions end."""
    from polku.web.serve import accounts_of, read_password

    def action() -> int:
        accounts_of(_store_for_web(store_path)).set_password(name, read_password())
        out.print(f"password of {name} changed")
        return 0

    _run(action)


@user.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print the accounts as JSON.")
@STORE_OPTION
def user_list(as_json: bool, store_path: Path | None) -> None:
    """List the accounts: name, role, what they are tied to, disabled or not (never a password hash)."""
    from polku.web.serve import accounts_of

    def action() -> int:
        rows = accounts_of(_store_for_web(store_path)).users()
        if as_json:
            emit_json(rows)
        else:
            for row in rows:
                tie = row["case_worker_id"] or row["team_id"] or row["provider_id"] or ""
                state = "disabled" if row["disabled"] else "enabled"
                out.print(f"{row['username']}\t{row['role']}\t{tie}\t{state}{' (demo)' if row['demo'] else ''}", highlight=False)
        return 0

    _run(action)
