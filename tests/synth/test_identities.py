"""Synthetic identity codes are valid test-range codes, unique and consistent with the person."""

from __future__ import annotations

from pathlib import Path

from conftest import CLIENTS, read
from polku.identity import hetu_valid
from polku.synth.identities import synthetic_hetus
from polku.synth.population import draw_population
from polku.synth.timeline import Timeline


def test_codes_are_valid_unique_and_in_the_test_range(clean_dir: Path) -> None:
    persons = read(clean_dir / "person.csv")
    codes = persons["hetu"]
    assert len(codes) == CLIENTS and codes.is_unique
    assert all(hetu_valid(c, allow_temporary=True) for c in codes)
    assert not any(hetu_valid(c) for c in codes[:200]), "900-999 codes must fail the non-temporary rule"
    assert codes.str[7:10].astype(int).between(900, 999).all()


def test_codes_agree_with_birth_date_and_sex(clean_dir: Path) -> None:
    persons = read(clean_dir / "person.csv")
    centuries = persons["hetu"].str[6].map(lambda s: 1900 if s in "-YXWVU" else 2000)
    assert (centuries + persons["hetu"].str[4:6].astype(int) == persons["birth_year"].astype(int)).all()
    assert (persons["hetu"].str[2:4].astype(int) == persons["birth_month"].astype(int)).all()
    odd = persons["hetu"].str[7:10].astype(int) % 2 == 1
    assert (odd == (persons["sex"] == "male")).all()


def test_new_century_signs_appear_and_the_old_ones_dominate(clean_dir: Path) -> None:
    signs = read(clean_dir / "person.csv")["hetu"].str[6].value_counts(normalize=True)
    assert signs.get("-", 0) > 0.7 and signs.get("A", 0) > 0.05
    assert sum(signs.get(s, 0) for s in "YXWVUBCDEF") > 0


def test_crowded_birth_dates_overflow_to_the_next_sign_without_collisions() -> None:
    pop = draw_population(60_000, 2, Timeline.from_assumptions())
    codes = synthetic_hetus(pop, 2)
    assert len(set(codes.tolist())) == len(codes)
    assert {c[6] for c in codes.tolist()} & set("YXWVU")
