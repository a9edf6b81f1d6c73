"""Wave 0 research zone: the split-file link table and the case journey.

The de-identified extract of each source (`research/<source>`) is built by
`defs/factories/research.py` from the catalogue. Research tables carry keyed hashes (HMAC-SHA256
with the project key) instead of ids, and no names, dates of birth or postcodes; the blocking
leak check (`defs/factories/leaks.py`) scans each by column name and by content.
"""

from __future__ import annotations

import dagster as dg

from bold_assets.defs.factories.research import write_research
from bold_assets.defs.resources import WarehouseResource
from bold_assets.defs.wave_0.linkage import CLUSTERS_KEY, GROUP, PAIRS_KEY, PERSON_IDS_KEY
from bold_assets.linkage import research as R

XJS_KEY = dg.AssetKey(["research", "xjs_link"])
JOURNEY_KEY = dg.AssetKey(["research", "mags_crown_journey"])


@dg.asset(
    key=XJS_KEY,
    deps=[CLUSTERS_KEY, PERSON_IDS_KEY],
    group_name=GROUP,
    kinds={"duckdb"},
    description="Cross-justice linking file: each record's hashed row id with its hashed person "
    "id (`estimated_xjs_id`, medium threshold; `xjs_id_high`, `xjs_id_low` for sensitivity).",
)
def xjs_link(warehouse: WarehouseResource) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=write_research(warehouse, "xjs_link", R.xjs_link_sql()))


@dg.asset(
    key=JOURNEY_KEY,
    deps=[dg.AssetKey(["raw", "mags"]), dg.AssetKey(["raw", "crown"]), CLUSTERS_KEY, PAIRS_KEY],
    group_name=GROUP,
    kinds={"duckdb"},
    description="Magistrates' case -> Crown Court case for cases sent for trial or sentence "
    "(hashed ids), matched on the linked person, the offence and the dates.",
)
def mags_crown_journey(warehouse: WarehouseResource) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=write_research(warehouse, "mags_crown_journey",
                                                R.journey_sql()))


defs = dg.Definitions(assets=[xjs_link, mags_crown_journey])
