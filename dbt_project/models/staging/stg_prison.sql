-- Prisoner custodial journeys (p-NOMIS): one row per custodial journey.
select
    row_id_hash,
    'prison' as source_dataset,
    booking_no_hash,
    reception_date as event_date,
    {{ sex_code('gender_code') }} as sex,
    {{ ethnic_group('ethnic_code') }} as ethnic_group,
    age_at_event,
    lsoa_code,
    lad_code,
    reception_date,
    release_date,
    main_offence_code as offence_code,
    sentence_days
from {{ source('research', 'prison') }}
