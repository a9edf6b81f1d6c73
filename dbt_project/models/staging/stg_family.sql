-- Family court (FamilyMan): one row per party to a case.
select
    row_id_hash,
    'family' as source_dataset,
    case_number_hash,
    issue_date as event_date,
    {{ sex_code('party_sex') }} as sex,
    cast(null as varchar) as ethnic_group,
    age_at_event,
    lsoa_code,
    lad_code,
    case_type,
    party_role,
    coalesce(harm_alleged, false) as harm_alleged,
    coalesce(children_involved, 0) as children_involved,
    coalesce(fee_exemption, false) as fee_exemption,
    legal_representation
from {{ source('research', 'family') }}
