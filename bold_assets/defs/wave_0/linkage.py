"""Wave 0 linkage assets: train, score, cluster (MoJ's Data First pattern).

`linkage/std_<source>` (per source, `defs/factories/std.py`) -> `linkage/model_parameters`
(training: versioned Splink JSON beside the warehouse; reused unless run config says
`retrain: true` or no model exists) ->
`linkage/pairwise_predictions` (every dedupe and cross-source model) -> `linkage/person_clusters`
(one clustering over all edges at the three thresholds of `bold_assets.linkage.THRESHOLDS`) ->
`linkage/person_ids` (ids that last across snapshots, `bold_assets.linkage.spine`).

A run for a weekly snapshot partition (`defs/snapshots.py`) is a refresh. The extracts and
`linkage/person_ids` are partitioned by snapshot; the assets between them hold the current
linkage state that each refresh updates (unpartitioned: Dagster cannot run a partitioned asset
below a partitioned one without a partition key, and plain runs must keep working). Prediction
uses the model versions `linkage/model_parameters` recorded in `linkage.model_versions` (never
trains), and scores only new and changed records unless run config says `full_relink: true`
(`bold_assets.linkage.incremental`).
The work is done by plain functions in `bold_assets.linkage`.
"""

from pathlib import Path

import dagster as dg
import pandas as pd

from bold_assets.catalog import WAVES
from bold_assets.defs.factories.keys import std_key
from bold_assets.defs.metadata import table_metadata as table_meta
from bold_assets.defs.paths import path_value, shown_path
from bold_assets.defs.resources import LinkageEngineResource, WarehouseResource
from bold_assets.defs.snapshots import (
    SNAPSHOT_NOTE,
    SNAPSHOT_PARTITIONS,
    previous_snapshot,
    require_run_snapshot,
)
from bold_assets.linkage import charts, spine_tables
from bold_assets.linkage import incremental as inc
from bold_assets.linkage import justice as J
from bold_assets.linkage import models as mdl
from bold_assets.linkage.core import PREDICT_FLOOR, THRESHOLDS, LinkageSession
from bold_assets.linkage.engine import LinkageEngine
from bold_assets.settings import get_settings
from bold_assets.world.snapshots import read_snapshot_date

WAVE = WAVES[0]
GROUP = WAVE.group
# `linkage/std_<source>` of wave 0's sources (built by `defs/factories/std.py`)
STD_KEYS = {s: std_key(s) for s in WAVE.sources}
PARAMS_KEY = dg.AssetKey(["linkage", "model_parameters"])
PAIRS_KEY = dg.AssetKey(["linkage", "pairwise_predictions"])
CLUSTERS_KEY = dg.AssetKey(["linkage", "person_clusters"])
PERSON_IDS_KEY = dg.AssetKey(["linkage", "person_ids"])
ID_CHANGES_KEY = dg.AssetKey(["research", "person_id_changes"])

class TrainingConfig(dg.Config):
    """Run config of `linkage/model_parameters`."""

    retrain: bool = False  # train new model versions even when saved ones exist
    u_max_pairs: float = 2e6  # pairs sampled to estimate u probabilities

def _models(warehouse: WarehouseResource, retrain: bool, u_max_pairs: float,
            engine: LinkageEngine) -> dict:
    """Saved models, training (and saving) those asked for or missing."""
    settings = get_settings()
    if not retrain:
        with warehouse.connect() as con:
            try:  # a refresh keeps the versions already recorded
                return inc.load_recorded(con, settings.models_dir)
            except inc.NoRecordedModel:
                pass
        saved = {p.name: mdl.load_latest(settings.models_dir, p.name) for p in J.PLANS}
        if all(v is not None for v in saved.values()):
            return {n: {"model": m, "meta": meta, "trained": False}
                    for n, (m, meta) in saved.items()}
    with warehouse.connect() as con:
        records = J.read_std(con)
    with LinkageSession(records, engine=engine) as session:
        return J.train_or_load(session, settings.models_dir, retrain=retrain,
                               seed=settings.seed, u_max_pairs=u_max_pairs)

