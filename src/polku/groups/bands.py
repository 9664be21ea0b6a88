"""The employment-potential bands: their names and cut points, without the model.

Why a module of its own: reports and views name the bands and read stored results; the
model that puts people in them (`polku.groups.potential`) loads scikit-learn.
"""

HIGH = 0.55
"""A chance of work within 12 months without a service at or above this is "high"."""
LOW = 0.30
"""Below this it is "low"; between the two, "medium"."""
GROUPS = ("high", "medium", "low")
