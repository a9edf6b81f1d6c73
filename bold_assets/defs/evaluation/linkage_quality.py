"""Linkage quality pack: the wave 0 person spine measured against the synthetic truth.

The only readers of `truth.*` (group `evaluation`). Tables in schema `evaluation`:
- `linkage_f1`: pairwise precision / recall / F1 per threshold, overall, per source group
  (criminal; pairs involving family or civil), per source and per pair of sources;
- `linkage_subgroup_errors`: false-match, missed-match and linked rates and pairwise F1 by sex,
  ethnic group, age band, IMD quintile and family / civil party role;
- `linkage_threshold_curve`: scored pairs against truth by match-probability threshold;
- `mags_crown_journey_accuracy`: the case journey against the true one.
"""

import dagster as dg
import pandas as pd
import pyarrow as pa

from bold_assets import pseudonymise as ps
from bold_assets.defs.metadata import table_metadata as table_meta
from bold_assets.defs.resources import WarehouseResource
from bold_assets.defs.wave_0.linkage import CLUSTERS_KEY, PAIRS_KEY, STD_KEYS
from bold_assets.defs.wave_0.research import JOURNEY_KEY
from bold_assets.linkage import charts
from bold_assets.linkage import evaluation as ev
from bold_assets.linkage import justice as J
from bold_assets.linkage.core import THRESHOLDS
from bold_assets.linkage.research import row_hash_sql
from bold_assets.settings import get_settings
from bold_assets.sources import CRIMINAL_SOURCES, WAVE_0_SOURCES, WEAK_SOURCES

GROUP = "evaluation"
TRUTH_PERSONS = dg.AssetKey(["truth", "persons"])
TRUTH_RECORDS = dg.AssetKey(["truth", "record_person"])
TRUTH_JOURNEY = dg.AssetKey(["truth", "mags_crown_journey"])
REPORTS = "reports/linkage"
SUBGROUP_DIMENSIONS = ("sex", "ethnic_group", "age_band", "imd_quintile", "party_role")


def _store(con, table: str, df: pd.DataFrame) -> dict:
    J.write_arrow(con, "evaluation", table, pa.Table.from_pandas(df, preserve_index=False))
    return table_meta(con, f"evaluation.{table}")


def _num(x: object) -> float | None:
    """A plain float for metadata (numpy scalars do not serialise); None for missing."""
    return None if x is None or pd.isna(x) else float(x)


def _md(df: pd.DataFrame) -> dg.MetadataValue:
    return dg.MetadataValue.md(df.round(4).to_markdown(index=False))


