"""The calibration of wave 3: deaths of people on probation, recorded mental health, and the
general population's rates, measured back from raw tables (DOMAIN.md, wave 3).

Definitions (each person reached through truth: PDS and justice records by
truth.record_person, hospital and mental-health records by NHS number through PDS, deaths by
truth.deaths, so registrations without an NHS number count too):

- **On probation**: between the referral and termination date of a raw.probation event (open: to
  the end of 2023), periods merged per person. The window is 2014-2023, the probation extract's
  years (DOMAIN.md pools 2011-2021; the world's extract starts in 2014).
- **Rates**: deaths / person-years in the window, person-years from 2014, birth or arrival to
  death or the end of 2023; under supervision, the supervised days of those person-years. The
  ratios are crude: the supervised rate over the general population's (all persons; suicide at
  ages 10 and over, ONS's definition).
- **Causes** from the underlying cause code: suicide = the `suicide` list (X60-X84, Y10-Y34),
  also "self-inflicted"; drug poisoning = the `drug_poisoning` list (overlapping suicide on
  X60-X64, Y10-Y14); natural = outside `external_causes`.
- **Recorded mental-health condition**: a person supervised in the window with any MHSDS referral
  (2016-2023) or any HES APC diagnosis (any position, 2000-2023) in F10-F48 (`substance_use` or
  `mental_health`).
- **Pupils traced to PDS**: an NPD pupil is traceable when one of their census rows and one of
  their own PDS rows agree on date of birth, sex and two of forename, surname and postcode
  (compared in upper case, only letters and digits): what a demographic trace would need.

`python -m bold_assets.world.calibration_wave3 --population N [--seeds S ...]` prints figure,
measured, published, within tolerance (3 points for shares, 20% for rates and ratios), the count
behind each and what the generator's solved hazards give in expectation (`expected`, without
Poisson noise); with several seeds the worlds' counts are pooled (deaths under supervision are
few: ~120 a million people).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.catalog.icd10 import CODE_LISTS
from bold_assets.catalog.sources.nhs import DIAGNOSES
from bold_assets.world.labour_market import WORLD_END, YEAR, day_number, day_numbers
from bold_assets.world.labour_market import merge_intervals as _merge

WINDOW = (day_number("2014-01-01"), WORLD_END)
# figure -> (published, kind: "share" (points) or "ratio" (relative), description)
PUBLISHED: dict[str, tuple[float, str, str]] = {
    "supervised_death_rate_pct": (0.34, "ratio", "deaths a year per 100 people on probation"),
    "suicide_ratio": (6.0, "ratio", "suicide rate on probation / general population"),
    "suicide_ratio_men": (4.0, "ratio", "the same, men"),
    "suicide_ratio_women": (11.0, "ratio", "the same, women"),
    "drug_ratio": (16.0, "ratio", "drug-poisoning death rate on probation / general (>16)"),
    "drug_ratio_men": (11.0, "ratio", "the same, men"),
    "drug_ratio_women": (36.0, "ratio", "the same, women"),
    "supervised_natural_share_pct": (44.0, "share", "deaths under supervision: natural, %"),
    "supervised_self_inflicted_share_pct": (35.0, "share", "deaths under supervision: "
                                            "self-inflicted (suicide list), %"),
    "mental_health_recorded_pct": (38.0, "share", "people on probation with a recorded "
                                   "mental-health condition, %"),
    "general_suicide_per_100k": (10.5, "ratio", "general population suicide rate (10+)"),
    "general_drug_per_100k": (7.5, "ratio", "general population drug-poisoning rate"),
    "npd_pupils_traced_pct": (95.0, "share", "NPD pupils traceable to PDS (ECHILD ~95%)"),
}
TOLERANCE = {"share": 3.0, "ratio": 0.2}


def _person_of(tables: dict[str, pd.DataFrame], source: str) -> pd.Series:
    rp = tables["truth.record_person"]
    return rp[rp["source_dataset"] == source].set_index("record_id")["person_id"]


def nhs_person(tables: dict[str, pd.DataFrame]) -> pd.Series:
    """person_id of each NHS number on PDS."""
    pds = tables["raw.pds"]
    out = pd.Series(_person_of(tables, "pds").reindex(pds["pds_record_id"]).to_numpy(),
                    index=pds["nhs_number"].to_numpy())
    return out[~out.index.duplicated()]


def deaths(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Registered deaths: person_id, day, sex (M/F), age, code (underlying cause)."""
    raw = tables["raw.ons_deaths"]
    who = tables["truth.deaths"].set_index("death_record_id")["person_id"]
    return pd.DataFrame({"person_id": who.reindex(raw["death_record_id"]).to_numpy(),
                         "day": day_numbers(raw["reg_date_of_death"]),
                         "male": (raw["dec_sex"] == "1").to_numpy(),
                         "age": raw["dec_agec"].to_numpy(),
                         "code": raw["s_underlying_cod_icd10"].to_numpy()})


