"""Outcome-based payment models as data: one YAML file per model, every value with its source.

Why data: an area procures with a contract, not with code. A model file says how a
provider is paid, and each number in it carries where it comes from (`source`) or, when
nobody has found the published figure, that it is an `assumption` (the Työ-SIB
percentage, for one). The loader checks every field and stops at the first problem
with one line naming the file and the field, so a model that loads is a model whose
payments can be computed.

Three kinds (docs/payments.md, "Writing a payment model"):
  - `rate_card`: an attachment fee, a job-outcome fee and sustainment fees after months in
    work, per payment group (a client group or the benefit at the start), with caps per
    participant and per provider and period (the UK Work Programme's structure);
  - `outcome_share`: share x (participants' outcome - comparison outcome), the outcome
    being benefit savings plus taxes over a horizon from the fiscal engine (Koto-SIB);
  - `earnings_share`: a percentage of participants' earnings above the counterfactual
    (Työ-SIB).
Any kind may add `progress`: a fee per participant whose measurement shows reliable
improvement before employment (distance travelled, `polku.change`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from polku.errors import Location, ValidationFailed
from polku.yamlio import load_yaml

KINDS = ("rate_card", "outcome_share", "earnings_share")
PAYMENT_GROUPS = ("client_group", "benefit")
"""What a rate card's payment groups are keyed by: the client group (polku.groups) or the
unemployment benefit being paid at the start (the Work Programme grouped mainly by benefit)."""
PERIODS = ("year", "half", "quarter", "all")
WINDOWS = (12, 24)
"""Follow-up windows (months) the run stores outcomes for; sustainment fees fall inside."""
DEFAULT_GROUP = "default"


@dataclass(frozen=True)
class Value:
    """A number with where it comes from: a published source or a named assumption."""

    value: float
    source: str | None = None
    assumption: str | None = None


@dataclass(frozen=True)
class Sustainment:
    months: int
    fee: Value


@dataclass(frozen=True)
class Rates:
    """One payment group's fees."""

    attachment: Value
    job_outcome: Value
    sustainment: tuple[Sustainment, ...] = ()

    @property
    def most_per_participant(self) -> float:
        return self.attachment.value + self.job_outcome.value + sum(s.fee.value for s in self.sustainment)


@dataclass(frozen=True)
class Progress:
    """A fee for reliable improvement on one instrument's item (reliable change index)."""

    instrument: str
    item: str
    fee: Value


@dataclass(frozen=True)
class PaymentModel:
    name: str
    kind: str
    path: str
    period: str = "year"
    window_months: int = 12
    payment_group: str = "client_group"
    rates: dict[str, Rates] = field(default_factory=dict)
    cap_per_participant: Value | None = None
    cap_per_provider_period: Value | None = None
    share: Value | None = None
    horizon_years: Value | None = None
    floor_at_zero: bool = True
    progress: Progress | None = None

    def rates_for(self, group: str) -> Rates:
        """The group's rates, else the default group's."""
        return self.rates.get(group) or self.rates[DEFAULT_GROUP]


