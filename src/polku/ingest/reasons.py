"""Reason codes for quarantined rows, with text that says what is wrong and how to fix it.

A reason code is stable (reports count by it, `docs/import.md` lists every one); the text
is written for the person who has to correct the source system. Texts never contain the
offending value: the quarantine row stores the value in its own column (redacted for
identity codes), so a message is safe to print and log.
"""

from __future__ import annotations

from polku.identity import REASONS as HETU_REASONS
from polku.ingest.mapping import FileOptions
from polku.ingest.rules import ISO
from polku.schema.codelists import codelist
from polku.schema.tables import TABLES, Check, Field

FIELD_REASONS: dict[str, str] = {
    "missing_value": "{column} is empty, but every row needs it; fill it in",
    "hetu_in_field": (
        "{column} holds something shaped like a personal identity code, which belongs only in the identity column; "
        "check that the export's columns are in the right order (the value is not stored)"
    ),
    "not_an_integer": "{column} is not a whole number; write digits only, e.g. 12",
    "not_a_number": "{column} is not a number; write e.g. 12{sep}5 (decimal separator '{sep}', no thousands separators)",
    "not_money": "{column} is not an amount of euros; write e.g. 1234{sep}50 without currency sign or thousands separators",
    "too_many_decimals": "{column} has more than two decimals; round the amount to whole cents",
    "not_a_date": "{column} is not a real date in the form {date_forms}; write e.g. {example}",
    "not_a_boolean": "{column} is not a yes/no word; write one of: {words}",
    "implausible_date": "{column} is not between 1900 and 2099; check the year in the source system",
    "below_minimum": "{column} is below the smallest allowed value {minimum}; check the value in the source system",
    "above_maximum": "{column} is above the largest allowed value {maximum}; check the value in the source system",
    "pattern_mismatch": "{column} does not have the required form {pattern}; correct it in the source system",
    "unknown_code": (
        "{column} is not a code of the list '{codelist}'; use one of {codes}, or map the word to a code under `codes:` in the "
        "mapping file"
    ),
}
"""Problems with one value of one field."""

HETU_FIX = "; correct the code in the source system (codes are never guessed or repaired)"

ERASED = "erased"
ERASED_REASON = (
    "the person was erased with `polku erase` and is on the suppression list, so the row is not imported "
    "and nothing of it is kept; remove the person from the export"
)
IDENTITY_REASONS = {**{code: text + HETU_FIX for code, text in HETU_REASONS.items()}, ERASED: ERASED_REASON}
"""Problems of the identity field: the code's own (`polku.identity.REASONS`) or an erased person."""

ROW_REASONS: dict[str, str] = {
    "wrong_field_count": (
        "the line has {fields} fields but the header has {expected}; check for a stray delimiter or an unquoted value that "
        "contains one"
    ),
    "unbalanced_quote": (
        "the line has a double quote that neither opens nor closes a quoted value; it was read on its own so that no other line "
        "is lost; put the whole value in double quotes and double every quote inside it"
    ),
    "nul_byte": (
        "the line holds a NUL byte (character 0), which no text value has; the export is damaged or not plain text (UTF-16?); "
        "export it again as UTF-8 or Windows-1252"
    ),
    "stray_carriage_return": (
        "the line holds a carriage return (CR) that does not end a line, so its values cannot be split reliably; remove it or "
        "put the value in double quotes, and export again"
    ),
    "field_too_long": (
        "{column} is longer than {limit} characters, the most a value of its kind may have; a missing delimiter or quote has "
        "probably joined values; check the export"
    ),
    "line_break_in_key": (
        "{column} holds a line break, which a key or identity code never does; the value was probably cut or joined in the "
        "export; correct it in the source system"
    ),
    "duplicate_key": "the key ({key}) repeats the row on line {first} of the same file; keep one row per key",
    "key_in_other_source": (
        "a row with the same key ({key}) was already imported from another source; import each record from one source only, or "
        "correct the key"
    ),
}
"""Problems with a whole row: its shape, its bytes or its key. The reader sets apart every
record it cannot pass on safely (`read.SetApart`) with one of the first six."""

CHECK_PREFIX = "check_"
DATE_EXAMPLES = {"yyyy-mm-dd": "2024-03-01", "d.m.yyyy": "1.3.2024"}


def check_code(check: Check) -> str:
    """Reason code of a cross-field rule: `check_` + the rule's name."""
    return CHECK_PREFIX + check.name


def check_reason(check: Check, columns: list[str]) -> str:
    return f"{check.message}; correct one of {', '.join(columns)} in the source system"


def hetu_reason(code: str) -> str:
    return IDENTITY_REASONS[code]


def _codes_text(field: Field) -> str:
    codes = codelist(field.codelist or "")
    if not codes.closed:
        return f"(or any code of the form {codes.pattern})"
    return ", ".join(codes.codes)


def _date_forms(date_format: str) -> str:
    """The forms a date may take: ISO is always accepted beside the mapping's own form."""
    return date_format if date_format == ISO else f"{date_format} (or {ISO})"


def field_reason(code: str, field: Field, column: str, options: FileOptions) -> str:
    """The text for `code` on `field` (read from source `column`) under these file options."""
    if code in IDENTITY_REASONS:
        return hetu_reason(code)
    words = ", ".join(options.true_words + options.false_words)
    return FIELD_REASONS[code].format(
        column=column,
        sep=options.decimal_separator,
        date_forms=_date_forms(options.date_format),
        example=DATE_EXAMPLES[options.date_format],
        words=words,
        minimum=f"{field.minimum:g}" if field.minimum is not None else "",
        maximum=f"{field.maximum:g}" if field.maximum is not None else "",
        pattern=field.pattern or "",
        codelist=field.codelist or "",
        codes=_codes_text(field) if field.codelist else "",
    )


def all_reason_codes() -> list[str]:
    """Every reason code an import can write to quarantine (the docs must list each)."""
    checks = [check_code(c) for t in TABLES.values() for c in t.checks]
    return list(dict.fromkeys(list(FIELD_REASONS) + list(IDENTITY_REASONS) + list(ROW_REASONS) + checks))
