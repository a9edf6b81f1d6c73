"""Benchmark: generate the synthetic world and write it to a DuckDB file.

    python benchmarks/bench_world.py [--population 1000000] [--baseline 100000]
    python benchmarks/bench_world.py --names [--population 1000000]

Each size runs in a fresh subprocess so its peak RSS is its own. Prints persons/s, records/s,
peak RSS, and the scaling ratio against the smaller baseline run of the same invocation
(linear scaling gives time ratio ~= size ratio). Target: 1m persons (a general population of
all ages, most with no record) in < 90 s, < 8 GB.

`--names` prints the shape of the population's names instead, beside the published figures for
England and Wales they were built from (`bold_assets/world/data/README.md`): the shares of the
top 1, 10 and 100 surnames, distinct surnames and forenames per 100k people, and the top
forename of each sex and birth decade with its share.
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


PUBLISHED_SURNAMES = {"top 1": 0.0115, "top 10": 0.057, "top 100": 0.2078}  # % of people, E&W


def names(population: int, seed: int) -> None:
    from bold_assets.world.generate import make_context

    people = make_context(population, seed).persons
    surnames = people["birth_surname"].value_counts()
    shares = surnames / len(people)
    print(f"{population:,} persons, seed {seed}")
    print(f"{'surnames':<28}{'world':>8}{'published (E&W)':>18}")
    for label, n in (("top 1", 1), ("top 10", 10), ("top 100", 100)):
        print(f"{'share of ' + label:<28}{shares.iloc[:n].sum():>8.2%}"
              f"{PUBLISHED_SURNAMES[label]:>18.2%}   ({', '.join(surnames.index[:min(n, 3)])})")
    per_100k = 100_000 / len(people)
    print(f"{'distinct per 100k people':<28}{len(surnames) * per_100k:>8,.0f}"
          f"   ({len(surnames):,} in {len(people):,}; E&W: ~378,000 with 2+ bearers)")
    print(f"{'forenames distinct per 100k':<28}{people['forename'].nunique() * per_100k:>8,.0f}")
    decade = (people["dob"].dt.year // 10) * 10
    print(f"\n{'birth decade':<14}{'top boy':<22}{'top girl':<22}{'group':>9}")
    for d, group in people.groupby(decade):
        tops = []
        for sex in ("M", "F"):
            counts = group.loc[group["sex"] == sex, "forename"].value_counts()
            tops.append(f"{counts.index[0]} {counts.iloc[0] / counts.sum():.1%}")
        print(f"{d}s{'':<9}{tops[0]:<22}{tops[1]:<22}{len(group):>9,}")
    print("published tops (share of the sex's births): William 1900 ~11.7%, Mary 1900 ~4.7%; "
          "Jack 2008 2.2%, Olivia 2008 1.5%; Oliver 2014 1.9%, Amelia 2014 1.6%; Muhammad 2023 "
          "1.5%, Olivia 2023 1.0%")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--population", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--names", action="store_true", help="print the shape of the names")
    args = parser.parse_args()
    if args.names:
        names(args.population, args.seed)
        return
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
