"""Where Splink runs: DuckDB in the linkage session's own connection (default), or Spark.

A `LinkageSession` keeps every record in its own DuckDB connection, and what bold does itself
(standardising, exact rule counts, clustering the edges, person ids) stays there. What Splink
does (u sampling, EM, blocking analysis, scoring with `predict`, `predict_between`,
`predict_within`) runs on the session's engine:

- `DuckDBEngine`: Splink's `DuckDBAPI` on that same connection.
- `SparkEngine`: Splink's `SparkAPI`. A model's input is handed over as a Parquet file in the
  engine's work folder, and scored pairs come back the same way. The work folder holds
  identifiers, so it is an identifier-zone folder: beside the warehouse by default
  (`<data dir>/spark`), never Dagster's storage; on a cluster, storage every executor reads.
  Each linkage session has a folder of its own in it (hand-over files and Splink's
  checkpoints), removed when the session closes unless `keep_files` is set; Spark's own
  shuffle and spill files go to `<work folder>/shuffle`, which Spark empties when it stops.

Models are saved in DuckDB's SQL dialect whichever engine trained them. The Spark engine
translates a model's SQL (comparison levels, blocking rules) into Spark SQL before Splink reads
it, and maps the trained model's SQL back to the original strings, so the saved JSON, its
version and `linkage.model_versions` are the same files either way: a model trained on one
engine predicts on the other.

Jaro-Winkler is the one function the engines would compute differently: DuckDB's
`jaro_winkler_similarity` halves the transposition count with integer division (three letters
out of order count as one transposition), where the `jaro_winkler` of Splink's Spark jar keeps
the half (WORSCROFT / WOESCROFT: 0.907 against 0.891), so a name pair could fall one level on
Spark. The Spark engine therefore scores with `bold_jaro_winkler`, DuckDB's algorithm in a small
Java function of our own (`jars/`), and both engines give the same value for every pair
(`tests/test_spark.py` checks 20,000 pairs against DuckDB 2.0, the version installed; an older
DuckDB compared bytes, not characters, so accented names could differ).

The engine of a run comes from the settings (`BOLD_LINKAGE_ENGINE`, `BOLD_SPARK_*`: see
`bold_assets.settings`), or from `use(engine)` around the work (the Dagster resource does this:
`defs/resources.py`).
"""

from __future__ import annotations

import contextvars
import copy
import logging
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import duckdb
import sqlglot
from splink import DuckDBAPI, SettingsCreator
from splink.internals.splink_dataframe import SplinkDataFrame
from sqlglot import exp

from bold_assets.settings import EngineSettings

logger = logging.getLogger(__name__)

SIMILARITY_JAR = str(Path(__file__).parent / "jars" / "bold-similarity.jar")
SPARK_JARO_WINKLER = "bold_jaro_winkler"
INSTALL_SPARK = ("install pyspark (pip install -e '.[spark]') and Java 17 "
                 "(Debian: apt-get install -y openjdk-17-jre-headless)")
MIN_JAVA = 17  # Spark 4


class EngineUnavailable(RuntimeError):
    """The chosen engine cannot run here; the message says what to install or set."""


class LinkageEngine(Protocol):
    """What a linkage session asks of the engine Splink runs on."""

    name: str

    def for_session(self) -> LinkageEngine:
        """The engine of one linkage session; fails now, saying what to install, when the
        engine cannot run here."""

    def close(self) -> None:
        """Remove what the session handed over (unless kept)."""

    def open(self, con: duckdb.DuckDBPyConnection) -> Any:
        """A Splink API with a fresh cache (term frequencies of what it registers)."""

    def register(self, api: Any, con: duckdb.DuckDBPyConnection, table: str) -> SplinkDataFrame:
        """A table of the session's connection `con`, registered on `api`."""

    def settings(self, model: dict[str, Any] | SettingsCreator) -> dict[str, Any] | SettingsCreator:
        """A model (or settings) as Splink on this engine reads it."""

    def rule(self, sql: Any) -> Any:
        """A blocking rule (DuckDB SQL or a Splink creator) as this engine reads it."""

    def canonical(self, model: dict[str, Any]) -> dict[str, Any]:
        """A model trained on this engine, in DuckDB's dialect (the saved form)."""

    def readable(self, sdf: SplinkDataFrame, columns: tuple[str, ...]) -> str:
        """Splink output as a relation the session's connection can select from."""


