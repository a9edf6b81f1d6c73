-- H-CLIC returns (link role coverage): one row per council (la_code, a LAD code) and reporting
-- quarter since the collection began (April 2018), whether the council's return arrived. No
-- persons: a quarter without a return is no data for that council, never zero cases (DLUHC
-- imputes those councils in its statistics). The council coverage rule (var('council_coverage'),
-- macros/coverage.sql) reads la_code, quarter_start_date and submitted into
-- marts.area_coverage_wave_<n>. The quarter's first day falls back to the reporting quarter
-- (e.g. 2023Q4 -> 2023-10-01) when missing, and is null when neither is readable (the raw
-- suite's reporting_quarter format check warns of those). It is no person's record (int_records of the wave
-- skips link role coverage).
with returns as (
    select
        *,
        coalesce(
            quarter_start_date,
            case when regexp_full_match(reporting_quarter, '\d{4}Q[1-4]') then
                make_date(cast(left(reporting_quarter, 4) as integer),
                          3 * cast(right(reporting_quarter, 1) as integer) - 2, 1)
            end
        ) as quarter_start
    from {{ source('research', 'hclic_submissions') }}
)
select
    row_id_hash,
    'hclic_submissions' as source_dataset,
    la_code,
    reporting_quarter,
    quarter_start as event_date,
    quarter_start as quarter_start_date,
    cast(quarter_start + interval 3 month - interval 1 day as date) as quarter_end_date,
    coalesce(submitted = 'Y', false) as submitted,
    cases_submitted,
    age_at_event,
    lsoa_code,
    coalesce(lad_code, la_code) as lad_code
from returns
