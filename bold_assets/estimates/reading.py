"""Read the estimator's inputs from the warehouse (production tables only, never `truth.*`)."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pandas as pd

from bold_assets import register
from bold_assets.estimates.estimator import Inputs, MeasurePlan, measure_plans
from bold_assets.warehouse import table_exists

PUBLISHED_THRESHOLD = "medium"


def mart(wave: int) -> str:
    return f"marts.person_needs_wave_{wave}"


def built_waves(con: duckdb.DuckDBPyConnection, wave: int) -> list[int]:
    """The waves whose mart is built for the same snapshot as `wave`'s."""
    snap = con.execute(f"SELECT max(snapshot_date) FROM {mart(wave)}").fetchone()[0]
    out = []
    for w in register.WAVES:
        if table_exists(con, "marts", f"person_needs_wave_{w}"):
            if con.execute(f"SELECT max(snapshot_date) FROM {mart(w)}").fetchone()[0] == snap:
                out.append(w)
    return out


def research_links() -> dict[int, str]:
    """Each wave with a person mart: its research link file's name (`research.<link>`)."""
    from bold_assets.catalog.dbt import wave_links

    return {int(w["wave"]): w["link"] for w in wave_links()}


def research_link(wave: int) -> str:
    return f"research.{research_links()[wave]}"


# Candidate pairs the spine's Splink models scored across two persons, on the identifier zone's
# person ids (l < r), with the highest probability per pair of persons.
SCORED_CROSS_PERSON_SQL = """
    SELECT least(a.person_id, b.person_id) AS l, greatest(a.person_id, b.person_id) AS r,
           max(pp.match_probability) AS match_probability
    FROM linkage.pairwise_predictions AS pp
    JOIN linkage.person_ids AS a
      ON a.source_dataset = pp.source_dataset_l AND a.record_id = pp.record_id_l
    JOIN linkage.person_ids AS b
      ON b.source_dataset = pp.source_dataset_r AND b.record_id = pp.record_id_r
    WHERE a.person_id <> b.person_id
    GROUP BY ALL"""


def cross_person_pairs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Candidate pairs the spine's Splink models scored across two persons (keyed research ids;
    the highest probability per pair of persons). Needs `bold_hmac` on the connection."""
    from bold_assets.linkage.spine import research_id_sql

    if not table_exists(con, "linkage", "pairwise_predictions"):
        return pd.DataFrame(columns=["id_l", "id_r", "match_probability"])
    return con.execute(f"""
        WITH p AS ({SCORED_CROSS_PERSON_SQL})
        SELECT {research_id_sql('l')} AS id_l, {research_id_sql('r')} AS id_r, match_probability
        FROM p ORDER BY id_l, id_r
    """).df()


def spine_trace_tables(waves: Iterable[int]) -> list[str]:
    """The `linkage.<table>`s of the spine traces of `waves` (`trace` and `ttp` plans: each
    spine person traced one-to-one to a reference person)."""
    from bold_assets.catalog import CATALOG
    from bold_assets.linkage.wave_link import wave_link_spec

    return [t for w in waves if w > 0 for t in wave_link_spec(CATALOG, w).spine_trace_tables]


def trace_collisions(con: duckdb.DuckDBPyConnection, waves: Iterable[int]) -> pd.DataFrame:
    """The spine traces' collisions (`linkage.trace.spine_collisions`) of `waves`, as pairs of
    persons (keyed research ids) with their trace probability. Needs `bold_hmac`."""
    from bold_assets.linkage.spine import research_id_sql
    from bold_assets.linkage.wave_link import collisions_table

    traced = [t for t in spine_trace_tables(waves) if table_exists(con, "linkage", t)]
    stale = [t for t in traced if not table_exists(con, "linkage", collisions_table(t))]
    if stale:  # drawing without them would narrow the intervals unseen
        raise ValueError(f"linkage.{collisions_table(stale[0])} is missing: linkage.{stale[0]} "
                         "was written before spine traces kept their collisions; materialise "
                         f"linkage/{stale[0]} again, then the estimates")
    parts = [f"SELECT person_id, other_person_id, match_probability "
             f"FROM linkage.{collisions_table(t)}" for t in traced]
    if not parts:
        return pd.DataFrame(columns=["id_l", "id_r", "match_probability"])
    return con.execute(f"""
        SELECT {research_id_sql('person_id')} AS id_l,
               {research_id_sql('other_person_id')} AS id_r, match_probability
        FROM ({' UNION ALL '.join(parts)})
    """).df()


def one_per_pair(*frames: pd.DataFrame) -> pd.DataFrame:
    """Pairs of persons (id_l, id_r, match_probability), one row per pair with its highest
    probability (a pair in two frames would otherwise get two chances to be drawn), ordered by
    (id_l, id_r) with id_l < id_r: the link draws follow the rows."""
    both = pd.concat([f for f in frames if len(f)] or [frames[0]], ignore_index=True)
    left, right = both["id_l"], both["id_r"]
    both = both.assign(id_l=left.where(left < right, right), id_r=right.where(left < right, left))
    return (both.sort_values("match_probability", ascending=False, kind="stable")
            .drop_duplicates(["id_l", "id_r"]).sort_values(["id_l", "id_r"])
            .reset_index(drop=True))


def clusterings_disagree(con: duckdb.DuckDBPyConnection) -> set:
    """The spine persons (medium clusters) on which the three clusterings disagree: made of
    several high clusters, or inside a low cluster holding other medium persons."""
    return {m for (m,) in con.execute("""
        SELECT estimated_xjs_id FROM research.xjs_link
        GROUP BY 1 HAVING count(DISTINCT xjs_id_high) > 1
        UNION
        SELECT estimated_xjs_id FROM research.xjs_link WHERE xjs_id_low IN (
            SELECT xjs_id_low FROM research.xjs_link
            GROUP BY 1 HAVING count(DISTINCT estimated_xjs_id) > 1)""").fetchall()}


def read_inputs(con: duckdb.DuckDBPyConnection, wave: int
                ) -> tuple[Inputs, dict[str, MeasurePlan]]:
    """The wave's persons, the built waves' flags the plans need, the population links, the
    cross-person pairs (the spine's scored pairs and the spine traces' collisions) and the
    persons linkage may have built wrongly (`Inputs.uncertain`); and the measures' plans."""
    from bold_assets import pseudonymise as ps
    from bold_assets.settings import get_settings

    reg = register.load_register()
    built = built_waves(con, wave)
    plans = measure_plans(wave, built, reg)
    measures = list(plans)
    persons = con.execute(
        f"SELECT estimated_xjs_id, lsoa_code, lad_code, age_band, sex, {', '.join(measures)} "
        f"FROM {mart(wave)} WHERE link_threshold = ? ORDER BY estimated_xjs_id",
        [PUBLISHED_THRESHOLD]).df()  # in a fixed order: the random draws follow the rows
    needed = {w for p in plans.values() for w in (p.reference_wave, p.proxy_wave)
              if w is not None}
    flags = {}
    for w in sorted(needed):
        theirs = register.wave_measures(w, reg)
        cols = [m for m in measures if m in theirs]
        flags[w] = con.execute(
            f"SELECT estimated_xjs_id, {', '.join(cols)} FROM {mart(w)} WHERE link_threshold = ?",
            [PUBLISHED_THRESHOLD]).df().set_index("estimated_xjs_id")
    linked, in_scope = {}, {}
    for p in plans.values():
        if p.corrected and p.population_source and p.population_source not in linked:
            linked[p.population_source] = persons_with(con, p.validated_at,
                                                        [p.population_source])
            in_scope[p.population_source] = persons_with(
                con, p.validated_at, scope_sources(p.validated_at, p.population_source))
    ps.register_hmac(con, ps.project_key(get_settings()))
    collisions = trace_collisions(con, built)
    not_linked = set().union(*(in_scope[s] - linked[s] for s in in_scope))
    uncertain = frozenset(clusterings_disagree(con) | set(collisions["id_l"])
                          | set(collisions["id_r"]) | not_linked)
    pairs = one_per_pair(cross_person_pairs(con), collisions)
    return Inputs(persons, flags, linked, in_scope, pairs, uncertain), plans


