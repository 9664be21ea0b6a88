"""CLI fuzz: every command, with generated arguments and input files, ends with exit code 0,
1 or 2 and one message, never a traceback (issue 14, "Must show").

The commands are read from Click's command tree, so a new command is fuzzed without a
change here; its options get values by their Click type. Inputs mix the valid (a real
store, key and persons file) with the hostile: random bytes, CSVs of random text, missing
and odd paths (a folder, the store, the key, unicode names), negative and huge numbers,
NaN, hetu-shaped text and odd unicode. Runs in-process with Click's runner against a tiny
store (one person), so every example is quick; the options that would make a command slow
(`--clients`, `--bootstrap`) get only values that are refused or small. `polku demo` itself
is run by tests/test_demo.py; here it meets only refused values. About 20 s of CPU time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polku.cli import MAX_CLIENTS, main
from polku.schema.tables import TABLES

CODE = "010594Y9032"  # DVV's test range: nobody's code
HEADER = (
    "hetu,birth_year,birth_month,sex,mother_tongue_group,municipality_code,education_level,isced_level,"
    "partial_work_ability,partial_work_ability_basis\n"
)
PERSONS = "person_id,age,annual_wage_income,unemployment_benefit_days,unemployment_benefit_type\np1,30,20000,0,none\n"
EXAMPLES = 10
ODD_TEXT = [
    "",
    "-",
    "--help",
    "0",
    "-1",
    "nan",
    "inf",
    "1e309",
    CODE,
    "employed_999999m",
    "employed_-3m",
    "S1",
    "person",
    "a,b",
    "2024-02-30",
    "ä\u0000ö",
    "\u202e\ufeffx",
    "😀" * 3,
    "x" * 300,
    "../../etc/passwd",
    "8,2",
    "0,0",
]
REFUSED_CLIENTS = [-1, 0, 99, MAX_CLIENTS + 1, 10**30]
SMALL = {
    ("generate", "clients"): st.sampled_from([*REFUSED_CLIENTS, 100]),
    ("demo", "clients"): st.sampled_from(REFUSED_CLIENTS),
    ("estimate", "bootstrap"): st.sampled_from([-1, 0, 2, 10**30]),
    ("analyse", "engine"): st.sampled_from(["duckdb", "", "SPARK", "x" * 300]),
    ("national", "engine"): st.sampled_from(["duckdb", "", "SPARK", "x" * 300]),
}
"""Options that would make a command slow, with the values it may get. A valid `--engine
spark` starts a Spark session (a minute per example, and py4j's sockets left to the
garbage collector): tests/engine/test_spark_parity.py runs that engine; here it meets only
refused values."""


def commands() -> list[tuple[str, click.Command]]:
    """Every leaf command of the tree, by its words after `polku`."""

    def walk(group: click.Group, prefix: tuple[str, ...]) -> Iterator[tuple[str, click.Command]]:
        for name, command in sorted(group.commands.items()):
            if isinstance(command, click.Group):
                yield from walk(command, (*prefix, name))
            else:
                yield " ".join((*prefix, name)), command

    return list(walk(main, ()))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder with a store holding one person, its key, valid and hostile input files."""
    root = tmp_path_factory.mktemp("fuzz")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("POLKU_PSEUDONYM_KEY", "POLKU_DATA_DIR"):
            patch.delenv(name, raising=False)
        patch.setenv("POLKU_PSEUDONYM_KEY_FILE", str(root / "secrets" / "pseudonym.key"))
        patch.setenv("POLKU_STORE", str(root / "store.duckdb"))
        patch.setenv("POLKU_DATA_DIR", str(root / "data"))
        patch.chdir(root)
        (root / "person.csv").write_text(HEADER + f"{CODE},1994,5,female,fi,698,basic,2,false,\n", encoding="utf-8")
        (root / "persons.csv").write_text(PERSONS, encoding="utf-8")
        (root / "binary.bin").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
        (root / "empty.csv").write_bytes(b"")
        (root / "folder").mkdir()
        runner = CliRunner()
        assert runner.invoke(main, ["key", str(root / "secrets" / "pseudonym.key")]).exit_code == 0
        assert runner.invoke(main, ["import", "person", "person.csv"]).exit_code == 0
        yield root


_names = itertools.count()


@st.composite
def input_file(draw: st.DrawFn, root: Path) -> str:
    """A fresh file of random bytes or a CSV of random text (first row maybe a real header)."""
    path = root / "gen" / f"{next(_names)}{draw(st.sampled_from(['.csv', '.xlsx', '.parquet', '.txt', '']))}"
    path.parent.mkdir(exist_ok=True)
    if draw(st.booleans()):
        path.write_bytes(draw(st.binary(max_size=600)))
    else:
        header = draw(st.sampled_from([HEADER.strip(), PERSONS.splitlines()[0], "a,b,c", ""]))
        cells = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
        rows = draw(st.lists(st.lists(cells, min_size=1, max_size=6), max_size=6))
        path.write_text("\n".join([header, *(",".join(r) for r in rows)]), encoding="utf-8")
    return str(path)


