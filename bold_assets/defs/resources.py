"""Dagster resources.

The warehouse is Dagster's `DuckDBResource` (dagster-duckdb) with bold's inter-process writer
lock (`bold_assets.warehouse`): `get_connection()` / `connect()` wait for any other run that has
the file open instead of failing on DuckDB's single-writer lock, and attach the file under a
fixed catalog name so any file name works. The path is `BOLD_WAREHOUSE` (see
`bold_assets.settings`), read when a run opens the warehouse rather than when definitions load,
so one code location serves any warehouse. Set `path` (or `database`) to pin a resource to one
file (tests, scripts).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field

from bold_assets import warehouse
from bold_assets.settings import get_settings


class WarehouseResource(DuckDBResource):
    """The DuckDB warehouse, opened under the inter-process writer lock."""

    database: str = Field(default="", description="DuckDB file; blank = BOLD_WAREHOUSE")
    path: str | None = Field(default=None, description="DuckDB file (same as database)")

    @property
    def file(self) -> Path:
        chosen = self.path or self.database
        return Path(chosen) if chosen else get_settings().warehouse

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(self.file, config=dict(self.connection_config)) as con:
            yield con

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.get_connection() as con:
            yield con


def warehouse_resource() -> WarehouseResource:
    return WarehouseResource()
