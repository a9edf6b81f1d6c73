{#
  One row per estimated person (the spine id in `id_column` of int_record_links) with a flag per
  driver and outcome wave 0 can measure, as at var('snapshot_date'). Flag definitions follow the
  wave-0 rows of the risk factor register (seed risk_factor_register); each flag is true when the
  evidence is recorded, false otherwise (no evidence and not measured both read false).
#}
{% macro person_needs(id_column, threshold) %}
with links as (
    select source_dataset, row_id_hash, {{ id_column }} as person_key
    from {{ ref('int_record_links') }}
    where {{ id_column }} is not null
),

records as (
    select l.person_key, r.*
    from {{ ref('int_records') }} as r
    inner join links as l using (source_dataset, row_id_hash)
    where r.event_date < {{ snapshot_date() }}
),

spine as (
    select
        person_key,
        count(*) as n_records,
        count(distinct source_dataset) as n_sources,
        min(event_date) as first_event_date,
        max(event_date) as last_event_date,
        mode(sex) as sex,
        mode(ethnic_group) as ethnic_group,
        arg_max(
            age_at_event + cast(floor(date_diff('day', event_date, {{ snapshot_date() }}) / 365.25) as integer),
            event_date
        ) filter (where age_at_event is not null) as age_at_snapshot,
        arg_max(lsoa_code, event_date) filter (where lsoa_code is not null) as lsoa_code
    from records
    group by person_key
),

latest_oasys as (
    select l.person_key, o.*
    from {{ ref('int_oasys_assessments') }} as o
    inner join links as l using (source_dataset, row_id_hash)
    where {{ in_window('o.assessment_date') }}
    qualify row_number() over (
        partition by l.person_key order by o.assessment_date desc, o.row_id_hash
    ) = 1
),

signals as (
    select
        l.person_key,
        {%- set names = ['offending', 'mhtr', 'drr_atr', 'fee_exemption', 'family_harm',
                         'child_proceedings', 'civil_defendant', 'civil_rent_arrears',
                         'civil_possession'] %}
        {%- for n in names %}
        bool_or(s.signal = '{{ n }}') as sig_{{ n }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('int_signals') }} as s
    inner join links as l using (source_dataset, row_id_hash)
    where {{ in_window('s.signal_date') }}
    group by l.person_key
),

joined as (
    select
        p.*,
        o.person_key is not null as has_oasys_assessment,
        o.assessment_date as oasys_assessment_date,
        o.setting as oasys_setting,
        {%- for s in var('oasys_sections') %}
        coalesce(o.need_s{{ s.section }}, false) as need_s{{ s.section }},
        coalesce(o.severe_s{{ s.section }}, false) as severe_s{{ s.section }},
        {%- endfor %}
        {%- for n in names %}
        coalesce(g.sig_{{ n }}, false) as sig_{{ n }}{{ ',' if not loop.last }}
        {%- endfor %}
    from spine as p
    left join latest_oasys as o using (person_key)
    left join signals as g using (person_key)
)

select
    j.person_key as estimated_xjs_id,
    '{{ threshold }}' as link_threshold,
    {{ snapshot_date() }} as snapshot_date,
    j.n_records,
    j.n_sources,
    j.first_event_date,
    j.last_event_date,
    j.sex,
    j.ethnic_group,
    j.age_at_snapshot,
    case
        when j.age_at_snapshot is null then null
        when j.age_at_snapshot < 18 then 'under 18'
        when j.age_at_snapshot < 25 then '18-24'
        when j.age_at_snapshot < 35 then '25-34'
        when j.age_at_snapshot < 50 then '35-49'
        else '50+'
    end as age_band,
    j.lsoa_code,
    g.lad_code,
    g.imd_decile,
    j.has_oasys_assessment,
    j.oasys_assessment_date,
    j.oasys_setting,
    -- drivers (register ids; see the wave-0 rows of risk_factor_register)
    j.need_s10 or j.sig_mhtr as driver_mental_health,
    j.need_s13 as driver_physical_health,
    j.need_s5 or j.sig_fee_exemption as driver_low_income,
    j.need_s8 or j.need_s9 or j.sig_drr_atr as driver_substance_misuse,
    j.need_s4 as driver_employment,
    j.need_s4 as driver_education,
    j.need_s3 or j.sig_civil_defendant as driver_accommodation,
    j.need_s6 or j.sig_family_harm as driver_family,
    -- outcomes
    j.sig_offending as outcome_offending,
    j.severe_s13 or j.severe_s10 as outcome_ill_health,
    (j.need_s5 or j.sig_fee_exemption or j.sig_civil_rent_arrears) and not j.need_s4
        as outcome_in_work_poverty,
    j.severe_s4 as outcome_inactivity,
    j.sig_civil_possession or j.severe_s3 as outcome_homelessness,
    j.sig_child_proceedings as outcome_poor_child_outcomes
from joined as j
left join {{ ref('stg_lsoa') }} as g on g.lsoa_code = j.lsoa_code
{% endmacro %}
