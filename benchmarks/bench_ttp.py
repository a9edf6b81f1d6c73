"""Wave-4 linkage through a trusted third party (`linkage.ttp`) against the truth.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_ttp.py                       # 68,000
    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_ttp.py --population 20000 --workdir /tmp/t

A world of `--population` persons (waves 0-4) is generated into `<workdir>/world.duckdb` (raw,
reference and truth tables), wave 0's sources standardised and linked (its models trained, every
record clustered, the spine's ids issued: what the wave-0 assets do), and wave 1's PNC added to
the spine (`wave_link.link_wave_people`; waves 2 and 3 add nobody to it). That warehouse is kept
and reused by later runs with the same population and seed. Then, on a copy, the wave-4 plan
(`catalog/waves.py`, `ttp_councils`) runs: its council sources are standardised, the TTP's
dedupe model is trained (`--retrain`: again) and its records clustered at several thresholds,
each scored against the truth (pairs over all council records, across the two sources, across
councils and across quarters, and whole persons); then `ttp.ttp` (the default threshold) and
the trace of the spine's persons to the TTP persons, scored as the `evaluation/wave_4_*` assets
score them. Prints the wall times and the tables.

Targets: TTP F1 >= 0.95 across councils and quarters, into-spine F1 >= 0.97. Measured at 68,000
(seed 7; about a minute in all): 10,726 council records (2,028 H-CLIC, 8,698 tenancies) of 6,461
people; TTP at 0.8 F1 0.987 over all pairs (P 0.996, R 0.979), 0.983 across councils, 0.987
across quarters, 0.981 across the two sources, 0.981 whole persons; the spine traced to its
persons F1 0.976 per TTP person (P 0.986, R 0.966), 0.980 per council record, 0.937 per spine
person (279 of its 408 misses are spine persons split from one whose TTP person it took).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import duckdb
import pandas as pd

THRESHOLD_GRID = (0.5, 0.8, 0.9, 0.95, 0.99)


def prepare(workdir: Path, population: int, seed: int) -> Path:
    """World warehouse with waves 0-4 raw, truth and reference, wave 0 linked and the spine's
    ids issued, PNC added to the spine (cached in `workdir`)."""
    from bold_assets import warehouse as wh
    from bold_assets.catalog import CATALOG
    from bold_assets.linkage import incremental as inc
    from bold_assets.linkage import justice as J
    from bold_assets.linkage import spine_tables
    from bold_assets.linkage import wave_link as W
    from bold_assets.linkage.core import LinkageSession
    from bold_assets.sources import WAVE_0_SOURCES
    from bold_assets.world import generate_world
    from bold_assets.world.store import write_frame

    workdir.mkdir(parents=True, exist_ok=True)
    path, models, done = workdir / "world.duckdb", workdir / "models", workdir / "world.ok"
    key = {"population": population, "seed": seed}
    if done.exists() and json.loads(done.read_text()) == key:
        return path
    path.unlink(missing_ok=True)
    shutil.rmtree(models, ignore_errors=True)
    t = time.perf_counter()
    world = generate_world(population, seed, up_to_wave=4)
    with wh.connect(path) as con:
        for name, frame in world.tables.items():
            write_frame(con, name, frame)
    print(f"world of {population:,}: {time.perf_counter() - t:.0f} s")
    t = time.perf_counter()
    with wh.connect(path) as con:
        for s in WAVE_0_SOURCES:
            J.standardise_source(con, s)
        records = J.read_std(con)
        with LinkageSession(records) as session:
            trained = J.train_or_load(session, models, retrain=True, seed=seed)
            pairs = J.predict_all(session, trained)
        J.write_arrow(con, "linkage", "pairwise_predictions", pairs)
        J.write_arrow(con, "linkage", "person_clusters", J.cluster_all(records, pairs))
        inc.record_versions(con, trained)
        spine_tables.refresh_ids(con)
        print(f"wave 0 linked: {time.perf_counter() - t:.0f} s")
        t = time.perf_counter()
        spec = W.wave_link_spec(CATALOG, 1)
        for p in spec.into_spine:
            J.standardise_source(con, p.source)
        W.link_wave_people(con, models, spec, seed=seed)
        print(f"wave 1 people into the spine: {time.perf_counter() - t:.0f} s")
    done.write_text(json.dumps(key))
    return path


def _c2(n: pd.Series) -> pd.Series:
    return n * (n - 1) / 2


def _pairs(d: pd.DataFrame, by: list[str], apart: str | None) -> float:
    """Pairs of records sharing `by` (and, with `apart`, differing on that column)."""
    n = _c2(d.groupby(by).size()).sum()
    return float(n - _c2(d.groupby([*by, apart]).size()).sum()) if apart else float(n)


def _prf(tp: float, linked: float, true: float) -> dict[str, float]:
    p, r = tp / linked if linked else float("nan"), tp / true if true else float("nan")
    return {"precision": round(p, 4), "recall": round(r, 4),
            "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def ttp_scores(labelled: pd.DataFrame, cluster: str) -> dict[str, dict[str, float]]:
    """Pairwise P / R / F1 of a clustering of council records (`labelled`: source_dataset,
    la_code, quarter, person_id and the cluster column): all pairs, pairs across the two
    sources, across councils, across quarters; and whole persons."""
    d = labelled.rename(columns={cluster: "c"})
    out = {}
    for scope, apart in (("all pairs", None), ("across sources", "source_dataset"),
                         ("across councils", "la_code"), ("across quarters", "quarter")):
        out[scope] = _prf(_pairs(d, ["c", "person_id"], apart), _pairs(d, ["c"], apart),
                          _pairs(d, ["person_id"], apart))
    c = d.groupby("c").agg(person=("person_id", "min"), persons=("person_id", "nunique"),
                           n=("person_id", "size"))
    sizes = d.groupby("person_id").size()
    right = ((c["persons"] == 1) & (c["n"] == sizes.reindex(c["person"]).to_numpy())).sum()
    out["persons"] = _prf(float(right), float(len(c)), float(len(sizes)))
    return out


def labelled_sql(plan) -> str:
    """Council records with their true person, council and quarter (of the event date)."""
    parts = [f"""SELECT s.source_dataset, s.record_id, r.la_code,
                        strftime(s.event_date, '%Y') || 'Q' || quarter(s.event_date) AS quarter
                 FROM linkage.std_{c.name} s
                 JOIN raw.{c.name} r ON CAST(r."{c.key}" AS VARCHAR) = s.record_id"""
             for c in plan.councils]
    return f"""SELECT x.*, t.person_id FROM ({' UNION ALL '.join(parts)}) x
               JOIN truth.record_person t ON t.source_dataset = x.source_dataset
                                         AND CAST(t.record_id AS VARCHAR) = x.record_id"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--population", type=int, default=68_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/bold-bench-ttp"))
    ap.add_argument("--retrain", action="store_true", help="train wave 4's models again")
    args = ap.parse_args()
    pd.set_option("display.width", 200)
    from bold_assets.catalog import CATALOG
    from bold_assets.linkage import justice as J
    from bold_assets.linkage import ttp as TTP
    from bold_assets.linkage import wave_evaluation as E
    from bold_assets.linkage import wave_link as W

    world = prepare(args.workdir / f"pop_{args.population}", args.population, args.seed)
    run, models = world.parent / "run.duckdb", world.parent / "models"
    shutil.copy(world, run)
    (plan,) = W.wave_link_spec(CATALOG, 4).ttps
    with duckdb.connect(str(run)) as con:
        for c in plan.councils:
            J.standardise_source(con, c)
        labelled = con.execute(labelled_sql(plan)).df()
        print(f"council records: {len(labelled):,} of {labelled['person_id'].nunique():,} "
              f"true persons; by source:\n{labelled.groupby('source_dataset').size()}")
        t = time.perf_counter()
        grid = {f"t{int(p * 1000)}": p for p in THRESHOLD_GRID}
        clusters, _ = W.cluster_people(con, plan.keyed, TTP.ids_model_plan(plan), models,
                                       thresholds=grid, retrain=args.retrain, seed=args.seed)
        print(f"TTP model and clustering: {time.perf_counter() - t:.0f} s")
        m = labelled.merge(clusters, on=["source_dataset", "record_id"])
        rows = [{"threshold": p, "scope": scope, **prf}
                for k, p in grid.items() for scope, prf in ttp_scores(m, f"cluster_{k}").items()]
        print("TTP ids against the truth, by clustering threshold:")
        print(pd.DataFrame(rows).pivot(index="scope", columns="threshold", values="f1"))
        print(pd.DataFrame(rows).set_index(["threshold", "scope"]))
        t = time.perf_counter()
        ids = TTP.assign_ttp_ids(con, plan, models, seed=args.seed)  # the model above
        links = TTP.link_ttp_into_spine(con, plan, models, retrain=args.retrain,
                                        seed=args.seed)
        summary = ids | links | {"models": ids["models"] | links["models"]}
        print(f"ttp (both steps): {time.perf_counter() - t:.0f} s", summary)
        table = con.execute(f"SELECT * FROM linkage.{plan.ids_table}").df()
        print(f"TTP at {TTP.TTP_THRESHOLD}:",
              ttp_scores(labelled.merge(table, on=["source_dataset", "record_id"]), "ttp_id"))
        f1 = pd.concat([
            E.ttp_f1(con, plan.name, plan.council_names, f"linkage.{plan.ids_table}"),
            E.trace_f1(con, "spine", plan.council_names, E.spine_traced_sql(plan.traced),
                       E.spine_trace_links_sql(f"linkage.{plan.table}"), plan.name)])
        print(f1[["scope", "precision", "recall", "f1", "true_pairs"]].to_string(index=False))
        rates = E.trace_rates(con, plan.council_names, E.spine_traced_sql(plan.traced),
                              E.spine_trace_links_sql(f"linkage.{plan.table}"))
        print(rates.to_string(index=False))


if __name__ == "__main__":
    main()
