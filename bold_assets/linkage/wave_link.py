"""Later waves into the persistent spine: a person source deduplicated and added, and a
population source (pupils) linked to the people of a justice source. Plain functions over a
warehouse connection (no dagster); wave 1 (PNC and NPD) is the first user.

1. `link_people_into_spine` (wave 1: PNC): the source's standardised records
   (`linkage.std_<source>`, written by its std asset) are deduplicated (records sharing the
   source's own person key, e.g. `pnc_id`, are one person: hard links; a Splink dedupe model
   finds duplicates across keys), and linked into `linkage.person_ids` with
   `spine_tables.add_source`: each of its persons joins the spine person it links to best (a
   Splink link model between the spine's records and the source's), or gets a new id. Rows
   already in `linkage.person_ids` are never changed, and records already there are skipped, so a
   second run adds nothing.
2. `link_population` (wave 1: NPD to PNC): the pupils' standardised records are grouped by the
   pupil key (`upn`), and linked by a Splink link model (names, date of birth, sex, postcode) to
   the records of every spine person holding a record of the justice source (the justice
   source's own records and the person's other spine records, which hold addresses). Each pupil
   takes the person it links to best above a threshold; pupils never get spine ids of their
   own. Written to `linkage.pupil_links(source_dataset, record_id, person_id,
   match_probability)`, replaced on every run.
3. `trace` plans (wave 3: the spine, and NPD pupils, traced to PDS): people traced one-to-one
   through a reference file (`bold_assets.linkage.trace`, which builds on the functions here).
4. `ttp` plans (wave 4: councils' homelessness cases and tenancies): records outside the spine
   given one id across sources by a trusted third party, then the spine's persons traced
   one-to-one to those ids (`bold_assets.linkage.ttp`, which builds on the two above).

Models are trained like wave 0's (`justice.train_or_load`: versioned Splink JSON under the models
folder, reused until retrained) under the wave's link-plan names (`wave_link_spec`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import pyarrow as pa

from bold_assets import warehouse as wh
from bold_assets.linkage import justice as J
from bold_assets.linkage import models as mdl
from bold_assets.linkage import spine, spine_tables
from bold_assets.linkage.core import THRESHOLDS, LinkageSession
from bold_assets.sources import Source

if TYPE_CHECKING:
    from bold_assets.linkage.trace import TracePlan
    from bold_assets.linkage.ttp import TtpPlan

PUPIL_LINKS = ("linkage", "pupil_links")
PUPIL_LINK_COLUMNS = ("source_dataset", "record_id", "person_id", "match_probability")
PUPIL_LINK_SCHEMA = pa.schema([("source_dataset", pa.string()), ("record_id", pa.string()),
                               ("person_id", pa.int64()), ("match_probability", pa.float64())])
# A person of the new source joins the spine person it links to best through pairs at this
# match probability or above (one pair suffices: the vote over all pairs picks the person).
SPINE_THRESHOLD = THRESHOLDS["low"]
# Pupils link to a person at this match probability or above (high: many pupils, few offenders,
# namesakes born in the same year abound).
POPULATION_THRESHOLD = THRESHOLDS["high"]
# Wave 0's model whose DOB and sex m probabilities the into-spine model borrows.
REFERENCE_MODEL = "link_criminal"
HARD_WEIGHT = 40.0  # match weight of a hard link (same person key): beyond any model's


@dataclass(frozen=True)
class SpinePlan:
    """An `into_spine` plan: a person source deduplicated (its own person key, plus the wave's
    `dedupe_link` plan on it) and linked into the persistent spine."""

    source: Source  # e.g. PNC people
    key: str  # its own person key (pnc_id)
    dedupe_name: str
    link_name: str


@dataclass(frozen=True)
class PopulationLink:
    """A `link` plan: a population source's people (e.g. NPD pupils, grouped by their key)
    linked to the spine persons holding a record of `people`; they never get spine ids."""

    source: Source  # e.g. NPD census
    key: str  # its own person key (upn)
    people: str  # the spine source linked to (pnc_people)
    name: str  # plan name
    table: str  # linkage.<table> the links are written to


def collisions_table(table: str) -> str:
    """The `linkage.<name>` of a spine trace's collisions (`trace.write_spine_collisions`)."""
    return f"{table}_collisions"


