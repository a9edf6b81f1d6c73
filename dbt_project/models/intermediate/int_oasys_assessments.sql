-- OASys assessments with section item sums and needs at the standard and severe thresholds
-- (dbt var oasys_sections; item sum first, recorded need level when items are missing).
select
    row_id_hash,
    source_dataset,
    assessment_date,
    setting,
    {%- for s in var('oasys_sections') %}
    {{ oasys_score(s.section, s['items']) }} as score_s{{ s.section }},
    {{ oasys_need(s, 'standard') }} as need_s{{ s.section }},
    {{ oasys_need(s, 'severe') }} as severe_s{{ s.section }}{{ ',' if not loop.last }}
    {%- endfor %}
from {{ ref('stg_oasys') }}
