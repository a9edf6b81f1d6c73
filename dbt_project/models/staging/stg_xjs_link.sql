-- Generated from the catalogue (bold_assets/catalog) by `python -m bold_assets.catalog.dbt`: do not edit.
-- Wave 0 link (Data First justice extracts): research record -> its estimated person at
-- threshold(s) high, medium, low (research.xjs_link).
select
    source_dataset,
    row_id_hash,
    estimated_xjs_id,
    xjs_id_high,
    xjs_id_low
from {{ source('research', 'xjs_link') }}
