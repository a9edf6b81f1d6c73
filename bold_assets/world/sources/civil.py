"""Possession claims: defendants with housing and income needs, landlords and lenders."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.world.context import WorldContext
from bold_assets.world.identifiers import ErrorProfile
from bold_assets.world.journeys import civil_cases
from bold_assets.world.records import case_numbers, extract, full_names, identified, issue_ids

PRODUCES = ("civil",)
# Identifier errors of the civil records, by source (`records.identified` reads them).
ERROR_PROFILES: dict[str, ErrorProfile] = {
    "civil": ErrorProfile(
        typo_forename=0.05, typo_surname=0.06, nickname=0.12, swap_names=0.05, initial_only=0.15,
        stale_surname=0.5, dob_day_month_swap=0.03, dob_year_off=0.03, dob_shift=0.02,
        dob_placeholder=0.03, dob_missing=0.12, postcode_missing=0.03, postcode_typo=0.04,
        postcode_stale=0.05, name_case="mixed",
        role_missing={"DEFENDANT": 1.0, "CLAIMANT": 16.0},
    ),
}


def generate(ctx: WorldContext) -> dict[str, pd.DataFrame]:
    rng = ctx.rng("civil")
    v = issue_ids(rng, civil_cases(ctx.persons, ctx.z, rng), "claim_date", "civil")
    person_rows = np.flatnonzero(v["person_idx"].to_numpy() >= 0)
    ids = identified(ctx, "civil", v.iloc[person_rows], rng,
                     role=v["party_role"].to_numpy()[person_rows])
    name = v["company_name"].to_numpy(dtype=object).copy()
    name[person_rows] = full_names(ids.filter(like="id_").rename(columns=lambda c: c[3:]), rng)
    dob = np.full(len(v), None, dtype=object)
    dob[person_rows] = ids["id_dob"].to_numpy()
    postcode = np.full(len(v), None, dtype=object)
    postcode[person_rows] = ids["id_postcode"].to_numpy()
    return extract(ctx, "civil", v, {
        "party_id": v["record_id"],
        "claim_number": case_numbers(v["case_no"].to_numpy(), "PC{:07d}", rng),
        "claim_type": v["claim_type"], "party_role": v["party_role"],
        "party_type": v["party_type"], "party_name": name, "party_dob": dob,
        "address_postcode": postcode, "claim_date": v["claim_date"],
        "arrears_amount": v["arrears_amount"], "order_type": v["order_type"],
        "order_date": v["order_date"], "warrant_date": v["warrant_date"],
        "possession_date": v["possession_date"],
    })
