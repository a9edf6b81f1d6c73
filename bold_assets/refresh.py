"""Weekly snapshot refreshes: the snapshot partitions of a date range, one run each, in order.

`bold refresh --from 2023-10-02 --to 2023-12-04` (`refresh`) launches them as a Dagster backfill
of the wave's job through the webserver, as the UI's "Launch backfill" does (`backfill.py`), and
the daemon runs them one at a time in order. `run_in_order` runs them in this process instead, one
`execute_in_process` after another with no backfill and no daemon: what the benchmarks time and
the tests use as the sequential reference.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

SCORING_OP = "linkage__pairwise_predictions"  # wave 0's scoring step, what --full-relink redoes


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


def full_relink_config(asset_keys: list[Any]) -> dict | None:
    """Run config scoring every pair again, when the selection holds wave 0's scoring step."""
    import dagster as dg

    if dg.AssetKey(["linkage", "pairwise_predictions"]) not in asset_keys:
        return None
    return {"ops": {SCORING_OP: {"config": {"full_relink": True}}}}


def run_in_order(keys: list[str], *, full_relink: bool = False, job_name: str = "wave_0_job",
                 asset_selection: Any = None, checks: bool = True,
                 log: Callable[[str], Any] = print) -> list[Any]:
    """Run the job once per partition key in this process, in order; stops at the first failed
    run. Returns the runs' results.

    `asset_selection`: asset keys (default: the whole job); `checks=False` leaves out their
    asset checks (quality suites), e.g. to time the refresh itself.
    """
    import dagster as dg

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
    config = full_relink_config(asset_keys) if full_relink else None
    results = []
    for key in keys:
        # the workspace's job (not the variant without checks): on the UI's timeline
        with runs_with_origin(instance, job.name) if checks else nullcontext():
            result = job.execute_in_process(
                instance=instance, partition_key=key, run_config=config,
                asset_selection=asset_selection, raise_on_error=False)
        results.append(result)
        log(f"bold: snapshot {key}: run {result.run_id} "
            f"{'succeeded' if result.success else 'FAILED'}")
        if not result.success:
            break
    return results


def refresh(keys: list[str], *, job_name: str = "wave_0_job", asset_keys: list[Any] | None = None,
            full_relink: bool = False, url: str | None = None, log_dir: Path | None = None,
            log: Callable[[str], Any] = print) -> Any:
    """Launch the refreshes of `keys` as one Dagster backfill of `job_name` and wait for it
    (see `backfill.py`); on the webserver at `url`, else on a `dagster dev` started for the
    duration. Returns the `BackfillResult`."""
    from bold_assets import backfill

    paths = [list(k.path) for k in asset_keys] if asset_keys else None
    config = full_relink_config(asset_keys or job_asset_keys(job_name)) if full_relink else None
    if url:
        server = nullcontext(url)
    else:
        log_dir = log_dir or Path(os.environ["DAGSTER_HOME"]) / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        log_file = log_dir / f"bold-refresh-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        log(f"bold: starting dagster dev (webserver and daemon) for the backfill; its log: "
            f"{log_file}")
        server = backfill.dagster_dev(log_file)
    with server as address:
        backfill_id = backfill.launch(address, job_name, keys, asset_keys=paths,
                                      run_config=config)
        log(f"bold: backfill {backfill_id} of {job_name}: {len(keys)} weekly snapshots, one run "
            f"each, queued one at a time in order ({address}/runs/b/{backfill_id})")
        result = backfill.wait(address, backfill_id, log=log)
    ok = sum(r.status == "SUCCESS" for r in result.runs)
    log(f"bold: backfill {backfill_id}: {ok} of {len(keys)} snapshots refreshed "
        "(the Dagster UI lists it under Overview > Backfills)")
    return result


def job_asset_keys(job_name: str, select: str | None = None) -> list[Any]:
    """The asset keys of `job_name`, or those of them a `--select` value matches (see
    `cli.resolve_selection`; a malformed value raises)."""
    from bold_assets.cli import resolve_selection
    from bold_assets.definitions import defs

    keys = set(defs.resolve_job_def(job_name).asset_layer.executable_asset_keys)
    if select is None:
        return sorted(keys, key=lambda k: k.path)
    return [k for k in resolve_selection(select, defs.resolve_asset_graph()) if k in keys]
