"""Benchmark: every Great Expectations suite on a warehouse, the fast runner against the old one.

    .venv/bin/python benchmarks/bench_quality.py WAREHOUSE.duckdb [--suites raw.mags,raw.crown]
        [--repeat 1] [--profile]

Opens the warehouse read-only (copy it first if a run may be writing it). For every suite in
`expectations/` whose table is in the warehouse, runs the old path (`tests/quality_reference.py`:
every column to pandas, `Batch.validate`) and the new one (`bold_assets.quality.runner`)
alternately, each `--repeat` times (the best time counts), and prints per-suite seconds, rows,
the totals and the ratio old/new. It also compares the two outcomes of every expectation
(success, counts, percent, examples, observed value, error) and prints any difference: there
must be none. (Examples of the project-side SQL checks may differ between any two runs, old or
new alike: their `LIMIT 5` has no ORDER BY; they are counted apart.) GX is imported and its
context built before timing; the first suite's timings include GX's own first-use costs for
both paths alike.

`--profile` runs the new path once more under cProfile and prints the top functions.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def compare(old: list, new: list) -> list[str]:
    """Differences between two outcome lists, one line each (empty when identical)."""
    fields = ("success", "unexpected_count", "unexpected_percent", "element_count", "examples",
              "observed_value", "error")  # fmt: skip
    diffs = []
    if [o.check_name for o in old] != [o.check_name for o in new]:
        return ["different checks or order"]
    for a, b in zip(old, new, strict=True):
        for f in fields:
            if getattr(a, f) != getattr(b, f):
                diffs.append(f"{a.check_name}.{f}: {getattr(a, f)!r} != {getattr(b, f)!r}")
    return diffs


def sql_example_order(diff: str, suite) -> bool:
    """A difference only in the examples of a project-side SQL check: both paths run the same
    `_run_rows`, whose `LIMIT 5` has no ORDER BY, so DuckDB may return other rows each time."""
    name, _, rest = diff.partition(".")
    kinds = {e.check_name: e.type for e in suite.expectations}
    return kinds.get(name) == "unexpected_rows_expectation" and rest.startswith("examples:")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse")
    parser.add_argument("--suites", default="", help="comma-separated suite names (default all)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)

    import duckdb

    from bold_assets.quality import runner
    from bold_assets.quality.suites import load_suites
    from tests.quality_reference import run_suite_reference

    con = duckdb.connect(args.warehouse, read_only=True)
    runner.warm_up()
    wanted = set(filter(None, args.suites.split(",")))
    suites = [s for name, s in load_suites().items() if not wanted or name in wanted]
    suites = [s for s in suites if runner.column_types(con, s.schema, s.table)]
    print(f"{args.warehouse}: {len(suites)} suites")
    print("| suite | rows | expectations | old s | new s | old/new | same outcomes |")
    print("|---|---:|---:|---:|---:|---:|---|")
    tot_old = tot_new = 0.0
    n_diff = 0
    for s in suites:
        rows = con.execute(f"SELECT count(*) FROM {s.qualified_table}").fetchone()[0]
        t_old = t_new = float("inf")
        for _ in range(args.repeat):
            t = time.perf_counter()
            old = run_suite_reference(con, s)
            t_old = min(t_old, time.perf_counter() - t)
            t = time.perf_counter()
            new = runner.run_suite(con, s)
            t_new = min(t_new, time.perf_counter() - t)
        diffs = compare(old, new)
        n_sql = sum(sql_example_order(d, s) for d in diffs)
        diffs = [d for d in diffs if not sql_example_order(d, s)]
        n_diff += len(diffs)
        tot_old += t_old
        tot_new += t_new
        print(f"| {s.name} | {rows:,} | {len(s.expectations)} | {t_old:.2f} | {t_new:.2f} "
              f"| {t_old / t_new:.1f} | {'yes' if not diffs else 'NO'}"
              f"{f' (SQL examples differ: {n_sql})' if n_sql else ''} |", flush=True)  # fmt: skip
        for d in diffs[:10]:
            print(f"    {d[:300]}")
    print(f"| **total** | | | **{tot_old:.1f}** | **{tot_new:.1f}** | **{tot_old / tot_new:.1f}** "
          f"| {'yes' if not n_diff else f'{n_diff} differences'} |")  # fmt: skip
    print(f"per suite: old {tot_old / len(suites):.2f} s, new {tot_new / len(suites):.2f} s")
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        for s in suites:
            runner.run_suite(con, s)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
    return 1 if n_diff else 0


if __name__ == "__main__":
    raise SystemExit(main())
