"""`trace` plans: people traced one-to-one through a reference file (wave 3: PDS, NHS numbers).

`trace_plan` reads a declared plan (`wave_link.wave_link_spec` calls it) into a `TracePlan`;
`trace` runs it.

A trace links traced records to the records of a reference file (`TracePlan.reference`, e.g. PDS:
one row per person and address, grouped into reference people by its person key, e.g.
`nhs_number`; records without a key are no reference people) with a Splink link model (names,
date of birth, sex, postcode: the demographic steps of a trace; traced records holding an NHS
number would also be compared exactly on it, as every model whose sources all hold a national
id does). The traced side is either

- the spine (`TracePlan.of_spine`): the spine persons holding a record of any of the traced
  sources, each with all its spine records (as `wave_link.link_population` reads them); written
  to `linkage.<table>(source_dataset, record_id, person_id, match_probability)`, the shape of a
  `link` plan's table: each record of a reference person with the spine person traced to it, so
  the wave's research link file (`research.wave_<n>_link`) and dbt treat it as a link table;
  the spine persons whose best reference person went to another spine person go to
  `linkage.<table>_collisions` (`spine_collisions`); or
- one population source's people (records grouped by its person key, e.g. NPD pupils by `upn`;
  records without a key are not traced): written to `linkage.<table>(source_dataset, record_id,
  reference_dataset, reference_record_id, match_probability)`, each record of a traced person
  with the reference record that person matched best (its reference person's NHS number is the
  one of that record); `research.<table>` holds only keyed hashes of the two keys
  (`research.trace_research_sql`).

Pairs at the threshold or above are scored per (traced person, reference person): the best pair's
match weight (the order of its match probability, without its rounding to 1.0), then the summed
weights of all their pairs. One-to-one (`one_to_one`): each traced person takes its best reference
person, then each reference person keeps the best of the traced people that took it (a person has
one NHS number, an NHS number one person); ties go to the lower id. Models are trained like the
other plans' (`wave_link._train`, DOB and sex m probabilities borrowed from wave 0's criminal
model) and saved under the plan's name.
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
from bold_assets.linkage import wave_link as W
from bold_assets.linkage.core import THRESHOLDS
from bold_assets.sources import Source

# Traced people take a reference person at this match probability or above. Low: the
# one-to-one choice of the best reference person, not the threshold, keeps namesakes apart
# (measured on wave 3 at 68,000 people: precision 0.993 at 0.5, 0.8 and 0.95 alike, recall
# over reference people 0.957 / 0.948 / 0.936), and a person whose records are weak (family or
# civil only, often no date of birth) is traced only at a lower probability.
TRACE_THRESHOLD_NAME = "low"
TRACE_THRESHOLD = THRESHOLDS[TRACE_THRESHOLD_NAME]
# linkage.<table> of a population trace
POPULATION_TRACE_COLUMNS = ("source_dataset", "record_id", "reference_dataset",
                            "reference_record_id", "match_probability")
POPULATION_TRACE_SCHEMA = pa.schema(
    [(c, pa.float64() if c == "match_probability" else pa.string())
     for c in POPULATION_TRACE_COLUMNS])
SCORE_COLUMNS = ("traced", "reference", "weight", "weight_sum", "match_probability",
                 "reference_uid")
# linkage.<table>_collisions of a spine trace (`spine_collisions`)
COLLISION_SCHEMA = pa.schema([("person_id", pa.int64()), ("other_person_id", pa.int64()),
                              ("match_probability", pa.float64())])


@dataclass(frozen=True)
class TracePlan:
    """A `trace` plan: people traced through a reference file (`reference`, e.g. PDS, whose
    records are grouped into reference people by `reference_key`, e.g. `nhs_number`), one-to-one
    (this module). Either the spine persons holding a record of any of `traced`
    (spine sources; `population` None), or the people of one population source (`population`,
    e.g. NPD census, grouped by `population_key`; `traced` is its name)."""

    name: str  # plan name
    table: str  # linkage.<table> the links are written to (and research.<table>: population)
    reference: Source
    reference_key: str
    traced: tuple[str, ...]
    population: Source | None = None
    population_key: str | None = None

    @property
    def of_spine(self) -> bool:
        """True when the spine's persons are traced (not a population source's people)."""
        return self.population is None

    @property
    def sources(self) -> tuple[str, ...]:
        """The sources whose standardised records the trace reads (reference first)."""
        return (self.reference.name, *self.traced)


def trace_plan(catalog: Any, plan: LinkPlan, in_spine: set[str], where: str) -> TracePlan:
    """A `trace` plan read: `sources[0]` the reference file (a source with identifiers and a
    person key, not in the spine), the rest either spine sources (`in_spine`) or one population
    source with a person key. Fails with `where` (naming the plan) when it does not fit."""
    if len(plan.sources) < 2:
        raise ValueError(f"{where}: a trace plan names (reference source, traced sources...)")
    unknown = [s for s in plan.sources if s not in catalog.sources]
    if unknown:
        raise ValueError(f"{where}: unknown source(s) {', '.join(unknown)}")
    reference, traced = catalog.sources[plan.sources[0]], tuple(plan.sources[1:])
    if reference.name in traced or reference.name in in_spine or not reference.has_identifiers:
        raise ValueError(f"{where}: the reference file {reference.name} must hold identifiers, "
                         "be outside the spine and not be traced itself")
    try:
        ref_key = W.person_key(catalog, reference)
    except ValueError as err:
        raise ValueError(f"{where}: reference file without a person key ({err})") from None
    spine, outside = [s for s in traced if s in in_spine], [s for s in traced if s not in in_spine]
    if spine and outside:
        raise ValueError(f"{where}: traces either spine sources or one population source, not "
                         f"both (in the spine: {', '.join(spine)}; not: {', '.join(outside)})")
    if not outside:
        return TracePlan(plan.name, plan.output_table, reference, ref_key, traced)
    if len(outside) > 1:
        raise ValueError(f"{where}: traces one population source, not {', '.join(outside)} "
                         f"(spine sources: {', '.join(sorted(in_spine))})")
    population = catalog.sources[outside[0]]
    if not population.has_identifiers:
        raise ValueError(f"{where}: {population.name} holds no identifiers to trace")
    try:
        key = W.person_key(catalog, population)
    except ValueError as err:
        raise ValueError(f"{where}: traced source without a person key ({err})") from None
    if key == ref_key or plan.output_table in catalog.sources:
        raise ValueError(f"{where}: research.{plan.output_table} holds {key}_hash and "
                         f"{ref_key}_hash: the keys must differ and the table must not be "
                         "named as a source")
    return TracePlan(plan.name, plan.output_table, reference, ref_key, traced, population, key)


def trace_model_plan(name: str, traced_sources: tuple[str, ...],
                     reference: str | tuple[str, ...],
                     borrow_from: str | None = W.REFERENCE_MODEL) -> mdl.ModelPlan:
    """A link model between the traced records (one group) and the reference file's, or those
    of several reference sources (the other group: a `ttp` plan's council sources), DOB and sex
    m probabilities borrowed from `borrow_from` (as `wave_link.population_plan`)."""
    return W.link_model_plan(name, traced_sources, "traced", reference, "reference", borrow_from)


def group_scores(edges: pd.DataFrame, traced: pd.Series, reference: pd.Series) -> pd.DataFrame:
    """Per (traced group, reference group) joined by `edges` (uid_l, uid_r, match_weight,
    match_probability; either side may be the traced one): the best pair's weight and
    probability, the summed weights, and the reference record (uid) of the best pair (ties:
    the lower uid). `traced` / `reference`: record uid -> group. Columns SCORE_COLUMNS."""
    is_t = edges["uid_l"].isin(traced.index)
    t_uid = edges["uid_l"].where(is_t, edges["uid_r"])
    r_uid = edges["uid_r"].where(is_t, edges["uid_l"])
    e = pd.DataFrame({"traced": traced.reindex(t_uid).to_numpy(),
                      "reference": reference.reindex(r_uid).to_numpy(),
                      "reference_uid": r_uid.to_numpy(),
                      "weight": edges["match_weight"].to_numpy(dtype=float),
                      "match_probability": edges["match_probability"].to_numpy(dtype=float)})
    e = e.dropna(subset=["traced", "reference"]).astype(
        {"traced": traced.dtype, "reference": reference.dtype})
    if e.empty:
        return pd.DataFrame({c: pd.Series(dtype=float if c.startswith(("weight", "match"))
                                          else object) for c in SCORE_COLUMNS})
    e = e.sort_values(["traced", "reference", "weight", "reference_uid"],
                      ascending=[True, True, False, True], kind="stable")
    g = e.groupby(["traced", "reference"], sort=False)
    out = g.first()[["weight", "reference_uid"]].join(
        g.agg(weight_sum=("weight", "sum"), match_probability=("match_probability", "max")))
    return out.reset_index()[list(SCORE_COLUMNS)]


def best_reference(scores: pd.DataFrame) -> pd.DataFrame:
    """Each traced group's row of `group_scores` with its best reference group (highest
    `weight`, then `weight_sum`, then the lower reference id): `one_to_one`'s first step."""
    return (scores.sort_values(["traced", "weight", "weight_sum", "reference"],
                               ascending=[True, False, False, True], kind="stable")
            .drop_duplicates("traced"))


