-- Magistrates' courts (Libra): one row per defendant-case.
select
    row_id_hash,
    'mags' as source_dataset,
    case_id_hash,
    first_hearing_date as event_date,
    {{ sex_code('gender') }} as sex,
    {{ ethnic_group('ethnicity') }} as ethnic_group,
    age_at_event,
    lsoa_code,
    lad_code,
    principal_offence_code as offence_code,
    disposal_code,
    disposal_date,
    -- SENT_CC: sent to the Crown Court, whose verdict counts instead
    coalesce(disposal_code is not null and disposal_code not in ('NOT_GUILTY', 'SENT_CC'), false) as convicted
from {{ source('research', 'mags') }}
