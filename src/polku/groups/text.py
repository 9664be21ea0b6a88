"""Plain text of `polku groups` and `polku menu` from their gated records (English; the
report carries the translated tables). Hidden values print as the disclosure marker."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MARKER = ".."


def _n(value: Any, decimals: int = 0) -> str:
    if value is None:
        return MARKER
    return f"{value:,.{decimals}f}" if isinstance(value, int | float) else str(value)


def _pct(value: float | None) -> str:
    return MARKER if value is None else f"{100 * value:.1f}"


def groups_text(record: Mapping[str, Any], run_id: str) -> str:
    """Each group's profile and stability."""
    config = record["config"]
    lines = [f"client groups of run {run_id}: group file {config['name']} v{config['version']}, seed model bands"]
    lines.append(f"{'group':<24} {'spells':>8} {'age':>6} {'months':>7} {'work12m%':>9} {'chance%':>8}")
    for r in record["profile"]:
        if r["grouping"] == "seed_model" and r["group"] == "high":
            lines.append("-- seed model bands (chance of work within 12 months without a service)")
        lines.append(
            f"{r['group']:<24} {_n(r['spells']):>8} {_n(r['mean_age'], 1):>6} {_n(r['mean_spell_months'], 1):>7}"
            f" {_n(r['employment_rate'], 1):>9} {_pct(r['mean_chance']):>8}"
        )
    lines.append("stability: still registered and share in the same group at 6 / 12 months")
    for r in record["stability"]:
        still, same = _n(r["registered"]), _n(r["share_same"], 1)
        lines.append(f"  {r['grouping']:<10} {r['group']:<24} {r['months']:>2} months: {still:>7}, same {same} %")
    return "\n".join(lines)


def menu_text(record: Mapping[str, Any], run_id: str) -> str:
    """Targeting per service and the groups' timeliness, acceptance and service starts."""
    config = record["config"]
    menu = f"{config['name']} v{config['version']}"
    lines = [f"service menu {menu} in run {run_id} (flag below {config['min_share']:.0%} in intended groups)"]
    for r in record["targeting"]:
        flag = {True: "FLAGGED", False: "ok", None: MARKER}[r["flagged"]]
        lines.append(
            f"  {r['service_code']:<12} participants {_n(r['participants']):>7}  intended {_n(r['share'], 1):>6} %  {flag}"
        )
    lines.append("by group: registrations, served in spell, median days, interrupted %, service starts, check")
    acceptance = {r["group"]: r for r in record["acceptance"]}
    unserved = {r["group"]: r for r in record["unserved"]}
    for r in record["timeliness"]:
        a, u = acceptance.get(r["group"], {}), unserved.get(r["group"], {})
        flag = {True: "FLAGGED", False: "ok", None: MARKER}[u.get("flagged")]
        lines.append(
            f"  {r['group']:<24} {_n(r['spells']):>7} {_n(r['served']):>7} {_n(r['median_days']):>6}"
            f" {_n(a.get('interrupted_share'), 1):>6} {_n(u.get('starts')):>7}  {flag}"
        )
    return "\n".join(lines)
