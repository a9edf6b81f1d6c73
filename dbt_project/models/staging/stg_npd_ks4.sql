-- NPD Key Stage 4: Attainment 8 and level 2 (grades 9-4 / A*-C) in English and maths.
select
    row_id_hash,
    'npd_ks4' as source_dataset,
    upn_hash,
    exam_date as event_date,
    ks4_year,
    ks4_att8,
    coalesce(ks4_level2_em = 1, false) as ks4_level2_em
from {{ source('research', 'npd_ks4') }}
