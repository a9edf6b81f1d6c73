"""Research-zone tables: the extracts without identifiers, ids as keyed hashes, and the link files.

SQL builders over a warehouse connection on which `pseudonymise.register_hmac` has been run.
Contract (see DESIGN.md): `research.<source>` = raw columns minus `Source.pii_columns`, the key
column replaced by `row_id_hash`, each case id by `<col>_hash`, plus `age_at_event`, `lsoa_code`
(from the standardised postcode; probation keeps its own) and `lad_code`.
"""

from __future__ import annotations

from bold_assets.linkage.core import THRESHOLDS
from bold_assets.linkage.spine import research_id_sql
from bold_assets.pseudonymise import hash_expr
from bold_assets.sources import SOURCES, Source, get_source

# Crown Court receipt is expected within this many days of the magistrates' first hearing.
JOURNEY_MAX_DAYS = 182


def key_sql(source: Source, column: str, expr: str) -> str:
    """SQL of a key column as records are grouped and hashed on it: a national id of `source`
    (its attribute tables carry the same key) in its standard form, other keys as they are."""
    kind = {c: k for k, c in source.identifiers.national_ids.items()}.get(column)
    if kind is None:
        return expr
    from bold_assets.linkage.standardise import national_id_std_sql

    return national_id_std_sql(kind, expr)


def research_source_sql(source: str, src: Source | None = None) -> str:
    """SELECT for `research.<source>`, column for column as `Source.research_columns`.

    An attribute table (no identifiers, rows carry the key of a `parent` source) has no
    standardised table: its `parent_key` is hashed in the parent's namespace (so it joins the
    parent's `<parent_key>_hash`), age is unknown and residence comes from its own LSOA column.
    """
    s = src or get_source(source)
    std = s.has_identifiers
    own_lsoa = "lsoa_code" in s.columns
    lsoa = "r.lsoa_code" if own_lsoa else ("std.lsoa_code" if std else "NULL")
    age = ("CASE WHEN std.dob_std IS NOT NULL AND std.event_date IS NOT NULL THEN "
           "date_diff('year', std.dob_std, std.event_date) - CAST("
           "strftime(std.event_date, '%m%d') < strftime(std.dob_std, '%m%d') AS INTEGER) END"
           if std else "NULL")
    parent = SOURCES.get(s.parent or "")  # its key as the parent holds it (a national id?)
    parent_key = (key_sql(parent, s.parent_key, f"r.{s.parent_key}") if parent and s.parent_key
                  else f"r.{s.parent_key}")
    derived = {
        "row_id_hash": hash_expr(source, s.key, f"r.{s.key}"),
        **{f"{c}_hash": hash_expr(source, c, key_sql(s, c, f"r.{c}")) for c in s.hashed_columns},
        **({f"{s.parent_key}_hash": hash_expr(s.parent, s.parent_key, parent_key)}
           if s.parent and s.parent_key else {}),
        "age_at_event": f"CAST({age} AS INTEGER)",
        "lsoa_code": f"CAST({lsoa} AS VARCHAR)" if lsoa == "NULL" else lsoa,
        "lad_code": "l.lad_code",
    }
    exprs = [derived.get(c, f'r."{c}"') for c in s.research_columns]
    cols = ",\n               ".join(f'{e} AS "{c}"' for e, c in zip(exprs, s.research_columns,
                                                                     strict=True))
    std_join = (f'LEFT JOIN linkage.std_{source} std '
                f'ON std.record_id = CAST(r."{s.key}" AS VARCHAR)' if std else "")
    return f"""
        SELECT {cols}
        FROM raw.{source} r
        {std_join}
        LEFT JOIN reference.lsoa l ON l.lsoa_code = {lsoa}
    """


def row_hash_sql(source_col: str = "source_dataset", id_col: str = "record_id") -> str:
    """SQL hashing a (source, record id) pair exactly as `research.<source>.row_id_hash`."""
    whens = " ".join(f"WHEN '{s.name}' THEN {hash_expr(s.name, s.key, id_col)}"
                     for s in SOURCES.values())
    return f"CASE {source_col} {whens} END"


