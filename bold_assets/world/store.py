"""Write tables of the world (or landed extracts) into the warehouse with the registry's types."""

from __future__ import annotations

import duckdb
import pandas as pd

from bold_assets.sources import SOURCES
from bold_assets.warehouse import replace_table


def typed_select(relation: str, source: str) -> str:
    """SELECT that casts each registry column of `source` to its declared DuckDB type."""
    cols = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in SOURCES[source].columns.items())
    return f"SELECT {cols} FROM {relation}"


def write_frame(con: duckdb.DuckDBPyConnection, key: str, df: pd.DataFrame) -> int:
    """Replace table `key` ("schema.table") by `df`; raw tables get the registry's types."""
    schema, table = key.split(".")
    view = f"__frame_{schema}_{table}"
    con.register(view, df)
    try:
        select = typed_select(view, table) if schema == "raw" else f"SELECT * FROM {view}"
        return replace_table(con, schema, table, select)
    finally:
        con.unregister(view)
