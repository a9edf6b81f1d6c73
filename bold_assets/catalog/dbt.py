"""dbt files that follow from the catalogue, generated so they cannot drift from it.

    python -m bold_assets.catalog.dbt           # (re)write them
    python -m bold_assets.catalog.dbt --check   # exit 1 if a committed file is stale

- `dbt_project/models/staging/_sources.yml`: one dbt source table per declared source (the
  Python-built `research.<source>` tables), plus the link file and the reference geography;
- `dbt_project/macros/catalog.sql`: `catalog_record_sources()`, every declared source with its
  wave and link role: `int_records` stacks the person records of those that are not attribute
  tables (`persons_only` when the source filters out non-person rows, e.g. civil company
  parties), `int_record_links` reaches an attribute table's person through its `parent` (by the
  hashed `parent_key`).
The link tables (`research.<link>`, one per wave) are those of var `wave_links` in
dbt_project.yml, where each wave's thresholds are declared.
Each source still needs its staging model `models/staging/stg_<name>.sql` (its own columns and
codes): tests/test_catalog.py fails naming the source when one is missing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bold_assets.catalog import CATALOG, Catalog
from bold_assets.generated import write_or_check
from bold_assets.register import dbt_project_vars

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
GENERATOR = "python -m bold_assets.catalog.dbt"
_HEADER = f"# Generated from the catalogue (bold_assets/catalog) by `{GENERATOR}`: do not edit.\n"


def wave_links(dbt_dir: Path = DBT_DIR) -> list[dict]:
    """var `wave_links` of dbt_project.yml: per wave, its link table and thresholds."""
    return list(dbt_project_vars(dbt_dir / "dbt_project.yml")["wave_links"])


def sources_yml(catalog: Catalog = CATALOG, dbt_dir: Path = DBT_DIR) -> str:
    tables = "".join(f"      - name: {s}\n" for s in catalog.sources)
    return (
        _HEADER
        + "version: 2\n\nsources:\n  - name: research\n    description: >\n"
        "      De-identified research tables built in Python (bold_assets.defs.factories.research\n"
        "      and bold_assets.defs.wave_<n>.research): raw columns minus personal identifiers,\n"
        "      keys replaced by keyed hashes, plus age_at_event, lsoa_code and lad_code. Dagster\n"
        "      asset keys: [\"research\", <table>].\n"
        "    schema: research\n    tables:\n"
        + tables
        + "".join(f"      - name: {w['link']}\n        description: Wave {w['wave']} link, "
                  f"research record -> spine id at threshold(s) {', '.join(w['thresholds'])}."
                  "\n" for w in wave_links(dbt_dir))
        + "  - name: reference\n    description: Reference geography (not personal data). Dagster "
        "asset keys [\"reference\", <table>].\n    schema: reference\n    tables:\n"
        "      - name: lsoa\n"
    )


def catalog_macro(catalog: Catalog = CATALOG) -> str:
    def q(v: object) -> str:
        return "none" if v is None else f"'{v}'"

    rows = ",\n".join(
        f"    {{'name': '{s.name}', 'wave': {s.wave}, 'link_role': '{s.link_role}', "
        f"'persons_only': {str(bool(s.person_filter)).lower()}, 'parent': {q(s.parent)}, "
        f"'parent_key': {q(s.parent_key)}}}"
        for s in catalog.sources.values())
    return (
        "{#- " + _HEADER.strip("# \n") + " -#}\n\n"
        "{#- Every declared source in catalogue order, with its wave and link role. int_records\n"
        "    stacks the person records of those whose link_role is not attribute (persons_only:\n"
        "    keep rows where is_person); an attribute table reaches its person through its parent\n"
        "    source's record with the same <parent_key>_hash. -#}\n"
        "{% macro catalog_record_sources() %}\n"
        "{{ return([\n" + rows + "\n]) }}\n"
        "{% endmacro %}\n"
    )


def generated(catalog: Catalog = CATALOG, dbt_dir: Path = DBT_DIR) -> dict[Path, str]:
    """Each generated file's path and the text it must hold."""
    return {dbt_dir / "models" / "staging" / "_sources.yml": sources_yml(catalog, dbt_dir),
            dbt_dir / "macros" / "catalog.sql": catalog_macro(catalog)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    args = parser.parse_args(argv)
    files = {str(path.relative_to(DBT_DIR.parent)): (path, text)
             for path, text in generated().items()}
    return write_or_check(files, "dbt", args.check)


if __name__ == "__main__":
    sys.exit(main())
