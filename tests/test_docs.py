"""Documentation that is generated from code must match the code; README and CI agree."""

from __future__ import annotations

import re
from pathlib import Path

from polku import clidoc
from polku.schema import document

ROOT = Path(__file__).resolve().parents[1]


def test_data_model_doc_is_generated_from_the_schema() -> None:
    committed = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert committed == document.render_markdown(), "run: python -m polku.schema.document > docs/data-model.md"


def test_cli_doc_is_generated_from_real_help() -> None:
    committed = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert committed == clidoc.render_markdown(), "run: python -m polku.clidoc > docs/cli.md"


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_has_exactly_two_commands_and_ci_runs_the_test_one() -> None:
    setup, tests = _quick_start_commands()
    assert "polku demo" in setup
    assert "pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci


def test_docs_the_readme_points_to_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in re.findall(r"`(docs/[\w/.-]+)`", readme):
        assert (ROOT / name).exists(), name