class _Reader:
    """Reads one file's mapping field by field; every failure names the file and field."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, where: str, what: str) -> ValidationFailed:
        return ValidationFailed(f"payment model: {what}", where=Location(self.path, column=where))

    def mapping(self, data: Any, where: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(where, "expected a mapping of fields")
        return data

    def known(self, data: dict[str, Any], where: str, allowed: set[str]) -> None:
        for key in data:
            if key not in allowed:
                raise self.fail(f"{where}.{key}".lstrip("."), f"unknown field; use one of {', '.join(sorted(allowed))}")

    def text(self, data: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}{key}", "expected a non-empty text")
        return value

    def choice(self, data: dict[str, Any], key: str, where: str, choices: tuple[Any, ...], default: Any) -> Any:
        value = data.get(key, default)
        if value not in choices:
            raise self.fail(f"{where}{key}", f"'{value}' is not one of {', '.join(map(str, choices))}")
        return value

    def value(self, data: Any, where: str, low: float = 0.0, high: float | None = None) -> Value:
        """`{value: x, source: ...}` or `{value: x, assumption: ...}` with x in [low, high]."""
        data = self.mapping(data, where)
        self.known(data, where, {"value", "source", "assumption"})
        x = data.get("value")
        if isinstance(x, bool) or not isinstance(x, int | float) or x != x:
            raise self.fail(f"{where}.value", "expected a number")
        if x < low or (high is not None and x > high):
            raise self.fail(f"{where}.value", f"{x} lies outside [{low}, {high if high is not None else 'inf'}]")
        source, assumption = data.get("source"), data.get("assumption")
        for name, text in (("source", source), ("assumption", assumption)):
            if text is not None and (not isinstance(text, str) or not text.strip()):
                raise self.fail(f"{where}.{name}", "expected a non-empty text")
        if source is None and assumption is None:
            raise self.fail(where, "every value needs its source, or an assumption that says why it is not known")
        return Value(float(x), source, assumption)

    def optional_value(self, data: dict[str, Any], key: str, where: str, **limits: Any) -> Value | None:
        return None if data.get(key) is None else self.value(data[key], f"{where}{key}", **limits)


def _sustainment(r: _Reader, data: Any, where: str, window: int) -> tuple[Sustainment, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        raise r.fail(where, "expected a list of {months, fee}")
    out: list[Sustainment] = []
    for i, item in enumerate(data):
        at = f"{where}[{i}]"
        item = r.mapping(item, at)
        r.known(item, at, {"months", "fee"})
        months = item.get("months")
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= window:
            raise r.fail(f"{at}.months", f"expected whole months from 1 to the window ({window})")
        if out and months <= out[-1].months:
            raise r.fail(f"{at}.months", "sustainment durations must increase")
        out.append(Sustainment(months, r.value(item.get("fee"), f"{at}.fee")))
    return tuple(out)


def _rates(r: _Reader, data: Any, window: int) -> dict[str, Rates]:
    groups = r.mapping(data, "groups")
    if DEFAULT_GROUP not in groups:
        raise r.fail("groups", f"a rate card needs a '{DEFAULT_GROUP}' group for participants of any other group")
    out = {}
    for name, fees in groups.items():
        at = f"groups.{name}"
        fees = r.mapping(fees, at)
        r.known(fees, at, {"attachment", "job_outcome", "sustainment"})
        out[str(name)] = Rates(
            r.value(fees.get("attachment"), f"{at}.attachment"),
            r.value(fees.get("job_outcome"), f"{at}.job_outcome"),
            _sustainment(r, fees.get("sustainment"), f"{at}.sustainment", window),
        )
    return out


def _progress(r: _Reader, data: Any) -> Progress | None:
    if data is None:
        return None
    data = r.mapping(data, "progress")
    r.known(data, "progress", {"instrument", "item", "fee"})
    return Progress(
        r.text(data, "instrument", "progress."), r.text(data, "item", "progress."), r.value(data.get("fee"), "progress.fee")
    )


TOP = {"name", "kind", "description", "period", "window_months", "payment_group", "groups", "caps", "share"}
TOP |= {"horizon_years", "floor_at_zero", "progress", "currency", "percent"}


def parse_model(data: Any, path: str) -> PaymentModel:
    """A `PaymentModel` from a file's parsed content; `ValidationFailed` naming the field."""
    r = _Reader(path)
    data = r.mapping(data, "(file)")
    r.known(data, "", TOP)
    kind = r.choice(data, "kind", "", KINDS, None)
    if data.get("currency", "EUR") != "EUR":
        raise r.fail("currency", "payments are compared with euros of value added; give the fees in EUR")
    base: dict[str, Any] = {
        "name": r.text(data, "name", ""),
        "kind": kind,
        "path": path,
        "period": r.choice(data, "period", "", PERIODS, "year"),
        "window_months": r.choice(data, "window_months", "", WINDOWS, 12),
        "payment_group": r.choice(data, "payment_group", "", PAYMENT_GROUPS, "client_group"),
        "progress": _progress(r, data.get("progress")),
    }
    floor = data.get("floor_at_zero", True)
    if not isinstance(floor, bool):
        raise r.fail("floor_at_zero", "expected true or false")
    return PaymentModel(**base, floor_at_zero=floor, **_kind_fields(r, data, kind, base["window_months"]))


def _kind_fields(r: _Reader, data: dict[str, Any], kind: str, window: int) -> dict[str, Any]:
    """The fields of the model's kind, and none of another kind's."""
    own = {
        "rate_card": {"groups", "caps"},
        "outcome_share": {"share", "horizon_years"},
        "earnings_share": {"percent", "horizon_years"},
    }
    for other, fields in own.items():
        for key in fields - own[kind]:
            if key in data and other != kind:
                raise r.fail(key, f"not a field of a {kind} model")
    if kind == "rate_card":
        caps = r.mapping(data.get("caps") or {}, "caps")
        r.known(caps, "caps", {"per_participant", "per_provider_period"})
        return {
            "rates": _rates(r, data.get("groups"), window),
            "cap_per_participant": r.optional_value(caps, "per_participant", "caps."),
            "cap_per_provider_period": r.optional_value(caps, "per_provider_period", "caps."),
        }
    key = "share" if kind == "outcome_share" else "percent"
    if data.get(key) is None:
        raise r.fail(key, f"a {kind} model needs its {key}")
    horizon = r.value(data.get("horizon_years"), "horizon_years", 1.0, 10.0)
    if horizon.value != int(horizon.value):
        raise r.fail("horizon_years.value", "expected whole years")
    return {"share": r.value(data[key], key, 0.0, 1.0), "horizon_years": horizon}


def load_model(path: Path | str) -> PaymentModel:
    """Read and validate one model file (`ValidationFailed`, one line naming file and field)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationFailed(f"payment model: cannot read the file ({exc.strerror})", where=Location(str(p))) from None
    except UnicodeDecodeError:
        raise ValidationFailed("payment model: the file is not UTF-8 text", where=Location(str(p))) from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = None if mark is None else mark.line + 1
        raise ValidationFailed("payment model: not valid YAML", where=Location(str(p), line=line)) from None
    return parse_model(data, str(p))


SHIPPED = Path(__file__).parent / "models"
"""The example models shipped with Polku (docs/payments.md)."""


def shipped_models() -> list[Path]:
    return sorted(SHIPPED.glob("*.yaml"))
