"""All settings of bold-assets, read from the environment in one place.

| variable           | meaning                                               | default             |
|--------------------|-------------------------------------------------------|---------------------|
| BOLD_WAREHOUSE     | DuckDB file of the warehouse                          | data/bold.duckdb    |
| BOLD_POPULATION    | persons in the general population (all ages)          | 68000               |
| BOLD_SEED          | seed of the synthetic world                           | 20240601            |
| BOLD_LANDING_DIR   | folder of landed extracts; raw assets read it when set | unset              |
| BOLD_PROJECT_KEY   | secret for keyed pseudonymous ids                     | random, in data dir |
| BOLD_SNAPSHOT_DATE | extracts as at this date (YYYY-MM-DD)                 | the world's end     |

BOLD_WAVE_<n>_CRON (default: the wave's declared cron, e.g. `0 3 * * 1` for wave 0): when this
deployment's weekly schedule of wave n ticks (Europe/London), e.g. the morning its extracts land.

BOLD_CATALOG_EXTENSIONS (default none): comma-separated dotted modules adding sources and waves
to the catalogue (`bold_assets.catalog.load_catalog`).

Where the linkage runs (`bold_assets.linkage.engine`; everything else stays on DuckDB):

| variable                       | meaning                                    | default          |
|--------------------------------|--------------------------------------------|------------------|
| BOLD_LINKAGE_ENGINE            | duckdb or spark                            | duckdb           |
| BOLD_SPARK_MASTER              | local[n], spark://host:port, yarn, k8s://… | local[*]         |
| BOLD_SPARK_DRIVER_MEMORY       | e.g. 4g (local mode runs in the driver)    | Spark's (1g)     |
| BOLD_SPARK_EXECUTOR_MEMORY     | e.g. 8g per executor on a cluster          | Spark's (1g)     |
| BOLD_SPARK_SHUFFLE_PARTITIONS  | shuffle partitions of Splink's joins       | 8                |
| BOLD_SPARK_WORK_DIR            | identifier-zone folder for hand-over files | <data dir>/spark |
| BOLD_SPARK_KEEP_FILES          | 1: keep each run's hand-over files         | unset (removed)  |
| BOLD_SPARK_CONF                | more Spark settings, `key=value;key=value` | none             |
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_WAREHOUSE = "data/bold.duckdb"
DEFAULT_POPULATION = 68_000  # spine (people with any wave-0 record) of about 10,400
DEFAULT_SEED = 20240601
MIN_POPULATION = 100  # fewer persons leave areas and sources too empty to link or publish


class SettingsError(ValueError):
    """A setting is wrong; the message names the variable, its value and a valid example."""


ENGINE_NAMES = ("duckdb", "spark")


@dataclass(frozen=True)
class EngineSettings:
    """Which engine links (`bold_assets.linkage.engine`), and what a Spark engine needs."""

    name: str = "duckdb"
    spark_master: str = "local[*]"
    spark_driver_memory: str | None = None
    spark_executor_memory: str | None = None
    spark_shuffle_partitions: int = 8  # Spark's default of 200 suits far larger inputs
    work_dir: str | None = None  # identifier-zone folder for hand-over files; None: system temp
    keep_files: bool = False
    spark_conf: tuple[tuple[str, str], ...] = ()  # any further Spark settings

    def __post_init__(self) -> None:
        if self.name not in ENGINE_NAMES:
            raise SettingsError(f"linkage engine {self.name!r} is not one of {ENGINE_NAMES}; "
                                "e.g. BOLD_LINKAGE_ENGINE=duckdb")
        if self.spark_master.startswith("sc://"):
            raise SettingsError(f"BOLD_SPARK_MASTER={self.spark_master!r}: Spark Connect is not "
                                "supported (records are handed to Spark as files, and Splink's "
                                "functions are a jar the driver loads); use the cluster's "
                                "master, e.g. spark://host:7077")
        if self.spark_shuffle_partitions < 1:
            raise SettingsError(f"{self.spark_shuffle_partitions} shuffle partitions: set "
                                "BOLD_SPARK_SHUFFLE_PARTITIONS to 1 or more, e.g. 8")

    def describe(self) -> str:
        return self.name if self.name == "duckdb" else f"{self.name} ({self.spark_master})"


def engine_settings(default_work_dir: Path | str | None = None) -> EngineSettings:
    """The `BOLD_LINKAGE_ENGINE` / `BOLD_SPARK_*` settings (table above)."""
    env = os.environ.get
    name = (env("BOLD_LINKAGE_ENGINE") or "duckdb").strip().lower()
    if name not in ENGINE_NAMES:
        raise SettingsError(f"BOLD_LINKAGE_ENGINE={name!r} is not one of {ENGINE_NAMES}; "
                            "unset it or set BOLD_LINKAGE_ENGINE=duckdb")
    work = env("BOLD_SPARK_WORK_DIR") or (str(default_work_dir) if default_work_dir else None)
    conf = []
    for item in filter(None, (env("BOLD_SPARK_CONF") or "").split(";")):
        key, sep, value = item.partition("=")
        if not sep or not key.strip().startswith("spark."):
            raise SettingsError(f"BOLD_SPARK_CONF item {item!r} is not spark.<key>=<value>; "
                                "e.g. BOLD_SPARK_CONF='spark.executor.instances=4;"
                                "spark.executor.cores=4'")
        conf.append((key.strip(), value.strip()))
    return EngineSettings(
        name=name, spark_master=env("BOLD_SPARK_MASTER") or "local[*]",
        spark_driver_memory=env("BOLD_SPARK_DRIVER_MEMORY") or None,
        spark_executor_memory=env("BOLD_SPARK_EXECUTOR_MEMORY") or None,
        spark_shuffle_partitions=_int_env("BOLD_SPARK_SHUFFLE_PARTITIONS", 8, 1),
        work_dir=work, keep_files=(env("BOLD_SPARK_KEEP_FILES") or "").lower() in ("1", "true"),
        spark_conf=tuple(conf))


def _int_env(name: str, default: int, minimum: int = 0) -> int:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value.replace("_", ""))
    except ValueError:
        raise SettingsError(f"{name}={value!r} is not a whole number; unset it or set e.g. "
                            f"{name}={default}") from None
    if number < minimum:
        raise SettingsError(f"{name}={value!r} is below {minimum}; unset it or set e.g. "
                            f"{name}={default}")
    return number


@dataclass(frozen=True)
class Settings:
    warehouse: Path
    population: int
    seed: int
    landing_dir: Path | None
    snapshot_date: dt.date | None = None  # None: the world's end (`world.snapshots`)
    engine: EngineSettings = EngineSettings()  # where the linkage runs

    @property
    def data_dir(self) -> Path:
        """Folder beside the warehouse: models, the project key, reports."""
        return self.warehouse.parent

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"


def get_settings() -> Settings:
    """Read the settings now (not at import), so tests can change the environment."""
    landing = os.environ.get("BOLD_LANDING_DIR") or None
    warehouse = Path(os.environ.get("BOLD_WAREHOUSE") or DEFAULT_WAREHOUSE)
    if warehouse.is_dir():
        raise SettingsError(f"BOLD_WAREHOUSE={str(warehouse)!r} is a folder; set it to a DuckDB "
                            f"file, e.g. BOLD_WAREHOUSE={warehouse / 'bold.duckdb'}")
    return Settings(
        warehouse=warehouse,
        population=_int_env("BOLD_POPULATION", DEFAULT_POPULATION, MIN_POPULATION),
        seed=_int_env("BOLD_SEED", DEFAULT_SEED),
        landing_dir=Path(landing) if landing else None,
        snapshot_date=_date_env("BOLD_SNAPSHOT_DATE"),
        engine=engine_settings(default_work_dir=warehouse.parent / "spark"),
    )


def _date_env(name: str) -> dt.date | None:
    value = os.environ.get(name)
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise SettingsError(f"{name}={value!r} is not a date; unset it or set e.g. "
                         f"{name}=2023-12-25") from None


def catalog_extensions() -> tuple[str, ...]:
    """`BOLD_CATALOG_EXTENSIONS`: comma-separated dotted modules, each declaring sources
    (`DECLARED`) and optionally waves (`WAVES`) beside the project's own (read when the catalogue
    is first imported)."""
    raw = os.environ.get("BOLD_CATALOG_EXTENSIONS", "")
    return tuple(m.strip() for m in raw.split(",") if m.strip())


def wave_cron(number: int, declared: str) -> str:
    """`BOLD_WAVE_<number>_CRON` when set (the deployment's refresh time), else `declared`."""
    return os.environ.get(f"BOLD_WAVE_{number}_CRON", "").strip() or declared
