"""OASys assessments in custody (longer sentences) and the community (probation events)."""

from __future__ import annotations

import pandas as pd

from bold_assets.sources import SOURCES
from bold_assets.world.context import WorldContext
from bold_assets.world.identifiers import ErrorProfile
from bold_assets.world.journeys import oasys_assessments
from bold_assets.world.records import extract, identified, issue_ids

PRODUCES = ("oasys",)
# Identifier errors of the oasys records, by source (`records.identified` reads them).
ERROR_PROFILES: dict[str, ErrorProfile] = {
    "oasys": ErrorProfile(ethnicity_missing=0.05, name_case="upper"),
}


def generate(ctx: WorldContext) -> dict[str, pd.DataFrame]:
    rng = ctx.rng("oasys")
    assessments = oasys_assessments(rng, ctx.tables["journey.prison"],
                                    ctx.tables["journey.probation"], ctx.z)
    o = identified(ctx, "oasys", issue_ids(rng, assessments, "assessment_date", "oasys"), rng)
    cols = {
        "assessment_pk": o["record_id"], "forename_1": o["id_forename"],
        "forename_2": o["id_middle_name"], "family_name": o["id_surname"],
        "date_of_birth": o["id_dob"], "gender": o["id_sex"].map({"M": "1", "F": "2"}),
        "ethnic_category": o["id_ethnicity"], "postcode": o["id_postcode"],
    }
    cols.update({col: o[col] for col in SOURCES["oasys"].columns if col not in cols})
    return extract(ctx, "oasys", o, cols)
