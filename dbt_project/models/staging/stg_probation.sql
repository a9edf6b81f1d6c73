-- Probation (nDelius): one row per order or licence; requirements is a delimited list.
select
    row_id_hash,
    'probation' as source_dataset,
    referral_date as event_date,
    {{ sex_code('gender') }} as sex,
    {{ ethnic_group('ethnicity') }} as ethnic_group,
    age_at_event,
    lsoa_code,
    lad_code,
    event_type,
    requirements,
    termination_date,
    {{ has_token('requirements', 'MHTR') }} as has_mhtr,
    {{ has_token('requirements', 'DRR') }} as has_drr,
    {{ has_token('requirements', 'ATR') }} as has_atr
from {{ source('research', 'probation') }}
