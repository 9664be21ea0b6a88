"""Mapping files: how one area's export is read and mapped onto the data model.

Areas export their data with their own column names, code words, separators and
encodings. A mapping (YAML) states all of that once, so the importer never guesses and an
unknown column is an error rather than silently stored (the allow-list of GDPR purpose
limitation: only mapped columns are kept). The mapping is validated as strictly as data:
a typo in a table, field or code names the mapping file and the key that holds it.

Layout (every section optional; see `docs/import.md`)::

    description: what export this mapping reads
    file: {encoding, delimiter, decimal_separator, date_format, booleans, sheet}
    identity: {column, allow_temporary, derive}
    labels: fi            # accept the code lists' Finnish labels as codes
    codes: {code_list: {source word: code}}
    tables:
      table_name:
        file: {...}       # overrides the mapping-wide file options
        identity: {...}
        columns: {source column: field}
        codes: {field: {source word: code}}
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from polku.errors import Location, UsageError, ValidationFailed
from polku.schema.codelists import LANGUAGES, all_codelists
from polku.schema.tables import TABLES, Table
from polku.yamlio import load_yaml

ENCODINGS = ("auto", "utf-8", "latin-1", "windows-1252")
DELIMITERS = ("auto", ",", ";", "\t", "|")
DECIMAL_SEPARATORS = (".", ",")
DATE_FORMATS = {"yyyy-mm-dd": "%Y-%m-%d", "d.m.yyyy": "%d.%m.%Y"}
DERIVABLE = ("birth_year", "birth_month", "sex")
DEFAULT_MAPPING = "synthetic"


@dataclass(frozen=True)
class FileOptions:
    """How the bytes of a source file are read (CSV options; sheet for XLSX)."""

    encoding: str = "auto"
    delimiter: str = "auto"
    decimal_separator: str = "."
    date_format: str = "yyyy-mm-dd"
    true_words: tuple[str, ...] = ("true",)
    false_words: tuple[str, ...] = ("false",)
    sheet: str | None = None


@dataclass(frozen=True)
class IdentityOptions:
    """Which source column holds the identity code and how it is checked and used."""

    column: str = "hetu"
    allow_temporary: bool = False
    derive: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableMapping:
    """Everything needed to read one table's file: options, renames, code maps, identity."""

    table: Table
    file: FileOptions
    identity: IdentityOptions
    columns: dict[str, str] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)

    def field_for(self, source_column: str) -> str | None:
        """The data-model field a source column feeds, or None when it is not mapped."""
        if source_column in self.columns:
            return self.columns[source_column]
        ident = self.table.identity_field
        if ident is not None and source_column == self.identity.column:
            return ident.name
        names = {f.name for f in self.table.fields}
        taken = set(self.columns.values())
        return source_column if source_column in names and source_column not in taken else None


@dataclass(frozen=True)
class Mapping:
    name: str
    path: str
    sha256: str
    tables: dict[str, TableMapping]

    def for_table(self, table: str) -> TableMapping:
        return self.tables[table]

    @property
    def label(self) -> str:
        """Name and content hash, stored in import_log so a changed mapping re-imports."""
        return f"{self.name} (sha256:{self.sha256[:16]})"


def _bad(path: str, key: str, what: str, fix: str) -> ValidationFailed:
    return ValidationFailed(
        f"mapping file: {what}",
        where=Location(path, column=key),
        why="the mapping decides which columns and codes are imported; a wrong entry would import wrong data.",
        fix=fix,
    )


