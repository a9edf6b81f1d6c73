"""People: a general population of England and Wales, with names, address histories and the
latent needs later waves measure.

Everyone alive at the world's end is a person, whether or not they ever meet a justice system:
births 1920-2023 with an age structure like England and Wales (`AGE_WEIGHTS`), sex about 50/50,
ethnicity varying by birth cohort (`ETHNIC_GROUP_BY_COHORT`, younger cohorts more diverse, as in
the 2021 Census), homes spread evenly over the LSOAs (so the Welsh share follows the geography).
People born abroad have an `arrival_date`; `educated_in_england` is true for people whose first
address is in England and who were born in the UK or arrived by age 5 (school starts at 5).

Latent states share a general factor that rises with area deprivation, so drivers and outcomes
are correlated with each other and with IMD, as the literature on multiple disadvantage finds.
Justice contact (journeys.py) follows the latent states, so people with records have much more
need than the population they come from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.world import names_ew
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
# Prevalence of each latent state in the general population (higher among people with records).
PREVALENCE = {
    "driver_mental_health": 0.18, "driver_physical_health": 0.18, "driver_low_income": 0.22,
    "driver_substance_misuse": 0.10, "driver_employment": 0.18, "driver_education": 0.18,
    "driver_accommodation": 0.08, "driver_family": 0.12,
    "outcome_offending": 0.15, "outcome_ill_health": 0.15, "outcome_in_work_poverty": 0.12,
    "outcome_inactivity": 0.18, "outcome_homelessness": 0.03, "outcome_poor_child_outcomes": 0.10,
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
ETHNIC_GROUPS = ("White", "Mixed", "Asian", "Black", "Other")
# Ethnic group shares by birth cohort (first birth year of the band): an approximation of the
# 2021 Census by age (overall about 82% White, 9% Asian, 4% Black, 3% Mixed, 2% Other).
ETHNIC_GROUP_BY_COHORT = {
    1920: (0.965, 0.003, 0.018, 0.010, 0.004),
    1950: (0.920, 0.006, 0.042, 0.022, 0.010),
    1970: (0.830, 0.015, 0.085, 0.045, 0.025),
    1990: (0.760, 0.040, 0.110, 0.055, 0.035),
    2005: (0.720, 0.070, 0.115, 0.060, 0.035),
}
# Relative number of people by age at the world's end (ONS mid-year estimates, rounded).
_AGE = np.arange(104)
AGE_WEIGHTS = np.select(
    [_AGE < 20, _AGE < 60, _AGE < 70, _AGE < 80, _AGE < 90],
    [1.0, 1.05, 0.95, 0.75, 0.35], 0.06)
MALE_SHARE = 0.49
# People born abroad: age at arrival (a quarter as children, the rest as adults).
ARRIVAL_CHILD_SHARE = 0.25
SCHOOL_START_AGE = 5
ETHNICITY_CODES_BY_GROUP = {
    "White": (["W1", "W2", "W3", "W9"], [0.85, 0.03, 0.02, 0.10]),
    "Mixed": (["M1", "M2", "M3", "M9"], [0.4, 0.2, 0.2, 0.2]),
    "Asian": (["A1", "A2", "A3", "A4", "A9"], [0.3, 0.4, 0.15, 0.05, 0.1]),
    "Black": (["B1", "B2", "B9"], [0.45, 0.45, 0.1]),
    "Other": (["O1", "O9"], [0.3, 0.7]),
}
WORLD_START = np.datetime64("2010-01-01")
WORLD_END = np.datetime64("2023-12-31")
MARRIED_NAME_SHARE = 0.30  # women of 20-64 who take a married surname during the covered years


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


def _draw_names(rng, background: np.ndarray, sex: np.ndarray, pools: dict, by_sex: bool,
                birth_year: np.ndarray | None = None):
    """Names from each background's pool (by sex for forenames); white British forenames from
    the pool of their birth cohort (`names_ew.cohort_years`)."""
    out = np.empty(len(background), dtype=object)
    cohort = None if birth_year is None else names_ew.cohort_years(birth_year)
    for b in BACKGROUNDS:
        for s in ("M", "F") if by_sex else (None,):
            mask = background == b if s is None else (background == b) & (sex == s)
            if b == "white_british" and by_sex:
                for year in np.unique(cohort[mask]):
                    idx = np.flatnonzero(mask & (cohort == year))
                    out[idx] = pools[(s, int(year))].draw(rng, len(idx))
                continue
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


def _dates_of_birth(rng, n: int) -> np.ndarray:
    age = rng.choice(len(AGE_WEIGHTS), size=n, p=AGE_WEIGHTS / AGE_WEIGHTS.sum())
    days = age * 365.25 + rng.random(n) * 365
    return WORLD_END - days.astype(int).astype("timedelta64[D]")


def _ethnic_groups(rng, birth_year: np.ndarray) -> np.ndarray:
    cohorts = np.array(list(ETHNIC_GROUP_BY_COHORT))
    band = np.searchsorted(cohorts, birth_year, side="right") - 1
    cum = np.cumsum(np.array(list(ETHNIC_GROUP_BY_COHORT.values())), axis=1)
    cum /= cum[:, -1:]
    pick = (rng.random(len(band))[:, None] > cum[np.maximum(band, 0)]).sum(axis=1)
    return np.array(ETHNIC_GROUPS, dtype=object)[pick]


def _arrival_dates(rng, born_abroad: np.ndarray, dob: np.ndarray) -> np.ndarray:
    """When people born abroad arrived (NaT for people born in the UK)."""
    n = len(dob)
    child = rng.random(n) < ARRIVAL_CHILD_SHARE
    age = np.where(child, rng.random(n) * 16, 16 + rng.gamma(2.0, 5.0, n))
    age_now = (WORLD_END - dob).astype(int) / 365.25
    age = np.where(age < age_now, age, rng.random(n) * age_now)  # arrived by the world's end
    arrival = dob + (age * 365.25).astype(int).astype("timedelta64[D]")
    return np.where(born_abroad, arrival, np.datetime64("NaT"))


def make_population(n: int, geo: dict[str, pd.DataFrame], rng: np.random.Generator):
    """Return (persons, addresses, latent z-scores) for `n` people of all ages."""
    lsoa = geo["lsoa"]
    lsoa_p = np.full(len(lsoa), 1.0 / len(lsoa))  # areas hold about equal numbers of people
    home_lsoa = rng.choice(len(lsoa), size=n, p=lsoa_p)
    deprivation_z = (5.5 - lsoa["imd_decile"].to_numpy()[home_lsoa]) / 2.87

    sex = np.where(rng.random(n) < MALE_SHARE, "M", "F").astype(object)
    dob = _dates_of_birth(rng, n)
    birth_year = dob.astype("datetime64[Y]").astype(int) + 1970
    ethnic_group = _ethnic_groups(rng, birth_year)
    ethnicity_code = _choice_by_group(rng, ethnic_group, ETHNICITY_CODES_BY_GROUP)
    background = _choice_by_group(rng, ethnic_group, BACKGROUND_BY_ETHNIC_GROUP)
    born_abroad = rng.random(n) < pd.Series(background).map(BORN_ABROAD).to_numpy()
    arrival_date = _arrival_dates(rng, born_abroad, dob)

    fpools, spools = forename_pools(), surname_pools()
    forename = _draw_names(rng, background, sex, fpools, by_sex=True, birth_year=birth_year)
    middle = _draw_names(rng, background, sex, fpools, by_sex=True, birth_year=birth_year)
    middle[rng.random(n) < 0.45] = None
    surname = _draw_names(rng, background, sex, spools, by_sex=False)
    # A share of women of marrying age change surname on marriage during the covered years.
    age_end = (WORLD_END - dob).astype(int) / 365.25
    marries = (sex == "F") & (age_end >= 20) & (age_end < 65) & (rng.random(n) < MARRIED_NAME_SHARE)
    married_surname = np.where(marries, _draw_names(rng, background, sex, spools, False), None)
    adult_from = np.maximum(WORLD_START, dob + np.timedelta64(18 * 365 + 5, "D"))
    span = np.maximum((WORLD_END - adult_from).astype(int), 1)
    marriage_date = np.where(
        marries, adult_from + (rng.random(n) * span).astype(int).astype("timedelta64[D]"),
        np.datetime64("NaT"))

    latent_flags, z = _latent_states(rng, deprivation_z)
    addresses = _address_history(rng, n, home_lsoa, z["accommodation"], geo, lsoa_p)
    last_addr = addresses.groupby("person_idx").tail(1).set_index("person_idx")
    first_country = lsoa["country"].to_numpy()[home_lsoa]
    arrival_age = (arrival_date - dob).astype("timedelta64[D]").astype(float) / 365.25
    educated_in_england = (first_country == "England") & ~(
        born_abroad & (arrival_age > SCHOOL_START_AGE))

    persons = pd.DataFrame({
        "person_id": [f"P{i:08d}" for i in range(n)],
        "forename": forename, "middle_name": middle,
        "surname": np.where(marries, married_surname, surname),
        "birth_surname": surname,
        "marriage_date": marriage_date,
        "sex": sex, "dob": dob,
        "ethnic_group": ethnic_group, "ethnicity_code": ethnicity_code,
        "name_background": background, "born_abroad": born_abroad,
        "arrival_date": arrival_date, "educated_in_england": educated_in_england,
        "lsoa_code": last_addr["lsoa_code"].to_numpy(),
        "postcode": last_addr["postcode"].to_numpy(),
    })
    lookup = lsoa.set_index("lsoa_code")
    persons["lad_code"] = lookup.loc[persons["lsoa_code"], "lad_code"].to_numpy()
    persons["imd_decile"] = lookup.loc[persons["lsoa_code"], "imd_decile"].to_numpy()
    persons = pd.concat([persons, latent_flags], axis=1)
    return persons, addresses, z
