"""One generator module per source (or family of sources).

Each module exposes `PRODUCES` (the source names it generates) and `generate(ctx)`, which returns
`raw.<source>` frames in the registry's column order, `truth.record_person` rows
(source_dataset, record_id, person_id) and any other truth tables (named in its `TRUTH`, so
the warehouse gets them); frames keyed `journey.*` are
clean event data for later generators (never written to the warehouse). Each generator draws
only from streams named after it (`ctx.rng(name)`), so adding a source changes no other source.
"""

from __future__ import annotations

import pandas as pd

from bold_assets.world.context import WorldContext
from bold_assets.world.journeys import criminal_careers

CAREERS = "journey.careers"


def careers(ctx: WorldContext) -> pd.DataFrame:
    """Everyone's criminal career (journeys.criminal_careers), made once from its own stream and
    kept in ctx.tables["journey.careers"] for every criminal source (and PNC) to window."""
    if CAREERS not in ctx.tables:
        ctx.tables[CAREERS] = criminal_careers(ctx.persons, ctx.z, ctx.rng("criminal_careers"))
    return ctx.tables[CAREERS]
