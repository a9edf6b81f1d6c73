-- PNC name records (MoJ-DfE share): one row per name (primary or alias) of a PNC person.
select
    row_id_hash,
    'pnc_people' as source_dataset,
    pnc_id_hash,
    created_date as event_date,
    alias_flag = 'Y' as is_alias,
    {{ sex_code('sex') }} as sex,
    {{ ethnic_group('self_defined_ethnicity') }} as ethnic_group,
    ethnic_appearance,
    age_at_event,
    lsoa_code,
    lad_code
from {{ source('research', 'pnc_people') }}
