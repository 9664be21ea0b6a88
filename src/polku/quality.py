"""What the store holds and what in it needs fixing: the numbers behind `polku status`.

Why: a manager can only trust an impact figure when they know what was imported, what was
refused and which links between tables are broken. Each finding says how many rows, how
serious it is and what to do. The numbers are exact (not disclosure-controlled): status is
for analysts with access to the store (`polku status --exact`); `released()`, the JSON and
text of `polku status` and the HTML report pass them through `polku.sdc`.

Every query is an Ibis expression (`store.table`), the meta tables `import_log` and
`quarantine` included, so that another Ibis backend (Spark at national scale) runs them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import ibis
from ibis import _

from polku import sdc, settings
from polku.i18n import t
from polku.schema.codelists import codelist
from polku.schema.tables import TABLES
from polku.store import Store

SEVERITIES = ("error", "warning", "info")
PERSON_TABLES = ("registration_spell", "benefit_spell", "service_episode", "measurement", "goal", "employment_spell")


@dataclass(frozen=True)
class ImportEntry:
    import_id: int
    table: str
    source: str
    file: str
    sha256: str
    status: str
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    file_records: int | None = None  # counted from the file's bytes at import (None: logged before this count)

    @property
    def balanced(self) -> bool:
        """The file's records, counted from its bytes independently of the parser, are all
        accepted or quarantined (and so are the rows the parser read)."""
        records = self.rows_read if self.file_records is None else self.file_records
        return records == self.rows_read == self.rows_accepted + self.rows_quarantined


@dataclass(frozen=True)
class QuarantineGroup:
    table: str
    reason_code: str
    reason: str
    rows: int


@dataclass(frozen=True)
class Finding:
    """A data-quality problem: `code` names the check, `table` where it was found."""

    code: str
    table: str
    severity: str
    count: int

    def explanation(self, lang: str = "en") -> str:
        return t(f"quality.finding.{self.code}", lang)


@dataclass(frozen=True)
class QualitySummary:
    tables: dict[str, int]
    imports: tuple[ImportEntry, ...]
    quarantine: tuple[QuarantineGroup, ...]
    findings: tuple[Finding, ...]

    @property
    def invariant_holds(self) -> bool:
        """Every import ever logged kept every row: read = accepted + quarantined."""
        return not any(f.code == "import_unbalanced" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for `polku status --json`."""
        return {
            "tables": dict(self.tables),
            "imports": [asdict(e) | {"balanced": e.balanced} for e in self.imports],
            "quarantine": [asdict(q) for q in self.quarantine],
            "findings": [asdict(f) | {"explanation": f.explanation()} for f in self.findings],
            "invariant_holds": self.invariant_holds,
        }

    def released(self) -> QualitySummary:
        """The summary as the disclosure gate lets it out (`sdc.release_status`); hidden
        counts are None."""
        shown = sdc.release_status(self.to_dict())
        imports = tuple(ImportEntry(**{k: v for k, v in e.items() if k != "balanced"}) for e in shown["imports"])
        return QualitySummary(
            shown["tables"],
            imports,
            tuple(QuarantineGroup(**q) for q in shown["quarantine"]),
            tuple(Finding(**{k: v for k, v in f.items() if k != "explanation"}) for f in shown["findings"]),
        )

    def render(self, lang: str | None = None) -> str:
        """Aligned plain text for the terminal, in `lang` (default: setting POLKU_LANG)."""
        lang = lang or settings.language()
        parts = [
            _block(t("status.tables", lang), [[name, _n(n)] for name, n in self.tables.items()]),
            _block(t("status.imports", lang), _import_rows(self.imports, lang)),
            _block(
                t("status.quarantine", lang),
                [[q.table, q.reason_code, _n(q.rows), q.reason] for q in self.quarantine] or [[t("status.none", lang)]],
            ),
            _findings_text(self.findings, lang),
            t("status.invariant_ok" if self.invariant_holds else "status.invariant_broken", lang),
        ]
        return "\n\n".join(parts)


def _n(count: int | None) -> str:
    """A count as the disclosure gate left it (None: hidden)."""
    return sdc.MARKER if count is None else f"{count:,}"


