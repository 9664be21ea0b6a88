"""Finnish business ID (Y-tunnus, `NNNNNNN-C`): the mod-11 check digit, in Python and SQL.

The seven digits are weighted 7 9 10 5 8 4 2 and summed; with r = sum mod 11 the check
digit is 0 when r = 0 and 11 - r otherwise; r = 1 gives no valid digit, so such bodies are
never issued (Finnish Patent and Registration Office / Tax Administration rule). Providers
are compared and paid by their ID, so a mistyped one must not pass as a new provider.
"""

from __future__ import annotations

WEIGHTS = (7, 9, 10, 5, 8, 4, 2)


def check_digit(body: str) -> int | None:
    """Check digit of a seven-digit body, or None when no digit is valid (r = 1)."""
    remainder = sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11
    if remainder == 1:
        return None
    return 0 if remainder == 0 else 11 - remainder


def check_digit_holds_sql(column: str) -> str:
    """DuckDB condition: `column` (already of the form NNNNNNN-N) has the right check digit."""
    weighted = " + ".join(f"{w} * CAST(substr({column}, {i + 1}, 1) AS INTEGER)" for i, w in enumerate(WEIGHTS))
    remainder = f"(({weighted}) % 11)"
    expected = f"(CASE {remainder} WHEN 0 THEN 0 WHEN 1 THEN -1 ELSE 11 - {remainder} END)"
    return f"{expected} = CAST(substr({column}, 9, 1) AS INTEGER)"
