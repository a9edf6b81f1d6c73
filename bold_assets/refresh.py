"""Refresh runs: one wave-0 run per weekly snapshot, recorded in the Dagster instance.

`bold refresh --from 2023-10-02 --to 2023-12-04` replays the weekly partitions of that range in
order (a backfill), each as a run of `wave_0_job` for its partition, so each shows in the UI with
its snapshot date. Runs go one after another: every refresh builds on the ids of the one before.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
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


def run_refreshes(keys: list[str], *, full_relink: bool = False, job_name: str = "wave_0_job",
                  asset_selection: Any = None, checks: bool = True, log=print) -> list[Any]:
    """Run the job once per partition key, in order; stops at the first failed run.

    `asset_selection`: asset keys (default: the whole job); `checks=False` leaves out their
    asset checks (quality suites), e.g. to time the refresh itself.
    """
    import dagster as dg

    from bold_assets.definitions import defs

    job = defs.resolve_job_def(job_name)
    if not checks:
        keys_ = asset_selection or list(job.asset_layer.executable_asset_keys)
        variant = dg.define_asset_job(f"{job_name}_without_checks",
                                      selection=dg.AssetSelection.assets(*keys_).without_checks())
        job = dg.Definitions.merge(defs, dg.Definitions(jobs=[variant])).resolve_job_def(
            variant.name)
        asset_selection = None
    instance = (dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME")
                else dg.DagsterInstance.ephemeral())
    batch = uuid.uuid4().hex[:8]
    config = ({"ops": {"linkage__pairwise_predictions": {"config": {"full_relink": True}}}}
              if full_relink else None)
    results = []
    for key in keys:
        result = job.execute_in_process(
            instance=instance, partition_key=key, run_config=config,
            asset_selection=asset_selection, raise_on_error=False,
            tags={"bold/refresh_batch": batch})
        results.append(result)
        log(f"bold: snapshot {key}: run {result.run_id} "
            f"{'succeeded' if result.success else 'FAILED'}")
        if not result.success:
            break
    return results
