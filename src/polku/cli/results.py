"""The results of a run by theme, each through the disclosure gate: `polku change`, `payments`,
`groups`, `equality`, `menu` and `providers` (issues 17 and 18)."""

from __future__ import annotations

from pathlib import Path

import click

from polku.cli.base import (
    EXACT_OPTION,
    RUN_OPTION,
    STORE_OPTION,
    emit_json,
    existing_store,
    gate,
    gated_json_option,
    main,
    show_run,
    stored_tables,
)
from polku.cli.text import (
    out,
)
from polku.command import run as _run


@main.command("change")
@gated_json_option("figures")
@click.option(
    "--instruments",
    "instruments_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the area's own instrument files (*.yaml, docs/change.md); one with a shipped instrument's code replaces it.",
)
@EXACT_OPTION
@STORE_OPTION
def change_command(as_json: bool, instruments_dir: Path | None, exact: bool, store_path: Path | None) -> None:
    """Change before employment: reliable change by instrument and item, by service, and GAS.

    Clients improved, unchanged and worsened (reliable change index beyond 1.96) from
    the first to the latest measurement and over each service episode, the mean change
    with its 95 % interval, and goal attainment T-scores (before-and-after figures); then,
    from the latest analysis run (`polku analyse`), the effects of services on change
    with intervals and the hazard ratios of later work per point of change. Counts of
    people pass the disclosure gate as in the report; --exact shows them exact (logged).
    """
    from polku import sdc
    from polku.change.instrument import with_area_files
    from polku.change.measures import summaries
    from polku.change.record import change_record, render_effects_text, render_text
    from polku.runs.change import run_effects
    from polku.store import open_store
    from polku.store.connection import store_target

    def action() -> int:
        chosen = with_area_files(instruments_dir)
        with open_store(store_path, read_only=True) as store:
            record = change_record(summaries(store, chosen)) | run_effects(store_target(store_path))
        shown = gate("change", exact, record, lambda r: sdc.release_change_effects(sdc.release_change(r)), store_path)
        if as_json:
            emit_json(shown)
        else:
            out.print(render_text(shown) + "\n\n" + render_effects_text(shown), highlight=False)
        return 0

    _run(action)


@main.command("payments")
@click.option(
    "--model",
    "model_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The payment model file (YAML; examples in polku/payments/models, docs/payments.md).",
)
@RUN_OPTION
@gated_json_option("payments")
@EXACT_OPTION
@STORE_OPTION
def payments_command(model_path: Path, run_ref: str, as_json: bool, exact: bool, store_path: Path | None) -> None:
    """What a payment model would pay each provider per period, beside the value added.

    Reads an analysis run (`polku analyse`) and never fits: the counts the model pays for,
    and the value added that the impact and fiscal engines estimate (additional
    employments times the public gain of one employment over the model's horizon), so
    the area sees whether it would pay for work that would have happened anyway.
    """
    from polku.payments.model import load_model
    from polku.payments.record import payment_record, release_payments, render_text

    show_run(
        "payments", store_path=store_path, run_ref=run_ref, exact=exact, as_json=as_json,
        record=lambda run: payment_record(run.tables, load_model(model_path), run.run_id), release=release_payments,
        text=lambda shown, _: render_text(shown),
    )  # fmt: skip


@main.command("groups")
@gated_json_option("figures")
@RUN_OPTION
@EXACT_OPTION
@STORE_OPTION
def groups_command(as_json: bool, run_ref: str, exact: bool, store_path: Path | None) -> None:
    """Client groups: each group's profile at registration and how stable it stays.

    Rule-based groups (the group file, setting POLKU_GROUPS) and the seed model's bands of
    the chance of work without a service, read from an analysis run (`polku analyse`):
    size, age, education, duration, benefit payer, work within 12 months, and the share
    still in the same group 6 and 12 months later. Counts of people pass the disclosure
    gate as in the report; --exact shows them exact (logged).
    """
    from polku.groups.record import TABLES, groups_record
    from polku.groups.text import groups_text
    from polku.sdc.groups import release_groups

    show_run(
        "groups", store_path=store_path, run_ref=run_ref, exact=exact, as_json=as_json,
        record=lambda run: groups_record(stored_tables(run, TABLES)), release=release_groups, text=groups_text,
    )  # fmt: skip


@main.command("equality")
@RUN_OPTION
@gated_json_option("comparisons")
@EXACT_OPTION
@STORE_OPTION
def equality_command(run_ref: str, as_json: bool, exact: bool, store_path: Path | None) -> None:
    """Equal treatment by sex, age group, mother tongue, partial work ability and municipality.

    Reads an analysis run: allocation of each service against what the client group
    predicts, time to the first service, employment, the seed model's calibration and the
    estimated effects by group. A difference is flagged only where its Holm-adjusted
    p-value is below 0.05 (docs/equality.md).
    """
    from polku.equality.record import equality_record, release_equality, render_text

    show_run(
        "equality", store_path=store_path, run_ref=run_ref, exact=exact, as_json=as_json,
        record=lambda run: equality_record(run.tables, run.run_id), release=release_equality,
        text=lambda shown, _: render_text(shown),
    )  # fmt: skip


@main.command("menu")
@gated_json_option("figures")
@RUN_OPTION
@EXACT_OPTION
@STORE_OPTION
def menu_command(as_json: bool, run_ref: str, exact: bool, store_path: Path | None) -> None:
    """The service menu and targeting: do services reach the groups they are meant for?

    Against the area's menu file (setting POLKU_MENU), read from an analysis run: each
    service's share of participants in its intended groups (flagged below the menu's
    minimum), time from registration to the first service, interruptions and service
    starts by group (a group far below its share of registrations is flagged). Counts of
    people pass the disclosure gate as in the report; --exact shows them exact (logged).
    """
    from polku.groups.text import menu_text
    from polku.menu.record import TABLES, menu_record
    from polku.sdc.groups import release_menu

    show_run(
        "menu", store_path=store_path, run_ref=run_ref, exact=exact, as_json=as_json,
        record=lambda run: menu_record(stored_tables(run, TABLES)), release=release_menu, text=menu_text,
    )  # fmt: skip


@main.command()
@RUN_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print one object per provider and service as JSON, gated unless --exact.")
@EXACT_OPTION
@STORE_OPTION
def providers(run_ref: str, as_json: bool, exact: bool, store_path: Path | None) -> None:
    """Compare providers risk-adjusted: observed against expected employment per service.

    Reads an analysis run (`polku analyse`): for each provider and service, clients,
    observed (O) and expected (E) employment from the seed model, O/E with its 95 % funnel
    limits, and the rating (high, moderate or low, read at these 95 % limits), beside the
    naive employment rate (docs/providers.md). Rows are in the order of service and
    provider, never ranked.
    """
    from polku import sdc
    from polku.providers.output import comparison_of, lines, records
    from polku.runs.read import open_run

    def action() -> int:
        target = existing_store(store_path)
        frame = comparison_of(open_run(target, run_ref).tables)
        if exact:
            gate("providers", exact, None, lambda _: None, target)
        rows = records(frame, sdc.threshold(), exact=exact)
        if as_json:
            emit_json(rows)
            return 0
        for line in lines(rows):
            out.print(line, highlight=False)
        return 0

    _run(action)
