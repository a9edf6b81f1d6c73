"""Suites for the tables built from the raw extracts: linkage, research and outputs.

Column lists come from the registry and the table contracts in DESIGN.md (and, for the
standardised identifiers, from `bold_assets.linkage.standardise.STD_COLUMNS`). Cross-table
integrity (every record -> one cluster, every research row -> one spine id, nothing lost between
zones) is written as `unexpected_rows_expectation` SQL, which the runner executes in DuckDB.
"""

from __future__ import annotations

from bold_assets.catalog import CATALOG, Catalog, Source
from bold_assets.catalog.codes import (
    ETHNICITY_CODES,
    LAD_CODE_PATTERN,
    LSOA_CODE_PATTERN,
    POSTCODE_PATTERN,
)
from bold_assets.quality import build_suites as b

ID_TYPES = ["VARCHAR", "BIGINT", "INTEGER", "HUGEINT", "UBIGINT"]
# Completeness after standardisation: invalid values become NULL, so a little below raw's.
STD_MARGIN = 0.05
RESEARCH_MARGIN = 0.10  # derived fields (age, LSOA) also need a valid value and a lookup hit
MIN_CELL = 10  # smallest count an unsuppressed output cell may show (ONS SRS / ACRO threshold)
ROUND_BASE = 5  # published counts and denominators are multiples of this (bold_assets.disclosure)
OUTPUT_COLUMNS = {
    "geography_level": "VARCHAR", "area_code": "VARCHAR", "area_name": "VARCHAR",
    "wave": "INTEGER", "measure": "VARCHAR", "count": "INTEGER", "denominator": "INTEGER",
    "rate": "DOUBLE", "suppressed": "BOOLEAN", "coverage": "VARCHAR",
}  # fmt: skip


def _person_rows(src: Source, alias: str = "r") -> str:
    """SQL selecting the raw records that are people, as (record_id)."""
    where = f" WHERE {alias}.{src.person_filter}" if src.person_filter else ""
    return (f"SELECT CAST({alias}.{src.key} AS VARCHAR) AS record_id "
            f"FROM raw.{src.name} {alias}{where}")


# Linkage ---------------------------------------------------------------------------------


def std_suite(src: Source) -> dict:
    from bold_assets.linkage.standardise import STD_COLUMNS

    table = f"linkage.std_{src.name}"
    strength = "weak" if src.weak_identifiers else "strong"
    ids = src.identifiers
    exps = [b.columns_present(list(STD_COLUMNS), table), b.row_count(table),
            b.not_null("record_id", True, why="record id"), b.unique("record_id"),
            b.in_set("source_dataset", [src.name])]  # fmt: skip
    first = ("forename", ids.forename) if ids.forename else ("full_name", ids.full_name)
    last = ("surname", ids.surname) if ids.surname else ("full_name", ids.full_name)
    roles = {"forename1_std": first, "surname_std": last,
             "dob_std": ("dob", ids.dob), "sex": ("sex", ids.sex),
             "postcode_std": ("postcode", ids.postcode)}  # fmt: skip
    for col, (role, raw_col) in roles.items():
        if raw_col:
            mostly = round(b.completeness(src, role) - STD_MARGIN, 2)
            exps.append(b.not_null(col, False, mostly, why=f"{strength} {role} for linkage"))
    exps += b.types(table, {"record_id": "VARCHAR", "dob_std": "DATE", "event_date": "DATE",
                            "dob_invalid": "BOOLEAN", "postcode_invalid": "BOOLEAN"})
    exps += [
        b.rows(
            "invalid_values_blanked", True,
            "an identifier flagged invalid is blank in standard form (never linked on)",
            """SELECT record_id, dob_std, dob_invalid, postcode_std, postcode_invalid FROM {batch}
               WHERE (dob_invalid AND dob_std IS NOT NULL)
                  OR (postcode_invalid AND postcode_std IS NOT NULL)""",
        ),
        b.in_set("sex", ["M", "F"]),
        b.between("dob_std", b.EARLIEST_DOB + "T00:00:00", b._day(src.coverage[1], end=True),
                  desc=f"dob_std between {b.EARLIEST_DOB} and {src.coverage[1]}"),
        b.regex("postcode_std", POSTCODE_PATTERN, "UK postcodes (standardised)", critical=True),
        b.regex("lsoa_code", LSOA_CODE_PATTERN, "LSOA 2021 codes"),
        b.rows(
            "one_row_per_raw_person_record", True,
            f"every person record of raw.{src.name} has exactly one standardised row, and no other",
            f"""WITH r AS ({_person_rows(src)}),
                     s AS (SELECT CAST(record_id AS VARCHAR) AS record_id, count(*) AS n
                           FROM {{batch}} GROUP BY ALL)
                SELECT coalesce(r.record_id, s.record_id) AS record_id,
                       coalesce(s.n, 0) AS std_rows, r.record_id IS NOT NULL AS in_raw
                FROM r FULL JOIN s ON r.record_id = s.record_id
                WHERE r.record_id IS NULL OR s.record_id IS NULL OR s.n <> 1""",
        ),
    ]  # fmt: skip
    return b._suite(table, exps, source=src.name)


