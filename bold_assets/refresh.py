"""Refresh runs: one run of a wave's job (wave 0's by default) per weekly snapshot, recorded in
the Dagster instance.

`bold refresh --from 2023-10-02 --to 2023-12-04` replays the weekly partitions of that range in
order, each as a run of `wave_0_job` for its partition, as one Dagster backfill. Runs go one
after another in this process (every refresh builds on the ids of the one before, and they all
write one DuckDB warehouse), so no daemon is needed. Dagster's own backfills are launched by its
daemon, which would start the partitions' runs side by side; instead, like `dagster job
backfill` does, the backfill is recorded in the instance by the command itself:

- each run carries Dagster's backfill tag (`dagster/backfill=<id>`), so the Runs page shows it
  and filters by it while the backfill goes on;
- when the last run ends, the backfill itself is added (an asset backfill over the job's assets
  and the snapshot partitions of the range, status completed or completed with failures, the
  partitions of the runs that succeeded marked materialised), so Overview > Backfills lists it
  with its partitions and runs. It is never stored as "requested", so a daemon running beside
  (`dagster dev`) never launches it a second time.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any


def partition_keys(start: str | None, end: str | None) -> list[str]:
    """Weekly snapshot keys from `start` to `end` (inclusive; dates snap to their week)."""
    from bold_assets.defs.snapshots import SNAPSHOT_PARTITIONS

    keys = SNAPSHOT_PARTITIONS.get_partition_keys()
    lo = dt.date.fromisoformat(start) if start else dt.date.fromisoformat(keys[0])
    hi = dt.date.fromisoformat(end) if end else dt.date.fromisoformat(keys[-1])
    picked = [k for k in keys
              if lo - dt.timedelta(days=6) <= dt.date.fromisoformat(k) <= hi]
    picked = [k for k in picked if dt.date.fromisoformat(k) + dt.timedelta(days=6) >= lo]
    if not picked:
        raise ValueError(f"no weekly snapshot between {start} and {end}; snapshots run from "
                         f"{keys[0]} to {keys[-1]}")
    return picked


def _backfill(instance: Any, asset_graph: Any, asset_keys: Sequence[Any], keys: list[str],
              ok_keys: list[str], backfill_id: str, started: float,
              run_config: dict | None) -> Any:
    """The asset backfill record of a finished refresh (Dagster's `PartitionBackfill`)."""
    from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill

    def entity(partitions: list[str]) -> Any:
        return PartitionBackfill.from_asset_partitions(
            backfill_id=backfill_id, asset_graph=asset_graph, partition_names=partitions,
            asset_selection=list(asset_keys), backfill_timestamp=started,
            tags={"bold/refresh": f"{keys[0]}..{keys[-1]}"},
            dynamic_partitions_store=instance, all_partitions=False,
            title=f"bold refresh {keys[0]} .. {keys[-1]}",
            description=f"weekly snapshot refreshes, {len(keys)} partitions, run in order by "
            "`bold refresh`", run_config=run_config)

    target = entity(keys)
    data = target.asset_backfill_data
    done = (entity(ok_keys).asset_backfill_data.target_subset if ok_keys
            else data.materialized_subset)
    data = data._replace(requested_runs_for_target_roots=True,
                         requested_subset=data.target_subset, materialized_subset=done,
                         failed_and_downstream_subset=data.target_subset - done)
    status = (BulkActionStatus.COMPLETED_SUCCESS if len(ok_keys) == len(keys)
              else BulkActionStatus.COMPLETED_FAILED)
    return (target.with_asset_backfill_data(data, dynamic_partitions_store=instance,
                                            asset_graph=asset_graph)
            .with_status(status).with_end_timestamp(time.time()))


def run_refreshes(keys: list[str], *, full_relink: bool = False, job_name: str = "wave_0_job",
                  asset_selection: Any = None, checks: bool = True,
                  log: Callable[[str], Any] = print) -> list[Any]:
    """Run the job once per partition key, in order, as one backfill; stops at the first failed
    run. Returns the runs' results; `.backfill_id` of the first names the backfill.

    `asset_selection`: asset keys (default: the whole job); `checks=False` leaves out their
    asset checks (quality suites), e.g. to time the refresh itself.
    """
    import dagster as dg
    from dagster._core.storage.tags import BACKFILL_ID_TAG
    from dagster._core.utils import make_new_backfill_id

    from bold_assets.definitions import defs
    from bold_assets.run_origin import runs_with_origin

    job = defs.resolve_job_def(job_name)
    asset_keys = list(asset_selection or job.asset_layer.executable_asset_keys)
    if not checks:
        variant = dg.define_asset_job(f"{job_name}_without_checks",
                                      selection=dg.AssetSelection.assets(*asset_keys)
                                      .without_checks())
        job = dg.Definitions.merge(defs, dg.Definitions(jobs=[variant])).resolve_job_def(
            variant.name)
        asset_selection = None
    instance = (dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME")
                else dg.DagsterInstance.ephemeral())
    backfill_id = make_new_backfill_id()
    started = time.time()
    scoring = dg.AssetKey(["linkage", "pairwise_predictions"])  # wave 0's scoring step
    config = ({"ops": {"linkage__pairwise_predictions": {"config": {"full_relink": True}}}}
              if full_relink and scoring in asset_keys else None)
    log(f"bold: backfill {backfill_id}: {len(keys)} weekly snapshots, one run each, in order")
    results, ok = [], []
    try:
        for key in keys:
            # the workspace's job (not the variant without checks): on the UI's timeline
            with runs_with_origin(instance, job.name) if checks else nullcontext():
                result = job.execute_in_process(
                    instance=instance, partition_key=key, run_config=config,
                    asset_selection=asset_selection, raise_on_error=False,
                    tags={BACKFILL_ID_TAG: backfill_id})
            result.backfill_id = backfill_id
            results.append(result)
            log(f"bold: snapshot {key}: run {result.run_id} "
                f"{'succeeded' if result.success else 'FAILED'}")
            if not result.success:
                break
            ok.append(key)
    finally:
        instance.add_backfill(_backfill(instance, defs.resolve_asset_graph(), asset_keys, keys,
                                        ok, backfill_id, started, config))
    log(f"bold: backfill {backfill_id}: {len(ok)} of {len(keys)} snapshots refreshed"
        + (" (the Dagster UI lists it under Overview > Backfills)"
           if os.environ.get("DAGSTER_HOME") else ""))
    return results
