"""Measurements of the world against its truth: how hard is linkage, and is it calibrated?

Used by tests and benchmarks; these read `truth.*` and `raw.*` and never feed the pipeline.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from bold_assets.sources import OASYS_NEED_THRESHOLDS, SOURCES, oasys_need_column


def _norm(expr: str) -> str:
    return f"nullif(upper(trim({expr})), '')"


def _name_parts(source: str) -> tuple[str, str]:
    ids = SOURCES[source].identifiers
    if ids.full_name is None:
        return _norm(f'r."{ids.forename}"'), _norm(f'r."{ids.surname}"')
    # civil: "Surname, Forename" or "[Title] Forename Surname"
    name = f"regexp_replace(upper(trim(r.\"{ids.full_name}\")), '^(MR|MRS|MS|MISS) ', '')"
    forename = (f"CASE WHEN contains({name}, ',') THEN trim(split_part({name}, ',', 2)) "
                f"ELSE split_part({name}, ' ', 1) END")
    surname = (f"CASE WHEN contains({name}, ',') THEN trim(split_part({name}, ',', 1)) "
               f"ELSE regexp_extract({name}, '(\\S+)$', 1) END")
    return forename, surname


def identifier_error_rates(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Share of person records per source with at least one identifier error or gap.

    A record is wrong or incomplete when its forename, surname (birth or current), date of birth,
    sex (where recorded) or postcode (against the address held on the event date) is missing or
    differs from truth after trivial normalisation (case, spaces).
    """
    parts = []
    for name, src in SOURCES.items():
        ids = src.identifiers
        if not src.has_identifiers:  # attribute tables: no identifiers to get wrong
            continue
        forename, surname = _name_parts(name)
        dob = f"try_strptime(r.\"{ids.dob}\", '{ids.dob_format}')::DATE"
        sex_check = "FALSE"
        if ids.sex:
            codes = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in ids.sex_codes.items())
            sex_check = f"coalesce(CASE r.\"{ids.sex}\" {codes} END, '?') <> p.sex"
        postcode = f"replace(upper(coalesce(r.\"{ids.postcode}\", '')), ' ', '')"
        where = f"WHERE {SOURCES[name].person_filter}" if src.person_filter else ""
        parts.append(f"""
            SELECT '{name}' AS source_dataset,
              count(*) AS records,
              avg(CASE WHEN {forename} IS DISTINCT FROM upper(p.forename)
                        OR ({surname} IS DISTINCT FROM upper(p.surname)
                            AND {surname} IS DISTINCT FROM upper(p.birth_surname))
                        OR {dob} IS DISTINCT FROM p.dob
                        OR {sex_check}
                        OR {postcode} <> replace(a.postcode, ' ', '')
                   THEN 1 ELSE 0 END) AS error_rate
            FROM (SELECT * FROM raw.{name} {where}) r
            JOIN truth.record_person t
              ON t.source_dataset = '{name}' AND t.record_id = r."{src.key}"
            JOIN truth.persons p USING (person_id)
            JOIN truth.person_addresses a
              ON a.person_id = p.person_id AND r."{src.event_date}" >= a.from_date
             AND (a.to_date IS NULL OR r."{src.event_date}" <= a.to_date)""")
    return con.sql(" UNION ALL ".join(parts)).df()


def court_return_rate(con: duckdb.DuckDBPyConnection) -> float:
    """Share of magistrates' defendants (true persons) with two or more cases."""
    return con.sql("""
        SELECT avg((n >= 2)::INT) FROM (
          SELECT person_id, count(*) AS n FROM truth.record_person
          WHERE source_dataset = 'mags' GROUP BY person_id)""").fetchall()[0][0]


def oasys_need_prevalence(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Share of assessments with a standard or severe need, per section and setting.

    Computed from the item scores and the published thresholds, not from the need columns.
    """
    from bold_assets.sources import oasys_item_columns

    rows = []
    for section, (standard, _) in OASYS_NEED_THRESHOLDS.items():
        total = " + ".join(oasys_item_columns(section))
        rows.append(f"""SELECT {section} AS section, setting,
            avg((({total}) >= {standard})::INT) AS prevalence,
            avg(((({total}) >= {standard}) = ({oasys_need_column(section)} >= 1))::INT)
              AS need_level_agrees
            FROM raw.oasys GROUP BY setting""")
    return con.sql(" UNION ALL ".join(rows) + " ORDER BY section, setting").df()


def volumes_per_100k(world_tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per source: measured records (or cases) per 100,000 people per year over the extract's
    period, beside the target of `rates.VOLUMES` (people of all ages as the denominator)."""
    from bold_assets.world.rates import VOLUMES

    people = len(world_tables["truth.persons"])
    rows = []
    for source, vol in VOLUMES.items():
        raw = world_tables[f"raw.{source}"]
        case_col = {"family": "case_number", "civil": "claim_number"}.get(source)
        count = raw[case_col].nunique() if vol.unit == "cases" and case_col else len(raw)
        measured = count / people / vol.years * 1e5
        rows.append({"source": source, "unit": vol.unit, "target_per_100k": vol.per_100k,
                     "measured_per_100k": measured, "ratio": measured / vol.per_100k,
                     "people_with_record": world_tables["truth.record_person"].pipe(
                         lambda rp, s=source: rp.loc[rp["source_dataset"] == s, "person_id"]
                         .nunique())})
    return pd.DataFrame(rows)


def cohort_outcomes_by_23(persons: pd.DataFrame, careers: pd.DataFrame,
                          born_from: str = "1985-09-01", born_to: str = "2000-08-31",
                          ) -> dict[str, float]:
    """The ONS-style cohort measure on court careers: of people born in [born_from, born_to],
    the share with a custodial sentence before age 23, the share with a non-custodial court
    conviction (and no custody) before 23, and the male share of each group. Cautions are not
    court data, so the non-custodial share is a lower bound of the ONS figure (12.2%)."""
    import numpy as np

    dob = persons["dob"].to_numpy().astype("datetime64[D]")
    cohort = (dob >= np.datetime64(born_from)) & (dob <= np.datetime64(born_to))
    c = careers[cohort[careers["person_idx"].to_numpy()]]
    age = (c["first_hearing_date"].to_numpy().astype("datetime64[D]")
           - dob[c["person_idx"].to_numpy()]).astype(int) / 365.25
    c = c[age < 23]
    convicted = ~c["disposal_code"].eq("NOT_GUILTY") & ~c["sentence_type"].eq("ACQUITTED")
    custody = set(c.loc[c["reception_date"].notna(), "person_idx"])
    noncust = set(c.loc[convicted, "person_idx"]) - custody
    male = (persons["sex"] == "M").to_numpy()
    n = int(cohort.sum())
    def male_share(group: set) -> float:
        return float(male[list(group)].mean()) if group else float("nan")

    return {"cohort": n, "custodial": len(custody) / n, "non_custodial": len(noncust) / n,
            "male_share_custodial": male_share(custody),
            "male_share_non_custodial": male_share(noncust)}