def _expect_dict(raw: Any, path: str, key: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _bad(path, key, f"'{key}' must be a mapping of keys to values", "write it as `key: value` lines.")
    return raw


def _check_keys(raw: dict[str, Any], allowed: tuple[str, ...], path: str, key: str) -> None:
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        raise _bad(
            path,
            f"{key}.{unknown[0]}" if key else unknown[0],
            f"unknown key '{unknown[0]}'" + (f" in '{key}'" if key else ""),
            f"use only: {', '.join(allowed)}.",
        )


def _choice(raw: dict[str, Any], name: str, allowed: Any, default: Any, path: str, key: str) -> Any:
    value = raw.get(name, default)
    if value not in allowed:
        raise _bad(path, f"{key}.{name}", f"{name} {value!r} is not supported", f"use one of: {', '.join(map(repr, allowed))}.")
    return value


def _words(raw: Any, path: str, key: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(w, (str, bool)) for w in raw):
        raise _bad(path, key, "boolean words must be a non-empty list", 'write e.g. `true: ["K", "kyllä"]`.')
    return tuple(str(w).lower() for w in raw)


def _file_options(raw: Any, base: FileOptions, path: str, key: str) -> FileOptions:
    raw = _expect_dict(raw, path, key)
    _check_keys(raw, ("encoding", "delimiter", "decimal_separator", "date_format", "booleans", "sheet"), path, key)
    booleans = _expect_dict(raw.get("booleans"), path, f"{key}.booleans")
    # YAML reads the keys true/false as booleans; accept both spellings.
    words = {str(k).lower(): v for k, v in booleans.items()}
    _check_keys(words, ("true", "false"), path, f"{key}.booleans")
    options = replace(
        base,
        encoding=_choice(raw, "encoding", ENCODINGS, base.encoding, path, key),
        delimiter=_choice(raw, "delimiter", DELIMITERS, base.delimiter, path, key),
        decimal_separator=_choice(raw, "decimal_separator", DECIMAL_SEPARATORS, base.decimal_separator, path, key),
        date_format=_choice(raw, "date_format", tuple(DATE_FORMATS), base.date_format, path, key),
        true_words=_words(words["true"], path, f"{key}.booleans.true") if "true" in words else base.true_words,
        false_words=_words(words["false"], path, f"{key}.booleans.false") if "false" in words else base.false_words,
        sheet=raw.get("sheet", base.sheet),
    )
    if options.delimiter == options.decimal_separator:
        raise _bad(
            path,
            f"{key}.delimiter",
            "the delimiter and the decimal separator are the same",
            'use delimiter ";" with decimal_separator ",".',
        )
    if set(options.true_words) & set(options.false_words):
        raise _bad(path, f"{key}.booleans", "a word is listed as both true and false", "list each word under one of them.")
    return options


def _identity(raw: Any, base: IdentityOptions, path: str, key: str) -> IdentityOptions:
    raw = _expect_dict(raw, path, key)
    _check_keys(raw, ("column", "allow_temporary", "derive"), path, key)
    derive = tuple(raw.get("derive", base.derive) or ())
    for name in derive:
        if name not in DERIVABLE:
            raise _bad(
                path, f"{key}.derive", f"cannot derive '{name}' from the identity code", f"derive only {', '.join(DERIVABLE)}."
            )
    allow = raw.get("allow_temporary", base.allow_temporary)
    if not isinstance(allow, bool):
        raise _bad(
            path, f"{key}.allow_temporary", "allow_temporary must be true or false", "write `allow_temporary: true` or `false`."
        )
    return IdentityOptions(column=str(raw.get("column", base.column)), allow_temporary=allow, derive=derive)


def _code_map(raw: Any, codelist_name: str, path: str, key: str) -> dict[str, str]:
    """Source word -> code, checking that every target is a code the list accepts."""
    raw = _expect_dict(raw, path, key)
    codes = all_codelists()[codelist_name]
    result = {}
    for word, code in raw.items():
        if not codes.accepts(str(code)):
            raise _bad(
                path,
                f"{key}.{word}",
                f"'{code}' is not a code of the list '{codelist_name}'",
                f"map '{word}' to one of: {', '.join(codes.codes)}.",
            )
        result[str(word).lower()] = str(code)
    return result


def _label_maps(language: Any, path: str) -> dict[str, dict[str, str]]:
    """Code list -> {label in `language`: code}, for mappings that export labels, not codes."""
    if language is None:
        return {}
    if language not in LANGUAGES:
        raise _bad(path, "labels", f"labels language {language!r} is unknown", f"use one of: {', '.join(LANGUAGES)}.")
    return {
        name: {labels[language].lower(): code for code, labels in codes.labels.items()} for name, codes in all_codelists().items()
    }


def _list_codes(raw: Any, path: str) -> dict[str, dict[str, str]]:
    raw = _expect_dict(raw, path, "codes")
    for name in raw:
        if name not in all_codelists():
            raise _bad(path, f"codes.{name}", f"'{name}' is not a code list", f"use one of: {', '.join(all_codelists())}.")
    return {name: _code_map(words, name, path, f"codes.{name}") for name, words in raw.items()}


def _columns(raw: Any, table: Table, path: str, key: str) -> dict[str, str]:
    raw = _expect_dict(raw, path, key)
    names = [f.name for f in table.fields]
    for source, target in raw.items():
        if target not in names:
            raise _bad(
                path,
                f"{key}.{source}",
                f"'{target}' is not a field of table {table.name}",
                f"map '{source}' to one of: {', '.join(names)}.",
            )
    targets = list(raw.values())
    repeated = sorted({t for t in targets if targets.count(t) > 1})
    if repeated:
        raise _bad(
            path, key, f"several columns are mapped to the field '{repeated[0]}'", "map exactly one source column to each field."
        )
    return {str(s): str(t) for s, t in raw.items()}


def _field_codes(raw: Any, table: Table, base: dict[str, dict[str, str]], path: str, key: str) -> dict[str, dict[str, str]]:
    """Field -> word map: the mapping-wide maps of its code list, then the table's own."""
    raw = _expect_dict(raw, path, key)
    result = {f.name: dict(base.get(f.codelist, {})) for f in table.fields if f.kind == "code" and f.codelist}
    for name, words in raw.items():
        if name not in result:
            raise _bad(
                path, f"{key}.{name}", f"'{name}' is not a code field of table {table.name}", f"use one of: {', '.join(result)}."
            )
        result[name].update(_code_map(words, table.field(name).codelist or "", path, f"{key}.{name}"))
    return {name: words for name, words in result.items() if words}


def _table_mapping(
    raw: Any, table: Table, defaults: tuple[FileOptions, IdentityOptions, dict[str, dict[str, str]]], path: str
) -> TableMapping:
    key = f"tables.{table.name}"
    raw = _expect_dict(raw, path, key)
    _check_keys(raw, ("file", "identity", "columns", "codes"), path, key)
    file_options, identity, codes = defaults
    identity = _identity(raw.get("identity"), identity, path, f"{key}.identity")
    present = {f.name for f in table.fields}
    identity = replace(identity, derive=tuple(d for d in identity.derive if d in present))
    return TableMapping(
        table=table,
        file=_file_options(raw.get("file"), file_options, path, f"{key}.file"),
        identity=identity,
        columns=_columns(raw.get("columns"), table, path, f"{key}.columns"),
        codes=_field_codes(raw.get("codes"), table, codes, path, f"{key}.codes"),
    )


def parse_mapping(raw: Any, *, name: str, path: str, sha256: str) -> Mapping:
    """A validated Mapping from parsed YAML; errors name `path` and the offending key."""
    raw = _expect_dict(raw, path, "")
    _check_keys(raw, ("description", "file", "identity", "labels", "codes", "tables"), path, "")
    codes = _label_maps(raw.get("labels"), path)
    for list_name, words in _list_codes(raw.get("codes"), path).items():
        codes.setdefault(list_name, {}).update(words)
    defaults = (
        _file_options(raw.get("file"), FileOptions(), path, "file"),
        _identity(raw.get("identity"), IdentityOptions(), path, "identity"),
        codes,
    )
    tables_raw = _expect_dict(raw.get("tables"), path, "tables")
    for table_name in tables_raw:
        if table_name not in TABLES:
            raise _bad(
                path,
                f"tables.{table_name}",
                f"'{table_name}' is not a table of the data model",
                f"use one of: {', '.join(TABLES)}.",
            )
    tables = {t.name: _table_mapping(tables_raw.get(t.name), t, defaults, path) for t in TABLES.values()}
    return Mapping(name=name, path=path, sha256=sha256, tables=tables)


def _read_yaml(text: str, path: str) -> Any:
    try:
        return load_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise ValidationFailed(
            "mapping file is not valid YAML",
            where=Location(path, line=mark.line + 1 if mark else None),
            why=str(getattr(error, "problem", "")) or "the YAML parser could not read it.",
            fix="correct the YAML syntax (indentation, colons, quotes) at that line.",
        ) from None


def _read_text(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValidationFailed(
            "mapping file is not UTF-8 text",
            where=str(file),
            why=f"byte {error.start} is not UTF-8",
            fix="give the mapping YAML (saved as UTF-8), not the data file.",
        ) from error


def load_mapping(path: Path | str | None = None) -> Mapping:
    """The mapping at `path`, or the shipped one of that name ('synthetic', 'finnish_export').

    None gives the default, the synthetic area's format.
    """
    name = DEFAULT_MAPPING if path is None else str(path)
    shipped = resources.files("polku.ingest") / "mappings" / f"{name}.yaml"
    if "/" not in name and not name.endswith(".yaml") and shipped.is_file():
        text, where = shipped.read_text(encoding="utf-8"), f"{name}.yaml (shipped mapping)"
    else:
        file = Path(name)
        if not file.is_file():
            raise UsageError(
                "mapping file not found",
                where=str(file),
                why="the mapping says how the export's columns and codes map to the data model.",
                fix="check the path, or use a shipped mapping: synthetic, finnish_export.",
            )
        text, where, name = _read_text(file), str(file), file.stem
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return parse_mapping(_read_yaml(text, where), name=name, path=where, sha256=digest)
