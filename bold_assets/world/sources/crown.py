"""Crown Court defendants on cases: career cases sent from the magistrates, received in the
extract period; truth.mags_crown_journey links each to its magistrates' record."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.world.context import WorldContext
from bold_assets.world.identifiers import ErrorProfile
from bold_assets.world.journeys import crown_cases
from bold_assets.world.records import case_numbers, extract, identified, issue_ids
from bold_assets.world.sources import careers

TRUTH = ("mags_crown_journey",)  # truth.* tables of its own (beside truth.record_person)
PRODUCES = ("crown",)
# Identifier errors of the crown records, by source (`records.identified` reads them).
ERROR_PROFILES: dict[str, ErrorProfile] = {
    "crown": ErrorProfile(ethnicity_missing=0.2, postcode_missing=0.1, name_case="title"),
}


def generate(ctx: WorldContext) -> dict[str, pd.DataFrame]:
    rng = ctx.rng("crown")
    c = identified(ctx, "crown", issue_ids(rng, crown_cases(careers(ctx)), "receipt_date",
                                           "crown"), rng)
    out = extract(ctx, "crown", c, {
        "defendant_on_case_id": c["record_id"],
        "case_number": case_numbers(c.index.to_numpy(), "T2{:07d}", rng),
        "forenames": c["id_forename"], "surname": c["id_surname"],
        "date_of_birth": c["id_dob"],
        "sex": c["id_sex"].map({"M": "Male", "F": "Female"}),
        "self_defined_ethnicity": c["id_ethnicity"], "postcode": c["id_postcode"],
        "receipt_date": c["receipt_date"], "offence_code": c["offence_code"],
        "trial_type": c["trial_type"], "verdict_date": c["verdict_date"],
        "sentence_type": c["sentence_type"], "sentence_date": c["sentence_date"],
        "appeal": c["appeal"].astype(bool),
    })
    # the magistrates' record of each Crown Court case, where the extract holds one
    mags = ctx.tables["journey.mags"].set_index("career_row")["record_id"]
    defendant = mags.reindex(c["career_row"].to_numpy()).to_numpy()
    held = pd.notna(defendant)
    out["truth.mags_crown_journey"] = pd.DataFrame({
        "defendant_id": defendant[held].astype(object),
        "defendant_on_case_id": c["record_id"].to_numpy()[np.asarray(held)]})
    return out
