"""The project's Dagster instance: one run writes the warehouse at a time.

`INSTANCE_CONFIG` (`bold_assets/dagster.yaml`) sets Dagster's run queue to one run at a time, so
runs the daemon launches (backfills, schedule ticks, Materialize clicks in the UI) queue behind
each other in the order they were launched. `ensure_instance_config` copies it into a
DAGSTER_HOME that has no `dagster.yaml` (`bold` and `make ui` call it; `python -m
bold_assets.instance` does it for $DAGSTER_HOME). `wait_for_runs_in_progress` is what `bold
materialize`, which runs in its own process outside the queue, does before it starts.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

INSTANCE_CONFIG = Path(__file__).with_name("dagster.yaml")
IN_PROGRESS = ("STARTING", "STARTED", "CANCELING")


def one_run_at_a_time(config: dict | None) -> bool:
    """Whether an instance configuration queues runs one at a time."""
    queue = (config or {}).get("run_queue") or {}
    return queue.get("max_concurrent_runs") == 1


def ensure_instance_config(home: str | Path) -> str | None:
    """Copy the project's `dagster.yaml` into `home` when it has none. Returns a warning when
    `home` has its own configuration that lets runs write the warehouse side by side."""
    target = Path(home) / "dagster.yaml"
    Path(home).mkdir(parents=True, exist_ok=True)
    if not target.exists():
        shutil.copy(INSTANCE_CONFIG, target)
        return None
    if one_run_at_a_time(yaml.safe_load(target.read_text())):
        return None
    return (f"{target} does not queue runs one at a time (run_queue: max_concurrent_runs: 1, "
            f"as {INSTANCE_CONFIG.name} in bold_assets): runs launched together may write the "
            "warehouse side by side")


def runs_in_progress(instance: Any) -> list[Any]:
    """Runs of `instance` that are starting, running or being cancelled."""
    import dagster as dg

    statuses = [dg.DagsterRunStatus[s] for s in IN_PROGRESS]
    return list(instance.get_runs(filters=dg.RunsFilter(statuses=statuses)))


def wait_for_runs_in_progress(instance: Any, log: Callable[[str], Any] = print,
                              poll_s: float = 2.0, timeout_s: float | None = None) -> None:
    """Block while another run of `instance` is in progress (one writer of the warehouse at a
    time); raise TimeoutError after `timeout_s`."""
    started, said = time.monotonic(), set()
    while True:
        running = runs_in_progress(instance)
        if not running:
            return
        new = [r for r in running if r.run_id not in said]
        for run in new:
            log(f"bold: waiting for run {run.run_id} ({run.job_name}) to finish: one run writes "
                "the warehouse at a time (if the process running it is gone, terminate the run "
                "in the Dagster UI: Runs > the run > Terminate)")
            said.add(run.run_id)
        if timeout_s is not None and time.monotonic() - started > timeout_s:
            raise TimeoutError(f"run(s) {', '.join(r.run_id for r in running)} still in "
                               f"progress after {timeout_s:.0f} s")
        time.sleep(poll_s)


def main() -> int:
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        print("bold_assets.instance: DAGSTER_HOME is not set", file=sys.stderr)
        return 2
    warning = ensure_instance_config(home)
    if warning:
        print(f"bold: {warning}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
