"""Shared fixtures: small synthetic warehouses built for real, once per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

SMALL_POPULATION = 3000
TEST_SEED = 7
TEST_PROJECT_KEY = "test-project-key-not-secret"


@contextmanager
def bold_env(**values: str | None) -> Iterator[None]:
    """Set BOLD_* variables for the duration of a block, then restore them."""
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


def materialize(warehouse: Path, select: str | None = None, **env: str | None) -> None:
    """Run wave_0_job in process on `warehouse` (optionally a subset), failing on any error."""
    from bold_assets.cli import main

    with bold_env(BOLD_WAREHOUSE=str(warehouse), BOLD_POPULATION=str(SMALL_POPULATION),
                  BOLD_SEED=str(TEST_SEED), BOLD_PROJECT_KEY=TEST_PROJECT_KEY,
                  DAGSTER_HOME=None, **env):
        args = ["materialize"] + (["--select", select] if select else [])
        assert main(args) == 0, f"bold materialize {select or ''} failed"


@pytest.fixture(scope="session")
def raw_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse holding raw, truth and reference tables for a small population."""
    path = tmp_path_factory.mktemp("raw") / "bold.duckdb"
    materialize(path, select="raw/*,truth/*,reference/*", BOLD_LANDING_DIR=None)
    return path


@pytest.fixture(scope="session")
def pipeline_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse materialised by the whole wave_0_job for a small population."""
    path = tmp_path_factory.mktemp("pipeline") / "bold.duckdb"
    materialize(path, BOLD_LANDING_DIR=None)
    return path


@pytest.fixture
def read_only():
    """Open a warehouse read-only: `with read_only(path) as con: ...`."""

    @contextmanager
    def _open(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
        con = duckdb.connect(str(path), read_only=True)
        try:
            yield con
        finally:
            con.close()

    return _open
