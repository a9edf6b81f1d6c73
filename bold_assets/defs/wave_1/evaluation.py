"""Wave 1 linkage against the synthetic truth (group `evaluation`; reads `truth.*`).

Tables in schema `evaluation` (the work is `bold_assets.linkage.wave_evaluation`'s):
- `wave_1_linkage_f1`: P / R / F1 of PNC in the spine (pairs with the spine, PNC dedupe, both)
  and of NPD pupils linked to PNC people (pairs, and per pupil record; recall on people in both);
- `wave_1_match_rates`: PNC people born from 1 Sep 1985 with a linked pupil, overall and by
  ethnic group, beside the share truly in NPD;
- `wave_1_subgroup_errors`: false-match, missed-match and linked rates and F1 by sex, ethnic
  group and IMD quintile, for PNC in the spine and for the pupils.
"""

import dagster as dg
import pandas as pd

from bold_assets.defs.evaluation.linkage_quality import (
    GROUP,
    TRUTH_PERSONS,
    TRUTH_RECORDS,
    _md,
    _num,
    _store,
)
from bold_assets.defs.factories.keys import raw_key
from bold_assets.defs.resources import WarehouseResource
from bold_assets.defs.wave_1.linkage import PUPIL_LINKS_KEY, SPEC, SPINE_KEY, WAVE
from bold_assets.linkage import wave_evaluation as E
from bold_assets.linkage import wave_link as W

PREFIX = WAVE.name
PEOPLE, PUPILS = SPEC.people.name, SPEC.pupils.name
DEPS = [SPINE_KEY, PUPIL_LINKS_KEY, raw_key(PUPILS), TRUTH_RECORDS, TRUTH_PERSONS]
# Scope names of the F1 table (`wave_evaluation`), shown in the metadata and the run summary.
SPINE_SCOPE, DEDUPE_SCOPE = f"{PEOPLE}-spine", f"{PEOPLE} dedupe"
PAIRS_SCOPE, RECORDS_SCOPE = f"{PUPILS}-{PEOPLE} pairs", f"{PUPILS}-{PEOPLE} records"


def _groups_sql() -> str:
    return W.key_groups_sql(SPEC.pupils, SPEC.pupil_key)


def f1_table(con) -> pd.DataFrame:
    """Both F1 tables in one, with the linkage step as `step`."""
    return pd.concat([
        E.spine_f1(con, PEOPLE, SPEC.spine_sources).assign(step=SPEC.link_name),
        E.pupil_f1(con, PUPILS, PEOPLE, _groups_sql()).assign(step=SPEC.pupil_name),
    ], ignore_index=True)[["step", "scope", "precision", "recall", "f1"]]


@dg.asset(
    key=["evaluation", f"{PREFIX}_linkage_f1"],
    deps=DEPS,
    group_name=GROUP,
    kinds={"duckdb"},
    description=f"Pairwise precision, recall and F1 of wave {WAVE.number}: {PEOPLE} in the "
    f"spine (with the spine, dedupe, both) and {PUPILS} linked to {PEOPLE} people (pairs and per "
    "pupil record; recall on people in both).",
)
def wave_1_linkage_f1(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        table = f1_table(con)
        meta = _store(con, f"{PREFIX}_linkage_f1", table)
    f1 = table.set_index("scope")["f1"]
    return dg.MaterializeResult(metadata={
        **meta,
        "f1_pnc_spine": _num(f1.get(SPINE_SCOPE)),
        "f1_pnc_dedupe": _num(f1.get(DEDUPE_SCOPE)),
        "f1_npd_pnc_pairs": _num(f1.get(PAIRS_SCOPE)),
        "f1_npd_pnc_records": _num(f1.get(RECORDS_SCOPE)),
        "f1_table": _md(table),
    })


@dg.asset(
    key=["evaluation", f"{PREFIX}_match_rates"],
    deps=DEPS,
    group_name=GROUP,
    kinds={"duckdb"},
    description=f"{PEOPLE} people born from {E.NPD_BORN_FROM} with a linked {PUPILS} pupil, "
    "overall and by ethnic group (match_rate_pct), beside the share truly in "
    f"{PUPILS} (true_rate_pct).",
)
def wave_1_match_rates(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        rates = E.pupil_match_rates(con, PUPILS, PEOPLE)
        meta = _store(con, f"{PREFIX}_match_rates", rates)
    overall = rates[rates["ethnic_group"] == "all"].iloc[0]
    groups = rates[~rates["ethnic_group"].isin(["all", "unknown"])]
    return dg.MaterializeResult(metadata={
        **meta,
        "match_rate_pct": _num(overall["match_rate_pct"]),
        "true_rate_pct": _num(overall["true_rate_pct"]),
        "ethnic_gap_points": _num(groups["match_rate_pct"].max()
                                  - groups["match_rate_pct"].min()) if len(groups) else None,
        "by_ethnic_group": _md(rates),
    })


@dg.asset(
    key=["evaluation", f"{PREFIX}_subgroup_errors"],
    deps=DEPS,
    group_name=GROUP,
    kinds={"duckdb"},
    description=f"False-match, missed-match and linked rates and F1 by "
    f"{', '.join(E.SUBGROUPS)}: {PEOPLE} records in the spine and {PUPILS} records linked to "
    f"{PEOPLE} people.",
)
def wave_1_subgroup_errors(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        table = pd.concat([
            E.spine_subgroup_errors(con, PEOPLE, SPEC.spine_sources).assign(step=SPEC.link_name),
            E.pupil_subgroup_errors(con, PUPILS, PEOPLE, _groups_sql()).assign(
                step=SPEC.pupil_name),
        ], ignore_index=True)
        table = table[["step", *[c for c in table.columns if c != "step"]]]
        meta = _store(con, f"{PREFIX}_subgroup_errors", table)
    eth = table[(table["dimension"] == "ethnic_group") & (table["subgroup"] != "unknown")]
    gaps = {f"ethnic_f1_gap_{step}": _num(g["f1"].max() - g["f1"].min())
            for step, g in eth.groupby("step")}
    return dg.MaterializeResult(metadata={**meta, **gaps, "table": _md(
        table.drop(columns=[c for c in ("threshold",) if c in table.columns]))})


defs = dg.Definitions(assets=[wave_1_linkage_f1, wave_1_match_rates, wave_1_subgroup_errors])
