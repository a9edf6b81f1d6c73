"""Each later wave's linkage against the synthetic truth (group `evaluation`; reads `truth.*`),
built from its declared link plans (`linkage.wave_link.wave_link_spec`): no module per wave.

Tables in schema `evaluation` (the work is `bold_assets.linkage.wave_evaluation`'s):
- `wave_<n>_linkage_f1`: P / R / F1 of each `into_spine` source in the spine (pairs with the
  spine, its dedupe, both) and of each `link` plan's population linked to its people (pairs,
  and per record; recall on people in both);
- `wave_<n>_match_rates` (waves with `link` plans): people of the spine source with a linked
  record, overall and by ethnic group, beside the share truly in the population source;
- `wave_<n>_subgroup_errors`: false-match, missed-match and linked rates and F1 by sex, ethnic
  group and IMD quintile, per linkage step.
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
from bold_assets.defs.factories.wave_linkage import link_key, spine_key
from bold_assets.defs.resources import WarehouseResource
from bold_assets.linkage import wave_evaluation as E
from bold_assets.linkage import wave_link as W


def _groups_sql(link: W.PopulationLink) -> str:
    return W.key_groups_sql(link.source, link.key)


def _links(link: W.PopulationLink) -> str:
    return f"linkage.{link.table}"


def f1_table(con, spec: W.WaveLinkSpec) -> pd.DataFrame:
    """Every linkage step's F1 in one table, with the step (plan name) as `step`."""
    parts = [E.spine_f1(con, p.source.name, spec.spine_sources).assign(step=p.link_name)
             for p in spec.into_spine]
    parts += [E.population_f1(con, link.source.name, link.people, _groups_sql(link), _links(link))
              .assign(step=link.name) for link in spec.links]
    return pd.concat(parts, ignore_index=True)[["step", "scope", "precision", "recall", "f1"]]


def subgroup_table(con, spec: W.WaveLinkSpec) -> pd.DataFrame:
    parts = [E.spine_subgroup_errors(con, p.source.name, spec.spine_sources)
             .assign(step=p.link_name) for p in spec.into_spine]
    parts += [E.population_subgroup_errors(con, link.source.name, link.people, _groups_sql(link),
                                      links=_links(link)).assign(step=link.name)
              for link in spec.links]
    table = pd.concat(parts, ignore_index=True)
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
    deps = [*([spine_key(wave)] if spec.into_spine else []),
            *(link_key(link) for link in spec.links),
            *(raw_key(link.source.name) for link in spec.links), TRUTH_RECORDS, TRUTH_PERSONS]
    steps = ", ".join(spec.plan_names)
    linked = ", ".join(f"{k.source.name} to {k.people}" for k in spec.links)

    @dg.asset(key=["evaluation", f"{prefix}_linkage_f1"], deps=deps, group_name=GROUP,
              kinds={"duckdb"},
              description=f"Pairwise precision, recall and F1 of wave {wave.number}'s linkage "
              f"({steps}): each source in the spine (with the spine, dedupe, both) and each "
              "linked population (pairs and per record; recall on people in both).")
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


def build_wave_evaluation(catalog: Catalog) -> dg.Definitions:
    """The evaluation assets of every active wave after wave 0 that declares link plans."""
    assets: list[dg.AssetsDefinition] = []
    for wave in catalog.active_waves():
        if wave.number > 0 and wave.link_plans:
            assets += wave_evaluation_assets(wave, W.wave_link_spec(catalog, wave.number))
    return dg.Definitions(assets=assets)
