"""Client groups by employment potential (työllistymispotentiaali)."""

from polku.groups.potential import GROUPS, HIGH, LOW, potential_groups

__all__ = ["GROUPS", "HIGH", "LOW", "potential_groups"]
