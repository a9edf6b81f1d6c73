"""Quality of a later wave's linkage against the synthetic truth (wave 1: PNC and NPD; wave 2: CIS).

Counted as wave 0's (`linkage.evaluation`): records that share an id are linked pairs, records of
one true person are true pairs. Plain SQL on a DuckDB connection; the caller names the tables.

- `spine_f1`: the added source against the spine (`linkage.person_ids` as clusters): pairs
  between its records and the spine's, and pairs within it (its deduplication);
- `population_f1`: a population source (NPD pupils, CIS people) against the people of the spine
  source it is linked to (`linkage.pupil_links`, `linkage.cis_links`): pairs of a population
  record and a spine-source record. True pairs exist only for people in both, so recall is on
  people in both; a record linked to the wrong person (or to anyone, when not in the spine
  source) counts against precision. Also per record (linked to the right person or not);
- `population_match_rates`: share of the spine source's people born from a date who have a
  linked record, overall and by ethnic group, beside the share truly in the population source;
- `spine_subgroup_errors` / `population_subgroup_errors`: `evaluation.subgroup_table` on those
  scopes.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from bold_assets.linkage import evaluation as ev

TRUTH = "truth.record_person"
PERSONS = "truth.persons"
PUPIL_LINKS = "linkage.pupil_links"
SUBGROUPS = ("sex", "ethnic_group", "imd_quintile")


def _in(sources: Sequence[str]) -> str:
    return "(" + ", ".join(f"'{s}'" for s in sources) + ")"


def spine_clusters_sql(sources: Sequence[str]) -> str:
    """Records of `sources` with their spine id as the cluster (`cluster_medium`)."""
    return f"""SELECT source_dataset, record_id, person_id AS cluster_medium
               FROM linkage.person_ids WHERE source_dataset IN {_in(sources)}"""


def population_clusters_sql(pupils: str, people_source: str, groups_sql: str,
                       links: str = PUPIL_LINKS) -> str:
    """Pupil records (cluster: the person linked to, else the pupil's key, from
    `groups_sql` giving (record_id, grp), see `wave_link.key_groups_sql`) and the records
    of the justice source (cluster: their spine id)."""
    return f"""
        SELECT '{pupils}' AS source_dataset, t.record_id,
               coalesce(CAST(l.person_id AS VARCHAR), '{pupils}|' || g.grp,
                        '{pupils}|' || t.record_id) AS cluster_medium
        FROM (SELECT DISTINCT CAST(record_id AS VARCHAR) AS record_id FROM {TRUTH}
              WHERE source_dataset = '{pupils}') t
        LEFT JOIN {links} l ON l.source_dataset = '{pupils}' AND l.record_id = t.record_id
        LEFT JOIN ({groups_sql}) g ON g.record_id = t.record_id
        UNION ALL
        SELECT source_dataset, record_id, CAST(person_id AS VARCHAR)
        FROM linkage.person_ids WHERE source_dataset = '{people_source}'"""


def _base(clusters_sql: str) -> str:
    return ev.labelled_sql(f"({clusters_sql})", TRUTH, "medium")


def _row(scope: str, counts: tuple[float, float, float]) -> dict[str, object]:
    return {"scope": scope, **ev._prf(*counts)}


def spine_f1(con: duckdb.DuckDBPyConnection, source: str,
             spine_sources: Sequence[str]) -> pd.DataFrame:
    """P / R / F1 of `source` in the spine: pairs with the spine, within the source, and both."""
    base = _base(spine_clusters_sql([*spine_sources, source]))
    cross = ev._scope_counts(con, base, [source], list(spine_sources))
    within = ev._scope_counts(con, base, [source], [source])
    both = tuple(a + b for a, b in zip(cross, within, strict=True))
    return pd.DataFrame([_row(f"{source}-spine", cross), _row(f"{source} dedupe", within),
                         _row(f"{source} all", both)])


def population_f1(con: duckdb.DuckDBPyConnection, pupils: str, people_source: str,
             groups_sql: str, links: str = PUPIL_LINKS) -> pd.DataFrame:
    """P / R / F1 of pupils linked to the justice source's people: pairwise (pupil record x
    justice record) and per pupil record (linked to its true person, wrongly, or missed)."""
    base = _base(population_clusters_sql(pupils, people_source, groups_sql, links))
    pairwise = ev._scope_counts(con, base, [pupils], [people_source])
    # per record: the true person of the linked id is the pupil's own
    tp, linked, true = con.execute(f"""
        WITH rp AS (SELECT CAST(record_id AS VARCHAR) AS record_id, source_dataset, person_id
                    FROM {TRUTH}),
        pupil AS (SELECT record_id, person_id FROM rp WHERE source_dataset = '{pupils}'),
        justice_people AS (SELECT DISTINCT person_id FROM rp
                           WHERE source_dataset = '{people_source}'),
        -- the true persons of each spine id holding a justice record
        id_truth AS (SELECT DISTINCT i.person_id AS spine_id, rp.person_id
                     FROM linkage.person_ids i JOIN rp USING (source_dataset, record_id)
                     WHERE i.source_dataset = '{people_source}')
        SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM id_truth t WHERE
                   t.spine_id = l.person_id AND t.person_id = p.person_id)),
               count(l.person_id),
               count(*) FILTER (WHERE p.person_id IN (SELECT person_id FROM justice_people))
        FROM pupil p LEFT JOIN {links} l
          ON l.source_dataset = '{pupils}' AND l.record_id = p.record_id
    """).fetchall()[0]
    return pd.DataFrame([_row(f"{pupils}-{people_source} pairs", pairwise),
                         _row(f"{pupils}-{people_source} records",
                              (float(tp), float(linked), float(true)))])


def population_match_rates(con: duckdb.DuckDBPyConnection, pupils: str, people_source: str,
                      born_from: str | None = None, links: str = PUPIL_LINKS) -> pd.DataFrame:
    """Per ethnic group (and overall): people of the justice source born from `born_from`
    (their true DOB; default: the earliest true DOB among the pupil source's people, so only
    people the pupil source could hold count), how many have a pupil linked to (one of) their
    spine ids, and how many truly have pupil records. Rates in percent."""
    if born_from is None:
        born_from = str(con.execute(f"""
            SELECT min(p.dob) FROM {PERSONS} p WHERE p.person_id IN (SELECT person_id
            FROM {TRUTH} WHERE source_dataset = '{pupils}')""").fetchall()[0][0] or "1900-01-01")
    per_group = con.sql(f"""
        WITH rp AS (SELECT CAST(record_id AS VARCHAR) AS record_id, source_dataset, person_id
                    FROM {TRUTH}),
        people AS (SELECT DISTINCT rp.person_id FROM rp JOIN {PERSONS} p USING (person_id)
                   WHERE rp.source_dataset = '{people_source}'
                     AND p.dob >= DATE '{born_from}'),
        matched AS (SELECT DISTINCT rp.person_id FROM rp
                    JOIN linkage.person_ids i USING (source_dataset, record_id)
                    WHERE rp.source_dataset = '{people_source}'
                      AND i.person_id IN (SELECT person_id FROM {links})),
        in_pupils AS (SELECT DISTINCT person_id FROM rp WHERE source_dataset = '{pupils}')
        SELECT coalesce(p.ethnic_group, 'unknown') AS ethnic_group,
               count(*) AS people,
               count(*) FILTER (WHERE x.person_id IN (SELECT person_id FROM matched))
                   AS matched,
               count(*) FILTER (WHERE x.person_id IN (SELECT person_id FROM in_pupils))
                   AS truly_in_source
        FROM people x JOIN {PERSONS} p USING (person_id)
        GROUP BY ALL ORDER BY ethnic_group
    """).df()
    total = per_group[["people", "matched", "truly_in_source"]].sum().to_frame().T
    total.insert(0, "ethnic_group", "all")
    out = pd.concat([per_group, total], ignore_index=True)
    for col in ("people", "matched", "truly_in_source"):
        out[col] = out[col].astype("int64")
    out["match_rate_pct"] = (100 * out["matched"] / out["people"]).round(1)
    out["true_rate_pct"] = (100 * out["truly_in_source"] / out["people"]).round(1)
    return out


def _attributes_sql(source: str) -> str:
    return f"""
        SELECT t.source_dataset, CAST(t.record_id AS VARCHAR) AS record_id, p.sex,
               p.ethnic_group, CAST((p.imd_decile + 1) // 2 AS VARCHAR) AS imd_quintile
        FROM {TRUTH} t JOIN {PERSONS} p USING (person_id)
        WHERE t.source_dataset = '{source}'"""


def _subgroups(con: duckdb.DuckDBPyConnection, clusters_sql: str, source: str,
               dimensions: Sequence[str]) -> pd.DataFrame:
    con.execute(f"CREATE OR REPLACE TEMP VIEW __bold_wave_clusters AS {clusters_sql}")
    try:
        return ev.subgroup_table(con, "__bold_wave_clusters", TRUTH, PERSONS,
                                 _attributes_sql(source), dimensions, thresholds=("medium",))
    finally:
        con.execute("DROP VIEW IF EXISTS __bold_wave_clusters")


def spine_subgroup_errors(con: duckdb.DuckDBPyConnection, source: str,
                          spine_sources: Sequence[str],
                          dimensions: Sequence[str] = SUBGROUPS) -> pd.DataFrame:
    """False-match, missed-match and linked rates and F1 of the source's records in the spine,
    by subgroup of the true person."""
    return _subgroups(con, spine_clusters_sql([*spine_sources, source]), source, dimensions)


def population_subgroup_errors(con: duckdb.DuckDBPyConnection, pupils: str, people_source: str,
                          groups_sql: str, dimensions: Sequence[str] = SUBGROUPS,
                          links: str = PUPIL_LINKS) -> pd.DataFrame:
    """The same for pupil records linked to the justice source's people (a pupil's records
    form one cluster by their key when not linked)."""
    return _subgroups(con, population_clusters_sql(pupils, people_source, groups_sql, links),
                      pupils, dimensions)
