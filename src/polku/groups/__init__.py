"""Client groups by employment potential (työllistymispotentiaali).

A service can help those who would find work anyway less than those who would not, so
effects are also reported by group: high, medium and low chance of work without a service.
"""

from polku.groups.potential import GROUPS, HIGH, LOW, potential_groups

__all__ = ["GROUPS", "HIGH", "LOW", "potential_groups"]
