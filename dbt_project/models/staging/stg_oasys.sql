-- Offender assessments (OASys): one row per assessment, item scores of the sections the
-- wave-0 flags use (dbt var oasys_sections).
select
    row_id_hash,
    'oasys' as source_dataset,
    assessment_date as event_date,
    {{ sex_code('gender') }} as sex,
    {{ ethnic_group('ethnic_category') }} as ethnic_group,
    age_at_event,
    lsoa_code,
    lad_code,
    setting,
    {%- for s in var('oasys_sections') %}
    {%- for i in range(1, s['items'] + 1) %}
    s{{ s.section }}_q{{ i }},
    {%- endfor %}
    {%- if s.need_level %}
    s{{ s.section }}_need_level,
    {%- endif %}
    {%- endfor %}
    assessment_date
from {{ source('research', 'oasys') }}
