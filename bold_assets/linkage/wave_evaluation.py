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
  scopes;
- traces (`linkage.trace`): counted per traced person (a spine person, or a population source's
  key group), whose true person is the one most of its records belong to, and per traced record.
  A traced person is truly in the reference file when its true person has a record there; its
  link is right when the reference records it took belong to that person (most of them). Pairs
  are (traced person, reference person): precision = right links / links, recall = right links
  / traced people truly in the reference (`trace_f1`); by subgroup (`trace_subgroup_errors`,
  the columns of `evaluation.subgroup_table`) and as linked shares beside the share truly in the
  reference (`trace_rates`). The traced side is a query of (source_dataset, record_id, grp)
  (`spine_traced_sql`, `population_traced_sql`), the links one of (grp, reference_dataset,
  reference_record_id) (`spine_trace_links_sql`, `population_trace_links_sql`). The reference
  side may be several sources (a `ttp` plan's council sources);
- `ttp` plans (`linkage.ttp`): the trusted third party's ids over the council records
  (`linkage.<name>_ids` as clusters: `ttp_f1`, pairs within and across sources and per person;
  `ttp_subgroup_errors`), and the spine traced to its persons as a spine trace whose reference
  people are the ttp ids (`trace_f1` and the other trace functions on `linkage.<table>`).
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


def _names(sources: str | Sequence[str]) -> list[str]:
    """One source name or several, as a list."""
    return [sources] if isinstance(sources, str) else list(sources)


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


def _attributes_sql(source: str | Sequence[str]) -> str:
    return f"""
        SELECT t.source_dataset, CAST(t.record_id AS VARCHAR) AS record_id, p.sex,
               p.ethnic_group, CAST((p.imd_decile + 1) // 2 AS VARCHAR) AS imd_quintile
        FROM {TRUTH} t JOIN {PERSONS} p USING (person_id)
        WHERE t.source_dataset IN {_in(_names(source))}"""


def _subgroups(con: duckdb.DuckDBPyConnection, clusters_sql: str, source: str | Sequence[str],
               dimensions: Sequence[str], threshold: str = "medium") -> pd.DataFrame:
    """`evaluation.subgroup_table` of the records of `source` (one or several) clustered by
    `clusters_sql` (its cluster column `cluster_<threshold>`)."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW __bold_wave_clusters AS {clusters_sql}")
    try:
        return ev.subgroup_table(con, "__bold_wave_clusters", TRUTH, PERSONS,
                                 _attributes_sql(source), dimensions, thresholds=(threshold,))
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


# Traces ------------------------------------------------------------------------------------------


def spine_traced_sql(sources: Sequence[str]) -> str:
    """(source_dataset, record_id, grp) of every spine record of the persons holding a record of
    `sources`, grp their spine id."""
    return f"""
        SELECT source_dataset, record_id, CAST(person_id AS VARCHAR) AS grp
        FROM linkage.person_ids WHERE person_id IN (
            SELECT person_id FROM linkage.person_ids WHERE source_dataset IN {_in(sources)})"""


def population_traced_sql(source: str, groups_sql: str) -> str:
    """(source_dataset, record_id, grp) of a population source's keyed records (`groups_sql`
    gives (record_id, grp), see `wave_link.key_groups_sql`)."""
    return f"SELECT '{source}' AS source_dataset, record_id, grp FROM ({groups_sql})"


def spine_trace_links_sql(table: str) -> str:
    """(grp, reference_dataset, reference_record_id) of a spine trace's link table."""
    return f"""SELECT CAST(person_id AS VARCHAR) AS grp, source_dataset AS reference_dataset,
                      record_id AS reference_record_id FROM {table}"""


def population_trace_links_sql(table: str, groups_sql: str) -> str:
    """(grp, reference_dataset, reference_record_id) of a population trace's table."""
    return f"""SELECT DISTINCT g.grp, l.reference_dataset, l.reference_record_id
               FROM {table} l JOIN ({groups_sql}) g ON g.record_id = l.record_id"""