class DuckDBEngine:
    """Splink on the session's own DuckDB connection."""

    name = "duckdb"

    def for_session(self) -> DuckDBEngine:
        return self

    def close(self) -> None:
        pass

    def open(self, con: duckdb.DuckDBPyConnection) -> DuckDBAPI:
        return DuckDBAPI(con)

    def register(self, api: Any, con: duckdb.DuckDBPyConnection, table: str) -> SplinkDataFrame:
        return api.register(table)

    def settings(self, model: dict[str, Any] | SettingsCreator) -> dict[str, Any] | SettingsCreator:
        return model

    def rule(self, sql: Any) -> Any:
        return sql

    def canonical(self, model: dict[str, Any]) -> dict[str, Any]:
        return model

    def readable(self, sdf: SplinkDataFrame, columns: tuple[str, ...]) -> str:
        return sdf.physical_name


def _spark_functions(node: exp.Expression) -> exp.Expression:
    """DuckDB functions Spark names otherwise: `list_has_any` is Spark's `arrays_overlap`,
    `jaro_winkler_similarity` our `bold_jaro_winkler` (DuckDB's algorithm, see the docstring)."""
    renamed = {exp.ArrayOverlaps: "arrays_overlap",
               exp.JarowinklerSimilarity: SPARK_JARO_WINKLER}
    name = renamed.get(type(node))
    if name is None:
        return node
    return exp.Anonymous(this=name, expressions=[node.this, node.expression])


def to_spark_sql(sql: str) -> str:
    """A condition or blocking rule of DuckDB SQL in Spark SQL."""
    tree = sqlglot.parse_one(sql, read="duckdb").transform(_spark_functions)
    return tree.sql(dialect="spark")


def _model_sql(model: dict[str, Any]) -> Iterator[tuple[Any, Any]]:
    """(container, key) of every SQL string of a Splink settings dict."""
    for comparison in model.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            if level.get("sql_condition") not in (None, "ELSE"):
                yield level, "sql_condition"
    rules = model.get("blocking_rules_to_generate_predictions", [])
    for i, rule in enumerate(rules):
        yield (rule, "blocking_rule") if isinstance(rule, dict) else (rules, i)


def _set_dialect(model: dict[str, Any], dialect: str) -> dict[str, Any]:
    """Name `dialect` wherever a settings dict names one (itself, its rules, its levels)."""
    model["sql_dialect"] = dialect
    for holder, _ in _model_sql(model):
        if isinstance(holder, dict) and "sql_dialect" in holder:
            holder["sql_dialect"] = dialect
    return model


