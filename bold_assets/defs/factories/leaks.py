"""The blocking identifier leak check: on every research table, and on every marts and outputs
asset (`leak_checks_for`). Identifiers never leave the `linkage` schema."""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from bold_assets.defs.resources import WarehouseResource


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
        from bold_assets import pseudonymise as ps
        from bold_assets.settings import get_settings

        with warehouse.connect() as con:  # with the key: research rows against their own DOB
            findings = ps.scan_identifiers(con, tables=targets,
                                           key=ps.project_key(get_settings()))
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
