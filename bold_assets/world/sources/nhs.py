"""Wave 3 world generator: PDS, HES (admitted patient care, A&E), MHSDS and ONS deaths.

**PDS** (here). Everyone gets an NHS number (`national_ids.nhs_number`); all but a few are on
PDS (`_on_pds`: more missing among people born abroad, recent arrivals, children and deprived
areas; ~2% of NPD pupils), one row per address held since registration (birth or arrival; the
last four, most recent last), names, date of birth and gender as held at the extract (or at
death), a low error profile. Minority-ethnic and deprived people's records carry more name
variation (`_vary_names`: transliterated forenames, hyphenated surnames) and more often miss
the latest move (the current postcode stale). About 95% of NPD pupils can be traced on name,
date of birth, sex and postcode (calibration_wave3.traceable_pupils), fewer minority-ethnic and
deprived pupils.

The rest lives in plain modules of `world/`:

- `mortality.py`: who dies in 2010-2023, when and of what (hazards calibrated to published rates
  and to deaths under probation supervision), never before a person's last earlier-wave record
  (`earlier_waves.py`);
- `death_registrations.py`: causes of death and raw.ons_deaths / truth.deaths;
- `patients.py`: the per-person arrays every table below reads;
- `hospital.py`: HES APC episodes and A&E attendances;
- `mental_health.py`: MHSDS referrals, care contacts, inpatient spells and MPI rows.

Each part draws from its own named stream, in the order `generate` calls them.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from bold_assets.world.context import WorldContext
from bold_assets.world.death_registrations import death_causes, death_registrations
from bold_assets.world.earlier_waves import last_records, supervision_periods
from bold_assets.world.hospital import hes_ae, hes_apc, hospital_events, person_codes
from bold_assets.world.identifiers import ErrorProfile, make_identifiers
from bold_assets.world.labour_market import (
    OPEN,
    WORLD_END,
    YEAR,
    day_number,
    day_numbers,
    uniform_ints,
)
from bold_assets.world.mental_health import mhsds
from bold_assets.world.mortality import Mortality
from bold_assets.world.patients import Patients, to_dates
from bold_assets.world.records import extract, issue_ids

TRUTH = ("deaths",)  # truth.* tables of its own (beside truth.record_person)
PRODUCES = ("pds", "hes_apc", "hes_ae", "mhsds_mpi", "mhsds_referrals", "mhsds_care_contacts",
            "mhsds_hosp_spells", "ons_deaths")  # fmt: skip
# PDS is well kept: names and dates of birth from birth registration or GP registration.
ERROR_PROFILES: dict[str, ErrorProfile] = {
    "pds": ErrorProfile(
        typo_forename=0.003, typo_surname=0.003, nickname=0.0, swap_names=0.001,
        stale_surname=0.03, dob_day_month_swap=0.0005, dob_year_off=0.0005, dob_shift=0.0005,
        dob_missing=0.0, sex_missing=0.0, postcode_missing=0.015, postcode_typo=0.0,
        postcode_stale=0.0, ethnicity_missing=1.0, middle_missing=0.3, name_case="upper",
    ),
}
_TRANSLITERATION = ((r"OHAMMED", "UHAMMAD"), (r"UHAMMAD", "OHAMMED"), (r"EE", "I"), (r"OO", "U"),
                    (r"PH", "F"), (r"KH", "K"), (r"OU", "U"), (r"IE$", "Y"), (r"Y$", "IE"),
                    (r"AH$", "A"), (r"A$", "AH"), (r"SH", "S"), (r"TH", "T"), (r"DH", "D"),
                    (r"Z", "S"), (r"([AEIOU])", r"\1\1"))  # fmt: skip


def _on_pds(ctx: WorldContext, rng: np.random.Generator) -> np.ndarray:
    p = ctx.persons
    arrival = day_numbers(p["arrival_date"])
    recent = (arrival <= WORLD_END) & (arrival > WORLD_END - 2 * YEAR)
    child = day_numbers(p["dob"]) > WORLD_END - 16 * YEAR
    missing = (0.007 + 0.03 * p["born_abroad"].to_numpy(bool) + 0.15 * recent
               + 0.01 * child + 0.01 * (p["imd_decile"].to_numpy() <= 2))
    return rng.random(len(p)) >= missing


def _transliterate(name: str, u: float) -> str:
    rules = [(a, b) for a, b in _TRANSLITERATION if re.search(a, name)]
    if not rules:
        return name
    a, b = rules[int(u * len(rules))]
    return re.sub(a, b, name, count=1)


def _vary_names(rng: np.random.Generator, ctx: WorldContext, person: np.ndarray,
                forename: np.ndarray, surname: np.ndarray) -> None:
    """Transliterated forenames and hyphenated surnames, more for minority-ethnic and deprived
    people (in place)."""
    p = ctx.persons
    minority = (p["ethnic_group"] != "White").to_numpy()[person]
    deprived = (p["imd_decile"].to_numpy() <= 3)[person]
    k = len(person)
    for i in np.flatnonzero(rng.random(k) < 0.005 + 0.06 * minority + 0.02 * deprived):
        if forename[i]:
            forename[i] = _transliterate(forename[i], rng.random())
    hyphen = np.flatnonzero(rng.random(k) < 0.004 + 0.03 * minority + 0.02 * deprived)
    other = p["birth_surname"].to_numpy(dtype=object)[rng.integers(0, len(p), len(hyphen))]
    surname[hyphen] = [f"{s}-{o.upper()}" if s and "-" not in s else s
                       for s, o in zip(surname[hyphen], other, strict=True)]


def _pds(ctx: WorldContext, pt: Patients, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """One row per person on PDS and address held since registration (the last four)."""
    a = ctx.addresses
    person = a["person_idx"].to_numpy()
    reg = pt.start[person]
    from_day, to_day = day_numbers(a["from_date"]), day_numbers(a["to_date"])
    first_move = np.where(a["seq"].to_numpy() == 1, to_day, OPEN)
    drawn = uniform_ints(rng, reg, np.minimum(np.minimum(first_move, day_number("2009-12-31")),
                                              WORLD_END), len(a))
    since = np.where(a["seq"].to_numpy() == 1, drawn, np.maximum(from_day, reg))
    held = pt.on_pds[person] & (to_day >= reg) & (since <= pt.end[person])
    rows = pd.DataFrame({"person_idx": person, "address_row": np.arange(len(a)),
                         "since": np.minimum(since, pt.end[person])})[held]
    # the latest move not yet on PDS: more often for minority-ethnic and deprived people
    p = ctx.persons
    stale_p = (0.03 + 0.04 * (p["ethnic_group"] != "White").to_numpy()
               + 0.03 * (p["imd_decile"].to_numpy() <= 3))
    rank = rows.groupby("person_idx").cumcount(ascending=False).to_numpy()
    stale = (rng.random(pt.n) < stale_p)[rows["person_idx"].to_numpy()]
    count = rows.groupby("person_idx")["since"].transform("size").to_numpy()
    rows = rows[~(stale & (rank == 0) & (count > 1))]
    rows = rows[rows.groupby("person_idx").cumcount(ascending=False) < 4]
    rows = rows.assign(address_from_date=to_dates(rows["since"].to_numpy()))
    rows = issue_ids(rng, rows.drop(columns="since").reset_index(drop=True),
                     "address_from_date", "pds")
    held_now = np.flatnonzero(pt.on_pds)
    now = pd.DataFrame({"person_idx": held_now, "held": to_dates(pt.end[held_now])})
    profile = ERROR_PROFILES["pds"]
    ids = make_identifiers(now, ctx.persons.reset_index(drop=True), a, profile, "%Y-%m-%d",
                           rng, "held")
    forename = ids["forename"].to_numpy(dtype=object)
    surname = ids["surname"].to_numpy(dtype=object)
    _vary_names(rng, ctx, held_now, forename, surname)
    slot = np.searchsorted(held_now, rows["person_idx"].to_numpy())
    pcode = pd.Series(a["postcode"].to_numpy(dtype=object)[rows["address_row"].to_numpy()])
    nospace = rng.random(len(rows)) < 0.03
    pcode[nospace] = pcode[nospace].str.replace(" ", "", regex=False)
    deprived = (p["imd_decile"].to_numpy() <= 2)[rows["person_idx"].to_numpy()]
    pcode[rng.random(len(rows)) < profile.postcode_missing * (1 + deprived)] = None
    return extract(ctx, "pds", rows, {
        "pds_record_id": rows["record_id"], "nhs_number": pt.nhs[rows["person_idx"].to_numpy()],
        "given_name": forename[slot], "family_name": surname[slot],
        "date_of_birth": ids["dob"].str.replace("-", "", regex=False).to_numpy(dtype=object)[slot],
        "gender": ids["sex"].map({"M": "1", "F": "2"}).to_numpy(dtype=object)[slot],
        "postcode": pcode.to_numpy(dtype=object), "address_from_date": rows["address_from_date"],
    })


def generate(ctx: WorldContext) -> dict[str, pd.DataFrame]:
    """raw.pds (and its truth.record_person rows), raw.hes_apc, raw.hes_ae, raw.mhsds_*,
    raw.ons_deaths and truth.deaths."""
    n = len(ctx.persons)
    mortality = Mortality(ctx, last_records(ctx), supervision_periods(ctx))
    deaths = mortality.deaths(ctx.rng("nhs_mortality"), n)
    death = np.full(n, OPEN, dtype=np.int64)
    death[deaths["person_idx"].to_numpy()] = deaths["day"].to_numpy()
    pt = Patients(ctx, death, _on_pds(ctx, ctx.rng("pds_coverage")))
    drng = ctx.rng("ons_deaths")
    age = pt.age(deaths["person_idx"].to_numpy(), deaths["day"].to_numpy())
    deaths["code"] = death_causes(drng, deaths["cause"].to_numpy(), age)
    out = _pds(ctx, pt, ctx.rng("pds"))
    out.update(death_registrations(ctx, pt, deaths, drng))
    hrng = ctx.rng("nhs_hospital")
    pt.mh_code, pt.sub_code = person_codes(hrng, pt)
    events = hospital_events(hrng, pt, deaths)
    out["raw.hes_apc"] = hes_apc(hrng, pt, events)
    out["raw.hes_ae"] = hes_ae(ctx.rng("nhs_ae"), pt, events)
    out.update(mhsds(ctx, ctx.rng("nhs_mhsds"), pt, events))
    out["journey.mortality_expected"] = pd.DataFrame(
        {"figure": list(mortality.expected), "expected": list(mortality.expected.values())})
    return out
