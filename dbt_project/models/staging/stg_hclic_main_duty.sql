-- H-CLIC Final duties: one row per main duty decision, keyed to its case (case_ref_hash).
-- main_duty_owed: eligible, homeless, in priority need and not intentionally homeless (decision
-- 1: the council must secure accommodation, usually temporary accommodation until a settled
-- offer). Decision groups: main_duty, intentionally_homeless, not_priority_need, not_homeless,
-- ineligible, unknown (missing). event_date: the date of the decision.
select
    row_id_hash,
    'hclic_main_duty' as source_dataset,
    case_ref_hash,
    decision_date as event_date,
    decision_date,
    decision,
    case decision
        when '1' then 'main_duty'
        when '2' then 'intentionally_homeless'
        when '3' then 'not_priority_need'
        when '4' then 'not_homeless'
        when '5' then 'ineligible'
        else 'unknown'
    end as decision_group,
    coalesce(decision = '1', false) as main_duty_owed,
    coalesce(decision in ('1', '2', '3'), false) as found_homeless,
    age_at_event,
    lsoa_code,
    lad_code
from {{ source('research', 'hclic_main_duty') }}
