-- H-CLIC Assistance: one row per activity to prevent or relieve homelessness, keyed to its case
-- (case_ref_hash). Activity groups: mediation (01, to stay with family or friends),
-- accommodation (02 private rented, 03 social housing, 04 supported housing), financial (05
-- payments, 06 debt advice, 07 housing benefit or Universal Credit problems), other (08),
-- unknown (missing). event_date: the date of the activity.
select
    row_id_hash,
    'hclic_assistance' as source_dataset,
    case_ref_hash,
    activity_date as event_date,
    activity_date,
    activity,
    case
        when activity is null then 'unknown'
        when activity = '01' then 'mediation'
        when activity in ('02', '03', '04') then 'accommodation'
        when activity in ('05', '06', '07') then 'financial'
        else 'other'
    end as activity_group,
    age_at_event,
    lsoa_code,
    lad_code
from {{ source('research', 'hclic_assistance') }}
