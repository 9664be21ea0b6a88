"""The store remembers which key made each key version, by the key's fingerprint.

Pseudonyms made with two different keys never match, so a second key under a version the
store already holds would split every person in two without any error. The first import
under a version records the key's fingerprint (`PseudonymKey.fingerprint`, a keyed hash of a
fixed string, never the key); every later import under that version must bring the same key.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from polku.errors import ConfigurationError
from polku.identity import PseudonymKey


def bind_key(con: duckdb.DuckDBPyConnection, key: PseudonymKey, import_id: int, at: dt.datetime) -> None:
    """Record `key` for its version (first used by `import_id` at `at`, UTC), or refuse it
    if the store holds another key there.

    Runs inside the import's transaction, so a refused import records nothing.
    """
    stored = con.execute("SELECT fingerprint FROM key_fingerprint WHERE key_version = ?", [key.version]).fetchall()
    if not stored:
        con.execute("INSERT INTO key_fingerprint VALUES (?, ?, ?, ?)", [key.version, key.fingerprint, import_id, at])
        return
    if stored[0][0] != key.fingerprint:
        raise ConfigurationError(
            f"this store's key version {key.version} was made with another key "
            f"(fingerprint {stored[0][0]}, this key {key.fingerprint}); nothing was imported",
            why="pseudonyms made with two keys never match, so every person would silently get a second identity.",
            fix=(
                "use the key this store was made with, or, for a key rotation, a new key version into a new store "
                "(docs/identity.md)."
            ),
        )
