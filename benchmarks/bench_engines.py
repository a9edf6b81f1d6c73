"""Benchmark: wave-0 linkage on the two Splink engines, DuckDB and Spark, side by side.

    .venv/bin/python benchmarks/bench_engines.py                          # 100k and 1m records
    .venv/bin/python benchmarks/bench_engines.py --records 100000         # one size
    .venv/bin/python benchmarks/bench_engines.py --populations 16000      # a population (~2.6k)
    .venv/bin/python benchmarks/bench_engines.py --engines spark --spark-master 'local[4]' \\
        --spark-driver-memory 8g --shuffle-partitions 16 --label tuned

Sizes are wave-0 record counts (`--records`; 100,000 and 1,000,000 are the populations 208,000
and 2,080,000, other counts are scaled at 0.48 records per person) or populations
(`--populations`). Each world is generated and standardised once by `bench_linkage_quality`'s
`prepare`, in the same cache (`<workdir>/pop_<n>_seed_<seed>/world.duckdb`), so both benchmarks
link the same records.

For each engine (`--engines`, DuckDB first), in a child process of its own (so its peak memory
is its own), exactly what `bench_linkage_quality` does on DuckDB: the wave-0 models are trained
from scratch (`justice.train_or_load` with `retrain`, seeded with the world's seed) into the
engine's own models folder (`<world>/engines/<engine>/models`), every model scores its
candidate pairs (`justice.predict_all`) and all records are clustered once
(`justice.cluster_all`, DuckDB and scipy on either engine), and the clusters are scored against
`truth.record_person` with `evaluation.f1_table` at the medium threshold. Measured:

- time of each step (perf_counter): Spark's start (the JVM and session, timed apart from
  training), training, scoring, clustering, and their total; the Spark / DuckDB ratio of totals;
- peak RSS of the child's Python (`RUSAGE_SELF`) and, on Spark, of the JVM: in local mode the
  driver, which is also the executor, is a child process of Python, stopped at the end of the run
  so that `RUSAGE_CHILDREN` holds its peak (its `VmHWM` read just before agrees);
- scored pairs, and precision / recall / F1 at medium for the criminal sources and for pairs
  involving a family or civil record.

The DuckDB child keeps its clusters and scored pairs (Parquet, beside its models). The Spark
child then also scores with the DuckDB-trained models (loaded from the DuckDB models folder) and
clusters: the share of records whose medium cluster, as a set of records, is identical to the
DuckDB run's is the *same-model agreement*; it checks that the engines score alike (100% means
the Spark translation of the models' SQL and Splink's Spark backend give the same links). The
scored pairs are compared too (pairs each engine scored, the largest difference of match
probability, edges at medium on one engine only); Spark's are kept in
`engines/spark/pairs_duckdb_models.parquet` to look into differences. The
agreement of Spark's own clustering (its own models) with DuckDB's is printed beside it: models
trained on two engines differ as their random samples differ, so that figure is the engines'
agreement end to end, not a correctness check. With `--engines spark` alone, the DuckDB run
compared with is the last one kept in the workdir (its date is printed).

Prints a table per size and appends rows to `benchmarks/results/engines.csv` (with `--label` and
the date). The Spark child's peak memory covers the same-model scoring as well; Python's peak
before it is in the CSV (`py_peak_main_mb`). Spark at small sizes is dominated by fixed costs
(JVM start, Splink's many small jobs): about a minute whatever the input.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
RESULTS = HERE.parent / "results"
CSV_PATH = RESULTS / "engines.csv"
sys.path.insert(0, str(HERE.parent))

from bench_linkage_quality import link_timed, prepare  # noqa: E402  (the benchmarks folder, just added)

RECORDS_PER_PERSON = 32_743 / 68_000  # wave 0's seven sources
POPULATION_OF = {100_000: 208_000, 1_000_000: 2_080_000}  # the sizes bench_linkage_quality uses
ENGINES = ("duckdb", "spark")
SCOPES = ("criminal", "family_civil")
CSV_FIELDS = [
    "date", "label", "persons", "records", "engine", "spark_master", "spark_driver_memory",
    "shuffle_partitions", "startup_s", "train_s", "predict_s", "cluster_s", "total_s",
    "time_ratio_vs_duckdb", "py_peak_mb", "py_peak_main_mb", "jvm_peak_mb", "jvm_hwm_mb",
    "pairs", "criminal_precision", "criminal_recall", "criminal_f1", "family_civil_precision",
    "family_civil_recall", "family_civil_f1", "same_model_pairs", "same_model_f1_criminal",
    "same_model_f1_family_civil", "same_model_records_agree", "same_model_records",
    "same_model_agreement", "own_model_agreement",
]


def population_for(records: int) -> int:
    """The population whose wave-0 sources hold about `records` records."""
    return POPULATION_OF.get(records) or int(round(records / RECORDS_PER_PERSON, -3))


def engine_dir(workdir: Path, engine: str) -> Path:
    """What a run on `engine` keeps: models, (DuckDB) clusters and pairs, the child's log."""
    return workdir / "engines" / engine


