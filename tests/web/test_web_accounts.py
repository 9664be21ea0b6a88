"""`polku user` on the command line, the accounts file, demo users and the demo banner."""

from __future__ import annotations

import re
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROLES, TestClient, log_in
from polku.cli import main
from polku.identity import create_key_file
from polku.ingest import import_file
from polku.store import open_store
from polku.web import create_app
from polku.web.accounts import Accounts, User, path_for
from polku.web.demo import create_demo_users, is_demo_store

PASSWORD = "a long enough password"


@pytest.fixture()
def store_copy(web_store: Path, tmp_path: Path) -> Path:
    """A copy of the demo store, so that these commands' audit rows and accounts stay here."""
    target = tmp_path / "polku.duckdb"
    shutil.copy(web_store, target)
    return target


def _polku(*args: str, stdin: str = "") -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.output


def test_user_add_reads_the_password_from_stdin(store_copy: Path) -> None:
    code, output = _polku(
        "user",
        "add",
        "maija",
        "--role",
        "caseworker",
        "--case-worker",
        "CW0001",
        "--store",
        str(store_copy),
        stdin=PASSWORD + "\n",
    )
    assert code == 0, output
    accounts = Accounts(path_for(store_copy))
    assert accounts.user("maija") == User("maija", "caseworker", case_worker_id="CW0001")
    assert accounts.authenticate("maija", PASSWORD, "test") is not None
    assert stat.S_IMODE(path_for(store_copy).stat().st_mode) == 0o600
    assert PASSWORD not in path_for(store_copy).read_bytes().decode("latin-1"), "only the argon2id hash is stored"
    con = sqlite3.connect(path_for(store_copy))
    try:
        (stored,) = con.execute("SELECT password_hash FROM users WHERE username = 'maija'").fetchone()
    finally:
        con.close()
    assert stored.startswith("$argon2id$")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--role", "caseworker"], "needs --case-worker"),
        (["--role", "caseworker", "--case-worker", "CW9999"], "no case worker 'CW9999'"),
        (["--role", "manager", "--team", "TEAM01"], "takes no --case-worker, --team or --provider"),
        (["--role", "provider", "--provider", "NOPE"], "no provider 'NOPE'"),
    ],
)
def test_user_add_refuses_a_wrong_tie(store_copy: Path, args: list[str], words: str) -> None:
    code, output = _polku("user", "add", "x", *args, "--store", str(store_copy), stdin=PASSWORD + "\n")
    assert code == 2 and words in output


def test_short_password_and_taken_name_are_refused(store_copy: Path) -> None:
    assert _polku("user", "add", "p", "--role", "analyst", "--store", str(store_copy), stdin="short\n")[0] == 2
    assert _polku("user", "add", "p", "--role", "analyst", "--store", str(store_copy), stdin=PASSWORD + "\n")[0] == 0
    code, output = _polku("user", "add", "p", "--role", "analyst", "--store", str(store_copy), stdin=PASSWORD + "\n")
    assert code == 2 and "exists already" in output


def test_passwd_and_disable(store_copy: Path) -> None:
    _polku("user", "add", "p", "--role", "analyst", "--store", str(store_copy), stdin=PASSWORD + "\n")
    assert _polku("user", "passwd", "p", "--store", str(store_copy), stdin="another good password\n")[0] == 0
    accounts = Accounts(path_for(store_copy))
    assert accounts.authenticate("p", PASSWORD, "t") is None and accounts.authenticate("p", "another good password", "t")
    assert _polku("user", "disable", "p", "--store", str(store_copy))[0] == 0
    assert accounts.user("p") is None
    code, output = _polku("user", "list", "--store", str(store_copy))
    assert code == 0 and re.search(r"^p\s+analyst\s+disabled$", output, re.M)
    assert _polku("user", "disable", "nobody", "--store", str(store_copy))[0] == 2


def test_demo_users_one_per_role(web_store: Path, oracle: object) -> None:
    accounts = Accounts(path_for(web_store))
    users = {role: accounts.user(role) for role in ROLES}
    assert all(u is not None and u.role == role and u.demo for role, u in users.items())
    assert accounts.authenticate("caseworker", "polku-demo", "t") is not None


def test_a_store_not_made_from_synthetic_files_gets_no_demo_users(tmp_path: Path, web_store: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    open_store(empty).close()
    assert not is_demo_store(empty)
    with pytest.raises(Exception, match="not a demo store"):
        create_demo_users(empty)
    real = tmp_path / "real"
    real.mkdir()
    shutil.copy(web_store.parent.parent / "synthetic" / "service.csv", real / "service.csv")  # no generator manifest beside it
    store_path = tmp_path / "real.duckdb"
    with open_store(store_path) as store:
        import_file(store, "service", real / "service.csv", key=create_key_file(tmp_path / "k" / "key"))
    assert not is_demo_store(store_path)
    assert not path_for(store_path).exists() or Accounts(path_for(store_path)).users() == []


def test_banner_on_every_page_of_a_demo_store_only(web_app: object, web_store: Path, tmp_path: Path) -> None:
    with TestClient(web_app) as demo_client:  # type: ignore[arg-type]
        assert 'id="demo-banner"' in demo_client.get("/login").text
        log_in(demo_client, "analyst")
        for route in ("/clients", "/overview", "/me"):
            assert 'id="demo-banner"' in demo_client.get(route).text, route
    accounts = Accounts(tmp_path / "accounts.sqlite")
    accounts.add_user(User("liisa", "analyst"), PASSWORD)
    with TestClient(create_app(web_store, accounts=accounts, demo=False)) as plain:
        log_in(plain, "liisa", PASSWORD)
        assert "demo-banner" not in plain.get("/clients").text
