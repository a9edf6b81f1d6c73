-- MHSDS MHS001MPI (from 2016): one row per patient and provider submitting them, keyed to the PDS
-- person by nhs_number_hash; recordstartdate is the first reporting period the provider
-- submitted the patient.
select
    row_id_hash,
    'mhsds_mpi' as source_dataset,
    nhs_number_hash,
    recordstartdate as event_date,
    orgidprov,
    {{ sex_code('gender') }} as sex,
    {{ nhs_ethnic_group('ethniccategory') }} as ethnic_group,
    age_at_event,
    lsoa_code,
    lad_code
from {{ source('research', 'mhsds_mpi') }}
