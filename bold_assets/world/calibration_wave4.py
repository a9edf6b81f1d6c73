"""The calibration of wave 4: homelessness applications and duties per head, temporary
accommodation, prison releases without accommodation, missing returns, repeat presentations and
council tenants, measured back from raw tables and truth (DOMAIN.md, wave 4).

Definitions (persons reached through truth: H-CLIC cases by truth.homelessness_cases, council
tenancies by truth.record_person, releases by truth.prison_release_housing):

- **People**: persons born, arrived and not dead (truth.deaths) on the day (mid-2023 for the
  2023-24 rates, 31 December 2023 for temporary accommodation); every age, as DLUHC's rates use
  England's whole population (~57.7m in mid-2023).
- **2023-24**: the world ends on 31 December 2023, so the financial year's rates are its nine
  months (April-December) annualised.
- **Assessments**: cases by date of application, every case (truth, including councils whose
  return never arrived) and only those in the returns (raw.hclic_main). Owed a duty, prevention
  and relief from raw.hclic_main's initial assessment.
- **Temporary accommodation**: households (case_ref) with a placement running on 31 December
  2023 (raw.hclic_temp_accommodation, end empty or later).
- **Prison releases without accommodation**: releases from April 2018 (H-CLIC's start) to the
  end of the world, not 2023-24 alone: the prison extract holds receptions to 2021, so few
  releases fall in 2023-24 (HMPPS, year to March 2024: ~13%).
- **Missing returns**: council-quarters of raw.hclic_submissions with submitted = "N" (DLUHC's
  releases: 97.5-98.4% of councils returned in 2018-19, near all since; about 1% over the
  period).
- **Repeat presentations across councils**: persons with cases at two or more councils, of the
  persons with any case (truth); no published figure (shown, not judged).
- **Council tenants**: adults (18+) alive in mid-2023 with a raw.la_tenancies tenancy running
  that day (the brief's ~7%).

`python -m bold_assets.world.calibration_wave4 --population N [--seeds S ...]` prints figure,
measured, published, within tolerance (3 points for shares, 20% for counts per head) and the
count behind each; with several seeds the worlds' counts are pooled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.world.labour_market import WORLD_END, YEAR, day_number, day_numbers

FY_FIRST, FY_LAST = day_number("2023-04-01"), WORLD_END  # 2023-24 within the world
FY_YEARS = (FY_LAST - FY_FIRST + 1) / YEAR
MID_2023 = day_number("2023-06-30")
# figure -> (published, kind: "share" (points), "rate" (relative) or "none", description)
PUBLISHED: dict[str, tuple[float, str, str]] = {
    "assessments_per_1000": (358_370 / 57_700, "rate", "initial assessments a year per 1,000 "
                             "people, 2023-24, every case (truth)"),
    "assessments_submitted_per_1000": (358_370 / 57_700, "rate", "the same, cases in the "
                                       "returns only (DLUHC imputes the missing)"),
    "owed_duty_pct": (100 * 324_990 / 358_370, "share", "assessments owed a prevention or "
                      "relief duty, %"),
    "prevention_per_1000": (146_430 / 57_700, "rate", "prevention duties owed a year per 1,000"),
    "relief_per_1000": (178_560 / 57_700, "rate", "relief duties owed a year per 1,000"),
    "ta_households_per_1000": (112_000 / 57_700, "rate", "households in temporary "
                               "accommodation on 31 December 2023 per 1,000 people"),
    "prison_release_no_accommodation_pct": (13.0, "share", "prison releases with no "
                                            "accommodation, % (April 2018 on)"),
    "missing_council_quarters_pct": (1.0, "share", "council-quarters without a return, %"),
    "repeat_across_councils_pct": (np.nan, "none", "applicants with cases at 2+ councils, %"),
    "council_tenants_pct": (7.0, "share", "adults holding a council tenancy, mid-2023, %"),
}
TOLERANCE = {"share": 3.0, "rate": 0.2}


def _person_of(tables: dict[str, pd.DataFrame], source: str) -> pd.Series:
    rp = tables["truth.record_person"]
    return rp[rp["source_dataset"] == source].set_index("record_id")["person_id"]


def alive_on(tables: dict[str, pd.DataFrame], day: int, min_age: float = 0.0) -> pd.Index:
    """person_id of the people in the country and alive on `day` (aged `min_age`+)."""
    persons = tables["truth.persons"]
    deaths = tables["truth.deaths"]
    died = pd.Series(day_numbers(deaths["date_of_death"]), index=deaths["person_id"].to_numpy())
    dob = day_numbers(persons["dob"])
    arrival = day_numbers(persons["arrival_date"])
    start = np.where(arrival <= WORLD_END, np.maximum(arrival, dob), dob)
    death = died.reindex(persons["person_id"]).fillna(np.inf).to_numpy()
    ok = (start <= day) & (death > day) & (dob + min_age * YEAR <= day)
    return pd.Index(persons["person_id"].to_numpy()[ok])


def _in_fy(values: pd.Series) -> np.ndarray:
    d = day_numbers(values)
    return (d >= FY_FIRST) & (d <= FY_LAST)


def calibration_counts(tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Every count the table needs (sums: add the counts of several worlds to pool them)."""
    out: dict[str, float] = {}
    out["people_mid"] = float(len(alive_on(tables, MID_2023)))
    out["people_end"] = float(len(alive_on(tables, WORLD_END)))
    cases = tables["truth.homelessness_cases"]
    out["cases_all"] = float(_in_fy(cases["date_of_application"]).sum())
    main = tables["raw.hclic_main"]
    fy = main[_in_fy(main["date_of_application"])]
    out["cases_submitted"] = float(len(fy))
    for code, name in (("1", "prevention"), ("2", "relief")):
        out[name] = float((fy["assessment_outcome"] == code).sum())
    ta = tables["raw.hclic_temp_accommodation"]
    start, end = day_numbers(ta["ta_start_date"]), day_numbers(ta["ta_end_date"])
    running = (start <= WORLD_END) & (end > WORLD_END)
    out["ta_households"] = float(ta.loc[running, "case_ref"].nunique())
    rel = tables["truth.prison_release_housing"]
    out["releases"] = float(len(rel))
    out["releases_no_accommodation"] = float(rel["no_accommodation"].sum())
    sub = tables["raw.hclic_submissions"]
    out["council_quarters"] = float(len(sub))
    out["council_quarters_missing"] = float((sub["submitted"] == "N").sum())
    councils = cases.groupby("person_id")["la_code"].nunique()
    out["applicants"] = float(len(councils))
    out["applicants_2plus_councils"] = float((councils >= 2).sum())
    t = tables["raw.la_tenancies"]
    live = ((day_numbers(t["tenancy_start_date"]) <= MID_2023)
            & (day_numbers(t["tenancy_end_date"]) > MID_2023))
    tenants = set(_person_of(tables, "la_tenancies").reindex(t.loc[live, "tenancy_ref"]))
    adults = alive_on(tables, MID_2023, 18.0)
    out["adults_mid"] = float(len(adults))
    out["council_tenants"] = float(adults.isin(list(tenants)).sum())
    return out


