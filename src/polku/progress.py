"""Progress bars for long steps, as one callback type the library functions accept.

Library code reports `(step description, fraction done 0..1)`; only the CLI draws bars,
so library functions stay silent when called from tests or notebooks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

ProgressCallback = Callable[[str, float], None]


@contextmanager
def progress_bar(console: Console, title: str) -> Iterator[ProgressCallback]:
    """A callback that moves one bar; the step text shows what is being done."""
    with Progress(
        TextColumn("[bold]{task.fields[title]}[/bold] {task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("", total=1.0, title=title)

        def update(step: str, fraction: float) -> None:
            bar.update(task, description=step, completed=max(0.0, min(1.0, fraction)))

        yield update
        bar.update(task, completed=1.0)
