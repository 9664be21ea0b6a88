"""Keyed pseudonyms: HMAC-SHA-256 in Python and in DuckDB SQL, keys and key files.

Known answer: `openssl dgst -sha256 -mac HMAC -macopt hexkey:000102...1f` of
`FI-HETU:v1:131052-308T` (OpenSSL 3) gives the value in `test_known_answer_from_openssl`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polku.errors import ConfigurationError
from polku.identity import PREFIX, PseudonymKey, code_hash, code_hash_sql, create_key_file, load_key, pseudonym, pseudonym_sql

KEY = PseudonymKey(bytes(range(32)), 1)


def _write_key(path: Path, text: str) -> None:
    """A key file as `polku key` leaves it: readable by its owner only."""
    path.write_text(text)
    path.chmod(0o600)


@pytest.fixture
def clean_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No key settings from the environment or a `.env`; returns an empty working folder."""
    for name in ("POLKU_PSEUDONYM_KEY", "POLKU_PSEUDONYM_KEY_FILE", "POLKU_PSEUDONYM_KEY_VERSION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _sql_pseudonyms(con: duckdb.DuckDBPyConnection, codes: list[str], key: PseudonymKey) -> dict[str, str]:
    """Code -> pseudonym computed by DuckDB, as the text a UUID column casts to."""
    query = f"SELECT x, CAST({pseudonym_sql('x')} AS VARCHAR) FROM (SELECT unnest($codes) AS x)"
    return dict(con.execute(query, {"codes": codes, **key.sql_parameters()}).fetchall())


def _uuid_text(hmac_hex: str) -> str:
    """The pseudonym of a full HMAC-SHA-256 hex digest: its first 32 digits, 8-4-4-4-12."""
    h = hmac_hex[:32]
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _hmac_pseudonym(secret: bytes, code: str) -> str:
    return _uuid_text(hmac.new(secret, (PREFIX + code).encode("utf-8"), hashlib.sha256).hexdigest())


def test_known_answer_from_openssl() -> None:
    # printf 'FI-HETU:v1:131052-308T' | openssl dgst -sha256 -hmac "$(KEY)": the first 128 bits
    full = "529c7d603f9bc11e3be7f624e3ffcb249a3425bd5a404d3ecbfc6f935e3532a4"
    assert str(pseudonym("131052-308T", KEY)) == "529c7d60-3f9b-c11e-3be7-f624e3ffcb24" == _uuid_text(full)


def test_separator_is_part_of_the_pseudonym(con: duckdb.DuckDBPyConnection) -> None:
    dash, y = str(pseudonym("100190-999P", KEY)), str(pseudonym("100190Y999P", KEY))
    assert dash == _uuid_text("8c1e8a8d6d124f8bd4976143ce9704891a24bcdf9b46abd238992a8ee747749f")
    assert y == _uuid_text("8c664266f231198d96d85b53e14646b98ade709bc1e978d4c3d85afc909a15b0")
    assert _sql_pseudonyms(con, ["100190-999P", "100190Y999P"], KEY) == {"100190-999P": dash, "100190Y999P": y}


def test_pseudonym_is_not_an_unkeyed_hash() -> None:
    code = "131052-308T"
    value = str(pseudonym(code, KEY))
    assert value != _uuid_text(hashlib.sha256(code.encode()).hexdigest())
    assert value != _uuid_text(hashlib.sha256((PREFIX + code).encode()).hexdigest())
    assert len(value.replace("-", "")) == 32 and value == value.lower()


def test_pseudonym_changes_with_the_key(con: duckdb.DuckDBPyConnection) -> None:
    other = PseudonymKey(bytes(range(1, 33)), 1)
    assert pseudonym("131052-308T", KEY) != pseudonym("131052-308T", other)
    assert _sql_pseudonyms(con, ["131052-308T"], KEY) != _sql_pseudonyms(con, ["131052-308T"], other)


@pytest.mark.parametrize("size", [32, 64, 65, 100])
def test_sql_matches_python_for_key_sizes(con: duckdb.DuckDBPyConnection, size: int) -> None:
    key = PseudonymKey(bytes((7 * i + size) % 256 for i in range(size)), 1)
    codes = ["131052-308T", "100190-999P", "100190Y999P", "010594Y9032", ""]
    expected = {c: _hmac_pseudonym(key.secret, c) for c in codes}
    assert _sql_pseudonyms(con, codes, key) == expected


@settings(max_examples=1000, deadline=None)
@given(
    secret=st.integers(32, 130).flatmap(lambda n: st.binary(min_size=n, max_size=n)),
    codes=st.lists(st.text(st.characters(exclude_categories=("Cs",)), max_size=20), min_size=1, max_size=20, unique=True),
)
def test_sql_matches_python_hmac(con: duckdb.DuckDBPyConnection, secret: bytes, codes: list[str]) -> None:
    key = PseudonymKey(secret, 1)
    expected = {c: _hmac_pseudonym(secret, c) for c in codes}
    assert _sql_pseudonyms(con, codes, key) == expected
    assert {c: str(pseudonym(c, key)) for c in codes} == expected


def test_sql_text_holds_no_key_material() -> None:
    sql = pseudonym_sql("hetu")
    assert "$hmac_ipad" in sql and "$hmac_opad" in sql
    assert KEY.secret.hex() not in sql
    assert set(KEY.sql_parameters()) == {"hmac_ipad", "hmac_opad"}
    assert all(len(pad) == 64 for pad in KEY.sql_parameters().values())


def test_key_repr_hides_the_secret_and_fingerprint_is_short() -> None:
    """Known answer: `printf 'polku:key-fingerprint:v1' | openssl dgst -sha256 -mac HMAC
    -macopt hexkey:000102...1f` (OpenSSL 3) gives ded54d4dbe264028f7e5d4edde935e79...; the
    fingerprint is its first 16 hex digits, an HMAC of a fixed string, not a hash of the key."""
    assert KEY.secret.hex() not in repr(KEY)
    assert "secret" not in repr(KEY)
    assert KEY.fingerprint == "ded54d4dbe264028"
    assert KEY.fingerprint not in hashlib.sha256(KEY.secret).hexdigest()
    assert PseudonymKey(bytes(range(1, 33)), 1).fingerprint != KEY.fingerprint


@pytest.mark.parametrize(
    ("secret", "words"),
    [
        (bytes(32), "every byte of the key is the same"),
        (bytes(range(32)), "count up or down in equal steps"),
        (bytes(range(40, 8, -1)), "count up or down in equal steps"),
        (bytes([1, 2, 3, 5, 7, 11, 13, 17]) * 4, "only 8 different byte values"),
        (b"correct horse battery staple 123", "printable characters"),
    ],
)
def test_weak_keys_are_named(secret: bytes, words: str) -> None:
    weakness = PseudonymKey(secret, 1).weakness
    assert weakness is not None and words in weakness


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=32, max_size=64))
def test_weakness_never_reveals_the_key(secret: bytes) -> None:
    weakness = PseudonymKey(secret, 1).weakness
    assert weakness is None or secret.hex() not in weakness


