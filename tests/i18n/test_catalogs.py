"""The three message catalogs stay complete and in step."""

from __future__ import annotations

import re

import pytest

from polku.i18n import LANGUAGES, catalog, t


def test_all_catalogs_have_the_same_keys() -> None:
    keys = {lang: set(catalog(lang)) for lang in LANGUAGES}
    assert keys["fi"] == keys["en"] and keys["sv"] == keys["en"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_empty_messages(lang: str) -> None:
    assert [k for k, v in catalog(lang).items() if not v.strip()] == []


def test_placeholders_match_across_languages() -> None:
    names = lambda text: sorted(re.findall(r"\{(\w+)\}", text))  # noqa: E731
    for key, english in catalog("en").items():
        for lang in ("fi", "sv"):
            assert names(catalog(lang)[key]) == names(english), (lang, key)


def test_t_fills_placeholders_and_names_a_missing_key() -> None:
    assert "7" in t("sdc.note", "fi", threshold=7)
    assert t("section.clients", "sv") == "Kunder"
    with pytest.raises(KeyError, match="no.such.key"):
        t("no.such.key", "en")
