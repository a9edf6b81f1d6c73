"""`ttp` plans: linkage through a trusted third party (wave 4: Homelessness Data England's model).

Councils share the identifiers of the people in their homelessness cases (H-CLIC) and tenancies
(name, date of birth, sex, last settled postcode, the National Insurance number where known)
with a trusted third party (TTP), which gives each person one id across councils and quarters;
that id, not the councils' own references, is what links into the spine. `ttp_plan` reads a
declared plan (`wave_link.wave_link_spec` calls it) into a `TtpPlan`; `ttp` runs its two steps:

1. `assign_ttp_ids` (the TTP): the council sources' standardised records (`linkage.std_<source>`)
   clustered over hard links (records of a source sharing its own person key: a case reference,
   a tenant reference) and the pairs of one Splink dedupe model over all of them (every pair
   within and across sources, Splink's link-and-dedupe; the NINO is compared exactly, and
   blocked on, since every council source holds it). Written to `linkage.<name>_ids
   (source_dataset, record_id, ttp_id)`, every council record. A ttp id is the smallest record
   uid (`source|record_id`) of its cluster: deterministic from the data, so a person whose
   records are unchanged keeps the id across runs, but the id of a cluster that gains a record
   with a smaller uid, loses its smallest record, or merges or splits, changes. Ttp ids are
   per-run labels; the spine's ids (`linkage.person_ids`) are the persistent ones.
2. `link_ttp_into_spine`: the spine persons holding a record of the traced sources (all their
   spine records, `wave_link.spine_people`) traced one-to-one to the TTP persons (council
   records grouped by ttp id) with a Splink link model (spine records one side, council records
   the other; names, date of birth, sex and postcode; DOB and sex m probabilities borrowed from
   wave 0's criminal model), scored and resolved as a spine trace (`trace.group_scores`,
   `trace.one_to_one`): each spine person takes at most one TTP person and each TTP person at
   most one spine person. Written to `linkage.<table>` in a `link` table's shape (each council
   record of a linked TTP person with its spine person and the best pair's match probability),
   so it joins the wave's research link file as a spine trace's table does. Council people
   never get spine ids of their own: they reach the spine only through a traced person.

`research.<name>_ids` (`research.ttp_ids_research_sql`) holds the ttp ids as keyed hashes beside
each council record's `row_id_hash`, so researchers count repeat presentations of people the
spine does not hold. Models are trained like the other plans' (`justice.train_or_load`) and
saved under `<name>_ids` (the TTP's dedupe) and `<name>` (the link into the spine).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from bold_assets import warehouse as wh
from bold_assets.catalog import LinkPlan
from bold_assets.linkage import justice as J
from bold_assets.linkage import models as mdl
from bold_assets.linkage import trace as T
from bold_assets.linkage import wave_link as W
from bold_assets.linkage.core import THRESHOLDS
from bold_assets.sources import Source

# Council records join one TTP person over pairs at this match probability or above (and hard
# links). Medium, the default elsewhere: measured on a 68,000-person world (seed 7, 10,726
# council records of 6,461 people; benchmarks/bench_ttp.py), F1 at 0.5 / 0.8 / 0.9 / 0.95 /
# 0.99 over all pairs of council records 0.986 / 0.987 / 0.989 / 0.987 / 0.982, over pairs
# across councils 0.978 / 0.983 / 0.984 / 0.980 / 0.975, whole persons 0.980 / 0.981 / 0.981 /
# 0.978 / 0.969: flat from 0.8 to 0.9 (precision 0.996 at 0.8, 0.989 at 0.5; recall falls
# above 0.9), and the trace into the spine is the same at 0.8 and 0.9.
TTP_THRESHOLD_NAME = "medium"
TTP_THRESHOLD = THRESHOLDS[TTP_THRESHOLD_NAME]
# Spine persons take a TTP person at this match probability or above. Medium, not the trace's
# low threshold: F1 per reference (TTP) person is flat across thresholds, and precision is what
# a validated flag needs (a false link gives a stranger's homelessness to a spine person).
# Measured at 68,000 persons, F1 (precision) per TTP person at 0.5 / 0.8 / 0.9 / 0.95: seed 7
# 0.976 (0.986) / 0.976 (0.993) / - / 0.971 (0.995); the default seed 0.970 (0.977) / 0.970
# (0.987) / 0.969 (0.989) / 0.966 (0.990).
SPINE_THRESHOLD_NAME = "medium"
SPINE_THRESHOLD = THRESHOLDS[SPINE_THRESHOLD_NAME]
IDS_COLUMNS = ("source_dataset", "record_id", "ttp_id")
IDS_SCHEMA = pa.schema([(c, pa.string()) for c in IDS_COLUMNS])


@dataclass(frozen=True)
class TtpPlan:
    """A `ttp` plan: the records of `councils` (sources outside the spine, each with its own
    person key, `council_keys`) given one id across sources by a trusted third party
    (`linkage.<ids_table>`), then the spine persons holding a record of `traced` (spine
    sources) traced one-to-one to those ids (`linkage.<table>`, a link table's shape)."""

    name: str  # plan name: the link model into the spine
    table: str  # linkage.<table>: council records with the spine person of their TTP person
    councils: tuple[Source, ...]
    council_keys: tuple[str, ...]
    traced: tuple[str, ...]

    @property
    def ids_table(self) -> str:
        """`linkage.<ids_table>` / `research.<ids_table>`: the TTP's ids (and its model's name)."""
        return f"{self.name}_ids"

    @property
    def council_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.councils)

    @property
    def keyed(self) -> tuple[tuple[Source, str], ...]:
        """Each council source with its own person key (its hard links)."""
        return tuple(zip(self.councils, self.council_keys, strict=True))

    @property
    def sources(self) -> tuple[str, ...]:
        """The sources whose standardised records the plan reads (council sources first)."""
        return (*self.council_names, *self.traced)


