"""What every section needs besides the store: language, threshold, labels and formatting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from polku import sdc
from polku.i18n import t
from polku.schema.codelists import codelist

NONE = "_none"


@dataclass(frozen=True)
class RunHeader:
    """Which analysis run a report shows: printed in its header so every figure names its run."""

    run_id: str
    finished_at: datetime
    seed: int
    as_of: date | None
    polku_version: str
    kind: str = "area"
    """`area` or `register` (`polku.runs.layout`): which sections can render it."""
    source: str = ""
    """For a register's run, the register it read: its folder's name and its manifest's digest."""


@dataclass(frozen=True)
class ReportContext:
    """Read-only facts shared by the sections of one report."""

    lang: str
    threshold: int
    generated_at: datetime
    extraction_date: date | None = None
    run: RunHeader | None = None
    computed: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """Results that several sections show, computed once per report (e.g. the impact views)."""

    def t(self, key: str, **values: Any) -> str:
        return t(key, self.lang, **values)

    def label(self, codelist_name: str, code: str) -> str:
        """Code label in the report language; a missing value says so in words."""
        if code == NONE:
            return self.t("common.not_given")
        return codelist(codelist_name).label(code, self.lang)

    def num(self, value: int | float | None, decimals: int = 0) -> str:
        """A protected number in the report language's style (`..` when hidden)."""
        if value is None:
            return sdc.MARKER
        text = f"{value:,.{decimals}f}".replace(",", "\u202f")
        return text.replace(".", ",") if self.lang in ("fi", "sv") else text

    def stat(self, statistic: sdc.Statistic, decimals: int = 1) -> str:
        return self.num(statistic.value, decimals)