@dg.asset(
    key=PARAMS_KEY,
    deps=list(STD_KEYS.values()),
    group_name=GROUP,
    kinds={"duckdb", "splink"},
    description="Trains the linkage models (a dedupe model per source, a criminal cross-source "
    "model, a family / civil model) or reuses the saved versions; their m / u probabilities "
    "and match weights, and Splink's match weights chart of each model (metadata "
    "`match_weights_chart_<model>`). Set run config `retrain: true` to train new versions.",
)
def model_parameters(
    context: dg.AssetExecutionContext, config: TrainingConfig, warehouse: WarehouseResource,
    linkage_engine: LinkageEngineResource,
) -> dg.MaterializeResult:
    settings = get_settings()
    with linkage_engine.use() as engine:
        models = _models(warehouse, config.retrain, config.u_max_pairs, engine)
    rows, summary, charts_md = [], [], {}
    reports = settings.data_dir / "reports" / "linkage"
    for name, entry in models.items():
        meta = entry["meta"]
        params = pd.DataFrame(mdl.parameter_rows(name, entry["model"]))
        params.insert(1, "version", meta.get("version"))
        rows.append(params)
        summary.append({
            "model": name, "version": meta.get("version"),
            "status": "trained now" if entry["trained"] else "reused",
            "trained_at": meta.get("trained_at"), "records": meta.get("records"),
            "prior_match_weight": round(mdl.prior_match_weight(entry["model"]), 2),
            "path": shown_path(meta["path"]) if meta.get("path") else None,
        })
        stem = f"{name}_v{meta.get('version', 0):04d}"
        charts_md[f"match_weights_chart_{name}"] = _chart_md(name, meta.get("version"),
                                                             entry["model"], reports / stem)
        context.log.info(f"{name}: {summary[-1]['status']} (version {meta.get('version')})")
    table = pd.concat(rows, ignore_index=True)
    with warehouse.connect() as con:
        J.write_arrow(con, "linkage", "model_parameters", _arrow(table))
        inc.record_versions(con, models)
        meta = table_meta(con, "linkage.model_parameters")
    retrained = sum(e["trained"] for e in models.values())
    return dg.MaterializeResult(metadata={
        **meta,
        "linkage_engine": engine.name,
        "models": dg.MetadataValue.md(pd.DataFrame(summary).to_markdown(index=False)),
        "models_trained_this_run": retrained,
        "models_dir": path_value(settings.models_dir),
        "m_u_parameters": dg.MetadataValue.md(
            table.drop(columns=["tf_adjusted"]).round(5).to_markdown(index=False)),
        **charts_md,
    })


def _chart_md(name: str, version: int | None, model: dict, stem: Path) -> dg.MetadataValue:
    """One model's Splink match weights chart as its own metadata entry: a heading naming the
    model, the PNG inline, and where the interactive HTML version is."""
    html = charts.splink_match_weights_html(model, name, stem.with_name(f"{stem.name}.html"))
    png = charts.splink_match_weights_png(model, name,
                                          stem.with_name(f"{stem.name}_match_weights.png"))
    return dg.MetadataValue.md(
        f"### {name}{'' if version is None else f' (version {version})'}\n\n"
        f"{charts.markdown_image(png, name)}\n\n"
        f"Interactive version: `{shown_path(html)}`")

def _arrow(df: pd.DataFrame):
    import pyarrow as pa

    return pa.Table.from_pandas(df, preserve_index=False)

class ScoringConfig(dg.Config):
    """Run config of `linkage/pairwise_predictions`."""

    full_relink: bool = False  # score every pair again instead of only new / changed records


