"""Integer encodings of the categories the simulation works with, and their canonical codes.

Arrays hold small integers (fast, compact); the writer maps them to the canonical codes of
`polku/schema/codelists/*.yaml`. Each tuple's order is the integer code.
"""

from __future__ import annotations

EDUCATION = ("basic", "upper_secondary", "tertiary")
LANGUAGE = ("fi", "sv", "other")
ACTIVITY = ("work", "study", "care", "sickness_allowance", "disability_pension", "other")
PWA_BASIS = (
    "medical_statement",
    "disability_benefit",
    "rehabilitation_decision",
    "case_worker_assessment",
    "self_reported",
)
SECTOR = ("private", "public", "third_sector")
EMPLOYMENT_SOURCE = ("income_register", "case_record", "self_report")
GROUPS = ("high", "medium", "low")
SERVICES = ("COACH", "IPS", "TRAIN", "WTRIAL", "WSUB", "REHAB")
COMPLETION = ("completed", "interrupted", "ongoing")

# Simulation states.
NOT_YET, UNEMPLOYED, EMPLOYED, INACTIVE, GONE = 0, 1, 2, 3, 4

# Why a registration spell ended (index into END_REASONS); also the kind of inactivity.
END_REASONS = (
    "open_market_job",
    "subsidised_job",
    "self_employment",
    "education",
    "out_of_labour_force",
    "pension",
    "moved",
    "unknown",
)
OPEN_JOB, SUBSIDISED_JOB, SELF_EMPLOYMENT, EDUCATION_EXIT, OUT_OF_LF, PENSION, MOVED, UNKNOWN = range(8)
NO_END = -1

# What follows the end of a job (paths._after_job); the order matches jobs.after_job.
AFTER_NEXT, AFTER_REGISTER, AFTER_UNKNOWN, AFTER_MOVED, AFTER_PENSION = range(5)

# Benefit entitlement at the start of a registration spell.
BENEFIT_NONE, BENEFIT_EARNINGS, BENEFIT_BASIC, BENEFIT_SUBSIDY = 0, 1, 2, 3


def index(names: tuple[str, ...], name: str) -> int:
    return names.index(name)
