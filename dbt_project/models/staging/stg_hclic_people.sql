-- H-CLIC People (wave 4, from April 2018): one row per homelessness case, the household's lead
-- applicant (H-CLIC holds no other household member here). A population source: each row is
-- linked to a spine person through the councils' trusted-third-party trace (research.wave_4_link,
-- linkage.council_links); case_ref_hash is the key every other H-CLIC section carries. The case's
-- council (la_code) is the council that submitted it. event_date: the date of application.
select
    row_id_hash,
    'hclic_people' as source_dataset,
    case_ref_hash,
    nino_hash,
    la_code,
    reporting_quarter,
    date_of_application as event_date,
    date_of_application,
    {{ sex_code('sex') }} as sex,
    {{ ethnic_group('ethnicity') }} as ethnic_group,
    age_at_event,
    lsoa_code,
    lad_code
from {{ source('research', 'hclic_people') }}
