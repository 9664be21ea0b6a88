"""Render `docs/data-model.md` from the schema, so the document cannot drift from the code.

Regenerate with `python -m polku.schema.document > docs/data-model.md`; a test fails when
the committed file differs from what this renders.
"""

from __future__ import annotations

from polku.schema.codelists import CodeList, all_codelists
from polku.schema.tables import IMPORT_ORDER, TABLES, Field, Table

INTRO = """# Data model

The service path of a job seeker, as Polku stores it. One schema module
(`src/polku/schema/tables.py`) defines every table; code lists are data files
(`src/polku/schema/codelists/*.yaml`) with Finnish, Swedish and English labels. This page
is generated from both (`python -m polku.schema.document > docs/data-model.md`).

How the tables fit together: a **person** has **registration spells** (the time at risk of
unemployment) and **benefit spells** (what unemployment costs); a case worker in a **team**
refers the person to a **service episode** from the **service catalogue**, delivered by a
**provider**; **measurements** and **goals** follow progress that is not yet employment;
**employment spells** are the outcome. Every table keyed by person carries `person_id`, a
keyed HMAC-SHA-256 pseudonym of the personal identity code (its first 128 bits, stored as a
DuckDB `UUID`; see `docs/identity.md`), and the `key_version` it was made with.

Field kinds: `identity` (a personal identity code in the source file, stored only as its
pseudonym), `code` (a value of the named code list), `text`, `integer`, `number` (real),
`money` (euros, two decimals, stored as DECIMAL(14,2)), `date`, `boolean`.

Every stored row also carries its lineage: `_import_id` (the import that wrote it, see
`import_log`), `_source` (the source name, by default the file name) and `_line` (its line
in the source file). Rejected rows are in `quarantine` (see `docs/import.md`).

Import order that lets references resolve: {order}.
"""


def _constraint(field: Field) -> str:
    parts = []
    if field.codelist:
        parts.append(f"code list [`{field.codelist}`](#code-list-{field.codelist.replace('_', '-')})")
    if field.minimum is not None or field.maximum is not None:
        parts.append(f"{_num(field.minimum)} .. {_num(field.maximum)}")
    if field.pattern:
        parts.append(f"pattern `{field.pattern}`")
    return "; ".join(parts)


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _table_section(table: Table) -> list[str]:
    lines = [f"## {table.title} (`{table.name}`)", "", table.why, "", f"Key: `{', '.join(table.key)}`.", ""]
    lines += ["| field | kind | required | values | why it matters |", "|---|---|---|---|---|"]
    for f in table.fields:
        lines.append(f"| `{f.name}` | {f.kind} | {'yes' if f.required else 'no'} | {_constraint(f)} | {f.why} |")
    if table.checks:
        lines += ["", "Row rules (a row that breaks one goes to quarantine):", ""]
        lines += [f"- `{c.name}`: must hold `{c.condition}`; otherwise: {c.message}." for c in table.checks]
    return lines + [""]


def _codelist_section(cl: CodeList) -> list[str]:
    kind = "closed" if cl.closed else f"open (any code matching `{cl.pattern}` is accepted)"
    lines = [f"### Code list: {cl.name}", "", f"{cl.description.strip()} This list is {kind}.", ""]
    lines += ["| code | fi | sv | en | attributes |", "|---|---|---|---|---|"]
    for code in cl.codes:
        attrs = ", ".join(f"{k}: {v}" for k, v in cl.attributes.get(code, {}).items())
        lines.append(f"| `{code}` | {cl.label(code, 'fi')} | {cl.label(code, 'sv')} | {cl.label(code, 'en')} | {attrs} |")
    return lines + [""]


def render_markdown() -> str:
    lines = [INTRO.format(order=", ".join(f"`{t}`" for t in IMPORT_ORDER))]
    for name in IMPORT_ORDER:
        lines += _table_section(TABLES[name])
    lines += ["## Code lists", ""]
    for cl in all_codelists().values():
        lines += _codelist_section(cl)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
