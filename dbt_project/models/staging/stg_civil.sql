-- Civil possession claims (CaseMan / PCOL): one row per party; companies are kept but are not
-- people (is_person false) and carry no person link.
select
    row_id_hash,
    'civil' as source_dataset,
    claim_number_hash,
    claim_date as event_date,
    cast(null as varchar) as sex,
    cast(null as varchar) as ethnic_group,
    age_at_event,
    lsoa_code,
    lad_code,
    claim_type,
    party_role,
    party_type,
    coalesce(party_type = 'PERSON', false) as is_person,
    arrears_amount,
    order_type,
    order_date,
    warrant_date,
    possession_date
from {{ source('research', 'civil') }}
