-- Wave-1 link (MoJ-DfE share): PNC name records -> their spine person, and linked NPD census
-- records -> the spine person of the PNC person they link to; persistent (medium) spine ids.
select
    source_dataset,
    row_id_hash,
    estimated_xjs_id
from {{ source('research', 'wave_1_link') }}
