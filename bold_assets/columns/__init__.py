"""What each warehouse column means, drawn from what the project already declares.

`describe(schema, table, column)` answers, first match wins:

- the glossary (`columns/glossary.py`) of the tables the source declarations do not describe
  (`TABLES`: linkage, evaluation, discovery, truth, reference, marts, dbt models), written from
  the code that builds each table, keyed by table (a pattern over `schema.table`) and column;
- the source declarations (`bold_assets.catalog`): the raw columns of a source
  (`Source.descriptions`), the columns research adds or hashes (`Source.research_columns`), the
  standardised identifiers of `linkage.std_<source>` (`STD_COLUMNS`) and the staging models'
  columns (`dbt_staging.stg_<source>`: research's own, the renames and code macros read from the
  model's SQL, and `STAGING` for the ones it derives);
- the risk factor register (`bold_assets.register`): the flag columns of the person marts (what
  the flag means, its measure type and the wave whose row defines it) and the latent truth;
- column names that mean the same wherever they are (`COMMON`, the outputs' `OUTPUT_COLUMNS`)
  and name patterns (`PATTERNS`, e.g. `sensitivity_wave_<n>`).

`table_needs` / `table_sources` say which register needs a table holds (as flags, measures, or
the evidence of a flag: `flag_sources`) and which sources it comes from: the asset search tags.

Plain Python, no Dagster: `defs.metadata` (the UI's column schemas and search tags) and
`catalog.dbt` (the dbt YAML) read it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from bold_assets import register
from bold_assets.catalog import SOURCES, WAVES, Source
from bold_assets.columns.glossary import (
    COMMON,
    DISCLOSURE_REPORT,
    OUTPUT_COLUMNS,
    PATTERNS,
    STAGING,
    STD_COLUMNS,
    TABLES,
)

DBT_DIR = register.DBT_PROJECT_DIR


def describe(schema: str, table: str, column: str) -> str | None:
    """What `schema.table.column` holds, or None when nothing the project declares says."""
    for answer in _ANSWERS:
        text = answer(schema, table, column)
        if text:
            return text
    return None


def _glossary(schema: str, table: str, column: str) -> str | None:
    name = f"{schema}.{table}"
    for pattern, columns in _compiled_tables():
        if column in columns and pattern.fullmatch(name):
            return columns[column]
    return None


@functools.lru_cache(maxsize=1)
def _compiled_tables() -> list[tuple[re.Pattern, dict[str, str]]]:
    return [(re.compile(p), c) for p, c in TABLES]


def _source(schema: str, table: str) -> Source | None:
    prefix = {"raw": "", "research": "", "linkage": "std_", "dbt_staging": "stg_"}.get(schema)
    if prefix is None or not table.startswith(prefix):
        return None
    return SOURCES.get(table.removeprefix(prefix))


def _source_column(schema: str, table: str, column: str) -> str | None:
    src = _source(schema, table)
    if src is None:
        return None
    if schema == "raw":
        return src.descriptions.get(column)
    if schema == "linkage":
        return _std(src, column)
    if schema == "research":
        return _research(src, column)
    return (STAGING.get(f"stg_{src.name}.{column}") or _staging_sql(src.name).get(column)
            or _research(src, column) or _staging(src, column))


def _research(src: Source, column: str) -> str | None:
    """A column of `research.<source>` (`Source.research_columns`)."""
    if column not in src.research_columns:
        return None
    desc = src.descriptions
    if column == "row_id_hash":
        return (f"Keyed hash (project HMAC) of {src.key} ({desc.get(src.key, 'the record id')}):"
                " the record's id in the research zone, as the link files hold it")
    hashed = {f"{c}_hash": c for c in src.hashed_columns}
    if column in hashed:
        c = hashed[column]
        joins = (f"; joins research.{src.parent}.{c}_hash" if c == src.parent_key else "")
        return f"Keyed hash of {c} ({desc.get(c, c)}), never in the clear{joins}"
    if column in src.columns:
        return desc.get(column)
    if column == "age_at_event":
        if not src.has_identifiers:
            return "Age at the event: null (the table holds no date of birth)"
        return (f"Age in whole years at the event date ({src.event_date}), from the "
                f"standardised date of birth (linkage.std_{src.name}); null when either is "
                "unknown")
    if column == "lsoa_code":
        if not src.has_identifiers:
            return "LSOA of residence: null (the table holds no postcode)"
        return (f"LSOA of residence, from the standardised postcode (linkage.std_{src.name}, "
                "reference.postcodes)")
    if column == "lad_code":
        return "Local authority district of lsoa_code (reference.lsoa); null when it is"
    return None


def _std(src: Source, column: str) -> str | None:
    """A column of `linkage.std_<source>` and the raw column it comes from."""
    if column not in STD_COLUMNS:
        return None
    text, role = STD_COLUMNS[column]
    ids = src.identifiers
    cols = {"key": src.key, "event_date": src.event_date, **ids.roles, **ids.national_ids}
    if ids.full_name and role in ("forename", "middle_name", "surname"):
        cols[role] = ids.full_name
    if ids.middle_name:
        cols["middle_name"] = ids.middle_name
    if not role:
        return text
    if cols.get(role):
        return f"{text} (from {src.name}.{cols[role]})"
    return f"{text}: null, {src.name} holds no {role.replace('_', ' ')}"


_MACRO = re.compile(r"\{\{\s*(sex_code|ethnic_group|nhs_ethnic_group)\('(?:\w+\.)?(\w+)'\)"
                    r"\s*\}\}\s+as\s+(\w+)")
_RENAME = re.compile(r"^\s*(?:\w+\.)?(\w+)\s+as\s+(\w+),?\s*$", re.MULTILINE)
_NULL = re.compile(r"cast\(null as \w+\)\s+as\s+(\w+)")


@functools.lru_cache(maxsize=64)
def _staging_sql(name: str) -> dict[str, str]:
    """Column -> what the staging model's SQL says of it: a rename of a research column, a code
    macro, or null."""
    path = DBT_DIR / "models" / "staging" / f"stg_{name}.sql"
    if not path.exists():
        return {}
    sql, src = path.read_text(encoding="utf-8"), SOURCES[name]
    out: dict[str, str] = {}
    for col, alias in _RENAME.findall(sql):
        if col in src.research_columns and col != alias:
            text = _research(src, col) or col
            out[alias] = (f"When the record happened: {col} ({text})" if alias == "event_date"
                          else f"{text} ({col})")
    for macro, col, alias in _MACRO.findall(sql):
        what = "Sex, M or F" if macro == "sex_code" else "Ethnic group (White, Mixed, Asian, "\
            "Black, Other)"
        out[alias] = f"{what}, from {col}; null when not recorded or unknown"
    for alias in _NULL.findall(sql):
        out[alias] = f"Always null: {src.name} holds no {alias.replace('_', ' ')}"
    return out


def _staging(src: Source, column: str) -> str | None:
    """The columns every staging model adds."""
    if column == "source_dataset":
        return f"Source of the record: '{src.name}'"
    if column == "event_date":
        return (f"The date that places the record in time (from {src.event_date}); the marts "
                "count evidence on it")
    return None


@functools.lru_cache(maxsize=1)
def _register():  # noqa: ANN202 (the register, a pandas frame, read once)
    return register.load_register()


@functools.lru_cache(maxsize=256)
def measure(measure_id: str, wave: int | None = None) -> str | None:
    """A register measure: its name and kind; with `wave`, that wave's flag: measure type, what
    the row defines and the flag_sql (and the wave whose row writes it)."""
    reg = _register()
    rows = reg[reg["id"] == measure_id]
    if rows.empty:
        return None
    first = rows.iloc[0]
    head = f"{first['name']} ({first['kind']}, register id {measure_id})"
    if wave is None:
        return head
    row = rows[rows["wave"] == wave]
    if row.empty:
        return head
    row = row.iloc[0]
    sql, source = register.flag_sources(wave, reg).get(measure_id, ("", wave))
    where = (f"the wave-{source} row's flag_sql, inherited" if source != wave
             else "its flag_sql")
    sources = ", ".join(flag_sources(measure_id, wave)) or "none"
    return (f"{head}, wave {wave}, {row['measure_type']}: true when the person's evidence before "
            f"snapshot_date meets the wave-{wave} register row: "
            f"{row['operational_definition']}. Flag: {sql} ({where}); evidence from {sources}.")


@functools.lru_cache(maxsize=256)
def flag_sources(measure_id: str, wave: int) -> tuple[str, ...]:
    """The sources whose records are evidence of the wave's flag: the staging models a signal
    of its flag_sql is read from, and the source of an assessment (e.g. oasys)."""
    sql, _ = register.flag_sources(wave, _register()).get(measure_id, ("", wave))
    evidence = _evidence()
    out: list[str] = []
    for name in register.flag_sql_names(sql):
        row = evidence.get(name)
        if row is None:
            continue
        models = ([e["model"] for e in row["sql"]] if row["kind"] == "signal"
                  else [f"stg_{row['kind']}"])
        out += [m.removeprefix("stg_") for m in models if m.removeprefix("stg_") in SOURCES]
    return tuple(sorted(set(out), key=list(SOURCES).index))


@functools.lru_cache(maxsize=1)
def _evidence() -> dict[str, dict]:
    return {r["name"]: r for r in register.load_evidence().to_dict("records")}


def evidence_sources(measure_id: str) -> tuple[str, ...]:
    """The sources whose records are evidence of the measure's flag in any wave."""
    found = {s for w in register.WAVES for s in flag_sources(measure_id, w)}
    return tuple(s for s in SOURCES if s in found)


