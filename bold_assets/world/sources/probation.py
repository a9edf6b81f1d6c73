"""Probation events: orders from community and suspended sentences, licences from releases."""

from __future__ import annotations

import pandas as pd

from bold_assets.world.context import WorldContext
from bold_assets.world.identifiers import ErrorProfile
from bold_assets.world.journeys import probation_events
from bold_assets.world.records import extract, identified, issue_ids
from bold_assets.world.sources import careers

PRODUCES = ("probation",)
# Identifier errors of the probation records, by source (`records.identified` reads them).
ERROR_PROFILES: dict[str, ErrorProfile] = {
    "probation": ErrorProfile(ethnicity_missing=0.05, name_case="title"),
}


def generate(ctx: WorldContext) -> dict[str, pd.DataFrame]:
    rng = ctx.rng("probation")
    events = probation_events(careers(ctx), ctx.z, rng)
    e = identified(ctx, "probation", issue_ids(rng, events, "referral_date", "probation"), rng)
    lsoa = e["id_lsoa_code"].where(rng.random(len(e)) >= 0.05, None)
    out = extract(ctx, "probation", e, {
        "event_id": e["record_id"], "forename": e["id_forename"],
        "second_forename": e["id_middle_name"], "surname": e["id_surname"],
        "date_of_birth": e["id_dob"], "gender": e["id_sex"], "ethnicity": e["id_ethnicity"],
        "postcode": e["id_postcode"], "lsoa_code": lsoa, "referral_date": e["referral_date"],
        "event_type": e["event_type"], "requirements": e["requirements"],
        "termination_date": e["termination_date"],
    })
    out["journey.probation"] = events
    return out
