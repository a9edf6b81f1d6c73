"""The ONS May 2022 calibration of wave 1: school outcomes by justice group, measured on raw.

ONS (May 2022) followed pupils born in the academic year ending 1994 and their offending to the
end of 2017 (about age 23): their KS2, absence and exclusion rates, and male share, by whether
they had a custodial sentence, a non-custodial sentence or caution, or no conviction; and among
the custodial group how many had been a child in need or looked after (DOMAIN.md). The synthetic
world is too small for one birth cohort, so the calibration pools pupils born from September
1985 to August 2000 and measures each one's offending up to age 23 (adjudications before the
24th birthday). The generators (`world/sources/pnc.py`, `world/sources/npd.py`) hit these rates
by construction; `calibration_table` measures them back from the raw tables joined by truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.catalog.sources.npd import pa_threshold
from bold_assets.catalog.sources.pnc import (
    CAUTION_DISPOSALS,
    CUSTODIAL_DISPOSALS,
    GUILTY_ADJUDICATIONS,
)

GROUPS = ("custodial", "non_custodial", "no_conviction")
COHORT_FIRST_DOB = np.datetime64("1985-09-01")
COHORT_LAST_DOB = np.datetime64("2000-08-31")
GROUP_AGE_DAYS = int(24 * 365.25)  # offending counted up to age 23: before the 24th birthday
CIN_CENSUS_FIRST_YEAR = 2009  # the CIN census starts in 2008/09: pupils in a census from 2009

# measure -> group -> ONS per cent (None: not published).
ONS_MAY_2022: dict[str, dict[str, float | None]] = {
    "share_of_cohort": {"custodial": 1.5, "non_custodial": 12.2, "no_conviction": 86.3},
    "ks2_expected_em": {"custodial": 36.9, "non_custodial": 53.0, "no_conviction": 72.4},
    "ever_persistently_absent": {"custodial": 52.5, "non_custodial": 35.9, "no_conviction": 10.9},
    "ever_fixed_period_exclusion": {"custodial": 72.2, "non_custodial": 50.3,
                                    "no_conviction": 9.0},
    "male": {"custodial": 92.6, "non_custodial": 68.6, "no_conviction": None},
    "child_in_need": {"custodial": 41.7, "non_custodial": None, "no_conviction": None},
    "looked_after": {"custodial": 17.6, "non_custodial": None, "no_conviction": None},
}  # fmt: skip


def justice_groups(keys: np.ndarray, dates: np.ndarray, adjudication: np.ndarray,
                   disposal: np.ndarray, dob: np.ndarray) -> pd.Series:
    """Justice group of each key that has a qualifying PNC event before its 24th birthday:
    2 custodial sentence, 1 non-custodial sentence or caution. Keys absent: no conviction (0)."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    young = dates < np.asarray(dob, dtype="datetime64[D]") + np.timedelta64(GROUP_AGE_DAYS, "D")
    guilty = np.isin(adjudication, GUILTY_ADJUDICATIONS)
    custody = guilty & np.isin(disposal, CUSTODIAL_DISPOSALS)
    counted = young & (guilty | np.isin(disposal, CAUTION_DISPOSALS))
    level = np.where(custody, 2, 1)[counted]
    return pd.Series(level, index=np.asarray(keys)[counted]).groupby(level=0).max()


def in_cohort(dob: np.ndarray) -> np.ndarray:
    dob = np.asarray(dob, dtype="datetime64[D]")
    return (dob >= COHORT_FIRST_DOB) & (dob <= COHORT_LAST_DOB)


def person_groups(tables: dict[str, pd.DataFrame]) -> pd.Series:
    """Justice group code (0/1/2) per person_id with a PNC record, from raw PNC joined by truth."""
    rp = tables["truth.record_person"]
    rp = rp[rp["source_dataset"] == "pnc_people"]
    people = tables["raw.pnc_people"][["name_id", "pnc_id"]]
    pnc_person = people.merge(rp, left_on="name_id", right_on="record_id")
    pnc_person = pnc_person.drop_duplicates("pnc_id").set_index("pnc_id")["person_id"]
    off = tables["raw.pnc_offences"]
    person = pnc_person.reindex(off["pnc_id"].to_numpy()).to_numpy()
    dob = tables["truth.persons"].set_index("person_id")["dob"]
    return justice_groups(person, off["adjudication_date"].to_numpy(),
                          off["adjudication_code"].to_numpy(), off["disposal_code"].to_numpy(),
                          dob.reindex(person).to_numpy())


