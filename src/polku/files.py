"""Owner-only folders: every folder Polku makes for person-level data, keys or outputs is
0700, the missing parents included (`mkdir(parents=True, mode=...)` applies the mode to the
last folder only). Existing folders are left as they are: they may be shared on purpose."""

from __future__ import annotations

import errno
import os
from pathlib import Path


def private_folders(folder: Path) -> None:
    """Create `folder` and its missing parents, each mode 0700; NotADirectoryError when a
    file stands where a folder should be."""
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for path in reversed(missing):
        path.mkdir(mode=0o700)
