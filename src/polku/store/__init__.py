"""The store: one DuckDB file, opened only through `polku.store.connection`."""

from polku.store.connection import Store, open_store

__all__ = ["Store", "open_store"]
