"""Family court (FamilyMan): one row per party to a case."""

from bold_assets.catalog.codes import CODE_LABELS, FAMILY_CASE_TYPES, FAMILY_ROLES
from bold_assets.catalog.model import Identifiers, QualityProfile, Source

# What each column means.
DESCRIPTIONS: dict[str, str] = {
    "party_id": "Party record id (one row per party per case)",
    "case_number": "FamilyMan case number",
    "case_type": "Type of family case: public law, private law, divorce, adoption, domestic abuse"
                 " (Family Law Act)",
    "issue_date": "Date the case was issued",
    "party_role": "Party's role in the case",
    "party_forename": "Party forename, as recorded on the source system (identifier zone only)",
    "party_surname": "Party surname, as recorded on the source system (identifier zone only)",
    "party_dob": "Party date of birth, as recorded on the source system (identifier zone only)",
    "party_sex": "Party sex",
    "party_postcode": "Party address postcode, as recorded on the source system (identifier zone "
                      "only)",
    "harm_alleged": "Whether domestic abuse or harm to a child was alleged in the case",
    "children_involved": "Number of children the case concerns",
    "fee_exemption": "Whether the party was exempt from court fees (help with fees, low income or"
                     " benefits)",
    "legal_representation": "Whether the party had legal representation",
}

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
        descriptions=DESCRIPTIONS,
        labels={
            "case_type": CODE_LABELS["family_case_type"],
            "party_role": CODE_LABELS["family_role"],
            "party_sex": CODE_LABELS["sex"],
        },
        wave=0,
        link_role="weak",
        generator="bold_assets.world.sources.family",
        record_id_shape=("FP", 30_000_001),
        # Parties are often unrepresented respondents whose DOB, sex and postcode go unrecorded,
        # with missingness that depends on their role (DOMAIN.md: linkage there is non-random).
        quality=QualityProfile(
            completeness={"forename": 0.95, "surname": 0.95, "dob": 0.60, "sex": 0.45,
                          "postcode": 0.65},
            numeric_ranges={"children_involved": (0, 20)},
        ),
    ),
)
