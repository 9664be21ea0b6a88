"""One registry of settings: read from the environment, then `.env`, then the default.

Each setting has a name, a default and a help text; `docs/operations.md` lists them and
a test fails when one is undocumented.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from polku.errors import ConfigurationError


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "POLKU_DATA_DIR",
        "~/.local/share/polku",
        "Folder for the store and generated outputs when no path is given on the command line.",
    ),
    Setting(
        "POLKU_STORE",
        "",
        "Path of the DuckDB store file; empty means `$POLKU_DATA_DIR/polku.duckdb`.",
    ),
    Setting(
        "POLKU_PSEUDONYM_KEY",
        "",
        "Pseudonymisation key as hex (at least 64 hex digits = 32 bytes). Takes precedence over POLKU_PSEUDONYM_KEY_FILE; a key "
        "file named with --key-file wins over it.",
    ),
    Setting(
        "POLKU_PSEUDONYM_KEY_FILE",
        "~/.config/polku/pseudonym.key",
        "File holding the pseudonymisation key (hex). Keep it outside the data folder and out of version control.",
    ),
    Setting(
        "POLKU_PSEUDONYM_KEY_VERSION",
        "1",
        "Version number stored beside every pseudonym, so that a key rotation can be traced.",
    ),
    Setting(
        "POLKU_MIN_CELL_SIZE",
        "10",
        "Smallest group size shown in aggregates people see; smaller cells are suppressed. Never below 3.",
    ),
    Setting("POLKU_LANG", "en", "Language of reports and messages: fi, sv or en."),
    Setting(
        "POLKU_SHRINK_LIMIT",
        "90",
        "A new file that would keep fewer than this percentage of its source's stored rows is refused unless `polku import "
        "--allow-shrink` (a whole number from 0 to 100; 0 turns the check off).",
    ),
    Setting(
        "POLKU_READ_MEMORY_MB",
        "4096",
        "Memory (MB) DuckDB may hold on a read-only connection (an analysis, a report, the web) before it spills to a temporary "
        "folder beside the read snapshot; 0 leaves DuckDB's own limit (80 % of the machine's memory). Read-only connections see "
        "pseudonyms only.",
    ),
    Setting(
        "POLKU_ANALYSIS_WORKERS",
        "1",
        "Processes an analysis fits its services' estimates in, beside its own (each builds no cohort and holds one service's "
        "rows); the results are the same for any number. 1 fits them in the analysis's own process.",
    ),
    Setting(
        "POLKU_HISTORY_VERSIONS",
        "3",
        "How many earlier versions of each source the store keeps as history for `polku import --rollback` (0 keeps none).",
    ),
    # --- equal treatment (issue 18) ---
    Setting(
        "POLKU_EQUALITY_EXTRA",
        "",
        "Further cohort columns `polku equality` and the report compare groups by, comma-separated (e.g. "
        "education_level,activity_before); sex, age group, mother tongue, partial work ability and municipality always.",
    ),
    Setting(
        "POLKU_WEB_IDLE_MINUTES",
        "30",
        "Minutes a web session may stay idle before it ends and the user must log in again (from 1 to 720).",
    ),
    # --- optional OIDC login of the web (polku.web.oidc, docs/web.md); off while POLKU_OIDC_ISSUER is empty ---
    Setting(
        "POLKU_OIDC_ISSUER",
        "",
        "Issuer URL of an OpenID Connect provider (its discovery document is ISSUER/.well-known/openid-configuration); "
        "empty turns OIDC login off.",
    ),
    Setting("POLKU_OIDC_CLIENT_ID", "", "Polku's client id at the OIDC provider."),
    Setting(
        "POLKU_OIDC_CLIENT_SECRET_FILE",
        "",
        "File holding Polku's client secret at the OIDC provider (one line, readable by its owner only).",
    ),
    Setting(
        "POLKU_OIDC_USERNAME_CLAIM",
        "preferred_username",
        "ID-token claim whose value is the Polku user name; the account must exist (`polku user add`) and gives the role.",
    ),
    Setting("POLKU_OIDC_NAME", "OIDC", 'Name of the provider on the login page\'s button ("Sign in with NAME").'),
    Setting(
        "POLKU_OIDC_REDIRECT_URI",
        "",
        "The callback address registered at the provider, e.g. https://polku.example.fi/login/oidc/callback; empty means "
        "the address the request came to.",
    ),
    # client groups and the service menu (docs/groups.md)
    Setting(
        "POLKU_GROUPS",
        "",
        "The area's client-group file (YAML, docs/groups.md) that `polku analyse` groups clients by; empty means the shipped "
        "default (seed 000's variables).",
    ),
    Setting(
        "POLKU_MENU",
        "",
        "The area's service-menu file (YAML, docs/groups.md) that `polku analyse` checks targeting against; empty means the "
        "synthetic area's menu.",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _dotenv(path: Path = Path(".env")) -> dict[str, str]:
    """Read KEY=VALUE lines of a `.env` file in the working directory, if there is one."""
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def get(name: str) -> str:
    """Value of a registered setting: environment, then `.env`, then default."""
    if name not in _BY_NAME:
        raise KeyError(f"unknown setting {name}; registered: {', '.join(_BY_NAME)}")
    if name in os.environ:
        return os.environ[name]
    return _dotenv().get(name, _BY_NAME[name].default)


def data_dir() -> Path:
    return Path(get("POLKU_DATA_DIR")).expanduser()


def store_path() -> Path:
    explicit = get("POLKU_STORE")
    return Path(explicit).expanduser() if explicit else data_dir() / "polku.duckdb"


def min_cell_size() -> int:
    raw = get("POLKU_MIN_CELL_SIZE")
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 3:
        raise ConfigurationError(
            f"POLKU_MIN_CELL_SIZE is {raw!r}",
            why="groups smaller than 3 people can identify a person (Statistics Finland, Eurostat).",
            fix="set POLKU_MIN_CELL_SIZE to a whole number of at least 3 (default 10).",
        )
    return value


def _whole_number(name: str, low: int, high: int | None, why: str) -> int:
    """A registered setting that must be a whole number in [low, high]."""
    raw = get(name).strip()
    value = int(raw) if raw.isdigit() else -1
    if value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ConfigurationError(
            f"{name} is {raw!r}",
            why=why,
            fix=f"set {name} to a whole number {bounds} (default {_BY_NAME[name].default}).",
        )
    return value


def shrink_limit() -> int:
    """Percentage of a source's stored rows a new version must keep (see `ingest.load`)."""
    return _whole_number(
        "POLKU_SHRINK_LIMIT",
        0,
        100,
        "it is the share of a source's rows a new export must keep to replace it without --allow-shrink.",
    )


