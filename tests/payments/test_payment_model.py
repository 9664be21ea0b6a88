"""Payment model files: the shipped examples load, every value carries a source or an
assumption, and any broken field stops the loader with one line naming file and field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polku.errors import ValidationFailed
from polku.payments.model import SHIPPED, load_model, parse_model, shipped_models
from polku.yamlio import load_yaml


def test_shipped_models_load_with_their_sources() -> None:
    models = {p.stem: load_model(p) for p in shipped_models()}
    assert set(models) == {"koto_sib_share", "tyo_sib_earnings", "work_programme_rate_card", "rate_card_with_progress"}
    koto = models["koto_sib_share"]
    assert koto.kind == "outcome_share" and koto.share is not None and koto.share.value == 0.5
    assert koto.share.source is not None and "K 20/2024" in koto.share.source
    tyo = models["tyo_sib_earnings"]
    assert tyo.share is not None and tyo.share.source is None and "not found" in (tyo.share.assumption or "")
    card = models["work_programme_rate_card"].rates_for("medium")
    assert (card.attachment.value, card.job_outcome.value) == (468, 1404)  # GBP 400 and 1,200 at 1.17
    assert sum(s.fee.value for s in card.sustainment) == pytest.approx(2210 * 1.17, abs=1)
    assert models["rate_card_with_progress"].progress is not None


VALID: dict[str, Any] = load_yaml((SHIPPED / "work_programme_rate_card.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda d: d.pop("kind"), "kind", "not one of"),
        (lambda d: d.update(kind="bonus"), "kind", "not one of"),
        (lambda d: d["groups"]["default"]["attachment"].pop("source"), "groups.default.attachment", "source"),
        (lambda d: d["groups"]["default"]["job_outcome"].update(value=-1), "groups.default.job_outcome.value", "outside"),
        (lambda d: d["groups"]["default"]["job_outcome"].update(value="many"), "groups.default.job_outcome.value", "number"),
        (lambda d: d["groups"].pop("default"), "groups", "default"),
        (lambda d: d["groups"]["default"]["sustainment"][1].update(months=2), "sustainment[1].months", "increase"),
        (lambda d: d["groups"]["default"]["sustainment"][0].update(months=13), "sustainment[0].months", "window"),
        (lambda d: d.update(share={"value": 0.5, "source": "x"}), "share", "not a field"),
        (lambda d: d.update(currency="GBP"), "currency", "EUR"),
        (lambda d: d.update(colour="red"), "colour", "unknown field"),
        (lambda d: d.update(period="week"), "period", "not one of"),
    ],
)
def test_each_broken_field_is_named(change: Any, field: str, words: str) -> None:
    data = copy.deepcopy(VALID)
    change(data)
    with pytest.raises(ValidationFailed) as caught:
        parse_model(data, "area/model.yaml")
    message = str(caught.value)
    assert "area/model.yaml" in message and field in message and words in message
    assert "Traceback" not in message


def test_share_models_need_share_and_whole_horizon() -> None:
    base = {"name": "k", "kind": "outcome_share", "horizon_years": {"value": 3, "source": "s"}}
    with pytest.raises(ValidationFailed, match="needs its share"):
        parse_model(base, "k.yaml")
    with pytest.raises(ValidationFailed, match="whole years"):
        parse_model(base | {"share": {"value": 0.5, "source": "s"}, "horizon_years": {"value": 2.5, "source": "s"}}, "k.yaml")
    with pytest.raises(ValidationFailed, match="outside"):
        parse_model(base | {"share": {"value": 1.5, "source": "s"}}, "k.yaml")


def test_unreadable_and_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="cannot read"):
        load_model(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="not valid YAML"):
        load_model(bad)


leaf = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True), st.text(max_size=5))
tree = st.recursive(
    leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)
paths = st.lists(
    st.sampled_from(["kind", "groups", "default", "attachment", "value", "source", "sustainment", "caps", "share"]),
    min_size=1,
    max_size=4,
)


def _replace(data: Any, path: list[str], value: Any) -> Any:
    """`data` with the value at `path` (as far as it exists) replaced by `value`."""
    if not path or not isinstance(data, dict):
        return value
    key = path[0] if path[0] in data else next(iter(data), path[0])
    return data | {key: _replace(data.get(key), path[1:], value)}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=paths, value=tree)
def test_any_corruption_loads_or_fails_with_one_named_line(path: list[str], value: Any) -> None:
    """Whatever a field is replaced with, the loader gives a model or a ValidationFailed
    whose first line names the problem and whose location names the file; never another
    exception."""
    data = _replace(copy.deepcopy(VALID), path, value)
    try:
        model = parse_model(data, "fuzz.yaml")
    except ValidationFailed as error:
        assert error.what.startswith("payment model: ")
        assert "fuzz.yaml" in str(error.where)
        return
    assert model.kind in ("rate_card", "outcome_share", "earnings_share")
    for rates in model.rates.values():
        assert rates.attachment.value >= 0 and (rates.attachment.source or rates.attachment.assumption)


def test_a_binary_file_is_refused_in_one_line(tmp_path: Path) -> None:
    """Found by the CLI fuzz test: bytes that are not UTF-8 gave an internal error."""
    path = tmp_path / "model.yaml"
    path.write_bytes(b"\xff\xfe\x00model")
    with pytest.raises(ValidationFailed, match="not UTF-8 text"):
        load_model(path)
