-- NPD Children in Need: one row per referral.
select
    row_id_hash,
    'npd_cin' as source_dataset,
    upn_hash,
    cin_referraldate as event_date,
    cin_cinclosuredate as closure_date,
    cin_reasonforclosure as reason_for_closure,
    cin_primaryneedcode as primary_need
from {{ source('research', 'npd_cin') }}
