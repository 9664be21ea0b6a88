"""What one import did, as a frozen result that the CLI prints and `--json` serialises."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from polku.ingest.history import Changes
from polku.redaction import redact_hetus

STATUS_TEXT = {
    "imported": "imported",
    "replaced": "imported, replacing the earlier file of this source",
    "unchanged": "unchanged: this file was already imported under this source; nothing was written",
    "rolled_back": "rolled back: the source's previous version is restored",
}


@dataclass(frozen=True)
class ImportReport:
    """Counts of one import. Invariant: rows_read = rows_accepted + rows_quarantined.

    `quarantined_by_reason` counts problems, not rows: a row with two problems adds one to
    each of its reasons but only one to `rows_quarantined`. `changes` compares the source's
    rows before and after (see `history.changes`).
    """

    table: str
    source: str
    file: str
    import_id: int
    status: str
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    rows_replaced: int
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    mapping: str = ""
    file_sha256: str = ""
    changes: Changes = field(default_factory=lambda: Changes(0, 0, 0))
    restored_import_id: int | None = None
    file_records: int | None = None  # data records counted from the file's bytes, independently of the parser

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (a code in the file's path or source name shown as `<hetu>`)."""
        return asdict(self) | {"file": redact_hetus(self.file), "source": redact_hetus(self.source)}

    def render(self) -> str:
        """A few readable lines for the terminal."""
        lines = [
            f"{self.table} <- {redact_hetus(self.file)} (source '{redact_hetus(self.source)}', import {self.import_id}): "
            f"{STATUS_TEXT.get(self.status, self.status)}"
            + (f" (import {self.restored_import_id})" if self.restored_import_id is not None else ""),
            f"  rows read {self.rows_read:,}, accepted {self.rows_accepted:,}, quarantined {self.rows_quarantined:,}"
            + (f", replaced {self.rows_replaced:,} earlier rows" if self.rows_replaced else "")
            + f" ({self.seconds:.1f} s)",
        ]
        if self.status in ("replaced", "rolled_back"):
            c = self.changes
            lines.append(f"  rows added {c.added:,}, removed {c.removed:,}, changed {c.changed:,}")
        for reason, count in sorted(self.quarantined_by_reason.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"  {count:>8,}  {reason}")
        if self.rows_quarantined:
            lines.append(
                f"  see: SELECT line, column_name, value, reason FROM quarantine WHERE import_id = {self.import_id} ORDER BY line"
            )
        return "\n".join(lines)
