"""Wave 1 linkage assets: PNC into the persistent spine, NPD pupils to PNC people.

`linkage/wave_1_person_ids` (after wave 0's `linkage/person_ids`): the people source of wave 1's
`into_spine` plan (PNC) deduplicated and added to `linkage.person_ids` (wave-0 rows never
change; the blocking check `wave_0_ids_unchanged` compares them with the snapshot's history) ->
`linkage/pupil_links`: the pupils of the `link` plan (NPD census) linked to those people; pupils
never get spine ids. Plan names, sources and person keys come from the wave's declaration
(`linkage.wave_link.wave_link_spec`); models are saved and versioned as wave 0's, under the
models folder, reused unless run config says `retrain: true`. Partitioned by weekly snapshot as
`linkage/person_ids`. The work is done by `bold_assets.linkage.wave_link`.
"""

import dagster as dg

from bold_assets.catalog import CATALOG
from bold_assets.defs.factories.keys import std_key
from bold_assets.defs.metadata import table_metadata as table_meta
from bold_assets.defs.resources import WarehouseResource
from bold_assets.defs.snapshots import SNAPSHOT_PARTITIONS
from bold_assets.defs.wave_0.linkage import PERSON_IDS_KEY
from bold_assets.linkage import wave_link as W
from bold_assets.settings import get_settings

WAVE = CATALOG.waves[1]
GROUP = WAVE.group
SPEC = W.wave_link_spec(CATALOG, WAVE.number)
SPINE_KEY = dg.AssetKey(["linkage", f"{WAVE.name}_person_ids"])
PUPIL_LINKS_KEY = dg.AssetKey(list(W.PUPIL_LINKS))


class WaveTrainingConfig(dg.Config):
    """Run config of the wave's linkage assets."""

    retrain: bool = False  # train new model versions even when saved ones exist


def _in(sources: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{s}'" for s in sources) + ")"


def _counts(summary: dict) -> dict:
    """Counts (and model versions) of a wave_link summary as metadata: never identifiers."""
    out = {k: v for k, v in summary.items() if isinstance(v, int | float)}
    out["model_versions"] = dg.MetadataValue.json(summary.get("models", {}))
    out["models_dir"] = dg.MetadataValue.path(str(get_settings().models_dir))
    return out


@dg.asset(
    key=SPINE_KEY,
    deps=[PERSON_IDS_KEY, std_key(SPEC.people.name)],
    group_name=GROUP,
    partitions_def=SNAPSHOT_PARTITIONS,
    kinds={"duckdb", "splink"},
    description=f"{SPEC.people.title} in the persistent spine: its records deduplicated "
    f"(same {SPEC.people_key}, plus model `{SPEC.dedupe_name}`) and linked into "
    f"linkage.person_ids by model `{SPEC.link_name}` (join a spine person or get a new id); "
    "wave-0 rows never change, records already there are not linked again. The view "
    f"linkage.{SPINE_KEY.path[-1]} shows the wave's rows of linkage.person_ids.",
)
def wave_1_person_ids(context: dg.AssetExecutionContext, config: WaveTrainingConfig,
                      warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = get_settings()
    with warehouse.connect() as con:
        summary = W.link_people_into_spine(
            con, SPEC.people, SPEC.people_key, SPEC.spine_sources, settings.models_dir,
            retrain=config.retrain, seed=settings.seed, dedupe_name=SPEC.dedupe_name,
            link_name=SPEC.link_name)
        W.spine_rows_view(con, SPINE_KEY.path[-1], (SPEC.people.name,))
        by_source = con.sql("SELECT source_dataset, count(*) AS records, "
                            "count(DISTINCT person_id) AS persons FROM linkage.person_ids "
                            "GROUP BY 1 ORDER BY 1").df()
        meta = table_meta(con, ".".join(SPINE_KEY.path))
    context.log.info(f"{SPEC.people.name}: {summary['added']} records added to the spine "
                     f"({summary['joined']} joined spine persons, {summary['new_persons']} "
                     "new persons)")
    return dg.MaterializeResult(metadata={
        **meta, **_counts(summary),
        "records_by_source": dg.MetadataValue.md(by_source.to_markdown(index=False))})


@dg.asset(
    key=PUPIL_LINKS_KEY,
    deps=[SPINE_KEY, std_key(SPEC.pupils.name)],
    group_name=GROUP,
    partitions_def=SNAPSHOT_PARTITIONS,
    kinds={"duckdb", "splink"},
    description=f"{SPEC.pupils.title} linked to the spine persons of {SPEC.people.name} by "
    f"model `{SPEC.pupil_name}` (pupils grouped by {SPEC.pupil_key}; above match probability "
    f"{W.PUPIL_THRESHOLD}); pupils never get spine ids. Replaced on every run.",
)
def pupil_links(context: dg.AssetExecutionContext, config: WaveTrainingConfig,
                warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = get_settings()
    with warehouse.connect() as con:
        summary = W.link_pupils(con, SPEC.pupils, SPEC.pupil_key, SPEC.people.name,
                                settings.models_dir, retrain=config.retrain, seed=settings.seed,
                                plan_name=SPEC.pupil_name)
        meta = table_meta(con, ".".join(W.PUPIL_LINKS))
    context.log.info(f"{SPEC.pupils.name}: {summary['pupils_linked']} of {summary['pupils']} "
                     "pupils linked")
    return dg.MaterializeResult(metadata={**meta, **_counts(summary)})


@dg.asset_check(asset=SPINE_KEY, name="wave_0_ids_unchanged", blocking=True,
                description="Every wave-0 (source_dataset, record_id, person_id) row of "
                "linkage.person_ids is as wave 0 wrote it at this snapshot "
                "(linkage.person_ids_history): 100%, none added, none duplicated.")
def wave_0_ids_unchanged(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    spine = _in(SPEC.spine_sources)
    with warehouse.connect() as con:
        n_hist, n_now, n_same, n_dup = con.execute(f"""
            WITH now AS (SELECT source_dataset, record_id, person_id FROM linkage.person_ids
                         WHERE source_dataset IN {spine}),
            hist AS (SELECT source_dataset, record_id, person_id
                     FROM linkage.person_ids_history
                     WHERE source_dataset IN {spine} AND snapshot_date =
                           (SELECT max(snapshot_date) FROM linkage.person_ids))
            SELECT (SELECT count(*) FROM hist), (SELECT count(*) FROM now),
                   (SELECT count(*) FROM (SELECT DISTINCT * FROM hist) h
                    JOIN (SELECT DISTINCT * FROM now) n
                    USING (source_dataset, record_id, person_id)),
                   (SELECT count(*) FROM (SELECT source_dataset, record_id FROM now
                    GROUP BY ALL HAVING count(*) > 1))""").fetchall()[0]
    passed = n_hist > 0 and n_hist == n_now == n_same and n_dup == 0
    return dg.AssetCheckResult(passed=passed, severity=dg.AssetCheckSeverity.ERROR, metadata={
        "wave_0_rows_at_snapshot": n_hist, "wave_0_rows_now": n_now, "unchanged": n_same,
        "duplicated_records": n_dup,
        "pct_unchanged": round(100 * n_same / n_hist, 4) if n_hist else 0.0})


defs = dg.Definitions(assets=[wave_1_person_ids, pupil_links],
                      asset_checks=[wave_0_ids_unchanged])
