"""Metadata every table asset shows in the UI: row count, column schema and a preview."""

import dagster as dg
import duckdb


def table_metadata(con: duckdb.DuckDBPyConnection, table: str, preview_rows: int = 5) -> dict:
    """Row count, column schema and the first rows of warehouse table `schema.table`."""
    rel = con.sql(f"SELECT * FROM {table}")
    columns = [dg.TableColumn(n, str(t)) for n, t in zip(rel.columns, rel.types, strict=True)]
    head = con.sql(f"SELECT * FROM {table} LIMIT {preview_rows}").df()
    return {
        "dagster/row_count": con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0],
        "dagster/column_schema": dg.TableSchema(columns=columns),
        "preview": dg.MetadataValue.md(head.to_markdown(index=False)),
    }
