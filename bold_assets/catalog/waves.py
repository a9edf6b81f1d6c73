"""The linkage waves: one `Wave` each, its sources, link plans and weekly refresh schedule.

A wave's sources are the sources declared with that `wave` (catalogue order), so a source joins
its wave by its own declaration. Wave 0's link plans are Data First's models, derived from the
link roles of its sources: a dedupe model per source, a criminal cross-source model, and a model
linking family / civil records to each other and to everything (`linkage.models.justice_plans`
builds the Splink settings of the same plans). Waves 1-4 add their plans with their linkage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from bold_assets.catalog.model import LinkPlan, Source, Wave


def justice_link_plans(criminal: tuple[str, ...], weak: tuple[str, ...]) -> tuple[LinkPlan, ...]:
    """Wave 0's models as link plans (names as `linkage.models.justice_plans`)."""
    plans = [LinkPlan(f"dedupe_{s}", (s,), "dedupe_link") for s in criminal]
    plans.append(LinkPlan("link_criminal", criminal, "dedupe_link"))
    plans += [LinkPlan(f"dedupe_{s}", (s,), "dedupe_link") for s in weak]
    plans.append(LinkPlan("link_family_civil", (*criminal, *weak), "dedupe_link"))
    return tuple(plans)


# Titles and schedules (Europe/London; weekly, each wave the day after the one before). A wave
# with no sources gets no assets, job or schedule.
DECLARED: tuple[Wave, ...] = (
    Wave(0, "Data First justice extracts", (), (), "0 3 * * 1",  # Mondays 03:00
         research_link="xjs_link", link_thresholds=("high", "medium", "low")),
    Wave(1, "MoJ-DfE share: PNC and the National Pupil Database", (), (
        LinkPlan("dedupe_pnc", ("pnc_people",), "dedupe_link"),  # same pnc_id + Splink dedupe
        LinkPlan("link_pnc_spine", ("pnc_people",), "into_spine"),
        # pupils to PNC people
        LinkPlan("link_npd_pnc", ("npd_census", "pnc_people"), "link", table="pupil_links"),
    ), "0 3 * * 2"),
    Wave(2, "Work and benefits: DWP benefit spells and HMRC earnings", (), (
        # CIS people (grouped by NINO) traced to PNC people, as the MoJ-DWP-HMRC share does;
        # benefit and employment spells reach them by NINO
        LinkPlan("link_cis_pnc", ("dwp_cis", "pnc_people"), "link", table="cis_links",
                 covers_population=True),
    ), "0 3 * * 3"),
    Wave(3, "Health: NHS hospital and mental-health data, ONS deaths", (), (
        # the spine's people traced to PDS on date of birth, name, sex and postcode (the Master
        # Person Service's demographic steps: justice records carry no NHS number); hospital,
        # mental-health and death records reach them by NHS number
        LinkPlan("trace_spine_pds", ("pds", "mags", "crown", "prison", "probation", "family",
                                     "civil", "pnc_people"), "trace", table="pds_links",
                 covers_population=True),
        # pupils traced to PDS the same way (as ECHILD links the NPD to HES)
        LinkPlan("trace_npd_pds", ("pds", "npd_census"), "trace", table="npd_pds_links"),
    ), "0 3 * * 4"),
    Wave(4, "Homelessness: H-CLIC and local-authority housing", (), (
        # councils' homelessness cases and tenancies given one id across councils and quarters
        # by a trusted third party (as Homelessness Data England's), then the spine's people
        # traced to those ids on name, date of birth, sex and postcode
        LinkPlan("ttp_councils", ("hclic_people", "la_tenancies", "mags", "crown", "prison",
                                  "probation", "family", "civil", "pnc_people"), "ttp",
                 table="council_links"),
    ), "0 3 * * 5"),
)


def declare_waves(sources: Mapping[str, Source],
                  declared: tuple[Wave, ...] = DECLARED) -> dict[int, Wave]:
    """Each declared wave with its sources (those declared with its number, catalogue order)
    and, for wave 0, the justice link plans from its sources' link roles."""
    numbers = {w.number for w in declared}
    orphans = [f"{s.name} (wave {s.wave})" for s in sources.values() if s.wave not in numbers]
    if orphans:
        raise ValueError(f"source(s) {', '.join(orphans)} declare a wave that "
                         "bold_assets/catalog/waves.py does not declare")
    waves: dict[int, Wave] = {}
    for w in declared:
        members = tuple(s.name for s in sources.values() if s.wave == w.number)
        plans = w.link_plans
        if w.number == 0:
            role = {s.name: s.link_role for s in sources.values() if s.wave == 0}
            plans = justice_link_plans(tuple(n for n in members if role[n] == "criminal"),
                                       tuple(n for n in members if role[n] == "weak"))
        waves[w.number] = replace(w, sources=members, link_plans=plans)
    return waves