def _trace_records_sql(traced_sql: str, links_sql: str, reference: str | Sequence[str]) -> str:
    """Per traced record: its group, its true person, the group's true person (most of its
    records; ties: the lower id), whether that person is in the reference file, whether the
    group is linked and to whom (the true person of most of the reference records it took)."""
    return f"""
        WITH rp AS (SELECT source_dataset, CAST(record_id AS VARCHAR) AS record_id, person_id
                    FROM {TRUTH} WHERE person_id IS NOT NULL),
        tr AS (SELECT t.source_dataset, CAST(t.record_id AS VARCHAR) AS record_id,
                      CAST(t.grp AS VARCHAR) AS grp, rp.person_id
               FROM ({traced_sql}) t JOIN rp ON rp.source_dataset = t.source_dataset
                                           AND rp.record_id = CAST(t.record_id AS VARCHAR)),
        gt AS (SELECT grp, person_id AS group_person FROM (
                   SELECT grp, person_id, count(*) AS n FROM tr GROUP BY ALL)
               QUALIFY row_number() OVER (PARTITION BY grp ORDER BY n DESC, person_id) = 1),
        lk AS (SELECT CAST(grp AS VARCHAR) AS grp, rp.person_id, count(*) AS n
               FROM ({links_sql}) l LEFT JOIN rp ON rp.source_dataset = l.reference_dataset
                                               AND rp.record_id = l.reference_record_id
               GROUP BY ALL),
        lt AS (SELECT grp, person_id AS linked_person FROM lk
               QUALIFY row_number() OVER (PARTITION BY grp
                                          ORDER BY n DESC, person_id NULLS LAST) = 1),
        inref AS (SELECT DISTINCT person_id FROM rp
                  WHERE source_dataset IN {_in(_names(reference))})
        SELECT tr.source_dataset, tr.record_id, tr.grp, tr.person_id, gt.group_person,
               gt.group_person IN (SELECT person_id FROM inref) AS group_in_reference,
               tr.person_id IN (SELECT person_id FROM inref) AS record_in_reference,
               lt.grp IS NOT NULL AS linked,
               coalesce(lt.linked_person = gt.group_person, false) AS group_right,
               coalesce(lt.linked_person = tr.person_id, false) AS record_right
        FROM tr JOIN gt USING (grp) LEFT JOIN lt USING (grp)"""


def trace_f1(con: duckdb.DuckDBPyConnection, label: str, reference: str | Sequence[str],
             traced_sql: str, links_sql: str, reference_label: str | None = None
             ) -> pd.DataFrame:
    """P / R / F1 of a trace, per traced person (`<label>-<reference> people`: right links /
    links, right links / people truly in the reference), per traced record (`... records`:
    records of linked people whose own true person is the reference person's) and per reference
    person (`... reference people`: reference people given to a traced person of their own
    true person / reference people given to anyone, over the true people traced and in the
    reference; a person split in two by the spine counts once, as the one-to-one trace can give
    their NHS number to one of the two only). `reference`: the reference source, or several
    (a `ttp` plan's council sources, named `reference_label` in the scopes)."""
    ref = reference_label or "+".join(_names(reference))
    counts = con.execute(f"""
        WITH r AS ({_trace_records_sql(traced_sql, links_sql, reference)}),
        g AS (SELECT DISTINCT grp, group_person, group_in_reference, linked, group_right FROM r)
        SELECT (SELECT count(*) FILTER (WHERE group_right) FROM g),
               (SELECT count(*) FILTER (WHERE linked) FROM g),
               (SELECT count(*) FILTER (WHERE group_in_reference) FROM g),
               count(*) FILTER (WHERE record_right), count(*) FILTER (WHERE linked),
               count(*) FILTER (WHERE record_in_reference),
               (SELECT count(DISTINCT group_person) FILTER (WHERE group_right) FROM g),
               (SELECT count(*) FILTER (WHERE linked) FROM g),
               (SELECT count(DISTINCT group_person) FILTER (WHERE group_in_reference) FROM g)
        FROM r""").fetchall()[0]
    people, records, reference_people = (tuple(float(x) for x in counts[i:i + 3])
                                         for i in (0, 3, 6))
    return pd.DataFrame([_row(f"{label}-{ref} people", people),
                         _row(f"{label}-{ref} records", records),
                         _row(f"{label}-{ref} reference people", reference_people)])


