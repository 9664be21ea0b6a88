"""The client-group and menu files: the shipped ones load and fit together; an area's own
file is used; a bad file is refused in one line naming the file, the group and why."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from polku.errors import ValidationFailed
from polku.groups.config import UNASSIGNED, assign, load_groups
from polku.menu import load_menu
from polku.menu.menu import default_path as menu_path
from polku.synth import codes

OWN = """name: own
version: 2
description: an area's own groups
source: test
groups:
  - code: young
    names: {fi: nuoret, sv: unga, en: young}
    rule: age < 25
    source: test
  - code: educated
    names: {fi: korkea, sv: hög, en: tertiary}
    rule: education = tertiary
    source: test
"""


def test_the_shipped_files_load_and_the_menu_names_every_synthetic_service() -> None:
    config = load_groups()
    assert config.codes == ("partial_work_ability", "long_term", "youth", "older", "recent_work", "other")
    assert config.groups[-1].rule.text() == "always" and len(config.sha256) == 64
    menu = load_menu(config)
    assert {e.service for e in menu.entries} == set(codes.SERVICES)
    assert (menu.min_share, menu.unserved_ratio) == (0.6, 0.1)


def test_an_area_file_and_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first rule that holds wins; a person no rule matches is unassigned."""
    path = tmp_path / "own.yaml"
    path.write_text(OWN, encoding="utf-8")
    monkeypatch.setenv("POLKU_GROUPS", str(path))
    config = load_groups()
    assert (config.name, config.version, config.codes) == ("own", 2, ("young", "educated"))
    data = {"age": np.array([20.0, 40.0, 40.0]), "education": np.array(["tertiary", "tertiary", "basic"], dtype=object)}
    assert assign(config, data, 3).tolist() == ["young", "educated", UNASSIGNED]
    with pytest.raises(ValidationFailed, match="for the client groups 'seed000_default', but the groups in use are 'own'"):
        load_menu(config)


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("rule: age < 25", "rule: age < 25 and height > 2", "group 'young': unknown variable 'height'"),
        ("rule: education = tertiary", "rule: education = doctorate", "'doctorate' is not a code of education"),
        ("code: educated", "code: young", "group code 'young' is repeated"),
        ("version: 2", "version: two", "version must be a whole number from 1"),
        ("    source: test\n  - code: educated", "    source: ' '\n  - code: educated", "group 'young': the source is empty"),
        ("names: {fi: nuoret, sv: unga, en: young}", "names: {fi: nuoret}", "group 'young': names needs fi, sv and en"),
    ],
)
def test_bad_group_files_are_refused(tmp_path: Path, old: str, new: str, words: str) -> None:
    path = tmp_path / "bad.yaml"
    assert old in OWN
    path.write_text(OWN.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ValidationFailed) as error:
        load_groups(path)
    assert words in error.value.render() and "bad.yaml" in error.value.render()


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("[partial_work_ability, long_term]\n    bands", "[partial, long_term]\n    bands", "unknown groups partial"),
        ("bands: [low, medium]", "bands: [lowest]", "unknown bands lowest"),
        ("value: 0.6", "value: 60", "checks.min_share must be a number from 0 to 1, not 60"),
        ("  - service: TRAIN", "  - service: COACH", "service 'COACH' is listed twice"),
    ],
)
def test_bad_menu_files_are_refused(tmp_path: Path, old: str, new: str, words: str) -> None:
    shipped = menu_path().read_text(encoding="utf-8")
    assert old in shipped
    path = tmp_path / "menu.yaml"
    path.write_text(shipped.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ValidationFailed) as error:
        load_menu(load_groups(), path)
    assert words in error.value.render()
