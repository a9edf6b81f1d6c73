"""Wave-1 linkage quality: PNC into the spine, NPD pupils to PNC people, against truth.

Works on a copy of a warehouse holding wave 0's linkage (`linkage.std_*`, `linkage.person_ids`)
and its models folder beside it, e.g. one built by

    BOLD_WAREHOUSE=/tmp/x/bold.duckdb \
        bold materialize --select 'raw/*,truth/*,reference/*,linkage/*'

By default (while the real wave-1 tables are not generated) the PNC and NPD tables come from
the test fixture `tests/wave1_fixture.py`; with `--real` the warehouse's own `raw.pnc_people` /
`raw.npd_census` and their declared sources are used. Prints the wall time of the wave-1
linkage, the F1 tables, the match rates by ethnic group and the subgroup errors.

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

from bold_assets.linkage import wave_evaluation as E
from bold_assets.linkage import wave_link as W
from bold_assets.sources import SOURCE_NAMES, get_source

# the spine's sources: wave 0's (the catalogue may also declare later waves' sources)
WAVE0 = tuple(s for s in SOURCE_NAMES if getattr(get_source(s), "wave", 0) == 0
              and s not in ("pnc_people", "npd_census"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("warehouse", type=Path)
    ap.add_argument("--real", action="store_true", help="the warehouse's own wave-1 tables")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    pd.set_option("display.width", 200)
    with tempfile.TemporaryDirectory(prefix="bold-wave1-") as tmp:
        path, models = Path(tmp) / "bold.duckdb", Path(tmp) / "models"
        shutil.copy(args.warehouse, path)
        if (args.warehouse.parent / "models").exists():
            shutil.copytree(args.warehouse.parent / "models", models)
        with duckdb.connect(str(path)) as con:
            if args.real:
                pnc, npd = get_source("pnc_people"), get_source("npd_census")
                print("wave-1 tables: the warehouse's own")
            else:
                from tests.wave1_fixture import NPD_FIXTURE, PNC_FIXTURE, write_wave1_fixture

                pnc, npd = PNC_FIXTURE, NPD_FIXTURE
                print("wave-1 tables: TEST FIXTURE (tests/wave1_fixture.py)",
                      write_wave1_fixture(con, args.seed))
            t = time.perf_counter()
            summary = W.link_wave(con, models, people=pnc, people_key="pnc_id", pupils=npd,
                                  pupil_key="upn", spine_sources=WAVE0)
            print(f"wave-1 linkage: {time.perf_counter() - t:.1f} s", summary)
            groups = W.key_groups_sql(npd, "upn")
            print("\nPNC -> spine (pairs with the spine, within PNC):")
            print(E.spine_f1(con, pnc.name, WAVE0).round(4).to_string(index=False))
            print("\nNPD -> PNC (pairs pupil record x PNC record; per pupil record):")
            print(E.pupil_f1(con, npd.name, pnc.name, groups).round(4).to_string(index=False))
            print(f"\nPNC people born from {E.NPD_BORN_FROM} matched to an NPD pupil:")
            print(E.pupil_match_rates(con, npd.name, pnc.name).to_string(index=False))
            cols = ["dimension", "subgroup", "records", "false_match_rate",
                    "missed_match_rate", "f1"]
            print("\nPNC records in the spine, by subgroup:")
            print(E.spine_subgroup_errors(con, pnc.name, WAVE0)[cols].round(3)
                  .to_string(index=False))
            print("\nNPD records, by subgroup:")
            print(E.pupil_subgroup_errors(con, npd.name, pnc.name, groups)[cols].round(3)
                  .to_string(index=False))


if __name__ == "__main__":
    main()
