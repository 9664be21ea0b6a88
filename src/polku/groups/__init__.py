"""Client groups (seed 000 part 2; docs/groups.md).

Two ways of grouping: by employment potential (työllistymispotentiaali), the seed model's
high, medium and low chance of work without a service (`potential`; effects are also
reported by these bands, as a service can help those who would find work anyway less than
those who would not); and by the rules of an area's group file (`rules`, `config`). `rows`
finds the person-dates groups are decided on, `assign` groups them, `tables` makes the
run's `groups_*` tables, `record` and `text` show them.
"""

from typing import Any

from polku.groups.bands import GROUPS, HIGH, LOW


def __getattr__(name: str) -> Any:
    """`potential_groups` on first use: naming the bands must not load the model's libraries."""
    if name == "potential_groups":
        from polku.groups.potential import potential_groups

        return potential_groups
    raise AttributeError(f"module 'polku.groups' has no attribute {name!r}")


__all__ = ["GROUPS", "HIGH", "LOW", "potential_groups"]
