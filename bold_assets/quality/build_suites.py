"""Write the expectation suites in `expectations/` from the source registry.

    python -m bold_assets.quality.build_suites          # (re)write expectations/*.json
    python -m bold_assets.quality.build_suites --check  # exit 1 if a committed file is stale

The JSON files are the source of truth that the asset checks read; this script keeps them in step
with the catalogue (`bold_assets/catalog`) and the table contracts. Every expectation carries
`meta.check_name` (the Dagster asset check) and `meta.critical` (blocking when true); GX's
`severity` mirrors it. What is critical: the table's shape (required columns, DuckDB types, at
least one row), its key (present, unique), the links other tables rely on (record -> case,
record -> cluster, research row -> spine id), value sets of codes that landing also enforces, and
disclosure rules of published outputs. Completeness, ranges and patterns warn: the synthetic
world, like the real extracts, carries messy identifiers that linkage is built to tolerate.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from bold_assets.catalog import CATALOG, Catalog, QualityProfile, ScoreSection, Source
from bold_assets.catalog.codes import LAD_CODE_PATTERN, LSOA_CODE_PATTERN, POSTCODE_PATTERN
from bold_assets.generated import write_or_check
from bold_assets.quality.suites import SUITES_DIR

GENERATOR = "python -m bold_assets.quality.build_suites"

# Per-source thresholds (completeness of each identifier, date order, numeric ranges, area code
# columns, scored item sections) are each source's `QualityProfile`, declared with the source in
# `bold_assets/catalog/sources/<name>.py`.
# Share of present DOBs / postcodes that must be well formed (the rest are typos linkage absorbs).
DOB_FORMAT_MOSTLY = 0.95
POSTCODE_PATTERN_MOSTLY = 0.80
EARLIEST_DOB = "1900-01-01"
HASH_PATTERN = r"^[0-9a-f]{64}$"


class MissingProfile(ValueError):
    """A source's declaration lacks the quality profile (or a threshold) its suites need."""


def profile(src: Source) -> QualityProfile:
    """The source's quality profile; a clear error naming the source when it has none."""
    if src.quality is None:
        raise MissingProfile(
            f"source {src.name!r} declares no quality profile: add quality=QualityProfile(...) "
            f"to its declaration in bold_assets/catalog/sources/")
    return src.quality


def completeness(src: Source, role: str) -> float:
    """Minimum non-null share of identifier `role` of `src` (from its quality profile)."""
    known = profile(src).completeness
    if role not in known:
        raise MissingProfile(
            f"source {src.name!r} has a {role} identifier ({src.identifiers.roles.get(role)}) but "
            f"its QualityProfile.completeness has no {role!r} threshold; add one to its "
            "declaration in bold_assets/catalog/sources/")
    return known[role]


# Expectation helpers ---------------------------------------------------------------------------


def expectation(
    kind: str, name: str, critical: bool, description: str, **kwargs: Any
) -> dict[str, Any]:
    return {
        "type": kind,
        "kwargs": kwargs,
        "meta": {"check_name": name, "critical": critical},
        "description": description,
        "severity": "critical" if critical else "warning",
    }


def columns_present(columns: list[str], table: str) -> dict:
    return expectation(
        "expect_table_columns_to_match_set", "columns_present", True,
        f"{table} has its required columns", column_set=columns, exact_match=False,
    )  # fmt: skip


def columns_exact(columns: list[str], table: str, critical: bool = False) -> dict:
    what = ("exactly these columns (no identifiers leak in)" if critical
            else "no unexpected extra columns")  # fmt: skip
    return expectation(
        "expect_table_columns_to_match_set", "columns_exact", critical,
        f"{table} has {what}", column_set=columns, exact_match=True,
    )  # fmt: skip


def row_count(table: str) -> dict:
    return expectation(
        "expect_table_row_count_to_be_between", "row_count_nonzero", True,
        f"{table} is not empty", min_value=1,
    )  # fmt: skip