# Child -------------------------------------------------------------------------------------


def evaluate(workdir: Path, clusters: Any) -> dict[str, dict[str, float]]:
    """Precision / recall / F1 at medium of `clusters` against the world's truth."""
    import duckdb

    from bold_assets.linkage import evaluation as ev
    from bold_assets.sources import CRIMINAL_SOURCES, WEAK_SOURCES

    con = duckdb.connect()
    con.execute(f"ATTACH '{workdir / 'world.duckdb'}' AS w (READ_ONLY)")
    con.register("clusters", clusters)
    f1 = ev.f1_table(con, "clusters", "w.truth.record_person", CRIMINAL_SOURCES, WEAK_SOURCES,
                     ("medium",))
    con.close()
    pick = {r.scope: r for r in f1.itertuples()}
    return {s: {"precision": pick[s].precision, "recall": pick[s].recall, "f1": pick[s].f1}
            for s in (*SCOPES, "all")}


def cluster_agreement(a: Any, b: Any) -> dict[str, int]:
    """Records of `a` whose medium cluster, as a set of records, is the same in `b`.

    A record agrees when the records sharing its cluster in `a` are exactly those sharing it
    in `b`: the count of records labelled (cluster in a, cluster in b) equals both clusters'
    sizes. `label_agree` counts records with the same label only (a cluster is named by its
    smallest record uid, so identical sets have identical labels, but not conversely)."""
    import duckdb

    con = duckdb.connect()
    con.register("a", a)
    con.register("b", b)
    agree, total, label = con.execute("""
        WITH j AS (SELECT a.cluster_medium AS ca, b.cluster_medium AS cb
                   FROM a JOIN b USING (source_dataset, record_id)),
             ab AS (SELECT ca, cb, count(*) AS n FROM j GROUP BY ALL),
             sa AS (SELECT cluster_medium AS ca, count(*) AS na FROM a GROUP BY 1),
             sb AS (SELECT cluster_medium AS cb, count(*) AS nb FROM b GROUP BY 1)
        SELECT coalesce(sum(n) FILTER (WHERE n = na AND n = nb), 0),
               (SELECT count(*) FROM a),
               coalesce(sum(n) FILTER (WHERE ca = cb), 0)
        FROM ab JOIN sa USING (ca) JOIN sb USING (cb)""").fetchall()[0]
    con.close()
    return {"agree": int(agree), "records": int(total), "label_agree": int(label)}


def pair_agreement(a: Any, b: Any) -> dict[str, float]:
    """Scored pairs of `a` and `b` compared per (model, pair): how many each has, how many
    both have, the largest difference of match probability between them and how many differ
    by more than 1e-6, and the edges at medium (probability >= 0.8) in one only."""
    import duckdb

    con = duckdb.connect()
    con.register("a", a)
    con.register("b", b)
    norm = ("SELECT model, least(l, r) AS u1, greatest(l, r) AS u2, match_probability AS p "
            "FROM (SELECT *, source_dataset_l || '|' || record_id_l AS l, "
            "source_dataset_r || '|' || record_id_r AS r FROM {t})")
    row = con.execute(f"""
        WITH x AS ({norm.format(t='a')}), y AS ({norm.format(t='b')})
        SELECT count(x.p), count(y.p), count(x.p + y.p), max(abs(x.p - y.p)),
               count(*) FILTER (WHERE abs(x.p - y.p) > 1e-6),
               count(*) FILTER (WHERE x.p >= 0.8 AND coalesce(y.p, 0) < 0.8),
               count(*) FILTER (WHERE y.p >= 0.8 AND coalesce(x.p, 0) < 0.8)
        FROM x FULL JOIN y USING (model, u1, u2)""").fetchall()[0]
    con.close()
    keys = ("pairs_a", "pairs_b", "pairs_both", "max_abs_dp", "pairs_dp_over_1e-6",
            "medium_a_only", "medium_b_only")
    return {k: (v if v is None else float(v)) for k, v in zip(keys, row, strict=True)}