def figures(counts: dict[str, float]) -> dict[str, tuple[float, int]]:
    """figure -> (measured, count behind it) from (pooled) counts."""
    c = counts

    def per_1000(n: float) -> float:
        return 1000 * n / FY_YEARS / c["people_mid"]

    return {
        "assessments_per_1000": (per_1000(c["cases_all"]), int(c["cases_all"])),
        "assessments_submitted_per_1000": (per_1000(c["cases_submitted"]),
                                           int(c["cases_submitted"])),
        "owed_duty_pct": (100 * (c["prevention"] + c["relief"]) / max(c["cases_submitted"], 1),
                          int(c["prevention"] + c["relief"])),
        "prevention_per_1000": (per_1000(c["prevention"]), int(c["prevention"])),
        "relief_per_1000": (per_1000(c["relief"]), int(c["relief"])),
        "ta_households_per_1000": (1000 * c["ta_households"] / c["people_end"],
                                   int(c["ta_households"])),
        "prison_release_no_accommodation_pct": (
            100 * c["releases_no_accommodation"] / max(c["releases"], 1), int(c["releases"])),
        "missing_council_quarters_pct": (
            100 * c["council_quarters_missing"] / max(c["council_quarters"], 1),
            int(c["council_quarters_missing"])),
        "repeat_across_councils_pct": (
            100 * c["applicants_2plus_councils"] / max(c["applicants"], 1),
            int(c["applicants_2plus_councils"])),
        "council_tenants_pct": (100 * c["council_tenants"] / max(c["adults_mid"], 1),
                                int(c["council_tenants"])),
    }


def calibration_table(tables: dict[str, pd.DataFrame] | None = None,
                      counts: dict[str, float] | None = None) -> pd.DataFrame:
    """figure, measured, published, within (tolerance), count, from a world's tables or from
    (pooled) `counts`."""
    measured = figures(counts if counts is not None else calibration_counts(tables or {}))
    rows = []
    for figure, (published, kind, _) in PUBLISHED.items():
        value, count = measured[figure]
        if kind == "none":
            within = "n/a"
        else:
            ok = (abs(value - published) <= TOLERANCE["share"] if kind == "share"
                  else abs(value / published - 1) <= TOLERANCE["rate"])
            within = "yes" if ok else "no"
        rows.append({"figure": figure, "measured": round(value, 3),
                     "published": round(published, 3), "within": within, "count": count})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """`python -m bold_assets.world.calibration_wave4 [--population N] [--seeds S ...]`: the
    table for one world, or pooled over worlds of several seeds (counts added)."""
    from bold_assets.world.generate import calibration_worlds

    args, worlds = calibration_worlds(argv, __doc__.splitlines()[0], wave=4)
    counts: dict[str, float] = {}
    for tables in worlds:
        for key, value in calibration_counts(tables).items():
            counts[key] = counts.get(key, 0.0) + value
    print(f"Wave 4 calibration: population {args.population:,}, seeds "
          f"{' '.join(map(str, args.seeds))} (counts pooled); 2023-24 = April-December 2023 "
          "annualised")
    with pd.option_context("display.width", 200):
        print(calibration_table(counts=counts).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