# Tables that hold the register measures of their wave (`<table>_wave_<n>`), and of every wave.
_WAVE_MEASURE_TABLES = re.compile(
    r"(marts\.person_needs|outputs\.(lsoa|lad)_needs|outputs\.disclosure_report|"
    r"evaluation\.(needs_validity|prevalence_by_imd|linkage_sensitivity_\w+))_wave_(\d+)"
    r"(_history)?")
_ALL_MEASURE_TABLES = ("marts.risk_factor_register", "evaluation.needs_validity_by_wave",
                       "discovery.candidate_variables", "discovery.coverage_matrix")


def table_needs(schema: str, table: str) -> tuple[str, ...]:
    """Register ids (needs: drivers and outcomes) a table holds: as flags, measures or rows, or
    as the evidence of their flags (a source's raw, research and staging tables)."""
    name = f"{schema}.{table}"
    m = _WAVE_MEASURE_TABLES.fullmatch(name)
    if m:
        return register.wave_measures(int(m.group(4)), _register())
    if name in _ALL_MEASURE_TABLES:
        return register.factor_ids()
    if re.fullmatch(r"marts\.area_coverage_wave_\d+", name):
        rule = register.council_coverage_rule()
        return rule["measures"] if rule else ()
    if name == "discovery.source_register":
        from bold_assets.discovery.sources_register import load_source_register, validates

        found = {f for _, r in load_source_register().iterrows() for f in validates(r)}
        return tuple(f for f in register.factor_ids() if f in found)
    src = _source(schema, table)
    if src is not None and schema != "linkage":
        return tuple(f for f in register.factor_ids() if src.name in evidence_sources(f))
    return ()


