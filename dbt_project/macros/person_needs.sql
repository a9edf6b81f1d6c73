{#
  marts.person_needs_wave_<wave>: one row per estimated person at each linkage threshold of the
  wave (wave_thresholds(wave), declared in the catalogue: catalog_wave_links(); link_threshold,
  and the person's spine id at that threshold in estimated_xjs_id) over the records of waves 0
  to <wave>, as at var('snapshot_date'), with a flag per driver and outcome the wave can
  measure. Each flag column is generated from its register row (risk_factor_register, this wave,
  measure_type validated or proxy; an empty flag_sql inherits the nearest earlier wave's):
  `(<flag_sql>) as <id>`, preceded by a comment naming the row. flag_sql is a boolean expression
  over the evidence declared in dbt_project.yml (macros/evidence.sql: assessments and signals of
  waves up to <wave>), each of which is true when recorded and false otherwise (no evidence and
  not measured both read false). Each assessment also gives has_<name>_assessment and its
  `carry` columns. Factors with measure_type none get no column.
  From the wave of var('deaths') on, the deaths rule (macros/deaths.sql): a person with a linked
  death dated before the snapshot is not in the mart (not in its denominators nor its counts).
  From the wave of var('council_coverage') on (macros/coverage.sql): council_covered, whether the
  person's LAD is covered in marts.area_coverage_wave_<wave> (every council return of the lookback
  window arrived; null when the LAD is unknown): where it is false, a false flag of the rule's
  measures may be no data rather than none.
#}
{% macro person_needs(wave) %}
{%- set assessments = evidence_assessments(wave) -%}
{%- set signals = evidence_signals(wave) -%}
{%- set flags = register_flags(wave) -%}
{%- set declared = {} -%}
{%- for a in assessments -%}
    {%- for name in a.evidence -%}{%- do declared.update({name: none}) -%}{%- endfor -%}
{%- endfor -%}
{%- for s in signals -%}{%- do declared.update({s.name: s}) -%}{%- endfor -%}
{%- set keywords = var('flag_sql_keywords') -%}
{%- for f in flags -%}
    {%- for name in modules.re.findall('[A-Za-z_][A-Za-z0-9_]*', f.flag_sql) -%}
        {%- if name | lower not in keywords and name not in declared -%}
            {{ exceptions.raise_compiler_error("risk_factor_register row " ~ f.id ~ " wave " ~ wave
                ~ ": flag_sql uses '" ~ name ~ "', which is no evidence declared for wave "
                ~ wave ~ " (dbt_project.yml evidence_assessments, evidence_signals)") }}
        {%- elif declared.get(name) and not declared[name]['from'] -%}
            {{ exceptions.raise_compiler_error("risk_factor_register row " ~ f.id ~ " wave " ~ wave
                ~ ": evidence " ~ name ~ " has no SQL yet (pending: "
                ~ declared[name].get('pending', '?') ~ ")") }}
        {%- endif -%}
    {%- endfor -%}
{%- endfor %}
{%- set deaths = deaths_rule(wave) %}
{%- set coverage = council_coverage_rule(wave) %}
-- records and attribute rows of waves 0-{{ wave }}, grouped into persons at each threshold of wave {{ wave }}
with links as (
    {{- person_links(wave) }}
),
{%- if deaths %}

-- the deaths rule (var('deaths'), macros/deaths.sql): persons with a linked {{ deaths.model }} row
-- whose {{ deaths.date }} is before the snapshot leave this mart
deceased as (
    {{- deceased_persons(wave, 'links') }}
),
{%- endif %}

records as (
    select l.link_threshold, l.person_key, r.*
    from ({{ union_waves('int_records_wave_', wave) }}) as r
    inner join links as l using (source_dataset, row_id_hash)
    {%- if deaths %}
    anti join deceased as dead
        on dead.link_threshold = l.link_threshold and dead.person_key = l.person_key
    {%- endif %}
    where r.event_date < {{ snapshot_date() }}
),

spine as (
    select
        link_threshold,
        person_key,
        count(*) as n_records,
        count(distinct source_dataset) as n_sources,
        min(event_date) as first_event_date,
        max(event_date) as last_event_date,
        -- age and area from the latest record (ties on the date to the highest source and row
        -- hash, so the same records always give the same person)
        arg_max(
            age_at_event + cast(floor(date_diff('day', event_date, {{ snapshot_date() }}) / 365.25) as integer),
            (event_date, source_dataset, row_id_hash)
        ) filter (where age_at_event is not null) as age_at_snapshot,
        arg_max(lsoa_code, (event_date, source_dataset, row_id_hash))
            filter (where lsoa_code is not null) as lsoa_code
    from records
    group by link_threshold, person_key
),

{%- for col in ['sex', 'ethnic_group'] %}

-- the person's most frequent {{ col }}; ties to the latest recorded, then the first in order
modal_{{ col }} as (
    select link_threshold, person_key, {{ col }}
    from records
    where {{ col }} is not null
    group by link_threshold, person_key, {{ col }}
    qualify row_number() over (
        partition by link_threshold, person_key order by count(*) desc, max(event_date) desc, {{ col }}
    ) = 1
),
{%- endfor %}

{%- for a in assessments %}

-- evidence {{ a.name }} (wave {{ a.wave }}): the person's latest {{ a.model }} row dated in the lookback window
assessment_{{ a.name }} as (
    select l.link_threshold, l.person_key, a.*
    from {{ ref(a.model) }} as a
    inner join links as l using (source_dataset, row_id_hash)
    where {{ in_window('a.' ~ a.date) }}
    qualify row_number() over (
        partition by l.link_threshold, l.person_key order by a.{{ a.date }} desc, a.row_id_hash
    ) = 1
),
{%- endfor %}

signals as (
    select
        l.link_threshold,
        l.person_key,
        {%- for s in signals %}
        coalesce(bool_or(s.signal = '{{ s.name }}' and {{ evidence_window(s, 's.signal_date') }}), false)
            as {{ s.name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from ({{ union_waves('int_signals_wave_', wave) }}) as s
    inner join links as l using (source_dataset, row_id_hash)
    where s.signal_date < {{ snapshot_date() }}
    group by l.link_threshold, l.person_key
),

-- evidence per person: each assessment's (on the latest one), then the declared signals
evidence as (
    select
        p.*,
        ms.sex,
        me.ethnic_group
        {%- for a in assessments %},
        assessment_{{ a.name }}.person_key is not null as has_{{ a.name }}_assessment
        {%- for c in a.carry %},
        assessment_{{ a.name }}.{{ c.column }} as {{ c.name }}
        {%- endfor %}
        {%- for name in a.evidence %},
        coalesce(assessment_{{ a.name }}.{{ name }}, false) as {{ name }}
        {%- endfor %}
        {%- endfor %}
        {%- for s in signals %},
        coalesce(g.{{ s.name }}, false) as {{ s.name }}
        {%- endfor %}
    from spine as p
    left join modal_sex as ms using (link_threshold, person_key)
    left join modal_ethnic_group as me using (link_threshold, person_key)
    {%- for a in assessments %}
    left join assessment_{{ a.name }} using (link_threshold, person_key)
    {%- endfor %}
    left join signals as g using (link_threshold, person_key)
)

select
    e.person_key as estimated_xjs_id,
    e.link_threshold,
    {{ snapshot_date() }} as snapshot_date,
    e.n_records,
    e.n_sources,
    e.first_event_date,
    e.last_event_date,
    e.sex,
    e.ethnic_group,
    e.age_at_snapshot,
    case
        when e.age_at_snapshot is null then null
        when e.age_at_snapshot < 18 then 'under 18'
        when e.age_at_snapshot < 25 then '18-24'
        when e.age_at_snapshot < 35 then '25-34'
        when e.age_at_snapshot < 50 then '35-49'
        else '50+'
    end as age_band,
    e.lsoa_code,
    g.lad_code,
    g.imd_decile,
    {%- if coverage %}
    -- the council coverage rule (var('council_coverage'), macros/coverage.sql): is the LAD's zero a zero
    cov.council_covered,
    {%- endif %}
    {%- for a in assessments %}
    e.has_{{ a.name }}_assessment,
    {%- for c in a.carry %}
    e.{{ c.name }},
    {%- endfor %}
    {%- endfor %}
    {%- for f in flags %}
    -- risk_factor_register row {{ f.id }}, wave {{ wave }} ({{ f.measure_type }})
    {%- if f.defined_in != wave %}, flag_sql inherited from wave {{ f.defined_in }}{% endif %}
    ({{ f.flag_sql }}) as {{ f.id }}{{ ',' if not loop.last }}
    {%- endfor %}
    {%- if not flags %}
    null as register_flags_not_rendered_while_parsing
    {%- endif %}
from evidence as e
left join {{ ref('stg_lsoa') }} as g on g.lsoa_code = e.lsoa_code
{%- if coverage %}
left join ({{ council_covered_by_lad(wave) }}) as cov on cov.lad_code = g.lad_code
{%- endif %}
{% endmacro %}

{# The linkage thresholds of `wave`'s person mart (catalog_wave_links()), as entries of
   var('link_thresholds') ({name, id_column}) in the order declared there. #}
{% macro wave_thresholds(wave) -%}
    {%- set names = [] -%}
    {%- for w in catalog_wave_links() if w.wave == wave -%}
        {%- for n in w.thresholds -%}{%- do names.append(n) -%}{%- endfor -%}
    {%- endfor -%}
    {%- if not names -%}
        {{ exceptions.raise_compiler_error("wave " ~ wave ~ " has no entry in catalog_wave_links() "
            ~ "(macros/catalog.sql): declare the wave and run python -m bold_assets.catalog.dbt") }}
    {%- endif -%}
    {%- set out = [] -%}
    {%- for t in var('link_thresholds') if t.name in names -%}{%- do out.append(t) -%}{%- endfor -%}
    {%- if out | length != names | length -%}
        {{ exceptions.raise_compiler_error("wave " ~ wave ~ ": thresholds " ~ names
            ~ " are not all in var('link_thresholds')") }}
    {%- endif -%}
    {{- return(out) -}}
{%- endmacro %}

{# The waves whose records a wave's mart reads: every wave up to it with a link (catalog_wave_links()). #}
{% macro waves_up_to(wave) -%}
    {%- set out = [] -%}
    {%- for w in catalog_wave_links() if w.wave <= wave -%}{%- do out.append(w.wave) -%}{%- endfor -%}
    {{- return(out | sort) -}}
{%- endmacro %}

{# `select * from <prefix><w>` of every wave w up to `wave` (waves_up_to), stacked. #}
{% macro union_waves(prefix, wave) -%}
    {%- set parts = [] -%}
    {%- for w in waves_up_to(wave) -%}
        {%- do parts.append("select * from " ~ ref(prefix ~ w)) -%}
    {%- endfor -%}
    {{- parts | join(" union all ") -}}
{%- endmacro %}
