"""The Dagster code location: every area's definitions, merged, with one warehouse resource.

Areas follow the waves (`defs/wave_0/...`) plus the cross-wave `evaluation` group. Each area
module exposes `defs`; this file merges them, then derives from the merged assets the Great
Expectations checks (`defs/quality.py`) and the per-wave jobs and schedules (`defs/jobs.py`).
"""

from __future__ import annotations

import dagster as dg

from bold_assets.defs import discovery, jobs, quality
from bold_assets.defs.evaluation import linkage_quality, needs_validity
from bold_assets.defs.metadata import present
from bold_assets.defs.resources import warehouse_resource
from bold_assets.defs.wave_0 import linkage, marts, outputs, raw, research

AREAS = (
    raw.defs,
    linkage.defs,
    research.defs,
    marts.defs,
    outputs.defs,
    linkage_quality.defs,
    needs_validity.defs,
    discovery.defs,
)


def build_definitions() -> dg.Definitions:
    assets = dg.Definitions.merge(*AREAS)
    # layer first in every description; truth and reference in their own groups
    assets = dg.Definitions.merge(
        dg.Definitions(assets=present(assets.assets or [])),
        dg.Definitions(asset_checks=assets.asset_checks, resources=assets.resources),
    )
    return dg.Definitions.merge(
        assets,
        quality.build_defs(assets),  # a GX asset check per expectation, for each suite's asset
        research.leak_checks_for(assets, ("marts", "outputs", "discovery")),  # no identifier
        jobs.build_defs(assets),  # a job and a schedule per wave
        dg.Definitions(
            resources={"warehouse": warehouse_resource()},
            executor=dg.in_process_executor,
        ),
    )


defs = build_definitions()