@dataclass(frozen=True)
class WaveLinkSpec:
    """What one later wave's linkage is, read from its `Wave.link_plans`."""

    number: int
    into_spine: tuple[SpinePlan, ...]
    links: tuple[PopulationLink, ...]
    spine_sources: tuple[str, ...]  # the person sources of the spine before the wave
    traces: tuple[TracePlan, ...] = ()  # `linkage.trace`
    ttps: tuple[TtpPlan, ...] = ()  # `linkage.ttp`

    @property
    def spine_traces(self) -> tuple[TracePlan, ...]:
        """The traces of spine persons (their tables join the wave's research link file)."""
        return tuple(t for t in self.traces if t.of_spine)

    @property
    def spine_trace_tables(self) -> tuple[str, ...]:
        """The `linkage.<table>`s of the plans tracing spine persons one-to-one to a reference
        person (spine traces' and `ttp` plans'): each with a `<table>_collisions` beside it."""
        return (*(t.table for t in self.spine_traces), *(t.table for t in self.ttps))

    @property
    def plan_names(self) -> tuple[str, ...]:
        return (*(n for p in self.into_spine for n in (p.dedupe_name, p.link_name)),
                *(link.name for link in self.links), *(t.name for t in self.traces),
                *(t.name for t in self.ttps))

    @property
    def link_file_tables(self) -> tuple[str, ...]:
        """The `linkage.<table>`s of link-table shape whose rows join the wave's research link
        file (besides the spine rows of its `into_spine` sources): `link` plans', spine
        traces' and `ttp` plans'."""
        return (*(link.table for link in self.links), *(t.table for t in self.spine_traces),
                *(t.table for t in self.ttps))

    @property
    def link_file_sources(self) -> tuple[str, ...]:
        """The sources whose records the wave's research link file holds: its `into_spine`
        sources, `link` plans' populations, spine traces' reference files and `ttp` plans'
        council sources."""
        return tuple(dict.fromkeys((
            *(p.source.name for p in self.into_spine), *(k.source.name for k in self.links),
            *(t.reference.name for t in self.spine_traces),
            *(s.name for t in self.ttps for s in t.councils))))


def person_key(catalog: Any, source: Source) -> str:
    """A source's own person key: the `parent_key` its attribute tables carry, else its first
    case id."""
    keys = {s.parent_key for s in catalog.sources.values()
            if s.parent == source.name and s.parent_key}
    if len(keys) == 1:
        return keys.pop()
    if source.case_ids:
        return source.case_ids[0]
    raise ValueError(f"{source.name}: no person key (no attribute table names one and it "
                     "declares no case id)")


def spine_sources_before(catalog: Any, number: int) -> tuple[str, ...]:
    """The person sources in the spine before wave `number`: wave 0's linked sources and the
    `into_spine` sources of the waves between (catalogue order)."""
    joined = {s for w in catalog.waves.values() if w.number < number
              for p in w.link_plans if p.kind == "into_spine" for s in p.sources}
    return tuple(s.name for s in catalog.sources.values() if s.wave < number and (
        s.link_role in ("criminal", "weak") or s.name in joined))


