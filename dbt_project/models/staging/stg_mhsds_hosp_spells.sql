-- MHSDS MHS501HospProvSpell (from 2016): one row per mental health inpatient spell, keyed to the
-- PDS person by nhs_number_hash. A spell counts up to its discharge, or to the day before the
-- snapshot when the patient is still in hospital or discharged later; emergency admissions:
-- method 2x (via A&E, crisis team, other, transfer).
with spells as (
    select
        *,
        case when startdatehospprovspell < {{ snapshot_date() }}
            then least(coalesce(dischdatehospprovspell, {{ snapshot_date() }} - 1), {{ snapshot_date() }} - 1)
        end as active_until
    from {{ source('research', 'mhsds_hosp_spells') }}
)
select
    row_id_hash,
    'mhsds_hosp_spells' as source_dataset,
    nhs_number_hash,
    servicerequestid_hash,
    startdatehospprovspell as event_date,
    startdatehospprovspell as start_date,
    dischdatehospprovspell as discharge_date,
    active_until,
    methadmmhhospprovspell,
    coalesce(methadmmhhospprovspell like '2%', false) as emergency_admission,
    age_at_event,
    lsoa_code,
    lad_code
from spells