def _import_rows(imports: tuple[ImportEntry, ...], lang: str) -> list[list[str]]:
    header = [t(f"status.col.{c}", lang) for c in ("table", "file", "sha256", "status", "read", "accepted", "quarantined")]
    rows = [
        [
            e.table,
            e.file.rsplit("/", 1)[-1],
            e.sha256[:12],
            e.status,
            _n(e.rows_read),
            _n(e.rows_accepted),
            _n(e.rows_quarantined),
        ]
        for e in imports
    ]
    return [header, *rows] if rows else [[t("status.none", lang)]]


def _findings_text(found: tuple[Finding, ...], lang: str) -> str:
    """Findings, most serious first: one aligned line each, the explanation wrapped below."""
    title = t("status.findings", lang)
    if not found:
        return _block(title, [[t("status.none", lang)]])
    ordered = sorted(found, key=lambda f: SEVERITIES.index(f.severity))
    lines = _block(title, [[f.severity, f.table, _n(f.count), f.code] for f in ordered]).splitlines()
    out = lines[:2]
    for line, finding in zip(lines[2:], ordered):
        out += [line, *textwrap.wrap(finding.explanation(lang), 76, initial_indent="      ", subsequent_indent="      ")]
    return "\n".join(out)


def _block(title: str, rows: list[list[str]]) -> str:
    """A titled block of left-aligned text columns and right-aligned number columns."""
    widths = [max(len(r[i]) for r in rows if i < len(r)) for i in range(max(len(r) for r in rows))]
    numeric = lambda cell: cell.replace(",", "").isdigit() or cell == sdc.MARKER  # noqa: E731
    lines = ["  ".join(c.rjust(w) if numeric(c) else c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join([title, "-" * len(title), *("  " + line for line in lines)])


# --- store contents ----------------------------------------------------------------------


def table_counts(store: Store) -> dict[str, int]:
    return {name: int(store.table(name).count().execute()) for name in TABLES}


IMPORT_COLUMNS = (
    "import_id",
    "table_name",
    "source",
    "file_path",
    "file_sha256",
    "status",
    "rows_read",
    "rows_accepted",
    "rows_quarantined",
    "file_records",
)
"""The `import_log` columns an `ImportEntry` holds, in its order."""


def _import_log(store: Store) -> ibis.Table:
    """`import_log` with `IMPORT_COLUMNS`; `file_records` NULL in a store made before the
    column and opened read-only."""
    log = store.table("import_log")
    if "file_records" not in log.columns:
        log = log.mutate(file_records=ibis.null("int64"))
    return log.select(*IMPORT_COLUMNS)


def _entries(rows: ibis.Table) -> tuple[ImportEntry, ...]:
    return tuple(_entry(r) for r in rows.to_pyarrow().to_pylist())


def latest_imports(store: Store) -> tuple[ImportEntry, ...]:
    """The newest import of every (table, source): what the store's rows come from now."""
    log = _import_log(store)
    newest = ibis.row_number().over(group_by=["table_name", "source"], order_by=ibis.desc("import_id"))
    latest = log.mutate(_newest=newest).filter(_._newest == 0).drop("_newest")
    return _entries(latest.order_by("table_name", "source"))


def _entry(r: dict[str, Any]) -> ImportEntry:
    return ImportEntry(
        int(r["import_id"]),
        r["table_name"],
        r["source"],
        r["file_path"],
        r["file_sha256"],
        r["status"],
        int(r["rows_read"]),
        int(r["rows_accepted"]),
        int(r["rows_quarantined"]),
        _int_or_none(r["file_records"]),
    )


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def all_imports(store: Store) -> tuple[ImportEntry, ...]:
    """Every import ever logged, for the invariant check."""
    return _entries(_import_log(store).order_by("import_id"))


def quarantine_groups(store: Store) -> tuple[QuarantineGroup, ...]:
    """Quarantined rows by table and reason, the largest groups first within a table; the
    example reason is the first in sort order, so that two runs on the same data agree."""
    rows = store.table("quarantine")
    groups = rows.group_by("table_name", "reason_code").aggregate(reason=_.reason.min(), n=_.count())
    ordered = groups.order_by("table_name", ibis.desc("n"), "reason_code").to_pyarrow().to_pylist()
    return tuple(QuarantineGroup(r["table_name"], r["reason_code"], r["reason"], int(r["n"])) for r in ordered)


# --- findings ---------------------------------------------------------------------------


def _count(expr: ibis.Table) -> int:
    return int(expr.count().execute())


def _unmatched(store: Store, table: str, column: str, ref_table: str, ref_column: str) -> int:
    """Rows of `table` whose non-empty `column` has no row in `ref_table`."""
    rows = store.table(table)
    ref = store.table(ref_table)
    rows = rows.filter(rows[column].notnull())
    return _count(rows.anti_join(ref, rows[column] == ref[ref_column]))


def overlapping_registrations(store: Store) -> int:
    """Registration spells that overlap another spell of the same person.

    Spells that touch (one ends the day the next starts) do not overlap; an open spell
    runs to the end of time.
    """
    far = ibis.date(9999, 12, 31)
    base = store.table("registration_spell").select("spell_id", "person_id", "start_date", end=_.end_date.fill_null(far))
    other = base.view()
    pairs = base.join(
        other,
        [
            base.person_id == other.person_id,
            base.spell_id != other.spell_id,
            base.start_date < other.end,
            other.start_date < base.end,
        ],
    )
    return int(pairs.select(base.spell_id).distinct().count().execute())


def _persons_without_registration(store: Store) -> int:
    person, spell = store.table("person"), store.table("registration_spell")
    return _count(person.anti_join(spell, person.person_id == spell.person_id))


def _born_after_registration(store: Store) -> int:
    """Clients whose birth (year and month, the 1st) is after one of their registrations
    began: a mistyped birth year or identity code. Clock-free, unlike "born in the future"."""
    person, spell = store.table("person"), store.table("registration_spell")
    born = ibis.date(person.birth_year, person.birth_month.fill_null(1), 1)
    late = person.join(spell, person.person_id == spell.person_id).filter(born > spell.start_date)
    return int(late.select("person_id").distinct().count().execute())


def _unlabelled_municipalities(store: Store, table: str) -> int:
    """Rows whose municipality code is well formed but not in the shipped list (it is open)."""
    known = list(codelist("municipality").codes)
    return _rows_where(store, table, lambda r: r.municipality_code.notnull() & ~r.municipality_code.isin(known))


def _rows_where(store: Store, table: str, predicate: Callable[[ibis.Table], Any]) -> int:
    rows = store.table(table)
    return _count(rows.filter(predicate(rows)))


def _reference_checks() -> list[tuple[str, str, str, str, str, str]]:
    """(code, table, column, referenced table, referenced column, severity)."""
    checks = [("orphan_person", name, "person_id", "person", "person_id", "error") for name in PERSON_TABLES]
    return checks + [
        ("unknown_service", "service_episode", "service_code", "service", "service_code", "error"),
        ("unknown_provider", "service_episode", "provider_id", "provider", "provider_id", "warning"),
        ("unknown_case_worker", "service_episode", "case_worker_id", "case_worker", "case_worker_id", "warning"),
        ("unknown_team", "service_episode", "team_id", "team", "team_id", "warning"),
        ("unknown_team", "case_worker", "team_id", "team", "team_id", "warning"),
    ]


def findings(store: Store, imports: tuple[ImportEntry, ...]) -> tuple[Finding, ...]:
    """Every check with its count; checks that found nothing are left out."""
    found = [
        Finding(code, table, severity, _unmatched(store, table, column, ref, ref_col))
        for code, table, column, ref, ref_col, severity in _reference_checks()
    ]
    found += [
        Finding("overlapping_registration", "registration_spell", "warning", overlapping_registrations(store)),
        Finding("person_without_registration", "person", "warning", _persons_without_registration(store)),
        Finding("born_after_registration", "person", "error", _born_after_registration(store)),
        Finding(
            "employment_without_wage",
            "employment_spell",
            "warning",
            _rows_where(store, "employment_spell", lambda r: r.monthly_wage.isnull()),
        ),
        *(
            Finding("unlabelled_municipality", table, "info", _unlabelled_municipalities(store, table))
            for table in ("person", "provider")
        ),
        Finding(
            "open_registration",
            "registration_spell",
            "info",
            _rows_where(store, "registration_spell", lambda r: r.end_date.isnull()),
        ),
        Finding("import_unbalanced", "import_log", "error", sum(not e.balanced for e in imports)),
    ]
    return tuple(sorted((f for f in found if f.count), key=lambda f: SEVERITIES.index(f.severity)))


def summarise(store: Store) -> QualitySummary:
    """Row counts, latest imports, quarantine by reason and findings of the store."""
    every_import = all_imports(store)
    return QualitySummary(
        tables=table_counts(store),
        imports=latest_imports(store),
        quarantine=quarantine_groups(store),
        findings=findings(store, every_import),
    )
