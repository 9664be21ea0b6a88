"""The data-protection commands: `polku erase`, `purge` and `audit` (docs/privacy.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from polku.cli.base import (
    STORE_OPTION,
    compact,
    emit_json,
    existing_store,
    main,
)
from polku.cli.text import (
    out,
    print_audit,
)
from polku.command import run as _run
from polku.errors import UsageError


@main.command()
@click.option(
    "--hetu",
    default=None,
    help="The person's identity code; '-' reads it from standard input (keeps it out of the shell history and the process list).",
)
@click.option("--pseudonym", default=None, help="The person's pseudonym (person_id as stored).")
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Pseudonymisation key file for --hetu (default: the settings, as for import).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was removed as JSON.")
@STORE_OPTION
def erase(hetu: str | None, pseudonym: str | None, key_file: Path | None, as_json: bool, store_path: Path | None) -> None:
    """Erase one person from every table, quarantine and history included, and put the
    pseudonym on the suppression list so that later imports quarantine the person's rows
    as 'erased'. Then the store file is rewritten, so the removed rows leave the disk too.
    Prints the rows removed per table, never the code (docs/privacy.md).
    """
    from polku.privacy import erase as erase_person
    from polku.privacy import person_from_hetu, person_from_pseudonym
    from polku.store import open_store

    def action() -> int:
        if (hetu is None) == (pseudonym is None):
            raise UsageError(
                "give exactly one of --hetu and --pseudonym", fix="for example: polku erase --hetu - (and type the code)."
            )
        if hetu is not None:
            from polku.identity import load_key

            person = person_from_hetu(sys.stdin.readline() if hetu == "-" else hetu, load_key(key_file=key_file))
        else:
            person = person_from_pseudonym(pseudonym or "")
        target = existing_store(store_path)
        with open_store(target) as store:
            result = erase_person(store, person)
        emit_json(result.to_dict()) if as_json else out.print(result.render(), highlight=False, markup=False)
        compact(target)
        return 0

    _run(action)


@main.command()
@click.option(
    "--older-than",
    "older_than",
    required=True,
    help=(
        "Retention period before today (5y, 18m, 90d) or the cut-off date (YYYY-MM-DD): persons whose last activity is before "
        "it are removed."
    ),
)
@click.option("--dry-run", is_flag=True, help="Count what would be removed; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print what was removed as JSON.")
@STORE_OPTION
def purge(older_than: str, dry_run: bool, as_json: bool, store_path: Path | None) -> None:
    """Apply a retention period: remove every person whose last activity (the latest date
    in any of their rows; an open registration, benefit or service keeps them) is before
    the cut-off, from every table, quarantine and history included; then the store file is
    rewritten so the removed rows leave the disk too (docs/privacy.md).
    """
    import datetime as dt

    from polku.privacy import cutoff_date
    from polku.privacy import purge as purge_store
    from polku.store import open_store

    def action() -> int:
        cutoff = cutoff_date(older_than, dt.date.today())
        target = existing_store(store_path)
        with open_store(target) as store:
            result = purge_store(store, cutoff, dry_run=dry_run)
        emit_json(result.to_dict()) if as_json else out.print(result.render(), highlight=False, markup=False)
        if not dry_run:
            compact(target)
        return 0

    _run(action)


@main.command()
@click.option(
    "--since",
    default=None,
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Only rows from this UTC date (YYYY-MM-DD) or time on.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
@STORE_OPTION
def audit(since: Any, as_json: bool, store_path: Path | None) -> None:
    """Who read or wrote person-level data, or wrote an output, and when (UTC).

    Lists the store's append-only audit table (rows still waiting in the journal beside a
    store that was locked are marked pending); see docs/operations.md.
    """
    from polku.store import audit as audit_trail
    from polku.store.connection import store_target

    def action() -> int:
        target = store_target(store_path)
        if not target.exists():
            raise UsageError(f"no store at {target}", fix="give the store with --store.")
        rows = audit_trail.rows(target, since)
        if as_json:
            emit_json([row | {"arguments": json.loads(row["arguments"]), "data": json.loads(row["data"])} for row in rows])
        else:
            print_audit(rows)
        return 0

    _run(action)