@dg.asset(
    key=["evaluation", "linkage_f1"],
    deps=[CLUSTERS_KEY, TRUTH_RECORDS],
    group_name=GROUP,
    kinds={"duckdb"},
    description="Pairwise precision, recall and F1 of the person clusters at each threshold: "
    "overall, criminal sources, pairs involving a family or civil record, per source, per pair.",
)
def linkage_f1(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        f1 = ev.f1_table(con, "linkage.person_clusters", "truth.record_person",
                         CRIMINAL_SOURCES, WEAK_SOURCES)
        meta = _store(con, "linkage_f1", f1)
    png = charts.f1_by_scope_png(f1, get_settings().data_dir / REPORTS / "f1_by_threshold.png")
    groups = f1[f1.scope_type.isin(["overall", "group"])]
    medium = f1[f1.threshold == "medium"]
    pick = {(r.threshold, r.scope): r.f1 for r in f1.itertuples()}
    cols = ["threshold", "scope", "precision", "recall", "f1"]
    return dg.MaterializeResult(metadata={
        **meta,
        "f1_criminal_medium": _num(pick.get(("medium", "criminal"))),
        "f1_family_civil_medium": _num(pick.get(("medium", "family_civil"))),
        "f1_overall_medium": _num(pick.get(("medium", "all"))),
        "by_threshold": _md(groups[cols]),
        "by_source_medium": _md(medium[medium.scope_type == "source"][cols]),
        "by_source_pair_medium": _md(medium[medium.scope_type == "source_pair"][cols]),
        "chart": dg.MetadataValue.md(charts.markdown_image(png, "F1 by threshold")),
    })


def _attributes_sql() -> str:
    """Subgroups of each record: the true person's sex, ethnic group, IMD quintile, age band at
    the event, and the party role of family / civil records."""
    events = " UNION ALL ".join(
        f"SELECT source_dataset, record_id, event_date FROM {J.std_table(s)}"
        for s in WAVE_0_SOURCES)
    return f"""
        SELECT t.source_dataset, CAST(t.record_id AS VARCHAR) AS record_id,
            p.sex, p.ethnic_group,
            CAST((p.imd_decile + 1) // 2 AS VARCHAR) AS imd_quintile,
            CASE WHEN e.event_date IS NULL THEN NULL
                 WHEN date_diff('year', p.dob, e.event_date) < 18 THEN '0-17'
                 WHEN date_diff('year', p.dob, e.event_date) < 25 THEN '18-24'
                 WHEN date_diff('year', p.dob, e.event_date) < 35 THEN '25-34'
                 WHEN date_diff('year', p.dob, e.event_date) < 50 THEN '35-49'
                 ELSE '50+' END AS age_band,
            coalesce(f.party_role, c.party_role, 'criminal record') AS party_role
        FROM truth.record_person t
        JOIN truth.persons p USING (person_id)
        LEFT JOIN ({events}) e
          ON e.source_dataset = t.source_dataset AND e.record_id = CAST(t.record_id AS VARCHAR)
        LEFT JOIN raw.family f ON t.source_dataset = 'family' AND f.party_id = t.record_id
        LEFT JOIN raw.civil c ON t.source_dataset = 'civil' AND c.party_id = t.record_id
    """


@dg.asset(
    key=["evaluation", "linkage_subgroup_errors"],
    deps=[CLUSTERS_KEY, TRUTH_RECORDS, TRUTH_PERSONS, dg.AssetKey(["raw", "family"]),
          dg.AssetKey(["raw", "civil"]), *STD_KEYS.values()],
    group_name=GROUP,
    kinds={"duckdb"},
    description="False-match, missed-match and linked rates, and pairwise F1, by sex, ethnic "
    "group, age band, IMD quintile and family / civil party role, at each threshold.",
)
def linkage_subgroup_errors(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        table = ev.subgroup_table(con, "linkage.person_clusters", "truth.record_person",
                                  "truth.persons", _attributes_sql(), SUBGROUP_DIMENSIONS)
        meta = _store(con, "linkage_subgroup_errors", table)
    png = charts.subgroup_png(table, "medium",
                              get_settings().data_dir / REPORTS / "subgroups_medium.png")
    eth = table[(table.threshold == "medium") & (table.dimension == "ethnic_group")
                & (table.subgroup != "unknown")]
    gap = _num(eth.f1.max() - eth.f1.min()) if len(eth) else None
    medium = table[table.threshold == "medium"].drop(columns=["threshold"])
    return dg.MaterializeResult(metadata={
        **meta,
        "ethnic_f1_gap_medium": gap,
        "ethnic_best_medium": str(eth.loc[eth.f1.idxmax(), "subgroup"]) if len(eth) else "",
        "ethnic_worst_medium": str(eth.loc[eth.f1.idxmin(), "subgroup"]) if len(eth) else "",
        "medium_threshold": _md(medium),
        "chart": dg.MetadataValue.md(charts.markdown_image(png, "subgroups")),
    })


@dg.asset(
    key=["evaluation", "linkage_threshold_curve"],
    deps=[PAIRS_KEY, TRUTH_RECORDS],
    group_name=GROUP,
    kinds={"duckdb"},
    description="Precision / recall / F1 of the scored pairs (before clustering) by "
    "match-probability threshold: how the thresholds "
    + ", ".join(f"{k} {v}" for k, v in THRESHOLDS.items()) + " were chosen.",
)
def linkage_threshold_curve(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        curve = ev.threshold_curve(con, "linkage.pairwise_predictions", "truth.record_person")
        meta = _store(con, "linkage_threshold_curve", curve)
    png = charts.threshold_png(curve, get_settings().data_dir / REPORTS / "threshold_curve.png")
    return dg.MaterializeResult(metadata={
        **meta,
        "curve": _md(curve),
        "chart": dg.MetadataValue.md(charts.markdown_image(png, "threshold curve")),
    })


@dg.asset(
    key=["evaluation", "mags_crown_journey_accuracy"],
    deps=[JOURNEY_KEY, TRUTH_JOURNEY],
    group_name=GROUP,
    kinds={"duckdb"},
    description="Precision and recall of research.mags_crown_journey against the true journeys.",
)
def mags_crown_journey_accuracy(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        ps.register_hmac(con, ps.project_key(get_settings()))
        row = con.execute(f"""
            WITH truth AS (
                SELECT {row_hash_sql("'mags'", 'defendant_id')} AS m,
                       {row_hash_sql("'crown'", 'defendant_on_case_id')} AS c
                FROM truth.mags_crown_journey)
            SELECT (SELECT count(*) FROM research.mags_crown_journey),
                   (SELECT count(*) FROM truth),
                   (SELECT count(*) FROM research.mags_crown_journey j JOIN truth t
                      ON t.m = j.mc_defendant_id AND t.c = j.cc_defendant_on_case_id)
        """).fetchall()[0]
        found, true, correct = row
        df = pd.DataFrame([{
            "journeys_found": found, "true_journeys": true, "correct": correct,
            "precision": correct / found if found else None,
            "recall": correct / true if true else None,
        }])
        meta = _store(con, "mags_crown_journey_accuracy", df)
    return dg.MaterializeResult(metadata={**meta, "precision": _num(df.precision[0]),
                                          "recall": _num(df.recall[0])})


defs = dg.Definitions(assets=[linkage_f1, linkage_subgroup_errors, linkage_threshold_curve,
                              mags_crown_journey_accuracy])
