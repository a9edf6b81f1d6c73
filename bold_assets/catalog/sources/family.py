"""Family court (FamilyMan): one row per party to a case."""

from bold_assets.catalog.codes import FAMILY_CASE_TYPES, FAMILY_ROLES
from bold_assets.catalog.model import Identifiers, QualityProfile, Source

DECLARED = (
    Source(
        name="family",
        title="Family court",
        system="FamilyMan",
        key="party_id",
        case_ids=("case_number",),
        columns={
            "party_id": "VARCHAR",
            "case_number": "VARCHAR",
            "case_type": "VARCHAR",
            "issue_date": "DATE",
            "party_role": "VARCHAR",
            "party_forename": "VARCHAR",
            "party_surname": "VARCHAR",
            "party_dob": "VARCHAR",
            "party_sex": "VARCHAR",
            "party_postcode": "VARCHAR",
            "harm_alleged": "BOOLEAN",
            "children_involved": "INTEGER",
            "fee_exemption": "BOOLEAN",
            "legal_representation": "BOOLEAN",
        },
        identifiers=Identifiers(
            forename="party_forename",
            surname="party_surname",
            dob="party_dob",
            dob_format="%d/%m/%Y",
            sex="party_sex",
            postcode="party_postcode",
        ),
        event_date="issue_date",
        coverage=(2011, 2023),
        codes={
            "case_type": FAMILY_CASE_TYPES,
            "party_role": FAMILY_ROLES,
            "party_sex": ("M", "F"),
        },
        wave=0,
        link_role="weak",
        generator="bold_assets.world.sources.family",
        # Parties are often unrepresented respondents whose DOB, sex and postcode go unrecorded,
        # with missingness that depends on their role (DOMAIN.md: linkage there is non-random).
        quality=QualityProfile(
            completeness={"forename": 0.95, "surname": 0.95, "dob": 0.60, "sex": 0.45,
                          "postcode": 0.65},
            numeric_ranges={"children_involved": (0, 20)},
        ),
    ),
)
