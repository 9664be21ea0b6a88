"""Analysis runs: the persist step between the pipeline and every view.

`polku analyse` computes every report section's tables once (`reports.compute.compute_sections`)
and stores them, with their provenance, as one immutable folder beside the store
(`<store>.runs/<run_id>/`). The report, the terminal and later the web read a run and
never fit, so every figure names the run, data, parameters and code it came from, and two
viewers see the same draws (docs/runs.md).

Reading runs (`list_runs`, `open_run`) imports no estimator; `polku.runs.record.analyse`
computes a new one.
"""

from polku.runs.read import Run, RunTables, list_runs, open_run

__all__ = ["Run", "RunTables", "list_runs", "open_run"]