def scope_sources(wave: int, population_source: str) -> list[str]:
    """The sources whose people the wave's plan links to `population_source` (its other ones)."""
    from bold_assets.catalog import WAVES

    plan = next(p for p in WAVES[wave].link_plans if p.sources[0] == population_source)
    return list(plan.sources[1:])


def persons_with(con: duckdb.DuckDBPyConnection, up_to_wave: int, sources: list[str]) -> set:
    """Spine ids of the persons holding a record of `sources` (research link files of waves up
    to `up_to_wave`)."""
    parts = " UNION ALL ".join(
        f"SELECT estimated_xjs_id, source_dataset FROM research.{link}"
        for w, link in research_links().items() if w <= up_to_wave)
    names = ", ".join(f"'{s}'" for s in sources)
    return set(con.execute(f"SELECT DISTINCT estimated_xjs_id FROM ({parts}) "
                           f"WHERE source_dataset IN ({names})").df()["estimated_xjs_id"])



def area_persons(con: duckdb.DuckDBPyConnection, wave: int) -> pd.Series:
    """The exact people of each area the estimates count (a known LSOA and LAD), indexed by
    (geography_level, area_code)."""
    from bold_assets.estimates.estimator import COUNTRY

    frame = con.execute(f"""
        SELECT 'lsoa' AS geography_level, lsoa_code AS area_code, count(*) AS n
        FROM {mart(wave)} WHERE link_threshold = ? AND lsoa_code IS NOT NULL
          AND lad_code IS NOT NULL GROUP BY ALL
        UNION ALL
        SELECT 'lad', lad_code, count(*) FROM {mart(wave)} WHERE link_threshold = ?
          AND lsoa_code IS NOT NULL AND lad_code IS NOT NULL GROUP BY ALL
        UNION ALL
        SELECT 'country', '{COUNTRY[0]}', count(*) FROM {mart(wave)} WHERE link_threshold = ?
          AND lsoa_code IS NOT NULL AND lad_code IS NOT NULL
    """, [PUBLISHED_THRESHOLD] * 3).df()
    return frame.set_index(["geography_level", "area_code"])["n"]
