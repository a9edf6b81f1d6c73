"""Refreshes the Dagster way: a backfill launched through the webserver (the mutation the UI's
"Launch backfill" sends) and a Materialize launched while it runs, both run by `dagster dev`'s
daemon on the project's instance (`bold_assets/dagster.yaml`: one run at a time). The backfill's
runs are submitted by the webserver at once (`submit_now`) rather than at the daemon's next
backfill pass, up to 30 s later; they then wait in the same run queue, which is what is tested
(`bold refresh` takes the daemon's path: its backfill is in the closing note of issue 24).

The runs must all succeed, never overlap, run the snapshots in order, and give the ids a
sequential in-process refresh of the same weeks gives: the refreshes of `refreshed`
(tests/refresh_runs.py, the same population, seed, weeks and assets; this module runs in its
xdist group, so the refreshes are made once for both), whose trained models the backfill's
first run finds saved beside its warehouse (so no model is trained in a run the daemon
launches: training is tested in process, in tests/test_refresh.py and
tests/test_linkage_core.py). That warehouse refreshed its first week
twice more before the second (a re-run, and every pair scored again on Spark), which
tests/test_refresh.py and tests/test_spark.py show changes no id.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from bold_assets import backfill
from bold_assets.instance import ensure_instance_config
from tests.conftest import TEST_PROJECT_KEY, TEST_SEED
from tests.refresh_runs import FIRST, POPULATION, REFRESH, SECOND, copy_trained_models

WEEKS = [FIRST, SECOND]
SELECT = REFRESH
ONE_ASSET = ["linkage", "std_mags"]  # what a Materialize click on one asset launches

LAUNCH_RUN = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {
    __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
RUN = """query($id: ID!) { runOrError(runId: $id) { ... on Run { runId status startTime endTime
    tags { key value } } } }"""


def _env(root: Path) -> dict[str, str]:
    return {"BOLD_WAREHOUSE": str(root / "bold.duckdb"), "BOLD_POPULATION": str(POPULATION),
            "BOLD_SEED": str(TEST_SEED), "BOLD_PROJECT_KEY": TEST_PROJECT_KEY,
            "DAGSTER_HOME": str(root / "dagster_home")}


def _selection() -> list[list[str]]:
    from bold_assets.refresh import job_asset_keys

    return [list(k.path) for k in job_asset_keys("wave_0_job", SELECT)]


def _ids(path: Path) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT snapshot_date, source_dataset, record_id, person_id FROM "
                           "linkage.person_ids_history ORDER BY ALL").df()


def _run(url: str, run_id: str) -> dict:
    return backfill.graphql(url, RUN, {"id": run_id})["runOrError"]


def _wait_run(url: str, run_id: str, timeout_s: float = 300) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        run = _run(url, run_id)
        if run["status"] in backfill.FINISHED or time.monotonic() > deadline:
            return run
        time.sleep(1)


@pytest.fixture(scope="module")
def daemon_run(tmp_path_factory: pytest.TempPathFactory, refreshed: dict) -> dict:
    root = tmp_path_factory.mktemp("daemon")
    copy_trained_models(refreshed, root)  # trained on the same extracts
    env = _env(root)
    ensure_instance_config(env["DAGSTER_HOME"])
    selection = _selection()
    with backfill.dagster_dev(root / "dagster_dev.log", env={**os.environ, **env},
                              graceful=False) as url:
        run_ids = backfill.launch(url, "wave_0_job", WEEKS, asset_keys=selection,
                                  submit_now=True)
        # a Materialize of one asset, launched once the backfill's first run has started
        deadline = time.monotonic() + 300
        while not any(_run(url, r)["status"] == "STARTED" for r in run_ids):
            assert time.monotonic() < deadline, "the backfill's first run never started"
            time.sleep(0.5)
        repo = backfill.partition_set(url, "wave_0_job")["repositorySelector"]
        launched = backfill.graphql(url, LAUNCH_RUN, {"p": {"selector": {
            **repo, "pipelineName": "__ASSET_JOB", "assetSelection": [{"path": ONE_ASSET}]}}})
        assert launched["launchRun"]["__typename"] == "LaunchRunSuccess", launched
        one_id = launched["launchRun"]["run"]["runId"]
        queued = _run(url, one_id)["status"]
        runs = [backfill.RunState.of(_wait_run(url, r)) for r in run_ids]
        one = _wait_run(url, one_id)
    result = backfill.BackfillResult("", "", sorted(runs, key=lambda r: r.partition))
    return {"result": result, "one": one, "one_queued": queued,
            "ids": _ids(root / "bold.duckdb"), "reference_ids": _ids(refreshed["path"])}


def test_backfill_and_materialize_run_one_at_a_time_in_order(daemon_run):
    result, one = daemon_run["result"], daemon_run["one"]
    assert result.success and [r.partition for r in result.runs] == WEEKS, result
    assert one["status"] == "SUCCESS", one
    # launched while the backfill ran, the Materialize waited in the queue
    assert daemon_run["one_queued"] in ("QUEUED", "NOT_STARTED"), daemon_run["one_queued"]
    spans = sorted([(r.start, r.end, r.partition) for r in result.runs]
                   + [(one["startTime"], one["endTime"], "materialize")])
    for (_, end, a), (start, _, b) in zip(spans, spans[1:], strict=False):
        assert start >= end, f"{a} and {b} overlapped"
    starts = {p: s for s, _, p in spans}
    assert starts[WEEKS[0]] < starts[WEEKS[1]]  # the snapshots in order


def test_daemon_backfill_gives_the_ids_of_a_sequential_refresh(daemon_run):
    ids, reference = daemon_run["ids"], daemon_run["reference_ids"]
    weeks = {d.isoformat() if isinstance(d, dt.date) else str(d)[:10]
             for d in ids["snapshot_date"]}
    assert len(weeks) == len(WEEKS) and len(ids) > 500
    pd.testing.assert_frame_equal(ids, reference)  # 100% the same ids


def test_instance_config_is_copied_once_and_a_parallel_one_is_named(tmp_path):
    home = tmp_path / "home"
    assert ensure_instance_config(home) is None
    assert "max_concurrent_runs: 1" in (home / "dagster.yaml").read_text()
    (home / "dagster.yaml").write_text("run_queue:\n  max_concurrent_runs: 4\n")
    warning = ensure_instance_config(home)
    assert warning and "side by side" in warning  # an engineer's own file is left alone
    assert "max_concurrent_runs: 4" in (home / "dagster.yaml").read_text()


def test_bold_materialize_waits_for_a_run_in_progress():
    from types import SimpleNamespace

    from bold_assets.instance import wait_for_runs_in_progress

    class Instance:  # a run in progress for two polls, then none
        polls = 0

        def get_runs(self, filters=None):
            self.polls += 1
            assert {s.value for s in filters.statuses} == {"STARTING", "STARTED", "CANCELING"}
            return [SimpleNamespace(run_id="r1", job_name="wave_0_job")] if self.polls <= 2 else []

    said: list[str] = []
    instance = Instance()
    wait_for_runs_in_progress(instance, log=said.append, poll_s=0.01)
    assert instance.polls == 3 and len(said) == 1 and "r1" in said[0]
    with pytest.raises(TimeoutError):
        Instance.polls = 0
        wait_for_runs_in_progress(Instance(), poll_s=0.01, timeout_s=0.0)


def test_a_linkage_step_refuses_extracts_of_another_week():
    """Per-snapshot state: the extracts are not kept per partition, so a partitioned linkage
    step checks that the warehouse's extracts are of its run's week (another run may have
    replaced them, e.g. an asset backfill with another week's extracts in between)."""
    import dagster as dg

    from bold_assets.defs.snapshots import SNAPSHOT_PARTITIONS, require_run_snapshot

    context = dg.build_asset_context(partition_key="2023-10-09")
    with pytest.raises(dg.Failure, match="extracts are of snapshot 2023-10-02.*week of 2023-10-09"):
        require_run_snapshot(context, dt.date(2023, 10, 2))
    require_run_snapshot(context, dt.date(2023, 10, 9))  # its own week: fine
    require_run_snapshot(context, dt.date(2023, 10, 13))  # a date within the week (a tag's)
    require_run_snapshot(dg.build_asset_context(), dt.date(2020, 1, 1))  # unpartitioned
    assert "2023-10-09" in SNAPSHOT_PARTITIONS.get_partition_keys()


def test_linkage_assets_depend_on_their_previous_week():
    import dagster as dg

    from bold_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    partitioned = [k for k in graph.get_all_asset_keys()
                   if k.path[0] == "linkage" and graph.get(k).partitions_def is not None]
    assert dg.AssetKey(["linkage", "person_ids"]) in partitioned and len(partitioned) >= 6
    for key in partitioned:
        assert key in graph.get(key).parent_keys, key  # a self-dependency
        mapping = graph.get_partition_mapping(key, key)
        assert isinstance(mapping, dg.TimeWindowPartitionMapping)
        assert (mapping.start_offset, mapping.end_offset) == (-1, -1)


def test_a_deployment_sets_when_the_weekly_schedule_ticks(monkeypatch):
    """`BOLD_WAVE_<n>_CRON` moves the wave's schedule (e.g. to the morning its extracts land);
    the tick still launches the refresh of the week's snapshot. A daemon tick of the schedule on
    `dagster dev` is in the closing note of issue 24 (a tick is at most once a minute: too slow
    for the suite)."""
    import dagster as dg

    from bold_assets.catalog.waves import DECLARED
    from bold_assets.defs.factories.waves import wave_schedule
    from bold_assets.settings import SettingsError

    job = dg.define_asset_job("wave_0_job", partitions_def=dg.WeeklyPartitionsDefinition(
        start_date="2023-01-02", day_offset=1))
    monkeypatch.setenv("BOLD_WAVE_0_CRON", "30 6 * * 2")
    schedule = wave_schedule(DECLARED[0], job, partitioned=True)
    assert schedule.cron_schedule == "30 6 * * 2"
    monkeypatch.setenv("BOLD_WAVE_0_CRON", "*/5 * * * *")
    with pytest.raises(SettingsError, match="BOLD_WAVE_0_CRON.*must be weekly"):
        wave_schedule(DECLARED[0], job, partitioned=True)
    monkeypatch.delenv("BOLD_WAVE_0_CRON")
    assert wave_schedule(DECLARED[0], job, partitioned=True).cron_schedule == DECLARED[0].cron
