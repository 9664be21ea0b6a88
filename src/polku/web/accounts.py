"""Local accounts, server-side sessions and login throttling, in a small SQLite file beside the store.

Why a separate file (`<store>.web.sqlite`, owner-only) and not the DuckDB store: the store
has a single writer, and an import must never wait for a login, nor a login for an import.
SQLite (in the standard library) lets many short writers take turns on a tiny file, so
sessions can be touched on every request. The file holds no person-level data: account
names, argon2id password hashes, the hashes of session tokens, and failed-login times.

Passwords are hashed with argon2id (argon2-cffi's defaults: 64 MiB, 3 passes). A session
cookie carries a random token; only its SHA-256 is stored, so a copy of this file opens no
session. A session ends after `settings.web_idle_minutes()` without a request.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from polku.errors import UsageError
from polku.redaction import redact_hetus

SUFFIX = ".web.sqlite"
ROLES = ("admin", "analyst", "manager", "teamlead", "caseworker", "provider")
MIN_PASSWORD = 10
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")

THROTTLE_WINDOW = 15 * 60
"""Seconds over which failed logins are counted."""
USER_FAILURES = 5
"""Failed logins for one username within the window before it is refused until they age out."""
ADDRESS_FAILURES = 20
"""Failed logins from one client address within the window (password spraying across names)."""

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS users (
        username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL,
        case_worker_id TEXT, team_id TEXT, provider_id TEXT, lang TEXT,
        disabled INTEGER NOT NULL DEFAULT 0, demo INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sessions (
        token_hash TEXT PRIMARY KEY, username TEXT, csrf TEXT NOT NULL, lang TEXT,
        created_at REAL NOT NULL, last_seen REAL NOT NULL)""",
    "CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS failures_key ON failures (key, at)",
    # OIDC logins under way (polku.web.oidc): the state, nonce and PKCE verifier of one browser's session
    """CREATE TABLE IF NOT EXISTS oidc_flows (
        state TEXT PRIMARY KEY, token_hash TEXT NOT NULL, nonce TEXT NOT NULL, verifier TEXT NOT NULL,
        created_at REAL NOT NULL)""",
)

TOUCH_SECONDS = 60.0
"""A session's last request is written down at most this often, so that most requests only read
the file: the idle time then ends up to this much sooner than the last request says, never later."""

OIDC_FLOW_SECONDS = 600
"""Seconds an OIDC login may take at the provider before its state is forgotten."""

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a password of anyone")
"""Verified against when the username is unknown, so a wrong name takes as long as a wrong password."""


@dataclass(frozen=True)
class User:
    """An account as the access layer sees it: who, in which role, tied to which case worker, team or provider."""

    username: str
    role: str
    case_worker_id: str | None = None
    team_id: str | None = None
    provider_id: str | None = None
    lang: str | None = None
    demo: bool = False


@dataclass(frozen=True)
class Session:
    """A server-side session; `user` is None before login (the login form's CSRF token lives here)."""

    token: str
    csrf: str
    user: User | None
    lang: str | None


