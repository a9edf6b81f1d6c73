"""The synthetic world: people with latent needs, their justice records, and messy identifiers.

Plain Python (numpy / pandas), no Dagster. `generate_world(population, seed)` returns every table
the wave-0 raw assets write; the same population and seed always give identical tables.
"""

from bold_assets.world.generate import World, generate_world

__all__ = ["World", "generate_world"]
