"""Each later wave's linkage against the synthetic truth (group `evaluation`; reads `truth.*`),
built from its declared link plans (`linkage.wave_link.wave_link_spec`): no module per wave.

Tables in schema `evaluation` (the work is `bold_assets.linkage.wave_evaluation`'s):
- `wave_<n>_linkage_f1`: P / R / F1 of each `into_spine` source in the spine (pairs with the
  spine, its dedupe, both) and of each `link` plan's population linked to its people (pairs,
  and per record; recall on people in both);
- `wave_<n>_match_rates` (waves with `link` plans): people of the spine source with a linked
  record, overall and by ethnic group, beside the share truly in the population source;
- `wave_<n>_subgroup_errors`: false-match, missed-match and linked rates and F1 by sex, ethnic
  group and IMD quintile, per linkage step (a `trace` step counts traced people);
- `wave_<n>_trace_rates` (waves with `trace` plans): traced people linked to a reference person
  (rightly), overall and by ethnic group and IMD quintile, beside the share truly in the
  reference file. A trace's F1 rows (`<traced>-<reference> people` / `records`) are in
  `wave_<n>_linkage_f1` with the plan name as step.
"""

from __future__ import annotations

import dagster as dg
import pandas as pd

from bold_assets.catalog import Catalog, Wave
from bold_assets.defs.evaluation.linkage_quality import (
    GROUP,
    TRUTH_PERSONS,
    TRUTH_RECORDS,
    _md,
    _num,
    _store,
)
from bold_assets.defs.factories.keys import raw_key
from bold_assets.defs.factories.wave_linkage import link_key, spine_key, trace_key
from bold_assets.defs.resources import WarehouseResource
from bold_assets.linkage import trace as T
from bold_assets.linkage import wave_evaluation as E
from bold_assets.linkage import wave_link as W


def _groups_sql(link: W.PopulationLink) -> str:
    return W.key_groups_sql(link.source, link.key)


def _links(link: W.PopulationLink) -> str:
    return f"linkage.{link.table}"


def trace_sql(trace: T.TracePlan) -> tuple[str, str, str]:
    """(label, traced records, links) of a trace for `wave_evaluation`'s trace functions: the
    label is `spine` or the population source's name."""
    table = f"linkage.{trace.table}"
    if trace.of_spine:
        return "spine", E.spine_traced_sql(trace.traced), E.spine_trace_links_sql(table)
    assert trace.population is not None and trace.population_key
    groups = W.key_groups_sql(trace.population, trace.population_key)
    return (trace.population.name, E.population_traced_sql(trace.population.name, groups),
            E.population_trace_links_sql(table, groups))


def f1_table(con, spec: W.WaveLinkSpec) -> pd.DataFrame:
    """Every linkage step's F1 in one table, with the step (plan name) as `step`."""
    parts = [E.spine_f1(con, p.source.name, spec.spine_sources).assign(step=p.link_name)
             for p in spec.into_spine]
    parts += [E.population_f1(con, link.source.name, link.people, _groups_sql(link), _links(link))
              .assign(step=link.name) for link in spec.links]
    parts += [E.trace_f1(con, label, t.reference.name, traced, links).assign(step=t.name)
              for t in spec.traces for label, traced, links in [trace_sql(t)]]
    return pd.concat(parts, ignore_index=True)[["step", "scope", "precision", "recall", "f1"]]


def subgroup_table(con, spec: W.WaveLinkSpec) -> pd.DataFrame:
    parts = [E.spine_subgroup_errors(con, p.source.name, spec.spine_sources)
             .assign(step=p.link_name) for p in spec.into_spine]
    parts += [E.population_subgroup_errors(con, link.source.name, link.people, _groups_sql(link),
                                      links=_links(link)).assign(step=link.name)
              for link in spec.links]
    parts += [E.trace_subgroup_errors(con, t.reference.name, traced, links,
                                      threshold=T.TRACE_THRESHOLD_NAME).assign(step=t.name)
              for t in spec.traces for _, traced, links in [trace_sql(t)]]
    table = pd.concat(parts, ignore_index=True)
    return table[["step", *[c for c in table.columns if c != "step"]]]


def trace_rates_table(con, spec: W.WaveLinkSpec) -> pd.DataFrame:
    """Each trace's linked shares by subgroup (`wave_evaluation.trace_rates`), step first."""
    table = pd.concat([E.trace_rates(con, t.reference.name, traced, links).assign(step=t.name)
                       for t in spec.traces for _, traced, links in [trace_sql(t)]],
                      ignore_index=True)
    return table[["step", *[c for c in table.columns if c != "step"]]]


def match_rates_table(con, spec: W.WaveLinkSpec) -> pd.DataFrame:
    table = pd.concat([E.population_match_rates(con, link.source.name, link.people,
                                           links=_links(link)).assign(step=link.name)
                       for link in spec.links], ignore_index=True)
    return table[["step", *[c for c in table.columns if c != "step"]]]


def _f1_key(scope: str) -> str:
    """Metadata key of an F1 scope: `pnc_people-spine` -> `f1_pnc_people_spine`."""
    return "f1_" + "".join(c if c.isalnum() else "_" for c in scope).strip("_")


