"""The DuckDB store: one file per area, opened through `open_store`.

Why lazy: `polku.store.audit` and the other light modules are imported by readers of
analysis runs (the report, the web) that never open the store; importing the package
must not load DuckDB and Ibis for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from polku.store.connection import Store, open_store

__all__ = ["Store", "open_store"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from polku.store import connection

        return getattr(connection, name)
    raise AttributeError(f"module 'polku.store' has no attribute {name!r}")
