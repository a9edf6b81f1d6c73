-- MHSDS MHS201CareContact (from 2016): one row per care contact, keyed to the PDS person by
-- nhs_number_hash; attended when the patient was seen (5 on time, 6 late and seen).
select
    row_id_hash,
    'mhsds_care_contacts' as source_dataset,
    nhs_number_hash,
    servicerequestid_hash,
    carecontdate as event_date,
    carecontdate,
    attendornot,
    coalesce(attendornot in ('5', '6'), false) as attended,
    age_at_event,
    lsoa_code,
    lad_code
from {{ source('research', 'mhsds_care_contacts') }}
