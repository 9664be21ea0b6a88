"""The descriptive sections' blocks as plain data, and the recorded blocks they must keep.

`golden/section_blocks.json` holds the blocks the descriptive sections produced while
they still read the store (recorded by running this file before they moved onto the
compute/render seam), on the hand-made stores of conftest.py and on a synthetic area of
150 clients. The seam's tests check that render(compute(store)) gives exactly these.
Regenerate (`python tests/reports/section_blocks.py`) only when the stores' contents
change on purpose, never to hide a change in what a section shows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from polku.reports.blocks import Block
from polku.reports.context import ReportContext

GOLDEN = Path(__file__).parent / "golden" / "section_blocks.json"
SECTIONS = ("clients", "benefits", "services", "providers", "employment", "progress", "quality")
"""The descriptive sections, whose blocks are recorded."""
CASES = (("filled", "en"), ("empty", "en"), ("synthetic", "en"), ("synthetic", "fi"))
"""(store, language) pairs recorded."""
SYNTHETIC_CLIENTS, SYNTHETIC_SEED = 150, 5


def context(lang: str) -> ReportContext:
    """A fixed context: threshold 10, a fixed clock (the blocks do not show it)."""
    return ReportContext(lang, 10, datetime(2026, 1, 1, tzinfo=UTC))


def as_data(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """Blocks as JSON-ready dicts; a chart's SVG as its SHA-256 (it is long, and drawn
    deterministically from the same values)."""
    out = []
    for block in blocks:
        data = json.loads(json.dumps(dataclasses.asdict(block)))  # tuples -> lists, as JSON reads them
        if "svg" in data:
            data["svg"] = hashlib.sha256(data["svg"].encode()).hexdigest()
        out.append(data)
    return out


def build_synthetic(root: Path) -> Path:
    """The synthetic area's store under `root` (generated and imported with a fixed key)."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "sdc"))
    from gate_areas import KEY, build_area

    previous = os.environ.get("POLKU_PSEUDONYM_KEY")
    os.environ["POLKU_PSEUDONYM_KEY"] = KEY
    try:
        return build_area(root, SYNTHETIC_CLIENTS, seed=SYNTHETIC_SEED)
    finally:
        if previous is None:
            del os.environ["POLKU_PSEUDONYM_KEY"]
        else:
            os.environ["POLKU_PSEUDONYM_KEY"] = previous


def record(render: Callable[[str, str, str], Sequence[Block]]) -> dict[str, Any]:
    """{store: {lang: {section: blocks}}} from `render(store name, lang, section id)`."""
    out: dict[str, Any] = {}
    for store, lang in CASES:
        out.setdefault(store, {})[lang] = {s: as_data(render(store, lang, s)) for s in SECTIONS}
    return out


def _record_legacy() -> None:  # pragma: no cover - run by hand, see the module docstring
    import tempfile

    from conftest import fill
    from polku.reports.compute import ReportStore
    from polku.reports.registry import sections
    from polku.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        stores = {"filled": open_store(Path(tmp) / "f.duckdb"), "empty": open_store(Path(tmp) / "e.duckdb")}
        fill(stores["filled"])
        synthetic = build_synthetic(Path(tmp) / "synthetic")
        stores["synthetic"] = open_store(synthetic, read_only=True)
        by_id = {s.id: s for s in sections()}
        wrapped = {name: ReportStore(s.path, s.con) for name, s in stores.items()}
        data = record(lambda store, lang, section: by_id[section].render(wrapped[store], context(lang)))
        for s in stores.values():
            s.close()
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    _record_legacy()
