"""Family court parties: index parties with family needs, and the other party of each case."""

from __future__ import annotations

import pandas as pd

from bold_assets.world.context import WorldContext
from bold_assets.world.identifiers import ErrorProfile
from bold_assets.world.journeys import family_cases
from bold_assets.world.records import case_numbers, extract, identified, issue_ids

PRODUCES = ("family",)
# Identifier errors of the family records, by source (`records.identified` reads them).
ERROR_PROFILES: dict[str, ErrorProfile] = {
    "family": ErrorProfile(
        typo_forename=0.05, typo_surname=0.06, nickname=0.12, swap_names=0.04, initial_only=0.06,
        stale_surname=0.5, dob_day_month_swap=0.03, dob_year_off=0.03, dob_shift=0.02,
        dob_placeholder=0.02, dob_missing=0.06, sex_missing=0.2, postcode_missing=0.06,
        postcode_typo=0.04, postcode_stale=0.12, name_case="mixed",
        role_missing={"APPLICANT": 1.0, "RESPONDENT": 1.9},
    ),
}


def generate(ctx: WorldContext) -> dict[str, pd.DataFrame]:
    rng = ctx.rng("family")
    f = issue_ids(rng, family_cases(ctx.persons, ctx.z, rng), "issue_date", "family")
    f = identified(ctx, "family", f, rng, role=f["party_role"].to_numpy())
    return extract(ctx, "family", f, {
        "party_id": f["record_id"],
        "case_number": case_numbers(f["case_no"].to_numpy(), "FM{:07d}", rng),
        "case_type": f["case_type"], "issue_date": f["issue_date"],
        "party_role": f["party_role"], "party_forename": f["id_forename"],
        "party_surname": f["id_surname"], "party_dob": f["id_dob"], "party_sex": f["id_sex"],
        "party_postcode": f["id_postcode"], "harm_alleged": f["harm_alleged"],
        "children_involved": f["children_involved"], "fee_exemption": f["fee_exemption"],
        "legal_representation": f["legal_representation"],
    })
