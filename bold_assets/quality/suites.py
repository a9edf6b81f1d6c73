"""Reading the expectation suites in `expectations/` without importing Great Expectations.

Each file is a GX 1.x ExpectationSuite in JSON, named `<schema>.<table>.json` after the table it
checks. Two keys in each expectation's `meta` are the project's own:

- `check_name`: the stable, identifier-safe name of the Dagster asset check (unique per suite);
- `critical`: `true` makes the check blocking (downstream assets do not materialise when it
  fails); anything else makes it a warning. GX's own `severity` field is kept in step
  (`critical` / `warning`) so the suite reads the same in GX tools.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

SUITES_DIR = Path(__file__).resolve().parents[2] / "expectations"
_NAME_OK = re.compile(r"^[A-Za-z0-9_]+$")

# Expectations GX's pandas engine cannot run the way the project means them; `runner` evaluates
# these itself in DuckDB (see runner.py): SQL queries and DuckDB column types.
PROJECT_SIDE_TYPES = frozenset(
    {"unexpected_rows_expectation", "expect_column_values_to_be_of_type",
     "expect_column_values_to_be_in_type_list"}
)  # fmt: skip


@dataclass(frozen=True)
class Expectation:
    """One expectation of a suite, as stored in the JSON."""

    type: str
    kwargs: dict
    meta: dict
    description: str | None = None
    severity: str | None = None

    @property
    def check_name(self) -> str:
        return self.meta.get("check_name") or default_check_name(self.type, self.kwargs)

    @property
    def critical(self) -> bool:
        return self.meta.get("critical") is True

    @property
    def column(self) -> str | None:
        return self.kwargs.get("column") or self.kwargs.get("column_A")

    def summary(self) -> str:
        """A one-line human description (the check's description in Dagster)."""
        if self.description:
            return self.description
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items() if k != "value_set")
        return f"{self.type}({args})"

    def to_json(self) -> dict:
        out: dict = {"type": self.type, "kwargs": self.kwargs, "meta": self.meta}
        if self.description:
            out["description"] = self.description
        if self.severity:
            out["severity"] = self.severity
        return out


@dataclass(frozen=True)
class Suite:
    """A suite for one warehouse table."""

    name: str  # "<schema>.<table>"
    expectations: tuple[Expectation, ...]
    meta: dict = field(default_factory=dict)

    @property
    def schema(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def table(self) -> str:
        return self.name.split(".", 1)[1]

    @property
    def asset_key_path(self) -> list[str]:
        return [self.schema, self.table]

    @property
    def qualified_table(self) -> str:
        return f'"{self.schema}"."{self.table}"'


def default_check_name(type_: str, kwargs: dict) -> str:
    base = type_.removeprefix("expect_")
    target = kwargs.get("column") or "_".join(kwargs.get("column_list", []) or [])
    name = f"{base}__{target}" if target else base
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def parse_suite(data: dict, source: str = "<dict>") -> Suite:
    """Check the parts the project relies on and return a `Suite`."""
    name = data.get("name", "")
    if name.count(".") != 1:
        raise ValueError(f"{source}: suite name {name!r} must be '<schema>.<table>'")
    exps = tuple(
        Expectation(
            type=e["type"], kwargs=dict(e.get("kwargs") or {}), meta=dict(e.get("meta") or {}),
            description=e.get("description"), severity=e.get("severity"),
        )
        for e in data.get("expectations", [])
    )  # fmt: skip
    seen: set[str] = set()
    for e in exps:
        if not _NAME_OK.match(e.check_name):
            raise ValueError(f"{source}: check name {e.check_name!r} is not [A-Za-z0-9_]+")
        if e.check_name in seen:
            raise ValueError(f"{source}: check name {e.check_name!r} appears twice; make it unique")
        seen.add(e.check_name)
    return Suite(name=name, expectations=exps, meta=dict(data.get("meta") or {}))


def load_suite(path: Path | str) -> Suite:
    path = Path(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    suite = parse_suite(data, source=path.name)
    if path.name != f"{suite.name}.json":
        raise ValueError(
            f"{path.name}: holds suite {suite.name!r}; name the file {suite.name}.json")
    return suite


@cache
def _load_all(directory: str) -> tuple[Suite, ...]:
    return tuple(load_suite(p) for p in sorted(Path(directory).glob("*.json")))


def load_suites(directory: Path | str | None = None) -> dict[str, Suite]:
    """Every suite in `expectations/` (or `directory`), by `<schema>.<table>`."""
    return {s.name: s for s in _load_all(str(directory or SUITES_DIR))}


def get_suite(name: str, directory: Path | str | None = None) -> Suite:
    suites = load_suites(directory)
    try:
        return suites[name]
    except KeyError:
        raise KeyError(
            f"no expectation suite {name!r}; expected expectations/{name}.json") from None
