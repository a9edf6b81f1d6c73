-- H-CLIC Prevention: one row per prevention duty (threatened with homelessness within 56 days),
-- keyed to its case (case_ref_hash). duty_open: no end date in the return. Outcome groups:
-- secured_accommodation (for 6 months or more), became_homeless (relief duty owed), contact_lost,
-- withdrew (or the applicant died), duty_ended (56 days elapsed with no further action, refused a
-- suitable offer, no longer eligible), open (no outcome yet). event_date: the day the duty began.
select
    row_id_hash,
    'hclic_prevention' as source_dataset,
    case_ref_hash,
    prevention_start_date as event_date,
    prevention_start_date,
    prevention_end_date,
    prevention_end_date is null as duty_open,
    prevention_outcome,
    case
        when prevention_outcome is null then 'open'
        when prevention_outcome = '1' then 'secured_accommodation'
        when prevention_outcome = '2' then 'became_homeless'
        when prevention_outcome = '3' then 'contact_lost'
        when prevention_outcome = '4' then 'withdrew'
        else 'duty_ended'
    end as outcome_group,
    coalesce(prevention_outcome = '1', false) as secured_accommodation,
    coalesce(prevention_outcome = '2', false) as became_homeless,
    accommodation_secured,
    age_at_event,
    lsoa_code,
    lad_code
from {{ source('research', 'hclic_prevention') }}
