"""What the Dagster UI shows of a run, audited: described columns, check severities, file paths.

    DAGSTER_HOME=... python -m bold_assets.ui_audit

Prints, for the instance at DAGSTER_HOME (the one `make run` writes and `make ui` reads):
- the share of columns with a description in the latest materialisation of every asset (its
  `dagster/column_schema`), and the assets that have none;
- the asset checks whose description does not start with its severity (`BLOCKING:` for a
  blocking check, `WARN:` otherwise);
- the metadata values of materialisations and check evaluations that hold an absolute path of a
  machine (files are shown relative to the project or the warehouse folder, `defs/paths.py`).
Exit code 1 when a column is undescribed, a check lacks its severity or a path is absolute.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

import dagster as dg

ABSOLUTE_PATH = re.compile(r"(?<![\w.<>])/(tmp|work|root|home|usr|var|opt|mnt|srv|Users)/")
_IMAGE = re.compile(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+")


@dataclass
class Audit:
    columns: int = 0
    described: int = 0
    without_schema: list[str] = field(default_factory=list)
    checks: int = 0
    without_severity: list[str] = field(default_factory=list)
    values: int = 0
    absolute_paths: list[str] = field(default_factory=list)

    def ok(self) -> bool:
        return (self.described == self.columns and not self.without_schema
                and not self.without_severity and not self.absolute_paths)


def _has_absolute_path(value: object) -> bool:
    text = _IMAGE.sub("", str(getattr(value, "value", value)))
    return bool(ABSOLUTE_PATH.search(text))


def audit(instance: dg.DagsterInstance, defs: dg.Definitions) -> Audit:
    """The audit of `instance`'s latest materialisations and check evaluations of `defs`."""
    graph = defs.resolve_asset_graph()
    out = Audit()
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.path):
        event = instance.get_latest_materialization_event(key)
        if event is None or event.asset_materialization is None:
            continue
        metadata = event.asset_materialization.metadata
        schema = metadata.get("dagster/column_schema")
        if schema is None:
            out.without_schema.append(key.to_user_string())
        else:
            for column in schema.schema.columns:
                out.columns += 1
                out.described += bool(column.description)
        for name, value in metadata.items():
            out.values += 1
            if _has_absolute_path(value):
                out.absolute_paths.append(f"{key.to_user_string()}: {name}")
    for check_key in graph.asset_check_keys:
        spec = graph.get_check_spec(check_key)
        out.checks += 1
        word = "BLOCKING:" if spec.blocking else "WARN:"
        if not (spec.description or "").startswith(word):
            out.without_severity.append(check_key.to_user_string())
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [check_key]).get(check_key)
        evaluation = record.event.dagster_event if record and record.event else None
        data = getattr(evaluation, "event_specific_data", None) if evaluation else None
        for name, value in (getattr(data, "metadata", None) or {}).items():
            out.values += 1
            if _has_absolute_path(value):
                out.absolute_paths.append(f"{check_key.to_user_string()}: {name}")
    return out


def main() -> int:
    from bold_assets.definitions import defs

    result = audit(dg.DagsterInstance.get(), defs)
    share = result.described / result.columns if result.columns else 0.0
    print(f"columns described: {result.described:,} of {result.columns:,} ({share:.2%}); "
          f"assets materialised without a column schema: {len(result.without_schema)} "
          f"{result.without_schema[:5]}")
    print(f"asset checks: {result.checks:,}; description not starting with its severity "
          f"(BLOCKING: / WARN:): {len(result.without_severity)} {result.without_severity[:5]}")
    print(f"metadata values: {result.values:,}; holding an absolute path: "
          f"{len(result.absolute_paths)} {result.absolute_paths[:5]}")
    return 0 if result.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