def _spine_sources(catalog: Catalog) -> tuple[Source, ...]:
    """The sources clustered into the wave-0 spine (`linkage.person_clusters`)."""
    return catalog.sources_of_wave(0)


def person_clusters_suite(catalog: Catalog = CATALOG) -> dict:
    table = "linkage.person_clusters"
    cols = ["source_dataset", "record_id", "cluster_high", "cluster_medium", "cluster_low"]
    spine = _spine_sources(catalog)
    persons = " UNION ALL ".join(
        f"SELECT '{s.name}' AS source_dataset, record_id FROM ({_person_rows(s)})"
        for s in spine
    )
    exps = [b.columns_present(cols, table), b.row_count(table),
            b.compound_unique(["source_dataset", "record_id"], "unique__source_dataset_record_id"),
            b.in_set("source_dataset", [s.name for s in spine])]  # fmt: skip
    exps += [b.not_null(c, True, why="every record is in a cluster") for c in cols]
    exps += b.types(table, {c: ID_TYPES for c in cols[2:]})
    exps.append(b.rows(
        "every_person_record_one_cluster", True,
        "every person record of the seven raw extracts has exactly one cluster row, and no other",
        f"""WITH r AS ({persons}),
                 c AS (SELECT source_dataset, CAST(record_id AS VARCHAR) AS record_id,
                              count(*) AS n FROM {{batch}} GROUP BY ALL)
            SELECT coalesce(r.source_dataset, c.source_dataset) AS source_dataset,
                   coalesce(r.record_id, c.record_id) AS record_id, coalesce(c.n, 0) AS cluster_rows
            FROM r FULL JOIN c USING (source_dataset, record_id)
            WHERE r.record_id IS NULL OR c.record_id IS NULL OR c.n <> 1""",
    ))  # fmt: skip
    for fine, coarse in (("cluster_high", "cluster_medium"), ("cluster_medium", "cluster_low")):
        exps.append(b.rows(
            f"{fine}_nests_in_{coarse}", False,
            f"each {fine} lies within one {coarse} (a stricter threshold only splits clusters)",
            f"""SELECT {fine}, count(DISTINCT {coarse}) AS n_{coarse} FROM {{batch}}
                GROUP BY {fine} HAVING count(DISTINCT {coarse}) > 1""",
        ))  # fmt: skip
    return b._suite(table, exps)


# Research --------------------------------------------------------------------------------


def research_columns(src: Source) -> dict[str, str]:
    """The research table's columns and DuckDB types (the registry's research-zone contract)."""
    return src.research_columns


