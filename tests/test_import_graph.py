"""Polku's packages import each other without a cycle, and the estimators stay pure.

A cycle (once impact <-> cohort, baseline and groups) forces imports inside functions and
modules that exist only to join two packages; the pure estimators (`polku.impact`) must
be usable, and testable, without the store, the cohort or the report. Imports are read
from the source with `ast` (module level and inside functions alike), per package:
`polku.impact.base` counts as `polku.impact`.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in (SRC / "polku").rglob("*.py"):
        source = _package(".".join(path.relative_to(SRC).with_suffix("").parts))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                if name.startswith("polku.") and _package(name) != source:
                    edges.setdefault(source, set()).add(_package(name))
    return edges


def _reaches(edges: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(edges.get(start, ()))
    while todo:
        package = todo.pop()
        if package not in seen:
            seen.add(package)
            todo += edges.get(package, ())
    return seen


def test_no_package_imports_itself_through_others() -> None:
    edges = _graph()
    assert "polku.impact" in edges and "polku.pipeline" in edges  # the graph was read
    cycles = sorted(package for package in edges if package in _reaches(edges, package))
    assert cycles == [], f"packages in an import cycle: {cycles}"


def test_the_estimators_import_neither_the_store_nor_the_cohort() -> None:
    reached = _reaches(_graph(), "polku.impact")
    assert not reached & {"polku.store", "polku.cohort", "polku.groups", "polku.pipeline", "polku.reports", "polku.cli"}, reached


CONNECTION_OWNERS = ("polku/store/", "polku/ingest/")
"""The only packages that touch the store's DuckDB connection (`Store.con`): everything else
goes through Ibis (`Store.table`, `Store.ibis`) or a named function in `polku.store`, so that
another Ibis backend can run the analysis (issue 15 point 6)."""

CONNECTION_USERS_TEMPORARY: set[str] = set()
"""TEMPORARY: files still using `.con`, being rewritten by other work at the time this test was
added; each is to move to `Store.table` / `polku.cohort.build.services_with_episodes`, and
its entry is then removed (the next test fails until it is)."""


def _connection_users() -> set[str]:
    """Source files outside the owners with an attribute access `.con` (read with `ast`, so
    words in strings and names such as `.console` do not count)."""
    users = set()
    for path in (SRC / "polku").rglob("*.py"):
        name = path.relative_to(SRC).as_posix()
        if name.startswith(CONNECTION_OWNERS):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.Attribute) and node.attr == "con" for node in ast.walk(tree)):
            users.add(name)
    return users


def test_only_the_store_and_the_importer_use_the_connection() -> None:
    users = _connection_users()
    assert users - CONNECTION_USERS_TEMPORARY == set(), "use Store.table (Ibis) or a function in polku.store instead of .con"


def test_the_temporary_allow_list_of_connection_users_only_shrinks() -> None:
    assert CONNECTION_USERS_TEMPORARY - _connection_users() == set(), "these no longer use .con: remove them from the list"
