"""Wave 0 research zone: de-identified extracts, the split-file link table and the case journey.

Identifiers never leave the `linkage` schema: research tables carry keyed hashes (HMAC-SHA256 with
the project key) instead of ids, and no names, dates of birth or postcodes. A blocking asset check
on every research table scans its columns by name and by content; `leak_check` builds the same
check for any other asset (marts, outputs).
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from bold_assets import pseudonymise as ps
from bold_assets import warehouse as wh
from bold_assets.defs.metadata import table_metadata as table_meta
from bold_assets.defs.resources import WarehouseResource
from bold_assets.defs.wave_0.linkage import CLUSTERS_KEY, PAIRS_KEY, PERSON_IDS_KEY, STD_KEYS
from bold_assets.linkage import research as R
from bold_assets.settings import get_settings
from bold_assets.sources import SOURCE_NAMES, get_source

GROUP = "wave_0"
SOURCE_KEYS = {s: dg.AssetKey(["research", s]) for s in SOURCE_NAMES}
XJS_KEY = dg.AssetKey(["research", "xjs_link"])
JOURNEY_KEY = dg.AssetKey(["research", "mags_crown_journey"])


def _write(warehouse: WarehouseResource, table: str, sql: str) -> dict:
    with warehouse.connect() as con:
        ps.register_hmac(con, ps.project_key(get_settings()))
        wh.replace_table(con, "research", table, sql)
        return table_meta(con, f"research.{table}")


def _source_asset(source: str) -> dg.AssetsDefinition:
    src = get_source(source)

    @dg.asset(
        key=SOURCE_KEYS[source],
        deps=[dg.AssetKey(["raw", source]), STD_KEYS[source],
              dg.AssetKey(["reference", "lsoa"])],
        group_name=GROUP,
        kinds={"duckdb"},
        description=f"{src.title}, de-identified: no {', '.join(src.pii_columns)}; "
        f"{src.key} -> row_id_hash"
        + "".join(f", {c} -> {c}_hash" for c in src.case_ids)
        + "; with age_at_event, lsoa_code and lad_code.",
    )
    def _research(warehouse: WarehouseResource) -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata=_write(warehouse, source,
                                                    R.research_source_sql(source)))

    return _research


SOURCE_ASSETS = [_source_asset(s) for s in SOURCE_NAMES]


@dg.asset(
    key=XJS_KEY,
    deps=[CLUSTERS_KEY, PERSON_IDS_KEY],
    group_name=GROUP,
    kinds={"duckdb"},
    description="Cross-justice linking file: each record's hashed row id with its hashed person "
    "id (`estimated_xjs_id`, medium threshold; `xjs_id_high`, `xjs_id_low` for sensitivity).",
)
def xjs_link(warehouse: WarehouseResource) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=_write(warehouse, "xjs_link", R.xjs_link_sql()))


@dg.asset(
    key=JOURNEY_KEY,
    deps=[dg.AssetKey(["raw", "mags"]), dg.AssetKey(["raw", "crown"]), CLUSTERS_KEY, PAIRS_KEY],
    group_name=GROUP,
    kinds={"duckdb"},
    description="Magistrates' case -> Crown Court case for cases sent for trial or sentence "
    "(hashed ids), matched on the linked person, the offence and the dates.",
)
def mags_crown_journey(warehouse: WarehouseResource) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=_write(warehouse, "mags_crown_journey",
                                                R.journey_sql()))


# Identifier leak checks ------------------------------------------------------------------------


def leak_check(
    asset_key: dg.AssetKey, tables: Sequence[tuple[str, str]] | None = None,
    name: str = "no_identifiers",
) -> dg.AssetChecksDefinition:
    """A blocking check that fails when the asset's table (asset key = schema/table), or the given
    (schema, table) list, holds a name, date of birth, postcode or source record id."""
    targets = list(tables) if tables is not None else [tuple(asset_key.path[-2:])]

    @dg.asset_check(asset=asset_key, name=name, blocking=True,
                    description="No column holds a name, date of birth, postcode or source "
                    "record id (checked by column name and by sampling contents against the "
                    "identifier zone).")
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect() as con:
            findings = ps.scan_identifiers(con, tables=targets)
        rows = [f"| {f.schema}.{f.table} | {f.column} | {f.kind} | {f.how} | {f.detail} |"
                for f in findings]
        md = "| table | column | holds | found by | detail |\n|---|---|---|---|---|\n" + \
            "\n".join(rows) if rows else "no identifiers found"
        return dg.AssetCheckResult(
            passed=not findings,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"tables_scanned": len(targets), "findings": len(findings),
                      "report": dg.MetadataValue.md(md)},
        )

    return _check


def leak_checks_for(defs: dg.Definitions,
                    schemas: Sequence[str] = ("marts", "outputs")) -> dg.Definitions:
    """The identifier leak check on every asset of `defs` whose key starts with one of `schemas`
    (merge the result into the code location: `Definitions.merge(areas, leak_checks_for(areas))`).
    """
    keys = sorted({k for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)
                   for k in a.keys if k.path[0] in schemas and len(k.path) >= 2},
                  key=lambda k: k.path)
    return dg.Definitions(asset_checks=[leak_check(k) for k in keys])


LEAK_CHECKS = [leak_check(k) for k in (*SOURCE_KEYS.values(), XJS_KEY, JOURNEY_KEY)]

defs = dg.Definitions(
    assets=[*SOURCE_ASSETS, xjs_link, mags_crown_journey],
    asset_checks=LEAK_CHECKS,
)
