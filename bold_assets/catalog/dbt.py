"""dbt files that follow from the catalogue, generated so they cannot drift from it.

    python -m bold_assets.catalog.dbt           # (re)write them, delete stale ones
    python -m bold_assets.catalog.dbt --check   # exit 1 if a committed file is stale

- `dbt_project/models/staging/_sources.yml`: one dbt source table per declared source (the
  Python-built `research.<source>` tables), plus each active wave's link file and the reference
  geography;
- `dbt_project/macros/catalog.sql`: `catalog_record_sources()`, every declared source with its
  wave and link role: `int_records` stacks the person records of those that are not attribute
  tables (`persons_only` when the source filters out non-person rows, e.g. civil company
  parties), `int_record_links` reaches an attribute table's person through its `parent` (by the
  hashed `parent_key`); `catalog_wave_links()`, per active wave its link table
  (`research.<Wave.link_table>`) and the linkage thresholds of its person mart
  (`Wave.link_thresholds`); `icd10_in(column, list_name)`, each ICD-10 code list of
  `bold_assets/catalog/icd10.py` (`CODE_LISTS`) as the boolean SQL its `.sql(column)` gives (the
  Python is the one declaration; an unknown list name stops compilation, naming the lists);
- per active wave n, its dbt models, each one macro call (see dbt_project/macros/):
  `models/staging/stg_<link table>.sql`, `models/intermediate/int_records_wave_<n>.sql`,
  `int_record_links_wave_<n>.sql`, `int_signals_wave_<n>.sql` and
  `models/marts/person_needs_wave_<n>.sql`, with their YAML (descriptions and tests) in
  `_staging_links.yml`, `_intermediate_waves.yml` and `_marts_waves.yml` (from the wave of the
  deaths rule, dbt var `deaths`, on: the mart test `person_needs_has_no_deaths_before_snapshot`);
- from the wave of the council coverage rule (dbt var `council_coverage`) on, per active wave n
  `models/marts/area_coverage_wave_<n>.sql` (`area_coverage_models`), its YAML in
  `_marts_coverage.yml`, and the column `council_covered` in the mart's YAML.
Every generated file starts with a header naming this generator; a file under models/ or macros/
with that header which the catalogue no longer generates (a wave no longer declared) is deleted
(`--check`: reported stale).
Each source still needs its staging model `models/staging/stg_<name>.sql` (its own columns and
codes): tests/test_catalog.py fails naming the source when one is missing.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from bold_assets.catalog import CATALOG, Catalog
from bold_assets.catalog.icd10 import CODE_LISTS, CodeList
from bold_assets.catalog.model import PERSON_ROLES, Wave
from bold_assets.columns import describe
from bold_assets.generated import write_or_check
from bold_assets.register import council_coverage_rule, dbt_project_vars, deaths_rule

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
GENERATOR = "python -m bold_assets.catalog.dbt"
_MARK = f"Generated from the catalogue (bold_assets/catalog) by `{GENERATOR}`: do not edit."
_HEADER = f"# {_MARK}\n"
_SQL_HEADER = f"-- {_MARK}\n"
# The spine id column of the persistent (medium) threshold: first in a link staging model.
SPINE_ID = "estimated_xjs_id"
# Link plan kinds that give every record of their sources a spine id. The others (`link`,
# `trace`, `ttp`) give one only to the records they link: their link tables (pupil_links,
# pds_links, council_links, ...) join the wave's link file, which then holds those records only.
_SPINE_PLANS = ("dedupe_link", "into_spine")


def wave_links(catalog: Catalog = CATALOG) -> list[dict]:
    """Per active wave (with a person mart): its link table and its mart's thresholds."""
    return [{"wave": w.number, "link": w.link_table, "thresholds": list(w.link_thresholds)}
            for w in sorted(catalog.active_waves(), key=lambda w: w.number)]


