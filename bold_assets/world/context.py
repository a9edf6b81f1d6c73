"""What every source generator sees: the people, their addresses and latent states, the
geography, every table generated so far, and random streams named by purpose.

A stream is seeded from (world seed, stream name) alone, so adding a source (and its streams)
never changes the data of another source.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


def stream_seed(seed: int, name: str) -> np.random.SeedSequence:
    """The seed sequence of stream `name` of world `seed` (independent of every other name)."""
    digest = hashlib.sha256(name.encode()).digest()
    words = [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]
    return np.random.SeedSequence([seed % 2**32, seed // 2**32, *words])


@dataclass
class WorldContext:
    """The world under construction, handed to each generator in turn.

    `persons` is the truth.persons frame (row i is person_idx i), `addresses` each person's
    address history (person_idx, seq, lsoa_code, postcode, from_date, to_date), `z` the latent
    z-scores by driver / outcome name, `geo` the reference tables (`lad`, `lsoa`, `postcodes`),
    and `tables` every frame generated so far keyed "schema.table" (e.g. "raw.mags",
    "truth.record_person"; "journey.*" frames are clean event data shared between generators
    and never written to the warehouse).
    """

    seed: int
    persons: pd.DataFrame
    addresses: pd.DataFrame
    z: dict[str, np.ndarray]
    geo: dict[str, pd.DataFrame]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def rng(self, name: str) -> np.random.Generator:
        """A fresh generator for stream `name`; the same name always gives the same stream."""
        return np.random.default_rng(stream_seed(self.seed, name))
