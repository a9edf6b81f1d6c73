-- dummy_pop (a wave declared outside the project, tests/dummy_wave): one row per record.
select
    row_id_hash,
    'dummy_pop' as source_dataset,
    pop_person_id_hash,
    event_date,
    {{ sex_code('sex') }} as sex,
    cast(null as varchar) as ethnic_group,
    age_at_event,
    lsoa_code,
    lad_code
from {{ source('research', 'dummy_pop') }}
