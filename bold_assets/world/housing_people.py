"""Per-person arrays shared by the wave-4 generators (H-CLIC and council tenancies), read from
the persons table and the earlier waves' raw tables and truth (never from their generators).

`HousingPeople` holds, by person_idx: date of birth, arrival, death (truth.deaths), sex, latent
z-scores, each address row's council (LAD), custody periods (raw.prison), the first justice
record (raw.mags, raw.prison, raw.probation, raw.pnc_people) and whether the person was looked
after as a child (raw.npd_cla). Days are day numbers (`labour_market.day_number`); `OPEN` means
none / not yet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.sources import SOURCES
from bold_assets.world.context import WorldContext
from bold_assets.world.earlier_waves import record_persons
from bold_assets.world.identifiers import address_at
from bold_assets.world.labour_market import (
    OPEN,
    WORLD_END,
    YEAR,
    day_numbers,
    merge_intervals,
    person_day_key,
)

AGE_16 = 5845  # days: at least 16 calendar years after any date of birth
AGE_18 = 6576  # days: at least 18 calendar years
# Justice sources and the date of each row that shows a record by then.
JUSTICE_DATES = {"mags": "first_hearing_date", "prison": "reception_date",
                 "probation": "referral_date", "pnc_people": "created_date"}


def choose(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """Column index drawn per row of a (rows x options) weight matrix (rows need not sum to 1)."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return np.minimum((cum < u[:, None]).sum(axis=1), weights.shape[1] - 1)


def table_weights(table: dict[str, dict[str, float]], rows: np.ndarray,
                  codes: tuple[str, ...]) -> np.ndarray:
    """(len(rows) x len(codes)) weights: row r takes `table[rows[r]]` (missing codes 0)."""
    keys = list(table)
    mat = np.array([[table[k].get(c, 0.0) for c in codes] for k in keys])
    return mat[pd.Index(keys).get_indexer(rows)]


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class HousingPeople:
    """Per-person arrays of wave 4 (row i = person_idx i)."""

    def __init__(self, ctx: WorldContext) -> None:
        p = ctx.persons
        self.n = len(p)
        self.person_id = p["person_id"].to_numpy()
        self.dob = day_numbers(p["dob"])
        arrival = day_numbers(p["arrival_date"])
        self.start = np.where(arrival <= WORLD_END, np.maximum(self.dob, arrival), self.dob)
        self.arrival = np.where(arrival <= WORLD_END, arrival, OPEN)
        self.male = (p["sex"] == "M").to_numpy()
        self.born_abroad = p["born_abroad"].to_numpy(bool)
        self.z = {k: np.asarray(v, dtype=float) for k, v in ctx.z.items()}
        self.death = np.full(self.n, OPEN, dtype=np.int64)
        deaths = ctx.tables["truth.deaths"]
        idx = pd.Index(self.person_id).get_indexer(deaths["person_id"])
        self.death[idx] = day_numbers(deaths["date_of_death"])
        self.last_day = np.minimum(self.death, WORLD_END)  # last day alive within the world
        a = ctx.addresses
        self.addresses = a
        self.a_person = a["person_idx"].to_numpy()
        self.a_seq = a["seq"].to_numpy()
        self.a_from = day_numbers(a["from_date"])
        self.a_to = day_numbers(a["to_date"])
        self.a_postcode = a["postcode"].to_numpy(dtype=object)
        self.lad_codes = ctx.geo["lad"]["lad_code"].to_numpy(dtype=object)
        lsoa_lad = ctx.geo["lsoa"].set_index("lsoa_code")["lad_code"]
        self.a_lad = pd.Index(self.lad_codes).get_indexer(lsoa_lad.reindex(a["lsoa_code"]))
        rp = ctx.tables["truth.record_person"]
        self._rp_source, self._rp_sources = pd.factorize(rp["source_dataset"])
        self._rp_record = rp["record_id"].to_numpy()
        self._rp_person = pd.Index(self.person_id).get_indexer(rp["person_id"])
        self._custody(ctx)
        self.justice_from = self._first_justice(ctx)
        cla = record_persons(ctx, "npd_cla")
        self.looked_after = np.zeros(self.n, dtype=bool)
        self.looked_after[cla[cla >= 0]] = True

    def persons_of(self, ctx: WorldContext, source: str) -> np.ndarray:
        """person_idx (-1: none) of each row of raw.<source>, a table with truth rows of its
        own (`earlier_waves.record_persons`, with truth.record_person split once)."""
        rows = self._rp_source == self._rp_sources.get_loc(source)
        at = pd.Index(self._rp_record[rows]).get_indexer(
            ctx.tables[f"raw.{source}"][SOURCES[source].key])
        return np.where(at >= 0, self._rp_person[rows][np.maximum(at, 0)], -1)

    def _custody(self, ctx: WorldContext) -> None:
        prison = ctx.tables["raw.prison"]
        person = self.persons_of(ctx, "prison")
        ok = person >= 0
        cp, cs, ce = merge_intervals(person[ok], day_numbers(prison["reception_date"])[ok],
                                     day_numbers(prison["release_date"])[ok])
        self._cp, self._ckey, self._ce = cp, person_day_key(cp, cs), ce

    def _first_justice(self, ctx: WorldContext) -> np.ndarray:
        out = np.full(self.n, OPEN, dtype=np.int64)
        for source, col in JUSTICE_DATES.items():
            person = self.persons_of(ctx, source)
            ok = person >= 0
            np.minimum.at(out, person[ok], day_numbers(ctx.tables[f"raw.{source}"][col])[ok])
        return out

    def age(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Age in years of each person on each day."""
        return (day - self.dob[person]) / YEAR

    def in_custody(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Whether each person is in prison (raw.prison reception to release) on each day."""
        if not len(self._cp):
            return np.zeros(len(person), dtype=bool)
        i = np.searchsorted(self._ckey, person_day_key(person, day), side="right") - 1
        ok = i >= 0
        i = np.maximum(i, 0)
        return ok & (self._cp[i] == person) & (self._ce[i] >= day)

    def address(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Row in ctx.addresses of each person's address on each day."""
        day = np.minimum(np.asarray(day, dtype=np.int64), WORLD_END)
        return address_at(self.addresses, person, day.astype("datetime64[D]"))[0]

    def lad(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Council (index into `lad_codes`) of each person's address on each day."""
        return self.a_lad[self.address(person, day)]

    def mid_year_population(self, day: int) -> int:
        """People alive and in the country on `day` (every age)."""
        return int(((self.start <= day) & (self.death > day)).sum())

    def person_years(self, first: int, last: int) -> float:
        """Person-years lived in the country between two days (inclusive), every age."""
        lo = np.maximum(self.start, first)
        hi = np.minimum(self.death - 1, last)
        return float(np.maximum(hi - lo + 1, 0).sum() / YEAR)
