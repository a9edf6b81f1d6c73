-- H-CLIC Relief: one row per relief duty (homeless: the council must take reasonable steps to
-- help secure accommodation for 56 days), keyed to its case (case_ref_hash). duty_open: no end
-- date in the return. Outcome groups: secured_accommodation (for 6 months or more),
-- duty_ended_56_days (56 days elapsed: a main duty decision follows), contact_lost, withdrew (or
-- the applicant died), refused_or_ineligible (refused final accommodation, intentionally homeless
-- from accommodation provided, no longer eligible), open (no outcome yet). event_date: the day
-- the duty began.
select
    row_id_hash,
    'hclic_relief' as source_dataset,
    case_ref_hash,
    relief_start_date as event_date,
    relief_start_date,
    relief_end_date,
    relief_end_date is null as duty_open,
    relief_outcome,
    case
        when relief_outcome is null then 'open'
        when relief_outcome = '1' then 'secured_accommodation'
        when relief_outcome = '2' then 'duty_ended_56_days'
        when relief_outcome = '3' then 'contact_lost'
        when relief_outcome = '4' then 'withdrew'
        else 'refused_or_ineligible'
    end as outcome_group,
    coalesce(relief_outcome = '1', false) as secured_accommodation,
    accommodation_secured,
    age_at_event,
    lsoa_code,
    lad_code
from {{ source('research', 'hclic_relief') }}