def research_suite(src: Source) -> dict:
    table = f"research.{src.name}"
    cols = research_columns(src)
    hashes = ["row_id_hash", *(f"{c}_hash" for c in src.case_ids)]
    exps = [b.columns_exact(list(cols), table, critical=True), b.row_count(table),
            *b.types(table, cols), b.not_null("row_id_hash", True, why="pseudonymous record id"),
            b.unique("row_id_hash")]  # fmt: skip
    for h in hashes:
        exps.append(b.regex(h, b.HASH_PATTERN, "HMAC-SHA256 hex digests", critical=True))
    for c in src.case_ids:
        exps.append(b.case_not_null(src, c, f"{c}_hash", "each record -> one case"))
    for col, values in src.codes.items():
        if col in cols:
            exps.append(b.in_set(col, list(values), critical=False))
    if src.identifiers.ethnicity and src.identifiers.ethnicity in cols:
        exps.append(b.not_null(src.identifiers.ethnicity, False, 0.5, why="equality monitoring"))
    lo, hi = (src.quality.age_range if src.quality and src.quality.age_range
              else (16 if src.weak_identifiers else 10, 100))
    # Residence and age come from the postcode and DOB: as complete as those, less a margin for
    # invalid values and postcodes outside the lookup. Civil: person parties only.
    person = b.person_condition(src)
    exps.append(b.between("age_at_event", lo, hi, mostly=0.99))
    if src.identifiers.dob:
        exps.append(b.not_null("age_at_event", False,
                               round(b.completeness(src, "dob") - RESEARCH_MARGIN, 2),
                               why="age needs a valid date of birth", **person))
    if src.identifiers.postcode:
        exps.append(b.not_null("lsoa_code", False,
                               round(b.completeness(src, "postcode") - RESEARCH_MARGIN, 2),
                               why="small-area outputs need residence", **person))
    exps += [
        b.regex("lsoa_code", LSOA_CODE_PATTERN, "LSOA 2021 codes", critical=True),
        b.regex("lad_code", LAD_CODE_PATTERN, "LAD codes", critical=True),
        b.rows(
            "lsoa_nests_in_lad", False, "lad_code is the LAD that the row's LSOA lies in",
            """SELECT t.lsoa_code, t.lad_code, l.lad_code AS expected_lad_code FROM {batch} t
               JOIN reference.lsoa l ON l.lsoa_code = t.lsoa_code
               WHERE t.lad_code IS DISTINCT FROM l.lad_code""",
        ),
        b.rows(
            "same_rows_as_raw", True, f"one research row per raw.{src.name} record: nothing lost",
            f"""SELECT n_raw, n_research FROM (
                    SELECT (SELECT count(*) FROM raw.{src.name}) AS n_raw,
                           (SELECT count(*) FROM {{batch}}) AS n_research)
                WHERE n_raw <> n_research""",
        ),
    ]  # fmt: skip
    return b._suite(table, exps, source=src.name)


def xjs_link_suite(catalog: Catalog = CATALOG) -> dict:
    table = "research.xjs_link"
    cols = ["source_dataset", "row_id_hash", "estimated_xjs_id", "xjs_id_high", "xjs_id_low"]
    spine = _spine_sources(catalog)
    people = " UNION ALL ".join(
        f"SELECT '{s.name}' AS source_dataset, row_id_hash FROM research.{s.name}"
        + (f" WHERE {s.person_filter}" if s.person_filter else "")
        for s in spine
    )
    key = ["source_dataset", "row_id_hash"]
    exps = [b.columns_present(cols, table), b.row_count(table),
            b.compound_unique(key, "unique__source_dataset_row_id_hash"),
            b.in_set("source_dataset", [s.name for s in spine]),
            b.regex("row_id_hash", b.HASH_PATTERN, "HMAC-SHA256 hex digests", critical=True)]
    exps += [b.not_null(c, True, why="every person row has a spine id") for c in cols]
    exps.append(b.rows(
        "every_research_person_row_one_link", True,
        "every person row of the seven research tables has exactly one xjs_link row, and no other",
        f"""WITH r AS ({people}),
                 x AS (SELECT source_dataset, row_id_hash, count(*) AS n
                       FROM {{batch}} GROUP BY ALL)
            SELECT coalesce(r.source_dataset, x.source_dataset) AS source_dataset,
                   coalesce(r.row_id_hash, x.row_id_hash) AS row_id_hash, coalesce(x.n, 0) AS links
            FROM r FULL JOIN x USING (source_dataset, row_id_hash)
            WHERE r.row_id_hash IS NULL OR x.row_id_hash IS NULL OR x.n <> 1""",
    ))  # fmt: skip
    exps.append(b.rows(
        "xjs_id_high_nests_in_estimated", False,
        "each high-threshold spine id lies within one estimated (medium) spine id",
        """SELECT xjs_id_high, count(DISTINCT estimated_xjs_id) AS n FROM {batch}
           GROUP BY xjs_id_high HAVING count(DISTINCT estimated_xjs_id) > 1""",
    ))  # fmt: skip
    return b._suite(table, exps)