def xjs_link_sql() -> str:
    """SELECT for `research.xjs_link`: hashed record id -> hashed person id at each threshold.

    `estimated_xjs_id` is the keyed persistent person id (`linkage.person_ids`, see
    `bold_assets.linkage.spine`): it lasts across snapshots. The other thresholds' ids are keyed
    cluster ids of this run.
    """
    def pid(level: str) -> str:
        return f"bold_hmac('xjs:' || c.cluster_{level})"

    extra = ", ".join(f"{pid(t)} AS xjs_id_{t}" for t in THRESHOLDS if t != "medium")
    return f"""
        SELECT c.source_dataset, {row_hash_sql('c.source_dataset', 'c.record_id')} AS row_id_hash,
               {research_id_sql('p.person_id')} AS estimated_xjs_id, {extra}
        FROM linkage.person_clusters c
        JOIN linkage.person_ids p USING (source_dataset, record_id)
    """


def wave_link_sql(people_sources: tuple[str, ...],
                  link_tables: tuple[str, ...] = ("linkage.pupil_links",)) -> str:
    """SELECT for `research.wave_<n>_link` (source_dataset, row_id_hash, estimated_xjs_id): each
    record of a later wave's person sources (e.g. PNC) with its spine person, and each linked
    record of its link tables (e.g. NPD census in linkage.pupil_links; a spine trace's table,
    e.g. PDS records in linkage.pds_links, and a ttp plan's, e.g. H-CLIC and tenancy records in
    linkage.council_links, have the same shape) with the spine person it links to.
    `row_id_hash` as the source's `research.<source>.row_id_hash`, `estimated_xjs_id` as
    `research.xjs_link`'s."""
    if not people_sources and not link_tables:
        raise ValueError("wave link file: no person source and no link table given")
    parts = []
    if people_sources:
        names = ", ".join(f"'{s}'" for s in people_sources)
        parts.append(f"""
        SELECT i.source_dataset, {row_hash_sql('i.source_dataset', 'i.record_id')} AS row_id_hash,
               {research_id_sql('i.person_id')} AS estimated_xjs_id
        FROM linkage.person_ids i WHERE i.source_dataset IN ({names})""")
    parts += [f"""
        SELECT l.source_dataset, {row_hash_sql('l.source_dataset', 'l.record_id')} AS row_id_hash,
               {research_id_sql('l.person_id')} AS estimated_xjs_id
        FROM {table} l""" for table in link_tables]
    return "\n        UNION ALL".join(parts) + "\n"


def trace_research_sql(table: str, traced: Source, traced_key: str, reference: Source,
                       reference_key: str) -> str:
    """SELECT for `research.<table>` of a population trace (`linkage.trace`): one row per traced
    person, `<traced_key>_hash` (e.g. `upn_hash`) -> `<reference_key>_hash` (e.g.
    `nhs_number_hash`) and `match_probability`; keyed hashes only. Each hash is the one
    `research.<traced>` / `research.<reference>` hold (`research_source_sql`: the key in its
    standard form, `key_sql`, hashed in its source's namespace), so pupils join hospital records
    through it. Reads `linkage.<table>` and the two raw tables (for the keys)."""
    t_hash = hash_expr(traced.name, traced_key, key_sql(traced, traced_key, f'r."{traced_key}"'))
    r_hash = hash_expr(reference.name, reference_key,
                       key_sql(reference, reference_key, f'p."{reference_key}"'))
    return f"""
        SELECT {t_hash} AS "{traced_key}_hash", {r_hash} AS "{reference_key}_hash",
               max(l.match_probability) AS match_probability
        FROM linkage.{table} l
        JOIN raw.{traced.name} r ON CAST(r."{traced.key}" AS VARCHAR) = l.record_id
        JOIN raw.{reference.name} p
          ON CAST(p."{reference.key}" AS VARCHAR) = l.reference_record_id
        WHERE l.source_dataset = '{traced.name}' AND l.reference_dataset = '{reference.name}'
        GROUP BY ALL
    """


