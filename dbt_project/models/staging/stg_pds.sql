-- NHS Personal Demographics Service (wave 3): one row per person and address held (the person's
-- postcode history); nhs_number_hash groups a person's rows and is the key the hospital, mental
-- health and death records carry. PDS holds no ethnicity.
select
    row_id_hash,
    'pds' as source_dataset,
    nhs_number_hash,
    address_from_date as event_date,
    {{ sex_code('gender') }} as sex,
    cast(null as varchar) as ethnic_group,
    age_at_event,
    lsoa_code,
    lad_code
from {{ source('research', 'pds') }}
