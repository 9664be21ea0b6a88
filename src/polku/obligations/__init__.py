"""Job-search obligations as dated rules (issue 16): the rule sets and what they ask of a client."""

from polku.obligations.due import ApplicationPeriod, Meeting, Obligations, applications_due, meetings_due, obligations
from polku.obligations.rules import RuleSet, rule_sets, rules_on

__all__ = [
    "ApplicationPeriod",
    "Meeting",
    "Obligations",
    "RuleSet",
    "applications_due",
    "meetings_due",
    "obligations",
    "rule_sets",
    "rules_on",
]