def types(table: str, columns: dict[str, str | list[str]]) -> list[dict]:
    """One critical check that every listed column has its DuckDB type (a list: any of them).

    Compared with `DESCRIBE` of the table in SQL: one check per table keeps the UI readable (its
    examples list each column whose type differs) where one check per column would not.
    """
    rows_sql = ", ".join(
        f"('{c}', '{t if isinstance(t, str) else '|'.join(t)}')" for c, t in columns.items())
    shown = ", ".join(f"{c} {t if isinstance(t, str) else '/'.join(t)}"
                      for c, t in list(columns.items())[:3])  # fmt: skip
    more = ", ..." if len(columns) > 3 else ""
    return [rows(
        "column_types", True, f"columns have their DuckDB types ({shown}{more})",
        f"""WITH expected(column_name, expected_type) AS (VALUES {rows_sql}),
                 actual AS (SELECT column_name, column_type AS actual_type
                            FROM (DESCRIBE {{batch}}))
            SELECT e.column_name, e.expected_type, a.actual_type
            FROM expected e LEFT JOIN actual a USING (column_name)
            WHERE a.actual_type IS NULL
               OR NOT list_contains(string_split(e.expected_type, '|'), a.actual_type)""",
    )]


def not_null(column: str, critical: bool, mostly: float = 1.0, why: str = "", **kw: Any) -> dict:
    extra = {"mostly": mostly} if mostly < 1 else {}
    share = f"at least {mostly:.0%} of " if mostly < 1 else ""
    desc = f"{share}{column} present" + (f" ({why})" if why else "")
    return expectation("expect_column_values_to_not_be_null", f"not_null__{column}", critical,
                       desc, column=column, **extra, **kw)  # fmt: skip


def unique(column: str) -> dict:
    return expectation("expect_column_values_to_be_unique", f"unique__{column}", True,
                       f"{column} is unique", column=column)  # fmt: skip


def compound_unique(columns: list[str], name: str) -> dict:
    return expectation("expect_compound_columns_to_be_unique", name, True,
                       f"({', '.join(columns)}) is unique", column_list=columns)  # fmt: skip


def in_set(column: str, values: list, critical: bool = True, **kw: Any) -> dict:
    shown = ", ".join(map(str, values[:8])) + (", ..." if len(values) > 8 else "")
    return expectation(
        "expect_column_values_to_be_in_set", f"in_set__{column}", critical,
        f"{column} in {{{shown}}}", column=column, value_set=values, **kw,
    )  # fmt: skip


def between(column: str, lo: Any, hi: Any, critical: bool = False, mostly: float = 1.0,
            name: str | None = None, desc: str | None = None) -> dict:  # fmt: skip
    kw: dict[str, Any] = {"column": column}
    if lo is not None:
        kw["min_value"] = lo
    if hi is not None:
        kw["max_value"] = hi
    if mostly < 1:
        kw["mostly"] = mostly
    return expectation("expect_column_values_to_be_between", name or f"between__{column}",
                       critical, desc or range_text(column, lo, hi, mostly), **kw)  # fmt: skip


def range_text(column: str, lo: Any, hi: Any, mostly: float = 1.0) -> str:
    """`column between lo and hi`, or `at least lo` / `at most hi` when open-ended."""
    if lo is not None and hi is not None:
        rng = f"between {lo} and {hi}"
    elif lo is not None:
        rng = f"at least {lo}"
    else:
        rng = f"at most {hi}"
    share = f" (in at least {mostly:.0%} of rows)" if mostly < 1 else ""
    return f"{column} {rng}{share}"


def regex(
    column: str, pattern: str, what: str, critical: bool = False, mostly: float = 1.0
) -> dict:
    # Non-capturing groups: pandas warns about match groups in str.contains.
    pattern = re.sub(r"\((?!\?)", "(?:", pattern)
    kw: dict[str, Any] = {"column": column, "regex": pattern}
    if mostly < 1:
        kw["mostly"] = mostly
    share = f"at least {mostly:.0%} of " if mostly < 1 else ""
    return expectation("expect_column_values_to_match_regex", f"pattern__{column}", critical,
                       f"{share}{column} look like {what}", **kw)  # fmt: skip


