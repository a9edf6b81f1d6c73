"""Name pools by background, with realistic frequency skew, and the packaged nickname list."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

BACKGROUNDS = ("white_british", "east_european", "south_asian", "black_african",
               "black_caribbean", "east_asian", "arab")  # fmt: skip
# Share of each ethnic group's people whose names come from each background.
BACKGROUND_BY_ETHNIC_GROUP = {
    "White": {"white_british": 0.86, "east_european": 0.14},
    "Mixed": {"white_british": 0.6, "black_caribbean": 0.3, "south_asian": 0.1},
    "Asian": {"south_asian": 0.85, "east_asian": 0.15},
    "Black": {"black_african": 0.55, "black_caribbean": 0.45},
    "Other": {"arab": 0.6, "east_asian": 0.2, "south_asian": 0.2},
}
# Share born outside the UK, by name background.
BORN_ABROAD = {"white_british": 0.02, "east_european": 0.85, "south_asian": 0.35,
               "black_african": 0.6, "black_caribbean": 0.15, "east_asian": 0.6, "arab": 0.7}
ZIPF_EXPONENT = 1.0


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(resources.files("bold_assets.world") / "data" / name,
                       keep_default_na=False)


@dataclass(frozen=True)
class Pool:
    names: np.ndarray  # object array of names, most common first
    cum_weights: np.ndarray  # cumulative Zipf weights, last = 1

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.names[np.searchsorted(self.cum_weights, rng.random(n), side="right")]


def _pool(names: pd.Series) -> Pool:
    w = 1.0 / np.arange(1, len(names) + 1) ** ZIPF_EXPONENT
    return Pool(names.to_numpy(dtype=object), np.cumsum(w) / w.sum())


@lru_cache(maxsize=1)
def forename_pools() -> dict[tuple[str, str], Pool]:
    df = _read("forenames.csv")
    return {(b, s): _pool(g["name"]) for (b, s), g in df.groupby(["background", "sex"])}


@lru_cache(maxsize=1)
def surname_pools() -> dict[str, Pool]:
    df = _read("surnames.csv")
    return {b: _pool(g["name"]) for b, g in df.groupby("background")}


@lru_cache(maxsize=1)
def nicknames() -> dict[str, tuple[str, ...]]:
    """Formal name -> its nicknames and diminutives."""
    df = _read("nicknames.csv")
    return {n: tuple(g["nickname"]) for n, g in df.groupby("name")}
