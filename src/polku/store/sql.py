"""Safe SQL names and literals for the statements the store and the importer build."""

from __future__ import annotations


def quote(name: str) -> str:
    """A safe SQL identifier for any column name."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A safe SQL string literal."""
    return "'" + value.replace("'", "''") + "'"