def wave_link_suite(catalog: Catalog, number: int) -> dict:
    """`research.<wave link table>`: one row per record of each of the wave's `into_spine`
    sources and per linked record of each `link` plan's population, spine trace's reference
    file and `ttp` plan's council sources (`WaveLinkSpec.link_file_sources`); a linked
    record's person holds a record of the plan's spine source (in this file, or in that
    source's wave's)."""
    from bold_assets.linkage.wave_link import wave_link_spec

    wave = catalog.waves[number]
    spec = wave_link_spec(catalog, number)
    table = f"research.{wave.link_table}"
    people = [p.source.name for p in spec.into_spine]
    cols = ["source_dataset", "row_id_hash", "estimated_xjs_id"]
    exps = [b.columns_present(cols, table), b.row_count(table),
            b.compound_unique(["source_dataset", "row_id_hash"],
                              "unique__source_dataset_row_id_hash"),
            b.in_set("source_dataset", list(spec.link_file_sources)),
            b.regex("row_id_hash", b.HASH_PATTERN, "HMAC-SHA256 hex digests", critical=True)]
    exps += [b.not_null(c, True, why="every row has a spine id") for c in cols]
    for name in people:
        exps.append(b.rows(
            f"every_{name}_row_one_link", True,
            f"every row of research.{name} has exactly one link row, and no other",
            f"""WITH r AS (SELECT row_id_hash FROM research.{name}),
                     x AS (SELECT row_id_hash, count(*) AS n FROM {{batch}}
                           WHERE source_dataset = '{name}' GROUP BY ALL)
                SELECT coalesce(r.row_id_hash, x.row_id_hash) AS row_id_hash
                FROM r FULL JOIN x USING (row_id_hash)
                WHERE r.row_id_hash IS NULL OR x.row_id_hash IS NULL OR x.n <> 1""",
        ))  # fmt: skip
    for link in spec.links:
        pop, target = link.source.name, link.people
        holder = ("{batch}" if target in people
                  else f"research.{catalog.waves[catalog.get_source(target).wave].link_table}")
        exps.append(b.rows(
            f"{pop}_rows_link_to_{target}_people", True,
            f"every {pop} row is a row of research.{pop} and its person holds a {target} row",
            f"""SELECT row_id_hash FROM {{batch}} x WHERE source_dataset = '{pop}' AND (
                    row_id_hash NOT IN (SELECT row_id_hash FROM research.{pop})
                    OR estimated_xjs_id NOT IN (SELECT estimated_xjs_id FROM {holder}
                                                WHERE source_dataset = '{target}'))""",
        ))  # fmt: skip
    return b._suite(table, exps)


def journey_suite() -> dict:
    table = "research.mags_crown_journey"
    cols = {"mc_case_id": "VARCHAR", "mc_defendant_id": "VARCHAR",
            "cc_defendant_on_case_id": "VARCHAR", "estimated_match_score": "DOUBLE"}  # fmt: skip
    exps = [b.columns_present(list(cols), table), *b.types(table, cols),
            b.compound_unique(["mc_defendant_id", "cc_defendant_on_case_id"],
                              "unique__mc_defendant_id_cc_defendant_on_case_id")]  # fmt: skip
    for c in list(cols)[:3]:
        exps.append(b.not_null(c, True, why="a journey joins a mags and a crown record"))
        exps.append(b.regex(c, b.HASH_PATTERN, "HMAC-SHA256 hex digests", critical=True))
    exps += [
        b.between("estimated_match_score", 0, 1, critical=True),
        b.rows(
            "defendants_exist", True,
            "every journey's mags defendant is in research.mags and its crown defendant "
            "in research.crown",
            """SELECT j.mc_defendant_id, j.cc_defendant_on_case_id FROM {batch} j
               WHERE j.mc_defendant_id NOT IN (SELECT row_id_hash FROM research.mags)
                  OR j.cc_defendant_on_case_id NOT IN (SELECT row_id_hash FROM research.crown)""",
        ),
        b.rows(
            "case_matches_defendant", True,
            "mc_case_id is the case of the journey's mags defendant",
            """SELECT j.mc_defendant_id, j.mc_case_id, m.case_id_hash FROM {batch} j
               JOIN research.mags m ON m.row_id_hash = j.mc_defendant_id
               WHERE m.case_id_hash IS DISTINCT FROM j.mc_case_id""",
        ),
    ]  # fmt: skip
    return b._suite(table, exps)


