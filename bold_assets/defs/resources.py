"""Dagster resources. The warehouse path comes from `BOLD_WAREHOUSE` (see `bold_assets.settings`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from bold_assets import warehouse
from bold_assets.settings import get_settings


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse, opened under the inter-process writer lock."""

    path: str

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(self.path) as con:
            yield con


def warehouse_resource() -> WarehouseResource:
    return WarehouseResource(path=str(get_settings().warehouse))