def ttp_plan(catalog: Any, plan: LinkPlan, in_spine: set[str], where: str) -> TtpPlan:
    """A `ttp` plan read: the sources outside the spine (`in_spine`) are the council sources
    (at least one; each with identifiers and a person key), the others the traced spine sources
    (at least one). Fails with `where` (naming the plan) when it does not fit."""
    unknown = [s for s in plan.sources if s not in catalog.sources]
    if unknown:
        raise ValueError(f"{where}: unknown source(s) {', '.join(unknown)}")
    if len(set(plan.sources)) != len(plan.sources):
        raise ValueError(f"{where}: a source is named twice")
    councils = [catalog.sources[s] for s in plan.sources if s not in in_spine]
    traced = tuple(s for s in plan.sources if s in in_spine)
    if not councils or not traced:
        raise ValueError(f"{where}: a ttp plan names the sources the trusted third party links "
                         "(outside the spine) and the spine sources whose persons are traced "
                         f"to its ids (spine sources: {', '.join(sorted(in_spine))})")
    blind = [s.name for s in councils if not s.has_identifiers]
    if blind:
        raise ValueError(f"{where}: {', '.join(blind)} hold(s) no identifiers for the trusted "
                         "third party")
    keys = []
    for s in councils:
        try:
            keys.append(W.person_key(catalog, s))
        except ValueError as err:
            raise ValueError(f"{where}: council source without a person key ({err})") from None
    name = f"{plan.name}_ids"
    clash = {name, plan.output_table} & set(catalog.sources)
    if name == plan.output_table or clash:
        raise ValueError(f"{where}: its tables linkage.{plan.output_table} and "
                         f"linkage.{name} / research.{name} must differ from each other and "
                         "from every source's name")
    return TtpPlan(plan.name, plan.output_table, tuple(councils), tuple(keys), traced)


def ids_model_plan(plan: TtpPlan) -> mdl.ModelPlan:
    """The TTP's dedupe model: every pair of council records, within and across sources."""
    return mdl.ModelPlan(plan.ids_table, "dedupe_only", plan.council_names)


