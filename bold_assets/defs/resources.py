"""Dagster resources.

The warehouse is Dagster's `DuckDBResource` (dagster-duckdb) with bold's inter-process writer
lock (`bold_assets.warehouse`): `get_connection()` / `connect()` wait for any other run that has
the file open instead of failing on DuckDB's single-writer lock, and attach the file under a
fixed catalog name so any file name works. The path is `BOLD_WAREHOUSE` (see
`bold_assets.settings`), read when a run opens the warehouse rather than when definitions load,
so one code location serves any warehouse. Set `path` (or `database`) to pin a resource to one
file (tests, scripts).

The linkage engine (`LinkageEngineResource`) says where Splink's work runs: DuckDB, or Spark.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field

from bold_assets import warehouse
from bold_assets.settings import EngineSettings, get_settings

if TYPE_CHECKING:
    from bold_assets.linkage.engine import LinkageEngine


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


def linkage_engine_resource() -> LinkageEngineResource:
    return LinkageEngineResource()


class LinkageEngineResource(dg.ConfigurableResource):
    """Where the linkage's Splink work runs: DuckDB (default) or Spark (`linkage.engine`).

    Blank fields take the settings (`BOLD_LINKAGE_ENGINE`, `BOLD_SPARK_*`: `bold_assets.settings`),
    read when a run starts. A Spark engine that cannot run here (no pyspark, no Java) fails as
    the step starts, before any work, saying what to install.
    """

    engine: str = Field(default="", description="duckdb | spark; blank = BOLD_LINKAGE_ENGINE")
    spark_master: str = Field(default="", description="blank = BOLD_SPARK_MASTER (local[*])")
    spark_driver_memory: str = Field(default="", description="blank = BOLD_SPARK_DRIVER_MEMORY")
    spark_executor_memory: str = Field(default="",
                                       description="blank = BOLD_SPARK_EXECUTOR_MEMORY")
    spark_shuffle_partitions: int = Field(default=0,
                                          description="0 = BOLD_SPARK_SHUFFLE_PARTITIONS (8)")
    work_dir: str = Field(default="", description="identifier-zone folder for Spark's "
                          "hand-over files; blank = BOLD_SPARK_WORK_DIR (<data dir>/spark)")

    def settings(self) -> EngineSettings:
        base = get_settings().engine
        chosen = {"name": self.engine.strip().lower(), "spark_master": self.spark_master,
                  "spark_driver_memory": self.spark_driver_memory,
                  "spark_executor_memory": self.spark_executor_memory,
                  "spark_shuffle_partitions": self.spark_shuffle_partitions,
                  "work_dir": self.work_dir}
        return replace(base, **{k: v for k, v in chosen.items() if v})

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        from bold_assets.linkage.engine import check_engine

        check_engine(self.settings())

    @contextmanager
    def use(self) -> Iterator[LinkageEngine]:
        """Link on this engine within the block (`linkage.engine.use`)."""
        from bold_assets.linkage import engine

        with engine.use(engine.make_engine(self.settings())) as chosen:
            yield chosen
