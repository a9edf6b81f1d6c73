{#
  The deaths rule (var('deaths') in dbt_project.yml, declared once: {wave, model, date}): from
  its wave on, a person (at each linkage threshold) with a linked row of `model` dated (`date`,
  the date of death) before the snapshot date is not in the person mart, so the dead leave that
  snapshot's denominators and counts. The date of death decides, not the registration date: a
  death registered after the snapshot but dated before it counts once the registration is in the
  extract. A death record reaches its person as any attribute row does (int_record_links_wave_<n>:
  ONS deaths through the PDS record with the same nhs_number_hash); registrations without an NHS
  number reach nobody, so those persons stay in. The spine never reuses ids, so a dead person's
  id never comes back as someone else.
#}

{# var('deaths') when the rule applies to `wave` (wave >= its wave), else none. #}
{% macro deaths_rule(wave) -%}
    {%- set d = var('deaths', none) -%}
    {%- if d is none -%}{{ return(none) }}{%- endif -%}
    {%- for k in ['wave', 'model', 'date'] if k not in d -%}
        {{ exceptions.raise_compiler_error("var('deaths') needs wave, model and date (dbt_project.yml); "
            ~ "it has " ~ (d.keys() | list)) }}
    {%- endfor -%}
    {{- return(d if wave >= d.wave else none) -}}
{%- endmacro %}

{# Records and attribute rows of waves 0-<wave> at each threshold of the wave's mart:
   (source_dataset, row_id_hash, link_threshold, person_key), person_key the spine id column of
   the threshold (person_needs and its tests read the same). #}
{% macro person_links(wave) -%}
    {%- for t in wave_thresholds(wave) %}
    {%- set outer = loop %}
    {%- for w in waves_up_to(wave) %}
    select source_dataset, row_id_hash, '{{ t.name }}' as link_threshold, {{ t.id_column }} as person_key
    from {{ ref('int_record_links_wave_' ~ w) }}
    where {{ t.id_column }} is not null
    {%- if not (loop.last and outer.last) %}
    union all{% endif %}
    {%- endfor %}
    {%- endfor %}
{%- endmacro %}

{# (link_threshold, person_key) of every person of `links` (a relation shaped as person_links)
   with a death dated before the snapshot, under the deaths rule of `wave` (a select of nobody
   when the rule does not apply to it), with their earliest such date as date_of_death. #}
{% macro deceased_persons(wave, links) -%}
    {%- set d = deaths_rule(wave) -%}
    {%- if d is none %}
    select cast(null as varchar) as link_threshold, cast(null as varchar) as person_key,
        cast(null as date) as date_of_death
    where false
    {%- else %}
    select l.link_threshold, l.person_key, min(x.{{ d.date }}) as date_of_death
    from {{ links }} as l
    inner join {{ ref(d.model) }} as x using (source_dataset, row_id_hash)
    where x.{{ d.date }} < {{ snapshot_date() }}
    group by l.link_threshold, l.person_key
    {%- endif %}
{%- endmacro %}

{# No person of a wave's mart has a linked death dated before the mart's own snapshot_date
   (var('deaths'); written apart from the mart's anti join: the mart's persons joined back to
   their death records through the wave's link tables at each threshold). Returns the offending
   persons with their date of death. #}
{% test person_needs_has_no_deaths_before_snapshot(model, wave) %}
{%- set d = deaths_rule(wave) %}
{%- if d is none %}
select 1 as no_deaths_rule where false
{%- else %}
with deaths as (
    {%- for t in wave_thresholds(wave) %}
    {%- set outer = loop %}
    {%- for w in waves_up_to(wave) %}
    select '{{ t.name }}' as link_threshold, l.{{ t.id_column }} as estimated_xjs_id, x.{{ d.date }} as date_of_death
    from {{ ref('int_record_links_wave_' ~ w) }} as l
    inner join {{ ref(d.model) }} as x
        on x.source_dataset = l.source_dataset and x.row_id_hash = l.row_id_hash
    where l.{{ t.id_column }} is not null
    {%- if not (loop.last and outer.last) %}
    union all{% endif %}
    {%- endfor %}
    {%- endfor %}
)

select m.link_threshold, m.estimated_xjs_id, m.snapshot_date, min(d.date_of_death) as date_of_death
from {{ model }} as m
inner join deaths as d
    on d.link_threshold = m.link_threshold and d.estimated_xjs_id = m.estimated_xjs_id
where d.date_of_death < m.snapshot_date
group by all
{%- endif %}
{% endtest %}
