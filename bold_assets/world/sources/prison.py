"""Prison custodial journeys: receptions on the careers' custodial sentences in the period."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.world.context import WorldContext
from bold_assets.world.identifiers import ErrorProfile
from bold_assets.world.journeys import prison_receptions
from bold_assets.world.records import case_numbers, extract, identified, issue_ids
from bold_assets.world.sources import careers

PRODUCES = ("prison",)
# Identifier errors of the prison records, by source (`records.identified` reads them).
ERROR_PROFILES: dict[str, ErrorProfile] = {
    "prison": ErrorProfile(postcode_missing=0.12, ethnicity_missing=0.03, name_case="upper"),
}
ESTABLISHMENTS = np.array(["BMI", "LEI", "MRI", "WWI", "PVI", "HMI", "LPI", "BLI", "DMI", "EXI",
                           "NMI", "CFI"], dtype=object)  # fmt: skip


def generate(ctx: WorldContext) -> dict[str, pd.DataFrame]:
    rng = ctx.rng("prison")
    receptions = prison_receptions(careers(ctx))
    p = identified(ctx, "prison", issue_ids(rng, receptions, "reception_date", "prison"), rng)
    out = extract(ctx, "prison", p, {
        "journey_id": p["record_id"],
        "booking_no": case_numbers(p.index.to_numpy(), "B{:06d}", rng),
        "first_name": p["id_forename"], "middle_name": p["id_middle_name"],
        "last_name": p["id_surname"], "birth_date": p["id_dob"], "gender_code": p["id_sex"],
        "ethnic_code": p["id_ethnicity"], "postcode_on_reception": p["id_postcode"],
        "reception_date": p["reception_date"], "release_date": p["release_date"],
        "establishment_code": rng.choice(ESTABLISHMENTS, len(p)),
        "main_offence_code": p["main_offence_code"], "sentence_days": p["sentence_days"],
    })
    out["journey.prison"] = receptions
    return out
