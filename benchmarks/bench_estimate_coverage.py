"""Benchmark (issue 19): coverage of the estimates' 90% intervals against truth, per variant of
the estimator's error terms, on warehouses `bold materialize` finished (all waves, with truth).

The variants differ in whom the estimator draws (`estimator.Inputs.uncertain`, the stand-in for
the links no model scored); the published one is what `outputs.needs_estimates_wave_<n>` holds:

- published: the persons linkage may have built wrongly as production sees them
  (`reading.read_inputs`: the clusterings disagree, a trace collision, or in a population file's
  scope and not linked to it), with the trace collisions drawn as links;
- every person drawn: every measured person (`uncertain=None`: conservative);
- no sampling: nobody drawn (only the links drawn from scored pairs and the imputation);
- clusterings only: the persons whose three clusterings disagree, without the traces' evidence;
- oracle: the persons linkage truly built wrongly (read from truth, so not a method: the
  ceiling of drawing a set of persons). A person of the wave's spine whose records are not
  exactly all the records of one true person (research link files of waves up to it).

    python benchmarks/bench_estimate_coverage.py --warehouse data/bold.duckdb [--warehouse ...]
    python benchmarks/bench_estimate_coverage.py --published --warehouse ...  # published rows

Each warehouse needs its project key (BOLD_PROJECT_KEY, or the key file beside it). Prints, per
variant and wave, the LAD coverage of the validated measures, the mean interval width and the
mean error; then pooled over the warehouses. The estimates are compared before rounding and
suppression (every LAD cell), so "published" is the published method's coverage, not that of
the published rows (`evaluation.estimate_coverage`).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bold_assets.defs.estimates import WAVE_ESTIMATES  # noqa: E402
from bold_assets.defs.evaluation.estimate_coverage import record_people, truth  # noqa: E402
from bold_assets.defs.resources import WarehouseResource  # noqa: E402
from bold_assets.estimates import coverage, reading  # noqa: E402
from bold_assets.estimates import estimator as E  # noqa: E402

VARIANTS = ("published", "every person drawn", "no sampling", "clusterings only", "oracle")


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
        disagree = frozenset(reading.clusterings_disagree(con))
        scored = reading.cross_person_pairs(con)
        oracle = {w: wrongly_built(con, w) for w in waves}
    rows = []
    for name in VARIANTS:
        estimates = []
        for w, (inp, plans) in inputs.items():
            if name != "published":
                drawn = {"every person drawn": None, "no sampling": frozenset(),
                         "clusterings only": disagree, "oracle": oracle[w]}[name]
                pairs = inp.pairs if name != "clusterings only" else scored
                inp = replace(inp, pairs=pairs, uncertain=drawn)
            estimates.append(E.estimate(inp, plans).assign(wave=w, suppressed=False))
        cells = coverage.coverage_cells(pd.concat(estimates, ignore_index=True), marts, latent)
        if cells["truth"].isna().all():
            raise SystemExit(f"{path}: no estimate meets a true person: is BOLD_PROJECT_KEY "
                             "this warehouse's key? (unset, the key file beside it is read)")
        lad = cells[(cells["geography_level"] == "lad") & (cells["pool"] == "validated")]
        rows.append(lad.assign(variant=name, warehouse=str(path),
                               error=lad["estimate"] - lad["truth"]))
    inp = inputs[waves[0]][0]
    print(f"{path}: {len(disagree)} persons on which the clusterings disagree; wave "
          f"{waves[0]}: {inp.persons['estimated_xjs_id'].isin(inp.uncertain).sum()} of "
          f"{len(inp.persons)} persons drawn, {len(inp.pairs) - len(scored)} trace collisions "
          "besides the scored pairs")
    return pd.concat(rows, ignore_index=True)


def table(cells: pd.DataFrame) -> pd.DataFrame:
    g = cells.groupby(["variant", "wave"], sort=False)
    return g.agg(cells=("covered", "size"), coverage=("covered", "mean"),
                 mean_width=("width", "mean"), mean_error=("error", "mean"),
                 sd_error=("error", "std")).round(4)


def published_rows(paths: list[Path]) -> pd.DataFrame:
    """`evaluation.estimate_coverage` of the warehouses pooled (what the pipeline published and
    checked, nothing computed again), summarised as `evaluation.estimate_coverage_summary` is:
    per pool and wave, the published LAD rows' coverage, the exact (unrounded) interval's on the
    same rows, the naive interval's, mean widths and errors."""
    frames = []
    for path in paths:
        with duckdb.connect(str(path), read_only=True) as con:
            frames.append(con.execute("SELECT * FROM evaluation.estimate_coverage").df())
    return (coverage.summary(pd.concat(frames, ignore_index=True))
            .set_index(["pool", "wave"]).sort_index())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", action="append", required=True, type=Path,
                        help="a finished warehouse (repeat for several seeds)")
    parser.add_argument("--published", action="store_true",
                        help="only pool the warehouses' evaluation.estimate_coverage (the "
                             "published rows), computing nothing again")
    args = parser.parse_args(argv)
    if args.published:
        print(published_rows(args.warehouse).to_string())
        return 0
    every = [measure(p) for p in args.warehouse]
    for cells in every:
        print(f"\n{cells['warehouse'].iloc[0]}\n{table(cells).to_string()}")
    if len(every) > 1:
        pooled = pd.concat(every, ignore_index=True)
        print(f"\npooled over {len(every)} warehouses\n{table(pooled).to_string()}\n"
              f"{pooled.groupby('variant', sort=False)['covered'].mean().round(4).to_string()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