def _vars(dbt_dir: Path) -> dict:
    return dbt_project_vars(dbt_dir / "dbt_project.yml")


def _description(text: str, indent: int = 6, chomp: str = "") -> str:
    """A folded YAML description (`>`; `chomp` "-": no final newline), wrapped at 100 columns."""
    pad = " " * indent
    return (f" >{chomp}\n" + textwrap.fill(text, 100, initial_indent=pad, subsequent_indent=pad)
            + "\n")


def _columns(schema: str, model: str, columns: list[tuple[str, str]]) -> str:
    """YAML column entries, each described (`bold_assets.columns.describe`, the one place that
    knows what a column holds) and with its data tests (YAML lines at indent 8, or "")."""
    out = []
    for name, tests in columns:
        text = describe(schema, model, name)
        out.append(f"      - name: {name}\n"
                   + (f"        description:{_description(text, 10, '-')}" if text else "") + tests)
    return "".join(out)


_NOT_NULL = "        data_tests: [not_null]\n"


def _comment(text: str) -> str:
    """SQL comment lines, wrapped at 100 columns."""
    return textwrap.fill(text, 100, initial_indent="-- ", subsequent_indent="-- ") + "\n"


def _list(values: list[str]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def sources_yml(catalog: Catalog = CATALOG) -> str:
    tables = "".join(f"      - name: {s}\n" for s in catalog.sources)
    return (
        _HEADER
        + "version: 2\n\nsources:\n  - name: research\n    description: >\n"
        "      De-identified research tables built in Python (bold_assets.defs.factories.research\n"
        "      and .wave_linkage): raw columns minus personal identifiers, keys and national\n"
        "      ids replaced by keyed hashes, plus age_at_event, lsoa_code and lad_code. Dagster\n"
        "      asset keys: [\"research\", <table>].\n"
        "    schema: research\n    tables:\n"
        + tables
        + "".join(f"      - name: {w['link']}\n        description: Wave {w['wave']} link, "
                  f"research record -> spine id at threshold(s) {', '.join(w['thresholds'])}."
                  "\n" for w in wave_links(catalog))
        + "  - name: reference\n    description: Reference geography (not personal data). Dagster "
        "asset keys [\"reference\", <table>].\n    schema: reference\n    tables:\n"
        "      - name: lsoa\n"
    )


# The column placeholder of a code list's SQL in the generated icd10_in macro (replaced by the
# macro's `column` argument): CodeList.sql rendered once, so dbt's SQL is the Python's.
_ICD10_COLUMN = "__icd10_column__"


def icd10_macro(lists: dict[str, CodeList] | None = None) -> str:
    """The `icd10_in(column, list_name)` macro: `CODE_LISTS[list_name].sql(column)`."""
    lists = CODE_LISTS if lists is None else lists
    for c in lists.values():
        if _ICD10_COLUMN not in c.sql(_ICD10_COLUMN) or "'" in c.name or '"' in c.sql(""):
            raise ValueError(f"ICD-10 code list {c.name!r} cannot be rendered as a dbt macro")
    rows = ",\n".join(f"    '{c.name}': \"{c.sql(_ICD10_COLUMN)}\"" for c in lists.values())
    return (
        "{#- ICD-10 code lists (bold_assets/catalog/icd10.py, CODE_LISTS), declared once in\n"
        "    Python: icd10_in(column, list_name) is CODE_LISTS[list_name].sql(column), true when\n"
        "    the column's three-character category (dots ignored, NULL false) is in the list. -#}\n"
        "{% macro icd10_in(column, list_name) -%}\n"
        "{%- set lists = {\n" + rows + "\n} -%}\n"
        "{%- if list_name not in lists -%}\n"
        "    {{ exceptions.raise_compiler_error(\"unknown ICD-10 code list '\" ~ list_name\n"
        "        ~ \"'; declared: " + ", ".join(lists) + " (bold_assets/catalog/icd10.py)\") }}\n"
        "{%- endif -%}\n"
        f"{{{{- lists[list_name] | replace('{_ICD10_COLUMN}', column) -}}}}\n"
        "{%- endmacro %}\n"
    )


def catalog_macro(catalog: Catalog = CATALOG) -> str:
    def q(v: object) -> str:
        return "none" if v is None else f"'{v}'"

    rows = ",\n".join(
        f"    {{'name': '{s.name}', 'wave': {s.wave}, 'link_role': '{s.link_role}', "
        f"'persons_only': {str(bool(s.person_filter)).lower()}, 'parent': {q(s.parent)}, "
        f"'parent_key': {q(s.parent_key)}}}"
        for s in catalog.sources.values())
    links = ",\n".join(
        f"    {{'wave': {w['wave']}, 'link': '{w['link']}', 'thresholds': "
        f"{_list(w['thresholds'])}}}" for w in wave_links(catalog))
    return (
        "{#- " + _MARK + " -#}\n\n"
        "{#- Every declared source in catalogue order, with its wave and link role. int_records\n"
        "    stacks the person records of those whose link_role is neither attribute nor coverage\n"
        "    (persons_only: keep rows where is_person); an attribute table reaches its person\n"
        "    through its parent source's record with the same <parent_key>_hash; a coverage table\n"
        "    (which councils submitted) is no one's record. -#}\n"
        "{% macro catalog_record_sources() %}\n"
        "{{ return([\n" + rows + "\n]) }}\n"
        "{% endmacro %}\n\n"
        "{#- Every active wave (one with sources): its link table (research.<link>:\n"
        "    source_dataset, row_id_hash and a spine id column per threshold it holds) and the\n"
        "    linkage thresholds of its person mart. A wave's mart reads the records of every\n"
        "    wave up to it at its thresholds, so each threshold a wave lists must be in the link\n"
        "    tables of the waves before it. -#}\n"
        "{% macro catalog_wave_links() %}\n"
        "{{ return([\n" + links + "\n]) }}\n"
        "{% endmacro %}\n\n"
        + icd10_macro()
    )


def _persons(wave: Wave, catalog: Catalog) -> list[str]:
    """The wave's sources with person records (not attribute tables), catalogue order."""
    return [s.name for s in catalog.sources_of_wave(wave.number) if s.link_role in PERSON_ROLES]


def _links_every_record(wave: Wave, catalog: Catalog) -> bool:
    """Whether every person source of the wave gets a spine id in its link file (each is in a
    dedupe / into-spine plan), so the file holds every record of them: wave 0's does, wave 1's
    pupils only when linked to a PNC person."""
    planned = {s for p in wave.link_plans if p.kind in _SPINE_PLANS for s in p.sources}
    persons = _persons(wave, catalog)
    return bool(persons) and set(persons) <= planned


def _id_columns(wave: Wave, thresholds: list[dict]) -> list[str]:
    """The spine id columns of the wave's link file: the persistent (medium) one first."""
    cols = [t["id_column"] for t in thresholds if t["name"] in wave.link_thresholds]
    return sorted(cols, key=lambda c: c != SPINE_ID)


def _about(wave: Wave, catalog: Catalog) -> str:
    """`the wave-<n> person sources (a, b, c)`."""
    return f"the wave-{wave.number} person sources ({', '.join(_persons(wave, catalog))})"


def _up_to(n: int) -> str:
    return f"waves 0-{n}" if n else "wave 0"


def wave_models(wave: Wave, catalog: Catalog, dbt_dir: Path = DBT_DIR) -> dict[Path, str]:
    """The five dbt models of one wave: path -> text."""
    n, models = wave.number, dbt_dir / "models"
    cols = _id_columns(wave, _vars(dbt_dir)["link_thresholds"])
    select = "".join(f"    {c},\n" for c in ["source_dataset", "row_id_hash", *cols])[:-2] + "\n"
    return {
        models / "staging" / f"stg_{wave.link_table}.sql": _SQL_HEADER
        + _comment(f"Wave {n} link ({wave.title}): research record -> its estimated person at "
                   f"threshold(s) {', '.join(wave.link_thresholds)} "
                   f"(research.{wave.link_table}).")
        + f"select\n{select}from {{{{ source('research', '{wave.link_table}') }}}}\n",
        models / "intermediate" / f"int_records_wave_{n}.sql": _SQL_HEADER
        + f"-- Person records of wave {n}'s sources in one shape (macros/wave_records.sql).\n"
        f"{{{{ wave_records({n}) }}}}\n",
        models / "intermediate" / f"int_record_links_wave_{n}.sql": _SQL_HEADER
        + f"-- Wave {n}'s research records (attribute tables through their parent) with their "
        "estimated person\n-- at each linkage threshold (macros/wave_records.sql).\n"
        f"{{{{ wave_record_links({n}) }}}}\n",
        models / "intermediate" / f"int_signals_wave_{n}.sql": _SQL_HEADER
        + f"-- Dated evidence signals of wave {n} per record, long form: (source_dataset, "
        f"row_id_hash, signal,\n-- signal_date), generated from the wave-{n} entries of "
        "var('evidence_signals') in dbt_project.yml\n-- (one select per `from` entry, in "
        "declaration order). The person marts count a signal when\n-- its date falls in its "
        f"window before the snapshot date.\n{{{{ evidence_signal_rows({n}) }}}}\n",
        models / "marts" / f"person_needs_wave_{n}.sql": _SQL_HEADER
        + _comment(f"Wave-{n} needs and outcomes ({wave.title}; the records of {_up_to(n)}) "
                   "per estimated person at each linkage threshold of the wave; flag columns "
                   f"are generated from the wave-{n} rows of the risk factor register "
                   "(macros/person_needs.sql).")
        + f"{{{{ person_needs({n}) }}}}\n",
    }


def staging_links_yml(catalog: Catalog = CATALOG) -> str:
    out = [_HEADER, "version: 2\n\n# Each active wave's link staging model (stg_<link table>)."
           " A link file that holds every\n# record of its wave's person sources (each deduplicated"
           " or linked into the spine) is\n# tested for it.\nmodels:\n"]
    for w in sorted(catalog.active_waves(), key=lambda w: w.number):
        every = _links_every_record(w, catalog)
        out.append(f"  - name: stg_{w.link_table}\n    description:" + _description(
            f"Wave {w.number} link (research.{w.link_table}): research record -> estimated person "
            f"at threshold(s) {', '.join(w.link_thresholds)}; "
            + ("every record of " if every else "the linked records of ")
            + _about(w, catalog) + "."))
        if every:
            persons = _persons(w, catalog)
            ids = _id_columns(w, _vars(DBT_DIR)["link_thresholds"])
            out.append("    columns:\n" + _columns("dbt_staging", f"stg_{w.link_table}", [
                ("row_id_hash", _NOT_NULL), (SPINE_ID, _NOT_NULL),
                ("source_dataset", "        data_tests:\n          - accepted_values:\n"
                 f"              arguments:\n                values: {_list(persons)}\n"),
                *((c, "") for c in ids if c != SPINE_ID)]))
    return "".join(out)


def intermediate_waves_yml(catalog: Catalog = CATALOG) -> str:
    out = [_HEADER, "version: 2\n\n# Per active wave n: int_records_wave_<n>, "
           "int_record_links_wave_<n> and int_signals_wave_<n>,\n# generated by "
           "macros/wave_records.sql and macros/evidence.sql, so a wave's models read only its\n"
           "# own sources (and the person marts of wave n those of waves <= n).\nmodels:\n"]
    for w in sorted(catalog.active_waves(), key=lambda w: w.number):
        n, about = w.number, _about(w, catalog)
        out.append(
            f"  - name: int_records_wave_{n}\n    description:"
            + _description(f"Every person record of {about} in one shape.")
            + "    columns:\n" + _columns("dbt_intermediate", f"int_records_wave_{n}", [
                ("wave", ""), ("source_dataset", ""), ("row_id_hash", _NOT_NULL),
                ("event_date", ""), ("sex", ""), ("ethnic_group", ""), ("age_at_event", ""),
                ("lsoa_code", "")])
            + f"  - name: int_record_links_wave_{n}\n    description:"
            + _description(f"Wave-{n} records with their estimated person at each linkage "
                           f"threshold (research.{w.link_table}: "
                           f"{', '.join(w.link_thresholds)}), the rows of attribute tables "
                           "through their parent's key.")
            + "    columns:\n" + _columns("dbt_intermediate", f"int_record_links_wave_{n}", [
                ("wave", ""), ("source_dataset", ""), ("row_id_hash", ""), ("event_date", ""),
                ("is_attribute", ""),
                *((t["id_column"], "") for t in _vars(DBT_DIR)["link_thresholds"])])
            + f"  - name: int_signals_wave_{n}\n    description:"
            + _description(f"Dated evidence signals of wave {n} per record, long form, generated "
                           "from var('evidence_signals'); every signal is a declared evidence "
                           f"name of wave {n}.")
            + "    data_tests:\n      - signals_are_declared_evidence:\n          arguments:\n"
            f"            wave: {n}\n"
            "    columns:\n" + _columns("dbt_intermediate", f"int_signals_wave_{n}", [
                ("source_dataset", ""), ("row_id_hash", ""), ("signal", _NOT_NULL),
                ("signal_date", "")]))
    return "".join(out)


def _accepted(values: str, quote: bool = True) -> str:
    """The data tests of a column with accepted values (YAML lines at indent 8)."""
    return ("        data_tests:\n          - accepted_values:\n              arguments:\n"
            f"                values: {values}\n"
            + ("" if quote else "                quote: false\n"))


def _person_needs_columns(thresholds: list[str], assessments: list[dict]
                          ) -> list[tuple[str, str]]:
    """The person marts' columns but the flags (one per register measure of the wave) and
    council_covered, with their tests: the same in every wave's mart."""
    lsoa = ("        data_tests:\n          - relationships:\n              arguments:\n"
            "                to: ref('stg_lsoa')\n                field: lsoa_code\n")
    threshold = ("        data_tests:\n          - not_null\n          - accepted_values:\n"
                 f"              arguments:\n                values: {_list(thresholds)}\n")
    return [
        ("estimated_xjs_id", _NOT_NULL), ("link_threshold", threshold),
        ("snapshot_date", _NOT_NULL), ("n_records", _NOT_NULL), ("n_sources", ""),
        ("first_event_date", ""), ("last_event_date", ""),
        ("sex", _accepted("['M', 'F']")),
        ("ethnic_group", _accepted("['White', 'Mixed', 'Asian', 'Black', 'Other']")),
        ("age_at_snapshot", ""),
        ("age_band", _accepted("['under 18', '18-24', '25-34', '35-49', '50+']")),
        ("lsoa_code", lsoa), ("lad_code", ""),
        ("imd_decile", _accepted("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]", quote=False)),
        *((f"has_{a['name']}_assessment", _NOT_NULL) for a in assessments),
        *((c["name"], "") for a in assessments for c in a.get("carry", ())),
    ]



def deaths_tests(wave: int, dbt_dir: Path = DBT_DIR) -> tuple[str, ...]:
    """The mart tests of the deaths rule (var `deaths`, `register.deaths_rule`: from its wave
    on, nobody in the mart has a linked death dated before the snapshot; macros/deaths.sql)."""
    rule = deaths_rule(dbt_dir / "dbt_project.yml")
    if rule and wave >= rule["wave"]:
        return ("person_needs_has_no_deaths_before_snapshot",)
    return ()


def marts_waves_yml(catalog: Catalog = CATALOG, dbt_dir: Path = DBT_DIR) -> str:
    cfg = _vars(dbt_dir)
    names = [t["name"] for t in cfg["link_thresholds"]]
    out = [_HEADER, "version: 2\n\n# One model per active wave, `{{ person_needs(<wave>) }}`, "
           "its columns documented once\n# (anchor person_needs_columns) and its tests with the "
           "wave: unique person per threshold,\n# register flags not null, every register measure "
           "a column, the spine whole (but the dead:\n# from the wave of var deaths on, nobody "
           "with a death dated before the snapshot).\nmodels:\n"]
    for i, w in enumerate(sorted(catalog.active_waves(), key=lambda w: w.number)):
        n = w.number
        out.append(
            f"  - name: person_needs_wave_{n}\n    description:"
            + _description(
                f"Wave-{n} needs and outcomes ({w.title}) as at var('snapshot_date'), over the "
                f"records of {_up_to(n)}: one row per estimated person at each linkage threshold "
                f"of the wave (link_threshold {', '.join(w.link_thresholds)}; medium: the "
                "persistent spine ids, the published ones). Its flag columns are the risk factor "
                "register ids the wave measures, each generated from its register row's flag_sql "
                "or, when that is empty, the nearest earlier wave's (see "
                "marts.risk_factor_register and the evidence declared in dbt_project.yml)."
                + (" Persons with a linked death dated before the snapshot are not in it (the "
                   "deaths rule, var('deaths'))." if deaths_tests(n, dbt_dir) else ""))
            + "    data_tests:\n      - unique:\n          arguments:\n            column_name: "
            "\"link_threshold || '|' || estimated_xjs_id\"\n"
            + "".join(f"      - {t}:\n          arguments:\n            wave: {n}\n"
                      for t in ("register_flags_not_null", "has_every_register_measure",
                                "person_needs_spine_is_whole", *deaths_tests(n, dbt_dir))))
        # the council coverage rule's column (var council_coverage): the anchor's list plus it
        rule = council_coverage_rule(dbt_dir / "dbt_project.yml")
        model = f"person_needs_wave_{n}"
        covered = (_columns("marts", model, [("council_covered", "")])
                   if rule and n >= rule["wave"] else "")
        if i and not covered:
            out.append("    columns: *person_needs_columns\n")
            continue
        # every wave's columns but the flags are described alike: wave n's text stands for all
        columns = _columns("marts", model, _person_needs_columns(
            names, cfg["evidence_assessments"]))
        out.append(("    columns:\n" if i else "    columns: &person_needs_columns\n") + columns
                   + covered)
    return "".join(out)


def area_coverage_models(catalog: Catalog = CATALOG, dbt_dir: Path = DBT_DIR) -> dict[Path, str]:
    """The council coverage rule's marts (var `council_coverage`, `register.council_coverage_rule`;
    macros/coverage.sql): per active wave n from the rule's wave on,
    `models/marts/area_coverage_wave_<n>.sql` (`{{ area_coverage(<n>) }}`: one row per LAD and
    measure, whether every council return of the lookback window arrived), their YAML and tests
    in `models/marts/_marts_coverage.yml`."""
    rule = council_coverage_rule(dbt_dir / "dbt_project.yml")
    waves = [w.number for w in sorted(catalog.active_waves(), key=lambda w: w.number)
             if rule and w.number >= rule["wave"]]
    if not waves:
        return {}
    marts, measures = dbt_dir / "models" / "marts", _list(list(rule["measures"]))
    files = {marts / f"area_coverage_wave_{n}.sql": _SQL_HEADER + _comment(
        f"Wave-{n} council coverage per LAD and measure (var('council_coverage'), "
        "macros/coverage.sql).") + f"{{{{ area_coverage({n}) }}}}\n" for n in waves}
    yml = [_HEADER, "version: 2\n\n# One model per wave from var council_coverage's wave on, "
           "`{{ area_coverage(<wave>) }}`:\n# no data is not zero (macros/coverage.sql)."
           "\nmodels:\n"]
    for n in waves:
        yml.append(
            f"  - name: area_coverage_wave_{n}\n    description:" + _description(
                f"Wave-{n} council coverage as at var('snapshot_date'): one row per LAD of "
                f"stg_lsoa and measure of var('council_coverage') ({', '.join(rule['measures'])})"
                f", which rest on {rule['model']}, a return some councils miss. quarters_expected: "
                "the full quarters of the return in the lookback window before the snapshot; "
                "quarters_submitted: those the LAD's council submitted; covered: every one (a "
                "council that missed any, or has no rows, is not covered: its zero cannot be "
                "told from no data).")
            + "    data_tests:\n      - unique:\n          arguments:\n            column_name: "
            "\"lad_code || '|' || measure\"\n"
            f"      - area_coverage_one_row_per_lad_and_measure:\n          arguments:\n"
            f"            wave: {n}\n      - area_coverage_covered_is_every_quarter\n"
            + "    columns:\n" + _columns("marts", f"area_coverage_wave_{n}", [
                ("lad_code", _NOT_NULL),
                ("measure", "        data_tests:\n          - not_null\n"
                 "          - accepted_values:\n              arguments:\n"
                 f"                values: {measures}\n"),
                ("coverage_source", _accepted(f"['{rule['model']}']")),
                *((c, _NOT_NULL) for c in ("quarters_expected", "quarters_submitted", "covered",
                                           "snapshot_date"))]))
    files[marts / "_marts_coverage.yml"] = "".join(yml)
    return files


def generated(catalog: Catalog = CATALOG, dbt_dir: Path = DBT_DIR) -> dict[Path, str]:
    """Each generated file's path and the text it must hold."""
    models = dbt_dir / "models"
    files = {models / "staging" / "_sources.yml": sources_yml(catalog),
             dbt_dir / "macros" / "catalog.sql": catalog_macro(catalog),
             models / "staging" / "_staging_links.yml": staging_links_yml(catalog),
             models / "intermediate" / "_intermediate_waves.yml": intermediate_waves_yml(catalog),
             models / "marts" / "_marts_waves.yml": marts_waves_yml(catalog, dbt_dir)}
    for w in sorted(catalog.active_waves(), key=lambda w: w.number):
        files.update(wave_models(w, catalog, dbt_dir))
    files.update(area_coverage_models(catalog, dbt_dir))
    return files


def _is_generated(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as f:
            return _MARK in f.readline()
    except (OSError, UnicodeDecodeError):
        return False


def stale(catalog: Catalog = CATALOG, dbt_dir: Path = DBT_DIR) -> list[Path]:
    """Files under models/ and macros/ with the generator's header that it no longer generates
    (e.g. the models of a wave no longer declared)."""
    keep = set(generated(catalog, dbt_dir))
    return sorted(p for d in ("models", "macros") for p in (dbt_dir / d).rglob("*")
                  if p.is_file() and p not in keep and _is_generated(p))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    args = parser.parse_args(argv)
    files = {str(path.relative_to(DBT_DIR.parent)): (path, text)
             for path, text in generated().items()}
    code = write_or_check(files, "dbt", args.check)
    old = stale()
    if old:
        labels = ", ".join(str(p.relative_to(DBT_DIR.parent)) for p in old)
        if args.check:
            print(f"{len(old)} dbt file(s) no longer generated (stale): {labels}")
            return 1
        for p in old:
            p.unlink()
        print(f"{len(old)} dbt file(s) no longer generated, deleted: {labels}")
    return code


if __name__ == "__main__":
    sys.exit(main())
