"""People: demographics, names, address histories and the latent needs later waves measure.

Latent states share a general factor that rises with area deprivation, so drivers and outcomes
are correlated with each other and with IMD, as the literature on multiple disadvantage finds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.world.names import (
    BACKGROUND_BY_ETHNIC_GROUP,
    BACKGROUNDS,
    BORN_ABROAD,
    forename_pools,
    surname_pools,
)

DRIVERS = ("mental_health", "physical_health", "low_income", "substance_misuse", "employment",
           "education", "accommodation", "family")  # fmt: skip
OUTCOMES = ("offending", "ill_health", "in_work_poverty", "inactivity", "homelessness",
            "poor_child_outcomes")  # fmt: skip
# Prevalence of each latent state in the synthetic (justice-touched) population.
PREVALENCE = {
    "driver_mental_health": 0.30, "driver_physical_health": 0.25, "driver_low_income": 0.40,
    "driver_substance_misuse": 0.30, "driver_employment": 0.35, "driver_education": 0.30,
    "driver_accommodation": 0.25, "driver_family": 0.30,
    "outcome_offending": 0.45, "outcome_ill_health": 0.20, "outcome_in_work_poverty": 0.20,
    "outcome_inactivity": 0.30, "outcome_homelessness": 0.12, "outcome_poor_child_outcomes": 0.15,
}  # fmt: skip
# Outcomes lean on the drivers that feed them.
OUTCOME_DRIVERS = {
    "offending": ("substance_misuse", "accommodation", "employment"),
    "ill_health": ("mental_health", "physical_health", "substance_misuse"),
    "in_work_poverty": ("low_income", "employment"),
    "inactivity": ("employment", "physical_health", "education"),
    "homelessness": ("accommodation", "low_income", "substance_misuse"),
    "poor_child_outcomes": ("family", "education", "low_income"),
}
ETHNIC_GROUP_P = {"White": 0.74, "Mixed": 0.05, "Asian": 0.09, "Black": 0.09, "Other": 0.03}
ETHNICITY_CODES_BY_GROUP = {
    "White": (["W1", "W2", "W3", "W9"], [0.85, 0.03, 0.02, 0.10]),
    "Mixed": (["M1", "M2", "M3", "M9"], [0.4, 0.2, 0.2, 0.2]),
    "Asian": (["A1", "A2", "A3", "A4", "A9"], [0.3, 0.4, 0.15, 0.05, 0.1]),
    "Black": (["B1", "B2", "B9"], [0.45, 0.45, 0.1]),
    "Other": (["O1", "O9"], [0.3, 0.7]),
}
WORLD_START = np.datetime64("2010-01-01")
WORLD_END = np.datetime64("2023-12-31")
MARRIED_NAME_SHARE = 0.30  # women who take a married surname during the covered years


def _choice_by_group(rng, groups: np.ndarray, table: dict) -> np.ndarray:
    out = np.empty(len(groups), dtype=object)
    for g, spec in table.items():
        idx = np.flatnonzero(groups == g)
        if isinstance(spec, dict):
            keys, p = list(spec), list(spec.values())
        else:
            keys, p = spec
        out[idx] = rng.choice(np.array(keys, dtype=object), size=len(idx), p=p)
    return out


def _draw_names(rng, background: np.ndarray, sex: np.ndarray, pools: dict, by_sex: bool):
    out = np.empty(len(background), dtype=object)
    for b in BACKGROUNDS:
        for s in ("M", "F") if by_sex else (None,):
            mask = background == b if s is None else (background == b) & (sex == s)
            idx = np.flatnonzero(mask)
            if len(idx):
                out[idx] = pools[(b, s) if by_sex else b].draw(rng, len(idx))
    return out


def _latent_states(rng, deprivation_z: np.ndarray) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    n = len(deprivation_z)
    general = rng.normal(0, 1, n) + 0.7 * deprivation_z
    scores: dict[str, np.ndarray] = {}
    for d in DRIVERS:
        scores[d] = 0.65 * general + 0.75 * rng.normal(0, 1, n)
    for o in OUTCOMES:
        feeders = np.mean([scores[d] for d in OUTCOME_DRIVERS[o]], axis=0)
        scores[o] = 0.35 * general + 0.55 * feeders + 0.6 * rng.normal(0, 1, n)
    flags = {}
    for name, s in scores.items():
        col = f"{'driver' if name in DRIVERS else 'outcome'}_{name}"
        flags[col] = s > np.quantile(s, 1 - PREVALENCE[col])
    # standardise continuous scores for use as propensities downstream
    z = {k: (v - v.mean()) / v.std() for k, v in scores.items()}
    return pd.DataFrame(flags), z


def _address_history(rng, n: int, home_lsoa: np.ndarray, accommodation_z: np.ndarray,
                     geo: dict[str, pd.DataFrame], lsoa_p: np.ndarray) -> pd.DataFrame:
    """Each person's addresses over time: a first address, then 0+ moves, more if insecure."""
    lsoa, postcodes = geo["lsoa"], geo["postcodes"]
    lad_idx = pd.factorize(lsoa["lad_code"])[0]
    n_moves = rng.poisson(np.exp(-0.3 + 0.5 * accommodation_z))
    n_moves = np.minimum(n_moves, 6)
    n_addr = 1 + n_moves
    person = np.repeat(np.arange(n), n_addr)
    seq = np.arange(len(person)) - np.repeat(np.cumsum(n_addr) - n_addr, n_addr)
    span = (WORLD_END - WORLD_START).astype(int)
    move_day = rng.integers(0, span, len(person))
    # sort move days within person; the first address has been held since before the world
    order = np.lexsort((move_day, person))
    move_day = move_day[order]
    from_date = WORLD_START + move_day.astype("timedelta64[D]")
    from_date[seq == 0] = np.datetime64("1900-01-01")
    # a move stays in the same LAD 60% of the time
    lsoa_idx = np.empty(len(person), dtype=np.int64)
    lsoa_idx[seq == 0] = home_lsoa
    movers = np.flatnonzero(seq > 0)
    same_lad = rng.random(len(movers)) < 0.6
    any_lsoa = rng.choice(len(lsoa), size=len(movers), p=lsoa_p)
    home_lad = lad_idx[home_lsoa[person[movers]]]
    # LSOAs are stored grouped by LAD: pick uniformly within the home LAD's block.
    lad_start = np.searchsorted(lad_idx, np.arange(lad_idx.max() + 1))
    lad_count = np.bincount(lad_idx)
    local = home_lad[same_lad]
    local_pick = lad_start[local] + (rng.random(len(local)) * lad_count[local]).astype(np.int64)
    lsoa_idx[movers] = any_lsoa
    lsoa_idx[movers[same_lad]] = local_pick
    pc_per_lsoa = len(postcodes) // len(lsoa)
    postcode = postcodes["postcode"].to_numpy()[
        lsoa_idx * pc_per_lsoa + rng.integers(0, pc_per_lsoa, len(person))]
    to_date = np.empty(len(person), dtype="datetime64[D]")
    to_date[:-1] = from_date[1:] - np.timedelta64(1, "D")
    last = np.r_[seq[1:] == 0, True]
    to_date[last] = np.datetime64("NaT")
    return pd.DataFrame({
        "person_idx": person, "seq": seq + 1,
        "lsoa_code": lsoa["lsoa_code"].to_numpy()[lsoa_idx], "postcode": postcode,
        "from_date": from_date, "to_date": to_date,
    })


