"""`polku.quality.summarise` on a store with known defects: every finding counted exactly."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from polku.quality import ImportEntry, QualitySummary, summarise
from polku.store import Store, open_store


def _insert(store: Store, table: str, rows: list[dict[str, Any]]) -> None:
    for line, row in enumerate(rows, start=2):
        full = row | {"_import_id": 1, "_source": f"{table}.csv", "_line": line}
        if "person_id" in row:  # readable names in the fixture; the store keeps 128-bit pseudonyms
            full |= {"person_id": uuid.uuid5(uuid.NAMESPACE_OID, row["person_id"]), "key_version": 1}
        store.con.execute(f"INSERT INTO {table} ({', '.join(full)}) VALUES ({', '.join('?' * len(full))})", list(full.values()))


def _spell(spell_id: str, person: str, start: date, end: date | None) -> dict[str, Any]:
    return {
        "spell_id": spell_id,
        "person_id": person,
        "start_date": start,
        "end_date": end,
        "activity_before": "work",
        "months_unemployed_prev36": 0,
        "current_spell_months": 0,
    }


def _episode(
    episode_id: str, person: str, service: str, provider: str | None, worker: str | None, team: str | None
) -> dict[str, Any]:
    return {
        "episode_id": episode_id,
        "person_id": person,
        "service_code": service,
        "provider_id": provider,
        "case_worker_id": worker,
        "team_id": team,
        "start_date": date(2024, 1, 1),
        "completion_status": "ongoing",
    }


def _import(
    import_id: int, table: str, read: int, accepted: int, quarantined: int, records: int | None = None
) -> tuple[Any, ...]:
    at = datetime(2025, 1, import_id)
    return (
        import_id,
        table,
        f"{table}.csv",
        f"/data/{table}.csv",
        f"{import_id:064x}",
        "csv",
        None,
        1,
        "ok",
        read,
        accepted,
        quarantined,
        0,
        at,
        at,
        read if records is None else records,
    )


IMPORT_LOG_COLUMNS = (
    "import_id, table_name, source, file_path, file_sha256, file_format, mapping, key_version, status, "
    "rows_read, rows_accepted, rows_quarantined, rows_replaced, started_at, finished_at, file_records"
)


def _meta(store: Store) -> None:
    for entry in (_import(1, "person", 10, 9, 1), _import(2, "goal", 10, 8, 1), _import(3, "person", 12, 10, 2)):
        store.con.execute(f"INSERT INTO import_log ({IMPORT_LOG_COLUMNS}) VALUES ({', '.join('?' * len(entry))})", list(entry))
    for reason in ("invalid_hetu", "invalid_hetu", "bad_date"):
        store.con.execute(
            "INSERT INTO quarantine "
            "(import_id, table_name, source, file_path, line, column_name, value, reason_code, reason, record) "
            "VALUES (3, 'person', 'person.csv', '/data/person.csv', 5, 'x', 'v', ?, ?, NULL)",
            [reason, f"human text for {reason}"],
        )


def _fill(store: Store) -> None:
    _insert(store, "team", [{"team_id": "t1", "area_id": "A", "name": "T"}])
    _insert(store, "case_worker", [{"case_worker_id": "cw1", "team_id": "t1"}, {"case_worker_id": "cw2", "team_id": "tX"}])
    _insert(store, "provider", [{"provider_id": "pr1", "name": "P", "provider_type": "private"}])
    _insert(
        store,
        "service",
        [
            {
                "service_code": "S1",
                "name_fi": "a",
                "name_sv": "b",
                "name_en": "c",
                "category": "coaching",
                "unit_cost": 1,
                "cost_unit": "per_episode",
                "price_year": 2024,
            }
        ],
    )
    _insert(
        store,
        "person",
        [
            {"person_id": p, "birth_year": y, "sex": "male", "municipality_code": m}
            for p, y, m in (("p1", 1980, "698"), ("p2", 2035, "999"), ("p3", 1980, None))
        ],
    )
    # 999: unlabelled municipality; 2035: born after registering in 2023
    _insert(
        store,
        "registration_spell",
        [
            _spell("r1", "p1", date(2023, 1, 1), date(2023, 6, 30)),
            _spell("r2", "p1", date(2023, 6, 1), None),  # overlaps r1 and is open
            _spell("r3", "p2", date(2023, 1, 1), date(2023, 3, 31)),
            _spell("r4", "p2", date(2023, 3, 31), date(2023, 5, 1)),  # touches r3: no overlap
            _spell("r5", "p9", date(2023, 1, 1), date(2023, 2, 1)),  # orphan
        ],
    )
    _insert(
        store,
        "service_episode",
        [
            _episode("e1", "p1", "S1", "pr1", "cw1", "t1"),
            _episode("e2", "p2", "S9", "pr9", "cw9", "t9"),  # unknown service, provider, worker, team
            _episode("e3", "p8", "S1", None, None, None),  # orphan; empty references are fine
        ],
    )
    _insert(
        store,
        "employment_spell",
        [
            {
                "employment_id": w,
                "person_id": p,
                "start_date": date(2024, 1, 1),
                "weekly_hours": 37.5,
                "monthly_wage": wage,
                "employer_sector": "private",
                "subsidised": False,
                "source": "income_register",
            }
            for w, p, wage in (("w1", "p1", 2500), ("w2", "p2", None), ("w3", "p7", None))
        ],
    )
    _insert(
        store,
        "measurement",
        [
            {
                "measurement_id": "m1",
                "person_id": "p6",
                "instrument": "client_change_meter",
                "item": "skills",
                "value": 3,
                "scale_min": 1,
                "scale_max": 5,
                "measured_on": date(2024, 1, 1),
                "recorded_by": "client",
            }
        ],
    )
    _meta(store)


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QualitySummary]:
    with open_store(tmp_path_factory.mktemp("quality") / "polku.duckdb") as store:
        _fill(store)
        yield summarise(store)


def _counts(summary: QualitySummary) -> dict[tuple[str, str], int]:
    return {(f.code, f.table): f.count for f in summary.findings}


def test_findings_are_counted_exactly(summary: QualitySummary) -> None:
    assert _counts(summary) == {
        ("orphan_person", "registration_spell"): 1,
        ("orphan_person", "service_episode"): 1,
        ("orphan_person", "employment_spell"): 1,
        ("orphan_person", "measurement"): 1,
        ("unknown_service", "service_episode"): 1,
        ("unknown_provider", "service_episode"): 1,
        ("unknown_case_worker", "service_episode"): 1,
        ("unknown_team", "service_episode"): 1,
        ("unknown_team", "case_worker"): 1,
        ("overlapping_registration", "registration_spell"): 2,
        ("person_without_registration", "person"): 1,
        ("born_after_registration", "person"): 1,
        ("employment_without_wage", "employment_spell"): 2,
        ("open_registration", "registration_spell"): 1,
        ("unlabelled_municipality", "person"): 1,
        ("import_unbalanced", "import_log"): 1,
    }


def test_severities_and_explanations(summary: QualitySummary) -> None:
    by_code = {f.code: f for f in summary.findings}
    assert by_code["orphan_person"].severity == "error"
    assert by_code["open_registration"].severity == "info"
    assert "twice" in by_code["overlapping_registration"].explanation()
    assert "kahteen kertaan" in by_code["overlapping_registration"].explanation("fi")


def test_tables_imports_and_quarantine(summary: QualitySummary) -> None:
    assert summary.tables["registration_spell"] == 5 and summary.tables["person"] == 3 and summary.tables["goal"] == 0
    latest = {(e.table, e.source): e for e in summary.imports}
    assert set(latest) == {("person", "person.csv"), ("goal", "goal.csv")}
    assert latest[("person", "person.csv")].import_id == 3 and latest[("person", "person.csv")].rows_quarantined == 2
    assert [(q.reason_code, q.rows, q.reason) for q in summary.quarantine] == [
        ("invalid_hetu", 2, "human text for invalid_hetu"),
        ("bad_date", 1, "human text for bad_date"),
    ]
    assert not summary.invariant_holds


def test_to_dict_is_json_and_render_is_aligned_text(summary: QualitySummary) -> None:
    data = json.loads(json.dumps(summary.to_dict()))
    assert data["invariant_holds"] is False
    unbalanced = next(f for f in data["findings"] if f["code"] == "import_unbalanced")
    assert unbalanced["severity"] == "error" and unbalanced["count"] == 1 and "went missing" in unbalanced["explanation"]
    assert [f["severity"] for f in data["findings"]][0] == "error" and data["findings"][-1]["severity"] == "info"
    text = summary.render("en")
    assert "Karanteeniin siirretyt rivit" in summary.render("fi")
    assert "human text for invalid_hetu" in text and "WARNING" in text
    quarantine_lines = [line for line in text.splitlines() if "human text" in line]
    assert len({line.index("human text") for line in quarantine_lines}) == 1, "reason column is aligned"


def test_empty_store_has_no_findings(tmp_path: Path) -> None:
    with open_store(tmp_path / "empty.duckdb") as store:
        empty = summarise(store)
    assert empty.findings == () and empty.imports == () and empty.invariant_holds
    assert set(empty.tables.values()) == {0}
    assert "(none)" in empty.render("en")


def test_the_balance_is_counted_from_the_files_records(tmp_path: Path) -> None:
    """Issue 14: with the parser's own counts (150 read = 149 + 1) an import that lost 50 of
    the file's 200 records looked balanced; the count from the file's bytes shows it."""
    lost = ImportEntry(1, "benefit_spell", "b.csv", "/b.csv", "0" * 64, "replaced", 150, 149, 1, file_records=200)
    assert not lost.balanced
    assert ImportEntry(2, "benefit_spell", "b.csv", "/b.csv", "1" * 64, "replaced", 200, 199, 1, file_records=200).balanced
    assert ImportEntry(3, "team", "t.csv", "/t.csv", "2" * 64, "imported", 5, 4, 1).balanced  # logged before the count
    with open_store(tmp_path / "s.duckdb") as store:
        entry = _import(1, "benefit_spell", 150, 149, 1, records=200)
        store.con.execute(f"INSERT INTO import_log ({IMPORT_LOG_COLUMNS}) VALUES ({', '.join('?' * len(entry))})", list(entry))
        summary = summarise(store)
    assert not summary.invariant_holds
    assert summary.to_dict()["imports"][0]["balanced"] is False


def test_a_store_made_before_file_records_is_read_and_then_gets_the_column(tmp_path: Path) -> None:
    """Read-only, status falls back on rows_read; the next writable open adds the column."""
    path = tmp_path / "old.duckdb"
    with open_store(path) as store:
        store.con.execute("ALTER TABLE import_log DROP COLUMN file_records")
        entry = _import(1, "team", 3, 2, 1)[:-1]
        before = IMPORT_LOG_COLUMNS.removesuffix(", file_records")
        store.con.execute(f"INSERT INTO import_log ({before}) VALUES ({', '.join('?' * len(entry))})", list(entry))
    with open_store(path, read_only=True) as store:
        assert [(e.rows_read, e.file_records, e.balanced) for e in summarise(store).imports] == [(3, None, True)]
    with open_store(path) as store:
        assert store.con.execute("SELECT file_records FROM import_log").fetchall() == [(None,)]
