"""Shared fixtures: small synthetic warehouses built for real, once per test session.

Under pytest-xdist (`make test` runs `-n 2 --dist loadgroup`) each warehouse is still built once
for the whole session: workers share it through a file lock in the session's common temp folder,
every test that reads the full pipeline warehouse runs on one worker (xdist group "pipeline"),
which starts with them while the other worker runs the rest, and every other module's tests run
on one worker (a group per module), so module fixtures are built once.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from filelock import FileLock

from bold_assets.warehouse import open_file


def _temp_in_memory(folder: str = "/dev/shm", need_gb: float = 6.0) -> None:
    """Tests' temporary folders (warehouses, Dagster instances, dbt targets) in a RAM-backed
    folder when the machine has one with room: the pipeline writes thousands of small Dagster
    events and DuckDB checkpoints, and a disk's syncs were about a tenth of the suite's time.
    Set TMPDIR to choose another folder; pytest's base temp follows it (xdist's workers too)."""
    if os.environ.get("TMPDIR") or not os.access(folder, os.W_OK):
        return
    stats = os.statvfs(folder)
    if stats.f_bavail * stats.f_frsize >= need_gb * 1e9:
        os.environ["TMPDIR"] = folder
        tempfile.tempdir = None  # gettempdir() reads TMPDIR again


_temp_in_memory()

SMALL_POPULATION = 16_000  # general population; about 2,600 people have a wave-0 record
TEST_SEED = 7
TEST_PROJECT_KEY = "test-project-key-not-secret"


@contextmanager
def bold_env(**values: str | None) -> Iterator[None]:
    """Set environment variables (BOLD_* and others) for the duration of a block, then restore
    them."""
    saved = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = str(v)
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def instance_home(home: Path) -> Path:
    """A DAGSTER_HOME for the runs a test reads back: the project's instance configuration
    (`bold_assets/dagster.yaml`) with Dagster's consolidated SQLite event log, one database for
    every run's events, which Dagster keeps for tests. The default writes each run's events to a
    file of its own and copies every asset and check event into an index database, opening a
    connection per write: the consolidated log builds the pipeline warehouse about 10% sooner
    (2,000 checks, 9,000 events). The shipped configuration, with the default event log, is
    what the daemon's backfill and the concurrency tests run on."""
    import dagster as dg

    from bold_assets.instance import INSTANCE_CONFIG

    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_CONFIG.read_text() + CONSOLIDATED_EVENT_LOG.format(
            folder=json.dumps(str(home / "history"))))  # a YAML string, whatever the path
        # its database made here, once: the consolidated log creates its tables only when its
        # file does not exist yet, so two processes opening it first at once could find it
        # without them
        dg.DagsterInstance.from_config(str(home)).dispose()
    return home


# an absolute folder, so an instance read with DagsterInstance.from_config(home) finds it (a
# copy of a home needs instance_home again: tests/test_ui_browser.py). The tests' one naming of
# a Dagster storage class inside `dagster._core`: tests/test_run_origin.py checks it still loads.
CONSOLIDATED_EVENT_LOG = """
event_log_storage:
  module: dagster._core.storage.event_log
  class: ConsolidatedSqliteEventLogStorage
  config:
    base_dir: {folder}
"""


def materialize(warehouse: Path, select: str | None = None, **env: str | None) -> None:
    """`bold materialize` on `warehouse` (optionally a subset), failing on any error; runs go to
    a temporary Dagster instance unless DAGSTER_HOME is given."""
    from bold_assets.cli import main

    env = {"DAGSTER_HOME": None, **env}
    if env["DAGSTER_HOME"]:
        instance_home(Path(env["DAGSTER_HOME"]))
    with bold_env(BOLD_WAREHOUSE=str(warehouse), BOLD_POPULATION=str(SMALL_POPULATION),
                  BOLD_SEED=str(TEST_SEED), BOLD_PROJECT_KEY=TEST_PROJECT_KEY, **env):
        args = ["materialize"] + (["--select", select] if select else [])
        assert main(args) == 0, f"bold materialize {select or ''} failed"


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, select: str | None,
               file_name: str = "bold.duckdb", **env: str | None) -> Path:
    """`bold materialize` into a warehouse built once per session, shared by xdist workers."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        root = tmp_path_factory.mktemp(name)
        materialize(root / file_name, select=select, BOLD_LANDING_DIR=None,
                    **{k: v.format(root=root) if v else v for k, v in env.items()})
        return root / file_name
    root = tmp_path_factory.getbasetemp().parent / f"shared_{name}"
    root.mkdir(exist_ok=True)
    path, done = root / file_name, root / "built"
    with FileLock(str(root) + ".lock"):
        if not done.exists():
            materialize(path, select=select, BOLD_LANDING_DIR=None,
                        **{k: v.format(root=root) if v else v for k, v in env.items()})
            done.write_text("ok")
    return path


@pytest.fixture(scope="session")
def world_tables() -> dict:
    """Every wave's synthetic tables at the small population, generated once per worker."""
    from bold_assets.world.generate import generate_world

    return generate_world(SMALL_POPULATION, TEST_SEED).tables