def path_for(store_path: Path) -> Path:
    """The accounts file of the store at `store_path`: beside it."""
    return store_path.with_name(store_path.name + SUFFIX)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Accounts:
    """The accounts file of one store. `clock` is injectable so tests can pass idle time."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time, idle_seconds: float = 1800.0) -> None:
        self.path = Path(path)
        self.clock = clock
        self.idle_seconds = idle_seconds
        self._create()

    def _create(self) -> None:
        """Create the file owner-only (0600) before SQLite opens it; SQLite gives its journal the same mode."""
        if not self.path.parent.is_dir():
            raise UsageError(f"no folder {self.path.parent} for the accounts file", fix="give an existing store with --store.")
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        if os.name != "nt":
            self.path.chmod(0o600)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer; one sync per write
            for statement in SCHEMA:
                db.execute(statement)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A short connection: one transaction, committed on success."""
        con = sqlite3.connect(self.path, timeout=10.0)
        try:
            with con:
                yield con
        finally:
            con.close()

    # --- users ---------------------------------------------------------------------------

    def add_user(self, user: User, password: str) -> None:
        """Create an account; refuses a taken or malformed name, an unknown role, a short password."""
        check_username(user.username)
        check_role_ties(user)
        check_password(password)
        with self._db() as db:
            if db.execute("SELECT 1 FROM users WHERE username = ?", (user.username,)).fetchone():
                raise UsageError(f"the user {user.username} exists already", fix="choose another name, or `polku user passwd`.")
            db.execute(
                "INSERT INTO users (username, password_hash, role, case_worker_id, team_id, provider_id, lang, demo, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (user.username, _HASHER.hash(password), user.role, user.case_worker_id, user.team_id, user.provider_id,
                 user.lang, int(user.demo), self.clock()),
            )  # fmt: skip

    def replace_demo_user(self, user: User, password: str) -> None:
        """Renew a demo account (its ties may change with a new demo); a real account of that name is never touched."""
        with self._db() as db:
            db.execute("DELETE FROM users WHERE username = ? AND demo = 1", (user.username,))
        self._end_sessions(user.username)
        self.add_user(user, password)

    def set_password(self, username: str, password: str) -> None:
        check_password(password)
        self._update(username, "UPDATE users SET password_hash = ? WHERE username = ?", (_HASHER.hash(password), username))
        self._end_sessions(username)

    def disable(self, username: str) -> None:
        """Disable an account and end its sessions; the row stays, so the audit trail's names keep meaning."""
        self._update(username, "UPDATE users SET disabled = 1 WHERE username = ?", (username,))
        self._end_sessions(username)

    def set_language(self, username: str, lang: str) -> None:
        self._update(username, "UPDATE users SET lang = ? WHERE username = ?", (lang, username))

    def _update(self, username: str, sql: str, values: tuple[object, ...]) -> None:
        with self._db() as db:
            if db.execute(sql, values).rowcount != 1:
                raise UsageError(f"no user {redact_hetus(username)}", fix="see the names with `polku user list`.")

    def _end_sessions(self, username: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE username = ?", (username,))

    def user(self, username: str) -> User | None:
        """The enabled account of that name, else None."""
        with self._db() as db:
            return self._user(db, username)

    @staticmethod
    def _user(db: sqlite3.Connection, username: str) -> User | None:
        row = db.execute(
            "SELECT username, role, case_worker_id, team_id, provider_id, lang, demo FROM users"
            " WHERE username = ? AND disabled = 0",
            (username,),
        ).fetchone()
        if row is None:
            return None
        name, role, worker, team, provider, lang, demo = row
        return User(name, role, worker, team, provider, lang, demo=bool(demo))

    def users(self) -> list[dict[str, object]]:
        """Every account (for the admin's list): no hashes."""
        names = ("username", "role", "case_worker_id", "team_id", "provider_id", "disabled", "demo")
        with self._db() as db:
            rows = db.execute(f"SELECT {', '.join(names)} FROM users ORDER BY username").fetchall()
        return [dict(zip(names, row)) for row in rows]

    def has_demo_users(self) -> bool:
        with self._db() as db:
            return db.execute("SELECT 1 FROM users WHERE demo = 1 AND disabled = 0").fetchone() is not None

    # --- login and throttling --------------------------------------------------------------

    def throttled(self, username: str, address: str) -> bool:
        """True when this name or this address has failed too often within the window."""
        since = self.clock() - THROTTLE_WINDOW
        with self._db() as db:
            db.execute("DELETE FROM failures WHERE at < ?", (since,))
            count = lambda key: db.execute("SELECT count(*) FROM failures WHERE key = ?", (key,)).fetchone()[0]  # noqa: E731
            return count(f"user:{username}") >= USER_FAILURES or count(f"addr:{address}") >= ADDRESS_FAILURES

    def authenticate(self, username: str, password: str, address: str) -> User | None:
        """The user when the password is right; else None, and the failure is counted by name and address."""
        with self._db() as db:
            row = db.execute("SELECT password_hash FROM users WHERE username = ? AND disabled = 0", (username,)).fetchone()
        try:
            _HASHER.verify(row[0] if row else _DUMMY_HASH, password)
            ok = row is not None
        except (VerificationError, InvalidHashError):
            ok = False
        with self._db() as db:
            if ok:
                db.execute("DELETE FROM failures WHERE key = ?", (f"user:{username}",))
            else:
                now = self.clock()
                db.executemany("INSERT INTO failures VALUES (?, ?)", [(f"user:{username}", now), (f"addr:{address}", now)])
        return self.user(username) if ok else None

    # --- sessions --------------------------------------------------------------------------

    def new_session(self, user: User | None = None, lang: str | None = None) -> Session:
        """A fresh session (a new token on every login, so a token seen before login is worth nothing after)."""
        token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), self.clock()
        with self._db() as db:
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                (_token_hash(token), user.username if user else None, csrf, lang, now, now),
            )
        return Session(token, csrf, user, lang)

    def session(self, token: str | None) -> Session | None:
        """The live session of `token` (its idle time renewed), or None when unknown or idle too long.

        One connection, and a write only when the session's last renewal is `TOUCH_SECONDS` old
        (then sessions idle too long are deleted too): most requests only read the file."""
        if not token:
            return None
        key, now = _token_hash(token), self.clock()
        with self._db() as db:
            query = "SELECT username, csrf, lang, last_seen FROM sessions WHERE token_hash = ? AND last_seen >= ?"
            row = db.execute(query, (key, now - self.idle_seconds)).fetchone()
            if row is not None and now - row[3] >= TOUCH_SECONDS:
                db.execute("DELETE FROM sessions WHERE last_seen < ?", (now - self.idle_seconds,))
                db.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", (now, key))
            user = self._user(db, row[0]) if row is not None and row[0] else None
        if row is None:
            return None
        if row[0] and user is None:
            self.end_session(token)  # disabled meanwhile
            return None
        return Session(token, row[1], user, row[2])

    def set_session_language(self, token: str, lang: str) -> None:
        with self._db() as db:
            db.execute("UPDATE sessions SET lang = ? WHERE token_hash = ?", (lang, _token_hash(token)))

    def end_session(self, token: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (_token_hash(token),))

    # --- OIDC logins under way (polku.web.oidc) ---------------------------------------------

    def start_flow(self, token: str, state: str, nonce: str, verifier: str) -> None:
        """Remember an OIDC login begun by the session of `token` (older unfinished ones are forgotten)."""
        now = self.clock()
        with self._db() as db:
            db.execute("DELETE FROM oidc_flows WHERE created_at < ?", (now - OIDC_FLOW_SECONDS,))
            db.execute("INSERT INTO oidc_flows VALUES (?, ?, ?, ?, ?)", (state, _token_hash(token), nonce, verifier, now))

    def take_flow(self, token: str, state: str) -> tuple[str, str] | None:
        """The (nonce, verifier) of the login `state` begun by this same session, used once; else None."""
        since = self.clock() - OIDC_FLOW_SECONDS
        with self._db() as db:
            row = db.execute(
                "SELECT nonce, verifier FROM oidc_flows WHERE state = ? AND token_hash = ? AND created_at >= ?",
                (state, _token_hash(token), since),
            ).fetchone()
            db.execute("DELETE FROM oidc_flows WHERE state = ?", (state,))
        return None if row is None else (str(row[0]), str(row[1]))