def path_value(root: Path) -> st.SearchStrategy[str]:
    fixed = [
        "person.csv",
        "persons.csv",
        "binary.bin",
        "empty.csv",
        "folder",
        "store.duckdb",
        "secrets/pseudonym.key",
        "missing.csv",
        "folder/new.html",
        "binary.bin/x",
        "/dev/null",
        "ä ö/😀.csv",
        "out/report.html",
    ]
    return st.one_of(st.sampled_from(fixed), input_file(root))


def mostly(usual: st.SearchStrategy[Any], hostile: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`usual` four times in five, so that most examples get past the option parser."""
    return st.integers(0, 4).flatmap(lambda i: usual if i else hostile)


def number(param: click.Parameter, kind: type) -> st.SearchStrategy[Any]:
    low = getattr(param.type, "min", None)
    high = getattr(param.type, "max", None)
    if kind is int:
        usual = (
            st.integers(2022, 2027)
            if param.name == "year"
            else st.integers(low if low is not None else 0, min(high, 50) if high is not None else 50)
        )
        return mostly(usual, st.sampled_from([-1, 0, 10**30, -(10**30), 2**63]))
    usual_float = st.floats(
        low if low is not None else 0, high if high is not None else 50, exclude_max=bool(getattr(param.type, "max_open", False))
    )
    return mostly(usual_float, st.sampled_from([float("nan"), float("inf"), -1.0, 1e308]))


def usual_value(param: click.Parameter) -> st.SearchStrategy[Any] | None:
    """Sensible values for the parameters that decide how deep a command gets."""
    usual = {
        "store_path": st.just("store.duckdb"),
        "key_file": st.just("secrets/pseudonym.key"),
        "persons_path": st.just("persons.csv"),
        "employed_path": st.just("persons.csv"),
        "table": st.sampled_from(sorted(TABLES)),
        "file": st.sampled_from(["person.csv", "persons.csv"]),
        "out_path": st.sampled_from(["out/report.html", "report.html"]),
        "out_dir": st.just("synthetic"),
    }
    return usual.get(param.name or "")


def value(command: str, param: click.Parameter, root: Path) -> st.SearchStrategy[Any]:
    """Values for one parameter: its usual value or any of its Click type."""
    if (command, param.name) in SMALL:
        return SMALL[command, param.name]
    usual = usual_value(param)
    if usual is not None:
        return mostly(usual, any_value(param, root))
    return any_value(param, root)


def any_value(param: click.Parameter, root: Path) -> st.SearchStrategy[Any]:
    kind = param.type
    if isinstance(kind, click.Path):
        return path_value(root)
    if isinstance(kind, click.Choice):
        return mostly(st.sampled_from(list(kind.choices)), st.sampled_from(ODD_TEXT))
    if isinstance(kind, (click.IntRange, click.types.IntParamType)):
        return number(param, int)
    if isinstance(kind, (click.FloatRange, click.types.FloatParamType)):
        return number(param, float)
    if isinstance(kind, click.DateTime):
        return st.sampled_from(["2026-01-01", "2026-13-01", "0001-01-01", "9999-12-31T23:59:59", "", "tomorrow"])
    return st.one_of(st.sampled_from(ODD_TEXT), st.text(max_size=20))


@st.composite
def arguments(draw: st.DrawFn, name: str, command: click.Command, root: Path) -> list[str]:
    """An argument list: each option given now and then (a required or slow one nearly
    always), flags on or off, then the arguments (now and then one missing)."""
    args: list[str] = []
    for param in command.params:
        if isinstance(param, click.Option) and param.is_flag:
            args += [param.opts[0]] if draw(st.integers(0, 3)) == 0 else []
        elif isinstance(param, click.Option) and param.opts[0] not in ("--help", "--version"):
            given = (
                (name, param.name) in SMALL or (param.required and draw(st.integers(0, 9)) > 0) or draw(st.integers(0, 2)) == 0
            )
            for item in draw(
                st.lists(value(name, param, root), min_size=int(given), max_size=(2 if param.multiple else 1) * int(given))
            ):
                args += [param.opts[0], str(item)]
        elif isinstance(param, click.Argument) and draw(st.integers(0, 9)):
            args.append(str(draw(value(name, param, root))))
    return [*name.split(), *args]


@pytest.fixture(autouse=True)
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """`polku serve` (and `demo --serve`) check their input, then return instead of serving forever."""
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)


@pytest.mark.parametrize("name, command", commands(), ids=[name for name, _ in commands()])
def test_no_input_to_any_command_prints_a_traceback(world: Path, name: str, command: click.Command) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(arguments(name, command, world))
    def check(args: list[str]) -> None:
        result = CliRunner().invoke(main, args)
        shown = f"polku {' '.join(args)}\n{result.output}"
        assert result.exception is None or isinstance(result.exception, SystemExit), (shown, repr(result.exception))
        assert result.exit_code in (0, 1, 2), shown
        assert "Traceback" not in result.output and "internal error" not in result.output, shown

    check()


def test_every_command_is_fuzzed() -> None:
    assert {name for name, _ in commands()} >= {
        "analyse",
        "audit",
        "cba",
        "demo",
        "estimate",
        "fiscal",
        "generate",
        "import",
        "key",
        "report",
        "runs",
        "serve",
        "status",
    }
