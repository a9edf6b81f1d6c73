"""Benchmark: generate the synthetic world and write it to a DuckDB file.

    python benchmarks/bench_world.py [--population 1000000] [--baseline 100000]

Each size runs in a fresh subprocess so its peak RSS is its own. Prints persons/s, records/s,
peak RSS, and the scaling ratio against the smaller baseline run of the same invocation
(linear scaling gives time ratio ~= size ratio). Target: 1m persons (a general population of
all ages, most with no record) in < 90 s, < 8 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _child(population: int, seed: int, out: str) -> None:
    from bold_assets import warehouse
    from bold_assets.world import generate_world
    from bold_assets.world.store import write_frame

    t0 = time.perf_counter()
    world = generate_world(population, seed)
    t_gen = time.perf_counter() - t0
    with warehouse.connect(out) as con:
        for key, df in world.tables.items():
            write_frame(con, key, df)
    total = time.perf_counter() - t0
    records = sum(len(v) for k, v in world.tables.items() if k.startswith("raw."))
    spine = world["truth.record_person"]["person_id"].nunique()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"population": population, "records": records, "spine": spine,
                      "generate_s": t_gen,
                      "total_s": total, "peak_rss_gb": peak_kb / 1024**2}))


def run(population: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "bench.duckdb")
        proc = subprocess.run([sys.executable, __file__, "--child", str(population), str(seed),
                               out], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--population", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    base = run(args.baseline, args.seed)
    big = run(args.population, args.seed)
    for r in (base, big):
        print(f"{r['population']:>9,} persons  {r['spine']:>8,} with a record  "
              f"{r['records']:>9,} raw records  "
              f"generate {r['generate_s']:6.1f} s  generate+write {r['total_s']:6.1f} s  "
              f"{r['population'] / r['total_s']:>9,.0f} persons/s  "
              f"{r['records'] / r['total_s']:>9,.0f} records/s  peak RSS {r['peak_rss_gb']:.2f} GB")
    size_ratio = big["population"] / base["population"]
    print(f"scaling: {size_ratio:.0f}x persons took {big['total_s'] / base['total_s']:.1f}x the "
          f"time (linear = {size_ratio:.0f}x)")
    ok = big["total_s"] < 90 and big["peak_rss_gb"] < 8
    print(f"target (1m persons < 90 s, peak RSS < 8 GB): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
