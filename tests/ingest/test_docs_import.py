"""docs/import.md lists every reason code the importer can write, and both shipped mappings."""

from __future__ import annotations

import re
from pathlib import Path

from polku.ingest.reasons import all_reason_codes
from polku.schema.tables import TABLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "import.md"


def test_doc_lists_every_reason_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", text, re.M))
    codes = set(all_reason_codes())
    assert codes <= documented, f"undocumented: {sorted(codes - documented)}"
    assert len(codes) == 8 + 13 + 8 + len(
        {c.name for t in TABLES.values() for c in t.checks}
    )  # identity (hetu + erased), field, row reasons and checks


def test_doc_names_both_shipped_mappings() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "**`synthetic`**" in text and "**`finnish_export`**" in text