def _vm_hwm_mb(pid: int) -> float:
    """Peak resident memory of a live process (Linux `VmHWM`), MB; 0 if unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def stop_spark(settings: Any) -> dict[str, float]:
    """Stop the Spark session and its JVM, and wait for the JVM to exit so that its peak RSS
    is in `RUSAGE_CHILDREN`. Returns the JVM's `VmHWM` (read just before) and max heap, MB."""
    from pyspark import SparkContext

    from bold_assets.linkage import engine as eng

    spark = eng.spark_session(settings)
    heap = spark.sparkContext._jvm.java.lang.Runtime.getRuntime().maxMemory() / 2**20
    gateway = SparkContext._gateway
    proc = getattr(gateway, "proc", None)
    hwm = _vm_hwm_mb(proc.pid) if proc is not None else 0.0
    eng.stop_spark()
    if gateway is not None:
        gateway.shutdown()
    if proc is not None:  # the JVM exits when its stdin closes
        proc.stdin.close()
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return {"jvm_hwm_mb": round(hwm), "jvm_max_heap_mb": round(heap)}


def child(workdir: Path, engine_name: str, seed: int, spark: dict[str, Any]) -> dict[str, Any]:
    """Train, score, cluster and evaluate on one engine (run in a process of its own); on
    Spark, score and cluster again with the DuckDB run's models and compare."""
    import duckdb
    import pyarrow.parquet as pq

    from bold_assets.linkage import engine as eng
    from bold_assets.linkage import justice as J
    from bold_assets.settings import EngineSettings

    own = engine_dir(workdir, engine_name)
    own.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(workdir / "world.duckdb"), read_only=True)
    records = J.read_std(con)
    con.close()
    work = own / "work"
    if engine_name == "spark":
        settings = EngineSettings(name="spark", spark_master=spark["master"],
                                  spark_driver_memory=spark["driver_memory"],
                                  spark_shuffle_partitions=spark["shuffle_partitions"],
                                  work_dir=str(work))
    else:
        settings = EngineSettings()
    engine = eng.make_engine(settings)
    result: dict[str, Any] = {"engine": engine_name, "records": records.num_rows}

    t = time.perf_counter()
    if engine_name == "spark":
        session = eng.spark_session(settings)  # the JVM starts here, not inside training
        result["spark_version"] = session.version
    result["startup_s"] = round(time.perf_counter() - t, 1)
    models, pairs, clusters, times = link_timed(records, own / "models", seed, engine)
    result |= {**times, "pairs": pairs.num_rows, "models": sorted(models)}
    result |= evaluate(workdir, clusters)
    result["py_peak_main_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

    if engine_name == "duckdb":  # kept for the Spark run's comparisons
        pq.write_table(clusters, own / "clusters.parquet")
        pq.write_table(pairs, own / "pairs.parquet")
        (own / "run.json").write_text(json.dumps(
            {"records": records.num_rows, "seed": seed,
             "at": datetime.now(UTC).isoformat(timespec="seconds")}))
    else:
        result["same_model"] = same_model(workdir, records, engine, clusters)
        result |= stop_spark(settings)
        shutil.rmtree(work, ignore_errors=True)
    result["py_peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["jvm_peak_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    return result


def same_model(workdir: Path, records: Any, engine: Any, own_clusters: Any) -> dict[str, Any]:
    """Score and cluster on `engine` with the DuckDB run's models; compare its clusters (and
    pairs) with the DuckDB run's, and this run's own clusters with them too."""
    import pyarrow.parquet as pq

    from bold_assets.linkage import justice as J
    from bold_assets.linkage import models as mdl
    from bold_assets.linkage.core import LinkageSession

    ref = engine_dir(workdir, "duckdb")
    run = ref / "run.json"
    if not (run.exists() and (ref / "clusters.parquet").exists()):
        return {"missing": f"no DuckDB run kept in {ref}"}
    meta = json.loads(run.read_text())
    if meta["records"] != records.num_rows:
        return {"missing": f"the DuckDB run in {ref} linked {meta['records']} records"}
    models = {}
    for plan in J.PLANS:
        saved = mdl.load_latest(ref / "models", plan.name)
        if saved is not None:
            models[plan.name] = {"model": saved[0], "meta": saved[1]}
    ref_clusters = pq.read_table(ref / "clusters.parquet")
    t0 = time.perf_counter()
    with LinkageSession(records, engine=engine) as session:
        pairs = J.predict_all(session, models)
    t1 = time.perf_counter()
    clusters = J.cluster_all(records, pairs)
    t2 = time.perf_counter()
    pq.write_table(pairs, engine_dir(workdir, "spark") / "pairs_duckdb_models.parquet")
    return {"duckdb_run_at": meta["at"], "models": sorted(models),
            "predict_s": round(t1 - t0, 1), "cluster_s": round(t2 - t1, 1),
            "pairs": pairs.num_rows, "quality": evaluate(workdir, clusters),
            "clusters": cluster_agreement(ref_clusters, clusters),
            "pair_diff": pair_agreement(pq.read_table(ref / "pairs.parquet"), pairs),
            "own_clusters": cluster_agreement(ref_clusters, own_clusters)}


# Parent ------------------------------------------------------------------------------------


def run_child(workdir: Path, engine: str, args: argparse.Namespace) -> dict[str, Any] | None:
    """One engine's run in a fresh process; None (with the log's tail printed) if it failed."""
    cmd = [sys.executable, str(HERE), "--child", engine, "--workdir", str(workdir),
           "--seed", str(args.seed), "--spark-master", args.spark_master,
           "--spark-driver-memory", args.spark_driver_memory,
           "--shuffle-partitions", str(args.shuffle_partitions)]
    log = engine_dir(workdir, engine) / "child.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as err:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        tail = log.read_text()[-4000:]
        sys.stderr.write(f"{engine} run failed (exit {out.returncode}); end of {log}:\n{tail}\n")
        return None
    return json.loads(lines[-1])


def total_s(r: dict[str, Any]) -> float:
    return r.get("startup_s", 0) + r["train_s"] + r["predict_s"] + r["cluster_s"]


def share(d: dict[str, int] | None) -> float | None:
    return d["agree"] / d["records"] if d and d["records"] else None


def csv_row(args: argparse.Namespace, persons: int, r: dict[str, Any],
            base: dict[str, Any] | None) -> dict[str, Any]:
    sm = r.get("same_model") or {}
    spark = r["engine"] == "spark"
    row = {"date": datetime.now(UTC).date().isoformat(), "label": args.label,
           "persons": persons, "records": r["records"], "engine": r["engine"],
           "spark_master": args.spark_master if spark else "",
           "spark_driver_memory": args.spark_driver_memory if spark else "",
           "shuffle_partitions": args.shuffle_partitions if spark else "",
           "startup_s": r["startup_s"], "train_s": r["train_s"], "predict_s": r["predict_s"],
           "cluster_s": r["cluster_s"], "total_s": round(total_s(r), 1),
           "time_ratio_vs_duckdb": round(total_s(r) / total_s(base), 2) if base else "",
           "py_peak_mb": r["py_peak_mb"], "py_peak_main_mb": r["py_peak_main_mb"],
           "jvm_peak_mb": r["jvm_peak_mb"] if spark else "",
           "jvm_hwm_mb": r.get("jvm_hwm_mb", ""), "pairs": r["pairs"]}
    for scope in SCOPES:
        for k in ("precision", "recall", "f1"):
            row[f"{scope}_{k}"] = r[scope][k]
    if "clusters" in sm:
        row |= {"same_model_pairs": sm["pairs"],
                "same_model_f1_criminal": sm["quality"]["criminal"]["f1"],
                "same_model_f1_family_civil": sm["quality"]["family_civil"]["f1"],
                "same_model_records_agree": sm["clusters"]["agree"],
                "same_model_records": sm["clusters"]["records"],
                "same_model_agreement": share(sm["clusters"]),
                "own_model_agreement": share(sm["own_clusters"])}
    return row


def append_csv(rows: list[dict[str, Any]]) -> None:
    """Rows of `benchmarks/results/engines.csv` (header written when the file is new)."""
    RESULTS.mkdir(exist_ok=True)
    new = not CSV_PATH.exists()
    with CSV_PATH.open("a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS, restval="")
        if new:
            w.writeheader()
        w.writerows(rows)


def print_table(persons: int, runs: dict[str, dict[str, Any]]) -> None:
    base = runs.get("duckdb")
    records = next(iter(runs.values()))["records"]
    print(f"\n{persons:,} persons, {records:,} wave-0 records\n")
    print("| engine | start s | train s | predict s | cluster s | total s | x DuckDB | "
          "Python MB | JVM MB | pairs | F1 criminal | F1 family/civil | same-model agreement |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in runs.items():
        spark = name == "spark"
        ratio = f"{total_s(r) / total_s(base):.1f}" if base else "-"
        sm = r.get("same_model") or {}
        jvm = f"{r['jvm_peak_mb']:,}" if spark else "-"
        agree = (f"{share(sm['clusters']):.2%} ({sm['clusters']['agree']:,}/"
                 f"{sm['clusters']['records']:,})" if "clusters" in sm else "-")
        print(f"| {name} | {r['startup_s']:.1f} | {r['train_s']:.1f} | {r['predict_s']:.1f} | "
              f"{r['cluster_s']:.1f} | {total_s(r):.1f} | {ratio} | {r['py_peak_mb']:,} | "
              f"{jvm} | {r['pairs']:,} | "
              f"{r['criminal']['f1']:.4f} | {r['family_civil']['f1']:.4f} | {agree} |")
    for name, r in runs.items():
        for scope in SCOPES:
            s = r[scope]
            print(f"  {name:6s} {scope:13s} P {s['precision']:.4f} R {s['recall']:.4f} "
                  f"F1 {s['f1']:.4f}")
    spark = runs.get("spark")
    if not spark:
        return
    print(f"  spark: Spark {spark.get('spark_version')}, JVM max heap "
          f"{spark.get('jvm_max_heap_mb', 0):,} MB, JVM VmHWM {spark.get('jvm_hwm_mb', 0):,} MB; "
          f"Python peak before the same-model scoring {spark['py_peak_main_mb']:,} MB")
    sm = spark.get("same_model") or {}
    if "clusters" not in sm:
        print(f"  same-model comparison not made: {sm.get('missing')}")
        return
    c, p, q = sm["clusters"], sm["pair_diff"], sm["quality"]
    print(f"  same models (DuckDB run of {sm['duckdb_run_at']}) scored on Spark: "
          f"predict {sm['predict_s']} s, cluster {sm['cluster_s']} s, {sm['pairs']:,} pairs; "
          f"F1 criminal {q['criminal']['f1']:.4f}, family/civil {q['family_civil']['f1']:.4f}")
    dp = "-" if p["max_abs_dp"] is None else f"{p['max_abs_dp']:.2e}"
    print(f"    pairs: DuckDB {p['pairs_a']:,.0f}, Spark {p['pairs_b']:,.0f}, both "
          f"{p['pairs_both']:,.0f}; largest |dp| {dp}, {p['pairs_dp_over_1e-6']:,.0f} pairs "
          f"differ by more than 1e-6; medium edges only on DuckDB "
          f"{p['medium_a_only']:,.0f}, only on Spark {p['medium_b_only']:,.0f}")
    print(f"    medium clusters identical (as record sets) for {c['agree']:,} of "
          f"{c['records']:,} records ({share(c):.4%}); same label {c['label_agree']:,}")
    o = sm["own_clusters"]
    print(f"  own models (trained on Spark) vs DuckDB's: clusters identical for {o['agree']:,} of "
          f"{o['records']:,} records ({share(o):.4%})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", default="100000,1000000",
                        help="comma-separated wave-0 record counts (100000 and 1000000 are the "
                             "populations 208000 and 2080000)")
    parser.add_argument("--populations", default="",
                        help="comma-separated population sizes (persons), instead of --records")
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help="comma-separated engines: duckdb, spark")
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "bold-blq"),
                        help="folder of the cached worlds (bench_linkage_quality's)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument("--spark-driver-memory", default="6g")
    parser.add_argument("--shuffle-partitions", type=int, default=8)
    parser.add_argument("--label", default="", help="label of this run in the CSV")
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        spark = {"master": args.spark_master, "driver_memory": args.spark_driver_memory,
                 "shuffle_partitions": args.shuffle_partitions}
        print(json.dumps(child(Path(args.workdir), args.child, args.seed, spark), default=str))
        return 0
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engines) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engines {sorted(unknown)}; choose from {ENGINES}")
    engines = [e for e in ENGINES if e in engines]  # DuckDB first: Spark compares with it
    if args.populations:
        sizes = [int(x.replace("_", "")) for x in args.populations.split(",")]
    else:
        sizes = [population_for(int(x.replace("_", ""))) for x in args.records.split(",")]
    root = Path(args.workdir)
    failed = False
    for n in sizes:
        workdir = root / f"pop_{n}_seed_{args.seed}"
        t = time.perf_counter()
        prepare(workdir, n, args.seed)
        print(f"population {n:,}: world ready in {time.perf_counter() - t:.0f} s", flush=True)
        runs: dict[str, dict[str, Any]] = {}
        for engine in engines:
            t = time.perf_counter()
            print(f"  {engine}: running ...", flush=True)
            r = run_child(workdir, engine, args)
            if r is None:
                failed = True
                continue
            runs[engine] = r
            print(f"  {engine}: done in {time.perf_counter() - t:.0f} s "
                  f"(log {engine_dir(workdir, engine) / 'child.log'})", flush=True)
        if not runs:
            continue
        print_table(n, runs)
        append_csv([csv_row(args, n, r, runs.get("duckdb")) for r in runs.values()])
    print(f"\nappended to {CSV_PATH}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