class SparkEngine:
    """Splink on Spark (`SparkAPI`), inputs and outputs handed over as Parquet."""

    name = "spark"

    def __init__(self, settings: EngineSettings) -> None:
        self.config = settings
        self._back: dict[str, str] = {}  # Spark SQL -> the DuckDB SQL it was made from
        self._folder: str | None = None

    def for_session(self) -> SparkEngine:
        check_spark()  # Spark itself starts, and the session's folder is made, on first use
        return SparkEngine(self.config)

    def close(self) -> None:
        if self._folder and not self.config.keep_files:
            shutil.rmtree(self._folder, ignore_errors=True)
        self._folder = None

    @property
    def spark(self) -> Any:
        return spark_session(self.config)

    def _path(self, stem: str) -> str:
        """A new path in this session's own folder inside the work folder."""
        if self._folder is None:
            base = Path(self.config.work_dir or tempfile.gettempdir()).resolve()
            base.mkdir(parents=True, exist_ok=True)
            self._folder = tempfile.mkdtemp(prefix="bold-spark-", dir=base)
        return os.path.join(self._folder, f"{stem}_{uuid.uuid4().hex[:8]}")

    def open(self, con: duckdb.DuckDBPyConnection) -> Any:
        from splink.backends.spark import SparkAPI

        spark = self.spark
        # Splink breaks lineage by writing Parquet under the (process-wide) checkpoint folder:
        # this session's, set again for each API (sessions never overlap)
        spark.sparkContext.setCheckpointDir(self._path("checkpoints"))
        return SparkAPI(spark_session=spark, break_lineage_method="parquet",
                        num_partitions_on_repartition=self.config.spark_shuffle_partitions)

    def register(self, api: Any, con: duckdb.DuckDBPyConnection, table: str) -> SplinkDataFrame:
        path = self._path(table) + ".parquet"
        literal = path.replace("'", "''")
        con.execute(f"COPY (SELECT * FROM {table}) TO '{literal}' (FORMAT parquet)")
        # a view name of its own: every API of the one Spark session would call its first
        # input __splink__input_table_0
        return api.register(self.spark.read.parquet(path),
                            table_name=f"__bold_{table}_{uuid.uuid4().hex[:8]}")

    def settings(self, model: dict[str, Any] | SettingsCreator) -> dict[str, Any]:
        if isinstance(model, SettingsCreator):
            model = model.create_settings_dict("duckdb")
        out = copy.deepcopy(model)
        for holder, key in _model_sql(out):
            holder[key] = self.rule(holder[key])
        return _set_dialect(out, "spark")

    def rule(self, sql: Any) -> Any:
        if not isinstance(sql, str):
            return sql  # a Splink creator writes its own dialect
        spark = to_spark_sql(sql)
        self._back.setdefault(spark, sql)
        return spark

    def canonical(self, model: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(model)
        for holder, key in _model_sql(out):
            original = self._back.get(holder[key])
            if original is None:
                raise ValueError(f"Spark model SQL with no DuckDB original: {holder[key]!r}")
            holder[key] = original
        return _set_dialect(out, "duckdb")

    def readable(self, sdf: SplinkDataFrame, columns: tuple[str, ...]) -> str:
        path = self._path(sdf.physical_name)
        sdf.as_spark_dataframe().select(*columns).write.parquet(path)
        literal = path.replace("'", "''")
        return f"read_parquet('{literal}/*.parquet')"


def make_engine(settings: EngineSettings | None = None) -> LinkageEngine:
    """The engine `settings` name (default DuckDB)."""
    settings = settings or EngineSettings()
    return SparkEngine(settings) if settings.name == "spark" else DuckDBEngine()


_CURRENT: contextvars.ContextVar[LinkageEngine | None] = contextvars.ContextVar(
    "bold_linkage_engine", default=None)


def current() -> LinkageEngine:
    """The engine set by `use`, else the one the settings name (DuckDB by default; a Spark
    engine's work folder beside the warehouse)."""
    from bold_assets.settings import get_settings

    engine = _CURRENT.get()
    return engine if engine is not None else make_engine(get_settings().engine)


@contextmanager
def use(engine: LinkageEngine) -> Iterator[LinkageEngine]:
    """Link on `engine` within the block."""
    token = _CURRENT.set(engine)
    try:
        yield engine
    finally:
        _CURRENT.reset(token)


# Spark session --------------------------------------------------------------------------------

# the process's Spark session and the settings it was started with (Spark runs one context
# per process: a session asked for with other settings gets this one, with a warning)
_SPARK: dict[str, Any] = {}


def check_spark() -> None:
    """Raise `EngineUnavailable` unless pyspark imports and Java 17 or later runs."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise EngineUnavailable(
            f"BOLD_LINKAGE_ENGINE=spark needs pyspark, which is not installed: {INSTALL_SPARK}"
        ) from None
    java = _java()
    if java is None:
        raise EngineUnavailable(
            f"BOLD_LINKAGE_ENGINE=spark needs a Java runtime (none on PATH or JAVA_HOME): "
            f"{INSTALL_SPARK}")
    version = _java_version(java)
    if version is not None and version < MIN_JAVA:
        raise EngineUnavailable(f"BOLD_LINKAGE_ENGINE=spark needs Java {MIN_JAVA} or later; "
                                f"{java} is Java {version}: {INSTALL_SPARK}")


def check_engine(settings: EngineSettings) -> None:
    """Raise `EngineUnavailable` when the engine `settings` name cannot run here."""
    if settings.name == "spark":
        check_spark()


def _java() -> str | None:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and Path(java_home, "bin", "java").exists():
        return str(Path(java_home, "bin", "java"))
    return shutil.which("java")


@cache
def _java_version(java: str) -> int | None:
    """The major version `java -version` states (None if it says none)."""
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major  # "1.8" is Java 8


def spark_session(settings: EngineSettings) -> Any:
    """The process's Spark session, started with `settings` on first use."""
    if _SPARK:
        if _SPARK["settings"] != settings and not _SPARK.get("warned"):
            _SPARK["warned"] = True
            logger.warning("Spark runs one session per process: keeping the one started on "
                           "%s, with its memory, partitions and work folder",
                           _SPARK["settings"].spark_master)
        return _SPARK["session"]
    check_spark()
    _fix_splink_spark_dialect()
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    conf = {"spark.jars": f"{similarity_jar_location()},{SIMILARITY_JAR}",
            "spark.sql.shuffle.partitions": str(settings.spark_shuffle_partitions),
            "spark.default.parallelism": str(settings.spark_shuffle_partitions),
            "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
            "spark.sql.session.timeZone": "UTC",
            "spark.driver.memory": settings.spark_driver_memory,
            "spark.executor.memory": settings.spark_executor_memory}
    if settings.work_dir:  # shuffle and spill files hold identifiers too
        shuffle = Path(settings.work_dir).resolve() / "shuffle"
        shuffle.mkdir(parents=True, exist_ok=True)
        conf["spark.local.dir"] = str(shuffle)
    conf.update(dict(settings.spark_conf))
    builder = SparkSession.builder.appName("bold-assets-linkage").master(settings.spark_master)
    for k, v in conf.items():
        if v:
            builder = builder.config(k, v)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # no JVM, a wrong master, ...
        raise EngineUnavailable(f"Spark did not start at {settings.spark_master}: {exc}; "
                                f"{INSTALL_SPARK}") from exc
    session.sparkContext.setLogLevel("ERROR")
    from pyspark.sql.types import DoubleType

    try:
        session.udf.registerJavaFunction(SPARK_JARO_WINKLER, "boldassets.DuckDBJaroWinkler",
                                         DoubleType())
    except Exception as exc:  # the jar left out of spark.jars (e.g. by BOLD_SPARK_CONF)
        session.stop()
        raise EngineUnavailable(f"Spark cannot load bold's Jaro-Winkler from {SIMILARITY_JAR}: "
                                f"{exc}; keep it in spark.jars") from exc
    _SPARK.update(session=session, settings=settings)
    return session


def stop_spark() -> None:
    """Stop the process's Spark session, if one runs (the next use starts a new one)."""
    if _SPARK:
        _SPARK.pop("session").stop()
        _SPARK.clear()


def _fix_splink_spark_dialect() -> None:
    """Splink writes Spark SQL through its `customspark` sqlglot dialect, whose generator
    subclasses sqlglot's Spark generator. sqlglotc (which dagster-dbt's `sqlglot[rs]` installs)
    compiles that generator, and a compiled class cannot be subclassed, so every query fails
    ("interpreted classes cannot inherit from compiled"). Re-register the name as sqlglot's
    own Spark dialect: Splink's subclass only wrote float literals cast to double as `1.0D`,
    and Spark reads `CAST(1.0 AS DOUBLE)` the same. The one reach into Splink's internals;
    `tests/test_engine.py` checks it still holds."""
    import splink.internals.spark.spark_helpers.custom_spark_dialect  # noqa: F401  registers it

    try:
        sqlglot.transpile("SELECT CAST(0.5 AS DOUBLE)", read="spark", write="customspark")
        return
    except TypeError:
        pass
    from sqlglot.dialects import Spark

    class CustomSpark(Spark):  # noqa: F841  the metaclass registers "customspark"
        pass
