"""Run an expectation suite against one DuckDB table and report each expectation's outcome.

Column and table expectations run in Great Expectations 1.x: an ephemeral context with a pandas
dataframe datasource (GX has no DuckDB dialect for its SQL datasource; through `duckdb_engine`
its metric bundles fail, GX issue #10738). Every expectation is evaluated by GX on every row, in
one validation per suite; what makes it fast at a million records (issue 12, measured by
`benchmarks/bench_quality.py` against the old path in `tests/quality_reference.py`, with
identical outcomes checked by `tests/test_quality_fast.py`):

- the frame holds only the columns the expectations read (`columns_read`); expectations that
  read only column names (`SCHEMA_TYPES`) run on the table's empty frame;
- dtypes GX's pandas metrics compute vectorised (`gx_frame`): dates at ns, 64-bit numbers, and
  low-cardinality text as categoricals for null / set / regex / strftime / unique checks;
- the batch is loaded once (GX's Validator on the batch definition, not `Batch.validate`), and
  two GX costs that change no outcome are removed inside the runner's validation only
  (`_lighten_gx`: the per-access rebuild of `Expectation.configuration`, the batch fingerprint).

Two kinds run in DuckDB instead, by the project:

- `unexpected_rows_expectation`: its `unexpected_rows_query` is SQL with `{batch}` standing for
  the table; it may join other warehouse tables, which is how cross-table integrity is checked
  (GX 1.x has no cross-table expectation). It fails when the query returns any row.
- `expect_column_values_to_be_of_type` / `..._in_type_list` with DuckDB type names (`VARCHAR`,
  `INTEGER`, `DATE`, ...): compared with the warehouse catalog, as GX's SQL datasource would;
  pandas dtypes (nullable `Int32`, `boolean`) do not map cleanly back to DuckDB types.
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb

from bold_assets.quality.suites import PROJECT_SIDE_TYPES, Expectation, Suite

N_EXAMPLES = 5
_gx_state: dict[str, Any] = {}
# BASIC gives everything an Outcome reports (counts, percent, first examples, observed value);
# SUMMARY would also count the examples and list their row indexes, which nothing reads.
_RESULT_FORMAT = "BASIC"


@dataclass
class Outcome:
    """The result of one expectation."""

    expectation: Expectation
    success: bool
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    element_count: int | None = None
    examples: list = field(default_factory=list)
    observed_value: Any = None
    error: str | None = None

    @property
    def check_name(self) -> str:
        return self.expectation.check_name

    @property
    def critical(self) -> bool:
        return self.expectation.critical

    def message(self) -> str:
        """One line: what failed, how often, examples."""
        exp = self.expectation
        if self.success:
            return f"passed: {exp.summary()}"
        if self.error:
            return f"could not run {exp.check_name}: {self.error}"
        parts = [f"failed: {exp.summary()}"]
        if self.unexpected_count is not None:
            pct = self.unexpected_percent
            pct = f" ({pct:.2f}%)" if pct is not None else ""
            parts.append(f"{self.unexpected_count} unexpected{pct}")
        if self.observed_value is not None:
            parts.append(f"observed {self.observed_value!r}")
        if self.examples:
            parts.append("e.g. " + ", ".join(repr(x) for x in self.examples[:N_EXAMPLES]))
        return "; ".join(parts)


def _plain(value: Any) -> Any:
    """Numpy / pandas scalars and containers -> JSON-friendly Python values."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if type(value).__name__ == "datetime64":  # numpy: [ns].item() would give an int
        value = value.astype("datetime64[us]")  # DuckDB's resolution
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (str, int, float, bool)):
        return value
    text = str(value)
    return None if text in ("<NA>", "NaT", "nan") else text


def _gx_context() -> Any:
    """One ephemeral GX context per process, with a pandas datasource; GX imported here only."""
    if "context" not in _gx_state:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        for name in ("great_expectations", "great_expectations.core"):
            logging.getLogger(name).setLevel(logging.WARNING)
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        _gx_state["gx"] = gx
        _gx_state["context"] = context
        _gx_state["datasource"] = context.data_sources.add_pandas("bold_warehouse")
        _gx_state["assets"] = {}
    return _gx_state["context"]


