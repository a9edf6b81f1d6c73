"""Benchmark (issue 19): where the spine's split persons are, and what production could see of
them, on warehouses `bold materialize` finished (all waves, with truth).

The estimates' errors lean one way (bench_estimate_coverage.py: mean error -0.005 in wave 0
against an SD of 0.009): a person split in two adds a person to a cell's denominator and rarely
a need to its count. The estimator draws merges from two truth-free sources of links: the
cross-person pairs the Splink models scored (`reading.cross_person_pairs`) and the spine
traces' collisions (`reading.trace_collisions`). This script measures, against truth, how much
of the splitting each source can see:

- the wave-0 spine's persons, true persons, split pieces and merged persons;
- the pairs of pieces of one true person: with a scored pair (by match probability) or none
  (outside blocking, or below the predict floor of 0.05);
- calibration of the scored cross-person pairs: mean match probability against the share that
  join pieces of one true person (what a link drawn from them should be);
- the persons in the PDS trace's scope, traced and not, and those whose best PDS person went to
  another spine person (collisions): the share of each that are split pieces.

    python benchmarks/bench_split_diagnosis.py --warehouse data/bold.duckdb [--warehouse ...]

Each warehouse needs its project key (BOLD_PROJECT_KEY, or the key file beside it). Prints
counts and shares only.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_estimate_coverage as coverage_bench  # noqa: E402

from bold_assets.estimates import reading  # noqa: E402

SPINE_WAVE = 0
TRACE_WAVE, TRACE_SOURCE = 3, "pds"  # the spine's trace to a population file

# each spine person's majority true person (ties: the highest id, so runs agree), and the
# scored pairs across spine persons
_PIECES = f"""
CREATE OR REPLACE TEMP TABLE _majority AS
SELECT person_id AS est, arg_max(true_person, (n, true_person)) AS true_person FROM (
    SELECT i.person_id, t.person_id AS true_person, count(*) AS n
    FROM linkage.person_ids AS i JOIN truth.record_person AS t USING (source_dataset, record_id)
    WHERE t.person_id IS NOT NULL GROUP BY ALL) GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE _scored AS
SELECT l, r, match_probability AS p FROM ({reading.SCORED_CROSS_PERSON_SQL});
"""


def pair_sources(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pieces of one true person by their best scored pair, calibration of scored pairs)."""
    con.execute(_PIECES)
    pieces = con.execute("""
        SELECT CASE WHEN s.p IS NULL THEN 'none scored' WHEN s.p < 0.5 THEN '0.05-0.5'
                    WHEN s.p < 0.9 THEN '0.5-0.9' ELSE '>= 0.9' END AS best_scored_pair,
               count(*) AS piece_pairs
        FROM _majority AS a JOIN _majority AS b ON a.true_person = b.true_person AND a.est < b.est
        LEFT JOIN _scored AS s ON s.l = a.est AND s.r = b.est
        GROUP BY 1 ORDER BY 1""").df()
    calibration = con.execute("""
        SELECT floor(s.p * 5) / 5 AS from_probability, count(*) AS pairs,
               round(avg(s.p), 3) AS mean_probability,
               round(avg((a.true_person = b.true_person)::INT), 3) AS share_one_person
        FROM _scored AS s JOIN _majority AS a ON a.est = s.l JOIN _majority AS b ON b.est = s.r
        GROUP BY 1 ORDER BY 1""").df()
    return pieces, calibration


def trace_sets(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per set of the wave-0 spine's persons (research ids): its size and share of split pieces."""
    wave = TRACE_WAVE
    persons = set(reading.read_inputs(con, SPINE_WAVE)[0].persons["estimated_xjs_id"])
    split, _ = coverage_bench.split_and_merged(con, SPINE_WAVE)
    collisions = reading.trace_collisions(con, [wave])  # bold_hmac: read_inputs registered it
    in_scope = persons & reading.persons_with(
        con, wave, reading.scope_sources(wave, TRACE_SOURCE))
    untraced = in_scope - reading.persons_with(con, wave, [TRACE_SOURCE])
    sets = {"all": persons, "in the trace's scope": in_scope, "traced": in_scope - untraced,
            "untraced": untraced,
            "colliding": persons & (set(collisions["id_l"]) | set(collisions["id_r"]))}
    return pd.DataFrame([{"persons": name, "n": len(s),
                          "split_share": round(len(s & split) / max(len(s), 1), 3)}
                         for name, s in sets.items()])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", action="append", required=True, type=Path,
                        help="a finished warehouse (repeat for several seeds)")
    args = parser.parse_args(argv)
    for path in args.warehouse:
        os.environ["BOLD_WAREHOUSE"] = str(path)
        with duckdb.connect(str(path), read_only=True) as con:
            pieces, calibration = pair_sources(con)
            persons, true = con.execute("SELECT count(*), count(DISTINCT true_person) "
                                        "FROM _majority").fetchone()
            sets = trace_sets(con)
        print(f"\n{path}: {persons} spine persons (all waves' records) for {true} true persons\n"
              f"pairs of pieces of one true person, by their best scored pair:\n"
              f"{pieces.to_string(index=False)}\n"
              f"scored cross-person pairs: match probability against truth:\n"
              f"{calibration.to_string(index=False)}\n"
              f"wave-{SPINE_WAVE} persons and the PDS trace (wave {TRACE_WAVE}):\n"
              f"{sets.to_string(index=False)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
