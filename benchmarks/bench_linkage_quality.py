"""Benchmark: wave-0 linkage quality (precision / recall / F1 against truth) by population size.

    .venv/bin/python benchmarks/bench_linkage_quality.py                        # 68k,208k,2.08m
    .venv/bin/python benchmarks/bench_linkage_quality.py --populations 68000    # one size
    .venv/bin/python benchmarks/bench_linkage_quality.py --workdir /tmp/blq --errors

The world is a general population; wave 0's seven sources hold about 0.48 records per person
(68,000 persons give 32,743 records), so 208,000 and 2,080,000 persons give about 100k and 1m
records. Only wave 0's sources are written and linked (later waves' sources are not).

For each population the synthetic world is generated and standardised once into
`<workdir>/pop_<n>/world.duckdb` (raw, reference, truth and `linkage.std_*`; reused by later runs
with the same seed, so model changes are measured on the same records). Then, in a child process
(so its peak RSS is its own): the wave-0 models are trained from scratch (`justice.train_or_load`
with `retrain`, seeded with the world's seed as the `linkage/model_parameters` asset is), every
model scores its candidate pairs and all records are clustered once (`justice.predict_all`,
`justice.cluster_all`), and the clusters are scored against `truth.record_person` with
`evaluation.f1_table`, exactly as the `evaluation/linkage_f1` asset.

Prints, per population, precision / recall / F1 at the medium threshold for the criminal sources
and for pairs involving a family or civil record, the precision of the scored pairs at medium
beside the clusters' (what transitive closure adds), the linkage time (training, prediction,
clustering) and peak RSS, and writes the table to `benchmarks/results/linkage_quality.csv`.
`--errors` adds an error analysis: false and missed pairs at medium by name frequency, birth year
and source (pair).
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
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
RESULTS = HERE.parent / "results"


def prepare(workdir: Path, population: int, seed: int) -> Path:
    """World warehouse with raw, reference, truth and standardised tables (cached)."""
    from bold_assets import warehouse as wh
    from bold_assets.linkage import justice as J
    from bold_assets.sources import WAVE_0_SOURCES
    from bold_assets.world import generate_world
    from bold_assets.world.store import write_frame

    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "world.duckdb"
    done = workdir / "world.ok"
    if done.exists() and json.loads(done.read_text()) == {"population": population, "seed": seed}:
        return path
    path.unlink(missing_ok=True)
    world = generate_world(population, seed)
    # wave-0 linkage is over wave 0's sources only: later waves' raw tables are not written
    keep = tuple(f"raw.{s}" for s in WAVE_0_SOURCES) + (
        "reference.", "truth.record_person", "truth.persons")
    with wh.connect(path) as con:
        for key, frame in world.tables.items():
            if key.startswith(keep):
                write_frame(con, key, frame)
        for s in WAVE_0_SOURCES:
            J.standardise_source(con, s)
    done.write_text(json.dumps({"population": population, "seed": seed}))
    return path


def link_timed(records: Any, models_dir: Path, seed: int, engine: Any = None
               ) -> tuple[dict, Any, Any, dict[str, float]]:
    """Wave-0 models trained from scratch into `models_dir` (seeded as the
    `linkage/model_parameters` asset is), every pair scored, all records clustered once, on
    `engine` (default: the settings'): (models, pairs, clusters, seconds per step)."""
    from bold_assets.linkage import justice as J
    from bold_assets.linkage.core import LinkageSession

    t0 = time.perf_counter()
    shutil.rmtree(models_dir, ignore_errors=True)
    with LinkageSession(records, engine=engine) as session:
        models = J.train_or_load(session, models_dir, retrain=True, seed=seed)
        t1 = time.perf_counter()
        pairs = J.predict_all(session, models)
    t2 = time.perf_counter()
    clusters = J.cluster_all(records, pairs)
    t3 = time.perf_counter()
    return models, pairs, clusters, {"train_s": round(t1 - t0, 1),
                                     "predict_s": round(t2 - t1, 1),
                                     "cluster_s": round(t3 - t2, 1)}


def child(workdir: Path, errors: bool, seed: int) -> dict:
    """Train, score, cluster, evaluate; returns figures (run in its own process)."""
    import duckdb

    from bold_assets.linkage import evaluation as ev
    from bold_assets.linkage import justice as J
    from bold_assets.sources import CRIMINAL_SOURCES, WAVE_0_SOURCES, WEAK_SOURCES

    con = duckdb.connect(str(workdir / "world.duckdb"), read_only=True)
    records = J.read_std(con)
    con.close()
    # the last run's models, kept for inspection
    models, pairs, clusters, times = link_timed(records, workdir / "models", seed)
    out = duckdb.connect(str(workdir / "run.duckdb"))
    out.execute("ATTACH '" + str(workdir / "world.duckdb") + "' AS w (READ_ONLY)")
    out.register("__c", clusters)
    out.execute("CREATE OR REPLACE TABLE clusters AS SELECT * FROM __c")
    out.register("__p", pairs)
    out.execute("CREATE OR REPLACE TABLE pairs AS SELECT * FROM __p")
    f1 = ev.f1_table(out, "clusters", "w.truth.record_person", CRIMINAL_SOURCES, WEAK_SOURCES,
                     ("medium",))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pick = {r.scope: r for r in f1.itertuples()}
    result = {
        "records": records.num_rows,
        "pairs": pairs.num_rows,
        **times, "peak_rss_mb": round(peak_mb),
        "priors": {n: m["model"]["probability_two_random_records_match"]
                   for n, m in models.items()},
    }
    for scope in ("criminal", "family_civil", "all"):
        r = pick[scope]
        result[scope] = {"precision": r.precision, "recall": r.recall, "f1": r.f1}
    # precision of the scored pairs at medium (each pair once), beside the clusters' (all
    # pairs within a cluster): the gap is what transitive closure adds
    result["pair_precision"] = out.execute("""
        WITH e AS (SELECT DISTINCT source_dataset_l, record_id_l, source_dataset_r, record_id_r
                   FROM pairs WHERE match_probability >= 0.8)
        SELECT avg((a.person_id = b.person_id)::INT) FROM e
        JOIN w.truth.record_person a ON a.source_dataset = e.source_dataset_l
             AND CAST(a.record_id AS VARCHAR) = e.record_id_l
        JOIN w.truth.record_person b ON b.source_dataset = e.source_dataset_r
             AND CAST(b.record_id AS VARCHAR) = e.record_id_r""").fetchall()[0][0]
    if errors:
        result["errors"] = error_analysis(out, WAVE_0_SOURCES)
    out.close()
    return result


def error_analysis(con, sources: tuple[str, ...]) -> dict[str, list]:
    """False and missed pairs at medium by name frequency, birth year and source pair.

    False pairs: records in one cluster belonging to different persons, counted per pair of
    records that are directly scored (edges >= medium across persons). Missed pairs: records of
    one person in different clusters, counted per pair. Name frequency is the number of records
    holding the (forename, surname) pair of the left record, in bands.
    """
    std = " UNION ALL BY NAME ".join(f"SELECT * FROM w.linkage.std_{s}" for s in sources)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE lab AS
        SELECT c.source_dataset, c.record_id, c.cluster_medium AS cl, t.person_id,
               s.forename1_std, s.surname_std, s.dob_year, s.dob_std, s.postcode_std
        FROM clusters c
        JOIN w.truth.record_person t ON t.source_dataset = c.source_dataset
             AND CAST(t.record_id AS VARCHAR) = c.record_id
        JOIN ({std}) s
          ON s.source_dataset = c.source_dataset AND s.record_id = c.record_id
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE namefreq AS
        SELECT forename1_std, surname_std, count(*) AS n FROM lab GROUP BY ALL
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE edges AS
        SELECT p.model, p.match_probability, p.match_key,
               l.source_dataset AS sl, r.source_dataset AS sr,
               l.person_id = r.person_id AS true_match,
               l.forename1_std = r.forename1_std AND l.surname_std = r.surname_std AS same_name,
               l.dob_std = r.dob_std AS same_dob, l.postcode_std = r.postcode_std AS same_pc,
               l.dob_std IS NULL OR r.dob_std IS NULL AS dob_missing,
               coalesce(nf.n, 0) AS name_n, l.dob_year
        FROM pairs p
        JOIN lab l ON l.source_dataset = p.source_dataset_l AND l.record_id = p.record_id_l
        JOIN lab r ON r.source_dataset = p.source_dataset_r AND r.record_id = p.record_id_r
        LEFT JOIN namefreq nf ON nf.forename1_std = l.forename1_std
                             AND nf.surname_std = l.surname_std
        WHERE p.match_probability >= 0.8
    """)
    band = ("CASE WHEN name_n <= 2 THEN 'a:1-2' WHEN name_n <= 5 THEN 'b:3-5' "
            "WHEN name_n <= 20 THEN 'c:6-20' WHEN name_n <= 100 THEN 'd:21-100' "
            "ELSE 'e:100+' END")
    res = {}
    res["false_edges_by_name_freq"] = con.execute(f"""
        SELECT {band} AS band, count(*) FILTER (WHERE NOT true_match) AS false_edges,
               count(*) AS edges FROM edges GROUP BY 1 ORDER BY 1""").fetchall()
    res["false_edges_by_model"] = con.execute("""
        SELECT model, count(*) FILTER (WHERE NOT true_match), count(*),
               count(*) FILTER (WHERE NOT true_match AND same_name),
               count(*) FILTER (WHERE NOT true_match AND same_dob),
               count(*) FILTER (WHERE NOT true_match AND dob_missing)
        FROM edges GROUP BY 1 ORDER BY 1""").fetchall()
    res["false_edges_by_key"] = con.execute("""
        SELECT model, match_key, count(*) FILTER (WHERE NOT true_match) AS f, count(*)
        FROM edges GROUP BY ALL HAVING f > 0 ORDER BY f DESC LIMIT 15""").fetchall()
    res["false_edges_by_decade"] = con.execute("""
        SELECT dob_year // 10 * 10, count(*) FILTER (WHERE NOT true_match), count(*)
        FROM edges GROUP BY 1 ORDER BY 1""").fetchall()
    # missed pairs: pairs of records of one person, not in one cluster, per source pair
    res["missed_pairs_by_source_pair"] = con.execute("""
        WITH pp AS (
          SELECT least(a.source_dataset, b.source_dataset) || '-' ||
                 greatest(a.source_dataset, b.source_dataset) AS sp,
                 a.cl = b.cl AS linked
          FROM lab a JOIN lab b ON a.person_id = b.person_id
           AND (a.source_dataset, a.record_id) < (b.source_dataset, b.record_id))
        SELECT sp, count(*) FILTER (WHERE NOT linked) AS missed, count(*) AS true_pairs
        FROM pp GROUP BY 1 ORDER BY missed DESC LIMIT 15""").fetchall()
    res["false_pairs_by_source_pair"] = con.execute("""
        WITH pp AS (
          SELECT least(a.source_dataset, b.source_dataset) || '-' ||
                 greatest(a.source_dataset, b.source_dataset) AS sp
          FROM lab a JOIN lab b ON a.cl = b.cl AND a.person_id <> b.person_id
           AND (a.source_dataset, a.record_id) < (b.source_dataset, b.record_id))
        SELECT sp, count(*) FROM pp GROUP BY 1 ORDER BY 2 DESC LIMIT 15""").fetchall()
    res["missed_by_name_freq"] = con.execute(f"""
        WITH pp AS (
          SELECT a.cl = b.cl AS linked, nf.n AS name_n
          FROM lab a JOIN lab b ON a.person_id = b.person_id
           AND (a.source_dataset, a.record_id) < (b.source_dataset, b.record_id)
          LEFT JOIN namefreq nf ON nf.forename1_std = a.forename1_std
                               AND nf.surname_std = a.surname_std)
        SELECT {band.replace('name_n', 'coalesce(name_n, 0)')} AS band,
               count(*) FILTER (WHERE NOT linked), count(*) FROM pp GROUP BY 1 ORDER BY 1
    """).fetchall()
    return res


def run_child(workdir: Path, errors: bool, seed: int) -> dict:
    cmd = [sys.executable, str(HERE), "--child", "--workdir", str(workdir),
           "--seed", str(seed)]
    if errors:
        cmd.append("--errors")
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stdout[-3000:] + out.stderr[-5000:])
        raise SystemExit("linkage run failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def append_csv(label: str, n: int, r: dict) -> None:
    """One population's rows of `benchmarks/results/linkage_quality.csv` (written as each
    population finishes, so a later failure keeps the figures already measured)."""
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "linkage_quality.csv"
    new = not out.exists()
    with out.open("a", newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(["label", "persons", "records", "scope", "precision", "recall", "f1",
                        "train_s", "predict_s", "cluster_s", "peak_rss_mb"])
        for scope in ("criminal", "family_civil", "all"):
            s = r[scope]
            w.writerow([label, n, r["records"], scope, s["precision"], s["recall"], s["f1"],
                        r["train_s"], r["predict_s"], r["cluster_s"], r["peak_rss_mb"]])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--populations", default="68000,208000,2080000",
                        help="comma-separated population sizes (persons)")
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "bold-blq"),
                        help="folder for the cached worlds (reused across runs)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--errors", action="store_true", help="print an error analysis")
    parser.add_argument("--label", default="", help="label of this run in the CSV")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.workdir), args.errors, args.seed), default=str))
        return 0
    root = Path(args.workdir)
    rows = []
    for n in (int(x.replace("_", "")) for x in args.populations.split(",")):
        workdir = root / f"pop_{n}_seed_{args.seed}"
        t = time.perf_counter()
        prepare(workdir, n, args.seed)
        print(f"population {n:,}: world ready in {time.perf_counter() - t:.0f} s", flush=True)
        res = run_child(workdir, args.errors, args.seed)
        rows.append((n, res))
        append_csv(args.label, n, res)
        print(f"  {res['records']:,} records, {res['pairs']:,} scored pairs; train "
              f"{res['train_s']} s, predict {res['predict_s']} s, cluster {res['cluster_s']} s, "
              f"peak RSS {res['peak_rss_mb']:,} MB", flush=True)
        for scope in ("criminal", "family_civil"):
            r = res[scope]
            print(f"  {scope:13s} P {r['precision']:.4f} R {r['recall']:.4f} F1 {r['f1']:.4f}",
                  flush=True)
        print(f"  pairs scored >= medium: precision {res['pair_precision']:.4f}; clusters "
              f"(every pair within one): precision {res['all']['precision']:.4f}", flush=True)
        print("  priors: " + ", ".join(f"{k} {v:.3g}" for k, v in res["priors"].items()))
        if args.errors:
            for k, v in res["errors"].items():
                print(f"  {k}:")
                for row in v:
                    print("     ", row)
    print("\nF1 by population size, medium threshold (against truth)\n")
    print("| persons | records | criminal P | criminal R | criminal F1 | family/civil P | "
          "family/civil R | family/civil F1 | linkage s | peak RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, r in rows:
        c, w = r["criminal"], r["family_civil"]
        secs = r["train_s"] + r["predict_s"] + r["cluster_s"]
        print(f"| {n:,} | {r['records']:,} | {c['precision']:.4f} | {c['recall']:.4f} | "
              f"{c['f1']:.4f} | {w['precision']:.4f} | {w['recall']:.4f} | {w['f1']:.4f} | "
              f"{secs:.0f} | {r['peak_rss_mb']:,} |")
    print(f"\nappended to {RESULTS / 'linkage_quality.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
