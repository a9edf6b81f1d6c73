-- DWP Customer Information System trace (MoJ-DWP-HMRC share): one row per person and address
-- held; nino_hash groups a person's rows and is the key the benefit and employment spells carry.
select
    row_id_hash,
    'dwp_cis' as source_dataset,
    nino_hash,
    address_from_date as event_date,
    {{ sex_code('sex') }} as sex,
    cast(null as varchar) as ethnic_group,
    age_at_event,
    lsoa_code,
    lad_code
from {{ source('research', 'dwp_cis') }}
