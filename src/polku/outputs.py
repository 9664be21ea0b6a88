"""The one writer of output files: never over a file Polku did not write, never half written.

An operator who types the store's or the key's path after `--out` must get a refusal, not an
HTML file where the data or the key was. So a file may be replaced only when it carries the
marker of a Polku output: the report's generator tag near the start of an HTML file
(`MARKERS`), the creator "Polku" in a PDF's last document information (`PDF_MARKER`, near
its end), in a workbook's core properties or in the manifest of a ZIP of CSV files
(`ARCHIVE_MARKERS`); a new format adds its marker here. The bytes go to a temporary file in
the same folder, owner-only (0600), flushed, then renamed over the target, so a reader or a
crash sees the old file or the new one, never a mix. The audit row of the command names the
file and its SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

from polku.errors import UsageError
from polku.files import private_folders
from polku.store import audit

MARKERS = (b'<meta name="generator" content="Polku ',)
"""Byte strings only a Polku output holds near its start (reports/templates/report.html.j2)."""
HEAD_BYTES = 4096
PDF_MARKER = b"/Creator (Polku "
"""In the document information that reports/pdf.py appends at the end of a printed report."""
ARCHIVE_MARKERS = (("docProps/core.xml", b"<dc:creator>Polku "), ("manifest.json", b'"generator": "polku '))
"""(member, bytes) of a ZIP that Polku wrote: a workbook's creator (reports/xlsx.py) or the
manifest of the CSV archive (reports/csv_zip.py)."""


def is_polku_output(path: Path) -> bool:
    """True when the file holds a Polku output marker where its format keeps it."""
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(HEAD_BYTES)
            if head.startswith(b"%PDF-"):
                handle.seek(max(0, handle.seek(0, os.SEEK_END) - HEAD_BYTES))
                return PDF_MARKER in handle.read(HEAD_BYTES)
    except OSError:
        return False
    if head.startswith(b"PK\x03\x04"):
        return _archive_is_polku(Path(path))
    return any(marker in head for marker in MARKERS)


def _archive_is_polku(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            for member, marker in ARCHIVE_MARKERS:
                if member in names:
                    with archive.open(member) as handle:
                        return marker in handle.read(HEAD_BYTES)
    except (OSError, KeyError, ValueError, RuntimeError, NotImplementedError, zipfile.BadZipFile):
        return False
    return False


def check_writable(path: Path) -> None:
    """Refuse a target that is a folder or an existing file Polku did not write as output."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{target} is a folder", fix="give a file name for the output, e.g. report.html.")
    if (target.exists() or target.is_symlink()) and not is_polku_output(target):
        raise UsageError(
            f"refusing to overwrite {target}: Polku did not write it as an output",
            why="it may be the store, the pseudonymisation key or another file that cannot be made again.",
            fix="choose a new file name, or move that file away yourself if it is really to go.",
        )


FOLDER_MANIFEST = "manifest.json"
"""A folder of outputs (`polku generate`) is Polku's when this file names a Polku generator."""


def prepare_folder(folder: Path) -> Path:
    """Create `folder` (0700) for a set of outputs, or accept it when it is empty or Polku's
    own (its manifest names a Polku generator); refuse a folder of somebody else's files,
    which writing the outputs would overwrite."""
    folder = Path(folder)
    if folder.is_dir() and any(folder.iterdir()) and not _manifest_is_polku(folder / FOLDER_MANIFEST):
        raise UsageError(
            f"refusing to write into {folder}: it holds files Polku did not write",
            why="files of the same names (person.csv, ...) would be overwritten.",
            fix="give a new or empty folder.",
        )
    try:
        private_folders(folder)
    except OSError as error:
        raise UsageError(f"cannot create the folder {folder}: {error.strerror or error}", fix="choose another folder.") from None
    return folder


def _manifest_is_polku(path: Path) -> bool:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and str(manifest.get("generator", "")).startswith("polku")


def write_output(path: Path, content: str | bytes) -> Path:
    """Write `content` to `path` atomically, mode 0600, after `check_writable`; return the path."""
    target = Path(path)
    check_writable(target)
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        private_folders(target.parent)
        _replace_atomically(target, data)
    except OSError as error:
        raise UsageError(
            f"cannot write {target}: {error.strerror or error}", fix="check the folder and its free space."
        ) from None
    audit.note_output(target, hashlib.sha256(data).hexdigest())
    return target


def _replace_atomically(target: Path, data: bytes) -> None:
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
