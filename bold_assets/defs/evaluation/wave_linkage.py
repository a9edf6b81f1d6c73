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
A `ttp` plan is evaluated in two steps: the trusted third party's ids (step `<name>_ids`: pairs
of council records within and across sources, councils and periods, and whole persons, in
`wave_<n>_linkage_f1`; its errors by subgroup) and the spine traced to its persons (step
`<name>`: as a spine trace whose reference file is the council sources and whose reference
people are the ttp ids, in every table a trace is in, `wave_<n>_trace_rates` included).
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
from bold_assets.defs.factories.wave_linkage import (
    link_key,
    spine_key,
    trace_key,
    ttp_ids_key,
    ttp_key,
)
from bold_assets.defs.resources import WarehouseResource
from bold_assets.linkage import trace as T
from bold_assets.linkage import ttp as TTP
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


def ttp_trace_sql(plan: TTP.TtpPlan) -> tuple[str, str]:
    """(traced records, links) of a ttp plan's into-spine step for `wave_evaluation`'s trace
    functions: the spine persons holding a record of its traced sources, its link table."""
    return E.spine_traced_sql(plan.traced), E.spine_trace_links_sql(f"linkage.{plan.table}")


def _traces(spec: W.WaveLinkSpec) -> list[tuple[str, str, str | tuple[str, ...], str, str, str,
                                                 str]]:
    """Every trace of the wave as (step, label, reference source(s), reference label, traced
    records, links, threshold name): its `trace` plans, then the into-spine steps of its `ttp`
    plans (reference: the council sources, labelled by the plan's name)."""
    out = [(t.name, label, t.reference.name, t.reference.name, traced, links,
            T.TRACE_THRESHOLD_NAME)
           for t in spec.traces for label, traced, links in [trace_sql(t)]]
    out += [(p.name, "spine", p.council_names, p.name, *ttp_trace_sql(p),
             TTP.SPINE_THRESHOLD_NAME) for p in spec.ttps]
    return out


def f1_table(con, spec: W.WaveLinkSpec) -> pd.DataFrame:
    """Every linkage step's F1 in one table, with the step (plan name) as `step`."""
    parts = [E.spine_f1(con, p.source.name, spec.spine_sources).assign(step=p.link_name)
             for p in spec.into_spine]
    parts += [E.population_f1(con, link.source.name, link.people, _groups_sql(link), _links(link))
              .assign(step=link.name) for link in spec.links]
    parts += [E.ttp_f1(con, p.name, p.council_names, f"linkage.{p.ids_table}")
              .assign(step=p.ids_table) for p in spec.ttps]
    parts += [E.trace_f1(con, label, ref, traced, links, ref_label).assign(step=step)
              for step, label, ref, ref_label, traced, links, _ in _traces(spec)]
    return pd.concat(parts, ignore_index=True)[["step", "scope", "precision", "recall", "f1"]]


def subgroup_table(con, spec: W.WaveLinkSpec) -> pd.DataFrame:
    parts = [E.spine_subgroup_errors(con, p.source.name, spec.spine_sources)
             .assign(step=p.link_name) for p in spec.into_spine]
    parts += [E.population_subgroup_errors(con, link.source.name, link.people, _groups_sql(link),
                                      links=_links(link)).assign(step=link.name)
              for link in spec.links]
    parts += [E.ttp_subgroup_errors(con, p.council_names, f"linkage.{p.ids_table}",
                                    threshold=TTP.TTP_THRESHOLD_NAME).assign(step=p.ids_table)
              for p in spec.ttps]
    parts += [E.trace_subgroup_errors(con, ref, traced, links, threshold=th).assign(step=step)
              for step, _, ref, _, traced, links, th in _traces(spec)]
    table = pd.concat(parts, ignore_index=True)
    return table[["step", *[c for c in table.columns if c != "step"]]]


def trace_rates_table(con, spec: W.WaveLinkSpec) -> pd.DataFrame:
    """Each trace's linked shares by subgroup (`wave_evaluation.trace_rates`), step first."""
    table = pd.concat([E.trace_rates(con, ref, traced, links).assign(step=step)
                       for step, _, ref, _, traced, links, _ in _traces(spec)],
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
            *(k for p in spec.ttps for k in (ttp_ids_key(p), ttp_key(p))),
            *(raw_key(link.source.name) for link in spec.links), *(raw_key(s) for s in traced),
            TRUTH_RECORDS, TRUTH_PERSONS]
    steps = ", ".join(spec.plan_names)
    linked = ", ".join(f"{k.source.name} to {k.people}" for k in spec.links)

    @dg.asset(key=["evaluation", f"{prefix}_linkage_f1"], deps=deps, group_name=GROUP,
              kinds={"duckdb"},
              description=f"Pairwise precision, recall and F1 of wave {wave.number}'s linkage "
              f"({steps}): each source in the spine (with the spine, dedupe, both), each "
              "linked population (pairs and per record; recall on people in both), each "
              "trace (per traced person and per record; recall on people truly in the "
              "reference file) and each trusted third party (its ids over council records: "
              "pairs and whole persons; the spine traced to its persons, as a trace).")
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
    if spec.traces or spec.ttps:
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
    traces = ", ".join([*(f"{t.name} ({'the spine' if t.of_spine else t.population.name} to "
                          f"{t.reference.name})" for t in spec.traces),
                        *(f"{p.name} (the spine to the persons of {p.ids_table})"
                          for p in spec.ttps)])

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
