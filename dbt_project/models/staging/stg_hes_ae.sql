-- HES Accident and Emergency: one row per attendance, keyed to the PDS person by
-- nhs_number_hash. Flags over both A&E diagnoses (the two-character HES A&E diagnosis list):
-- 14 poisoning (including overdose), 35 psychiatric condition.
select
    row_id_hash,
    'hes_ae' as source_dataset,
    nhs_number_hash,
    arrivaldate as event_date,
    arrivaldate,
    aeattenddisp,
    aeattenddisp = '01' as admitted,
    diag_01,
    diag_02,
    coalesce(diag_01 = '14' or diag_02 = '14', false) as poisoning,
    coalesce(diag_01 = '35' or diag_02 = '35', false) as psychiatric,
    age_at_event,
    lsoa_code,
    lad_code
from {{ source('research', 'hes_ae') }}
