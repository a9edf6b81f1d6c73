-- NPD school census: one row per pupil per census; upn_hash groups a pupil's rows.
select
    row_id_hash,
    'npd_census' as source_dataset,
    upn_hash,
    census_date as event_date,
    census_year,
    ncyearactual,
    {{ sex_code('gender') }} as sex,
    case ethnicgroupmajor
        when 'WHIT' then 'White' when 'MIXD' then 'Mixed' when 'ASIA' then 'Asian'
        when 'BLAC' then 'Black' when 'CHIN' then 'Other' when 'AOEG' then 'Other'
    end as ethnic_group,
    everfsm_all = 1 as ever_fsm,
    senprovision,
    senprovision in ('A', 'P', 'S', 'K', 'E') as sen_provision,
    primarysentype,
    primarysentype in ('SEMH', 'BESD') as sen_semh,
    age_at_event,
    coalesce(lsoa_code, llsoa) as lsoa_code,
    lad_code
from {{ source('research', 'npd_census') }}