def test_random_keys_are_not_called_weak() -> None:
    """`secrets` keys: the checks' false-alarm rate is below 10^-13 per key (see `weakness`)."""
    assert [PseudonymKey(os.urandom(32), 1).weakness for _ in range(2000)] == [None] * 2000


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o660, 0o644])
def test_a_key_file_other_users_can_read_is_refused(clean_settings: Path, mode: int) -> None:
    path = clean_settings / "shared.key"
    _write_key(path, os.urandom(32).hex())
    path.chmod(mode)
    with pytest.raises(ConfigurationError, match=f"chmod 600 {path}") as caught:
        load_key(key_file=path)
    assert caught.value.what.splitlines() == [caught.value.what]
    assert path.read_text() not in str(caught.value)
    path.chmod(0o600)
    assert load_key(key_file=path).secret.hex() == path.read_text()


@pytest.mark.parametrize(
    ("secret", "version", "words"),
    [(b"x" * 31, 1, "shorter than 32 bytes"), (b"x" * 32, 0, "at least 1")],
)
def test_key_validation(secret: bytes, version: int, words: str) -> None:
    with pytest.raises(ConfigurationError, match=words):
        PseudonymKey(secret, version)


def test_an_explicit_key_file_wins_over_the_environment(clean_settings: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A key the user names must be the key used: taking the environment's instead would
    give every person a second pseudonym under the same key version (review finding)."""
    _write_key(clean_settings / "file.key", bytes(range(1, 33)).hex())
    monkeypatch.setenv("POLKU_PSEUDONYM_KEY", KEY.secret.hex())
    monkeypatch.setenv("POLKU_PSEUDONYM_KEY_VERSION", "3")
    key = load_key(key_file=clean_settings / "file.key")
    assert key.secret == bytes(range(1, 33)) and key.version == 3


def test_the_environment_key_wins_over_the_key_file_setting(clean_settings: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_key(clean_settings / "file.key", bytes(range(1, 33)).hex())
    monkeypatch.setenv("POLKU_PSEUDONYM_KEY_FILE", str(clean_settings / "file.key"))
    monkeypatch.setenv("POLKU_PSEUDONYM_KEY", KEY.secret.hex())
    assert load_key().secret == KEY.secret


def test_load_key_from_argument_then_setting(clean_settings: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_key(clean_settings / "a.key", KEY.secret.hex() + "\n")
    _write_key(clean_settings / "b.key", bytes(range(1, 33)).hex())
    monkeypatch.setenv("POLKU_PSEUDONYM_KEY_FILE", str(clean_settings / "b.key"))
    assert load_key(key_file=clean_settings / "a.key").secret == KEY.secret
    assert load_key().secret == bytes(range(1, 33))
    assert load_key().version == 1


@pytest.mark.parametrize(
    ("content", "words"),
    [("zz" * 32, "not hexadecimal"), ("ab" * 31, "has 31 bytes"), (None, "no pseudonymisation key")],
)
def test_load_key_errors_never_show_the_key(clean_settings: Path, content: str | None, words: str) -> None:
    path = clean_settings / "bad.key"
    if content is not None:
        _write_key(path, content)
    with pytest.raises(ConfigurationError, match=words) as caught:
        load_key(key_file=path)
    assert "polku key" in str(caught.value)
    if content is not None:
        assert content not in str(caught.value)


def test_bad_key_in_environment_is_refused_without_echo(clean_settings: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLKU_PSEUDONYM_KEY", "131052-308T")
    with pytest.raises(ConfigurationError, match="POLKU_PSEUDONYM_KEY") as caught:
        load_key()
    assert "131052" not in str(caught.value)


def test_bad_version_setting_is_refused(clean_settings: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLKU_PSEUDONYM_KEY", KEY.secret.hex())
    monkeypatch.setenv("POLKU_PSEUDONYM_KEY_VERSION", "two")
    with pytest.raises(ConfigurationError, match="POLKU_PSEUDONYM_KEY_VERSION"):
        load_key()


def test_create_key_file_is_private_and_loads_back(clean_settings: Path) -> None:
    path = clean_settings / "deep" / "er" / "pseudonym.key"
    key = create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [stat.S_IMODE(p.stat().st_mode) for p in (path.parent, path.parent.parent)] == [0o700, 0o700]
    assert len(key.secret) == 32 and path.read_text().strip() == key.secret.hex()
    assert load_key(key_file=path) == key


def test_create_key_file_refuses_to_overwrite_unless_asked(clean_settings: Path) -> None:
    path = clean_settings / "pseudonym.key"
    first = create_key_file(path)
    with pytest.raises(ConfigurationError, match="already exists"):
        create_key_file(path)
    assert load_key(key_file=path) == first
    os.chmod(path, 0o644)
    second = create_key_file(path, overwrite=True)
    assert second.secret != first.secret
    assert load_key(key_file=path) == second
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in clean_settings.iterdir()] == ["pseudonym.key"]


def test_code_hash_is_keyed_and_apart_from_pseudonyms(con: duckdb.DuckDBPyConnection) -> None:
    """The keyed hash of a raw code (quarantine's `code_hash`) is the HMAC in its own domain:
    never the pseudonym of the same text, changes with the key, same in SQL and Python."""
    texts = ["010594Y9033", "131052-308T", "abc"]
    for text in texts:
        expected = hmac.new(KEY.secret, ("FI-HETU-RAW:v1:" + text).encode(), hashlib.sha256).hexdigest()[:32]
        assert code_hash(text, KEY).hex == expected
        assert code_hash(text, KEY) != pseudonym(text, KEY)
        assert code_hash(text, KEY) != code_hash(text, PseudonymKey(bytes(range(1, 33)), 1))
    sql = con.execute(
        f"SELECT {code_hash_sql('t')} FROM (SELECT unnest($t) AS t, generate_subscripts($t, 1) AS i) ORDER BY i",
        {"t": texts} | KEY.sql_parameters(),
    ).fetchall()
    assert [r[0] for r in sql] == [code_hash(t, KEY) for t in texts]