def wave_link_spec(catalog: Any, number: int) -> WaveLinkSpec:
    """Wave `number`'s linkage from its declared plans: each `into_spine` plan (one source)
    with the wave's `dedupe_link` plan on that source, each `link` plan (the population
    source first, then the spine source its people are linked to) and each `trace` plan
    (`trace.trace_plan`) and each `ttp` plan (`ttp.ttp_plan`). Fails naming the plan when a plan
    does not fit."""
    wave = catalog.waves[number]
    dedupes = {p.sources: p for p in wave.link_plans if p.kind == "dedupe_link"}
    spine_before = spine_sources_before(catalog, number)
    into: list[SpinePlan] = []
    links: list[PopulationLink] = []
    traces: list[TracePlan] = []
    ttps: list[TtpPlan] = []
    for plan in wave.link_plans:
        where = f"wave {number} link plan {plan.name!r} ({plan.kind}, sources {plan.sources})"
        if plan.kind == "into_spine":
            if len(plan.sources) != 1 or plan.sources not in dedupes:
                raise ValueError(f"{where}: an into_spine plan names one source, and the wave "
                                 "declares a dedupe_link plan on that source alone")
            source = catalog.get_source(plan.sources[0])
            into.append(SpinePlan(source, person_key(catalog, source),
                                  dedupes[plan.sources].name, plan.name))
        elif plan.kind == "link":
            if len(plan.sources) != 2:
                raise ValueError(f"{where}: a link plan names (population source, spine "
                                 "source)")
            population, people = plan.sources
            in_spine = {*spine_before, *(p.source.name for p in into)}
            if people not in in_spine:
                raise ValueError(f"{where}: {people} is not in the spine by then (spine "
                                 f"sources: {', '.join(sorted(in_spine))})")
            source = catalog.get_source(population)
            links.append(PopulationLink(source, person_key(catalog, source), people,
                                        plan.name, plan.output_table))
        elif plan.kind == "trace":
            from bold_assets.linkage.trace import trace_plan  # it builds on this module

            in_spine = {*spine_before, *(p.source.name for p in into)}
            traces.append(trace_plan(catalog, plan, in_spine, where))
        elif plan.kind == "ttp":
            from bold_assets.linkage.ttp import ttp_plan  # it builds on this module

            in_spine = {*spine_before, *(p.source.name for p in into)}
            ttps.append(ttp_plan(catalog, plan, in_spine, where))
        elif plan.kind != "dedupe_link":
            raise ValueError(f"{where}: kind {plan.kind!r} has no linkage for later waves")
    orphans = set(dedupes) - {(p.source.name,) for p in into}
    if orphans:
        raise ValueError(f"wave {number}: dedupe_link plan(s) "
                         f"{sorted(dedupes[o].name for o in orphans)} belong to no into_spine "
                         "plan")
    spec = WaveLinkSpec(number, tuple(into), tuple(links), spine_before, tuple(traces),
                        tuple(ttps))
    tables = ([x.table for x in (*links, *traces, *ttps)] + [t.ids_table for t in ttps]
              + [collisions_table(t) for t in spec.spine_trace_tables])
    twice = sorted({t for t in tables if tables.count(t) > 1})
    if twice:
        raise ValueError(f"wave {number}: link / trace plans write the same table(s) "
                         f"{', '.join(twice)} (ttp plans included: each writes linkage.<table> "
                         "and linkage.<name>_ids; spine traces also linkage.<table>_collisions)")
    return spec


def dedupe_plan(source: str, name: str) -> mdl.ModelPlan:
    return mdl.ModelPlan(name, "dedupe_only", (source,))


def into_spine_plan(source: str, spine_sources: tuple[str, ...], name: str,
                    reference: str | None = None) -> mdl.ModelPlan:
    """A link model between the spine's records (one group) and the new source's. With a
    `reference` model (wave 0's criminal model), its date-of-birth and sex agreement rates
    among matches are borrowed: EM on exact-name blocks across a whole spine latches onto
    namesakes (common name pairs), as it does on the sparse family / civil records."""
    return link_model_plan(name, spine_sources, "spine", source, "new", reference)


def link_model_plan(name: str, sources: tuple[str, ...], group: str,
                    other: str | tuple[str, ...], other_group: str,
                    reference: str | None = None) -> mdl.ModelPlan:
    """A `link_only` model between the records of `sources` (one side, `group`) and those of
    `other`, one source or several (the other side, `other_group`), borrowing the date-of-birth
    and sex m probabilities of the `reference` model when given (`into_spine_plan` says why)."""
    others = (other,) if isinstance(other, str) else tuple(other)
    borrowed: dict[str, Any] = ({"borrow": ("dob", "sex"), "reference": reference}
                                if reference else {})
    return mdl.ModelPlan(name, "link_only", (*sources, *others),
                         {s: group for s in sources} | dict.fromkeys(others, other_group),
                         **borrowed)


def reference_model(con: duckdb.DuckDBPyConnection, models_dir: Path,
                    name: str = REFERENCE_MODEL) -> dict[str, Any] | None:
    """Wave 0's model `name`: the version recorded for prediction, else the latest saved;
    None when there is none."""
    from bold_assets.linkage import incremental as inc

    try:
        return inc.load_recorded(con, models_dir)[name]["model"]
    except (inc.NoRecordedModel, KeyError):
        saved = mdl.load_latest(models_dir, name)
        return saved[0] if saved else None


