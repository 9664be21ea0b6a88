"""Tables with exactly the columns and types they are stored with.

Why one function for every package: an analysis run stores each result table as Parquet,
and a view reads it back later, perhaps in another process. An empty result must still have
its columns and types, and a query engine's integer or text types must not leak into the
run (`object` holds text or None). It lives apart from `polku.reports`, which imports the
packages that compute the tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd


def typed_frame(rows: pd.DataFrame | Iterable[Mapping[str, Any]], schema: Mapping[str, str]) -> pd.DataFrame:
    """Rows as a table with exactly the columns of `schema` (name -> dtype), in its order."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows), columns=list(schema))
    return frame.loc[:, list(schema)].astype(dict(schema)).reset_index(drop=True)
