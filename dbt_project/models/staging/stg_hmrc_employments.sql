-- HMRC employment spells (P45 before April 2014, PAYE RTI from then), keyed to the CIS person by
-- nino_hash. A spell counts up to its end, or to the day before the snapshot when it is ongoing
-- or ends later. Pay is annualised over the spell's days up to then (taxable_pay is pay to the
-- extract); spells shorter than 30 days have no annualised pay (too short to tell low pay).
with spells as (
    select
        *,
        least(coalesce(enddate, cast('{{ var("snapshot_date") }}' as date) - 1),
              cast('{{ var("snapshot_date") }}' as date) - 1) as active_until
    from {{ source('research', 'hmrc_employments') }}
)
select
    row_id_hash,
    'hmrc_employments' as source_dataset,
    nino_hash,
    startdate as event_date,
    startdate,
    enddate,
    active_until,
    employer_paye_ref_hash,
    paye_source,
    taxable_pay,
    case when date_diff('day', startdate, active_until) + 1 >= 30
         then taxable_pay * 365.25 / (date_diff('day', startdate, active_until) + 1)
    end as annualised_pay,
    age_at_event
from spells
