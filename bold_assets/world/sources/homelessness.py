"""Wave 4 world generator: H-CLIC (DLUHC's homelessness case-level returns, nine sections and
the record of which councils' returns arrived) and council tenancies (raw.la_tenancies).

The parts live in plain modules of `world/`, each drawing from its own named stream in the
order `generate` calls them:

- `housing_people.py`: the per-person arrays both read (deaths, addresses and their councils,
  custody, justice records, care);
- `council_housing.py`: council tenancies along the address history, their ends (evictions,
  transfers, deaths) and temporary accommodation licences;
- `homelessness.py`: who applies when and why (prison releases without accommodation,
  possession claims, family cases, evictions and latent need), calibrated per head to England
  2023-24;
- `hclic_assessment.py`: the duty owed, the reason, the accommodation and the household;
- `hclic_duties.py`: assessments, support needs, duties, decisions, temporary accommodation,
  assistance and reviews;
- `hclic.py`: case references, missing returns and the raw tables.

Truth beside truth.record_person: `truth.homelessness_cases` (every case, submitted or not:
person, case_ref, council, quarter, application date, cause) and
`truth.prison_release_housing` (releases from April 2018 and whether the person had nowhere to
live), so the calibration (`calibration_wave4`) counts what the returns miss.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.world.context import WorldContext
from bold_assets.world.council_housing import (
    arrears,
    council_tenancies,
    tenant_refs,
    tmp_tenancies,
)
from bold_assets.world.hclic import (
    case_refs,
    missing_returns,
    people,
    quarter_index,
    quarters,
    section_tables,
    submissions,
)
from bold_assets.world.hclic_assessment import assess
from bold_assets.world.hclic_duties import Duties
from bold_assets.world.homelessness import presentations, release_housing
from bold_assets.world.housing_people import HousingPeople
from bold_assets.world.identifiers import ErrorProfile
from bold_assets.world.patients import to_dates
from bold_assets.world.records import extract, identified, issue_ids

TRUTH = ("homelessness_cases", "prison_release_housing")
PRODUCES = ("hclic_people", "hclic_main", "hclic_support_needs", "hclic_prevention",
            "hclic_relief", "hclic_main_duty", "hclic_assistance", "hclic_temp_accommodation",
            "hclic_reviews", "hclic_submissions", "la_tenancies")  # fmt: skip
# Councils key what applicants tell them (nicknames, swapped day and month, dates of birth not
# given, NINO known for under half); housing systems hold tenants' details from the tenancy
# agreement, the NINO when given (about two thirds).
ERROR_PROFILES: dict[str, ErrorProfile] = {
    "hclic_people": ErrorProfile(
        typo_forename=0.02, typo_surname=0.025, nickname=0.06, swap_names=0.01,
        stale_surname=0.3, dob_day_month_swap=0.02, dob_year_off=0.01, dob_shift=0.005,
        dob_missing=0.025, sex_missing=0.01, postcode_missing=0.0, postcode_typo=0.02,
        postcode_stale=0.03, ethnicity_missing=0.06, name_case="mixed",
        national_id_missing=0.55, national_id_typo=0.02, national_id_placeholder=0.01,
    ),
    "la_tenancies": ErrorProfile(
        typo_forename=0.01, typo_surname=0.01, nickname=0.03, swap_names=0.003,
        stale_surname=0.4, dob_day_month_swap=0.005, dob_year_off=0.005, dob_shift=0.003,
        dob_missing=0.02, sex_missing=0.015, postcode_missing=0.002, postcode_typo=0.005,
        postcode_stale=0.0, ethnicity_missing=1.0, name_case="title",
        national_id_missing=0.35, national_id_typo=0.01, national_id_placeholder=0.01,
    ),
}
ETHNICITY = {"W": "W", "M": "M", "A": "A", "B": "B", "O": "O"}


def _council_postcodes(ctx: WorldContext, hp: HousingPeople, lad: np.ndarray,
                       rng: np.random.Generator) -> np.ndarray:
    """A postcode in each council's area."""
    pc = ctx.geo["postcodes"]
    lsoa_lad = ctx.geo["lsoa"].set_index("lsoa_code")["lad_code"]
    pc_lad = pd.Index(hp.lad_codes).get_indexer(lsoa_lad.reindex(pc["lsoa_code"]))
    order = np.argsort(pc_lad, kind="stable")
    first = np.searchsorted(pc_lad[order], lad)
    count = np.searchsorted(pc_lad[order], lad, side="right") - first
    pick = first + (rng.random(len(lad)) * count).astype(np.int64)
    return pc["postcode"].to_numpy(dtype=object)[order[pick]]


