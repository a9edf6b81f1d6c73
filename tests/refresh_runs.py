"""The refresh runs tests/test_refresh.py, tests/test_spark.py, tests/test_backfill_daemon.py and
tests/test_wave_design.py share (the last two reuse the models they trained): a pytest plugin
(`tests/conftest.py` loads it), so its session fixture is built once per worker (a fixture
imported into two test modules would be built once for each)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import TEST_PROJECT_KEY, TEST_SEED, bold_env, instance_home

POPULATION = 1000
FIRST, SECOND = "2023-10-02", "2023-12-04"
LINKAGE = "raw/*,truth/*,reference/*,linkage/*"
REFRESH = "raw/*,reference/*,linkage/*,research/person_id_changes"


def _refresh(warehouse: Path, snapshot: str, select: str = REFRESH, full_relink: bool = False,
             **env: str | None) -> int:
    """One weekly snapshot refreshed in this process (`refresh.run_in_order`; the daemon's
    backfill is tests/test_backfill_daemon.py), without the quality suites (their own tests
    cover them), runs kept in a Dagster instance beside the warehouse."""
    from bold_assets.refresh import job_asset_keys, run_in_order

    home = instance_home(warehouse.parent / "dagster_home")
    keys = job_asset_keys("wave_0_job", select)
    with bold_env(BOLD_WAREHOUSE=str(warehouse), BOLD_POPULATION=str(POPULATION),
                  BOLD_SEED=str(TEST_SEED), BOLD_PROJECT_KEY=TEST_PROJECT_KEY,
                  BOLD_SNAPSHOT_DATE=None, BOLD_LANDING_DIR=None, DAGSTER_HOME=str(home),
                  **{"BOLD_LINKAGE_ENGINE": None, **env}):
        results = run_in_order([snapshot], asset_selection=keys, checks=False,
                               full_relink=full_relink)
    return 0 if all(r.success for r in results) else 1


def _ids(con: duckdb.DuckDBPyConnection, snapshot: str) -> pd.DataFrame:
    return con.execute("SELECT source_dataset, record_id, person_id FROM "
                       "linkage.person_ids_history WHERE snapshot_date = ? ORDER BY 1, 2",
                       [dt.date.fromisoformat(snapshot)]).df()


def _state(path: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            "ids": _ids(con, FIRST),
            "clusters": con.execute("SELECT * FROM linkage.person_clusters ORDER BY ALL").df(),
            "pairs": con.execute("SELECT * FROM linkage.pairwise_predictions").df(),
            "changes": con.execute("SELECT kind, count(*) AS n FROM linkage.person_id_changes "
                                   "WHERE snapshot_date = ? GROUP BY 1 ORDER BY 1",
                                   [dt.date.fromisoformat(FIRST)]).df()}


@pytest.fixture(scope="session")  # shared by the modules of one xdist group (conftest)
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Linkage run on DuckDB for one snapshot; the same extracts refreshed again (nothing to
    score); every pair scored again on Spark (`SPARK_RELINK`; skipped where Spark cannot run);
    then refreshed to a later snapshot on DuckDB."""
    path = tmp_path_factory.mktemp("refresh") / "bold.duckdb"
    scoring = "linkage/pairwise_predictions,linkage/person_clusters,linkage/person_ids"
    assert _refresh(path, FIRST) == 0
    first = _state(path)
    assert _refresh(path, FIRST, scoring) == 0  # the same extracts again
    again = _state(path)
    spark = None
    if spark_runs():
        assert _refresh(path, FIRST, scoring, full_relink=True, **SPARK_RELINK) == 0
        spark = _state(path)
    assert _refresh(path, SECOND) == 0
    return {"path": path, "first": first["ids"], "again": again["ids"],
            "clusters_first": again["clusters"], "states": (first, spark)}


def copy_trained_models(refreshed: dict, root: Path) -> None:
    """The models `refreshed` trained, and their charts, beside a warehouse in `root`: its runs
    reuse them as saved models (what a team's refresh does) rather than train them again."""
    import shutil

    for folder in ("models", "reports"):
        shutil.copytree(refreshed["path"].parent / folder, root / folder)


# Spark settings for inputs of a few thousand records, where compiling costs more than running:
# the JVM's quick compiler only and its serial collector, Spark's expressions interpreted rather
# than compiled (`factoryMode` is an internal setting, for tests), no adaptive re-planning. They
# halve the JVM's CPU time in the tests (80 s to 40 s for the full relink) and change no result:
# the tests ask for DuckDB's values to 1e-9, and the 68k comparison in the README ran on Spark's
# defaults.
SMALL_INPUTS_SPARK_CONF = ";".join((
    "spark.driver.extraJavaOptions=-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    "spark.sql.codegen.wholeStage=false", "spark.sql.codegen.factoryMode=NO_CODEGEN",
    "spark.sql.adaptive.enabled=false"))

# the full relink's engine: Spark in local mode, one session for the worker, on one core (the
# other runs the other xdist worker; small inputs wait on Spark's jobs, not on its cores); every
# Spark test of the worker gets this session, whichever starts it
SPARK_RELINK = {"BOLD_LINKAGE_ENGINE": "spark", "BOLD_SPARK_MASTER": "local[1]",
                "BOLD_SPARK_SHUFFLE_PARTITIONS": "1", "BOLD_SPARK_CONF": SMALL_INPUTS_SPARK_CONF}


def spark_runs() -> bool:
    from bold_assets.linkage.engine import EngineUnavailable, check_spark

    try:
        check_spark()
    except EngineUnavailable:
        return False
    return True
