"""The linkage of every later wave (1-4), built from its declared link plans: no module per wave.

For wave n (`linkage.wave_link.wave_link_spec` reads its plans):
- `linkage/wave_<n>_person_ids` when it has `into_spine` plans: each person source deduplicated
  and added to `linkage.person_ids` after the spine of the wave before; earlier waves' rows never
  change (blocking check `wave_<n-1>_ids_unchanged`, on the first link of a wave that adds
  nobody to the spine);
- `linkage/<table>` per `link` plan: the population source's people linked to the spine persons
  holding a record of the plan's spine source; they never get spine ids;
- `linkage/<table>` per `trace` plan (`linkage.trace`): the spine's persons, or a population's
  people, traced one-to-one through a reference file (PDS); a population trace also gets
  `research/<table>` (keyed hashes of the two person keys, e.g. upn -> NHS number) with the
  blocking identifier leak check;
- per `ttp` plan (`linkage.ttp`): `linkage/<name>_ids`, the council sources' records given one
  id across councils and periods by the trusted third party, and `linkage/<table>`, the spine's
  persons traced one-to-one to those ids (a link table); `research/<name>_ids` holds the ids as
  keyed hashes (repeat presentations, spine or not), with the blocking identifier leak check;
- `research/<link_table>`: the wave's research link file (hashed row id -> keyed spine id; the
  reference records of spine traces and the council records of ttp plans count as linked
  records), with its blocking identifier leak check.
Models are saved and versioned as wave 0's, reused unless run config says `retrain: true`.
Partitioned by weekly snapshot as `linkage/person_ids`. The work is `bold_assets.linkage.wave_link`.
"""

import dagster as dg

from bold_assets.catalog import Catalog, Wave
from bold_assets.defs.factories.keys import research_key, std_key
from bold_assets.defs.factories.research import write_research
from bold_assets.defs.metadata import table_metadata as table_meta
from bold_assets.defs.resources import LinkageEngineResource, WarehouseResource
from bold_assets.defs.snapshots import (
    SNAPSHOT_NOTE,
    SNAPSHOT_PARTITIONS,
    previous_snapshot,
    require_run_snapshot,
)
from bold_assets.defs.wave_0.linkage import PERSON_IDS_KEY
from bold_assets.linkage import trace as T
from bold_assets.linkage import ttp as TTP
from bold_assets.linkage import wave_link as W
from bold_assets.settings import get_settings
from bold_assets.world.snapshots import read_snapshot_date


class WaveTrainingConfig(dg.Config):
    """Run config of a later wave's linkage assets."""

    retrain: bool = False  # train new model versions even when saved ones exist


def spine_key(wave: Wave) -> dg.AssetKey:
    return dg.AssetKey(["linkage", f"{wave.name}_person_ids"])


def link_key(link: W.PopulationLink) -> dg.AssetKey:
    return dg.AssetKey(["linkage", link.table])


def research_link_key(wave: Wave) -> dg.AssetKey:
    return dg.AssetKey(["research", wave.link_table])


def trace_key(trace: T.TracePlan) -> dg.AssetKey:
    return dg.AssetKey(["linkage", trace.table])


def research_trace_key(trace: T.TracePlan) -> dg.AssetKey:
    return dg.AssetKey(["research", trace.table])


def ttp_ids_key(plan: TTP.TtpPlan) -> dg.AssetKey:
    return dg.AssetKey(["linkage", plan.ids_table])


def ttp_key(plan: TTP.TtpPlan) -> dg.AssetKey:
    return dg.AssetKey(["linkage", plan.table])


def research_ttp_ids_key(plan: TTP.TtpPlan) -> dg.AssetKey:
    return dg.AssetKey(["research", plan.ids_table])


def _counts(summary: dict) -> dict:
    """Counts (and model versions) of a wave_link summary as metadata: never identifiers."""
    out = {k: v for k, v in summary.items() if isinstance(v, int | float)}
    out["model_versions"] = dg.MetadataValue.json(summary.get("models", {}))
    return out


