-- Person records with their estimated person at each threshold (civil companies have none).
select
    r.source_dataset,
    r.row_id_hash,
    r.event_date,
    l.estimated_xjs_id,
    l.xjs_id_high,
    l.xjs_id_low
from {{ ref('int_records') }} as r
inner join {{ ref('stg_xjs_link') }} as l
    on l.source_dataset = r.source_dataset and l.row_id_hash = r.row_id_hash
