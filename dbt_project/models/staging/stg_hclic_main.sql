-- H-CLIC Main: one row per application, keyed to its case (case_ref_hash -> stg_hclic_people).
-- The initial assessment decides the duty owed (assessment_outcome): 1 threatened with
-- homelessness within 56 days, prevention duty; 2 homeless, relief duty; 3 neither, no duty
-- (duty_owed 'unknown' when not recorded). Reason groups of the reason for the loss, or threat of
-- loss, of the last settled home: tenancy_end (end of an assured shorthold or social tenancy,
-- eviction from supported housing), family_or_friends (no longer willing or able to accommodate,
-- non-violent relationship breakdown), violence_or_abuse (domestic abuse, other violence or
-- harassment), left_institution (prison, hospital or care, asylum support), other (disrepair,
-- other or not known), unknown (missing). event_date: the date of the assessment (of the
-- application when the assessment date is missing), the day the duty was found owed.
select
    row_id_hash,
    'hclic_main' as source_dataset,
    case_ref_hash,
    la_code,
    reporting_quarter,
    coalesce(date_of_assessment, date_of_application) as event_date,
    date_of_application,
    date_of_assessment,
    assessment_outcome,
    case assessment_outcome
        when '1' then 'prevention'
        when '2' then 'relief'
        when '3' then 'none'
        else 'unknown'
    end as duty_owed,
    coalesce(assessment_outcome = '1', false) as prevention_duty_owed,
    coalesce(assessment_outcome = '2', false) as relief_duty_owed,
    reason_loss_of_home,
    case
        when reason_loss_of_home is null then 'unknown'
        when reason_loss_of_home in ('01', '02', '08') then 'tenancy_end'
        when reason_loss_of_home in ('03', '05') then 'family_or_friends'
        when reason_loss_of_home in ('04', '09') then 'violence_or_abuse'
        when reason_loss_of_home in ('06', '07', '11') then 'left_institution'
        else 'other'
    end as reason_group,
    coalesce(reason_loss_of_home = '04', false) as reason_domestic_abuse,
    coalesce(reason_loss_of_home = '06', false) as reason_left_prison,
    accommodation_at_application,
    coalesce(accommodation_at_application = '6', false) as rough_sleeping_at_application,
    coalesce(accommodation_at_application in ('5', '6'), false) as no_fixed_abode_at_application,
    household_type,
    age_at_event,
    lsoa_code,
    lad_code
from {{ source('research', 'hclic_main') }}