def wave_evaluation_assets(wave: Wave, spec: W.WaveLinkSpec) -> list[dg.AssetsDefinition]:
    prefix = wave.name
    # raw tables the trace evaluation reads for the keys: the reference's and a population's
    traced = tuple(dict.fromkeys(s for t in spec.traces for s in (
        t.reference.name, *((t.population.name,) if t.population else ()))))
    deps = [*([spine_key(wave)] if spec.into_spine else []),
            *(link_key(link) for link in spec.links), *(trace_key(t) for t in spec.traces),
            *(raw_key(link.source.name) for link in spec.links), *(raw_key(s) for s in traced),
            TRUTH_RECORDS, TRUTH_PERSONS]
    steps = ", ".join(spec.plan_names)
    linked = ", ".join(f"{k.source.name} to {k.people}" for k in spec.links)

    @dg.asset(key=["evaluation", f"{prefix}_linkage_f1"], deps=deps, group_name=GROUP,
              kinds={"duckdb"},
              description=f"Pairwise precision, recall and F1 of wave {wave.number}'s linkage "
              f"({steps}): each source in the spine (with the spine, dedupe, both), each "
              "linked population (pairs and per record; recall on people in both) and each "
              "trace (per traced person and per record; recall on people truly in the "
              "reference file).")
    def _f1(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            table = f1_table(con, spec)
            meta = _store(con, f"{prefix}_linkage_f1", table)
        f1s = {_f1_key(s): _num(v) for s, v in zip(table["scope"], table["f1"], strict=True)
               if not s.endswith(" all")}
        return dg.MaterializeResult(metadata={**meta, **f1s, "f1_table": _md(table)})

    @dg.asset(key=["evaluation", f"{prefix}_subgroup_errors"], deps=deps, group_name=GROUP,
              kinds={"duckdb"},
              description="False-match, missed-match and linked rates and F1 by "
              f"{', '.join(E.SUBGROUPS)} for each step of wave {wave.number}'s linkage.")
    def _subgroups(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            table = subgroup_table(con, spec)
            meta = _store(con, f"{prefix}_subgroup_errors", table)
        eth = table[(table["dimension"] == "ethnic_group") & (table["subgroup"] != "unknown")]
        gaps = {f"ethnic_f1_gap_{step}": _num(g["f1"].max() - g["f1"].min())
                for step, g in eth.groupby("step")}
        return dg.MaterializeResult(metadata={**meta, **gaps, "table": _md(
            table.drop(columns=[c for c in ("threshold",) if c in table.columns]))})

    assets = [_f1, _subgroups]
    if spec.traces:
        assets.append(_trace_rates_asset(wave, spec, deps))
    if not spec.links:
        return assets

    @dg.asset(key=["evaluation", f"{prefix}_match_rates"], deps=deps, group_name=GROUP,
              kinds={"duckdb"},
              description="People of each linked spine source born no earlier than the "
              "population source's earliest person, with a linked record, overall and by "
              "ethnic group (match_rate_pct), beside the share truly in the population "
              f"(true_rate_pct): {linked}.")
    def _rates(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            rates = match_rates_table(con, spec)
            meta = _store(con, f"{prefix}_match_rates", rates)
        overall = rates[rates["ethnic_group"] == "all"]
        groups = rates[~rates["ethnic_group"].isin(["all", "unknown"])]
        return dg.MaterializeResult(metadata={
            **meta,
            "match_rate_pct": _num(overall["match_rate_pct"].mean()),
            "true_rate_pct": _num(overall["true_rate_pct"].mean()),
            "ethnic_gap_points": _num(groups["match_rate_pct"].max()
                                      - groups["match_rate_pct"].min()) if len(groups) else None,
            "by_ethnic_group": _md(rates),
        })

    return [*assets, _rates]


def _trace_rates_asset(wave: Wave, spec: W.WaveLinkSpec,
                       deps: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """`evaluation/wave_<n>_trace_rates`: each trace's linked shares beside the true ones."""
    prefix = wave.name
    traces = ", ".join(f"{t.name} ({'the spine' if t.of_spine else t.population.name} to "
                       f"{t.reference.name})" for t in spec.traces)

    @dg.asset(key=["evaluation", f"{prefix}_trace_rates"], deps=deps, group_name=GROUP,
              kinds={"duckdb"},
              description="Traced people (spine persons, or a population's people) linked to a "
              "reference person (linked_pct; rightly: linked_right_pct), overall and by ethnic "
              "group and IMD quintile of their true person, beside the share truly in the "
              f"reference file (true_pct): {traces}.")
    def _trace_rates(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            rates = trace_rates_table(con, spec)
            meta = _store(con, f"{prefix}_trace_rates", rates)
        overall = rates[rates["dimension"] == "all"].set_index("step")
        eth = rates[(rates["dimension"] == "ethnic_group") & (rates["subgroup"] != "unknown")]
        return dg.MaterializeResult(metadata={
            **meta,
            **{f"linked_pct_{s}": _num(v) for s, v in overall["linked_pct"].items()},
            **{f"true_pct_{s}": _num(v) for s, v in overall["true_pct"].items()},
            **{f"ethnic_gap_points_{s}": _num(g["linked_pct"].max() - g["linked_pct"].min())
               for s, g in eth.groupby("step")},
            "table": _md(rates),
        })

    return _trace_rates


def build_wave_evaluation(catalog: Catalog) -> dg.Definitions:
    """The evaluation assets of every active wave after wave 0 that declares link plans."""
    assets: list[dg.AssetsDefinition] = []
    for wave in catalog.active_waves():
        if wave.number > 0 and wave.link_plans:
            assets += wave_evaluation_assets(wave, W.wave_link_spec(catalog, wave.number))
    return dg.Definitions(assets=assets)
