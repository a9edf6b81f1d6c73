"""Weekly snapshot refreshes as a Dagster backfill, launched the way the UI launches one.

`bold refresh --from .. --to ..` launches a backfill of the wave's job over the weekly snapshot
partitions through the webserver's GraphQL API, with the mutation the job's Partitions tab sends
("Launch backfill": `launchPartitionBackfill` with the job's partition set). Dagster's daemon
submits one run per snapshot, each the whole job for its week; the project's instance
(`bold_assets/dagster.yaml`) queues runs one at a time in the order submitted, so each refresh
builds on the ids of the one before and nothing else writes the warehouse meanwhile. The command
waits for the backfill's runs and prints their progress.

Given `url`, the backfill goes to that webserver (`make ui` running on the same DAGSTER_HOME);
otherwise `dagster dev` (webserver and daemon) is started for DAGSTER_HOME for the duration and
stopped at the end. Only Dagster's public GraphQL API and command line are used.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bold_assets.defs.paths import PROJECT_DIR
from bold_assets.run_origin import WORKSPACE_FILE

FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}
SERVER_START_S = 300.0


class BackfillError(RuntimeError):
    """The webserver refused or could not run the backfill."""


def graphql(url: str, query: str, variables: dict | None = None, timeout_s: float = 60) -> dict:
    """POST a GraphQL query to the webserver at `url`; its `data`, or BackfillError."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{url.rstrip('/')}/graphql", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        payload = json.loads(response.read())
    if payload.get("errors"):
        raise BackfillError("; ".join(e.get("message", str(e)) for e in payload["errors"]))
    return payload["data"]


REPOSITORIES = """
query { repositoriesOrError {
  __typename
  ... on RepositoryConnection { nodes { name location { name }
                                        partitionSets { name pipelineName }
                                        schedules { name } } }
  ... on PythonError { message } } }"""

LAUNCH = """
mutation Launch($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename
  ... on LaunchBackfillSuccess { backfillId launchedRunIds }
  ... on PythonError { message }
  ... on PartitionSetNotFoundError { message }
  ... on InvalidSubsetError { message }
  ... on UnauthorizedError { message }
  ... on InvalidStepError { invalidStepKey }
  ... on InvalidOutputError { invalidOutputName } } }"""

BACKFILL = """
query Backfill($id: String!) { partitionBackfillOrError(backfillId: $id) {
  __typename
  ... on PartitionBackfill { status numPartitions
      runs(limit: 1000) { runId status startTime endTime tags { key value } } }
  ... on PythonError { message } } }"""


def partition_set(url: str, job_name: str) -> dict:
    """The repository selector and partition set name of `job_name` on the webserver."""
    data = graphql(url, REPOSITORIES)["repositoriesOrError"]
    if data["__typename"] != "RepositoryConnection":
        raise BackfillError(f"the webserver has no code location loaded: {data.get('message')}")
    for repo in data["nodes"]:
        for ps in repo["partitionSets"]:
            if ps["pipelineName"] == job_name:
                return {"partitionSetName": ps["name"], "repositorySelector": {
                    "repositoryLocationName": repo["location"]["name"],
                    "repositoryName": repo["name"]}}
    raise BackfillError(f"job {job_name} has no partitions on the webserver at {url}")


def launch(url: str, job_name: str, keys: list[str], *, asset_keys: list[list[str]] | None = None,
           run_config: dict | None = None, title: str | None = None,
           submit_now: bool = False) -> str | list[str]:
    """Launch the job's backfill over partitions `keys`; returns its id. `submit_now` (tests
    only): the webserver submits the runs itself instead of leaving them to the daemon's next
    backfill pass (up to 30 s later), records no backfill, and the runs' ids are returned; the
    runs, tagged with the backfill, then wait in the same run queue."""
    params: dict[str, Any] = {
        "selector": partition_set(url, job_name), "partitionNames": keys,
        "title": title or f"bold refresh {keys[0]} .. {keys[-1]}",
        "description": f"weekly snapshot refreshes of {job_name}, {len(keys)} partitions, one "
        "run each, queued one at a time in order",
        "tags": [{"key": "bold/refresh", "value": f"{keys[0]}..{keys[-1]}"}]}
    if asset_keys:
        params["assetSelection"] = [{"path": k} for k in asset_keys]
    if run_config:
        params["runConfigData"] = run_config
    if submit_now:
        params["forceSynchronousSubmission"] = True
    result = graphql(url, LAUNCH, {"params": params})["launchPartitionBackfill"]
    if result["__typename"] != "LaunchBackfillSuccess":
        detail = {k: v for k, v in result.items() if k != "__typename"}
        raise BackfillError(f"{result['__typename']}: {detail}")
    return result["launchedRunIds"] if submit_now else result["backfillId"]


@dataclass
class RunState:
    """One run of a backfill as the webserver reports it."""

    run_id: str
    partition: str
    status: str
    start: float | None = None
    end: float | None = None

    @classmethod
    def of(cls, run: dict) -> RunState:
        tags = {t["key"]: t["value"] for t in run["tags"]}
        return cls(run["runId"], tags.get("dagster/partition", "?"), run["status"],
                   run.get("startTime"), run.get("endTime"))


@dataclass
class BackfillResult:
    """A finished backfill: its id, status and runs (in partition order)."""

    backfill_id: str
    status: str
    runs: list[RunState] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return bool(self.runs) and all(r.status == "SUCCESS" for r in self.runs)


