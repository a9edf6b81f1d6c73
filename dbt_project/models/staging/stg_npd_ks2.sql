-- NPD Key Stage 2: expected standard in reading and maths from 2016, level 4+ in English and
-- maths before.
select
    row_id_hash,
    'npd_ks2' as source_dataset,
    upn_hash,
    exam_date as event_date,
    ks2_year,
    case
        when ks2_year >= 2016 then coalesce(ks2_readexp = 1 and ks2_matexp = 1, false)
        else coalesce(ks2_englev in ('4', '5', '6') and ks2_matlev in ('4', '5', '6'), false)
    end as ks2_expected_em
from {{ source('research', 'npd_ks2') }}