def copied_from_pipeline(tmp_path_factory: pytest.TempPathFactory, name: str,
                         schemas: tuple[str, ...]) -> Path | None:
    """A new warehouse holding the `schemas` of the session's pipeline warehouse, when xdist's
    workers have built it already (None otherwise, or when it is held open for writing): the
    tables a build of those schemas makes, as the pipeline's assets made them from the same
    population, seed and code, without building them again."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return None
    shared = tmp_path_factory.getbasetemp().parent / "shared_pipeline"
    if not (shared / "built").exists():
        return None
    path = tmp_path_factory.mktemp(name) / "bold.duckdb"
    with duckdb.connect(str(path)) as con:
        try:
            con.execute(f"ATTACH '{shared / 'outputs.duckdb'}' AS pipeline (READ_ONLY)")
        except duckdb.IOException:  # the pipeline's file is open for writing: build instead
            return None
        for schema, table in con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = "
                "'pipeline' AND list_contains(?, schema_name) ORDER BY ALL",
                [list(schemas)]).fetchall():  # fmt: skip
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            con.execute(f'CREATE TABLE "{schema}"."{table}" AS '
                        f'SELECT * FROM pipeline."{schema}"."{table}"')
    return path


@pytest.fixture(scope="session")
def raw_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse holding raw, truth and reference tables for a small population (those of
    the pipeline warehouse when it is built already)."""
    return (copied_from_pipeline(tmp_path_factory, "raw_copy", ("raw", "truth", "reference"))
            or built_once(tmp_path_factory, "raw", "raw/*,truth/*,reference/*"))


@pytest.fixture(scope="session")
def pipeline_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse materialised by `bold materialize` (every asset) for a small population.

    Its file is named `outputs.duckdb` (a name DuckDB would turn into a catalog colliding with
    the `outputs` schema) and its runs are kept in a Dagster instance at `dagster_home` beside
    it (see `pipeline_dagster_home`), so the tests on it cover both.
    """
    return built_once(tmp_path_factory, "pipeline", None, file_name="outputs.duckdb",
                      DAGSTER_HOME="{root}/dagster_home")


@pytest.fixture(scope="session")
def pipeline_dagster_home(pipeline_warehouse: Path) -> Path:
    """The DAGSTER_HOME that recorded the run building `pipeline_warehouse`."""
    return pipeline_warehouse.parent / "dagster_home"


# Groups whose tests take longest on one worker (seconds, from `--durations=0`; a guide for
# ordering only: a group missing here runs after them). xdist hands the groups out in this order
# (pyproject's addopts turn off its own ordering by number of tests), so the long ones start
# first and the short ones fill the end. "test_refresh" holds tests/test_spark.py,
# tests/test_backfill_daemon.py and tests/test_wave_design.py (SHARED_GROUPS below).
LONG_GROUPS = {"test_refresh": 190, "test_dbt": 59, "test_landing": 30,
               "test_quality_concurrency": 20, "test_world": 17, "test_raw_assets": 10,
               "test_linkage_core": 10, "test_quality_fast": 7, "test_quality": 7}


pytest_plugins = ["tests.refresh_runs"]  # the `refreshed` runs (see SHARED_GROUPS)

# Modules that share a session fixture run in one group (on one worker): tests/test_spark.py
# builds on tests/test_refresh.py's refreshes (`refreshed`, tests/refresh_runs.py), and
# tests/test_backfill_daemon.py compares the daemon's ids with them; the daemon's runs and
# tests/test_wave_design.py's dummy wave reuse the models they trained.
SHARED_GROUPS = {"test_spark": "test_refresh", "test_backfill_daemon": "test_refresh",
                 "test_wave_design": "test_refresh"}


@pytest.hookimpl(tryfirst=True)  # before xdist's loadgroup reads the xdist_group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests on the pipeline warehouse first, and on one xdist worker (group "pipeline"); every
    other test with the rest of its module (group: the module's name), so a module-scoped
    fixture (a refresh, a landing baseline, a dbt build) is built on one worker, not on both."""
    pipeline = [i for i in items if "pipeline_warehouse" in getattr(i, "fixturenames", ())]

    def group(item: pytest.Item) -> str:
        return SHARED_GROUPS.get(item.path.stem, item.path.stem)

    for item in items:
        item.add_marker(pytest.mark.xdist_group("pipeline" if item in pipeline else group(item)))
    # the longest groups next (longest first), so the short ones are left to share between
    # the two workers at the end
    rest = sorted((i for i in items if i not in pipeline),
                  key=lambda i: -LONG_GROUPS.get(group(i), 0))
    items[:] = pipeline + rest


def pytest_collection_finish(session: pytest.Session) -> None:
    """Under `--dist loadgroup`, every test must carry xdist's `@<group>` node-id suffix, else
    both workers wait on the pipeline build and build module fixtures twice (pytest 9 drops the
    suffix xdist 3.8 sets: pyproject pins pytest < 9)."""
    if not (os.environ.get("PYTEST_XDIST_WORKER") and session.config.getvalue("loadgroup")):
        return
    lost = [i.nodeid for i in session.items if i.get_closest_marker("xdist_group")
            and "@" not in i.nodeid]
    if lost:
        raise pytest.UsageError(f"xdist put no group on {lost[0]} (and {len(lost) - 1} more): "
                                "pytest and pytest-xdist disagree on node ids; see pyproject")


@pytest.fixture
def read_only():
    """Open a warehouse read-only: `with read_only(path) as con: ...`."""

    @contextmanager
    def _open(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
        con = open_file(path, read_only=True)  # any file name (the pipeline's is outputs.duckdb)
        try:
            yield con
        finally:
            con.close()

    return _open
