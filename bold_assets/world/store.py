"""Write tables of the world (or landed extracts) into the warehouse with the registry's types."""

from __future__ import annotations

import duckdb
import pandas as pd

from bold_assets.sources import SOURCES
from bold_assets.warehouse import replace_table_from


def typed_columns(source: str) -> str:
    """Select list casting each registry column of `source` to its declared DuckDB type."""
    return ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in SOURCES[source].columns.items())


def write_frame(con: duckdb.DuckDBPyConnection, key: str, df: pd.DataFrame) -> int:
    """Replace table `key` ("schema.table") by `df`; raw tables get the registry's types."""
    schema, table = key.split(".")
    columns = typed_columns(table) if schema == "raw" else "*"
    return replace_table_from(con, schema, table, df, columns)
