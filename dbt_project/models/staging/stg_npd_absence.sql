-- NPD absence: one row per pupil per academic year, with the persistent absence threshold of
-- that year (20% before 2010/11, 15% to 2014/15, 10% since 2015/16).
select
    row_id_hash,
    'npd_absence' as source_dataset,
    upn_hash,
    year_start_date as event_date,
    academic_year,
    sessions_possible,
    sessions_overall_absence,
    pa_threshold,
    coalesce(persistent_absentee = 1, false) as persistent_absentee
from {{ source('research', 'npd_absence') }}
