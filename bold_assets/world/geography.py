"""Synthetic England and Wales geography: LSOAs nested in LADs, IMD deciles, and postcodes.

Codes follow the real formats (LSOA `E01`/`W01` + 6 digits; LAD `E06`-`E09`/`W06` + 6 digits).
The number of areas scales with the population so that small areas still hold people.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PEOPLE_PER_LSOA = 250
LSOAS_PER_LAD = 15
POSTCODES_PER_LSOA = 8
WALES_SHARE = 0.055  # Wales: about 3.1m of 59.6m people (Census 2021)
_LAD_TYPES = np.array(["E06", "E07", "E08", "E09"])
_LAD_TYPE_P = np.array([0.22, 0.50, 0.12, 0.16])
_PREFIXES = ("Ash Brad Castle Dun Elm Fair Glen Hart King Long Mill North Oak Queen Red Stan "
             "Thorn Upper West Whit Wood Brom Chel Cran Dor Har Lang Mar Sand Stock").split()
_SUFFIXES = "ford ton ham bury field wick worth ley borough minster dale stow mouth gate".split()
_WELSH = "Aber Llan Pen Caer Pont Tre Cwm Bryn Rhos Glyn".split()
_WELSH_SUFFIX = "dare gwyn fach mawr ddu wen isaf uchaf".split()
_UNIT_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))


def _lad_names(n: int, welsh: np.ndarray, rng: np.random.Generator) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for is_welsh in welsh:
        pre, suf = (_WELSH, _WELSH_SUFFIX) if is_welsh else (_PREFIXES, _SUFFIXES)
        for attempt in range(1000):
            name = pre[rng.integers(len(pre))] + suf[rng.integers(len(suf))]
            if attempt > 50:
                name += f" {attempt}"
            if name not in seen:
                break
        seen.add(name)
        names.append(name)
    return names


def _postcode_areas(n: int) -> tuple[list[str], np.ndarray]:
    """Two-letter postcode areas for `n` LADs and each LAD's first district number minus one.

    Up to 441 LADs each have an area of their own, spread over the alphabet. Beyond that (a
    population over about 1.6m), LADs share areas as real ones do, each sharing LAD in districts
    of its own: the k-th LAD on an area numbers its districts from 10k + 1 (UK districts go to 99).
    """
    letters = "ABCDEFGHJKLMNOPRSTUWY"
    two = [a + b for a in letters for b in letters]
    if n <= len(two):
        step = len(two) // n
        return [two[i * step] for i in range(n)], np.zeros(n, dtype=int)
    if n > 9 * len(two):
        raise ValueError(f"too many LADs for distinct postcode districts: {n}")
    return [two[i % len(two)] for i in range(n)], np.arange(n) // len(two) * 10


def make_geography(population: int, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Return `lad`, `lsoa` and `postcodes` reference tables sized for `population`."""
    n_lsoa = max(40, population // PEOPLE_PER_LSOA)
    n_lad = max(6, n_lsoa // LSOAS_PER_LAD)
    # a fixed share of the LADs is Welsh (at least one), never the first
    welsh = np.zeros(n_lad, dtype=bool)
    welsh[1 + rng.permutation(n_lad - 1)[:max(1, round(WALES_SHARE * n_lad))]] = True
    lad_type = np.where(welsh, "W06", rng.choice(_LAD_TYPES, size=n_lad, p=_LAD_TYPE_P))
    lad_codes = [f"{t}{1_000_000 - 999_000 + i:06d}" for i, t in enumerate(lad_type)]
    areas, district_base = _postcode_areas(n_lad)
    lad = pd.DataFrame({
        "lad_code": lad_codes,
        "lad_name": _lad_names(n_lad, welsh, rng),
        "country": np.where(welsh, "Wales", "England"),
        "postcode_area": areas,
    })

    # LSOAs: spread evenly over the LADs (LSOAs hold about equal numbers of people, so Wales's
    # share of people is its share of LADs).
    lad_of_lsoa = np.concatenate([np.repeat(np.arange(n_lad), n_lsoa // n_lad),
                                  rng.permutation(n_lad)[:n_lsoa % n_lad]])
    lad_of_lsoa.sort()
    # Deprivation: a LAD-level tendency plus LSOA noise, ranked into deciles (1 = most deprived).
    lad_deprivation = rng.normal(0, 1, n_lad)
    score = lad_deprivation[lad_of_lsoa] + rng.normal(0, 1, n_lsoa)
    imd_decile = 1 + (np.argsort(np.argsort(-score)) * 10 // n_lsoa)
    seq_in_lad = pd.Series(lad_of_lsoa).groupby(lad_of_lsoa).cumcount().to_numpy()
    is_welsh = welsh[lad_of_lsoa]
    lsoa_codes = [f"{'W01' if w else 'E01'}{i + 1:06d}" for i, w in enumerate(is_welsh)]
    lsoa = pd.DataFrame({
        "lsoa_code": lsoa_codes,
        "lsoa_name": [f"{lad['lad_name'].iat[j]} {k + 1:03d}{'ABCD'[k % 4]}"
                      for j, k in zip(lad_of_lsoa, seq_in_lad, strict=True)],
        "lad_code": lad["lad_code"].to_numpy()[lad_of_lsoa],
        "lad_name": lad["lad_name"].to_numpy()[lad_of_lsoa],
        "country": np.where(is_welsh, "Wales", "England"),
        "imd_decile": imd_decile.astype("int64"),
    })

    # Postcodes: district = a few LSOAs of a LAD, sector digit and unit letters per LSOA.
    district = district_base[lad_of_lsoa] + 1 + seq_in_lad // 4
    sector = seq_in_lad % 4 * 2 + 1
    units = rng.choice(_UNIT_LETTERS, size=(n_lsoa, POSTCODES_PER_LSOA, 2))
    unit_str = np.char.add(units[..., 0], units[..., 1])
    # make units unique within an LSOA by appending the index when a draw repeats
    rows = []
    area = lad["postcode_area"].to_numpy()[lad_of_lsoa]
    for i in range(n_lsoa):
        seen: set[str] = set()
        for u in unit_str[i]:
            while u in seen:
                u = _UNIT_LETTERS[rng.integers(20)] + _UNIT_LETTERS[rng.integers(20)]
            seen.add(u)
            rows.append((f"{area[i]}{district[i]} {sector[i]}{u}", lsoa_codes[i]))
    postcodes = pd.DataFrame(rows, columns=["postcode", "lsoa_code"])
    return {"lad": lad.drop(columns="postcode_area"), "lsoa": lsoa, "postcodes": postcodes}