def check_username(name: str) -> None:
    if not USERNAME.match(name) or redact_hetus(name) != name:
        raise UsageError(
            f"{redact_hetus(name)!r} is not a valid user name",
            fix="use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit (never an identity code).",
        )


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"the password is shorter than {MIN_PASSWORD} characters", fix="choose a longer password.")


TIES = {"caseworker": "case_worker_id", "teamlead": "team_id", "provider": "provider_id"}
"""The one id each scoped role needs: whose clients it sees."""


def check_role_ties(user: User) -> None:
    """A role names exactly the id its scope needs (`--case-worker`, `--team`, `--provider`), and no other."""
    if user.role not in ROLES:
        raise UsageError(f"unknown role {user.role!r}", fix=f"choose one of: {', '.join(ROLES)}.")
    given = {name for name in TIES.values() if getattr(user, name)}
    needed = {TIES[user.role]} if user.role in TIES else set()
    if given != needed:
        options = {"case_worker_id": "--case-worker", "team_id": "--team", "provider_id": "--provider"}
        want = f"needs {options[next(iter(needed))]}" if needed else "takes no --case-worker, --team or --provider"
        extra = f" and no other of {', '.join(options[n] for n in sorted(given - needed))}" if given - needed else ""
        raise UsageError(f"the role {user.role} {want}{extra}", fix="give exactly the id the role's scope needs.")
