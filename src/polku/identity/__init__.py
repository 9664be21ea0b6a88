"""Personal identity codes: validation (`hetu`) and keyed pseudonyms (`pseudonym`).

Raw codes exist only between reading a source file and pseudonymising it at import; this
package never stores, prints or logs them. See `docs/identity.md`.
"""

from __future__ import annotations

from polku.identity.hetu import (
    CHECK_CHARACTERS,
    REASONS,
    SEPARATORS,
    birth_month_sql,
    birth_year_sql,
    compose_hetus,
    hetu_problem,
    hetu_problem_sql,
    hetu_valid,
    sex_sql,
)
from polku.identity.pseudonym import (
    PREFIX,
    PseudonymKey,
    code_hash,
    code_hash_sql,
    create_key_file,
    load_key,
    pseudonym,
    pseudonym_sql,
)

__all__ = [
    "CHECK_CHARACTERS",
    "PREFIX",
    "REASONS",
    "SEPARATORS",
    "PseudonymKey",
    "birth_month_sql",
    "birth_year_sql",
    "code_hash",
    "code_hash_sql",
    "compose_hetus",
    "create_key_file",
    "hetu_problem",
    "hetu_problem_sql",
    "hetu_valid",
    "load_key",
    "pseudonym",
    "pseudonym_sql",
    "sex_sql",
]
