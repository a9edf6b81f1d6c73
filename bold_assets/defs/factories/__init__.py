"""One factory per layer: the Dagster assets, checks, jobs and schedules that follow from the
catalogue (`bold_assets.catalog`). Each takes the catalogue as an argument, so a copy with an
extra source builds its definitions too (tests do that).

- `raw`: the raw extracts (one multi-asset with truth and reference), each in its wave's group;
- `std`: `linkage/std_<source>` for every source with personal identifiers;
- `research`: `research/<source>` for every source;
- `leaks`: the blocking identifier leak check on research, marts and outputs tables;
- `waves`: each wave's job and schedule from its `Wave` declaration.
The Great Expectations checks come from the suites on disk (`defs/quality.py`), which
`quality.build_suites` writes from the same catalogue.
"""