def warm_up() -> None:
    """Import Great Expectations now (~3 s), e.g. before taking the warehouse lock."""
    _gx_context()


def gx_suite(suite: Suite, exps: list[Expectation]) -> Any:
    """The GX ExpectationSuite of `exps`, each carrying its check name in `meta`."""
    _gx_context()
    return _gx_state["gx"].ExpectationSuite(
        name=suite.name,
        expectations=[
            {**e.to_json(), "meta": {**e.meta, "check_name": e.check_name}} for e in exps
        ],
    )


def _batch_definition(name: str) -> Any:
    """A whole-dataframe batch definition of the process's pandas datasource, one per name."""
    _gx_context()
    assets = _gx_state["assets"]
    if name not in assets:
        asset = _gx_state["datasource"].add_dataframe_asset(name)
        assets[name] = asset.add_batch_definition_whole_dataframe("whole_table")
    return assets[name]


# Set while the runner's own GX validation runs (this thread / context only).
_configurations: ContextVar[dict[int, tuple[Any, Any]] | None] = ContextVar(
    "gx_expectation_configurations", default=None)  # fmt: skip
_NOT_FINGERPRINTED = "not computed (bold_assets.quality.runner)"


def _lighten_gx() -> None:
    """Two GX 1.x costs that do not touch any outcome, removed inside `_validate` only (other
    threads and callers get GX's own behaviour):

    - `Expectation.configuration` is a property that rebuilds an ExpectationConfiguration from
      the pydantic model on every access, and validation reads it about a hundred times per
      expectation (most of a suite's fixed cost). Here the first result per Expectation object
      is reused; the objects are the ones GX builds for that validation and does not change.
    - The pandas engine fingerprints every batch (md5 of `hash_pandas_object` over every value)
      only to label it in the result's `batch_markers`, which nothing reads; a second pass over
      the table. Here the label says it was not computed.
    """
    if _gx_state.get("lightened"):
        return
    from great_expectations.execution_engine import pandas_execution_engine as engine
    from great_expectations.expectations.expectation import Expectation as GxExpectation

    prop = GxExpectation.__dict__.get("configuration")
    if not isinstance(prop, property) or not hasattr(engine, "hash_pandas_dataframe"):
        _gx_state["lightened"] = True  # another GX version: leave GX as it is
        return
    built = prop.fget

    def configuration(self: Any) -> Any:
        cache = _configurations.get()
        if cache is None:
            return built(self)
        hit = cache.get(id(self))
        if hit is None:  # the object is held in the cache, so its id is not reused meanwhile
            hit = cache[id(self)] = (self, built(self))
        return hit[1]

    fingerprint = engine.hash_pandas_dataframe

    def hash_pandas_dataframe(df: Any) -> str:
        return _NOT_FINGERPRINTED if _configurations.get() is not None else fingerprint(df)

    GxExpectation.configuration = property(configuration, doc=built.__doc__)
    engine.hash_pandas_dataframe = hash_pandas_dataframe
    _gx_state["lightened"] = True


def _validate(name: str, gx_suite_: Any, frame: Any) -> Any:
    """Validate `frame` against the suite with GX's Validator, loading the batch once.

    (`Batch.validate` would load the dataframe a second time, fingerprint included.)
    """
    from great_expectations.validator.v1_validator import Validator

    _lighten_gx()
    validator = Validator(
        batch_definition=_batch_definition(name),
        batch_parameters={"dataframe": frame},
        result_format={"result_format": _RESULT_FORMAT, "partial_unexpected_count": N_EXAMPLES},
    )
    token = _configurations.set({})
    try:
        return validator.validate_expectation_suite(gx_suite_)
    finally:
        _configurations.reset(token)


