"""The instrument files: they agree with the data model and the generator, cite their
figures, and a bad file is refused in one line naming the file and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from polku.change import instruments, load_instrument
from polku.change.instrument import parse_instrument
from polku.errors import ValidationFailed
from polku.schema.codelists import codelist
from polku.synth import measurements as synth

GOOD = """
instrument: own_meter
version: 2
description: An area's own meter.
source: {title: own, url: null}
licence: own
items:
  coping:
    domain: life_management
    scale: {min: 1, max: 5}
    direction: higher_is_better
    reliability: {value: 0.7, kind: alpha, source: own study, assumption: false}
    reference_sd: {value: 0.9, source: own study, assumption: false}
    clinical_cutoff: 3.5
"""


def test_shipped_instruments_match_the_code_lists_and_the_generator() -> None:
    items = codelist("measurement_item")
    shipped = instruments()
    assert set(shipped) == set(codelist("instrument").codes) == set(synth.INSTRUMENTS)
    for inst in shipped.values():
        for code, item in inst.items.items():
            attributes = items.attributes[code]
            assert attributes["instrument"] == inst.code
            assert (item.scale_min, item.scale_max) == (attributes["scale_min"], attributes["scale_max"])
            assert (item.scale_min, item.scale_max) == synth.SCALES[code]
    assert {c for i in shipped.values() for c in i.items} == set(items.codes) == set(synth.ITEMS)


def test_shipped_figures_and_their_status() -> None:
    was = instruments()["work_ability_self_assessment"].items["work_ability_score"]
    assert (was.reliability, was.reliability_kind, was.reference_sd) == (0.89, "test_retest", 2.08)
    assert was.assumed == ("reference_sd",)  # the ICC is published, the SD derived
    meter = instruments()["client_change_meter"].items
    assert set(meter) == {"work_ability", "skills", "job_search", "life_management", "wellbeing"}
    assert all(
        i.reliability == 0.8 and i.reference_sd is None and i.assumed == ("reliability", "reference_sd") for i in meter.values()
    )


def test_no_outcomes_star() -> None:
    folder = Path(__file__).parents[2] / "src" / "polku" / "change" / "instruments"
    text = " ".join(p.read_text(encoding="utf-8").lower() for p in folder.glob("*.yaml"))
    assert "star" not in {w.strip(".,:") for w in text.split()}


def test_an_area_file(tmp_path: Path) -> None:
    path = tmp_path / "own_meter.yaml"
    path.write_text(GOOD, encoding="utf-8")
    inst = load_instrument(path)
    assert (inst.code, inst.version) == ("own_meter", 2)
    item = inst.items["coping"]
    assert (item.reliability_kind, item.reference_sd, item.clinical_cutoff, item.direction, item.assumed) == (
        "alpha",
        0.9,
        3.5,
        1,
        (),
    )


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("value: 0.7, kind", "value: 1.2, kind", "reliability must be at least 0 and below 1, not 1.2"),
        ("kind: alpha", "kind: guess", "reliability kind must be one of test_retest, alpha"),
        (
            "{value: 0.9, source: own study, assumption: false}",
            "{value: -1, source: x, assumption: true}",
            "reference_sd must be positive",
        ),
        (
            "source: own study, assumption: false}\n    reference",
            "assumption: false}\n    reference",
            "reliability needs value, source and assumption",
        ),
        ("{min: 1, max: 5}", "{min: 5, max: 1}", "scale max must be above scale min"),
        ("higher_is_better", "up", "direction must be one of higher_is_better, lower_is_better"),
        ("version: 2", "version: two", "version must be a whole number"),
        ("licence: own\n", "", "missing licence"),
        ("items:", "items: [", "instrument file own.yaml:"),
    ],
)
def test_bad_file_one_line(old: str, new: str, words: str) -> None:
    assert old in GOOD
    with pytest.raises(ValidationFailed) as caught:
        parse_instrument(GOOD.replace(old, new, 1), "own.yaml")
    first = caught.value.what
    assert "\n" not in first and first.startswith("instrument file own.yaml: ")
    assert words in first
