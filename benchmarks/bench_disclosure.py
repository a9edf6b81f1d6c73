"""Benchmark: a wave's safe outputs (disclosure control), the path before against the current one.

    .venv/bin/python benchmarks/bench_disclosure.py --warehouse /tmp/x/bold.duckdb
    .venv/bin/python benchmarks/bench_disclosure.py --warehouse W --wave 1 --replicate 10

Reads the wave's person mart from a materialised warehouse (read only) and runs, in this one
process, the
computation the `wave_<n>_safe_outputs` asset calls, `disclosure.protect` followed by
`disclosure.verify`, twice:

- before: `lean=False`, ACRO run as before the change (the person rows' labels as read, ACRO
  unchanged: four tabulations of the person rows per table, its log text always formatted);
- after: `lean=True`, the default (categorical axes, one count table per table, log text on
  demand; see `disclosure._lean_acro`).

Prints wall seconds per phase (exact cells, ACRO checks, secondary suppression, rounding and
report, verify), the total and the process's CPU seconds (a guide when other work shares the
cores), and the ratio before / after, then asserts that the two runs published identical
tables, exact cells and checker reports, and that ACRO recorded the same results (its
results.json equal but for timestamps, and the same output files).

`--replicate K` stands in for a K times larger world when only a smaller warehouse is at hand:
K copies of the persons and areas, copy i in its own LSOAs and LADs (codes suffixed `-i`), so
the tables have K times the cells and person rows, each cell as in the world read (the
synthetic world has a fixed 250 people per LSOA, so a K times larger world has K times the
areas).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bold_assets import disclosure  # noqa: E402
from bold_assets.defs.wave_0.outputs import RULES, WaveOutputs  # noqa: E402

PHASES = ("exact cells", "ACRO checks", "secondary suppression", "rounding and report",
          "verify (report)", "verify")


def load(warehouse: Path, wave: int, replicate: int = 1
         ) -> tuple[pd.DataFrame, pd.DataFrame, tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        persons, areas, measures = WaveOutputs(wave).read_inputs(con)
    if replicate > 1:
        codes = ["lsoa_code", "lad_code"]

        def copy(frame: pd.DataFrame, i: int) -> pd.DataFrame:
            return frame.assign(**{c: frame[c] + f"-{i}" for c in codes})

        persons = pd.concat([copy(persons, i) for i in range(replicate)], ignore_index=True)
        areas = pd.concat([copy(areas, i) for i in range(replicate)], ignore_index=True)
    return persons, areas, measures


def run(persons: pd.DataFrame, areas: pd.DataFrame, measures: tuple, wave: int, lean: bool,
        report_dir: Path) -> tuple[disclosure.Protected, dict[str, float]]:
    timings: dict[str, float] = {}
    start, cpu = time.perf_counter(), time.process_time()
    prot = disclosure.protect(persons, areas, measures, wave=wave, rules=RULES,
                              report_dir=report_dir, lean=lean, timings=timings)
    t = time.perf_counter()
    violations = disclosure.verify(prot.published, prot.cells, RULES)  # as the asset does
    timings["verify"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - start
    timings["total CPU"] = time.process_time() - cpu  # this process's CPU seconds, all threads
    assert violations == [], violations[:5]
    return prot, timings


def acro_results(report_dir: Path) -> tuple[dict, dict[str, str]]:
    """ACRO's results.json without its timestamps, and every output file's text."""
    results = json.loads((report_dir / "results.json").read_text())
    for rec in results["results"].values():
        rec.pop("timestamp", None)
    files = {p.relative_to(report_dir).as_posix(): p.read_text()
             for p in sorted(report_dir.rglob("*.csv"))}
    return results, files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", required=True, type=Path)
    parser.add_argument("--wave", type=int, default=0)
    parser.add_argument("--replicate", type=int, default=1)
    args = parser.parse_args()

    persons, areas, measures = load(args.warehouse, args.wave, args.replicate)
    disclosure._acro_session()  # import ACRO once, outside the timings
    print(f"wave {args.wave}: {len(persons):,} person rows, {len(areas):,} LSOAs, "
          f"{areas['lad_code'].nunique():,} LADs, "
          f"{len(measures)} measures ({2 * (len(measures) + 1)} ACRO tables)")
    work = Path(tempfile.mkdtemp(prefix="bench-disclosure-"))
    runs = {}
    for label, lean in (("before", False), ("after", True)):
        runs[label] = run(persons, areas, measures, args.wave, lean, work / label)
    (old, t_old), (new, t_new) = runs["before"], runs["after"]

    print("\n| phase | before s | after s | before / after |\n|---|---:|---:|---:|")
    for phase in (*PHASES, "total", "total CPU"):
        a, b = t_old.get(phase, 0.0), t_new.get(phase, 0.0)
        ratio = f"{a / b:.2f}" if b > 0 else "-"
        print(f"| {phase} | {a:.2f} | {b:.2f} | {ratio} |")

    pd.testing.assert_frame_equal(new.published, old.published)
    pd.testing.assert_frame_equal(new.cells, old.cells)
    pd.testing.assert_frame_equal(new.report, old.report)
    assert acro_results(work / "after") == acro_results(work / "before"), "ACRO results differ"
    print(f"\nidentical: published ({len(new.published):,} cells, "
          f"{int(new.published['suppressed'].sum()):,} suppressed), exact cells, report, "
          f"ACRO results ({len(new.report) + 2} tables)")
    print(f"safe outputs before / after: {t_old['total']:.2f} s / {t_new['total']:.2f} s = "
          f"{t_old['total'] / t_new['total']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