def assign_ttp_ids(con: duckdb.DuckDBPyConnection, plan: TtpPlan, models_dir: Path, *,
                   threshold: float = TTP_THRESHOLD, retrain: bool = False,
                   seed: int = 1) -> dict[str, Any]:
    """The TTP step: every council record given the id of its person across councils and
    periods, written to `linkage.<plan.ids_table>` (replaced). See the module for what an id
    is and how long it lasts. Returns counts."""
    for s in plan.councils:
        W.require_std(con, s)
    model = ids_model_plan(plan)
    clusters, models = W.cluster_people(con, plan.keyed, model, models_dir,
                                        thresholds={"ttp": threshold}, retrain=retrain,
                                        seed=seed)
    ids = clusters.rename(columns={"cluster_ttp": "ttp_id"})[list(IDS_COLUMNS)]
    ids = ids.sort_values(["source_dataset", "record_id"]).reset_index(drop=True)
    wh.replace_table_from(con, "linkage", plan.ids_table,
                          pa.Table.from_pandas(ids, preserve_index=False, schema=IDS_SCHEMA))
    sizes = ids.groupby("ttp_id").agg(n=("record_id", "size"),
                                      sources=("source_dataset", "nunique"))
    out: dict[str, Any] = {"council_records": len(ids), "ttp_persons": len(sizes),
                           "ttp_persons_with_repeats": int((sizes["n"] > 1).sum()),
                           "ttp_persons_in_several_sources": int((sizes["sources"] > 1).sum()),
                           "ttp_threshold": threshold,
                           "models": {n: e["meta"].get("version") for n, e in models.items()}}
    for s, n in ids.groupby("source_dataset")["ttp_id"].nunique().items():
        out[f"ttp_persons_{s}"] = int(n)
    return out


def read_ttp_ids(con: duckdb.DuckDBPyConnection, plan: TtpPlan) -> pd.DataFrame:
    """`linkage.<plan.ids_table>` (IDS_COLUMNS); fails when the TTP step has not run."""
    if not wh.table_exists(con, "linkage", plan.ids_table):
        raise ValueError(f"linkage.{plan.ids_table} does not exist: materialise "
                         f"linkage/{plan.ids_table} first (assign_ttp_ids, or call ttp)")
    return con.execute(f"SELECT {', '.join(IDS_COLUMNS)} FROM linkage.{plan.ids_table}").df()


def link_ttp_into_spine(con: duckdb.DuckDBPyConnection, plan: TtpPlan, models_dir: Path, *,
                        threshold: float = SPINE_THRESHOLD, retrain: bool = False,
                        seed: int = 1, borrow_from: str | None = W.REFERENCE_MODEL
                        ) -> dict[str, Any]:
    """The spine persons holding a record of `plan.traced` traced one-to-one to the TTP persons
    (`linkage.<plan.ids_table>`); writes `linkage.<plan.table>` (replaced; a link table's
    shape) and the spine persons that lost their TTP person to another
    (`trace.write_spine_collisions`). Returns counts."""
    ttp_ids = read_ttp_ids(con, plan)
    ids, traced_std = W.spine_people(con, plan.traced)
    traced = pd.Series(ids["person_id"].to_numpy(),
                       index=ids["source_dataset"] + "|" + ids["record_id"])
    reference = pd.Series(ttp_ids["ttp_id"].to_numpy(),
                          index=ttp_ids["source_dataset"] + "|" + ttp_ids["record_id"])
    council_std = W.semi_join(con, J.read_std(con, plan.council_names), ttp_ids)
    model = T.trace_model_plan(plan.name, tuple(sorted(ids["source_dataset"].unique())),
                               plan.council_names, borrow_from)
    edges, entry = W.scored_edges(con, model, [traced_std, council_std], models_dir,
                                  threshold=threshold, retrain=retrain, seed=seed)
    scores = T.group_scores(edges, traced, reference)
    links = T.one_to_one(scores)
    rows = ttp_ids.merge(links, left_on="ttp_id", right_on="reference")
    rows = rows.assign(person_id=rows["traced"].astype("int64"))
    W.write_links(con, plan.table, rows)
    lost = T.write_spine_collisions(con, plan.table, scores, links)
    return {"people": int(traced.nunique()), "records": len(traced),
            "people_linked": len(links), "council_records_linked": len(rows), "collisions": lost,
            "spine_threshold": threshold, "models": {model.name: entry["meta"].get("version")}}


def ttp(con: duckdb.DuckDBPyConnection, plan: TtpPlan, models_dir: Path, *,
        threshold: float = TTP_THRESHOLD, spine_threshold: float = SPINE_THRESHOLD,
        retrain: bool = False, seed: int = 1,
        borrow_from: str | None = W.REFERENCE_MODEL) -> dict[str, Any]:
    """Both steps of a `ttp` plan (`assign_ttp_ids`, then `link_ttp_into_spine`); their counts
    in one dict, the model versions of both under `models`."""
    ids = assign_ttp_ids(con, plan, models_dir, threshold=threshold, retrain=retrain,
                         seed=seed)
    links = link_ttp_into_spine(con, plan, models_dir, threshold=spine_threshold,
                                retrain=retrain, seed=seed, borrow_from=borrow_from)
    return ids | links | {"models": ids["models"] | links["models"]}
