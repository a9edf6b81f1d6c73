"""Data quality: Great Expectations 1.x suites run against warehouse tables, and landed-file checks.

Plain domain code (no Dagster). `suites` reads `expectations/<schema>.<table>.json`; `runner`
runs a suite against a DuckDB table and returns one outcome per expectation; `build_suites`
writes the suites from the source registry; `extract_validation` checks a landed extract before
it may replace its raw table. Great Expectations is imported lazily (it costs ~3 s).
"""
