"""Every number the generator uses is in assumptions.yaml with a stated source."""

from __future__ import annotations

import pytest

from polku.errors import ValidationFailed
from polku.synth import params


def test_every_parameter_has_a_value_and_a_source() -> None:
    found = list(params.parameters(params.assumptions()))
    assert len(found) > 80
    for path, node in found:
        assert set(node) == {"value", "source"} and len(str(node["source"])) > 5, path


def test_sources_are_statistics_or_stated_assumptions() -> None:
    for path, node in params.parameters(params.assumptions()):
        text = str(node["source"]).lower()
        assert any(w in text for w in ("assumption", "verified", "recalled", "fiscal-parameters", "seed 0", "decree", "kela")), (
            path
        )


def test_unknown_parameter_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="no synthetic-area parameter"):
        params.value("benefits.no_such_thing")


def test_a_parameter_without_source_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    params.assumptions.cache_clear()
    monkeypatch.setattr(params, "load_yaml", lambda text: {"s": {"p": {"value": 1}}})
    try:
        with pytest.raises(ValidationFailed, match="lacks a value or a source"):
            params.assumptions()
    finally:
        monkeypatch.undo()
        params.assumptions.cache_clear()
