-- Generated from the catalogue (bold_assets/catalog) by `python -m bold_assets.catalog.dbt`: do not edit.
-- Wave 2 link (Work and benefits: DWP benefit spells and HMRC earnings): research record -> its
-- estimated person at threshold(s) medium (research.wave_2_link).
select
    source_dataset,
    row_id_hash,
    estimated_xjs_id
from {{ source('research', 'wave_2_link') }}
