"""Frames an analysis reuses, kept on disk as Parquet between uses instead of in memory.

Why: a run builds every service's cohort once and several sections read it again
(`CohortBuilder`, and the client-grouped cohorts of the effects on change and on goals).
At 1,000,000 clients one cohort is about 0.9 GB in pandas and 35 MB as Parquet, and a
dozen of them held at once were a third of the analysis process's 11.5 GiB. On the
shelf a frame costs its reading (about a second at that size) each time it is taken.

The folder is private to the process (mode 0700, `tempfile.mkdtemp`) and removed by
`clear`, or when the shelf is garbage-collected or the process exits. It holds
pseudonymised rows only, as the store itself does; no identity code reaches a cohort.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any

import pandas as pd


class Shelf:
    """Frames by key: `put` writes one, `get` reads a fresh copy (with its `attrs`)."""

    def __init__(self) -> None:
        self._files: dict[str, tuple[Path, dict[str, Any]]] = {}
        self._folder: Path | None = None
        self._cleanup: weakref.finalize | None = None

    def __contains__(self, key: str) -> bool:
        return key in self._files

    def put(self, key: str, frame: pd.DataFrame) -> None:
        """Keep `frame` under `key` (replacing any frame of that key)."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="polku-frames-"))
            self._cleanup = weakref.finalize(self, shutil.rmtree, self._folder, ignore_errors=True)
        path = self._folder / f"{len(self._files)}.parquet"
        plain = frame.copy(deep=False)
        plain.attrs = {}  # kept beside the file: Parquet's metadata takes JSON only
        plain.to_parquet(path, compression="zstd")
        self._files[key] = (path, dict(frame.attrs))

    def get(self, key: str) -> pd.DataFrame:
        """The frame kept under `key`, read anew: the caller may change it."""
        path, attrs = self._files[key]
        frame = pd.read_parquet(path)
        frame.attrs = dict(attrs)
        return frame

    def clear(self) -> None:
        """Remove every frame and the folder."""
        if self._cleanup is not None:
            self._cleanup()
        self._files, self._folder, self._cleanup = {}, None, None