def rows(name: str, critical: bool, description: str, query: str) -> dict:
    """No row may come back from `query`; `{batch}` is the checked table (run in DuckDB)."""
    return expectation("unexpected_rows_expectation", f"rows__{name}", critical, description,
                       unexpected_rows_query=" ".join(query.split()))  # fmt: skip


def _day(year: int, end: bool = False) -> str:
    # Datetime strings: GX's pandas engine compares them with DATE columns read as datetime64.
    return f"{year}-12-31T00:00:00" if end else f"{year}-01-01T00:00:00"


def _sql_list(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


# Raw ----------------------------------------------------------------------------------------


def _dob_plausible(src: Source) -> dict:
    dob, fmt = src.identifiers.dob, src.identifiers.dob_format
    parsed = f"try_strptime({dob}, '{fmt}')::DATE"
    return rows(
        "dob_plausible", False,
        f"{dob}, where it parses as {fmt}, lies between {EARLIEST_DOB} and {src.event_date}",
        f"""SELECT {src.key}, {dob}, {src.event_date} FROM {{batch}}
            WHERE {parsed} < DATE '{EARLIEST_DOB}' OR {parsed} > {src.event_date}""",
    )  # fmt: skip


def _items_scored(src: Source, section: ScoreSection) -> dict:
    items = section.items
    allowed = ", ".join(map(str, section.scores))
    scores = (" or ".join([", ".join(map(str, section.scores[:-1])), str(section.scores[-1])])
              if len(section.scores) > 1 else allowed)
    return rows(
        f"item_scores__s{section.number}", True,
        f"section {section.number} ({section.name}) items {items[0]}..{items[-1]} score {scores}",
        f"""SELECT {src.key}, {', '.join(items)} FROM {{batch}}
            WHERE {' OR '.join(f'{c} NOT IN ({allowed})' for c in items)}""",
    )  # fmt: skip


def _need_consistent(src: Source, section: ScoreSection) -> dict:
    items, need = section.items, section.need_column
    standard, severe = section.thresholds
    total = " + ".join(items)
    return rows(
        f"need_level_consistent__s{section.number}", True,
        f"{need} ({section.name}) is 2 when its items sum to >= {severe}, 1 when >= {standard}, "
        "else 0 (so always 0, 1 or 2)",
        f"""SELECT {src.key}, {', '.join(items)}, {need} FROM {{batch}}
            WHERE {' AND '.join(f'{c} IS NOT NULL' for c in items)}
              AND {need} IS DISTINCT FROM CASE WHEN {total} >= {severe} THEN 2
                                               WHEN {total} >= {standard} THEN 1 ELSE 0 END""",
    )  # fmt: skip


def person_condition(src: Source) -> dict:
    """GX row condition selecting person rows (civil: PERSON parties), as expectation kwargs."""
    if not src.person_filter:
        return {}
    col, val = src.person_filter.replace("'", "").split(" = ")
    return {"row_condition": {"type": "comparison", "column": {"name": col},
                              "operator": "==", "parameter": val}}  # GX 1.9+ Condition


def case_not_null(src: Source, column: str, checked: str | None = None,
                  why: str | None = None) -> dict:
    """`column` (a case id) is never null: critical, unless it is no identifier and the source's
    QualityProfile declares a completeness for it (a key some rows lack by nature, e.g. the NHS
    number of a death registration), then a warning below that share. `checked`: the column as
    the table holds it (research: `<column>_hash`)."""
    share = None if column in src.pii_columns else profile(src).completeness.get(column)
    if share is None:
        return not_null(checked or column, True, why=why or f"each {src.key} -> one case")
    return not_null(checked or column, False, share,
                    why=f"the share of rows with a {column} the source declares")


def raw_suite(src: Source) -> dict:
    table = f"raw.{src.name}"
    ids = src.identifiers
    qp = profile(src)
    strength = "weak" if src.weak_identifiers else "strong"
    person = person_condition(src)
    exps = [columns_present(list(src.columns), table), columns_exact(list(src.columns), table),
            row_count(table), *types(table, src.columns),
            not_null(src.key, True, why="record id"), unique(src.key)]  # fmt: skip
    for case_col in src.case_ids:  # every record belongs to a case / booking / claim
        exps.append(case_not_null(src, case_col))
    exps.append(not_null(src.event_date, False, 0.99, why="event date places the record in time"))
    y0, y1 = src.coverage
    exps.append(between(src.event_date, _day(y0), _day(y1, end=True), mostly=0.99,
                        desc=f"{src.event_date} within coverage {y0}-{y1}"))  # fmt: skip
    for later, earlier in qp.date_order:
        exps.append(expectation(
            "expect_column_pair_values_a_to_be_greater_than_b", f"order__{later}__{earlier}",
            False, f"{later} on or after {earlier}", column_A=later, column_B=earlier,
            or_equal=True, ignore_row_if="either_value_is_missing", mostly=0.99,
        ))  # fmt: skip
    for role, col in ids.roles.items():
        if col in src.case_ids:  # a national id that is also the key (CIS NINO): checked above
            continue
        exps.append(not_null(col, False, completeness(src, role),
                             why=f"{strength} {role} for linkage", **person))  # fmt: skip
    if ids.dob:
        exps.append(expectation(
            "expect_column_values_to_match_strftime_format", f"dob_format__{ids.dob}", False,
            f"at least {DOB_FORMAT_MOSTLY:.0%} of {ids.dob} in {ids.dob_format}",
            column=ids.dob, strftime_format=ids.dob_format, mostly=DOB_FORMAT_MOSTLY,
        ))  # fmt: skip
        exps.append(_dob_plausible(src))
    if ids.postcode:
        exps.append(regex(ids.postcode, POSTCODE_PATTERN, "UK postcodes",
                          mostly=POSTCODE_PATTERN_MOSTLY))  # fmt: skip
    for col, values in src.codes.items():
        exps.append(in_set(col, list(values)))
    for col in qp.lsoa_columns:
        exps.append(regex(col, LSOA_CODE_PATTERN, "LSOA 2021 codes", mostly=0.99))
    for col in qp.lad_columns:
        exps.append(regex(col, LAD_CODE_PATTERN, "LAD codes", mostly=0.99))
    for col, (lo, hi) in qp.numeric_ranges.items():
        exps.append(between(col, lo, hi, mostly=0.99))
    for col, (pattern, what, _example) in qp.patterns.items():
        exps.append(regex(col, pattern, what, mostly=0.99))
    exps += [_items_scored(src, s) for s in qp.score_sections]
    exps += [_need_consistent(src, s) for s in qp.score_sections if s.need_column]
    return _suite(table, exps, source=src.name)


# Assembly ---------------------------------------------------------------------------------


def _suite(name: str, expectations: list[dict], **meta: Any) -> dict:
    return {
        "name": name,
        "expectations": expectations,
        "meta": {"table": name, "generated_by": GENERATOR,
                 "critical_marker": "meta.critical (true = blocking asset check)", **meta},
    }  # fmt: skip


def build_all(catalog: Catalog = CATALOG) -> dict[str, dict]:
    """Every suite, by `<schema>.<table>`, as plain JSON-able dicts."""
    from bold_assets.quality import build_suites_downstream as downstream

    suites = [raw_suite(s) for s in catalog.sources.values()]
    suites += downstream.suites(catalog)
    return {s["name"]: s for s in suites}


def normalise(suite: dict) -> dict:
    """Round-trip through GX 1.x so the file is exactly what ExpectationSuite writes."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    data = gx.ExpectationSuite(**suite).to_json_dict()
    data.pop("id", None)
    data.pop("notes", None)
    for e in data["expectations"]:
        e.pop("id", None)
    return data


def render(suite: dict) -> str:
    return json.dumps(normalise(suite), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    parser.add_argument("--dir", type=Path, default=SUITES_DIR)
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    files = {f"{name}.json": (args.dir / f"{name}.json", render(suite))
             for name, suite in build_all().items()}
    return write_or_check(files, "suite", args.check)


if __name__ == "__main__":
    sys.exit(main())
