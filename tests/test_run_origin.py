"""Runs that `bold materialize` creates carry the code location's origin (bold_assets.run_origin),
the one place the project reaches into Dagster's internals for runs: this checks it still holds
on the pinned Dagster."""

from __future__ import annotations

import dagster as dg
import pytest
import yaml

from bold_assets import run_origin


def test_the_origin_is_the_workspace_location_of_the_job():
    workspace = yaml.safe_load(run_origin.WORKSPACE_FILE.read_text())
    [entry] = workspace["load_from"]
    origin = run_origin.workspace_job_origin("wave_0_job")
    assert origin.job_name == "wave_0_job"
    assert origin.location_name == entry["python_module"]["module_name"]
    assert origin.repository_origin.repository_name == "__repository__"


def test_runs_created_within_carry_the_origin_and_only_there(tmp_path):
    @dg.asset
    def one() -> int:
        return 1

    job = dg.Definitions(assets=[one], jobs=[dg.define_asset_job("wave_0_job")]).resolve_job_def(
        "wave_0_job")
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        with run_origin.runs_with_origin(instance, "wave_0_job"):
            inside = job.execute_in_process(instance=instance)
        outside = job.execute_in_process(instance=instance)
        with_origin = instance.get_run_by_id(inside.run_id).remote_job_origin
        assert with_origin == run_origin.workspace_job_origin("wave_0_job")
        assert instance.get_run_by_id(outside.run_id).remote_job_origin is None
        assert "create_run_for_job" not in vars(instance)  # the instance is left as it was


def test_without_a_workspace_file_there_is_no_origin(tmp_path):
    assert run_origin.workspace_job_origin("wave_0_job", tmp_path / "workspace.yaml") is None
    two = tmp_path / "two.yaml"
    two.write_text("load_from:\n  - python_module: {module_name: a}\n"
                   "  - python_module: {module_name: b}\n")
    with pytest.warns(UserWarning, match="2 code locations"):
        assert run_origin.workspace_job_origin("wave_0_job", two) is None


def test_nested_blocks_and_errors_leave_the_instance_as_it_was(tmp_path):
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        with run_origin.runs_with_origin(instance, "wave_0_job"):
            outer = instance.create_run_for_job
            with run_origin.runs_with_origin(instance, "wave_0_job"):
                pass
            assert instance.create_run_for_job is outer  # the enclosing block's, restored
        assert "create_run_for_job" not in vars(instance)
        with pytest.raises(ValueError), run_origin.runs_with_origin(instance, "wave_0_job"):
            raise ValueError("a failed run")
        assert "create_run_for_job" not in vars(instance)


def test_the_test_instances_consolidated_event_log_still_loads(tmp_path):
    """tests/conftest.py `instance_home` names Dagster's ConsolidatedSqliteEventLogStorage by its
    module path inside `dagster._core` (Dagster is pinned to 1.13): an instance made from it
    stores and reads back an event in the one database it names."""
    from tests.conftest import instance_home

    home = instance_home(tmp_path / "home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.event_log_storage).__name__ == "ConsolidatedSqliteEventLogStorage"
        instance.report_runless_asset_event(dg.AssetMaterialization("probe"))
        assert instance.get_latest_materialization_event(dg.AssetKey("probe")) is not None
    assert (home / "history" / "event_log.db").exists()