def _in(sources: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{s}'" for s in sources) + ")"


# What the materialisation's counts mean, for the asset descriptions (`_counts` keys).
SPINE_COUNTS = (" Counts (per source when the wave has several): records, persons_in_source "
                "(its persons after deduplication), already_in_spine (records there before this "
                "run), added (records put in the spine now: carried = given the id of their "
                "person added before, joined = to an existing spine person, new_persons = new "
                "ids issued), ids_restored (returning persons given their earlier id back).")
LINK_COUNTS = (" Counts: records and people of the source (grouped by its key), people_linked, "
               "records_linked, persons_linked (distinct spine persons linked to), threshold "
               "(the match probability used).")
TRACE_COUNTS = (" Counts: people and records traced, reference_people (persons of the reference "
                "file), people_linked (traced one-to-one), records_linked or "
                "reference_records_linked (rows of the link table), threshold (the match "
                "probability used).")
TTP_IDS_COUNTS = (" Counts: council_records, ttp_persons (ids given), ttp_persons_with_repeats "
                  "(more than one record), ttp_persons_in_several_sources, ttp_persons_<source>, "
                  "ttp_threshold (the match probability used).")
TTP_LINK_COUNTS = (" Counts: people (spine persons with a record of the traced sources), "
                   "records, people_linked (traced to a ttp id), council_records_linked (rows "
                   "of the link table), spine_threshold (the match probability used).")


def spine_asset(wave: Wave, spec: W.WaveLinkSpec, after: dg.AssetKey) -> dg.AssetsDefinition:
    """`linkage/wave_<n>_person_ids`: the wave's person sources into the spine, after `after`."""
    key = spine_key(wave)
    names = tuple(p.source.name for p in spec.into_spine)
    plans = "; ".join(f"{p.source.title} (same {p.key}, plus model `{p.dedupe_name}`; into "
                      f"the spine by model `{p.link_name}`)" for p in spec.into_spine)

    @dg.asset(
        key=key,
        deps=[after, *(std_key(n) for n in names), previous_snapshot(key)],
        group_name=wave.group,
        partitions_def=SNAPSHOT_PARTITIONS,
        kinds={"duckdb", "splink"},
        description=f"Wave {wave.number}'s people in the persistent spine: {plans}. Each person "
        "joins a spine person or gets a new id; earlier waves' rows never change, records "
        f"already there are not linked again. The view linkage.{key.path[-1]} shows the wave's "
        "rows of linkage.person_ids." + SPINE_COUNTS + SNAPSHOT_NOTE,
    )
    def _spine(context: dg.AssetExecutionContext, config: WaveTrainingConfig,
               warehouse: WarehouseResource,
               linkage_engine: LinkageEngineResource) -> dg.MaterializeResult:
        settings = get_settings()
        meta: dict = {}
        with warehouse.connect() as con, linkage_engine.use() as engine:
            require_run_snapshot(context, read_snapshot_date(con))
            summaries = W.link_wave_people(con, settings.models_dir, spec,
                                           retrain=config.retrain, seed=settings.seed)
            for p in spec.into_spine:
                summary = summaries[p.link_name]
                context.log.info(f"{p.source.name}: {summary['added']} records added to the "
                                 f"spine ({summary['joined']} joined spine persons, "
                                 f"{summary['new_persons']} new persons)")
                prefix = "" if len(spec.into_spine) == 1 else f"{p.source.name}_"
                meta.update({prefix + k: v for k, v in _counts(summary).items()})
            W.spine_rows_view(con, key.path[-1], names)
            by_source = con.sql("SELECT source_dataset, count(*) AS records, "
                                "count(DISTINCT person_id) AS persons FROM linkage.person_ids "
                                "GROUP BY 1 ORDER BY 1").df()
            meta.update(table_meta(con, ".".join(key.path)))
        return dg.MaterializeResult(metadata={"linkage_engine": engine.name,
            **meta, "records_by_source": dg.MetadataValue.md(by_source.to_markdown(index=False))})

    return _spine


def ids_unchanged_check(wave: Wave, spec: W.WaveLinkSpec,
                        asset: dg.AssetKey) -> dg.AssetChecksDefinition:
    """Blocking, on the wave's spine step (or its first link when it adds nobody to the spine):
    the rows of the spine's earlier sources are as they were at this snapshot."""
    spine = _in(spec.spine_sources)
    before = wave.number - 1

    waves = "wave 0" if before == 0 else f"waves 0-{before}"

    @dg.asset_check(asset=asset, name=f"wave_{before}_ids_unchanged", blocking=True,
                    description=f"BLOCKING: every (source_dataset, record_id, person_id) row of "
                    f"{waves} in linkage.person_ids is as it was at this snapshot "
                    "(linkage.person_ids_history): 100%, none added, none duplicated.")
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect() as con:
            n_hist, n_now, n_same, n_dup = con.execute(f"""
                WITH now AS (SELECT source_dataset, record_id, person_id
                             FROM linkage.person_ids WHERE source_dataset IN {spine}),
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
        return dg.AssetCheckResult(
            passed=passed, severity=dg.AssetCheckSeverity.ERROR, metadata={
                "earlier_rows_at_snapshot": n_hist, "earlier_rows_now": n_now,
                "unchanged": n_same, "duplicated_records": n_dup,
                "pct_unchanged": round(100 * n_same / n_hist, 4) if n_hist else 0.0})

    return _check


def population_link_asset(wave: Wave, link: W.PopulationLink,
                          spine: dg.AssetKey) -> dg.AssetsDefinition:
    """`linkage/<table>`: a `link` plan's population linked to the people of its spine source."""
    key = link_key(link)

    @dg.asset(
        key=key,
        deps=[spine, std_key(link.source.name), previous_snapshot(key)],
        group_name=wave.group,
        partitions_def=SNAPSHOT_PARTITIONS,
        kinds={"duckdb", "splink"},
        description=f"{link.source.title} linked to the spine persons of {link.people} by "
        f"model `{link.name}` (records grouped by {link.key}; above match probability "
        f"{W.POPULATION_THRESHOLD}); they never get spine ids. Replaced on every run."
        + LINK_COUNTS + SNAPSHOT_NOTE,
    )
    def _link(context: dg.AssetExecutionContext, config: WaveTrainingConfig,
              warehouse: WarehouseResource,
              linkage_engine: LinkageEngineResource) -> dg.MaterializeResult:
        settings = get_settings()
        with warehouse.connect() as con, linkage_engine.use() as engine:
            require_run_snapshot(context, read_snapshot_date(con))
            summary = W.link_population(con, link.source, link.key, link.people,
                                    settings.models_dir, plan_name=link.name, table=link.table,
                                    retrain=config.retrain, seed=settings.seed)
            meta = table_meta(con, ".".join(key.path))
        context.log.info(f"{link.source.name}: {summary['people_linked']} of "
                         f"{summary['people']} people linked")
        return dg.MaterializeResult(metadata={"linkage_engine": engine.name, **meta,
                                              **_counts(summary)})

    return _link


def trace_asset(wave: Wave, trace: T.TracePlan, spine: dg.AssetKey) -> dg.AssetsDefinition:
    """`linkage/<table>`: a `trace` plan's people traced one-to-one through its reference file."""
    key = trace_key(trace)
    if trace.of_spine:
        what = (f"The spine persons holding a record of {', '.join(trace.traced)} traced to "
                f"{trace.reference.title} (one {trace.reference_key} each, and each "
                f"{trace.reference_key} one person); each {trace.reference.name} record of a "
                "traced person with its spine id, as a link table")
    else:
        what = (f"{trace.population.title} (records grouped by {trace.population_key}) traced "
                f"to {trace.reference.title} (one {trace.reference_key} each, and each "
                f"{trace.reference_key} one person); each traced record with the "
                f"{trace.reference.name} record it matched")

    @dg.asset(
        key=key,
        deps=[spine, *(std_key(s) for s in trace.sources), previous_snapshot(key)],
        group_name=wave.group,
        partitions_def=SNAPSHOT_PARTITIONS,
        kinds={"duckdb", "splink"},
        description=f"{what}, by model `{trace.name}` on names, date of birth, sex and postcode "
        f"(above match probability {T.TRACE_THRESHOLD}). Replaced on every run." + TRACE_COUNTS
        + SNAPSHOT_NOTE,
    )
    def _trace(context: dg.AssetExecutionContext, config: WaveTrainingConfig,
               warehouse: WarehouseResource,
               linkage_engine: LinkageEngineResource) -> dg.MaterializeResult:
        settings = get_settings()
        with warehouse.connect() as con, linkage_engine.use() as engine:
            require_run_snapshot(context, read_snapshot_date(con))
            summary = T.trace(con, trace, settings.models_dir, retrain=config.retrain,
                              seed=settings.seed)
            meta = table_meta(con, ".".join(key.path))
        context.log.info(f"{trace.name}: {summary['people_linked']} of {summary['people']} "
                         f"people traced to {trace.reference.name}")
        return dg.MaterializeResult(metadata={"linkage_engine": engine.name, **meta,
                                              **_counts(summary)})

    return _trace


def research_trace_asset(wave: Wave, trace: T.TracePlan) -> dg.AssetsDefinition:
    """`research/<table>` of a population trace: traced key hash -> reference key hash."""
    from bold_assets.linkage import research as R

    assert trace.population is not None and trace.population_key
    pop, ref = trace.population, trace.reference
    sql = R.trace_research_sql(trace.table, pop, trace.population_key, ref, trace.reference_key)

    @dg.asset(
        key=research_trace_key(trace),
        deps=[trace_key(trace), research_key(pop.name), research_key(ref.name)],
        group_name=wave.group,
        kinds={"duckdb"},
        description=f"{pop.title} traced to {ref.title}: keyed hashes only, "
        f"{trace.population_key}_hash -> {trace.reference_key}_hash (as research.{pop.name} and "
        f"research.{ref.name} hold them) with the match probability, one row per traced person.",
    )
    def _research_trace(warehouse: WarehouseResource) -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata=write_research(warehouse, trace.table, sql))

    return _research_trace


def ttp_ids_asset(wave: Wave, plan: TTP.TtpPlan) -> dg.AssetsDefinition:
    """`linkage/<name>_ids`: a `ttp` plan's council records given one id across councils and
    periods (the trusted third party's step)."""
    key = ttp_ids_key(plan)
    keys = "; ".join(f"{s.name} by {k}" for s, k in plan.keyed)

    @dg.asset(
        key=key,
        deps=[*(std_key(s) for s in plan.council_names), previous_snapshot(key)],
        group_name=wave.group,
        partitions_def=SNAPSHOT_PARTITIONS,
        kinds={"duckdb", "splink"},
        description=f"The trusted third party's ids: every record of "
        f"{', '.join(s.title for s in plan.councils)} given the id of its person across "
        f"councils and periods, by model `{plan.ids_table}` (names, date of birth, sex, "
        f"postcode and NINO, every pair within and across the sources, above match probability "
        f"{TTP.TTP_THRESHOLD}) and hard links on each source's own key ({keys}). A ttp id is "
        "the smallest record uid of its cluster: an unchanged person keeps it, a changed "
        "cluster gets a new one (the spine's ids are the persistent ones). Replaced on every "
        "run." + TTP_IDS_COUNTS + SNAPSHOT_NOTE,
    )
    def _ttp_ids(context: dg.AssetExecutionContext, config: WaveTrainingConfig,
                 warehouse: WarehouseResource,
                 linkage_engine: LinkageEngineResource) -> dg.MaterializeResult:
        settings = get_settings()
        with warehouse.connect() as con, linkage_engine.use() as engine:
            require_run_snapshot(context, read_snapshot_date(con))
            summary = TTP.assign_ttp_ids(con, plan, settings.models_dir,
                                         retrain=config.retrain, seed=settings.seed)
            meta = table_meta(con, ".".join(key.path))
        context.log.info(f"{plan.name}: {summary['council_records']} council records, "
                         f"{summary['ttp_persons']} persons "
                         f"({summary['ttp_persons_with_repeats']} with repeat records)")
        return dg.MaterializeResult(metadata={"linkage_engine": engine.name, **meta,
                                              **_counts(summary)})

    return _ttp_ids


def ttp_link_asset(wave: Wave, plan: TTP.TtpPlan, spine: dg.AssetKey) -> dg.AssetsDefinition:
    """`linkage/<table>`: the spine persons traced one-to-one to a `ttp` plan's persons."""
    key = ttp_key(plan)

    @dg.asset(
        key=key,
        deps=[ttp_ids_key(plan), spine, *(std_key(s) for s in plan.traced),
              previous_snapshot(key)],
        group_name=wave.group,
        partitions_def=SNAPSHOT_PARTITIONS,
        kinds={"duckdb", "splink"},
        description=f"The spine persons holding a record of {', '.join(plan.traced)} traced to "
        f"the trusted third party's persons (linkage.{plan.ids_table}: one ttp id each, and "
        f"each ttp id one person) by model `{plan.name}` on names, date of birth, sex and "
        f"postcode (above match probability {TTP.SPINE_THRESHOLD}); each "
        f"{' / '.join(plan.council_names)} record of a traced person with its spine id, as a "
        "link table. Replaced on every run." + TTP_LINK_COUNTS + SNAPSHOT_NOTE,
    )
    def _ttp_link(context: dg.AssetExecutionContext, config: WaveTrainingConfig,
                  warehouse: WarehouseResource,
                  linkage_engine: LinkageEngineResource) -> dg.MaterializeResult:
        settings = get_settings()
        with warehouse.connect() as con, linkage_engine.use() as engine:
            require_run_snapshot(context, read_snapshot_date(con))
            summary = TTP.link_ttp_into_spine(con, plan, settings.models_dir,
                                              retrain=config.retrain, seed=settings.seed)
            meta = table_meta(con, ".".join(key.path))
        context.log.info(f"{plan.name}: {summary['people_linked']} of {summary['people']} "
                         "spine persons traced to a ttp id")
        return dg.MaterializeResult(metadata={"linkage_engine": engine.name, **meta,
                                              **_counts(summary)})

    return _ttp_link


def research_ttp_ids_asset(wave: Wave, plan: TTP.TtpPlan) -> dg.AssetsDefinition:
    """`research/<name>_ids`: each council record's row id hash -> its keyed ttp id."""
    from bold_assets.linkage import research as R

    @dg.asset(
        key=research_ttp_ids_key(plan),
        deps=[ttp_ids_key(plan), *(research_key(s) for s in plan.council_names)],
        group_name=wave.group,
        kinds={"duckdb"},
        description=f"The trusted third party's ids, keyed hashes only: each record of "
        f"{', '.join(plan.council_names)} (row_id_hash, as research.<source> holds it) with "
        "ttp_id_hash, one person across councils and periods, in the spine or not (repeat "
        "presentations). Ids of this run: a changed cluster gets a new one.",
    )
    def _research_ttp_ids(warehouse: WarehouseResource) -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata=write_research(
            warehouse, plan.ids_table, R.ttp_ids_research_sql(plan.ids_table)))

    return _research_ttp_ids


