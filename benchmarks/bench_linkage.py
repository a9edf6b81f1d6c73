"""Benchmark: the linkage assets against a bare Splink script, same settings, same records.

    .venv/bin/python benchmarks/bench_linkage.py                       # 100k and 1m records
    .venv/bin/python benchmarks/bench_linkage.py --records 100000      # one size
    .venv/bin/python benchmarks/bench_linkage.py --workdir /tmp/bench  # keep the files there

For each size the synthetic world is generated at the population that yields about that many
source records, and the standardised tables are built (untimed). Then, each in its own process
(so peak RSS is that run's alone):

- assets: the Dagster assets `linkage/model_parameters` (run config `retrain: true`),
  `linkage/pairwise_predictions` and `linkage/person_clusters`, materialised in process on the
  warehouse: training, scoring and clustering with every read and write they do;
- bare: a script using only Splink and DuckDB on the very inputs those models see (exported as
  parquet), with the same settings (comparisons, blocking rules) and the same training recipe
  (prior, u sampling, EM blocks, borrowed m for the weak sources), then one clustering over all
  edges at the same three thresholds.

Prints time and peak RSS of each and their ratio (target: assets <= 1.25 x bare time at 1m
records, peak RSS <= 12 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RECORDS_PER_PERSON = 2.53  # source records per synthetic person (measured at 20k and 400k)
HERE = Path(__file__).resolve()


# Preparation (untimed) -----------------------------------------------------------------------


def prepare(workdir: Path, records: int, seed: int) -> Path:
    """Warehouse with raw, reference and standardised tables; per-model inputs and recipes."""
    from bold_assets import warehouse as wh
    from bold_assets.linkage import comparisons as cmp
    from bold_assets.linkage import justice as J
    from bold_assets.linkage import models as mdl
    from bold_assets.linkage.core import LinkageSession
    from bold_assets.sources import SOURCE_NAMES
    from bold_assets.world import generate_world
    from bold_assets.world.store import write_frame

    workdir.mkdir(parents=True, exist_ok=True)
    warehouse = workdir / "bold.duckdb"
    population = max(100, round(records / RECORDS_PER_PERSON))
    world = generate_world(population, seed)
    with wh.connect(warehouse) as con:
        for key, frame in world.tables.items():
            if key.startswith(("raw.", "reference.")):
                write_frame(con, key, frame)
        for s in SOURCE_NAMES:
            J.standardise_source(con, s)
        std = J.read_std(con)
    del world
    inputs = workdir / "inputs"
    inputs.mkdir(exist_ok=True)
    recipes = []
    with LinkageSession(std) as session:
        for plan in J.PLANS:
            table = session.input_table(plan)
            session.con.execute(f"COPY {table} TO '{inputs / plan.name}.parquet' (FORMAT PARQUET)")
            pc = session.pair_completeness(plan)
            filled = {c for c, v in pc.items() if v > 0}
            cols = cmp.deterministic_columns(filled)
            recipes.append({
                "name": plan.name,
                "settings": mdl.settings_for(plan, filled).create_settings_dict("duckdb"),
                "deterministic_rule": cmp.deterministic_columns(filled),
                "recall": mdl.deterministic_recall(pc, cols, plan),
                "u_max_pairs": min(2e6, max(2e5, session.possible_pairs(plan) / 10)),
                "em_blocks": [b.get_blocking_rule("duckdb").blocking_rule_sql
                              for b in cmp.training_blocks(filled)],
                "borrow": list(plan.borrow), "reference": plan.reference,
            })
    (workdir / "recipes.json").write_text(json.dumps(recipes, indent=1, default=str))
    print(f"  prepared {std.num_rows:,} standardised records (population {population:,}) "
          f"in {warehouse}", flush=True)
    return warehouse


# Children (timed) ----------------------------------------------------------------------------


def child_assets(workdir: Path) -> None:
    import dagster as dg

    from bold_assets.defs.resources import WarehouseResource
    from bold_assets.defs.wave_0 import linkage as L

    os.environ["BOLD_WAREHOUSE"] = str(workdir / "bold.duckdb")
    shutil.rmtree(workdir / "models", ignore_errors=True)
    result = dg.materialize(
        [L.model_parameters, L.pairwise_predictions, L.person_clusters],
        resources={"warehouse": WarehouseResource(path=str(workdir / "bold.duckdb"))},
        run_config={"ops": {"linkage__model_parameters": {"config": {"retrain": True}}}},
    )
    assert result.success


def child_bare(workdir: Path) -> None:
    """Splink and DuckDB only."""
    import logging

    import duckdb
    from splink import DuckDBAPI, Linker, block_on
    from splink.internals.clustering import (
        cluster_pairwise_predictions_at_multiple_thresholds,
    )

    recipes = json.loads((workdir / "recipes.json").read_text())
    con = duckdb.connect()
    trained: dict[str, dict] = {}
    edges = []
    for r in recipes:
        name = r["name"]
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM "
                    f"'{workdir / 'inputs' / name}.parquet'")
        settings = r["settings"]
        if r["reference"]:  # the weak models take DOB / sex m from the criminal model
            ref = {c["output_column_name"]: {lv.get("label_for_charts"): lv.get("m_probability")
                                             for lv in c["comparison_levels"]}
                   for c in trained[r["reference"]]["comparisons"]}
            for comp in settings["comparisons"]:
                if comp["output_column_name"] in r["borrow"]:
                    for lv in comp["comparison_levels"]:
                        m = ref[comp["output_column_name"]].get(lv.get("label_for_charts"))
                        if not lv.get("is_null_level") and m:
                            lv["m_probability"], lv["fix_m_probability"] = m, True
        db_api = DuckDBAPI(con)
        linker = Linker(db_api.register(name), settings, log_level=logging.ERROR)
        linker.training.estimate_probability_two_random_records_match(
            [block_on(*r["deterministic_rule"])], recall=r["recall"])
        linker.training.estimate_u_using_random_sampling(max_pairs=r["u_max_pairs"], seed=1)
        for block in r["em_blocks"]:
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    block, estimate_without_term_frequencies=True, max_pairs=2e6)
            except ValueError:
                pass
        trained[name] = linker.misc.save_model_to_json()
        pred = linker.inference.predict(threshold_match_probability=0.05)
        con.execute(f"CREATE TABLE edges_{name} AS SELECT uid_l, uid_r, match_probability "
                    f"FROM {pred.physical_name}")
        edges.append(f"SELECT * FROM edges_{name}")
    con.execute("CREATE TABLE all_edges AS " + " UNION ALL ".join(edges))
    con.execute("CREATE TABLE nodes AS SELECT DISTINCT uid FROM (" + " UNION ALL ".join(
        f"SELECT uid FROM {r['name']}" for r in recipes) + ")")
    db_api = DuckDBAPI(con)
    cc = cluster_pairwise_predictions_at_multiple_thresholds(
        db_api.register("nodes"), db_api.register("all_edges"), db_api=db_api,
        node_id_column_name="uid", match_probability_thresholds=[0.5, 0.8, 0.95])
    cc.as_duckdbpyrelation().to_arrow_table()


def run_child(kind: str, workdir: Path) -> dict:
    out = subprocess.run([sys.executable, str(HERE), "--child", kind, "--workdir", str(workdir)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stdout[-3000:] + out.stderr[-3000:])
        raise SystemExit(f"{kind} run failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", default="100000,1000000",
                        help="comma-separated sizes in source records")
    parser.add_argument("--workdir", help="folder for the warehouses (default: a temp folder)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--child", choices=("assets", "bare"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        start = time.perf_counter()
        (child_assets if args.child == "assets" else child_bare)(Path(args.workdir))
        seconds = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"seconds": round(seconds, 2), "peak_rss_mb": round(peak_mb)}))
        return 0
    root = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bold-bench-"))
    rows = []
    for n in (int(x.replace("_", "")) for x in args.records.split(",")):
        workdir = root / f"records_{n}"
        print(f"{n:,} source records: preparing ...", flush=True)
        prepare(workdir, n, args.seed)
        bare = run_child("bare", workdir)
        assets = run_child("assets", workdir)
        rows.append((n, assets, bare))
        print(f"  bare Splink: {bare['seconds']:8.1f} s  peak RSS {bare['peak_rss_mb']:6,} MB")
        print(f"  assets     : {assets['seconds']:8.1f} s  peak RSS {assets['peak_rss_mb']:6,} MB")
        print(f"  ratio assets / bare: time {assets['seconds'] / bare['seconds']:.2f}x, "
              f"peak RSS {assets['peak_rss_mb'] / bare['peak_rss_mb']:.2f}x", flush=True)
    print("\n| source records | bare Splink s | assets s | time ratio | bare peak MB | "
          "assets peak MB |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n, a, b in rows:
        print(f"| {n:,} | {b['seconds']:.1f} | {a['seconds']:.1f} | "
              f"{a['seconds'] / b['seconds']:.2f} | {b['peak_rss_mb']:,} | "
              f"{a['peak_rss_mb']:,} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
