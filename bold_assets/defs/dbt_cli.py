"""dagster-dbt's CLI resource without two costs of every dbt run that bold-assets does not use.

dagster-dbt's `DbtCliResource` runs `dbt --version` in a subprocess once per resource (so once per
run, about 1.8 s) and opens a dbt adapter inside the Dagster process on every `cli()` call (about
2.4 s of dbt imports and macro loading). The version is that of the dbt-core package installed
beside the executable, read here from its package metadata; the adapter serves only
`fetch_row_counts()` and `fetch_column_metadata()`, which bold-assets does not call (the dbt step
counts rows and reads columns itself, `marts._table_metadata`). Both are private members of
dagster-dbt 0.29 (pinned in pyproject.toml): this module is the one place that overrides them, and
tests/test_dbt.py checks that `cli()` still consults them and that a dbt run asks no version.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from dagster_dbt import DbtCliResource
from packaging import version

if TYPE_CHECKING:
    from dbt.adapters.base import BaseAdapter

# The venv's dbt, so nothing depends on the venv being on PATH.
VENV_DBT = Path(sys.executable).with_name("dbt")
DBT_EXECUTABLE = str(VENV_DBT) if VENV_DBT.exists() else "dbt"


class BoldDbtCliResource(DbtCliResource):
    """`DbtCliResource` that knows the venv's dbt version without running it and opens no
    adapter in the Dagster process (another executable: asked, as dagster-dbt does)."""

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable) == VENV_DBT:
            return version.parse(metadata.version("dbt-core"))
        return DbtCliResource._cli_version.func(self)

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> BaseAdapter | None:
        return None