def make_population(n: int, geo: dict[str, pd.DataFrame], rng: np.random.Generator):
    """Return (persons, addresses, latent z-scores) for `n` people."""
    lsoa = geo["lsoa"]
    # Justice-touched people live disproportionately in deprived areas.
    w = (11 - lsoa["imd_decile"].to_numpy()) ** 1.2
    lsoa_p = w / w.sum()
    home_lsoa = rng.choice(len(lsoa), size=n, p=lsoa_p)
    deprivation_z = (5.5 - lsoa["imd_decile"].to_numpy()[home_lsoa]) / 2.87

    sex = np.where(rng.random(n) < 0.62, "M", "F").astype(object)
    groups = np.array(list(ETHNIC_GROUP_P), dtype=object)
    ethnic_group = rng.choice(groups, size=n, p=list(ETHNIC_GROUP_P.values()))
    ethnicity_code = _choice_by_group(rng, ethnic_group, ETHNICITY_CODES_BY_GROUP)
    background = _choice_by_group(rng, ethnic_group, BACKGROUND_BY_ETHNIC_GROUP)
    born_abroad = rng.random(n) < pd.Series(background).map(BORN_ABROAD).to_numpy()
    # Ages skew young: birth years mostly 1965-2005.
    birth_year = np.clip(np.round(rng.normal(1988, 12, n)), 1940, 2006).astype(int)
    dob = (np.array(birth_year - 1970, dtype="datetime64[Y]").astype("datetime64[D]")
           + rng.integers(0, 365, n).astype("timedelta64[D]"))

    fpools, spools = forename_pools(), surname_pools()
    forename = _draw_names(rng, background, sex, fpools, by_sex=True)
    middle = _draw_names(rng, background, sex, fpools, by_sex=True)
    middle[rng.random(n) < 0.45] = None
    surname = _draw_names(rng, background, sex, spools, by_sex=False)
    # A share of women change surname on marriage during the covered years.
    marries = (sex == "F") & (rng.random(n) < MARRIED_NAME_SHARE)
    married_surname = np.where(marries, _draw_names(rng, background, sex, spools, False), None)
    span = (WORLD_END - WORLD_START).astype(int)
    marriage_date = np.where(
        marries, WORLD_START + rng.integers(0, span, n).astype("timedelta64[D]"),
        np.datetime64("NaT"))

    latent_flags, z = _latent_states(rng, deprivation_z)
    addresses = _address_history(rng, n, home_lsoa, z["accommodation"], geo, lsoa_p)
    last_addr = addresses.groupby("person_idx").tail(1).set_index("person_idx")

    persons = pd.DataFrame({
        "person_id": [f"P{i:08d}" for i in range(n)],
        "forename": forename, "middle_name": middle,
        "surname": np.where(marries, married_surname, surname),
        "birth_surname": surname,
        "marriage_date": marriage_date,
        "sex": sex, "dob": dob,
        "ethnic_group": ethnic_group, "ethnicity_code": ethnicity_code,
        "name_background": background, "born_abroad": born_abroad,
        "lsoa_code": last_addr["lsoa_code"].to_numpy(),
        "postcode": last_addr["postcode"].to_numpy(),
    })
    lookup = lsoa.set_index("lsoa_code")
    persons["lad_code"] = lookup.loc[persons["lsoa_code"], "lad_code"].to_numpy()
    persons["imd_decile"] = lookup.loc[persons["lsoa_code"], "imd_decile"].to_numpy()
    persons = pd.concat([persons, latent_flags], axis=1)
    return persons, addresses, z
