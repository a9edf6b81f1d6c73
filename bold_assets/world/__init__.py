"""The synthetic world: a general population with latent needs, the justice records some of
them come to have, and messy identifiers.

Plain Python (numpy / pandas), no Dagster. `generate_world(population, seed)` returns every table
the raw assets write; the same population and seed always give identical tables. People and
geography are made first (`population.py`, `geography.py`); each source's extract then comes
from its generator module `world/sources/<name>.py` (`PRODUCES`, `generate(ctx)`), which sees a
`WorldContext` (`context.py`). Volumes per head follow `rates.VOLUMES`.
"""

from bold_assets.world.context import WorldContext
from bold_assets.world.generate import World, generate_world

__all__ = ["World", "WorldContext", "generate_world"]
