"""From data to estimates: the store's cohorts (`by_service`), what the report shows beside
each estimate (`store_views`), and a flat file (`flatfile`). The estimators themselves are
pure and live in `polku.impact`, which imports nothing from here, from `polku.cohort` or
from `polku.groups`, so the packages form no cycle.
"""
