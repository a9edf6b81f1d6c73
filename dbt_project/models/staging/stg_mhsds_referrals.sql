-- MHSDS MHS101Referral (from 2016): one row per referral to a secondary mental health service,
-- keyed to the PDS person by nhs_number_hash. A referral counts up to its discharge, or to the
-- day before the snapshot when it is open or discharged later (as DWP spells do). Reason groups
-- of the primary reason for referral (PrimReasonReferralMH): substance_use 02 (drug and alcohol
-- difficulties), self_harm 15 (self harm behaviours), organic 01 (organic brain disorder),
-- mental_health every other reason (depression, anxiety, psychosis, crisis, ...); unknown when
-- the reason is missing.
with referrals as (
    select
        *,
        case when referralrequestreceiveddate < {{ snapshot_date() }}
            then least(coalesce(servdischdate, {{ snapshot_date() }} - 1), {{ snapshot_date() }} - 1)
        end as active_until
    from {{ source('research', 'mhsds_referrals') }}
)
select
    row_id_hash,
    'mhsds_referrals' as source_dataset,
    nhs_number_hash,
    referralrequestreceiveddate as event_date,
    referralrequestreceiveddate as received_date,
    servdischdate as discharge_date,
    active_until,
    orgidprov,
    primreasonreferralmh,
    case
        when primreasonreferralmh is null then 'unknown'
        when primreasonreferralmh = '02' then 'substance_use'
        when primreasonreferralmh = '15' then 'self_harm'
        when primreasonreferralmh = '01' then 'organic'
        else 'mental_health'
    end as reason_group,
    coalesce(primreasonreferralmh = '02', false) as reason_substance_use,
    coalesce(primreasonreferralmh = '15', false) as reason_self_harm,
    coalesce(primreasonreferralmh not in ('01', '02'), false) as reason_mental_health,
    age_at_event,
    lsoa_code,
    lad_code
from referrals