def ttp_ids_research_sql(ids_table: str) -> str:
    """SELECT for `research.<ids_table>` of a `ttp` plan (`linkage.ttp`): each council record
    (source_dataset, `row_id_hash` as its `research.<source>` holds it) with its trusted third
    party's person id as a keyed hash (`ttp_id_hash`, in the table's own namespace), so repeat
    presentations of a person across councils and periods can be counted, spine or not. Reads
    `linkage.<ids_table>`."""
    return f"""
        SELECT i.source_dataset,
               {row_hash_sql('i.source_dataset', 'i.record_id')} AS row_id_hash,
               {hash_expr(ids_table, 'ttp_id', 'i.ttp_id')} AS ttp_id_hash
        FROM linkage.{ids_table} i
    """


def journey_sql() -> str:
    """SELECT for `research.mags_crown_journey`: each Crown Court defendant-on-case matched to the
    magistrates' case that sent it.

    Candidates: a mags case with disposal SENT_CC and a crown case of the same person (same
    `cluster_low`), received 0-182 days after the first hearing. Score = person link probability
    (the scored pair, else the threshold the two records clustered at) x agreement of offence
    x closeness in time; then one-to-one, best score first.
    """
    th = THRESHOLDS
    return f"""
        WITH mc_pairs AS (  -- scored mags-crown pairs, either way round
            SELECT record_id_l AS mags_id, record_id_r AS crown_id, match_probability
            FROM linkage.pairwise_predictions
            WHERE source_dataset_l = 'mags' AND source_dataset_r = 'crown'
            UNION ALL
            SELECT record_id_r, record_id_l, match_probability
            FROM linkage.pairwise_predictions
            WHERE source_dataset_l = 'crown' AND source_dataset_r = 'mags'
        ),
        cand AS (
            SELECT m.case_id, m.defendant_id, c.defendant_on_case_id,
                coalesce(p.match_probability,
                    CASE WHEN cm.cluster_high = cc.cluster_high THEN {th['high']}
                         WHEN cm.cluster_medium = cc.cluster_medium THEN {th['medium']}
                         ELSE {th['low']} END) AS p_person,
                CASE WHEN m.principal_offence_code = c.offence_code THEN 1.0 ELSE 0.6 END
                    AS p_offence,
                CASE WHEN date_diff('day', m.first_hearing_date, c.receipt_date) <= 70 THEN 1.0
                     ELSE 0.7 END AS p_time,
                date_diff('day', m.first_hearing_date, c.receipt_date) AS gap
            FROM raw.mags m
            JOIN linkage.person_clusters cm
              ON cm.source_dataset = 'mags' AND cm.record_id = m.defendant_id
            JOIN linkage.person_clusters cc
              ON cc.source_dataset = 'crown' AND cc.cluster_low = cm.cluster_low
            JOIN raw.crown c ON c.defendant_on_case_id = cc.record_id
            LEFT JOIN mc_pairs p
              ON p.mags_id = m.defendant_id AND p.crown_id = c.defendant_on_case_id
            WHERE m.disposal_code = 'SENT_CC'
              AND date_diff('day', m.first_hearing_date, c.receipt_date)
                  BETWEEN 0 AND {JOURNEY_MAX_DAYS}
        ),
        scored AS (
            SELECT *, p_person * p_offence * p_time AS score FROM cand
        ),
        best_crown AS (  -- each crown case keeps its best mags case ...
            SELECT * FROM scored
            QUALIFY row_number() OVER (PARTITION BY defendant_on_case_id
                                       ORDER BY score DESC, gap, defendant_id) = 1
        ),
        one_to_one AS (  -- ... and each mags case its best crown case
            SELECT * FROM best_crown
            QUALIFY row_number() OVER (PARTITION BY defendant_id
                                       ORDER BY score DESC, gap, defendant_on_case_id) = 1
        )
        SELECT {hash_expr('mags', 'case_id', 'case_id')} AS mc_case_id,
               {hash_expr('mags', 'defendant_id', 'defendant_id')} AS mc_defendant_id,
               {hash_expr('crown', 'defendant_on_case_id', 'defendant_on_case_id')}
                   AS cc_defendant_on_case_id,
               round(score, 4) AS estimated_match_score
        FROM one_to_one
    """
