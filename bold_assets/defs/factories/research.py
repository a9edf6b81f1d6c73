"""`research/<source>`: each declared extract de-identified (`linkage.research`), in its wave's
group, with the blocking identifier leak check."""

from __future__ import annotations

import dagster as dg

from bold_assets.catalog import Catalog, Source
from bold_assets.defs.factories.keys import LSOA_KEY, raw_key, research_key, std_key
from bold_assets.defs.metadata import table_metadata as table_meta
from bold_assets.defs.resources import WarehouseResource


def write_research(warehouse: WarehouseResource, table: str, sql: str) -> dict:
    """Replace `research.<table>` with `sql` (keyed hashes registered); its metadata."""
    from bold_assets import pseudonymise as ps
    from bold_assets import warehouse as wh
    from bold_assets.settings import get_settings

    with warehouse.connect() as con:
        ps.register_hmac(con, ps.project_key(get_settings()))
        wh.replace_table(con, "research", table, sql)
        return table_meta(con, f"research.{table}")


def research_asset(src: Source, group: str) -> dg.AssetsDefinition:
    source = src.name
    deps = [raw_key(source), *([std_key(source)] if src.has_identifiers else []), LSOA_KEY]

    @dg.asset(
        key=research_key(source),
        deps=deps,
        group_name=group,
        kinds={"duckdb"},
        description=f"{src.title}, de-identified: no {', '.join(src.pii_columns)}; "
        f"{src.key} -> row_id_hash"
        + "".join(f", {c} -> {c}_hash" for c in src.case_ids)
        + "; with age_at_event, lsoa_code and lad_code.",
    )
    def _research(warehouse: WarehouseResource) -> dg.MaterializeResult:
        from bold_assets.linkage import research as R

        return dg.MaterializeResult(metadata=write_research(warehouse, source,
                                                            R.research_source_sql(source)))

    return _research


def build_research(catalog: Catalog) -> dg.Definitions:
    sources = list(catalog.sources.values())
    return dg.Definitions(
        assets=[research_asset(s, catalog.waves[s.wave].group) for s in sources])