def population_plan(pupils: str, person_sources: tuple[str, ...], name: str,
               reference: str | None = None) -> mdl.ModelPlan:
    """A link model between pupils' records and the records of the people they may be (DOB
    and sex m probabilities borrowed from `reference`, as `into_spine_plan`)."""
    return link_model_plan(name, person_sources, "people", pupils, "pupils", reference)


def _train(con: duckdb.DuckDBPyConnection, session: LinkageSession, plan: mdl.ModelPlan,
           models_dir: Path, retrain: bool, seed: int) -> dict[str, Any]:
    """`justice.train_or_load` for one plan, with its wave-0 reference model; fails plainly
    when the plan cannot be trained."""
    ref = reference_model(con, models_dir, plan.reference) if plan.reference else None
    models = J.train_or_load(session, models_dir, retrain=retrain, seed=seed, plans=[plan],
                             references={plan.reference: ref} if plan.reference and ref
                             else None)
    if plan.name not in models:
        raise ValueError(f"{plan.name}: the model could not be trained (it needs records on "
                         f"both sides: {', '.join(plan.sources)})")
    return models[plan.name]


def key_groups_sql(source: Source, column: str) -> str:
    """SQL: (record_id, grp) of `raw.<source>`, the source's own person key of each record."""
    if column not in source.columns:
        raise ValueError(f"raw.{source.name}: no column {column!r} to group records by "
                         f"(columns: {', '.join(source.columns)})")
    from bold_assets.linkage.research import key_sql

    grp = key_sql(source, column, f'"{column}"')
    return (f'SELECT record_id, grp FROM (SELECT CAST("{source.key}" AS VARCHAR) AS record_id, '
            f'CAST({grp} AS VARCHAR) AS grp FROM raw.{source.name}) WHERE grp IS NOT NULL')


def key_groups(con: duckdb.DuckDBPyConnection, source: Source, column: str) -> pd.DataFrame:
    """(record_id, grp) of `raw.<source>` (`key_groups_sql`)."""
    return con.execute(key_groups_sql(source, column)).df()


def _hard_pairs(session: LinkageSession, source: str, groups: pd.DataFrame) -> str:
    """A pairs table (PAIR_COLUMNS) joining each record to the first record of its key."""
    session.con.register("__bold_groups", groups)
    session.con.execute(f"""
        CREATE OR REPLACE TABLE pairs_hard_{source} AS
        WITH g AS (SELECT record_id, grp, min(record_id) OVER (PARTITION BY grp) AS first_id
                   FROM __bold_groups)
        SELECT 'hard_key' AS model, '{source}' AS source_dataset_l, first_id AS record_id_l,
               '{source}' AS source_dataset_r, record_id AS record_id_r,
               {HARD_WEIGHT} AS match_weight, 1.0 AS match_probability,
               'key' AS match_key
        FROM g WHERE record_id <> first_id""")
    session.con.unregister("__bold_groups")
    return f"pairs_hard_{source}"