def one_to_one(scores: pd.DataFrame) -> pd.DataFrame:
    """The links of `group_scores`: each traced group takes its best reference group (highest
    `weight`, then `weight_sum`, then the lower reference id), then each reference group keeps
    the best traced group among those that took it (the same order, then the lower traced id).
    A traced group whose best reference group went to another stays unlinked."""
    if scores.empty:
        return scores.copy()
    best = best_reference(scores)
    best = (best.sort_values(["reference", "weight", "weight_sum", "traced"],
                             ascending=[True, False, False, True], kind="stable")
            .drop_duplicates("reference"))
    return best.sort_values("traced", kind="stable").reset_index(drop=True)


def spine_collisions(scores: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """The traced groups whose best reference group `one_to_one` gave to another traced group
    (`links`), with that group and their best pair's probability: (person_id, other_person_id,
    match_probability). Two spine persons tracing best to one reference person (one NHS number)
    are likely one person split; the error-aware estimates draw them as a link
    (`bold_assets.estimates.reading`)."""
    best = best_reference(scores)
    lost = best[~best["traced"].isin(links["traced"])]
    other = lost["reference"].map(links.set_index("reference")["traced"])
    return pd.DataFrame({"person_id": lost["traced"].to_numpy(), "other_person_id": other
                         .to_numpy(), "match_probability": lost["match_probability"].to_numpy()})


def write_spine_collisions(con: duckdb.DuckDBPyConnection, table: str, scores: pd.DataFrame,
                           links: pd.DataFrame) -> int:
    """Replace `linkage.<table>_collisions` with the spine trace's `spine_collisions` (the
    identifier zone: spine person ids). Returns its rows."""
    rows = spine_collisions(scores, links).astype(
        {"person_id": "int64", "other_person_id": "int64"})
    wh.replace_table_from(con, "linkage", W.collisions_table(table), pa.Table.from_pandas(
        rows, preserve_index=False, schema=COLLISION_SCHEMA))
    return len(rows)


def _uid_groups(source: str, groups: pd.DataFrame) -> pd.Series:
    """record uid (`source|record_id`) -> group, from (record_id, grp)."""
    return pd.Series(groups["grp"].to_numpy(), index=source + "|" + groups["record_id"])


def _keyed_records(con: duckdb.DuckDBPyConnection, source: Source,
                   key: str) -> tuple[pd.DataFrame, pa.Table]:
    """A source's records that hold its person key: (record_id, grp) and their standardised
    rows (records without the key are nobody to trace, or to trace to)."""
    W.require_std(con, source)
    groups = W.key_groups(con, source, key)
    return groups, W.semi_join(con, J.read_std(con, (source.name,)), groups)


@dataclass(frozen=True)
class TraceScores:
    """A trace's scored groups (`group_scores`) and what they were scored from."""

    scores: pd.DataFrame
    traced: pd.Series  # traced record uid -> traced group
    ref_groups: pd.DataFrame  # the reference's keyed records (record_id, grp)
    groups: pd.DataFrame | None  # a population trace's keyed records (None: a spine trace)
    model: str
    entry: dict[str, Any]


def trace_scores(con: duckdb.DuckDBPyConnection, plan: TracePlan, models_dir: Path, *,
                 threshold: float = TRACE_THRESHOLD, retrain: bool = False, seed: int = 1,
                 borrow_from: str | None = W.REFERENCE_MODEL) -> TraceScores:
    """Score `plan`'s people against its reference file, group by group (before `one_to_one`).
    Reads the standardised records and, for a spine trace, `linkage.person_ids`."""
    ref = plan.reference
    ref_groups, ref_std = _keyed_records(con, ref, plan.reference_key)
    groups = None
    if plan.of_spine:
        ids, traced_std = W.spine_people(con, plan.traced)
        traced = pd.Series(ids["person_id"].to_numpy(),
                           index=ids["source_dataset"] + "|" + ids["record_id"])
        traced_sources = tuple(sorted(ids["source_dataset"].unique()))
    else:
        pop = plan.population
        assert pop is not None and plan.population_key
        groups, traced_std = _keyed_records(con, pop, plan.population_key)
        traced, traced_sources = _uid_groups(pop.name, groups), (pop.name,)
    model = trace_model_plan(plan.name, traced_sources, ref.name, borrow_from)
    edges, entry = W.scored_edges(con, model, [traced_std, ref_std], models_dir,
                                  threshold=threshold, retrain=retrain, seed=seed)
    scores = group_scores(edges, traced, _uid_groups(ref.name, ref_groups))
    return TraceScores(scores, traced, ref_groups, groups, model.name, entry)


def trace(con: duckdb.DuckDBPyConnection, plan: TracePlan, models_dir: Path, *,
          threshold: float = TRACE_THRESHOLD, retrain: bool = False, seed: int = 1,
          borrow_from: str | None = W.REFERENCE_MODEL) -> dict[str, Any]:
    """Trace `plan`'s people through its reference file and write `linkage.<plan.table>`
    (replaced; the shape depends on the kind of trace, see the module). Reads the
    standardised records (`linkage.std_<source>`) and, for a spine trace,
    `linkage.person_ids`. Returns counts."""
    ref = plan.reference
    scored = trace_scores(con, plan, models_dir, threshold=threshold, retrain=retrain, seed=seed,
                          borrow_from=borrow_from)
    traced, ref_groups, groups = scored.traced, scored.ref_groups, scored.groups
    links = one_to_one(scored.scores)
    summary = {"people": int(traced.nunique()), "records": len(traced),
               "reference_people": int(ref_groups["grp"].nunique()),
               "people_linked": len(links), "threshold": threshold,
               "models": {scored.model: scored.entry["meta"].get("version")}}
    if plan.of_spine:
        rows = ref_groups.merge(links, left_on="grp", right_on="reference")
        rows = rows.assign(source_dataset=ref.name, person_id=rows["traced"].astype("int64"))
        W.write_links(con, plan.table, rows)
        lost = write_spine_collisions(con, plan.table, scored.scores, links)
        return summary | {"reference_records_linked": len(rows), "collisions": lost}
    rows = groups.merge(links, left_on="grp", right_on="traced")
    rows = rows.assign(source_dataset=plan.population.name, reference_dataset=ref.name,
                       reference_record_id=rows["reference_uid"].str.split("|", n=1).str[1])
    wh.replace_table_from(con, "linkage", plan.table, pa.Table.from_pandas(
        rows[list(POPULATION_TRACE_COLUMNS)], preserve_index=False,
        schema=POPULATION_TRACE_SCHEMA))
    return summary | {"records_linked": len(rows)}
