"""The `polku` command: a thin layer over the library; each command's docstring is its help.

`main` is the group (`polku.cli.base`); importing the command modules registers their
commands on it.
"""

from polku.cli import analysis, area, estimate, money, privacy, results, web  # noqa: F401  (they register the commands)
from polku.cli.base import MAX_CLIENTS, main

__all__ = ["MAX_CLIENTS", "main"]
