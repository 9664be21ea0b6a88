from __future__ import annotations

from polku.schema.codelists import LANGUAGES, all_codelists, codelist


def test_every_code_has_three_non_empty_labels() -> None:
    for cl in all_codelists().values():
        assert cl.codes, cl.name
        for code in cl.codes:
            for lang in LANGUAGES:
                assert cl.label(code, lang).strip(), (cl.name, code, lang)


def test_closed_list_rejects_unknown_codes() -> None:
    sex = codelist("sex")
    assert sex.accepts("female")
    assert not sex.accepts("F")


def test_open_municipality_list_accepts_well_formed_unknown_codes() -> None:
    municipality = codelist("municipality")
    assert municipality.label("698", "fi") == "Rovaniemi"
    assert municipality.label("851", "sv") == "Torneå"
    assert municipality.accepts("999")  # well formed, unlabelled
    assert not municipality.accepts("98")
    assert municipality.label("999", "fi") == "999"


def test_benefit_payers_exist_in_payer_list() -> None:
    payers = set(codelist("benefit_payer").codes)
    for code, attrs in codelist("benefit_type").attributes.items():
        assert attrs["payers"], code
        assert set(attrs["payers"]) <= payers, code


def test_measurement_items_name_an_instrument_and_scale() -> None:
    instruments = set(codelist("instrument").codes)
    for attrs in codelist("measurement_item").attributes.values():
        assert attrs["instrument"] in instruments
        assert attrs["scale_max"] > attrs["scale_min"]
