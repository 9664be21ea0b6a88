"""The HTML report: self-contained, in three languages, disclosure-controlled, robust when empty."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from polku.errors import UsageError
from polku.i18n import LANGUAGES, t
from polku.reports import build_report
from polku.reports.registry import sections  # not `polku.reports.sections`: importing the sections package rebinds that name
from polku.store import Store


@pytest.fixture(scope="module")
def reports(filled_store: Store, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("html")
    return {
        lang: build_report(filled_store, folder / f"{lang}.html", lang=lang).read_text(encoding="utf-8") for lang in LANGUAGES
    }


def _row(html: str, table_id: str, label: str) -> list[str]:
    """Cells of the row labelled `label` in table `table_id`."""
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S)
    assert table, table_id
    row = re.search(rf"<tr><th scope=\"row\">{re.escape(label)}</th>(.*?)</tr>", table.group(1), re.S)
    assert row, label
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))


def test_report_is_self_contained(reports: dict[str, str]) -> None:
    for html in reports.values():
        assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", html)
        assert "<script" not in html and "<link" not in html and "http" not in html
        assert "<style>" in html and "<svg" in html


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_section_title_in_each_language(reports: dict[str, str], lang: str) -> None:
    html = reports[lang]
    assert f'<html lang="{lang}">' in html
    for section in sections():
        assert f"<h2>{t(section.title_key, lang)}</h2>" in html


def test_small_group_is_hidden_with_its_partner(reports: dict[str, str]) -> None:
    html = reports["en"]
    assert _row(html, "clients-mother_tongue_group", "Swedish-speaking") == ["..", ".."]  # 3 people
    assert _row(html, "clients-mother_tongue_group", "other language") == ["..", ".."]  # partner of 10
    assert _row(html, "clients-mother_tongue_group", "Finnish-speaking") == ["27", "67.5"]
    assert _row(html, "clients-sex", "female") == ["20", "50.0"]


def test_labels_and_numbers_follow_the_language(reports: dict[str, str]) -> None:
    assert _row(reports["fi"], "clients-mother_tongue_group", "suomenkielinen") == ["27", "67,5"]
    assert _row(reports["sv"], "clients-mother_tongue_group", "finskspråkig") == ["27", "67,5"]
    assert _row(reports["fi"], "services-cost", "Työvalmennus") == ["30", "30\u202f000", "1\u202f000"]
    assert _row(reports["sv"], "services-cost", "Jobbcoachning")[0] == "30"


def test_header_names_area_dates_version_and_provenance(reports: dict[str, str]) -> None:
    html = reports["en"]
    assert "Lapin työllisyysalue" in html and "2024-10-01" in html and "Polku 0.1.0" in html
    assert "Data provenance" in html


def test_descriptive_employment_says_no_causal_claim(reports: dict[str, str]) -> None:
    assert "do not show what the services caused" in reports["en"]
    assert _row(reports["en"], "employment-sector", "private") == ["20", "100.0"]


def test_goals_cross_table_and_findings(reports: dict[str, str]) -> None:
    assert _row(reports["en"], "goals", "job search") == ["13", "12", "25"]  # open, achieved
    assert _row(reports["en"], "quality-findings", "for information")[:2] == ["registration_spell", "20"]


def test_empty_store_renders_with_no_data(empty_store: Store, tmp_path: Path) -> None:
    html = build_report(empty_store, tmp_path / "empty.html", lang="sv").read_text(encoding="utf-8")
    assert html.count(t("common.no_data", "sv")) >= 5
    assert t("quality.no_imports", "sv") in html and t("quality.no_findings", "sv") in html


def test_unknown_language_is_refused(empty_store: Store, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="de"):
        build_report(empty_store, tmp_path / "x.html", lang="de")


def test_threshold_comes_from_settings(filled_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLKU_MIN_CELL_SIZE", "3")
    html = build_report(filled_store, tmp_path / "t3.html").read_text(encoding="utf-8")
    assert _row(html, "clients-mother_tongue_group", "Swedish-speaking") == ["3", "7.5"]
    assert "Groups of fewer than 3 people" in html


def test_no_small_count_of_people_anywhere(reports: dict[str, str]) -> None:
    """Every whole number in a table about people is 0, hidden, or at least the threshold."""
    skip = ("provenance", "quality-", "services-cost")
    for html in reports.values():
        for table_id, body in re.findall(r'<table id="([^"]+)">(.*?)</table>', html, re.S):
            if table_id.startswith(skip):
                continue
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", body):
                if cell.replace("\u202f", "").isdigit():
                    assert not 0 < int(cell.replace("\u202f", "")) < 10, (table_id, cell)


def test_a_registered_section_appears_without_touching_the_others(
    empty_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from polku.reports import registry
    from polku.reports.blocks import Note

    sections()  # load the built-in sections first
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    registry.register("impact", "common.total", 70, compute=lambda store, analysis: {})(
        lambda results, ctx: [Note("impact goes here")]
    )
    html = build_report(empty_store, tmp_path / "x.html").read_text(encoding="utf-8")
    assert '<section id="impact">' in html and "impact goes here" in html
    assert html.index('id="progress"') < html.index('id="impact"') < html.index('id="quality"')
