"""dbt files that follow from the catalogue, generated so they cannot drift from it.

    python -m bold_assets.catalog.dbt           # (re)write them
    python -m bold_assets.catalog.dbt --check   # exit 1 if a committed file is stale

- `dbt_project/models/staging/_sources.yml`: one dbt source table per declared source (the
  Python-built `research.<source>` tables), plus the link file and the reference geography;
- `dbt_project/macros/catalog.sql`: `catalog_record_sources()`, the sources whose person records
  `int_records` stacks (wave 0's spine sources; `persons_only` when the source filters out
  non-person rows, e.g. civil company parties).
Each source still needs its staging model `models/staging/stg_<name>.sql` (its own columns and
codes): tests/test_catalog.py fails naming the source when one is missing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bold_assets.catalog import CATALOG, Catalog

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
GENERATOR = "python -m bold_assets.catalog.dbt"
_HEADER = f"# Generated from the catalogue (bold_assets/catalog) by `{GENERATOR}`: do not edit.\n"


def sources_yml(catalog: Catalog = CATALOG) -> str:
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
        + "      - name: xjs_link\n        description: Cross-justice person spine, one row per "
        "research record, with ids at three match thresholds.\n"
        + "".join(f"      - name: {w.name}_link\n        description: Wave {w.number} link file, "
                  "one row per person or linked pupil record of the wave, with its keyed spine "
                  "person id (estimated_xjs_id, as xjs_link).\n"
                  for w in catalog.active_waves() if w.number > 0 and w.link_plans)
        + "  - name: reference\n    description: Reference geography (not personal data). Dagster "
        "asset keys [\"reference\", <table>].\n    schema: reference\n    tables:\n"
        "      - name: lsoa\n"
    )


def catalog_macro(catalog: Catalog = CATALOG) -> str:
    rows = ",\n".join(
        f"    {{'name': '{s.name}', 'persons_only': {str(bool(s.person_filter)).lower()}}}"
        for s in catalog.sources_of_wave(0))
    return (
        "{#- " + _HEADER.strip("# \n") + " -#}\n\n"
        "{#- The sources whose person records int_records stacks (wave 0's spine), in catalogue\n"
        "    order; persons_only: keep rows where is_person (the source has non-person rows). -#}\n"
        "{% macro catalog_record_sources() %}\n"
        "{{ return([\n" + rows + "\n]) }}\n"
        "{% endmacro %}\n"
    )


def generated(catalog: Catalog = CATALOG, dbt_dir: Path = DBT_DIR) -> dict[Path, str]:
    """Each generated file's path and the text it must hold."""
    return {dbt_dir / "models" / "staging" / "_sources.yml": sources_yml(catalog),
            dbt_dir / "macros" / "catalog.sql": catalog_macro(catalog)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for path, text in generated().items():
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(str(path.relative_to(DBT_DIR.parent)))
        if not args.check:
            path.write_text(text, encoding="utf-8")
    verb = "out of date" if args.check else "written"
    print(f"{len(stale)} dbt file(s) {verb}" + (": " + ", ".join(stale) if stale else ""))
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