def _trace_people(con: duckdb.DuckDBPyConnection, reference: str | Sequence[str],
                  traced_sql: str,
                  links_sql: str) -> pd.DataFrame:
    """Per traced person: its subgroups (of its true person) and the trace's outcome."""
    return con.sql(f"""
        WITH r AS ({_trace_records_sql(traced_sql, links_sql, reference)}),
        g AS (SELECT DISTINCT grp, group_person, group_in_reference, linked, group_right FROM r)
        SELECT g.*, p.sex, p.ethnic_group,
               CAST((p.imd_decile + 1) // 2 AS VARCHAR) AS imd_quintile
        FROM g LEFT JOIN {PERSONS} p ON p.person_id = g.group_person""").df()


def _by_subgroup(people: pd.DataFrame, dimensions: Sequence[str]) -> pd.DataFrame:
    """Counts per (dimension, subgroup), with an overall row (dimension and subgroup `all`)."""
    frames = [people.assign(dimension="all", subgroup="all")]
    frames += [people.assign(dimension=d, subgroup=people[d].astype(object)
                             .where(people[d].notna(), "unknown").astype(str))
               for d in dimensions]
    x = pd.concat(frames, ignore_index=True)
    x["wrong"] = x["linked"] & ~x["group_right"]
    x["missed"] = x["group_in_reference"] & ~x["group_right"]
    out = x.groupby(["dimension", "subgroup"]).agg(
        people=("grp", "size"), truly_in_reference=("group_in_reference", "sum"),
        linked=("linked", "sum"), linked_right=("group_right", "sum"),
        linked_wrong=("wrong", "sum"), missed=("missed", "sum")).reset_index()
    order = {d: i for i, d in enumerate(("all", *dimensions))}
    out = out.sort_values(["dimension", "subgroup"], key=lambda c: c.map(order)
                          if c.name == "dimension" else c, kind="stable").reset_index(drop=True)
    return out.astype({c: "int64" for c in out.columns if c not in ("dimension", "subgroup")})


def trace_rates(con: duckdb.DuckDBPyConnection, reference: str | Sequence[str],
                traced_sql: str,
                links_sql: str, dimensions: Sequence[str] = ("ethnic_group", "imd_quintile")
                ) -> pd.DataFrame:
    """Traced people linked to a reference person (`linked_pct`), rightly (`linked_right_pct`),
    beside the share truly in the reference file (`true_pct`): overall (dimension `all`) and by
    subgroup of their true person. Rates in percent."""
    out = _by_subgroup(_trace_people(con, reference, traced_sql, links_sql), dimensions)
    for col, name in (("linked", "linked_pct"), ("linked_right", "linked_right_pct"),
                      ("truly_in_reference", "true_pct")):
        out[name] = (100 * out[col] / out["people"]).round(1)
    return out


def trace_subgroup_errors(con: duckdb.DuckDBPyConnection, reference: str | Sequence[str],
                          traced_sql: str,
                          links_sql: str, dimensions: Sequence[str] = SUBGROUPS,
                          threshold: str = "high") -> pd.DataFrame:
    """A trace's errors by subgroup, per traced person, in the columns of
    `evaluation.subgroup_table` (`records` counts traced people): false-match rate (linked to
    another person's reference record), missed-match rate (truly in the reference, not linked
    to it), linked rate, and precision / recall / F1 of the links."""
    c = _by_subgroup(_trace_people(con, reference, traced_sql, links_sql), dimensions)
    c = c[c["dimension"] != "all"].reset_index(drop=True)
    rows = []
    for r in c.itertuples():
        prf = ev._prf(float(r.linked_right), float(r.linked), float(r.truly_in_reference))
        rows.append({"threshold": threshold, "dimension": r.dimension, "subgroup": r.subgroup,
                     "records": r.people, "false_match_rate": r.linked_wrong / r.people,
                     "missed_match_rate": (r.missed / r.truly_in_reference
                                           if r.truly_in_reference else None),
                     "linked_rate": r.linked / r.people,
                     "linked_other_source_rate": r.linked / r.people,
                     "precision": prf["precision"], "recall": prf["recall"], "f1": prf["f1"]})
    return pd.DataFrame(rows)


# TTP ids -----------------------------------------------------------------------------------------


def ttp_clusters_sql(ids_table: str, threshold: str = "medium") -> str:
    """Council records with their ttp id as the cluster (`cluster_<threshold>`), from a ttp
    plan's `linkage.<name>_ids`."""
    return f"""SELECT source_dataset, CAST(record_id AS VARCHAR) AS record_id,
                      ttp_id AS cluster_{threshold} FROM {ids_table}"""


