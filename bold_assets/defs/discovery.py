"""Discovery (BOLD Steps B and D): data catalogues, keyword candidates, the source discovery
register and the coverage matrix, as the `discovery` group. The logic is in
`bold_assets.discovery`; these assets write its tables to the `discovery` schema and export the
catalogues as ODS (one per dataset, as Data First publishes) and CSV beside the warehouse.
"""

from pathlib import Path

import dagster as dg
import pandas as pd

from bold_assets import register
from bold_assets.defs.factories.keys import research_key
from bold_assets.defs.metadata import table_metadata
from bold_assets.defs.paths import path_value, shown_path
from bold_assets.defs.resources import WarehouseResource
from bold_assets.discovery import catalogue, coverage, keywords, sources_register
from bold_assets.sources import SOURCES
from bold_assets.warehouse import replace_table_from

GROUP = "discovery"
CATALOGUE = dg.AssetKey(["discovery", "data_catalogue"])
CANDIDATES = dg.AssetKey(["discovery", "candidate_variables"])
SOURCE_REGISTER = dg.AssetKey(["discovery", "source_register"])
COVERAGE = dg.AssetKey(["discovery", "coverage_matrix"])
# the tables of returns (catalogue link role "coverage") the matrix reads the submission share from
RETURNS_KEYS = [research_key(s.name) for tables in coverage.coverage_tables(SOURCES.values())
                .values() for s in tables]


def catalogue_dir(warehouse_file: str | Path) -> Path:
    return Path(warehouse_file).resolve().parent / "catalogues"


def _write(warehouse: WarehouseResource, key: dg.AssetKey, frame: pd.DataFrame,
           columns: str = "*") -> dict:
    """Write the table; its row count, described column schema and preview."""
    with warehouse.connect() as con:
        replace_table_from(con, key.path[0], key.path[1], frame, columns)
        return table_metadata(con, ".".join(key.path))


@dg.asset(key=CATALOGUE, group_name=GROUP, kinds={"duckdb"},
          deps=[dg.AssetKey(["raw", s]) for s in SOURCES],
          description="Data catalogue of every declared source table: per variable its "
          "definition, value set with labels, declared coverage, and the measured rows, "
          "missingness, distinct values and event-date span. Exported as one ODS per dataset. "
          "Systems: " + ", ".join(dict.fromkeys(s.system for s in SOURCES.values())) + ".")
def data_catalogue(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    with warehouse.connect() as con:
        cat = catalogue.measured_catalogue(con, SOURCES.values())
    files = catalogue.export(cat, catalogue_dir(warehouse.file))
    md = _write(warehouse, CATALOGUE, cat)
    counts = {"datasets": int(cat["dataset"].nunique()), "tables": int(cat["table_name"].nunique()),
              "variables": len(cat)}
    context.log.info(f"data catalogue: {counts}")
    return dg.MaterializeResult(metadata={
        **md, **counts,
        "files": dg.MetadataValue.md("\n".join(f"- `{shown_path(p)}`" for p in files)),
        "by_dataset": dg.MetadataValue.md(cat.groupby("dataset").agg(
            tables=("table_name", "nunique"), variables=("variable", "count"),
            identifiers=("is_identifier", "sum")).reset_index().to_markdown(index=False)),
    })


@dg.asset(key=CANDIDATES, group_name=GROUP, kinds={"duckdb"}, deps=[CATALOGUE],
          description="Step B: variables whose name, definition or value labels match a risk "
          "factor's keywords (stemmed, with synonyms), scored; identifiers excluded.")
def candidate_variables(warehouse: WarehouseResource):
    with warehouse.connect() as con:
        cat = con.execute(f"SELECT * FROM {'.'.join(CATALOGUE.path)}").df()
    cands = keywords.candidate_variables(cat)
    top = (cands.sort_values("score", ascending=False).groupby("risk_factor").head(3)
           .sort_values(["risk_factor", "score"], ascending=[True, False]))
    return dg.MaterializeResult(metadata={
        **_write(warehouse, CANDIDATES, cands),
        "per_factor": dg.MetadataValue.json(cands.groupby("risk_factor").size().to_dict()),
        "top_3_per_factor": dg.MetadataValue.md(top.to_markdown(index=False)),
    })


@dg.asset(key=SOURCE_REGISTER, group_name=GROUP, kinds={"duckdb"},
          description="Step D: the source discovery register, one row per source of every "
          "wave (owner, legal gateway, cadence, geography, identifiers, quality, access, the "
          "factors it can validate). Unknown facts say so.")
def source_register(warehouse: WarehouseResource):
    reg = sources_register.load_source_register()
    return dg.MaterializeResult(metadata={
        **_write(warehouse, SOURCE_REGISTER, reg),
        "unknown_cells": sources_register.unknown_cells(reg),
        "file": path_value(sources_register.SOURCE_REGISTER_PATH),
    })


@dg.asset(key=COVERAGE, group_name=GROUP, kinds={"duckdb"},
          deps=[CANDIDATES, SOURCE_REGISTER, *RETURNS_KEYS],
          description="Coverage matrix: risk factor x wave x source, validated or proxy; for a "
          "source resting on returns (a table of link role 'coverage'), the share of "
          "council-periods whose return arrived and a note (null until that table exists).")
def coverage_matrix(warehouse: WarehouseResource):
    with warehouse.connect() as con:
        cands = con.execute(f"SELECT * FROM {'.'.join(CANDIDATES.path)}").df()
        src = con.execute(f"SELECT * FROM {'.'.join(SOURCE_REGISTER.path)}").df()
        subs = coverage.submission_coverage(con, SOURCES.values())
    matrix = coverage.coverage_matrix(register.load_register(), src, cands, subs)
    return dg.MaterializeResult(metadata={
        **_write(warehouse, COVERAGE, matrix, coverage.SQL_COLUMNS),
        "matrix": dg.MetadataValue.md(coverage.pivot(matrix).to_markdown()),
        "submission_coverage": dg.MetadataValue.md(
            subs.to_markdown(index=False) if len(subs) else "no source rests on returns"),
    })


@dg.asset_check(asset=CANDIDATES, blocking=False,
                description="WARN: every variable the risk factor register names for a factor "
                "(its candidate_datasets_variables, e.g. oasys.s3_q1) is among the candidate "
                "variables keyword discovery finds for that factor; fails with the number missed "
                "and the first 20 'factor: table.variable' pairs.")
def register_variables_found(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        cands = con.execute(f"SELECT risk_factor, table_name, variable FROM "
                            f"{'.'.join(CANDIDATES.path)}").df()
    missed = keywords.missed_register_variables(register.load_register(), cands)
    return dg.AssetCheckResult(passed=not missed, metadata={
        "missed": len(missed), "examples": dg.MetadataValue.json(missed[:20])})


defs = dg.Definitions(
    assets=[data_catalogue, candidate_variables, source_register, coverage_matrix],
    asset_checks=[register_variables_found])
