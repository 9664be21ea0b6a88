"""Equal treatment of job seekers by group: comparisons, tests and their record (docs/equality.md)."""