# Outputs ---------------------------------------------------------------------------------


def outputs_suite(level: str) -> dict:
    """Published aggregates (`bold_assets.disclosure`): the disclosure rules are critical."""
    table = f"outputs.{level}_needs_wave_0"
    pattern = LSOA_CODE_PATTERN if level == "lsoa" else LAD_CODE_PATTERN
    ref, code_col = "reference.lsoa", f"{level}_code"  # the outputs' own area reference
    exps = [b.columns_exact(list(OUTPUT_COLUMNS), table, critical=True), b.row_count(table),
            *b.types(table, OUTPUT_COLUMNS),
            b.in_set("geography_level", [level]), b.in_set("wave", [0]),
            b.not_null("area_code", True, why="every cell has an area"),
            b.not_null("measure", True, why="every cell has a measure"),
            b.not_null("suppressed", True, why="every cell says whether it is suppressed"),
            b.in_set("coverage", ["covered", "not covered"], critical=True),
            b.not_null("coverage", True, why="every cell says whether its area is covered"),
            b.not_null("area_name", False, why="areas are named for readers"),
            b.regex("area_code", pattern, f"{level.upper()} codes", critical=True),
            b.compound_unique(["area_code", "wave", "measure"], "unique__area_code_wave_measure"),
            b.between("rate", 0, 1, desc="rate is a share between 0 and 1")]  # fmt: skip
    exps += [
        b.rows(
            "no_small_cells", True,
            f"no published count or denominator is below {MIN_CELL} (disclosure threshold)",
            f"""SELECT area_code, measure, count, denominator FROM {{batch}}
                WHERE count < {MIN_CELL} OR denominator < {MIN_CELL}""",
        ),
        b.rows(
            "rounded_to_base", True,
            f"published counts and denominators are multiples of {ROUND_BASE}",
            f"""SELECT area_code, measure, count, denominator FROM {{batch}}
                WHERE count % {ROUND_BASE} <> 0 OR denominator % {ROUND_BASE} <> 0""",
        ),
        b.rows(
            "suppressed_cells_blank", True,
            "a covered cell is suppressed exactly when its count is blank, and then shows no "
            "rate; a cell not covered (its council sent no return) shows neither",
            """SELECT area_code, measure, count, rate, suppressed, coverage FROM {batch}
               WHERE (coverage = 'covered' AND (suppressed <> (count IS NULL)
                                                OR (suppressed AND rate IS NOT NULL)))
                  OR (coverage = 'not covered' AND (suppressed OR count IS NOT NULL
                                                    OR rate IS NOT NULL))""",
        ),
        b.rows(
            "rate_matches_count", False, "rate = count / denominator of the published cells",
            """SELECT area_code, measure, count, denominator, rate FROM {batch}
               WHERE rate IS NOT NULL AND denominator > 0
                 AND abs(rate - count::DOUBLE / denominator) > 5e-4""",
        ),
        b.rows(
            "area_known", False, f"every area_code is in {ref}",
            f"""SELECT area_code FROM {{batch}}
                WHERE area_code NOT IN (SELECT {code_col} FROM {ref})""",
        ),
    ]  # fmt: skip
    return b._suite(table, exps, geography_level=level)


def suites(catalog: Catalog = CATALOG) -> list[dict]:
    sources = list(catalog.sources.values())
    out = [std_suite(s) for s in sources if s.has_identifiers]
    out.append(person_clusters_suite(catalog))
    out += [research_suite(s) for s in sources]
    out += [xjs_link_suite(catalog), journey_suite()]
    out += [wave_link_suite(catalog, w.number) for w in catalog.active_waves()
            if w.number > 0 and w.link_plans]
    out += [outputs_suite("lsoa"), outputs_suite("lad")]
    return out


__all__ = ["suites", "research_columns", "ETHNICITY_CODES"]
