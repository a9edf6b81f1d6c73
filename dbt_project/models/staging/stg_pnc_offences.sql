-- PNC offences: one row per offence, keyed to the PNC person by pnc_id_hash. Proven offences
-- are those adjudicated guilty (G, J) or dealt with by a caution.
select
    row_id_hash,
    'pnc_offences' as source_dataset,
    pnc_id_hash,
    case_id_hash,
    coalesce(adjudication_date, offence_start_date) as event_date,
    offence_start_date,
    adjudication_date,
    offence_group,
    adjudication_code,
    disposal_code,
    disposal_rank,
    is_primary_offence = 'Y' as is_primary_offence,
    adjudication_code in ('G', 'J') as convicted,
    disposal_code in ('CAUT', 'YCAU') as cautioned,
    adjudication_code in ('G', 'J') or disposal_code in ('CAUT', 'YCAU') as proven,
    disposal_code = 'CUST' as custodial,
    age_at_event
from {{ source('research', 'pnc_offences') }}
