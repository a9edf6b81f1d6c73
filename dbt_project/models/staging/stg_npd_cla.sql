-- NPD Children Looked After: one row per period of care.
select
    row_id_hash,
    'npd_cla' as source_dataset,
    upn_hash,
    cla_poc_start as event_date,
    cla_dec as period_end_date,
    reasonepisodeceased as reason_ceased
from {{ source('research', 'npd_cla') }}