def research_link_asset(wave: Wave, spec: W.WaveLinkSpec,
                        upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """`research/<link_table>`: each record of the wave's person sources and each linked record
    of its populations, spine traces' reference files and ttp plans' council sources, hashed
    row id -> keyed spine person id (as research.xjs_link)."""
    from bold_assets.linkage import research as R

    people = tuple(p.source.name for p in spec.into_spine)
    tables = tuple(f"linkage.{t}" for t in spec.link_file_tables)
    sources = spec.link_file_sources

    @dg.asset(
        key=research_link_key(wave),
        deps=[*upstream, *(research_key(s) for s in sources)],
        group_name=wave.group,
        kinds={"duckdb"},
        description=f"Wave {wave.number} linking file: each record of "
        f"{', '.join(sources)} in the spine or linked to it, hashed row id -> keyed spine "
        "person id (`estimated_xjs_id`, as research.xjs_link).",
    )
    def _research_link(warehouse: WarehouseResource) -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata=write_research(
            warehouse, wave.link_table, R.wave_link_sql(people, tables)))

    return _research_link


def build_wave_linkage(catalog: Catalog) -> dg.Definitions:
    """The linkage assets of every active wave after wave 0, in wave order; each wave's spine
    step runs after the spine of the wave before."""
    assets: list[dg.AssetsDefinition] = []
    checks: list[dg.AssetChecksDefinition] = []
    spine = PERSON_IDS_KEY  # wave 0's spine (defs/wave_0/linkage.py)
    for wave in catalog.active_waves():
        if wave.number == 0 or not wave.link_plans:
            continue
        spec = W.wave_link_spec(catalog, wave.number)
        if spec.into_spine:
            assets.append(spine_asset(wave, spec, spine))
            spine = spine_key(wave)
        links = [population_link_asset(wave, link, spine) for link in spec.links]
        traces = [trace_asset(wave, t, spine) for t in spec.traces]
        ttp_links = [ttp_link_asset(wave, p, spine) for p in spec.ttps]
        if spec.into_spine or links or traces or ttp_links:
            checks.append(ids_unchanged_check(wave, spec, spine if spec.into_spine
                                              else (links or traces or ttp_links)[0].key))
        assets += links + traces + [ttp_ids_asset(wave, p) for p in spec.ttps] + ttp_links
        for t in spec.traces:
            if not t.of_spine:
                assets.append(research_trace_asset(wave, t))
        for p in spec.ttps:
            assets.append(research_ttp_ids_asset(wave, p))
        if spec.into_spine or spec.link_file_tables:
            upstream = [spine, *(a.key for a in links), *map(trace_key, spec.spine_traces),
                        *map(ttp_key, spec.ttps)]
            assets.append(research_link_asset(wave, spec, upstream))
    return dg.Definitions(assets=assets, asset_checks=checks)
