"""Wave-1 linkage quality: PNC into the spine, NPD pupils to PNC people, against truth.

Works on a copy of a warehouse built by `bold materialize` (wave 0's linkage, the wave-1 raw
tables, truth) and its models folder beside it, e.g.

    BOLD_WAREHOUSE=/tmp/x/bold.duckdb bold materialize --select '+linkage/person_ids,raw/*,truth/*'

The wave's rows already in the spine (and the pupil links) are taken out of the copy and linked
again from its declaration (`wave_link.wave_link_spec`), with the models in the copy's models
folder (those of wave 1 retrained with `--retrain`). Prints the wall time of the wave-1 linkage,
the F1 tables, the match rates by ethnic group and the subgroup errors.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_wave1_linkage.py /tmp/x/bold.duckdb
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

from bold_assets.catalog import CATALOG
from bold_assets.linkage import wave_evaluation as E
from bold_assets.linkage import wave_link as W


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("warehouse", type=Path)
    ap.add_argument("--retrain", action="store_true", help="train wave 1's models again")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    pd.set_option("display.width", 200)
    with tempfile.TemporaryDirectory(prefix="bold-wave1-") as tmp:
        path, models = Path(tmp) / "bold.duckdb", Path(tmp) / "models"
        shutil.copy(args.warehouse, path)
        if (args.warehouse.parent / "models").exists():
            shutil.copytree(args.warehouse.parent / "models", models)
        spec = W.wave_link_spec(CATALOG, 1)
        (people,), (pupils_link,) = spec.into_spine, spec.links
        pnc, npd, wave0 = people.source, pupils_link.source, spec.spine_sources
        with duckdb.connect(str(path)) as con:
            for t in ("person_ids", "person_ids_history"):
                con.execute(f"DELETE FROM linkage.{t} WHERE source_dataset = '{pnc.name}'")
            con.execute(f"DROP TABLE IF EXISTS linkage.{pupils_link.table}")
            t = time.perf_counter()
            spine = W.link_people_into_spine(
                con, pnc, people.key, wave0, models, retrain=args.retrain, seed=args.seed,
                dedupe_name=people.dedupe_name, link_name=people.link_name)
            pupils = W.link_population(con, npd, pupils_link.key, pnc.name, models,
                                   retrain=args.retrain, seed=args.seed,
                                   plan_name=pupils_link.name, table=pupils_link.table)
            print(f"wave-1 linkage: {time.perf_counter() - t:.1f} s",
                  {"into_spine": spine, "pupils": pupils})
            groups = W.key_groups_sql(npd, pupils_link.key)
            print("\nPNC -> spine (pairs with the spine, within PNC):")
            print(E.spine_f1(con, pnc.name, wave0).round(4).to_string(index=False))
            print("\nNPD -> PNC (pairs pupil record x PNC record; per pupil record):")
            print(E.population_f1(con, npd.name, pnc.name, groups).round(4).to_string(index=False))
            print("\nPNC people (born no earlier than the first pupil) matched to an NPD pupil:")
            print(E.population_match_rates(con, npd.name, pnc.name).to_string(index=False))
            cols = ["dimension", "subgroup", "records", "false_match_rate",
                    "missed_match_rate", "f1"]
            print("\nPNC records in the spine, by subgroup:")
            print(E.spine_subgroup_errors(con, pnc.name, wave0)[cols].round(3)
                  .to_string(index=False))
            print("\nNPD records, by subgroup:")
            print(E.population_subgroup_errors(con, npd.name, pnc.name, groups)[cols].round(3)
                  .to_string(index=False))


if __name__ == "__main__":
    main()
