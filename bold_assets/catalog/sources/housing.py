"""Wave 4: local-authority housing, as council housing management systems hold their tenancies.

- `la_tenancies`: one row per social-housing tenancy of a council's own stock, with the tenant's
  identifiers as the housing system holds them (first name, surname, date of birth `YYYY-MM-DD`,
  sex, National Insurance number where the tenant gave it, the postcode of the property), the
  tenancy's type, start and end, and how it ended (evictions for rent arrears or anti-social
  behaviour, abandonment, notice, transfer, death). Councils share these with the trusted third
  party beside their H-CLIC returns (`catalog/sources/hclic.py`).

Codes are the project's; housing systems differ between councils and none is national.
"""

from __future__ import annotations

from bold_assets.catalog.model import Identifiers, QualityProfile, Source

TENURE: dict[str, str] = {
    "SEC": "Secure tenancy", "INT": "Introductory tenancy", "FLX": "Flexible (fixed-term) "
    "tenancy", "DEM": "Demoted tenancy", "TMP": "Temporary accommodation licence",
}  # fmt: skip
END_REASON: dict[str, str] = {
    "EVR": "Eviction: rent arrears", "EVA": "Eviction: anti-social behaviour",
    "ABN": "Abandoned", "NTQ": "Tenant gave notice", "TRF": "Transfer within the council's "
    "stock", "MUT": "Mutual exchange", "DTH": "Death of the tenant", "OTH": "Other",
}  # fmt: skip
SEX: dict[str, str] = {"M": "Male", "F": "Female", "U": "Not known"}

LA_TENANCIES = Source(
    name="la_tenancies",
    title="Local-authority housing: council tenancies and their ends",
    system="Council housing management systems",
    dataset="la_housing",
    key="tenancy_ref",
    case_ids=("tenant_ref",),
    columns={
        "tenancy_ref": "VARCHAR",
        "tenant_ref": "VARCHAR",
        "la_code": "VARCHAR",
        "tenant_first_name": "VARCHAR",
        "tenant_surname": "VARCHAR",
        "tenant_dob": "VARCHAR",
        "tenant_sex": "VARCHAR",
        "ni_number": "VARCHAR",
        "property_postcode": "VARCHAR",
        "tenure_type": "VARCHAR",
        "tenancy_start_date": "DATE",
        "tenancy_end_date": "DATE",
        "end_reason": "VARCHAR",
        "arrears_at_end": "DOUBLE",
    },
    identifiers=Identifiers(
        forename="tenant_first_name",
        surname="tenant_surname",
        dob="tenant_dob",
        dob_format="%Y-%m-%d",
        sex="tenant_sex",
        sex_codes={"M": "M", "F": "F"},
        postcode="property_postcode",
        national_ids={"nino": "ni_number"},
    ),
    event_date="tenancy_start_date",
    coverage=(2000, 2023),
    codes={"tenant_sex": tuple(SEX), "tenure_type": tuple(TENURE), "end_reason": tuple(END_REASON)},
    descriptions={
        "tenancy_ref": "Tenancy reference in the council's housing system",
        "tenant_ref": "The council's reference for the tenant, the same across the tenant's "
                      "tenancies with that council (hashed in research)",
        "la_code": "LAD code of the landlord council",
        "tenant_first_name": "Tenant's first name (identifier zone only)",
        "tenant_surname": "Tenant's surname (identifier zone only)",
        "tenant_dob": "Tenant's date of birth, YYYY-MM-DD (identifier zone only)",
        "tenant_sex": "Tenant's sex (M, F, U not known)",
        "ni_number": "Tenant's National Insurance number, where given (identifier zone only)",
        "property_postcode": "Postcode of the let property (identifier zone only)",
        "tenure_type": "Type of tenancy (secure, introductory, flexible, demoted, temporary "
                       "accommodation licence)",
        "tenancy_start_date": "Date the tenancy began",
        "tenancy_end_date": "Date the tenancy ended (empty: live at the extract)",
        "end_reason": "How the tenancy ended (eviction for rent arrears or anti-social "
                      "behaviour, abandoned, notice, transfer, mutual exchange, death)",
        "arrears_at_end": "Rent arrears when the tenancy ended, pounds",
    },
    labels={"tenant_sex": SEX, "tenure_type": TENURE, "end_reason": END_REASON},
    wave=4,
    link_role="population",
    generator="bold_assets.world.sources.homelessness",
    record_id_shape=("T", 5_000_001),
    quality=QualityProfile(
        completeness={"forename": 0.98, "surname": 0.99, "dob": 0.95, "sex": 0.95,
                      "postcode": 0.99, "nino": 0.55},
        date_order=(("tenancy_end_date", "tenancy_start_date"),),
        numeric_ranges={"arrears_at_end": (0, None)},
        lad_columns=("la_code",),
        age_range=(16, 105),
    ),
)

DECLARED: tuple[Source, ...] = (LA_TENANCIES,)