def _outcomes_from_gx(result: Any, exps: list[Expectation]) -> dict[str, Outcome]:
    by_name = {e.check_name: e for e in exps}
    outcomes: dict[str, Outcome] = {}
    for r in result.results:
        name = r.expectation_config.meta["check_name"]
        res = r.result or {}
        exc = r.exception_info or {}
        if "raised_exception" not in exc:  # keyed by metric id when a metric failed
            exc = next(iter(exc.values()), {}) if exc else {}
        error = exc.get("exception_message") if exc.get("raised_exception") else None
        observed = res.get("observed_value")
        outcomes[name] = Outcome(
            expectation=by_name[name],
            success=bool(r.success) and not error,
            unexpected_count=_plain(res.get("unexpected_count")),
            unexpected_percent=_plain(res.get("unexpected_percent")),
            element_count=_plain(res.get("element_count")),
            examples=_plain(res.get("partial_unexpected_list") or []),
            observed_value=None if observed is None else _plain(observed),
            error=error,
        )
    return outcomes


# Expectations that read only the table's column names: GX runs them on the table's empty frame.
SCHEMA_TYPES = frozenset(
    {"expect_table_columns_to_match_set", "expect_table_columns_to_match_ordered_list",
     "expect_table_column_count_to_equal", "expect_table_column_count_to_be_between",
     "expect_column_to_exist"}
)  # fmt: skip
_COLUMN_KWARGS = ("column", "column_A", "column_B")


def _condition_columns(condition: Any) -> set[str] | None:
    """Columns a structured row_condition names; None if it is not one we can read."""
    if isinstance(condition, dict):
        found: set[str] = set()
        for key, value in condition.items():
            if key == "column" and isinstance(value, dict) and isinstance(value.get("name"), str):
                found.add(value["name"])
            elif isinstance(value, (dict, list)):
                inner = _condition_columns(value)
                if inner is None:
                    return None
                found |= inner
        return found
    if isinstance(condition, list):
        found = set()
        for item in condition:
            inner = _condition_columns(item)
            if inner is None:
                return None
            found |= inner
        return found
    return None


def columns_read(exps: list[Expectation]) -> set[str] | None:
    """The columns whose values `exps` read (schema expectations read none); None = all of them
    (a kwarg naming columns in a way this does not know, e.g. a pandas-query row_condition)."""
    cols: set[str] = set()
    for e in exps:
        if e.type in SCHEMA_TYPES:
            continue
        k = e.kwargs
        known = {*_COLUMN_KWARGS, "column_list", "row_condition", "condition_parser"}
        if any("column" in key and key not in known for key in k):
            return None
        cols.update(k[key] for key in _COLUMN_KWARGS if isinstance(k.get(key), str))
        cols.update(k.get("column_list") or ())
        if k.get("row_condition") is not None:
            named = _condition_columns(k["row_condition"])
            if named is None:
                return None
            cols |= named
    return cols


def gx_frame(frame: Any, categorical: frozenset[str] = frozenset()) -> Any:
    """The frame GX validates, with dtypes GX's pandas metrics compute vectorised; the values,
    and so every outcome, stay the same.

    - DATE / TIMESTAMP as datetime64[ns] when the values fit (DuckDB gives [us]): GX compares
      only [ns] columns with `between` vectorised, any other resolution value by value.
    - INTEGER / SMALLINT / FLOAT as int64 / float64: GX's `between` is vectorised only for
      those two dtypes.
    """
    import numpy as np
    import pandas as pd

    for name in frame.columns:
        dtype = frame[name].dtype
        if pd.api.types.is_datetime64_dtype(dtype) and dtype != "datetime64[ns]":
            try:
                frame[name] = frame[name].astype("datetime64[ns]")
            except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
                pass  # dates beyond 1677-2262 stay as they are (GX's per-value path)
        elif isinstance(dtype, np.dtype) and dtype.kind in "iu" and dtype != np.int64:
            if dtype.kind == "i" or dtype.itemsize < 8:  # uint64 might not fit
                frame[name] = frame[name].astype(np.int64)
        elif isinstance(dtype, np.dtype) and dtype.kind == "f" and dtype != np.float64:
            frame[name] = frame[name].astype(np.float64)
        elif name in categorical and pd.api.types.is_object_dtype(dtype):
            frame[name] = pd.Categorical(frame[name])
    return frame


