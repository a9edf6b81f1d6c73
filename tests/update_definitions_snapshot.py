"""The Dagster graph as plain JSON: asset keys, groups, deps, checks, jobs and schedules.

Regenerate the committed snapshot after an intended graph change (review the diff):

    PYTHONPATH=. .venv/bin/python -m tests.update_definitions_snapshot
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import dagster as dg

SNAPSHOT_PATH = Path(__file__).parent / "data" / "definitions_snapshot.json"


def _key(key: dg.AssetKey) -> str:
    return "/".join(key.path)


def snapshot(defs: dg.Definitions) -> dict:
    """Everything a reviewer should see change in the graph, sorted so it is deterministic."""
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=_key):
        node = graph.get(key)
        assets[_key(key)] = {
            "group": node.group_name,
            "deps": sorted(_key(p) for p in node.parent_keys),
            "partitioned": node.partitions_def is not None,
            "checks": sorted(c.name for c in node.check_keys),
        }
    repo = defs.get_repository_def()
    jobs = sorted(j.name for j in repo.get_all_jobs() if not j.name.startswith("__"))
    schedules = {s.name: {"job": s.job_name, "cron": s.cron_schedule}
                 for s in sorted(repo.schedule_defs, key=lambda s: s.name)}
    return {"assets": assets, "jobs": jobs, "schedules": schedules}


def render(data: dict) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def main() -> int:
    from bold_assets.definitions import defs

    SNAPSHOT_PATH.write_text(render(snapshot(defs)), encoding="utf-8")
    print(f"wrote {SNAPSHOT_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
