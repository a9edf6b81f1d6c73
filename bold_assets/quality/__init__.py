"""Data quality: Great Expectations 1.x suites run against warehouse tables, and landed-file checks.

Plain domain code (no Dagster):

- `suites`: reads `expectations/<schema>.<table>.json` (no GX import);
- `runner`: runs a suite against a DuckDB table, one outcome per expectation (GX imported lazily,
  it costs ~3 s);
- `build_suites` (+ `build_suites_downstream`): writes the suites from the source registry;
- `extract_validation`: checks a landed extract before it may replace its raw table;
- `samples`: small valid example extracts, for tests and to show the expected layout.
"""