@dg.asset(
    key=PAIRS_KEY,
    deps=[PARAMS_KEY, *STD_KEYS.values()],
    group_name=GROUP,
    kinds={"duckdb", "splink"},
    description="Scored record pairs of every model (match weight and probability), using the "
    f"saved models; pairs below probability {PREDICT_FLOOR} are dropped.",
)
def pairwise_predictions(
    context: dg.AssetExecutionContext, config: ScoringConfig, warehouse: WarehouseResource,
    linkage_engine: LinkageEngineResource,
) -> dg.MaterializeResult:
    settings = get_settings()
    with warehouse.connect() as con:
        try:
            models = inc.load_recorded(con, settings.models_dir)
        except inc.NoRecordedModel as exc:
            raise dg.Failure(str(exc)) from None
        records = J.read_std(con)
        prev_pairs, prev_fps = inc.read_state(con)
    with linkage_engine.use() as engine, LinkageSession(records, engine=engine) as session:
        result = inc.score(session, models, prev_pairs, prev_fps, full=config.full_relink)
    context.log.info(f"{result.mode}: {result.changed_records} new or changed records, "
                     f"{result.kept_pairs} pairs kept, {result.scored_pairs} scored")
    with warehouse.connect() as con:
        # without record state the next refresh scores everything: safe if a write fails below
        con.execute("DROP TABLE IF EXISTS linkage.scored_records")
        inc.note_changed(con, result)  # before the pairs: clustering revisits these records
        J.write_arrow(con, "linkage", "pairwise_predictions", result.pairs)
        J.write_arrow(con, *inc.SCORED_TABLE, result.fingerprints)
        by_model = con.sql(
            "SELECT model, count(*) AS pairs, "
            + ", ".join(f"count(*) FILTER (WHERE match_probability >= {p}) AS above_{k}"
                        for k, p in THRESHOLDS.items())
            + " FROM linkage.pairwise_predictions GROUP BY model ORDER BY model").df()
        meta = table_meta(con, "linkage.pairwise_predictions")
    return dg.MaterializeResult(metadata={
        **meta,
        "mode": result.mode,
        "linkage_engine": engine.name,
        "new_or_changed_records": result.changed_records,
        "pairs_kept": result.kept_pairs,
        "pairs_scored_now": result.scored_pairs,
        "pairs_by_model": dg.MetadataValue.md(by_model.to_markdown(index=False)),
        "model_versions": dg.MetadataValue.json(
            {n: e["meta"].get("version") for n, e in models.items()}),
    })

