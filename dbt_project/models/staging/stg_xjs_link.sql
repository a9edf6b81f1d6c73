-- Cross-justice link: research record -> estimated person at medium (published), high and low
-- match thresholds.
select
    source_dataset,
    row_id_hash,
    estimated_xjs_id,
    xjs_id_high,
    xjs_id_low
from {{ source('research', 'xjs_link') }}
