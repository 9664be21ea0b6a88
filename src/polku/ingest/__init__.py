"""Lossless import: source files -> validated, pseudonymised rows in the store, or quarantine.

`import_file` and `import_folder` are the entry points; `docs/import.md` explains mapping
files, the quarantine table, reason codes and the guarantees (no row lost, one transaction
per import, idempotent re-imports, replacement by source, history and `rollback`).
"""

from polku.ingest.load import import_file, import_folder, rollback
from polku.ingest.mapping import Mapping, load_mapping
from polku.ingest.reasons import all_reason_codes
from polku.ingest.report import ImportReport

__all__ = ["ImportReport", "Mapping", "all_reason_codes", "import_file", "import_folder", "load_mapping", "rollback"]
