"""Benchmark (issue 19): coverage of the estimates' 90% intervals against truth, per variant of
the estimator's error terms, on warehouses `bold materialize` finished (all waves, with truth).

The published estimator draws every measured person's need as a binomial (a stand-in for
linkage errors no scored pair reveals): its intervals are too wide. This script measures
truth-free narrower choices of whom to draw (`estimator.Inputs.uncertain`), and one more source
of links, without changing what is published:

- published: every measured person drawn (`uncertain=None`);
- no sampling: nobody drawn (only the links drawn from scored pairs and the imputation);
- clusterings: the persons whose three clusterings disagree (`research.xjs_link`: a medium
  person made of several high clusters, or inside a low cluster holding other medium persons);
- + collisions: and the spine persons whose best PDS person went to another spine person in the
  wave-3 trace (`trace.one_to_one` drops them), drawn as links to that person with their trace
  probability: two spine persons tracing to one NHS number are likely one person split;
- + untraced: and the persons in the PDS trace's scope that it did not trace;
- + calibrated: as "+ untraced", with the scored pairs' match probabilities recalibrated on the
  PDS trace's silver labels (`calibrate`: two spine persons tracing best to one PDS record);
- oracle: the persons linkage truly built wrongly (read from truth, so not a method: the
  ceiling of drawing a set of persons). A person of the wave's spine whose records are not
  exactly all the records of one true person (research link files of waves up to it).

    python benchmarks/bench_estimate_coverage.py --warehouse data/bold.duckdb [--warehouse ...]

Each warehouse needs its project key (BOLD_PROJECT_KEY, or the key file beside it) and its
models folder beside it. Prints, per variant and wave, the LAD coverage of the validated
measures, the mean interval width and the mean error; then pooled over the warehouses. The
estimates are compared before rounding and suppression (every LAD cell), so "published" is the
published method's coverage, not that of the published rows (`evaluation.estimate_coverage`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bold_assets.catalog import CATALOG  # noqa: E402
from bold_assets.defs.estimates import WAVE_ESTIMATES  # noqa: E402
from bold_assets.defs.evaluation.estimate_coverage import record_people, truth  # noqa: E402
from bold_assets.defs.resources import WarehouseResource  # noqa: E402
from bold_assets.estimates import coverage, reading  # noqa: E402
from bold_assets.estimates import estimator as E  # noqa: E402
from bold_assets.linkage import trace as T  # noqa: E402
from bold_assets.linkage import wave_link as W  # noqa: E402
from bold_assets.linkage.spine import research_id_sql  # noqa: E402

VARIANTS = ("published", "no sampling", "clusterings", "+ collisions", "+ untraced",
            "+ calibrated", "oracle")
TRACE_WAVE = 3  # the wave whose spine trace goes to a population file (PDS)


def clusterings_disagree(con: duckdb.DuckDBPyConnection) -> set:
    links = con.execute("SELECT estimated_xjs_id AS m, xjs_id_high AS h, xjs_id_low AS l "
                        "FROM research.xjs_link").df()
    highs = links.groupby("m")["h"].nunique()
    mediums_in_low = links.groupby("l")["m"].nunique()
    return set(highs[highs > 1].index) | set(links.loc[links["l"].map(mediums_in_low) > 1, "m"])


def _research_ids(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame,
                  columns: tuple[str, ...]) -> pd.DataFrame:
    """`frame` with its spine person ids in `columns` keyed as research ids."""
    con.register("_bold_ids", frame)
    try:
        keyed = ", ".join(f"{research_id_sql(c)} AS {c}" for c in columns)
        return con.execute(f"SELECT * REPLACE ({keyed}) FROM _bold_ids").df()
    finally:
        con.unregister("_bold_ids")


def trace_frames(con: duckdb.DuckDBPyConnection, models: Path
                 ) -> tuple[pd.DataFrame, pd.Series]:
    """The PDS trace scored again: (collisions, best). Collisions (id_l, id_r,
    match_probability): spine persons whose best reference person the one-to-one step gave to
    another, with that other. Best: each scored spine person's best reference person (research
    ids; the silver labels of `calibrate`)."""
    plan = W.wave_link_spec(CATALOG, TRACE_WAVE).spine_traces[0]
    scores = T.trace_scores(con, plan, models).scores
    best = T.best_reference(scores)
    links = T.one_to_one(scores)
    lost = best[~best["traced"].isin(links["traced"])]
    collisions = _research_ids(con, pd.DataFrame({
        "id_l": lost["traced"].astype("int64").to_numpy(),
        "id_r": lost["reference"].map(links.set_index("reference")["traced"]).astype("int64")
        .to_numpy(),
        "match_probability": lost["match_probability"].to_numpy()}), ("id_l", "id_r"))
    refs = _research_ids(con, pd.DataFrame({"id": best["traced"].astype("int64").to_numpy(),
                                            "reference": best["reference"].to_numpy()}), ("id",))
    return collisions, refs.set_index("id")["reference"]


def calibrate(pairs: pd.DataFrame, best: pd.Series) -> pd.DataFrame:
    """`pairs` with match probabilities recalibrated on silver labels: a scored pair of two
    traced persons is labelled one person when both trace best to the same PDS record. A
    logistic regression of the label on the logit of the probability (Platt scaling, fitted by
    Newton's method) maps every pair's probability."""
    p = pairs["match_probability"].clip(1e-6, 1 - 1e-6).to_numpy(float)
    x = np.log(p / (1 - p))
    ref_l, ref_r = pairs["id_l"].map(best), pairs["id_r"].map(best)
    known = (ref_l.notna() & ref_r.notna()).to_numpy()
    y = (ref_l == ref_r).to_numpy(float)[known]
    design = np.column_stack([np.ones(known.sum()), x[known]])
    beta = np.zeros(2)
    for _ in range(50):
        fitted = 1 / (1 + np.exp(-design @ beta))
        hessian = design.T @ (design * (fitted * (1 - fitted))[:, None]) + 1e-6 * np.eye(2)
        beta += np.linalg.solve(hessian, design.T @ (y - fitted))
    print(f"  silver labels: {known.sum()} of {len(pairs)} scored pairs, {y.mean():.3f} one "
          f"person; calibration logit' = {beta[0]:.2f} + {beta[1]:.2f} logit")
    return pairs.assign(match_probability=1 / (1 + np.exp(-(beta[0] + beta[1] * x))))


def _one_per_pair(scored: pd.DataFrame, more: pd.DataFrame) -> pd.DataFrame:
    """The scored cross-person pairs and `more`, one row per pair of persons (its highest
    probability): a pair in both would otherwise get two chances to be drawn."""
    both = pd.concat([scored, more], ignore_index=True)
    left, right = both["id_l"], both["id_r"]
    both = both.assign(id_l=left.where(left < right, right), id_r=right.where(left < right, left))
    # in the order of reading.cross_person_pairs: the draws follow the rows
    return (both.sort_values("match_probability", ascending=False, kind="stable")
            .drop_duplicates(["id_l", "id_r"]).sort_values(["id_l", "id_r"])
            .reset_index(drop=True))


def untraced(con: duckdb.DuckDBPyConnection) -> set:
    source = "pds"
    in_scope = reading.persons_with(con, TRACE_WAVE, reading.scope_sources(TRACE_WAVE, source))
    return in_scope - reading.persons_with(con, TRACE_WAVE, [source])


def split_and_merged(con: duckdb.DuckDBPyConnection, wave: int) -> tuple[set, set]:
    """Evaluation only (reads truth): the wave's persons that are a piece of a split true person,
    and those holding records of several true persons (research link files of waves up to it)."""
    links = pd.concat([con.execute(f"SELECT source_dataset, row_id_hash, estimated_xjs_id "
                                   f"FROM research.{t}").df()
                       for w, t in reading.research_links().items() if w <= wave])
    links = links.drop_duplicates(["source_dataset", "row_id_hash"]).merge(
        record_people(con), on=["source_dataset", "row_id_hash"])
    true_people = links.groupby("estimated_xjs_id")["person_id"].nunique()
    pieces = links.groupby("person_id")["estimated_xjs_id"].nunique()
    split = set(links.loc[links["person_id"].map(pieces) > 1, "estimated_xjs_id"])
    return split, set(true_people[true_people > 1].index)


def wrongly_built(con: duckdb.DuckDBPyConnection, wave: int) -> frozenset:
    """Evaluation only: the wave's persons whose records are not all the records of one true
    person: merged with another person's, or a piece of a split person."""
    split, merged = split_and_merged(con, wave)
    return frozenset(split | merged)


def measure(path: Path) -> pd.DataFrame:
    os.environ["BOLD_WAREHOUSE"] = str(path)
    waves = sorted(WAVE_ESTIMATES)
    marts, latent = truth(WarehouseResource(database=str(path)), waves)
    with duckdb.connect(str(path), read_only=True) as con:
        inputs = {w: reading.read_inputs(con, w) for w in waves}  # registers bold_hmac
        disagree = clusterings_disagree(con)
        collisions, best = trace_frames(con, path.parent / "models")
        not_traced = untraced(con)
        oracle = {w: wrongly_built(con, w) for w in waves}
    colliding = set(collisions["id_l"]) | set(collisions["id_r"])
    choices = {"published": (None, False), "no sampling": (frozenset(), False),
               "clusterings": (frozenset(disagree), False),
               "+ collisions": (frozenset(disagree | colliding), True),
               "+ untraced": (frozenset(disagree | colliding | not_traced), True),
               "+ calibrated": (frozenset(disagree | colliding | not_traced), True),
               "oracle": (oracle, False)}
    # the scored pairs are the spine's, the same for every wave: recalibrated once
    calibrated = calibrate(inputs[waves[0]][0].pairs, best)
    rows = []
    for name in VARIANTS:
        uncertain, with_collisions = choices[name]
        estimates = []
        for w, (inp, plans) in inputs.items():
            scored = calibrated if name == "+ calibrated" else inp.pairs
            pairs = _one_per_pair(scored, collisions) if with_collisions else scored
            drawn = uncertain[w] if isinstance(uncertain, dict) else uncertain
            est = E.estimate(E.Inputs(inp.persons, inp.flags, inp.linked, inp.in_scope, pairs,
                                      drawn), plans)
            estimates.append(est.assign(wave=w, suppressed=False))
        cells = coverage.coverage_cells(pd.concat(estimates, ignore_index=True), marts, latent)
        if cells["truth"].isna().all():
            raise SystemExit(f"{path}: no estimate meets a true person: is BOLD_PROJECT_KEY "
                             "this warehouse's key? (unset, the key file beside it is read)")
        lad = cells[(cells["geography_level"] == "lad") & (cells["pool"] == "validated")]
        rows.append(lad.assign(variant=name, warehouse=str(path),
                               error=lad["estimate"] - lad["truth"]))
    print(f"{path}: {len(disagree)} persons on which the clusterings disagree, "
          f"{len(collisions)} trace collisions, {len(not_traced)} untraced in scope")
    return pd.concat(rows, ignore_index=True)


def table(cells: pd.DataFrame) -> pd.DataFrame:
    g = cells.groupby(["variant", "wave"], sort=False)
    return g.agg(cells=("covered", "size"), coverage=("covered", "mean"),
                 mean_width=("width", "mean"), mean_error=("error", "mean"),
                 sd_error=("error", "std")).round(4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", action="append", required=True, type=Path,
                        help="a finished warehouse (repeat for several seeds)")
    args = parser.parse_args(argv)
    every = [measure(p) for p in args.warehouse]
    for cells in every:
        print(f"\n{cells['warehouse'].iloc[0]}\n{table(cells).to_string()}")
    if len(every) > 1:
        pooled = pd.concat(every, ignore_index=True)
        print(f"\npooled over {len(every)} warehouses\n"
              f"{pooled.groupby('variant', sort=False)['covered'].mean().round(4).to_string()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