def backfill_state(url: str, backfill_id: str) -> tuple[str, int, list[RunState]]:
    """Status, number of partitions and runs of a backfill."""
    data = graphql(url, BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]
    if data["__typename"] != "PartitionBackfill":
        raise BackfillError(f"backfill {backfill_id}: {data.get('message', data['__typename'])}")
    runs = sorted((RunState.of(r) for r in data["runs"]), key=lambda r: r.partition)
    return data["status"], data["numPartitions"] or 0, runs


def wait(url: str, backfill_id: str, log: Callable[[str], Any] = print, poll_s: float = 2.0,
         timeout_s: float | None = None) -> BackfillResult:
    """Wait until every partition's run of the backfill has finished (or the backfill failed
    or was cancelled), printing each run's changes of status."""
    seen: dict[str, str] = {}
    started = time.monotonic()
    while True:
        status, n, runs = backfill_state(url, backfill_id)
        for r in runs:
            if seen.get(r.run_id) != r.status:
                took = (f" in {r.end - r.start:.0f} s" if r.status in FINISHED and r.start
                        and r.end else "")
                log(f"bold: snapshot {r.partition}: run {r.run_id[:8]} {r.status.lower()}{took}")
                seen[r.run_id] = r.status
        done = len(runs) >= n and all(r.status in FINISHED for r in runs)
        if (done and status not in ("REQUESTED", "CANCELING", "FAILING")) or status in (
                "FAILED", "CANCELED"):
            return BackfillResult(backfill_id, status, runs)
        if timeout_s is not None and time.monotonic() - started > timeout_s:
            raise TimeoutError(f"backfill {backfill_id} not finished after {timeout_s:.0f} s")
        time.sleep(poll_s)


SCHEDULE_ON = """
mutation Start($s: ScheduleSelector!) { startSchedule(scheduleSelector: $s) {
  __typename
  ... on ScheduleStateResult { scheduleState { status } }
  ... on PythonError { message }
  ... on ScheduleNotFoundError { message }
  ... on UnauthorizedError { message } } }"""

TICKS = """
query Ticks($s: ScheduleSelector!) { scheduleOrError(scheduleSelector: $s) {
  __typename
  ... on Schedule { scheduleState { ticks(limit: 20) { status timestamp runIds skipReason
                                                       error { message } } } }
  ... on PythonError { message } } }"""


def schedule_selector(url: str, schedule_name: str) -> dict:
    """The selector of `schedule_name` on the webserver (its repository and name), found once
    for `start_schedule` and `schedule_ticks`."""
    data = graphql(url, REPOSITORIES)["repositoriesOrError"]
    for repo in data.get("nodes") or []:
        if any(s["name"] == schedule_name for s in repo["schedules"]):
            return {"repositoryLocationName": repo["location"]["name"],
                    "repositoryName": repo["name"], "scheduleName": schedule_name}
    raise BackfillError(f"no schedule {schedule_name} on the webserver at {url}")


def start_schedule(url: str, selector: dict) -> None:
    """Turn the schedule on, as its toggle in the UI does; the daemon then ticks it."""
    result = graphql(url, SCHEDULE_ON, {"s": selector})["startSchedule"]
    if result["__typename"] != "ScheduleStateResult":
        raise BackfillError(f"schedule {selector['scheduleName']}: "
                            f"{result.get('message', result)}")


def schedule_ticks(url: str, selector: dict) -> list[dict]:
    """The schedule's ticks, newest first: status, timestamp, runIds, skipReason, error."""
    data = graphql(url, TICKS, {"s": selector})["scheduleOrError"]
    if data["__typename"] != "Schedule":
        raise BackfillError(f"schedule {selector['scheduleName']}: {data.get('message', data)}")
    return data["scheduleState"]["ticks"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_server(url: str, process: subprocess.Popen | None = None,
                    timeout_s: float = SERVER_START_S) -> None:
    """Block until the webserver at `url` answers with its code location loaded."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if process is not None and process.poll() is not None:
            raise BackfillError(f"dagster dev exited with code {process.returncode}")
        try:
            data = graphql(url, REPOSITORIES, timeout_s=10)["repositoriesOrError"]
            if data["__typename"] == "RepositoryConnection" and data["nodes"]:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError, BackfillError):
            pass
        time.sleep(1.0)
    raise BackfillError(f"the webserver at {url} did not load the code location in "
                        f"{timeout_s:.0f} s")


def dev_command(port: int) -> list[str]:
    """`dagster dev` on `port` for the project's workspace (the module if there is none)."""
    dagster = os.path.join(os.path.dirname(sys.executable), "dagster")
    target = (["-w", str(WORKSPACE_FILE)] if WORKSPACE_FILE.exists()
              else ["-m", "bold_assets.definitions"])
    return [dagster, "dev", *target, "-h", "127.0.0.1", "-p", str(port)]


@contextmanager
def dagster_dev(log_file: str | os.PathLike, env: dict[str, str] | None = None,
                port: int | None = None, graceful: bool = True) -> Iterator[str]:
    """`dagster dev` (webserver and daemon) on DAGSTER_HOME for the block; yields its URL.
    `graceful=False` kills it at the end instead of stopping it (an instance thrown away)."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_file, "a") as out:
        process = subprocess.Popen(dev_command(port), cwd=PROJECT_DIR if WORKSPACE_FILE.exists()
                                   else None, env=env or os.environ.copy(), stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for_server(url, process)
            yield url
        finally:
            stop(process, graceful)


def stop(process: subprocess.Popen, graceful: bool = True, timeout_s: float = 60) -> None:
    """Stop `dagster dev` as Ctrl-C would (it stops its webserver, daemon and code servers), or
    kill it and them at once."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT if graceful else signal.SIGKILL)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