def supervision(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Merged supervision periods: person_id, start, end (day numbers, within the window)."""
    prob = tables["raw.probation"]
    person = _person_of(tables, "probation").reindex(prob["event_id"]).to_numpy()
    codes, uniq = pd.factorize(person)
    end = np.minimum(day_numbers(prob["termination_date"]), WINDOW[1])
    ok = codes >= 0
    p, s, e = _merge(codes[ok], np.maximum(day_numbers(prob["referral_date"]), WINDOW[0])[ok],
                     end[ok])
    return pd.DataFrame({"person_id": uniq[p], "start": s, "end": e})


def _in_list(codes: np.ndarray, name: str) -> np.ndarray:
    return np.array([CODE_LISTS[name].contains(c) for c in codes], dtype=bool)


def mortality_counts(tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Deaths and person-years of the window (sums, so worlds can be pooled): `<group>_<what>`
    with group `gen` (everyone) or `sup` (under supervision), what `py`, `py10` (ages 10+),
    `deaths`, `natural`, `suicide` (ages 10+), `drug`, each also by sex (`_m`, `_f`)."""
    persons = tables["truth.persons"]
    d = deaths(tables)
    death_day = pd.Series(d["day"].to_numpy(), index=d["person_id"].to_numpy())
    dob = day_numbers(persons["dob"])
    arrival = day_numbers(persons["arrival_date"])
    start = np.maximum.reduce([np.full(len(dob), WINDOW[0]), dob,
                               np.where(arrival <= WORLD_END, arrival, dob)])
    last = np.minimum(death_day.reindex(persons["person_id"]).fillna(WORLD_END).to_numpy(
        np.int64), WINDOW[1])
    male = (persons["sex"] == "M").to_numpy()
    sup = supervision(tables)
    sup_end = np.minimum(sup["end"].to_numpy(), death_day.reindex(sup["person_id"]).fillna(
        WORLD_END).to_numpy(np.int64))
    d = d[(d["day"] >= WINDOW[0]) & (d["day"] <= WINDOW[1])]
    m = d.merge(sup, on="person_id")
    groups = {
        "gen": (d, male, np.maximum(last - start + 1, 0) / YEAR,
                np.maximum(last - np.maximum(start, dob + int(10 * YEAR)) + 1, 0) / YEAR),
        "sup": (m[(m["day"] >= m["start"]) & (m["day"] <= m["end"])],
                pd.Series(male, index=persons["person_id"]).reindex(sup["person_id"]).to_numpy(),
                np.maximum(sup_end - sup["start"].to_numpy() + 1, 0) / YEAR, None)}
    out: dict[str, float] = {}
    for group, (frame, sex, py, py10) in groups.items():
        code = frame["code"].to_numpy()
        flags = {"deaths": np.ones(len(frame), dtype=bool),
                 "natural": ~_in_list(code, "external_causes"),
                 "suicide": _in_list(code, "suicide") & (frame["age"].to_numpy() >= 10),
                 "drug": _in_list(code, "drug_poisoning")}
        dead_male = frame["male"].to_numpy()
        for suffix, d_sel, p_sel in (("", True, np.ones(len(sex), dtype=bool)),
                                     ("_m", dead_male, sex), ("_f", ~dead_male, ~sex)):
            out[f"{group}_py{suffix}"] = float(py[p_sel].sum())
            out[f"{group}_py10{suffix}"] = float((py if py10 is None else py10)[p_sel].sum())
            for what, flag in flags.items():
                out[f"{group}_{what}{suffix}"] = float((flag & d_sel).sum())
    return out


def figures(counts: dict[str, float]) -> dict[str, tuple[float, int]]:
    """figure -> (measured, count behind it) from (pooled) counts."""
    c = counts

    def rate(group: str, what: str, suffix: str = "") -> float:
        py = c[f"{group}_py10{suffix}"] if what == "suicide" else c[f"{group}_py{suffix}"]
        return c[f"{group}_{what}{suffix}"] / py if py else np.nan

    out = {
        "supervised_death_rate_pct": (100 * rate("sup", "deaths"), int(c["sup_deaths"])),
        "supervised_natural_share_pct": (100 * c["sup_natural"] / max(c["sup_deaths"], 1),
                                         int(c["sup_deaths"])),
        "supervised_self_inflicted_share_pct": (100 * c["sup_suicide"] / max(c["sup_deaths"], 1),
                                                int(c["sup_deaths"])),
        "general_suicide_per_100k": (1e5 * rate("gen", "suicide"), int(c["gen_suicide"])),
        "general_drug_per_100k": (1e5 * rate("gen", "drug"), int(c["gen_drug"])),
    }
    for cause in ("suicide", "drug"):
        for suffix, name in (("", ""), ("_m", "_men"), ("_f", "_women")):
            general = rate("gen", cause, suffix)
            out[f"{cause}_ratio{name}"] = (rate("sup", cause, suffix) / general if general
                                          else np.nan, int(c[f"sup_{cause}{suffix}"]))
    if "mh_people" in c:
        out["mental_health_recorded_pct"] = (100 * c["mh_recorded"] / max(c["mh_people"], 1),
                                             int(c["mh_people"]))
    if "pupils" in c:
        out["npd_pupils_traced_pct"] = (100 * c["traced"] / max(c["pupils"], 1),
                                        int(c["pupils"]))
    return out


def mental_health_recorded(tables: dict[str, pd.DataFrame]) -> tuple[int, int]:
    """(people on probation with a recorded mental-health condition, people on probation)."""
    people = pd.Index(supervision(tables)["person_id"].unique())
    hes = tables["raw.hes_apc"]
    f_code = np.zeros(len(hes), dtype=bool)
    for col in DIAGNOSES:
        cat = hes[col].str[:3]
        f_code |= ((cat >= "F10") & (cat <= "F48")).to_numpy(dtype=bool)
    who = nhs_person(tables)
    recorded = set(who.reindex(hes.loc[f_code, "nhs_number"]).dropna())
    recorded |= set(who.reindex(tables["raw.mhsds_referrals"]["nhs_number"]).dropna())
    return int(people.isin(list(recorded)).sum()), len(people)


def _norm(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)


def traceable_pupils(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Pupils, and per cent traceable to PDS (see the module docs), overall and by group."""
    census = tables["raw.npd_census"]
    c = pd.DataFrame({
        "person_id": _person_of(tables, "npd_census").reindex(census["census_record_id"])
        .to_numpy(), "dob": census["dob"].str.replace("-", "", regex=False).to_numpy(),
        "sex": census["gender"].map({"M": "1", "F": "2"}).to_numpy(),
        "fn": _norm(census["forename"]).to_numpy(), "sn": _norm(census["surname"]).to_numpy(),
        "pc": _norm(census["postcode"]).to_numpy()})
    pds = tables["raw.pds"]
    p = pd.DataFrame({
        "person_id": _person_of(tables, "pds").reindex(pds["pds_record_id"]).to_numpy(),
        "dob_p": pds["date_of_birth"].to_numpy(), "sex_p": pds["gender"].to_numpy(),
        "fn_p": _norm(pds["given_name"]).to_numpy(), "sn_p": _norm(pds["family_name"]).to_numpy(),
        "pc_p": _norm(pds["postcode"]).to_numpy()})
    m = c.merge(p, on="person_id")
    fn, sn = m["fn"] == m["fn_p"], m["sn"] == m["sn_p"]
    pc = (m["pc"] == m["pc_p"]) & (m["pc"] != "")
    ok = (m["dob"] == m["dob_p"]) & (m["sex"] == m["sex_p"]) & (
        (fn & sn) | (sn & pc) | (fn & pc))
    traced = pd.Index(m.loc[ok, "person_id"].unique())
    persons = tables["truth.persons"].set_index("person_id")
    pupils = persons.loc[c["person_id"].unique()]
    groups = {"all": np.ones(len(pupils), bool),
              "white": (pupils["ethnic_group"] == "White").to_numpy(),
              "minority_ethnic": (pupils["ethnic_group"] != "White").to_numpy(),
              "deprived_imd_1_2": (pupils["imd_decile"] <= 2).to_numpy(),
              "imd_3_10": (pupils["imd_decile"] > 2).to_numpy()}
    hit = pupils.index.isin(traced)
    return pd.DataFrame([{"group": g, "pupils": int(sel.sum()), "traced": int(hit[sel].sum()),
                          "traced_pct": round(100 * float(hit[sel].mean()), 1)}
                         for g, sel in groups.items()])


def calibration_counts(tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Every count the table needs (sums: add the counts of several worlds to pool them)."""
    out = mortality_counts(tables)
    out["mh_recorded"], out["mh_people"] = mental_health_recorded(tables)
    trace = traceable_pupils(tables).set_index("group")
    out["pupils"] = float(trace.loc["all", "pupils"])
    out["traced"] = float(trace.loc["all", "traced"])
    return out


def calibration_table(tables: dict[str, pd.DataFrame] | None = None,
                      expected: dict[str, float] | None = None,
                      counts: dict[str, float] | None = None) -> pd.DataFrame:
    """figure, measured, published, within (tolerance), count, expected (the model's), from a
    world's tables or from (pooled) `counts`."""
    measured = figures(counts if counts is not None else calibration_counts(tables or {}))
    rows = []
    for figure, (published, kind, _) in PUBLISHED.items():
        value, count = measured[figure]
        within = (abs(value - published) <= TOLERANCE["share"] if kind == "share"
                  else abs(value / published - 1) <= TOLERANCE["ratio"])
        rows.append({"figure": figure, "measured": round(value, 3), "published": published,
                     "within": "yes" if within else "no", "count": count,
                     "expected": round((expected or {}).get(figure, np.nan), 3)})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """`python -m bold_assets.world.calibration_wave3 [--population N] [--seeds S ...]`: the
    table for one world, or pooled over worlds of several seeds (counts added)."""
    from bold_assets.world.generate import calibration_worlds

    args, worlds = calibration_worlds(argv, __doc__.splitlines()[0], wave=3)
    counts: dict[str, float] = {}
    expected: dict[str, list[float]] = {}
    groups = []
    for tables in worlds:
        for key, value in calibration_counts(tables).items():
            counts[key] = counts.get(key, 0.0) + value
        exp = tables["journey.mortality_expected"]
        for figure, value in zip(exp["figure"], exp["expected"], strict=True):
            expected.setdefault(figure, []).append(value)
        groups.append(traceable_pupils(tables))
    print(f"Wave 3 calibration: population {args.population:,}, seeds "
          f"{' '.join(map(str, args.seeds))} (counts pooled); window 2014-2023")
    mean = {k: float(np.mean(v)) for k, v in expected.items()}
    trace = pd.concat(groups).groupby("group", sort=False)[["pupils", "traced"]].sum()
    trace["traced_pct"] = (100 * trace["traced"] / trace["pupils"]).round(1)
    with pd.option_context("display.width", 200):
        print(calibration_table(expected=mean, counts=counts).to_string(index=False))
        print("\nNPD pupils traceable to PDS by group")
        print(trace.to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
