"""The Dagster code location: every area's definitions, merged, with one warehouse resource.

Areas follow the waves (`defs/wave_0/...`) plus cross-wave groups (`defs/evaluation/...`,
`defs/quality.py`). Each area module exposes `defs`; this file only merges them.
"""

from __future__ import annotations

import dagster as dg

from bold_assets.defs import jobs, quality
from bold_assets.defs.evaluation import linkage_quality, needs_validity
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
    quality.defs,
)

defs = dg.Definitions.merge(
    *AREAS,
    jobs.build_defs(dg.Definitions.merge(*AREAS)),
    dg.Definitions(
        resources={"warehouse": warehouse_resource()},
        executor=dg.in_process_executor,
    ),
)