def read_memory_mb() -> int:
    """DuckDB's memory limit on read-only connections, in MB; 0 for DuckDB's own
    (`polku.store.connection`). Why a limit: an analysis's comparison pool on a national-size
    store grew DuckDB to 9 GB at 300,000 clients (docs/scale.md)."""
    return _whole_number("POLKU_READ_MEMORY_MB", 0, None, "it is the memory DuckDB may use before spilling to disk.")


def analysis_workers() -> int:
    """Processes the per-service fits of an analysis run in (`polku.pipeline.workers`); 1: none
    beside the analysis. Why a setting and not a run choice: the results do not depend on it,
    only the time and the memory do (docs/scale.md)."""
    return _whole_number("POLKU_ANALYSIS_WORKERS", 1, 64, "it is the number of processes an analysis fits services in.")


def history_versions() -> int:
    """Earlier versions of a source kept for rollback (see `ingest.history`)."""
    return _whole_number(
        "POLKU_HISTORY_VERSIONS", 0, None, "it is the number of earlier versions of each source kept for rollback."
    )


def language() -> str:
    lang = get("POLKU_LANG")
    if lang not in ("fi", "sv", "en"):
        raise ConfigurationError(f"POLKU_LANG is {lang!r}", fix="set POLKU_LANG to fi, sv or en.")
    return lang


def web_idle_minutes() -> int:
    """Idle minutes after which a web session ends (`polku.web.accounts`)."""
    return _whole_number(
        "POLKU_WEB_IDLE_MINUTES", 1, 720, "a session left open on an unattended screen shows clients' data to whoever sits down."
    )
