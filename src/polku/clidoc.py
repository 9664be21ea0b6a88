"""Render `docs/cli.md` from the real `--help` of every command, and the settings table.

Regenerate with `python -m polku.clidoc > docs/cli.md`; a test fails when the committed
page differs, so an undocumented command, option or setting cannot land.
"""

from __future__ import annotations

import click

from polku.cli import main
from polku.settings import SETTINGS

HEADER = """# Command line and settings

Generated from the commands' own help (`python -m polku.clidoc > docs/cli.md`).

Exit codes: `0` ok; `1` validation failed (rows quarantined or invalid file content);
`2` usage error (bad options, missing file, missing or unsafe setting, a locked store);
`70` internal error (a bug: one line, the traceback with `polku --debug`); `130` interrupted.
See `docs/operations.md`.
"""


def _help(command: click.Command, name: str) -> str:
    # The real CLI's help option names (click caches a command's help option on first use,
    # so a context without them would render differently depending on what ran before).
    names = main.context_settings["help_option_names"]
    with click.Context(command, info_name=name, terminal_width=100, max_content_width=100, help_option_names=names) as ctx:
        return command.get_help(ctx)


def render_markdown() -> str:
    parts = [HEADER, "## `polku`", "", "```text", _help(main, "polku"), "```", ""]
    for name in sorted(main.commands):
        parts += [f"## `polku {name}`", "", "```text", _help(main.commands[name], f"polku {name}"), "```", ""]
    parts += ["## Settings", "", "Read from the environment, then `.env` in the working directory, then the default.", ""]
    parts += ["| setting | default | meaning |", "|---|---|---|"]
    parts += [f"| `{s.name}` | `{s.default}` | {s.help} |" for s in SETTINGS]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
