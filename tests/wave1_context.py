"""TEMPORARY test helper (branch npd): a stand-in for branch pop's `WorldContext`.

Until `bold_assets/world/context.py` lands, the wave-1 generators are run on today's world:
`generate_world`'s tables, plus the persons (with `marriage_date`), address history (with
`person_idx`) and latent z-scores rebuilt from the same seed streams `generate_world` uses. Note
today's world is justice-only (about half its people have a court case), so the justice groups'
shares of the cohort are far from ONS's; the conditional rates are what the calibration checks.
Replace with the real context (and generate_world's own wave-1 run) at merge.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bold_assets.world.generate import generate_world
from bold_assets.world.geography import make_geography
from bold_assets.world.population import make_population
from bold_assets.world.sources import npd, pnc


@dataclass
class StandInContext:
    persons: pd.DataFrame
    addresses: pd.DataFrame
    z: dict[str, np.ndarray]
    geo: dict[str, pd.DataFrame]
    tables: dict[str, pd.DataFrame]
    seed: int

    def rng(self, name: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(name.encode())])


def standin_context(population: int, seed: int) -> StandInContext:
    world = generate_world(population, seed)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(16)]
    geo = make_geography(population, streams[0])
    persons, addresses, z = make_population(population, geo, streams[1])
    return StandInContext(persons, addresses, z, geo, dict(world.tables), seed)


def run_wave1(ctx: StandInContext) -> dict[str, pd.DataFrame]:
    """Run the wave-1 generators in order (pnc before npd), as generate_world will."""
    for module in (pnc, npd):
        out = module.generate(ctx)
        truth = out.pop("truth.record_person")
        ctx.tables.update(out)
        ctx.tables["truth.record_person"] = pd.concat(
            [ctx.tables["truth.record_person"], truth], ignore_index=True)
    return ctx.tables