def _hclic(ctx: WorldContext, hp: HousingPeople, cases: pd.DataFrame
           ) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    duties = Duties(hp, ctx.rng("hclic_duties"), cases)
    prevention = duties.prevention()
    relief = duties.relief(prevention)
    duty = duties.main_duty(relief)
    ta = duties.temporary_accommodation(relief, duty)
    sections = {"support": duties.support_needs(), "prevention": prevention, "relief": relief,
                "main_duty": duty, "assistance": duties.assistance(prevention, relief),
                "ta": ta, "reviews": duties.reviews(relief, duty)}
    n_q = len(quarters())
    missing = missing_returns(ctx, len(hp.lad_codes), n_q)
    lad = cases["lad"].to_numpy()
    qi = quarter_index(cases["day"].to_numpy())
    cases = cases.assign(assessed=duties.assessed, quarter_idx=qi,
                         quarter=quarters()["quarter"].to_numpy(dtype=object)[qi],
                         la_code=hp.lad_codes[lad], submitted=~missing[lad, qi])
    refs = case_refs(ctx, hp, cases)
    rng = ctx.rng("hclic_people")
    pp = people(ctx, rng, cases)
    i = pp["case"].to_numpy()
    out = extract(ctx, "hclic_people", pp, {
        "person_ref": pp["record_id"], "case_ref": refs[i],
        "la_code": cases["la_code"].to_numpy()[i],
        "reporting_quarter": cases["quarter"].to_numpy()[i],
        "date_of_application": pp["date_of_application"],
        "first_name": pp["id_forename"], "last_name": pp["id_surname"], "dob": pp["id_dob"],
        "sex": pp["id_sex"].map({"M": "1", "F": "2"}).fillna("9").to_numpy(dtype=object),
        "nino": pp["id_nino"], "last_settled_postcode": pp["id_postcode"],
        "ethnicity": pp["id_ethnicity"].str[0].map(ETHNICITY).fillna("X").to_numpy(
            dtype=object)})
    out.update({f"raw.{k}": v for k, v in section_tables(
        ctx.rng("hclic_sections"), cases, refs, sections).items()})
    out["raw.hclic_submissions"] = submissions(hp, cases, missing)
    out["truth.homelessness_cases"] = pd.DataFrame({
        "person_id": hp.person_id[cases["person_idx"].to_numpy()], "case_ref": refs,
        "la_code": cases["la_code"].to_numpy(), "reporting_quarter": cases["quarter"],
        "date_of_application": to_dates(cases["day"].to_numpy()), "cause": cases["cause"],
        "submitted": np.where(cases["submitted"], "Y", "N").astype(object)})
    ta = ta.assign(person_idx=cases["person_idx"].to_numpy()[ta["case"].to_numpy()],
                   lad=lad[ta["case"].to_numpy()])
    return out, ta


def _tenancies(ctx: WorldContext, hp: HousingPeople, tenancies: pd.DataFrame,
               ta: pd.DataFrame) -> dict[str, pd.DataFrame]:
    rng = ctx.rng("la_tenancies.extract")
    ta = ta.assign(postcode=_council_postcodes(ctx, hp, ta["lad"].to_numpy(), rng))
    t = pd.concat([tenancies, tmp_tenancies(hp, rng, ta)], ignore_index=True)
    t = t.assign(tenancy_start_date=to_dates(t["start"].to_numpy()))
    t = issue_ids(rng, t, "tenancy_start_date", "la_tenancies")
    t = identified(ctx, "la_tenancies", t, rng)
    tmp = (t["tenure"] == "TMP").to_numpy()
    postcode = t["id_postcode"].to_numpy(dtype=object).copy()
    postcode[tmp] = t["postcode"].to_numpy(dtype=object)[tmp]  # the licensed property
    reason = t["end_reason"].to_numpy(dtype=object)
    return extract(ctx, "la_tenancies", t, {
        "tenancy_ref": t["record_id"],
        "tenant_ref": tenant_refs(rng, hp.lad_codes, t["person_idx"].to_numpy(),
                                  t["lad"].to_numpy()),
        "la_code": hp.lad_codes[t["lad"].to_numpy()],
        "tenant_first_name": t["id_forename"], "tenant_surname": t["id_surname"],
        "tenant_dob": t["id_dob"], "tenant_sex": t["id_sex"].fillna("U").to_numpy(dtype=object),
        "ni_number": t["id_nino"], "property_postcode": postcode,
        "tenure_type": t["tenure"], "tenancy_start_date": t["tenancy_start_date"],
        "tenancy_end_date": to_dates(t["end"].to_numpy()), "end_reason": reason,
        "arrears_at_end": arrears(rng, reason)})


def generate(ctx: WorldContext) -> dict[str, pd.DataFrame]:
    """raw.hclic_* (nine sections and the returns), raw.la_tenancies, their
    truth.record_person rows, truth.homelessness_cases and truth.prison_release_housing."""
    hp = HousingPeople(ctx)
    tenancies = council_tenancies(hp, ctx.rng("la_tenancies"))
    releases = release_housing(ctx, hp, ctx.rng("hclic_releases"))
    rng = ctx.rng("hclic_cases")
    cases = assess(hp, rng, presentations(ctx, hp, rng, releases, tenancies))
    out, ta = _hclic(ctx, hp, cases)
    housing = _tenancies(ctx, hp, tenancies, ta)
    out["raw.la_tenancies"] = housing["raw.la_tenancies"]
    out["truth.record_person"] = pd.concat(
        [out["truth.record_person"], housing["truth.record_person"]], ignore_index=True)
    out["truth.prison_release_housing"] = pd.DataFrame({
        "journey_id": releases["journey_id"].to_numpy(),
        "person_id": hp.person_id[releases["person_idx"].to_numpy()],
        "release_date": to_dates(releases["release"].to_numpy()),
        "no_accommodation": releases["no_accommodation"].to_numpy()})
    return out
