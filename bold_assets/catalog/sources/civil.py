"""Civil possession claims (CaseMan / PCOL): one row per party to a claim (people and companies)."""

from bold_assets.catalog.codes import (
    CIVIL_CLAIM_TYPES,
    CIVIL_ORDER_TYPES,
    CIVIL_ROLES,
    CODE_LABELS,
)
from bold_assets.catalog.model import Identifiers, QualityProfile, Source

# What each column means.
DESCRIPTIONS: dict[str, str] = {
    "party_id": "Party record id (one row per party per claim)",
    "claim_number": "Possession claim number",
    "claim_type": "Type of possession claim: social or private landlord (rent arrears), mortgage,"
                  " accelerated",
    "party_role": "Party's role: claimant (landlord or lender) or defendant (tenant, borrower)",
    "party_type": "Whether the party to the possession claim is a person or a company (landlord, "
                  "lender)",
    "party_name": "Party name as one string, as recorded on the source system (identifier zone "
                  "only)",
    "party_dob": "Party date of birth, as recorded on the source system (identifier zone only)",
    "address_postcode": "Postcode of the property or party address, as recorded on the source "
                        "system (identifier zone only)",
    "claim_date": "Date the possession claim was issued",
    "arrears_amount": "Rent or mortgage arrears claimed, in pounds",
    "order_type": "Possession order made: outright, suspended, adjourned or dismissed",
    "order_date": "Date of the possession order",
    "warrant_date": "Date a warrant of possession (eviction) was issued",
    "possession_date": "Date of repossession by bailiffs",
}

DECLARED = (
    Source(
        name="civil",
        title="Civil possession claims",
        system="CaseMan / PCOL",
        key="party_id",
        case_ids=("claim_number",),
        columns={
            "party_id": "VARCHAR",
            "claim_number": "VARCHAR",
            "claim_type": "VARCHAR",
            "party_role": "VARCHAR",
            "party_type": "VARCHAR",
            "party_name": "VARCHAR",
            "party_dob": "VARCHAR",
            "address_postcode": "VARCHAR",
            "claim_date": "DATE",
            "arrears_amount": "DOUBLE",
            "order_type": "VARCHAR",
            "order_date": "DATE",
            "warrant_date": "DATE",
            "possession_date": "DATE",
        },
        identifiers=Identifiers(
            full_name="party_name",
            dob="party_dob",
            dob_format="%d/%m/%Y",
            postcode="address_postcode",
        ),
        event_date="claim_date",
        coverage=(2012, 2022),
        person_filter="party_type = 'PERSON'",
        codes={
            "claim_type": CIVIL_CLAIM_TYPES,
            "party_role": CIVIL_ROLES,
            "party_type": ("PERSON", "COMPANY"),
            "order_type": CIVIL_ORDER_TYPES,
        },
        descriptions=DESCRIPTIONS,
        labels={
            "claim_type": CODE_LABELS["civil_claim_type"],
            "party_role": CODE_LABELS["civil_role"],
            "party_type": CODE_LABELS["party_type"],
            "order_type": CODE_LABELS["order_type"],
        },
        wave=0,
        link_role="weak",
        generator="bold_assets.world.sources.civil",
        record_id_shape=("CP", 60_000_001),
        # Checked on PERSON parties only (person_filter).
        quality=QualityProfile(
            completeness={"full_name": 0.95, "dob": 0.40, "postcode": 0.75},
            date_order=(("order_date", "claim_date"), ("warrant_date", "order_date"),
                        ("possession_date", "warrant_date")),
            numeric_ranges={"arrears_amount": (0, None)},
        ),
    ),
)
