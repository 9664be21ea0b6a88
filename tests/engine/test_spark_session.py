"""The Spark session's one-line errors, without starting Spark."""

from __future__ import annotations

import builtins
from typing import Any

import pytest

from polku.engine import spark as engine
from polku.errors import UsageError


def test_missing_java_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(engine.shutil, "which", lambda name: None)
    with pytest.raises(UsageError, match="needs Java, which was not found") as caught:
        engine.session(master="local[1]")
    assert "openjdk-17" in caught.value.fix


def test_missing_pyspark_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    real = builtins.__import__

    def without_pyspark(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("pyspark"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_pyspark)
    with pytest.raises(UsageError, match="needs PySpark, which is not installed"):
        engine.session(master="local[1]")


def test_a_remote_must_be_a_spark_connect_address() -> None:
    with pytest.raises(UsageError, match="not a Spark Connect address"):
        engine.session(remote="http://cluster:15002")