def table_sources(schema: str, table: str) -> tuple[str, ...]:
    """Declared sources a table comes from (raw, standardised, research and staging tables of a
    source) or describes (the data catalogue: every source)."""
    if f"{schema}.{table}" == "discovery.data_catalogue":
        return tuple(SOURCES)
    src = _source(schema, table)
    return (src.name,) if src else ()


def _measure_column(schema: str, table: str, column: str) -> str | None:
    if not re.fullmatch(r"(driver|outcome)_\w+", column):
        return None
    wave = re.search(r"_wave_(\d+)$", table)
    if schema == "marts" and wave:
        return measure(column, int(wave.group(1)))
    head = measure(column)
    if head and schema == "truth":
        return (f"Latent (true) {head} of the synthetic person: what the flags are evaluated "
                "against; no source records it")
    return head


@functools.lru_cache(maxsize=1)
def _assessment_columns() -> dict[str, str]:
    """The person marts' assessment columns (dbt var evidence_assessments)."""
    out = {}
    for a in register.dbt_project_vars()["evidence_assessments"]:
        out[f"has_{a['name']}_assessment"] = f"Whether the person has a {a['meaning']}"
        for c in a.get("carry", ()):
            out[c["name"]] = f"{c['column']} of the person's {a['meaning']}"
    return out


