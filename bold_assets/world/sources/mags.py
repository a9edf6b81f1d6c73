"""Magistrates' court defendants: the cases of the criminal careers heard in the extract period."""

from __future__ import annotations

import pandas as pd

from bold_assets.world.context import WorldContext
from bold_assets.world.identifiers import ErrorProfile
from bold_assets.world.journeys import mags_cases
from bold_assets.world.records import age_at, case_numbers, extract, identified, issue_ids
from bold_assets.world.sources import careers

PRODUCES = ("mags",)
# Identifier errors of the mags records, by source (`records.identified` reads them).
ERROR_PROFILES: dict[str, ErrorProfile] = {
    "mags": ErrorProfile(ethnicity_missing=0.15, name_case="upper"),
}


def generate(ctx: WorldContext) -> dict[str, pd.DataFrame]:
    rng = ctx.rng("mags")
    m = identified(ctx, "mags",
                   issue_ids(rng, mags_cases(careers(ctx), ctx.persons), "first_hearing_date",
                             "mags"), rng)
    m["case_id"] = case_numbers(m.index.to_numpy(), "C{:08d}", rng)
    lad_of_lsoa = ctx.geo["lsoa"].set_index("lsoa_code")["lad_code"]
    out = extract(ctx, "mags", m, {
        "defendant_id": m["record_id"], "case_id": m["case_id"],
        "defendant_forename": m["id_forename"], "defendant_surname": m["id_surname"],
        "defendant_dob": m["id_dob"], "gender": m["id_sex"].fillna("U"),
        "ethnicity": m["id_ethnicity"], "defendant_postcode": m["id_postcode"],
        "offence_date": m["offence_date"],
        "age_at_offence": age_at(ctx, m, "offence_date"),
        "first_hearing_date": m["first_hearing_date"],
        "principal_offence_code": m["principal_offence_code"],
        "offence_count": m["offence_count"],
        "disposal_code": m["disposal_code"], "disposal_date": m["disposal_date"],
        "court_lad_code": lad_of_lsoa.loc[m["id_lsoa_code"]].to_numpy(),
    })
    # which career case each magistrates' record is (for the Crown Court journey and PNC)
    out["journey.mags"] = pd.DataFrame({"career_row": m["career_row"].to_numpy(),
                                        "record_id": m["record_id"].to_numpy()})
    return out
