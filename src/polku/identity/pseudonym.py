"""Keyed pseudonyms for personal identity codes: HMAC-SHA-256, in Python and in DuckDB SQL.

An unkeyed hash of a hetu is not a pseudonym: there are only about 4.3 x 10^8 plausible
codes, which one GPU hashes in under a minute. A secret key of at least 32 bytes (from
`secrets`) makes that search useless for anyone without the key (ENISA 2019 §3.3, EDPB
Guidelines 01/2025). The key therefore lives outside the store: in the environment or a
key file with mode 0600, never in the database, the repository or a log.

    pseudonym = UUID(first 16 bytes of HMAC-SHA-256(key, "FI-HETU:v1:" + code))

Why 128 bits in a UUID column: the identity-and-privacy rules ask for at least 128 bits of
the HMAC. Among 10^7 people the chance that any two share a 128-bit pseudonym is about
n^2 / 2^129 = 1.5 x 10^-25, so the other 128 bits add nothing a person key needs. DuckDB's
UUID type holds the 128 bits as one fixed-width number: every table's person key costs 16
bytes instead of a 64-character string, joins compare integers, and writing it skips the
string compression analysis (a million-row import writes 0.3 s faster). Outside DuckDB it
is the canonical UUID text (`8-4-4-4-12` lowercase hex digits), the same in Arrow, Spark and
CSV exports. The value is not an RFC 9562 UUID (no version bits): only the type is borrowed.

The full canonical code, century sign included, is hashed, so `100190-999P` and
`100190Y999P` get different pseudonyms. The prefix names the scheme, so a later scheme can
never collide with this one. `pseudonym_sql` computes the same HMAC inside DuckDB with the
key's pads passed as prepared-statement parameters: key material never appears in SQL text.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from polku import settings
from polku.errors import ConfigurationError, UsageError
from polku.files import private_folders

PREFIX = "FI-HETU:v1:"
"""Scheme tag hashed in front of every code (domain separation between schemes)."""

RAW_PREFIX = "FI-HETU-RAW:v1:"
"""Domain of `code_hash`: keyed hashes of raw, possibly invalid codes never equal a pseudonym."""

PSEUDONYM_BYTES = 16
"""HMAC bytes kept in a pseudonym (128 bits, the minimum the privacy rules allow)."""

MIN_KEY_BYTES = 32
KEY_FILE_BYTES = 32
FINGERPRINT_MESSAGE = b"polku:key-fingerprint:v1"
"""Fixed message whose HMAC under the key names the key (never the key or a hash of it)."""
FINGERPRINT_HEX = 16
"""Hex digits of the fingerprint kept: 64 bits tell keys apart and reveal nothing usable."""
MIN_DISTINCT_BYTES = 16
"""Fewer different byte values than this in a key is a sign it was not drawn at random.
32 random bytes hold about 30 different values; fewer than 16 happens with probability
below 10^-20."""
_BLOCK = 64  # SHA-256 block size in bytes (RFC 2104)
_KEY_FIX = (
    "create one with `polku key PATH` and point POLKU_PSEUDONYM_KEY_FILE at it, "
    "or set POLKU_PSEUDONYM_KEY to 64 or more hex digits."
)


@dataclass(frozen=True)
class PseudonymKey:
    """A pseudonymisation secret and the version number stored beside each pseudonym.

    The secret is left out of `repr`, so a key in a traceback or log shows only its version;
    `fingerprint` identifies a key in output without revealing it.
    """

    secret: bytes = field(repr=False)
    version: int

    def __post_init__(self) -> None:
        if not isinstance(self.secret, bytes) or len(self.secret) < MIN_KEY_BYTES:
            raise ConfigurationError(
                f"the pseudonymisation key is shorter than {MIN_KEY_BYTES} bytes",
                why="a short key can be found by trying keys, and then every pseudonym can be reversed.",
                fix=_KEY_FIX,
            )
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise ConfigurationError(
                "the pseudonymisation key version is not a whole number of at least 1",
                why="the version is stored beside every pseudonym so that a key rotation can be traced.",
                fix="set POLKU_PSEUDONYM_KEY_VERSION to 1, 2, ...",
            )

    @property
    def fingerprint(self) -> str:
        """First 16 hex digits of HMAC-SHA-256(key, FINGERPRINT_MESSAGE): safe to show and
        to store, tells two keys apart. Keyed, so it cannot be used to test guessed keys
        faster than the pseudonyms already could, and it is never a hash of the key itself."""
        return hmac.new(self.secret, FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()[:FINGERPRINT_HEX]

    @property
    def weakness(self) -> str | None:
        """Why the key looks as if it was not drawn at random, or None.

        Keys shorter than MIN_KEY_BYTES are refused outright; these are the long-enough
        keys a person typed or derived: one byte repeated, a counter, few distinct values,
        or only printable characters (a password written as hex). Random 32-byte keys hit
        none of these except with negligible probability ((95/256)^32 < 10^-13 for text).
        """
        data = self.secret
        steps = {(b - a) % 256 for a, b in zip(data, data[1:])}
        if len(set(data)) == 1:
            return "every byte of the key is the same"
        if len(steps) == 1:
            return "the key's bytes count up or down in equal steps"
        if len(set(data)) < MIN_DISTINCT_BYTES:
            return f"the key holds only {len(set(data))} different byte values"
        if all(0x20 <= b < 0x7F for b in data):
            return "the key's bytes are all printable characters, like a password"
        return None

    def sql_parameters(self) -> dict[str, bytes]:
        """Named parameters for `pseudonym_sql`: the HMAC inner and outer padded keys (BLOBs)."""
        block_key = self.secret
        if len(block_key) > _BLOCK:
            block_key = hashlib.sha256(block_key).digest()
        block_key = block_key.ljust(_BLOCK, b"\x00")
        return {
            "hmac_ipad": bytes(b ^ 0x36 for b in block_key),
            "hmac_opad": bytes(b ^ 0x5C for b in block_key),
        }


def _keyed_uuid(prefix: str, text: str, key: PseudonymKey) -> uuid.UUID:
    message = (prefix + text).encode("utf-8")
    return uuid.UUID(bytes=hmac.new(key.secret, message, hashlib.sha256).digest()[:PSEUDONYM_BYTES])


def pseudonym(code: str, key: PseudonymKey) -> uuid.UUID:
    """The person's stable, keyed pseudonym: the first 16 bytes of HMAC-SHA-256 of
    PREFIX + code, as the UUID that DuckDB stores and returns for `person_id`."""
    return _keyed_uuid(PREFIX, code, key)


def code_hash(text: str, key: PseudonymKey) -> uuid.UUID:
    """Keyed hash of a raw code that is not valid (quarantine's `code_hash`).

    An invalid code gets no pseudonym, yet it is still somebody's data: this hash lets
    `polku erase --hetu` find the quarantined row without the store ever holding the text.
    Same HMAC and key as `pseudonym`, in its own domain (RAW_PREFIX).
    """
    return _keyed_uuid(RAW_PREFIX, text, key)


def _keyed_uuid_sql(prefix: str, column: str) -> str:
    inner = f"unhex(sha256($hmac_ipad || encode('{prefix}' || ({column}))))"
    return f"CAST(left(sha256($hmac_opad || {inner}), {2 * PSEUDONYM_BYTES}) AS UUID)"


def code_hash_sql(column: str) -> str:
    """DuckDB twin of `code_hash` (parameters: `key.sql_parameters()`)."""
    return _keyed_uuid_sql(RAW_PREFIX, column)


def pseudonym_sql(column: str) -> str:
    """DuckDB expression computing `pseudonym` for a VARCHAR `column`, fully vectorised.

    Execute it with `key.sql_parameters()` as the statement's parameters. HMAC(K, m) =
    SHA256((K0 xor opad) || SHA256((K0 xor ipad) || m)) (RFC 2104); the padded keys are
    computed once in Python, so SQL only concatenates and hashes. The result is a UUID
    from the first 32 hex digits of the HMAC.
    """
    return _keyed_uuid_sql(PREFIX, column)


def _key_version() -> int:
    raw = settings.get("POLKU_PSEUDONYM_KEY_VERSION").strip()
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigurationError(
            "POLKU_PSEUDONYM_KEY_VERSION is not a whole number of at least 1",
            why="the version is stored beside every pseudonym so that a key rotation can be traced.",
            fix="set POLKU_PSEUDONYM_KEY_VERSION to 1, 2, ...",
        )
    return int(raw)


def _parse_hex(text: str, source: str) -> bytes:
    """Key bytes from hex text; the error names the source, never the content."""
    try:
        secret = bytes.fromhex(text.strip())
    except ValueError:
        raise ConfigurationError(
            "the pseudonymisation key is not hexadecimal",
            where=source,
            why="the key must be written as hex digits (0-9, a-f), two per byte.",
            fix=_KEY_FIX,
        ) from None
    if len(secret) < MIN_KEY_BYTES:
        raise ConfigurationError(
            f"the pseudonymisation key has {len(secret)} bytes; at least {MIN_KEY_BYTES} are needed",
            where=source,
            why="a short key can be found by trying keys, and then every pseudonym can be reversed.",
            fix=_KEY_FIX,
        )
    return secret


def _read_key_file(path: Path) -> str:
    if not path.is_file():
        raise ConfigurationError(
            "no pseudonymisation key was found",
            where=str(path),
            why="identity codes are replaced by keyed pseudonyms at import; without the key nothing is imported.",
            fix=_KEY_FIX,
        )
    _refuse_shared(path)
    return path.read_text(encoding="ascii", errors="replace")


def _refuse_shared(path: Path) -> None:
    """A key file other users can read (or change) is refused before it is read: whoever
    reads the key and the store can test guessed identity codes against the pseudonyms."""
    mode = path.stat().st_mode & 0o777
    if os.name != "nt" and mode & 0o077:
        raise ConfigurationError(
            f"the pseudonymisation key file can be read or changed by other users (mode {mode:o}); run: chmod 600 {path}",
            where=str(path),
            why="whoever can read the key and the store can test guessed identity codes against the pseudonyms.",
            fix=f"chmod 600 {path}, and check who could read it before (if anyone might have copied it, rotate the key).",
        )


def load_key(*, key_file: Path | None = None) -> PseudonymKey:
    """The key to use: an explicit `key_file` first, else POLKU_PSEUDONYM_KEY (hex), else
    the file named by POLKU_PSEUDONYM_KEY_FILE.

    A key file the user names must win over the environment: silently taking another key
    would give the same person a second pseudonym under the same key version, and neither
    idempotent re-import nor replacement could notice. The version comes from
    POLKU_PSEUDONYM_KEY_VERSION. Errors never contain key material.
    """
    version = _key_version()
    if key_file is not None:
        path = Path(key_file).expanduser()
        return PseudonymKey(_parse_hex(_read_key_file(path), str(path)), version)
    from_env = settings.get("POLKU_PSEUDONYM_KEY")
    if from_env.strip():
        return PseudonymKey(_parse_hex(from_env, "setting POLKU_PSEUDONYM_KEY"), version)
    path = Path(settings.get("POLKU_PSEUDONYM_KEY_FILE")).expanduser()
    return PseudonymKey(_parse_hex(_read_key_file(path), str(path)), version)


def _write_private(path: Path, text: str) -> None:
    """Write a new file that only the owner can read; O_EXCL refuses an existing file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
    os.chmod(path, 0o600)  # the umask may have narrowed it; never widened


def _replace_private(path: Path, text: str) -> None:
    """Swap in a new private file atomically, so no reader sees a half-written key."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    _write_private(temporary, text)
    os.replace(temporary, path)


def _exists_error(path: Path) -> ConfigurationError:
    return ConfigurationError(
        "a pseudonymisation key file already exists",
        where=str(path),
        why="replacing the key makes every pseudonym made with the old key unmatchable.",
        fix="keep the existing key, choose another path, or pass --overwrite during a planned key rotation.",
    )


def _holds_a_key(path: Path) -> bool:
    try:
        return len(bytes.fromhex(path.read_text(encoding="ascii").strip())) >= MIN_KEY_BYTES
    except (OSError, ValueError):
        return False


def create_key_file(path: Path, *, overwrite: bool = False) -> PseudonymKey:
    """Create a new key file: 32 random bytes from `secrets`, as hex, mode 0600.

    Refuses to replace an existing file unless `overwrite`, because a new key makes every
    earlier pseudonym unmatchable. Missing parent folders are created, each mode 0700.
    """
    path = Path(path).expanduser()
    version = _key_version()
    if path.exists() and not overwrite:
        raise _exists_error(path)
    if path.exists() and not _holds_a_key(path):  # --overwrite replaces a key, never the store or a report
        raise UsageError(
            f"refusing to overwrite {path}: it is not a key file", fix="give the path of the key to replace, or a new path."
        )
    secret = secrets.token_bytes(KEY_FILE_BYTES)
    text = secret.hex() + "\n"
    try:
        private_folders(path.parent)
    except OSError as error:  # a file where a folder should be, or no permission
        raise UsageError(
            f"cannot create the folder of the key file {path}: {error.strerror}", fix="choose another path."
        ) from None
    try:
        if overwrite:
            _replace_private(path, text)
        else:
            _write_private(path, text)
    except FileExistsError:
        raise _exists_error(path) from None
    except OSError as error:
        raise UsageError(
            f"cannot create the key file {path}: {error.strerror}", fix="choose a folder you can write to."
        ) from None
    return PseudonymKey(secret, version)
