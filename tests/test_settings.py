from __future__ import annotations

from pathlib import Path

import pytest

from polku import settings
from polku.errors import ConfigurationError


def test_environment_wins_over_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLKU_LANG", "sv")
    assert settings.language() == "sv"


def test_dotenv_is_read_when_environment_is_silent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("POLKU_MIN_CELL_SIZE", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("# comment\nPOLKU_MIN_CELL_SIZE=7\n", encoding="utf-8")
    assert settings.min_cell_size() == 7


def test_store_path_defaults_into_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("POLKU_STORE", raising=False)
    monkeypatch.setenv("POLKU_DATA_DIR", str(tmp_path))
    assert settings.store_path() == tmp_path / "polku.duckdb"


@pytest.mark.parametrize("value", ["2", "0", "ten"])
def test_cell_size_below_three_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("POLKU_MIN_CELL_SIZE", value)
    with pytest.raises(ConfigurationError, match="at least 3"):
        settings.min_cell_size()


def test_unknown_setting_is_an_error() -> None:
    with pytest.raises(KeyError, match="POLKU_LANG"):
        settings.get("POLKU_NOPE")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("POLKU_SHRINK_LIMIT", "0", 0),
        ("POLKU_SHRINK_LIMIT", " 100 ", 100),
        ("POLKU_HISTORY_VERSIONS", "0", 0),
        ("POLKU_HISTORY_VERSIONS", "12", 12),
    ],
)
def test_replacement_settings_are_whole_numbers(monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: int) -> None:
    monkeypatch.setenv(name, value)
    read = settings.shrink_limit if name == "POLKU_SHRINK_LIMIT" else settings.history_versions
    assert read() == expected


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("POLKU_SHRINK_LIMIT", "101", "from 0 to 100"),
        ("POLKU_SHRINK_LIMIT", "9.5", "from 0 to 100"),
        ("POLKU_HISTORY_VERSIONS", "-1", "of at least 0"),
        ("POLKU_HISTORY_VERSIONS", "three", "of at least 0"),
    ],
)
def test_bad_replacement_settings_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str, words: str) -> None:
    monkeypatch.setenv(name, value)
    read = settings.shrink_limit if name == "POLKU_SHRINK_LIMIT" else settings.history_versions
    with pytest.raises(ConfigurationError, match=words):
        read()
