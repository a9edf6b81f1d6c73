"""Per-person arrays shared by the wave-3 NHS tables (`Patients`: dates of birth, registration,
death, NHS numbers, latent needs, custody, addresses) and two small helpers: day numbers to
dates (`to_dates`) and weighted draws of codes (`pick`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from bold_assets.world.context import WorldContext
from bold_assets.world.identifiers import address_at
from bold_assets.world.journeys import custody_journeys
from bold_assets.world.labour_market import (
    WORLD_END,
    YEAR,
    day_numbers,
    merge_intervals,
    person_day_key,
)
from bold_assets.world.national_ids import nhs_number
from bold_assets.world.sources import careers

ETHNOS_OF = {"W1": "A", "W2": "B", "W3": "C", "W9": "C", "M1": "D", "M2": "E", "M3": "F",
             "M9": "G", "A1": "H", "A2": "J", "A3": "K", "A4": "R", "A9": "L", "B1": "M",
             "B2": "N", "B9": "P", "O1": "S", "O9": "S"}  # fmt: skip


def to_dates(days: np.ndarray) -> np.ndarray:
    """datetime64[ns] of day numbers; NaT after the end of 2023 (still open)."""
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]").astype("datetime64[ns]")
    out[days > WORLD_END] = np.datetime64("NaT")
    return out


def pick(rng: np.random.Generator, options: dict[str, float], n: int) -> np.ndarray:
    """`n` keys of `options` drawn with their weights (normalised)."""
    keys = np.array(list(options), dtype=object)
    w = np.array(list(options.values()))
    return keys[rng.choice(len(keys), n, p=w / w.sum())]


class Patients:
    """Per-person arrays of wave 3 (row i = person_idx i); days are day numbers."""

    def __init__(self, ctx: WorldContext, death: np.ndarray, on_pds: np.ndarray) -> None:
        p = ctx.persons
        self.n = len(p)
        self.dob = day_numbers(p["dob"])
        arrival = day_numbers(p["arrival_date"])
        self.start = np.where(arrival <= WORLD_END, np.maximum(self.dob, arrival), self.dob)
        self.death, self.end, self.on_pds = death, np.minimum(death, WORLD_END), on_pds
        self.male = (p["sex"] == "M").to_numpy()
        self.z = {k: np.asarray(v, dtype=float) for k, v in ctx.z.items()}
        self.ethnos = p["ethnicity_code"].map(ETHNOS_OF).fillna("99").to_numpy(dtype=object)
        self.nhs = nhs_number(np.arange(self.n), ctx.seed)
        self.addresses = ctx.addresses
        lad = pd.Index(ctx.geo["lad"]["lad_code"])
        lsoa_lad = ctx.geo["lsoa"].set_index("lsoa_code")["lad_code"]
        self.lad_of_address = lad.get_indexer(lsoa_lad.reindex(ctx.addresses["lsoa_code"]))
        cj = custody_journeys(careers(ctx))
        cp, cs, ce = merge_intervals(cj["person_idx"].to_numpy(),
                                     day_numbers(cj["reception_date"]),
                                     day_numbers(cj["release_date"]))
        self._custody = (cp, person_day_key(cp, cs), ce)
        self.mh_code = self.sub_code = np.empty(0, dtype=object)  # set by person_codes

    def z_of(self, weights: dict[str, float], idx: np.ndarray | None = None) -> np.ndarray:
        """exp(sum of weight x latent z), population mean 1 (at `idx` when given)."""
        out = np.exp(sum(w * self.z[k] for k, w in weights.items()))
        out /= out.mean()
        return out if idx is None else out[idx]

    def age(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Age in years of each person on each day."""
        return (day - self.dob[person]) / YEAR

    def in_custody(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Whether each person is in custody (a custody journey) on each day."""
        cp, key, ce = self._custody
        i = np.searchsorted(key, person_day_key(person, day), side="right") - 1
        ok = i >= 0
        i = np.maximum(i, 0)
        return ok & (cp[i] == person) & (ce[i] >= day) if len(cp) else np.zeros(len(day), bool)

    def address(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Row in ctx.addresses of each person's address on each day."""
        return address_at(self.addresses, person, np.asarray(day).astype("datetime64[D]"))[0]

    def lsoa(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        """LSOA of each person's address on each day."""
        return self.addresses["lsoa_code"].to_numpy()[self.address(person, day)]

    def events(self, rng: np.random.Generator, weight: np.ndarray,
               curve: Callable[[np.ndarray, np.ndarray], np.ndarray], first: int,
               cap: float) -> tuple[np.ndarray, np.ndarray]:
        """A Poisson process at weight[i] x curve(age, male) a year (curve <= cap) for people on
        PDS from `first` (day number) to death or the end of 2023: (person, day) by thinning."""
        lo = np.maximum(self.start, first)
        hi = np.where(self.on_pds, self.end, lo - 1)
        span = np.maximum(hi - lo + 1, 0)
        count = rng.poisson(weight * cap * span / YEAR)
        person = np.repeat(np.arange(self.n), count)
        day = lo[person] + (rng.random(len(person)) * span[person]).astype(np.int64)
        rate = curve(self.age(person, day), self.male[person])
        keep = rng.random(len(person)) * cap < rate
        return person[keep], day[keep]
