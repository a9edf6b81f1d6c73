-- Generated from the catalogue (bold_assets/catalog) by `python -m bold_assets.catalog.dbt`: do not edit.
-- Wave 4 link (Homelessness: H-CLIC and local-authority housing): research record -> its estimated
-- person at threshold(s) medium (research.wave_4_link).
select
    source_dataset,
    row_id_hash,
    estimated_xjs_id
from {{ source('research', 'wave_4_link') }}