def _upn_person(tables: dict[str, pd.DataFrame]) -> pd.Series:
    rp = tables["truth.record_person"]
    census_person = rp[rp["source_dataset"] == "npd_census"].set_index("record_id")["person_id"]
    census = tables["raw.npd_census"]
    upn = pd.Series(census_person.loc[census["census_record_id"]].to_numpy(),
                    index=census["upn"].to_numpy())
    return upn[~upn.index.duplicated()]


def pupil_flags(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per pupil (person_id) of the pooled cohort: justice group, sex, and each measure
    (NaN where the pupil is outside the measure's denominator)."""
    persons = tables["truth.persons"].set_index("person_id")
    upn_person = _upn_person(tables)
    pupils = pd.Index(upn_person.unique(), name="person_id")
    pupils = pupils[in_cohort(persons.loc[pupils, "dob"].to_numpy())]
    out = pd.DataFrame(index=pupils)
    groups = person_groups(tables)
    code = groups.reindex(pupils).fillna(0).astype(int).to_numpy()
    out["group"] = np.array(GROUPS[::-1], dtype=object)[code]
    out["male"] = (persons.loc[pupils, "sex"] == "M").to_numpy().astype(float)

    def per_pupil(table: str, flag: pd.Series) -> pd.Series:
        df = tables[table]
        person = upn_person.loc[df["upn"]].to_numpy()
        return pd.Series(flag.to_numpy(), index=person).groupby(level=0).max()

    ks2 = tables["raw.npd_ks2"]
    level_ok = ks2["ks2_englev"].isin(["4", "5", "6"]) & ks2["ks2_matlev"].isin(["4", "5", "6"])
    exp_ok = ((ks2["ks2_readexp"] == 1) & (ks2["ks2_matexp"] == 1)).fillna(False)
    out["ks2_expected_em"] = per_pupil("raw.npd_ks2", (level_ok | exp_ok).astype(float))
    ab = tables["raw.npd_absence"]
    start = ab["academic_year"].str[:4].astype(int)
    thr = start.map(pa_threshold)
    pa = ab["sessions_overall_absence"] / ab["sessions_possible"] >= thr
    out["ever_persistently_absent"] = per_pupil("raw.npd_absence", pa.astype(float))
    ex = tables["raw.npd_exclusions"]
    fixed = per_pupil("raw.npd_exclusions", (ex["category"] != "PERM").astype(float))
    out["ever_fixed_period_exclusion"] = fixed.reindex(pupils).fillna(0.0)
    census = tables["raw.npd_census"]
    recent = per_pupil("raw.npd_census", census["census_year"] >= CIN_CENSUS_FIRST_YEAR)
    cin_eligible = recent.reindex(pupils).fillna(False).astype(bool)
    cin = per_pupil("raw.npd_cin", pd.Series(1.0, index=tables["raw.npd_cin"].index))
    out["child_in_need"] = cin.reindex(pupils).fillna(0.0).where(cin_eligible)
    cla = per_pupil("raw.npd_cla", pd.Series(1.0, index=tables["raw.npd_cla"].index))
    out["looked_after"] = cla.reindex(pupils).fillna(0.0)
    return out


def calibration_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Measured vs ONS per cent by measure and justice group, pooled cohort born Sep 1985 - Aug
    2000 (see module docstring). Columns: measure, group, n (denominator), measured, ons, diff."""
    flags = pupil_flags(tables)
    rows = []
    for measure, targets in ONS_MAY_2022.items():
        for group in GROUPS:
            in_group = flags["group"] == group
            if measure == "share_of_cohort":
                n, value = len(flags), 100 * in_group.mean() if len(flags) else np.nan
            else:
                col = flags.loc[in_group, measure].dropna()
                n, value = len(col), 100 * col.mean() if len(col) else np.nan
            ons = targets[group]
            rows.append({"measure": measure, "group": group, "n": n,
                         "measured": round(float(value), 1),
                         "ons": ons, "diff": None if ons is None else round(value - ons, 1)})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """`python -m bold_assets.world.calibration [population] [seed]`: print the table for the
    world the settings (or the arguments) describe."""
    import sys

    from bold_assets.settings import get_settings
    from bold_assets.world.generate import generate_world

    args = sys.argv[1:] if argv is None else argv
    settings = get_settings()
    population = int(args[0]) if args else settings.population
    seed = int(args[1]) if len(args) > 1 else settings.seed
    table = calibration_table(generate_world(population, seed).tables)
    print(f"ONS May 2022 calibration, population {population:,}, seed {seed}")
    print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