def cluster_people(con: duckdb.DuckDBPyConnection, keyed: tuple[tuple[Source, str], ...],
                   plan: mdl.ModelPlan, models_dir: Path, *, thresholds: dict[str, float],
                   retrain: bool = False, seed: int = 1,
                   ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The persons of one or more sources (`keyed`: each with its own person key): their
    standardised records clustered over hard links (records of a source sharing its key) and
    the pairs of the dedupe model `plan` (trained or loaded; a `dedupe_only` model over several
    sources compares every pair, within and across them). Returns ((source_dataset, record_id,
    cluster_<name> per threshold: the cluster's smallest record uid), models)."""
    names = tuple(s.name for s, _ in keyed)
    with LinkageSession(J.read_std(con, names)) as session:
        models = J.train_or_load(session, models_dir, retrain=retrain, seed=seed, plans=[plan])
        tables = [session.predict(plan, e["model"]) for e in models.values()]
        tables += [_hard_pairs(session, s.name, key_groups(con, s, key)) for s, key in keyed]
        clusters = session.fetch(session.cluster(tables, thresholds)).to_pandas()
    return clusters, models


def dedupe_people(con: duckdb.DuckDBPyConnection, source: Source, key: str, models_dir: Path,
                  *, plan_name: str, retrain: bool = False, seed: int = 1,
                  threshold: str = "medium") -> tuple[pd.DataFrame, dict[str, Any]]:
    """The persons of a source: its records clustered over hard links (same `key`) and the
    pairs of a Splink dedupe model. Returns ((source_dataset, record_id, cluster), models)."""
    clusters, models = cluster_people(con, ((source, key),), dedupe_plan(source.name, plan_name),
                                      models_dir, thresholds=THRESHOLDS, retrain=retrain,
                                      seed=seed)
    out = clusters[["source_dataset", "record_id", f"cluster_{threshold}"]]
    return out.rename(columns={f"cluster_{threshold}": "cluster"}), models


def require_std(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """The source's standardised records are read as the std asset (or `link_wave`) wrote
    them; they are not standardised a second time here."""
    if not wh.table_exists(con, "linkage", f"std_{source.name}"):
        raise ValueError(f"linkage.std_{source.name} does not exist: materialise "
                         f"linkage/std_{source.name} first (or call link_wave)")


def link_people_into_spine(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    key: str,
    spine_sources: tuple[str, ...],
    models_dir: Path,
    *,
    dedupe_name: str,
    link_name: str,
    threshold: float = SPINE_THRESHOLD,
    retrain: bool = False,
    seed: int = 1,
    reference: str | None = REFERENCE_MODEL,
) -> dict[str, Any]:
    """Deduplicate a person source (PNC) and add it to `linkage.person_ids`, from its
    standardised records (`linkage.std_<source>`).

    `key`: the source's own person key (`pnc_id`); `spine_sources`: the sources whose ids make
    the spine (wave 0's). Rows already in `linkage.person_ids` are never changed; the source's
    records already there are not linked again (a rerun adds nothing); a new record of a person
    already added (same key, or a dedupe match) takes that person's id. `reference`: the wave-0
    model (in `models_dir`) whose DOB / sex m probabilities the link model borrows (None: EM
    estimates them). Returns counts.
    """
    require_std(con, source)
    clusters, dedupe_models = dedupe_people(con, source, key, models_dir, retrain=retrain,
                                            seed=seed, plan_name=dedupe_name)
    existing = con.execute("SELECT record_id, person_id FROM linkage.person_ids "
                           "WHERE source_dataset = ?", [source.name]).df()
    c = clusters.merge(existing, on="record_id", how="left")
    new = c[c["person_id"].isna()]
    out: dict[str, Any] = {"records": len(c), "already_in_spine": int(c["person_id"].notna().sum()),
                           "persons_in_source": int(c["cluster"].nunique()),
                           "models": {n: e["meta"].get("version")
                                      for n, e in dedupe_models.items()}}
    if new.empty:
        return out | {"added": 0, "carried": 0, "joined": 0, "new_persons": 0,
                      "ids_restored": 0}
    # a cluster holding records added before: its new records take that person's id
    known = (c.dropna(subset=["person_id"]).groupby(["cluster", "person_id"]).size()
             .rename("n").reset_index().sort_values(["cluster", "n", "person_id"],
                                                    ascending=[True, False, True])
             .drop_duplicates("cluster").set_index("cluster")["person_id"])
    carried = new[new["cluster"].isin(known.index)]
    rest = new[~new["cluster"].isin(known.index)]
    if len(carried):
        _append_ids(con, carried.assign(person_id=carried["cluster"].map(known).astype("int64")))
    joined = new_persons = 0
    out["ids_restored"] = 0
    if len(rest):
        std = J.read_std(con, (source.name,))
        plan = into_spine_plan(source.name, spine_sources, link_name, reference)
        with LinkageSession([J.read_std(con, spine_sources), std]) as session:
            entry = _train(con, session, plan, models_dir, retrain, seed)
        out["models"][plan.name] = entry["meta"].get("version")
        wanted = set(rest["record_id"])
        new_std = std.filter(pa.array([r in wanted for r in std.column("record_id")
                                       .to_pylist()]))
        uid = rest["source_dataset"] + "|" + rest["record_id"]
        update = spine_tables.add_source(
            con, new_std, entry["model"], spine_sources=spine_sources,
            threshold=threshold, new_clusters=dict(zip(uid, rest["cluster"], strict=True)))
        kinds = update.changes.groupby("kind")["n_records"].sum()
        minted = set(update.changes.loc[update.changes["kind"] == "new", "new_id"].astype(int))
        restored = restore_prior_ids(con, source.name, minted)
        joined, new_persons = int(kinds.get("join", 0)), len(minted) - restored
        out["ids_restored"] = restored
    return out | {"added": len(new), "carried": len(carried), "joined": joined,
                  "new_persons": new_persons}


def restore_prior_ids(con: duckdb.DuckDBPyConnection, source: str, minted: set[int]) -> int:
    """Ids that last for a later wave's own persons: a person given a new id (`minted`) at this
    snapshot whose records held, at the source's previous snapshot, an id no other source's
    record had (a person only this source knows) and nobody holds now, takes that id back
    (most records first, each id once). Its `new` change rows go (nothing changed for it).
    Returns the number of ids restored."""
    if not minted:
        return 0
    snap = con.execute("SELECT max(snapshot_date) FROM linkage.person_ids").fetchall()[0][0]
    cand = con.execute("""
        WITH prev AS (SELECT max(snapshot_date) AS d FROM linkage.person_ids_history
                      WHERE source_dataset = $src AND snapshot_date < $snap),
        h AS (SELECT record_id, person_id FROM linkage.person_ids_history
              WHERE source_dataset = $src AND snapshot_date = (SELECT d FROM prev)),
        shared AS (SELECT DISTINCT person_id FROM linkage.person_ids_history
                   WHERE snapshot_date = (SELECT d FROM prev) AND source_dataset <> $src)
        SELECT i.person_id AS minted, h.person_id AS prior_id, count(*) AS n
        FROM h JOIN linkage.person_ids i ON i.source_dataset = $src AND i.record_id = h.record_id
        WHERE h.person_id NOT IN (SELECT person_id FROM shared)
          AND h.person_id NOT IN (SELECT person_id FROM linkage.person_ids)
        GROUP BY ALL ORDER BY n DESC, prior_id, minted""",
        {"src": source, "snap": snap}).df()
    cand = cand[cand["minted"].isin(minted)]
    remap: dict[int, int] = {}
    used: set[int] = set()
    for m, p in zip(cand["minted"].astype(int), cand["prior_id"].astype(int), strict=True):
        if m not in remap and p not in used:
            remap[m] = p
            used.add(p)
    if not remap:
        return 0
    frame = pd.DataFrame({"minted": list(remap), "prior_id": list(remap.values())})
    wh.write_frames(con, {"__remap": frame}, [
        *(f"UPDATE linkage.{t} AS t SET person_id = r.prior_id FROM __remap r "
          f"WHERE t.person_id = r.minted AND t.source_dataset = '{source}' "
          f"AND t.snapshot_date = DATE '{snap}'" for t in ("person_ids", "person_ids_history")),
        f"DELETE FROM linkage.person_id_changes WHERE snapshot_date = DATE '{snap}' "
        "AND kind = 'new' AND new_id IN (SELECT minted FROM __remap)",
    ])
    return len(remap)


def spine_rows_view(con: duckdb.DuckDBPyConnection, name: str,
                    sources: tuple[str, ...]) -> None:
    """`linkage.<name>`: a view of the rows of `sources` in `linkage.person_ids` (a wave's
    records in the spine)."""
    names = ", ".join(f"'{s}'" for s in sources)
    con.execute(f"CREATE OR REPLACE VIEW linkage.{name} AS SELECT * FROM linkage.person_ids "
                f"WHERE source_dataset IN ({names})")


def _append_ids(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> None:
    """Append (source_dataset, record_id, person_id) rows to the spine at its snapshot, logged
    as records joining a person (kind `join`)."""
    snap = con.execute("SELECT max(snapshot_date) FROM linkage.person_ids").fetchall()[0][0]
    ids = rows[list(spine.ID_COLUMNS)].assign(snapshot_date=snap)
    changes = (ids.groupby("person_id").size().rename("n_records").reset_index()
               .rename(columns={"person_id": "new_id"}))
    changes = changes.assign(snapshot_date=snap, old_id=pd.NA, kind="join")[
        list(spine.CHANGE_COLUMNS)].astype({"old_id": "Int64"})
    wh.write_frames(con, {"__ids": ids, "__changes": changes}, [
        "INSERT INTO linkage.person_ids SELECT source_dataset, record_id, person_id, "
        "snapshot_date FROM __ids",
        "INSERT INTO linkage.person_ids_history SELECT snapshot_date, source_dataset, "
        "record_id, person_id FROM __ids",
        "INSERT INTO linkage.person_id_changes SELECT * FROM __changes",
    ])


def spine_people(con: duckdb.DuckDBPyConnection,
                 sources: tuple[str, ...]) -> tuple[pd.DataFrame, pa.Table]:
    """The spine persons holding a record of any of `sources`: all their spine records
    (source_dataset, record_id, person_id) and those records standardised. Fails when no
    record of `sources` is in `linkage.person_ids`."""
    names = ", ".join(f"'{s}'" for s in sources)
    ids = con.execute(f"""
        SELECT source_dataset, record_id, person_id FROM linkage.person_ids
        WHERE person_id IN (SELECT person_id FROM linkage.person_ids
                            WHERE source_dataset IN ({names}))""").df()
    person_sources = tuple(sorted(ids["source_dataset"].unique()))
    if not set(sources) & set(person_sources):
        raise ValueError(f"no record of {', '.join(sources)} in linkage.person_ids: link it into "
                         "the spine first (link_people_into_spine)")
    return ids, semi_join(con, J.read_std(con, person_sources), ids)


def semi_join(con: duckdb.DuckDBPyConnection, records: pa.Table, keys: pd.DataFrame) -> pa.Table:
    """The rows of `records` whose (source_dataset, record_id), or record_id when `keys` has
    no source_dataset, is in `keys`."""
    on = [c for c in ("source_dataset", "record_id") if c in keys.columns]
    con.register("__bold_records", records)
    con.register("__bold_keys", keys[on])
    try:
        return con.sql(f"SELECT r.* FROM __bold_records r SEMI JOIN __bold_keys k "
                       f"USING ({', '.join(on)})").to_arrow_table()
    finally:
        con.unregister("__bold_records")
        con.unregister("__bold_keys")


def scored_edges(con: duckdb.DuckDBPyConnection, plan: mdl.ModelPlan, records: list[pa.Table],
                 models_dir: Path, *, threshold: float, retrain: bool = False,
                 seed: int = 1) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The plan's model trained (or loaded) on `records` and its pairs at `threshold` or above:
    (edges with uid_l / uid_r, the model's entry)."""
    with LinkageSession(records) as session:
        entry = _train(con, session, plan, models_dir, retrain, seed)
        pairs = session.fetch(session.predict(plan, entry["model"])).to_pandas()
    edges = pairs[pairs["match_probability"] >= threshold].assign(
        uid_l=lambda d: d["source_dataset_l"] + "|" + d["record_id_l"],
        uid_r=lambda d: d["source_dataset_r"] + "|" + d["record_id_r"])
    return edges.reset_index(drop=True), entry


def link_population(
    con: duckdb.DuckDBPyConnection,
    pupils: Source,
    key: str,
    people_source: str,
    models_dir: Path,
    *,
    plan_name: str,
    table: str = PUPIL_LINKS[1],
    threshold: float = POPULATION_THRESHOLD,
    retrain: bool = False,
    seed: int = 1,
    reference: str | None = REFERENCE_MODEL,
) -> dict[str, Any]:
    """Link pupils (NPD census) to the spine persons holding a record of `people_source` (PNC);
    writes `linkage.<table>` (replaced). `key`: the pupil key grouping a pupil's records
    (`upn`). Returns counts."""
    require_std(con, pupils)
    ids, people = spine_people(con, (people_source,))
    person_sources = tuple(sorted(ids["source_dataset"].unique()))
    plan = population_plan(pupils.name, person_sources, plan_name, reference)
    edges, entry = scored_edges(con, plan, [people, J.read_std(con, (pupils.name,))],
                                models_dir, threshold=threshold, retrain=retrain, seed=seed)
    groups = key_groups(con, pupils, key)
    groups["uid"] = pupils.name + "|" + groups["record_id"]
    comp = groups.set_index("uid")["grp"]
    person_of = ids.assign(uid=ids["source_dataset"] + "|" + ids["record_id"]).set_index(
        "uid")["person_id"]
    best = spine.best_person(edges[["uid_l", "uid_r", "match_weight"]], comp, person_of)
    # each pupil's probability: its best pair with the person it links to
    is_l = edges["uid_l"].isin(comp.index)
    e = pd.DataFrame({"grp": comp.reindex(edges["uid_l"].where(is_l, edges["uid_r"])).to_numpy(),
                      "person_id": person_of.reindex(edges["uid_r"].where(is_l, edges["uid_l"]))
                      .to_numpy(), "p": edges["match_probability"].to_numpy()})
    prob = e.groupby(["grp", "person_id"])["p"].max()
    links = groups[groups["grp"].isin(best)].copy()
    links["person_id"] = links["grp"].map(best).astype("int64")
    links["match_probability"] = [prob.get((g, p)) for g, p in
                                  zip(links["grp"], links["person_id"], strict=True)]
    links["source_dataset"] = pupils.name
    write_links(con, table, links)
    return {"records": len(groups), "people": int(groups["grp"].nunique()),
            "people_linked": len(best), "records_linked": len(links),
            "persons_linked": int(links["person_id"].nunique()),
            "threshold": threshold,
            "models": {plan.name: entry["meta"].get("version")}}


def write_links(con: duckdb.DuckDBPyConnection, table: str, links: pd.DataFrame) -> None:
    """Replace `linkage.<table>` with `links` (PUPIL_LINK_COLUMNS: a link table's shape)."""
    wh.replace_table_from(con, "linkage", table, pa.Table.from_pandas(
        links[list(PUPIL_LINK_COLUMNS)], preserve_index=False, schema=PUPIL_LINK_SCHEMA))


def link_wave_people(con: duckdb.DuckDBPyConnection, models_dir: Path, spec: WaveLinkSpec, *,
                     retrain: bool = False, seed: int = 1) -> dict[str, dict[str, Any]]:
    """Each `into_spine` source of the wave into the spine, in declaration order (each links to
    the spine as the ones before left it). Returns the summaries by plan name."""
    out: dict[str, dict[str, Any]] = {}
    spine = spec.spine_sources
    for p in spec.into_spine:
        out[p.link_name] = link_people_into_spine(
            con, p.source, p.key, spine, models_dir, dedupe_name=p.dedupe_name,
            link_name=p.link_name, retrain=retrain, seed=seed)
        spine = (*spine, p.source.name)
    return out


def link_wave(con: duckdb.DuckDBPyConnection, models_dir: Path, spec: WaveLinkSpec, *,
              retrain: bool = False, seed: int = 1) -> dict[str, Any]:
    """A later wave's linkage in one call, as its Dagster assets run it: each `into_spine`
    source into the spine, then each `link` plan's population to its people, then each
    `trace`, then each `ttp`; every source is standardised first (as the wave's std assets do
    in Dagster)."""
    for source in (*(p.source for p in spec.into_spine), *(p.source for p in spec.links)):
        J.standardise_source(con, source)
    out = link_wave_people(con, models_dir, spec, retrain=retrain, seed=seed)
    for link in spec.links:
        out[link.name] = link_population(con, link.source, link.key, link.people, models_dir,
                                     plan_name=link.name, table=link.table, retrain=retrain,
                                     seed=seed)
    if spec.traces:
        from bold_assets.linkage import trace as T  # it builds on this module

        for t in spec.traces:
            for source in (t.reference, *((t.population,) if t.population else ())):
                J.standardise_source(con, source)
            out[t.name] = T.trace(con, t, models_dir, retrain=retrain, seed=seed)
    if spec.ttps:
        from bold_assets.linkage import ttp as TTP  # it builds on this module

        for p in spec.ttps:
            for source in p.councils:
                J.standardise_source(con, source)
            out[p.name] = TTP.ttp(con, p, models_dir, retrain=retrain, seed=seed)
    return out