def ttp_f1(con: duckdb.DuckDBPyConnection, label: str, sources: Sequence[str],
           ids_table: str) -> pd.DataFrame:
    """P / R / F1 of a trusted third party's ids over the council records of `sources`:
    pairwise (`<label> pairs`: two records with one ttp id against two records of one true
    person, within and across sources, councils and periods), per pair of sources
    (`<a>-<b> pairs`) and per person (`<label> persons`: a ttp id is right when its records are
    all the council records of one true person; precision = right ids / ids, recall = right ids
    / true persons with council records)."""
    base = _base(ttp_clusters_sql(ids_table))
    names = list(sources)
    rows = [_row(f"{label} pairs", ev._scope_counts(con, base, names, names))]
    rows += [_row(f"{a}-{b} pairs", ev._scope_counts(con, base, [a], [b]))
             for i, a in enumerate(names) for b in names[i + 1:]]
    right, ids, persons = con.execute(f"""
        WITH b AS ({base}),
        c AS (SELECT cluster_id, min(person_id) AS person_id,
                     count(DISTINCT person_id) AS n_persons, count(*) AS n FROM b GROUP BY 1),
        t AS (SELECT person_id, count(*) AS n FROM b GROUP BY 1)
        SELECT count(*) FILTER (WHERE c.n_persons = 1 AND c.n = t.n), count(*),
               (SELECT count(*) FROM t)
        FROM c JOIN t USING (person_id)""").fetchall()[0]
    rows.append(_row(f"{label} persons", (float(right), float(ids), float(persons))))
    rows += [_row(f"{label} pairs across {what}", counts)
             for what, counts in _apart_counts(con, base, sources).items()]
    return pd.DataFrame(rows)


def _apart_counts(con: duckdb.DuckDBPyConnection, base: str,
                  sources: Sequence[str]) -> dict[str, tuple[float, float, float]]:
    """(right, linked, true) pair counts of the pairs of council records whose councils differ
    (`councils`: each source's declared LAD column, `QualityProfile.lad_columns`) and whose
    calendar quarters of the event date differ (`quarters`): the repeat presentations a trusted
    third party exists to join. Empty when a source declares no council column."""
    from bold_assets.sources import get_source

    parts = []
    for name in sources:
        src = get_source(name)
        lad = src.quality.lad_columns if src.quality else ()
        if not lad:
            return {}
        parts.append(f"""SELECT '{name}' AS source_dataset, CAST(r."{src.key}" AS VARCHAR)
                             AS record_id, CAST(r."{lad[0]}" AS VARCHAR) AS council,
                             strftime(s.event_date, '%Y') || quarter(s.event_date) AS quarter
                         FROM raw.{name} r JOIN linkage.std_{name} s
                           ON s.record_id = CAST(r."{src.key}" AS VARCHAR)""")
    attrs = " UNION ALL ".join(parts)

    def pairs(by: str, apart: str) -> str:  # pairs sharing `by` whose `apart` differs
        return (f"(SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT count(*) AS n FROM d "
                f"GROUP BY {by})) - (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT "
                f"count(*) AS n FROM d GROUP BY {by}, {apart}))")

    out = {}
    for what, col in (("councils", "council"), ("quarters", "quarter")):
        right, linked, true = con.execute(f"""
            WITH d AS (SELECT b.cluster_id, b.person_id, a.{col}
                       FROM ({base}) b JOIN ({attrs}) a USING (source_dataset, record_id))
            SELECT {pairs('cluster_id, person_id', col)}, {pairs('cluster_id', col)},
                   {pairs('person_id', col)}""").fetchall()[0]
        out[what] = (float(right), float(linked), float(true))
    return out


def ttp_subgroup_errors(con: duckdb.DuckDBPyConnection, sources: Sequence[str], ids_table: str,
                        dimensions: Sequence[str] = SUBGROUPS,
                        threshold: str = "medium") -> pd.DataFrame:
    """False-match, missed-match and linked rates and F1 of the council records clustered by
    their ttp ids, by subgroup of the true person (`threshold`: the name the rows carry)."""
    return _subgroups(con, ttp_clusters_sql(ids_table, threshold), sources, dimensions,
                      threshold)
