-- NPD exclusions: PERM permanent; FIXD fixed period (called suspension, SUSP, from 2021/22).
select
    row_id_hash,
    'npd_exclusions' as source_dataset,
    upn_hash,
    startdate as event_date,
    academic_year,
    category,
    category = 'PERM' as permanent,
    category in ('FIXD', 'SUSP') as fixed_period,
    sessions,
    reason
from {{ source('research', 'npd_exclusions') }}
