"""Name pools by name background, and the packaged nickname list. White British names follow
published frequencies for England and Wales by birth cohort (`names_ew`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from bold_assets.world import names_ew

BACKGROUNDS = ("white_british", "east_european", "south_asian", "black_african",
               "black_caribbean", "east_asian", "arab")  # fmt: skip
# Share of each ethnic group's people whose names come from each background.
BACKGROUND_BY_ETHNIC_GROUP = {
    # Census 2021: "Other White" is 6.2% of England and Wales, east European about half of it
    "White": {"white_british": 0.96, "east_european": 0.04},
    "Mixed": {"white_british": 0.6, "black_caribbean": 0.3, "south_asian": 0.1},
    "Asian": {"south_asian": 0.85, "east_asian": 0.15},
    "Black": {"black_african": 0.55, "black_caribbean": 0.45},
    "Other": {"arab": 0.6, "east_asian": 0.2, "south_asian": 0.2},
}
# Share born outside the UK, by name background.
BORN_ABROAD = {"white_british": 0.02, "east_european": 0.85, "south_asian": 0.35,
               "black_african": 0.6, "black_caribbean": 0.15, "east_asian": 0.6, "arab": 0.7}
# Other backgrounds draw from short lists (data/forenames.csv, surnames.csv) whose most common
# name holds this share of the background's people (sex), flatter than a Zipf curve would give.
TOP_SHARE_OTHER_BACKGROUNDS = {"forename": 0.08, "surname": 0.03}
# Backgrounds whose surnames are mostly British ones (they are in the England and Wales list).
BRITISH_SURNAMES = ("white_british", "black_caribbean")


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(resources.files("bold_assets.world") / "data" / name,
                       keep_default_na=False)


@dataclass(frozen=True)
class Pool:
    names: np.ndarray  # object array of names, most common first
    cum_weights: np.ndarray  # cumulative shares, last = 1

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.names[np.searchsorted(self.cum_weights, rng.random(n), side="right")]

    @classmethod
    def of(cls, shares: pd.Series) -> Pool:
        cum = np.cumsum(shares.to_numpy(dtype=float))
        return cls(shares.index.to_numpy(dtype=object), cum / cum[-1])


def _ranked_pool(names: pd.Series, top: float) -> Pool:
    return Pool.of(pd.Series(names_ew.rank_shares(len(names), top), index=names.to_list()))


@lru_cache(maxsize=1)
def forename_pools() -> dict[tuple[str, str | int], Pool]:
    """(background, sex) -> pool for other backgrounds; (sex, listed year) -> pool of the white
    British cohort nearest that year (`names_ew.cohort_years`)."""
    df = _read("forenames.csv")
    pools: dict = {(b, s): _ranked_pool(g["name"], TOP_SHARE_OTHER_BACKGROUNDS["forename"])
                   for (b, s), g in df.groupby(["background", "sex"]) if b != "white_british"}
    for sex, year in names_ew.forename_lists():
        pools[(sex, year)] = Pool.of(names_ew.forename_shares(sex, year))
    return pools


def forename_pool(background: str, sex: str, birth_year: int) -> Pool:
    """The pool a person's forenames are drawn from."""
    if background == "white_british":
        return forename_pools()[(sex, int(names_ew.cohort_years([birth_year])[0]))]
    return forename_pools()[(background, sex)]


@lru_cache(maxsize=1)
def surname_pools() -> dict[str, Pool]:
    df = _read("surnames.csv")
    others = df[df["background"] != "white_british"]
    pools = {b: _ranked_pool(g["name"], TOP_SHARE_OTHER_BACKGROUNDS["surname"])
             for b, g in others.groupby("background")}
    not_british = others.loc[~others["background"].isin(BRITISH_SURNAMES), "name"]
    pools["white_british"] = Pool.of(names_ew.surname_shares(frozenset(not_british)))
    return pools


@lru_cache(maxsize=1)
def nicknames() -> dict[str, tuple[str, ...]]:
    """Formal name -> its nicknames and diminutives."""
    df = _read("nicknames.csv")
    return {n: tuple(g["nickname"]) for n, g in df.groupby("name")}
