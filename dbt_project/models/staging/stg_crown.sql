-- Crown Court (XHIBIT): one row per defendant on case.
select
    row_id_hash,
    'crown' as source_dataset,
    case_number_hash,
    receipt_date as event_date,
    {{ sex_code('sex') }} as sex,
    {{ ethnic_group('self_defined_ethnicity') }} as ethnic_group,
    age_at_event,
    lsoa_code,
    lad_code,
    offence_code,
    sentence_type,
    sentence_date,
    coalesce(sentence_type is not null and sentence_type <> 'ACQUITTED', false) as convicted
from {{ source('research', 'crown') }}
