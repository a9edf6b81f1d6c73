-- Generated from the catalogue (bold_assets/catalog) by `python -m bold_assets.catalog.dbt`: do not edit.
-- Wave 1 link (MoJ-DfE share: PNC and the National Pupil Database): research record -> its
-- estimated person at threshold(s) medium (research.wave_1_link).
select
    source_dataset,
    row_id_hash,
    estimated_xjs_id
from {{ source('research', 'wave_1_link') }}