@functools.lru_cache(maxsize=1)
def _oasys_sections() -> dict[int, dict]:
    return {int(s["section"]): s for s in
            register.dbt_project_vars()["oasys_sections"]}


def _oasys_scores(schema: str, table: str, column: str) -> str | None:
    """int_oasys_assessments' score_s<N>, need_s<N>, severe_s<N> (dbt var oasys_sections)."""
    m = re.fullmatch(r"(score|need|severe)_s(\d+)", column)
    if schema != "dbt_intermediate" or not m or int(m.group(2)) not in _oasys_sections():
        return None
    s = _oasys_sections()[int(m.group(2))]
    section = f"OASys section {s['section']} ({s['name']})"
    if m.group(1) == "score":
        return f"{section} item sum (items scored 0/1/2); null when every item is missing"
    level = "standard" if m.group(1) == "need" else "severe"
    fallback = (f"; the recorded need level >= {1 if level == 'standard' else 2} when the items "
                "are missing" if s.get("need_level") else "")
    return f"{section} need at the {level} threshold: item sum >= {s[level]}{fallback}"


def _marts_extra(schema: str, table: str, column: str) -> str | None:
    """The person marts' assessment columns and council_covered (dbt vars)."""
    wave = re.fullmatch(r"person_needs_wave_(\d+)", table)
    if schema != "marts" or not wave:
        return None
    if column == "council_covered":
        from bold_assets.register import council_coverage_rule

        rule = council_coverage_rule()
        measures = ", ".join(rule["measures"]) if rule else "the rule's measures"
        return (f"Whether the person's LAD (lad_code) is covered in marts.area_coverage_wave_"
                f"{wave.group(1)} (dbt var council_coverage: every return of the lookback window "
                f"arrived, so a false flag of {measures} is a zero, not a council that did not "
                "submit); null when the LAD is unknown")
    return _assessment_columns().get(column)


def _output(schema: str, table: str, column: str) -> str | None:
    if schema == "outputs" and re.fullmatch(r"(lsoa|lad)_needs_wave_\d+(_history)?", table):
        if column == "snapshot_date":
            return "Snapshot whose release the row belongs to"
        return OUTPUT_COLUMNS.get(column)
    if schema == "outputs" and table.startswith("disclosure_report_wave_"):
        return DISCLOSURE_REPORT.get(column)
    return None


def _link_file(schema: str, table: str, column: str) -> str | None:
    """research.<wave link table> and its staging model: spine ids per threshold."""
    links = {w.link_table: w for w in WAVES.values()}
    name = table.removeprefix("stg_") if schema == "dbt_staging" else table
    wave = links.get(name) if schema in ("research", "dbt_staging") else None
    if wave is None:
        return None
    if column == "row_id_hash":
        return "The record's row_id_hash in research.<source_dataset>"
    if column == "source_dataset":
        return f"Source of the record (a wave-{wave.number} person source, or a linked table's)"
    return COMMON.get(column)


def _common(schema: str, table: str, column: str) -> str | None:
    return COMMON.get(column)


def _pattern(schema: str, table: str, column: str) -> str | None:
    for pattern, text in _compiled_patterns():
        m = pattern.fullmatch(column)
        if m:
            return text.format(None, *m.groups())
    return None


@functools.lru_cache(maxsize=1)
def _compiled_patterns() -> list[tuple[re.Pattern, str]]:
    return [(re.compile(p), t) for p, t in PATTERNS]


_ANSWERS: tuple[Callable[[str, str, str], str | None], ...] = (
    _glossary, _output, _source_column, _link_file, _measure_column, _marts_extra, _oasys_scores,
    _common, _pattern,
)
