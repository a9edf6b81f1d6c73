"""`linkage/std_<source>`: identifiers in the standard form, for every source that has them
(attribute tables have none), in the source's wave group. The work is `linkage.justice`'s."""

from __future__ import annotations

import dagster as dg

from bold_assets.catalog import Catalog, Source
from bold_assets.defs.factories.keys import POSTCODES_KEY, raw_key, std_key
from bold_assets.defs.metadata import table_metadata as table_meta
from bold_assets.defs.resources import WarehouseResource


def std_asset(src: Source, group: str) -> dg.AssetsDefinition:
    source = src.name

    @dg.asset(
        key=std_key(source),
        deps=[raw_key(source), POSTCODES_KEY],
        group_name=group,
        kinds={"duckdb"},
        description=f"{src.title}: identifiers in the standard form (names split and cleaned, "
        "phonetic keys, DOB parts, postcode district / sector, LSOA). Bad values -> NULL + flag.",
    )
    def _std(warehouse: WarehouseResource) -> dg.MaterializeResult:
        from bold_assets.linkage import justice as J

        with warehouse.connect() as con:
            J.standardise_source(con, source)
            quality = J.std_quality(con, source)
            meta = table_meta(con, J.std_table(source))
        return dg.MaterializeResult(metadata={**meta, **quality})

    return _std


def build_std(catalog: Catalog) -> dg.Definitions:
    return dg.Definitions(assets=[std_asset(s, catalog.waves[s.wave].group)
                                  for s in catalog.sources.values() if s.has_identifiers])
