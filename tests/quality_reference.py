"""The suite runner as it was before it was made fast (issue 12), kept as the reference that the
fast path must agree with: tests/test_quality_fast.py and benchmarks/bench_quality.py run both.

The old path fed GX every column of the table (`SELECT *`) and validated through
`Batch.validate`, which loads (and fingerprints) the dataframe a second time. Everything else
(the DuckDB-side expectations, the outcome conversion) is the package's own code.
"""

from __future__ import annotations

from typing import Any

import duckdb

from bold_assets.quality import runner
from bold_assets.quality.runner import (
    N_EXAMPLES,
    Outcome,
    _gx_context,
    _outcomes_from_gx,
    column_types,
    gx_columns,
    suite_outcomes,
)
from bold_assets.quality.suites import PROJECT_SIDE_TYPES, Expectation, Suite

_assets: dict[str, Any] = {}


def _batch(table_name: str, frame: Any) -> Any:
    context = _gx_context()
    if "reference" not in _assets:
        _assets["reference"] = context.data_sources.add_pandas("bold_warehouse_reference")
    if table_name not in _assets:
        asset = _assets["reference"].add_dataframe_asset(table_name)
        _assets[table_name] = asset.add_batch_definition_whole_dataframe("whole_table")
    return _assets[table_name].get_batch(batch_parameters={"dataframe": frame})


def _run_gx(suite: Suite, exps: list[Expectation], frame: Any) -> dict[str, Outcome]:
    if not exps:
        return {}
    result = _batch(suite.name, frame).validate(
        runner.gx_suite(suite, exps),
        result_format={"result_format": runner._RESULT_FORMAT,
                       "partial_unexpected_count": N_EXAMPLES},
    )  # fmt: skip
    return _outcomes_from_gx(result, exps)


def run_suite_reference(con: duckdb.DuckDBPyConnection, suite: Suite) -> list[Outcome]:
    """`runner.run_suite` before issue 12: every column, `Batch.validate`."""
    types = column_types(con, suite.schema, suite.table)
    if not types:
        msg = f"table {suite.name} does not exist; materialise its asset first"
        return [Outcome(e, success=False, error=msg) for e in suite.expectations]
    gx_exps = [e for e in suite.expectations if e.type not in PROJECT_SIDE_TYPES]
    gx_outcomes: dict[str, Outcome] = {}
    if gx_exps:
        frame = con.execute(f"SELECT {gx_columns(types)} FROM {suite.qualified_table}").df()
        gx_outcomes = _run_gx(suite, gx_exps, frame)
    return suite_outcomes(con, suite, types, gx_outcomes)
