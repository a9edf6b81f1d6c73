"""The Dagster graph (asset keys, groups, deps, checks, jobs, schedules) against its snapshot.

A graph change shows in review as a diff of tests/data/definitions_snapshot.json. After an
intended change, regenerate it with:

    PYTHONPATH=. .venv/bin/python -m tests.update_definitions_snapshot
"""

from __future__ import annotations

import json

from tests.update_definitions_snapshot import SNAPSHOT_PATH, render, snapshot


def test_definitions_match_snapshot():
    from bold_assets.definitions import defs

    got = snapshot(defs)
    want = json.loads(SNAPSHOT_PATH.read_text(encoding="utf-8"))
    assert render(got) == render(snapshot(defs)), "the snapshot is not deterministic"
    added = sorted(set(got["assets"]) - set(want["assets"]))
    removed = sorted(set(want["assets"]) - set(got["assets"]))
    changed = sorted(k for k in set(got["assets"]) & set(want["assets"])
                     if got["assets"][k] != want["assets"][k])
    assert got == want, (
        f"Dagster graph differs from {SNAPSHOT_PATH.name}: assets added {added}, removed "
        f"{removed}, changed {changed[:10]}; jobs {got['jobs']} vs {want['jobs']}; schedules "
        f"{got['schedules']} vs {want['schedules']}. If intended, run "
        "`PYTHONPATH=. .venv/bin/python -m tests.update_definitions_snapshot` and commit.")