@dg.asset(
    key=CLUSTERS_KEY,
    deps=[PAIRS_KEY, *STD_KEYS.values()],
    group_name=GROUP,
    kinds={"duckdb", "splink"},
    description="The cross-justice person spine: every person record clustered over all "
    "scored pairs (within and across sources; a refresh re-clusters only the components new "
    "and changed records touch) at the thresholds "
    + ", ".join(f"{k} >= {v}" for k, v in THRESHOLDS.items()) + ".",
)
def person_clusters(context: dg.AssetExecutionContext,
                    warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        records = J.read_std(con)
        pairs = con.sql("SELECT * FROM linkage.pairwise_predictions").to_arrow_table()
        previous, changed = inc.read_cluster_state(con)
    result = inc.cluster(records, pairs, previous, changed)
    context.log.info(f"{result.mode}: {result.reclustered_records} records clustered again")
    with warehouse.connect() as con:
        J.write_arrow(con, "linkage", "person_clusters", result.clusters)
        inc.clear_changed(con)
        stats = con.sql("SELECT count(*) AS records, " + ", ".join(
            f"count(DISTINCT cluster_{k}) AS persons_{k}" for k in THRESHOLDS)
            + " FROM linkage.person_clusters").df()
        linked = con.sql("""
            WITH c AS (SELECT *, count(DISTINCT source_dataset) OVER (PARTITION BY
                       cluster_medium) AS n_src FROM linkage.person_clusters)
            SELECT source_dataset, count(*) AS records,
                   round(100 * avg(CAST(n_src > 1 AS DOUBLE)), 1)
                       AS pct_linked_to_another_source_medium
            FROM c GROUP BY 1 ORDER BY 1
        """).df()
        meta = table_meta(con, "linkage.person_clusters")
    return dg.MaterializeResult(metadata={
        **meta,
        "mode": result.mode,
        "records_clustered_again": result.reclustered_records,
        "thresholds": dg.MetadataValue.json(THRESHOLDS),
        "persons_by_threshold": dg.MetadataValue.md(stats.to_markdown(index=False)),
        "linked_rate_by_source": dg.MetadataValue.md(linked.to_markdown(index=False)),
    })

@dg.multi_asset(
    name="person_ids",
    partitions_def=SNAPSHOT_PARTITIONS,
    can_subset=True,
    specs=[
        dg.AssetSpec(PERSON_IDS_KEY, deps=[CLUSTERS_KEY, previous_snapshot(PERSON_IDS_KEY)],
                     group_name=GROUP, kinds={"duckdb"},
                     description="Person ids that last: each medium cluster keeps the id most "
                     "of its records had at the previous snapshot; merges, splits and new "
                     "people logged in linkage.person_id_changes." + SNAPSHOT_NOTE),
        dg.AssetSpec(ID_CHANGES_KEY, deps=[CLUSTERS_KEY, previous_snapshot(ID_CHANGES_KEY)],
                     group_name=GROUP, kinds={"duckdb"},
                     description="Research-zone log of person id changes per snapshot "
                     "(snapshot_date, old_id, new_id, kind, n_records), ids keyed."
                     + SNAPSHOT_NOTE),
    ],
)
def person_ids(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    selected = context.selected_asset_keys
    with warehouse.connect() as con:
        require_run_snapshot(context, read_snapshot_date(con))
        if PERSON_IDS_KEY in selected:  # the research log alone is only rewritten from the log
            summary = spine_tables.refresh_ids(con)
            meta = table_meta(con, "linkage.person_ids")
        spine_tables.write_research_changes(con)
        research_meta = table_meta(con, ".".join(ID_CHANGES_KEY.path))  # rows, columns, preview
    if PERSON_IDS_KEY in selected:
        yield dg.MaterializeResult(asset_key=PERSON_IDS_KEY, metadata={
            **meta, **{k: v for k, v in summary.items() if k != "by_kind"},
            "changes_by_kind": dg.MetadataValue.json(summary["by_kind"])})
    if ID_CHANGES_KEY in selected:
        yield dg.MaterializeResult(asset_key=ID_CHANGES_KEY, metadata=research_meta)


@dg.asset_check(asset=CLUSTERS_KEY,
                description="WARN: every standardised record of wave 0's sources has exactly "
                "one row in linkage.person_clusters (none missing, none twice).")
def clusters_cover_every_record(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        parts = " UNION ALL ".join(f"SELECT source_dataset, record_id FROM {J.std_table(s)}"
                                   for s in WAVE.sources)
        n_std, n_clusters, n_dupes = con.execute(f"""
            SELECT (SELECT count(*) FROM ({parts})),
                   (SELECT count(*) FROM linkage.person_clusters),
                   (SELECT count(*) FROM (SELECT source_dataset, record_id
                    FROM linkage.person_clusters GROUP BY ALL HAVING count(*) > 1))
        """).fetchall()[0]
    return dg.AssetCheckResult(passed=n_std == n_clusters and n_dupes == 0, metadata={
        "standardised_records": n_std, "cluster_rows": n_clusters, "duplicated": n_dupes})

@dg.asset_check(asset=CLUSTERS_KEY,
                description="WARN: the clusters nest: each high-threshold cluster lies within "
                "one medium cluster, each medium cluster within one low cluster.")
def clusters_nest(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    levels = sorted(THRESHOLDS, key=THRESHOLDS.get, reverse=True)
    broken = {}
    with warehouse.connect() as con:
        for fine, coarse in zip(levels, levels[1:], strict=False):
            broken[f"{fine}_in_{coarse}"] = con.execute(f"""
                SELECT count(*) FROM (SELECT cluster_{fine} FROM linkage.person_clusters
                GROUP BY 1 HAVING count(DISTINCT cluster_{coarse}) > 1)
            """).fetchall()[0][0]
    return dg.AssetCheckResult(passed=not any(broken.values()), metadata=broken)

defs = dg.Definitions(
    assets=[model_parameters, pairwise_predictions, person_clusters, person_ids],
    asset_checks=[clusters_cover_every_record, clusters_nest],
)
