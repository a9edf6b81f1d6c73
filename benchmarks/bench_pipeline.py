"""Benchmark: the whole wave-0 job, step by step, linkage against the rest.

    .venv/bin/python benchmarks/bench_pipeline.py                        # 208k and 2.08m persons
    .venv/bin/python benchmarks/bench_pipeline.py --population 208000    # one size
    .venv/bin/python benchmarks/bench_pipeline.py --workdir /tmp/bench   # keep the warehouses
    .venv/bin/python benchmarks/bench_pipeline.py --json out.json        # also write the figures
    .venv/bin/python benchmarks/bench_pipeline.py --report a.json,b.json # table of earlier runs

Each size runs `wave_0_job` (what `bold materialize` runs: every wave-0 asset, its asset checks and
the evaluation) in process, in its own child process on a fresh warehouse, so that peak RSS is
that run's alone. From the run's Dagster event log it takes each step's start and end (asset
checks that run as their own steps included) and prints:

- every step's time, longest first;
- the linkage steps' total (`linkage/model_parameters`, `pairwise_predictions`, `person_clusters`),
  the rest's total and the ratio of the end-to-end time to the linkage time
  (target at 1m records: <= 2);
- the safe outputs step, the Great Expectations suites (`gx_*` checks) together;
- the error-aware estimates (`outputs/needs_estimates_wave_0` and its check) and the share they
  add to the job's time without them (target at 1m records: <= 25%);
- the child's peak RSS (target at 1m records: <= 6 GB);
- with two sizes, the cost exponent of the end-to-end time against source records
  (log(t2/t1) / log(n2/n1); target <= 1.1).

The world is a general population, most of whom never meet the justice system: 208k persons give
about 100k wave-0 source records, 2.08m about 1m.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
LINKAGE_STEPS = ("linkage__model_parameters", "linkage__pairwise_predictions",
                 "linkage__person_clusters")
END_EVENTS = ("STEP_SUCCESS", "STEP_FAILURE")


def child(workdir: Path, population: int, seed: int) -> None:
    """Run wave_0_job in process; print one JSON line with step times and counts."""
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ["BOLD_WAREHOUSE"] = str(workdir / "bold.duckdb")
    os.environ["BOLD_POPULATION"] = str(population)
    os.environ["BOLD_SEED"] = str(seed)
    os.environ.setdefault("BOLD_PROJECT_KEY", "bench-pipeline-fixed-key")
    import dagster as dg

    from bold_assets.definitions import defs

    job = defs.resolve_job_def("wave_0_job")
    instance = dg.DagsterInstance.ephemeral()
    start = time.perf_counter()
    result = job.execute_in_process(instance=instance, raise_on_error=False)
    wall = time.perf_counter() - start
    starts: dict[str, float] = {}
    steps: dict[str, float] = {}
    failed: list[str] = []
    errors: dict[str, str] = {}
    for record in instance.all_logs(result.run_id):
        event = record.dagster_event
        if event is None or not event.step_key:
            continue
        if event.event_type_value == "STEP_START":
            starts[event.step_key] = record.timestamp
        elif event.event_type_value in END_EVENTS and event.step_key in starts:
            steps[event.step_key] = record.timestamp - starts[event.step_key]
            if event.event_type_value == "STEP_FAILURE":
                failed.append(event.step_key)
                error = event.event_specific_data.error
                errors[event.step_key] = (error.message if error else "")[-1500:]
    records = None
    try:  # the wave's source records (what its linkage reads), counted in the raw tables
        import duckdb

        from bold_assets.catalog import CATALOG

        names = [s.name for s in CATALOG.sources.values() if s.wave == 0 and s.identifiers]
        with duckdb.connect(str(workdir / "bold.duckdb"), read_only=True) as con:
            records = sum(con.execute(f"SELECT count(*) FROM raw.{n}").fetchone()[0]
                          for n in names)
    except Exception:  # noqa: BLE001 - the count is informative only
        pass
    print(json.dumps({"success": result.success, "wall": wall, "steps": steps,
                      "failed": failed, "errors": errors, "records": records}))


def run_child(workdir: Path, population: int, seed: int) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run([sys.executable, str(HERE), "--child", "--workdir", str(workdir),
                          "--population", str(population), "--seed", str(seed)],
                         capture_output=True, text=True)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if out.returncode != 0 or not out.stdout.strip():
        sys.stderr.write(out.stdout[-3000:] + out.stderr[-5000:])
        raise SystemExit(f"population {population}: the wave-0 run failed")
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    # RUSAGE_CHILDREN is the largest of all waited-for children; one child per size, run in
    # increasing size, so it is this child's unless an earlier one was larger.
    figures["peak_rss_mb"] = round(max(peak_kb, before) / 1024)
    figures["population"] = population
    return figures


def summarise(f: dict) -> dict:
    steps = f["steps"]
    linkage = sum(steps.get(s, 0.0) for s in LINKAGE_STEPS)
    total = sum(steps.values())
    gx = sum(v for k, v in steps.items() if "gx_" in k)
    safe = sum(v for k, v in steps.items() if "safe_outputs" in k)
    estimates = sum(v for k, v in steps.items() if "needs_estimates" in k)
    return {"linkage": linkage, "rest": total - linkage, "total": total, "wall": f["wall"],
            "ratio": total / linkage if linkage else float("nan"), "gx": gx, "safe": safe,
            "estimates": estimates,
            "estimates_added": estimates / (total - estimates) if total > estimates else 0.0,
            "peak_rss_mb": f["peak_rss_mb"], "records": f.get("records")}


def report(f: dict) -> None:
    s = summarise(f)
    records = f"{s['records']:,}" if s["records"] else "?"
    print(f"\npopulation {f['population']:,} ({records} records), success {f['success']}"
          + (f", failed: {f['failed']}" if f["failed"] else ""))
    for step, message in f.get("errors", {}).items():
        print(f"  {step}: {message}")
    print("| step | seconds |\n|---|---:|")
    for key, secs in sorted(f["steps"].items(), key=lambda kv: -kv[1]):
        print(f"| {key} | {secs:.1f} |")
    print(f"linkage steps total : {s['linkage']:8.1f} s")
    print(f"rest total          : {s['rest']:8.1f} s  (safe outputs {s['safe']:.1f} s, "
          f"GX suites {s['gx']:.1f} s)")
    print(f"end to end (steps)  : {s['total']:8.1f} s  (wall {s['wall']:.1f} s)")
    print(f"end to end / linkage: {s['ratio']:8.2f}")
    print(f"estimates (+ check) : {s['estimates']:8.1f} s  = {s['estimates_added']:.1%} added to "
          "the rest of the job (target <= 25%)")
    print(f"peak RSS            : {s['peak_rss_mb']:8,} MB", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--population", default="208000,2080000",
                        help="comma-separated populations (persons), smallest first")
    parser.add_argument("--workdir", help="folder for the warehouses (default: a temp folder)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--report", help="comma-separated --json files of earlier runs: print "
                        "their table and cost exponent instead of running")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.workdir), int(args.population), args.seed)
        return 0
    if args.report:
        runs = [f for p in args.report.split(",") for f in json.loads(Path(p).read_text())]
        table(sorted(runs, key=lambda f: f["population"]))
        return 0
    root = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bold-bench-"))
    runs = []
    for pop in sorted(int(x.replace("_", "")) for x in args.population.split(",")):
        workdir = root / f"population_{pop}"
        if (workdir / "bold.duckdb").exists():
            (workdir / "bold.duckdb").unlink()
        print(f"population {pop:,}: running wave_0_job in {workdir} ...", flush=True)
        figures = run_child(workdir, pop, args.seed)
        runs.append(figures)
        report(figures)
    table(runs)
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=1))
    return 0


def table(runs: list[dict]) -> None:
    print("\n| population | records | linkage s | rest s | end to end s | ratio | safe outputs s "
          "| GX s | peak RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for f in runs:
        s = summarise(f)
        print(f"| {f['population']:,} | {s['records'] or 0:,} | {s['linkage']:.1f} | "
              f"{s['rest']:.1f} | {s['total']:.1f} | {s['ratio']:.2f} | {s['safe']:.1f} | "
              f"{s['gx']:.1f} | {s['peak_rss_mb']:,} |")
    if len(runs) >= 2:
        a, b = summarise(runs[0]), summarise(runs[-1])
        if a["records"] and b["records"]:
            exponent = math.log(b["total"] / a["total"]) / math.log(b["records"] / a["records"])
            print(f"cost exponent of end to end, {a['records']:,} -> {b['records']:,} records: "
                  f"{exponent:.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