# Expectations whose pandas metrics give the same result on a categorical column as on its
# strings (null test, set membership, regex and strftime by value, duplicates), computing them
# once per distinct value: GX's regex and strftime checks run Python per value.
CATEGORICAL_SAFE = frozenset(
    {"expect_column_values_to_not_be_null", "expect_column_values_to_be_null",
     "expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set",
     "expect_column_values_to_match_regex", "expect_column_values_to_not_match_regex",
     "expect_column_values_to_match_strftime_format", "expect_column_values_to_be_unique"}
)  # fmt: skip


def _categorical_columns(
    con: duckdb.DuckDBPyConnection, suite: Suite, exps: list[Expectation], types: dict[str, str]
) -> frozenset[str]:
    """Text columns read only by CATEGORICAL_SAFE expectations (never in a row_condition or a
    column pair) with at most one distinct value per four rows (DuckDB's estimate)."""
    safe = {c for c, t in types.items() if t.upper() == "VARCHAR"}
    for e in exps:
        if e.type in SCHEMA_TYPES:
            continue
        named = columns_read([e])
        if named is None:  # columns named in a way columns_read does not know: none
            return frozenset()
        if e.type not in CATEGORICAL_SAFE or e.kwargs.get("row_condition") is not None:
            safe -= named
    if not safe:
        return frozenset()
    cols = sorted(safe)
    counts = ", ".join(f'approx_count_distinct("{c.replace(chr(34), chr(34) * 2)}")' for c in cols)
    n, *distinct = con.execute(f"SELECT count(*), {counts} FROM {suite.qualified_table}").fetchone()
    return frozenset(c for c, d in zip(cols, distinct, strict=True) if d * 4 <= n)


def _run_gx(
    con: duckdb.DuckDBPyConnection, suite: Suite, exps: list[Expectation], types: dict[str, str]
) -> dict[str, Outcome]:
    """Validate `exps` in GX: value expectations on a frame of the columns they read, schema
    expectations on the table's empty frame (every column, no rows)."""
    if not exps:
        return {}
    _gx_context()
    read = columns_read(exps)
    schema = [e for e in exps if e.type in SCHEMA_TYPES]
    values = [e for e in exps if e.type not in SCHEMA_TYPES]
    if read is None or read >= set(types):
        schema, values, cols = [], exps, list(types)
    else:
        cols = [c for c in types if c in read] or list(types)[:1]  # row count needs a column
    outcomes: dict[str, Outcome] = {}
    if values:
        select = gx_columns({c: types[c] for c in cols})
        frame = con.execute(f"SELECT {select} FROM {suite.qualified_table}").df()
        frame = gx_frame(frame, _categorical_columns(con, suite, values, types))
        outcomes |= _outcomes_from_gx(_validate(suite.name, gx_suite(suite, values), frame), values)
    if schema:
        empty = con.execute(f"SELECT {gx_columns(types)} FROM {suite.qualified_table} LIMIT 0").df()
        outcomes |= _outcomes_from_gx(_validate(suite.name, gx_suite(suite, schema), empty), schema)
    return outcomes


def _run_rows(con: duckdb.DuckDBPyConnection, suite: Suite, exp: Expectation) -> Outcome:
    query = exp.kwargs["unexpected_rows_query"].replace("{batch}", suite.qualified_table)
    try:
        n = con.execute(f"SELECT count(*) FROM ({query}) AS q").fetchone()[0]
        examples: list = []
        if n:
            cur = con.execute(f"SELECT * FROM ({query}) AS q LIMIT {N_EXAMPLES}")
            cols = [d[0] for d in cur.description]
            examples = [dict(zip(cols, map(_plain, row), strict=True)) for row in cur.fetchall()]
    except duckdb.Error as exc:
        return Outcome(exp, success=False, error=str(exc).splitlines()[0])
    return Outcome(exp, success=n == 0, unexpected_count=int(n), examples=examples)


