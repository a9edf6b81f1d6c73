"""Runs of `bold materialize` where the Dagster UI expects them: with the code location's origin.

A run launched from the UI (or by the daemon) records which code location and job it came from,
its origin. The Overview timeline places runs by it, and the Re-execute button finds the job
through it. `execute_in_process`, which `bold materialize` uses so that its steps print progress
to the terminal, creates runs without one, so the timeline left them out and they could not be
re-executed. Here the run is created with the origin the webserver gives the same job: the code
location that `workspace.yaml` (the file `make ui` loads) declares, its single repository and the
job's name.

This is the project's one use of Dagster internals for runs (`dagster._core`: the workspace
loader, the origin classes, and the instance method `create_run_for_job`, which
`execute_in_process` calls). Dagster is pinned to 1.13 in pyproject.toml, and
`tests/test_run_origin.py` checks that this still holds.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg

from bold_assets.defs.paths import PROJECT_DIR

WORKSPACE_FILE = PROJECT_DIR / "workspace.yaml"


def workspace_job_origin(job_name: str, workspace_file: Path = WORKSPACE_FILE) -> Any | None:
    """The origin (a `RemoteJobOrigin`) the webserver gives `job_name` when it loads
    `workspace_file`; None when there is no such file (an installed copy without the project)."""
    from dagster._core.definitions.repository_definition.valid_definitions import (
        SINGLETON_REPOSITORY_NAME,
    )
    from dagster._core.remote_origin import RemoteJobOrigin, RemoteRepositoryOrigin
    from dagster._core.workspace.load import location_origins_from_yaml_paths

    if not workspace_file.exists():
        return None
    locations = location_origins_from_yaml_paths([str(workspace_file)])
    if len(locations) != 1:
        warnings.warn(f"{workspace_file} declares {len(locations)} code locations, not one: "
                      "runs are created without an origin (the UI's timeline leaves them out)",
                      stacklevel=2)
        return None
    repository = RemoteRepositoryOrigin(locations[0], SINGLETON_REPOSITORY_NAME)
    return RemoteJobOrigin(repository, job_name)


@contextmanager
def runs_with_origin(instance: dg.DagsterInstance, job_name: str) -> Iterator[None]:
    """Within the block, runs created on `instance` carry `job_name`'s workspace origin (when
    the run does not bring its own)."""
    origin = workspace_job_origin(job_name)
    if origin is None:
        yield
        return
    before = vars(instance).get("create_run_for_job")  # an enclosing block's, if nested
    create = instance.create_run_for_job

    def create_with_origin(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("remote_job_origin") is None:
            kwargs["remote_job_origin"] = origin
        return create(*args, **kwargs)

    instance.create_run_for_job = create_with_origin  # type: ignore[method-assign]
    try:
        yield
    finally:
        if before is None:
            del instance.create_run_for_job
        else:
            instance.create_run_for_job = before  # type: ignore[method-assign]
