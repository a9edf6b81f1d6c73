-- Generated from the catalogue (bold_assets/catalog) by `python -m bold_assets.catalog.dbt`: do not edit.
-- Wave 3 link (Health: NHS hospital and mental-health data, ONS deaths): research record -> its
-- estimated person at threshold(s) medium (research.wave_3_link).
select
    source_dataset,
    row_id_hash,
    estimated_xjs_id
from {{ source('research', 'wave_3_link') }}
