"""Mapping files: the shipped ones load; a wrong one names the file, the key and the fix."""

from __future__ import annotations

import pytest
from ingest_helpers import FIXTURES

from polku.errors import UsageError, ValidationFailed
from polku.ingest.mapping import load_mapping, parse_mapping
from polku.schema.tables import TABLES

MAPPINGS = FIXTURES / "mappings"


def test_default_mapping_reads_the_synthetic_format() -> None:
    mapping = load_mapping()
    assert mapping.name == "synthetic"
    person = mapping.for_table("person")
    assert (person.file.encoding, person.file.delimiter, person.file.decimal_separator) == ("utf-8", ",", ".")
    assert (person.identity.column, person.identity.allow_temporary, person.identity.derive) == ("hetu", True, ())
    assert person.field_for("hetu") == "person_id"
    assert person.field_for("birth_year") == "birth_year"
    assert person.field_for("henkilotunnus") is None
    assert set(mapping.tables) == set(TABLES)


def test_finnish_export_mapping() -> None:
    mapping = load_mapping("finnish_export")
    spell = mapping.for_table("employment_spell")
    assert (spell.file.encoding, spell.file.delimiter, spell.file.decimal_separator, spell.file.date_format) == (
        "auto",
        ";",
        ",",
        "d.m.yyyy",
    )
    assert spell.file.true_words == ("k", "kyllä", "kylla") and spell.file.false_words == ("e", "ei")
    assert spell.field_for("alkupvm") == "start_date"
    assert spell.field_for("henkilotunnus") == "person_id"
    person = mapping.for_table("person")
    assert person.identity.derive == ("birth_year", "birth_month", "sex")
    assert person.codes["sex"] == {"mies": "male", "nainen": "female"}
    assert person.codes["education_level"]["perusaste"] == "basic"
    assert spell.identity.derive == ()  # the table has none of the derivable fields


BAD = {
    "unknown_table.yaml": ("'persons' is not a table", "column 'tables.persons'", "employment_spell"),
    "unknown_field.yaml": ("'gender' is not a field of table person", "tables.person.columns.sukupuoli", "birth_year"),
    "unknown_code.yaml": ("'man' is not a code of the list 'sex'", "tables.person.codes.sex.mies", "male, female"),
    "unknown_key.yaml": ("unknown key 'seperator'", "file.seperator", "delimiter"),
    "bad_yaml.yaml": ("not valid YAML", "line 3", "indentation"),
    "unknown_encoding.yaml": ("encoding 'ebcdic' is not supported", "file.encoding", "'latin-1'"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_mapping_names_file_key_and_fix(name: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        load_mapping(MAPPINGS / name)
    text = str(caught.value)
    assert str(MAPPINGS / name) in text
    for words in BAD[name]:
        assert words in text, (words, text)


def test_missing_mapping_file_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="mapping file not found") as caught:
        load_mapping(MAPPINGS / "nope.yaml")
    assert "finnish_export" in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ({"file": {"delimiter": ",", "decimal_separator": ","}}, "delimiter and the decimal separator are the same"),
        ({"file": {"booleans": {"true": ["j"], "false": ["j"]}}}, "both true and false"),
        ({"file": {"booleans": {"true": "K"}}}, "non-empty list"),
        ({"identity": {"derive": ["age"]}}, "cannot derive 'age'"),
        ({"identity": {"allow_temporary": "yes"}}, "allow_temporary must be true or false"),
        ({"labels": "de"}, "labels language 'de' is unknown"),
        ({"codes": {"gender": {"m": "male"}}}, "'gender' is not a code list"),
        ({"tables": {"person": {"columns": {"a": "sex", "b": "sex"}}}}, "several columns are mapped to the field 'sex'"),
        ({"tables": {"team": {"codes": {"name": {"x": "y"}}}}}, "'name' is not a code field of table team"),
        ({"tables": "person"}, "'tables' must be a mapping"),
    ],
)
def test_mapping_rules(raw: dict, words: str) -> None:
    with pytest.raises(ValidationFailed, match="mapping file") as caught:
        parse_mapping(raw, name="t", path="t.yaml", sha256="0")
    assert words in str(caught.value)
    assert "t.yaml" in str(caught.value)


def test_open_code_list_accepts_pattern_codes_in_maps() -> None:
    mapping = parse_mapping({"codes": {"municipality": {"Inari": "148", "Uusi": "999"}}}, name="t", path="t.yaml", sha256="0")
    assert mapping.for_table("person").codes["municipality_code"] == {"inari": "148", "uusi": "999"}
