"""Wave 1 research zone: the link file of wave 1's records to the persistent spine.

`research/wave_1_link(source_dataset, row_id_hash, estimated_xjs_id)`: a row per PNC people
record (its spine person) and per linked NPD census record (the spine person of the PNC person
it links to); `row_id_hash` as the source's `research.<source>.row_id_hash`, `estimated_xjs_id`
the keyed person id `research.xjs_link` uses. Attribute tables reach a person through their
parent's hashed key. With the blocking identifier leak check.
"""

from __future__ import annotations

import dagster as dg

from bold_assets.defs.factories.keys import research_key
from bold_assets.defs.factories.leaks import leak_check
from bold_assets.defs.factories.research import write_research
from bold_assets.defs.resources import WarehouseResource
from bold_assets.defs.wave_1.linkage import GROUP, PUPIL_LINKS_KEY, SPEC, SPINE_KEY, WAVE
from bold_assets.linkage import research as R
from bold_assets.linkage import wave_link as W

LINK_TABLE = f"{WAVE.name}_link"
LINK_KEY = dg.AssetKey(["research", LINK_TABLE])


@dg.asset(
    key=LINK_KEY,
    deps=[SPINE_KEY, PUPIL_LINKS_KEY, research_key(SPEC.people.name),
          research_key(SPEC.pupils.name)],
    group_name=GROUP,
    kinds={"duckdb"},
    description=f"Wave {WAVE.number} linking file: each {SPEC.people.name} record and each "
    f"linked {SPEC.pupils.name} record, hashed row id -> keyed spine person id "
    "(`estimated_xjs_id`, as research.xjs_link).",
)
def wave_1_link(warehouse: WarehouseResource) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=write_research(
        warehouse, LINK_TABLE, R.wave_link_sql((SPEC.people.name,), ".".join(W.PUPIL_LINKS))))

defs = dg.Definitions(assets=[wave_1_link], asset_checks=[leak_check(LINK_KEY)])
