-- HMRC employment spells (P45 before April 2014, PAYE RTI from then), keyed to the CIS person by
-- nino_hash. An ongoing spell is active up to the day before the snapshot; pay is annualised
-- over the spell's days (at least 30) for the low-pay signal.
with spells as (
    select
        *,
        coalesce(enddate, cast('{{ var("snapshot_date") }}' as date) - 1) as active_until
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
    employer_paye_ref,
    paye_source,
    taxable_pay,
    taxable_pay * 365.25 / greatest(date_diff('day', startdate, active_until), 30)
        as annualised_pay,
    age_at_event
from spells
