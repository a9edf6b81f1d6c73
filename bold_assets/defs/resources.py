"""Dagster resources.

The warehouse path is `BOLD_WAREHOUSE` (see `bold_assets.settings`), read when a run opens the
warehouse rather than when definitions load, so one code location serves any warehouse. Set
`path` to pin a resource to one file (tests, scripts).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from bold_assets import warehouse
from bold_assets.settings import get_settings


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse, opened under the inter-process writer lock."""

    path: str | None = None

    @property
    def file(self) -> Path:
        return Path(self.path) if self.path else get_settings().warehouse

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(self.file) as con:
            yield con


def warehouse_resource() -> WarehouseResource:
    return WarehouseResource()
