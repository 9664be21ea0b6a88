"""The report as a PDF, printed from the same HTML by a headless Chromium.

Why Chromium and not a PDF library: the PDF must show exactly what the HTML shows, tables,
hidden cells and SVG charts alike, and a browser printing the HTML is the one way that
cannot drift from it; the print rules (A4, a page per section, rows not cut) live in the
report's CSS (`@media print`). Chromium runs as a separate program (the Debian package
`chromium`), with a time limit, in a private temporary folder (0700) that holds the HTML,
its profile and the PDF it prints, and is removed afterwards; the bytes then go through
the one output writer like every other format.

The printed file is marked as Polku's by an incremental update that adds a document
information dictionary naming Polku as its creator, so `polku.outputs` may replace it later
and nothing else.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from polku.errors import PolkuError, UsageError

PROGRAMS = ("chromium", "chromium-browser")
PRINT_SECONDS = 300
"""Time allowed for printing; the demo's report takes a few seconds on an idle machine."""
PDF_CREATOR = b"/Creator (Polku "
"""The marker `polku.outputs` looks for near the end of a PDF."""


def chromium() -> str:
    """The path of the Chromium program, or a one-line error naming the package to install."""
    for name in PROGRAMS:
        path = shutil.which(name)
        if path is not None:
            return path
    raise UsageError(
        "cannot write a PDF: Chromium is not installed; install the Debian package `chromium` "
        "(apt-get install chromium), or write --format html and print it from a browser"
    )


def print_pdf(html: str, *, title: str, version: str, timeout: float = PRINT_SECONDS) -> bytes:
    """The PDF that Chromium prints from `html`, marked as Polku's (see `mark_pdf`)."""
    program = chromium()
    with tempfile.TemporaryDirectory(prefix="polku-pdf-") as folder:  # mode 0700
        page, pdf = Path(folder) / "report.html", Path(folder) / "report.pdf"
        descriptor = os.open(page, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(html)
        _run([program, *chromium_flags(Path(folder) / "profile", pdf), page.as_uri()], timeout)
        data = pdf.read_bytes() if pdf.is_file() else b""
    if not data.startswith(b"%PDF-"):
        raise PolkuError("Chromium printed no PDF", fix="check that `chromium --headless` works on this machine.")
    return mark_pdf(data, title=title, version=version)


def chromium_flags(profile: Path, pdf: Path) -> list[str]:
    """Headless printing with no header or footer (they would show the temporary path),
    a throw-away profile, and no background network or GPU."""
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-extensions",
        "--disable-background-networking",
        "--no-first-run",
        "--no-pdf-header-footer",
        f"--user-data-dir={profile}",
        f"--print-to-pdf={pdf}",
    ]


def _run(command: list[str], timeout: float) -> None:
    """Run Chromium in its own process group, so the time limit ends its helpers too."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, errors = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise PolkuError(
            f"Chromium did not print the PDF within {timeout:.0f} s", fix="try again when the machine is less busy."
        ) from None
    if process.returncode != 0:
        last = errors.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        raise PolkuError(f"Chromium failed to print the PDF (exit code {process.returncode}): {last[0][:200]}")


def mark_pdf(data: bytes, *, title: str, version: str) -> bytes:
    """`data` with an incremental update (PDF 1.4, section 3.4.5) whose new document
    information dictionary gives the title and "Polku <version>" as the creator; the
    original bytes are unchanged, so every reader shows the same pages."""
    tail = data[-2048:]
    starts = re.findall(rb"startxref\s+(\d+)", tail)
    size = re.findall(rb"/Size (\d+)", tail)
    root = re.findall(rb"/Root (\d+ \d+ R)", tail)
    if not (starts and size and root and b"trailer" in tail):
        raise PolkuError("Chromium printed a PDF of an unexpected layout (no classic trailer)")
    number = int(size[-1])
    body = data if data.endswith(b"\n") else data + b"\n"
    creator = PDF_CREATOR + re.sub(r"[^0-9A-Za-z_.+-]", "", version).encode("ascii") + b")"
    info = b"%d 0 obj\n<</Title <%s>\n%s>>\nendobj\n" % (number, _utf16_hex(title), creator)
    xref = b"xref\n%d 1\n%010d 00000 n \n" % (number, len(body))
    trailer = b"trailer\n<</Size %d\n/Root %s\n/Info %d 0 R\n/Prev %s>>\n" % (number + 1, root[-1], number, starts[-1])
    return body + info + xref + trailer + b"startxref\n%d\n%%%%EOF\n" % (len(body) + len(info))


def _utf16_hex(text: str) -> bytes:
    """A PDF text string that holds any character: UTF-16BE with its byte order mark, in hex."""
    return ("feff" + text.encode("utf-16-be").hex()).upper().encode("ascii")