def _run_type(exp: Expectation, types: dict[str, str]) -> Outcome:
    column = exp.kwargs["column"]
    wanted = [exp.kwargs["type_"]] if "type_" in exp.kwargs else list(exp.kwargs["type_list"])
    observed = types.get(column)
    if observed is None:
        return Outcome(exp, success=False, error=f"column {column!r} does not exist")
    ok = observed.upper() in {w.upper() for w in wanted}
    return Outcome(exp, success=ok, observed_value=observed)


def column_types(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return dict(rows)


def _nested(duckdb_type: str) -> bool:
    t = duckdb_type.upper()
    return t.endswith("]") or t.startswith(("STRUCT", "MAP", "UNION"))


def gx_columns(types: dict[str, str]) -> str:
    """Select list for the frame GX validates: every column, nested ones (lists, structs,
    maps) as their text.

    GX fingerprints a pandas batch with `pd.util.hash_pandas_object`, which cannot hash numpy
    arrays, and then falls back to pickling the whole frame (twice per suite: most of a suite's
    time on the linkage tables, and a copy of the table in memory). No expectation reads the
    values of a nested column (its type is checked from the catalog, its presence by the column
    set), and nulls stay null, so GX sees the same table.
    """
    cols = []
    for name in types:
        q = '"' + name.replace('"', '""') + '"'
        cols.append(f"CAST({q} AS VARCHAR) AS {q}" if _nested(types[name]) else q)
    return ", ".join(cols)


def run_suite(con: duckdb.DuckDBPyConnection, suite: Suite) -> list[Outcome]:
    """Run every expectation of `suite` on its table; outcomes in the suite's order.

    A missing table makes every expectation fail with an error rather than raise, so that each
    check still reports in the UI.
    """
    types = column_types(con, suite.schema, suite.table)
    if not types:
        msg = f"table {suite.name} does not exist; materialise its asset first"
        return [Outcome(e, success=False, error=msg) for e in suite.expectations]
    gx_exps = [e for e in suite.expectations if e.type not in PROJECT_SIDE_TYPES]
    gx_outcomes: dict[str, Outcome] = {}
    if gx_exps:
        gx_outcomes = _run_gx(con, suite, gx_exps, types)
    return suite_outcomes(con, suite, types, gx_outcomes)


def run_suite_warned(con: duckdb.DuckDBPyConnection, suite: Suite
                     ) -> tuple[list[Outcome], list[str]]:
    """`run_suite`, and the Python warnings raised while it ran (GX's deprecations, pandas'),
    one line each without repeats, for the caller to log on its step instead of stderr.

    `warnings.catch_warnings` swaps process-wide state: with suites run in threads at once, a
    warning may be reported by another suite's caller, or printed as before."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")  # each distinct warning once per run
        outcomes = run_suite(con, suite)
    lines = (f"{w.category.__name__}: {str(w.message).strip()}" for w in caught)
    return outcomes, list(dict.fromkeys(lines))


def suite_outcomes(con: duckdb.DuckDBPyConnection, suite: Suite, types: dict[str, str],
                   gx_outcomes: dict[str, Outcome]) -> list[Outcome]:
    """Every expectation's outcome in suite order: GX's, and the project-side ones run here."""
    outcomes = []
    for e in suite.expectations:
        if e.type == "unexpected_rows_expectation":
            outcomes.append(_run_rows(con, suite, e))
        elif e.type in PROJECT_SIDE_TYPES:
            outcomes.append(_run_type(e, types))
        else:
            outcomes.append(
                gx_outcomes.get(e.check_name)
                or Outcome(e, success=False, error="Great Expectations returned no result")
            )
    return outcomes


def failures(outcomes: list[Outcome], critical_only: bool = False) -> list[Outcome]:
    return [o for o in outcomes if not o.success and (o.critical or not critical_only)]
