"""The blocking identifier leak check, `no_identifiers`, on every research, marts, outputs and
discovery asset (`LEAK_SCHEMAS`): identifiers never leave the `linkage` schema.

It is declared once, here, for every asset of those schemas (`leak_keys`). An asset with a Great
Expectations suite runs it in the suite's check step (`defs/quality.py` adds the spec and calls
`leak_result`), so a research table costs one check step, not two; the others get a check of their
own (`leak_checks_for`). Either way the check is `<asset>/no_identifiers`, blocking.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import dagster as dg

from bold_assets.defs.metadata import mask_message
from bold_assets.defs.resources import WarehouseResource

LEAK_SCHEMAS = ("research", "marts", "outputs", "discovery")
NAME = "no_identifiers"
DESCRIPTION = ("BLOCKING: no column holds a name, date of birth, postcode or source record id "
               "(checked by column name and by sampling contents against the identifier zone).")


def leak_keys(defs: dg.Definitions, schemas: Sequence[str] = LEAK_SCHEMAS) -> list[dg.AssetKey]:
    """The asset keys of `defs` (schema/table) in one of `schemas`: each gets the check."""
    return sorted({k for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)
                   for k in a.keys if k.path[0] in schemas and len(k.path) >= 2},
                  key=lambda k: k.path)


def leak_spec(asset_key: dg.AssetKey) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(name=NAME, asset=asset_key, blocking=True, description=DESCRIPTION)


def leak_result(warehouse: WarehouseResource, asset_key: dg.AssetKey,
                tables: Sequence[tuple[str, str]] | None = None) -> dg.AssetCheckResult:
    """Scan the asset's table (asset key = schema/table), or the (schema, table) list given,
    for names, dates of birth, postcodes and source record ids: the check's result. A scan that
    cannot run fails the check with the error (quoted values masked: they may be identifiers),
    and the suite sharing its step still reports."""
    from bold_assets import pseudonymise as ps
    from bold_assets.settings import get_settings

    targets = list(tables) if tables is not None else [tuple(asset_key.path[-2:])]
    try:
        with warehouse.connect() as con:  # with the key: research rows against their own DOB
            findings = ps.scan_identifiers(con, tables=targets,
                                           key=ps.project_key(get_settings()))
    except Exception as e:  # noqa: BLE001 - reported as the check's failure
        error = mask_message(str(e))
        return dg.AssetCheckResult(
            asset_key=asset_key, check_name=NAME, passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"tables_scanned": len(targets),
                      "error": f"the scan could not run: {type(e).__name__}: {error}"})
    rows = [f"| {f.schema}.{f.table} | {f.column} | {f.kind} | {f.how} | {f.detail} |"
            for f in findings]
    md = "| table | column | holds | found by | detail |\n|---|---|---|---|---|\n" + \
        "\n".join(rows) if rows else "no identifiers found"
    return dg.AssetCheckResult(
        asset_key=asset_key, check_name=NAME, passed=not findings,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"tables_scanned": len(targets), "findings": len(findings),
                  "report": dg.MetadataValue.md(md)},
    )


def leak_check(asset_key: dg.AssetKey,
               tables: Sequence[tuple[str, str]] | None = None) -> dg.AssetChecksDefinition:
    """The check as a step of its own (for an asset without a suite)."""

    @dg.asset_check(asset=asset_key, name=NAME, blocking=True, description=DESCRIPTION)
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        return leak_result(warehouse, asset_key, tables)

    return _check


def leak_checks_for(keys: Iterable[dg.AssetKey]) -> dg.Definitions:
    """A check of its own for each of `keys` (the leak keys whose asset has no suite step)."""
    return dg.Definitions(asset_checks=[leak_check(k) for k in keys])
