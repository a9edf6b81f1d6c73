{# Every linked person with a record of waves 0-<wave> before the snapshot has exactly one row
   of the wave's person mart at each of the wave's linkage thresholds (and no other rows), but
   the persons the deaths rule takes out (macros/deaths.sql): they have none. #}
{% test person_needs_spine_is_whole(model, wave) %}
with links as (
    {{- person_links(wave) }}
),

deceased as (
    {{- deceased_persons(wave, 'links') }}
),

recorded as (
    {%- for t in wave_thresholds(wave) %}
    {%- set outer = loop %}
    {%- for w in waves_up_to(wave) %}
    select distinct '{{ t.name }}' as link_threshold, l.{{ t.id_column }} as estimated_xjs_id
    from {{ ref('int_record_links_wave_' ~ w) }} as l
    where not l.is_attribute
        and l.{{ t.id_column }} is not null and l.event_date < {{ snapshot_date() }}
    {%- if not (loop.last and outer.last) %}
    union all{% endif %}
    {%- endfor %}
    {%- endfor %}
),

expected as (
    select distinct e.link_threshold, e.estimated_xjs_id
    from recorded as e
    anti join deceased as d
        on d.link_threshold = e.link_threshold and d.person_key = e.estimated_xjs_id
),

mart as (
    select link_threshold, estimated_xjs_id, count(*) as n
    from {{ model }}
    group by all
)

select
    coalesce(e.link_threshold, m.link_threshold) as link_threshold,
    coalesce(e.estimated_xjs_id, m.estimated_xjs_id) as estimated_xjs_id,
    coalesce(m.n, 0) as n_rows
from expected as e
full outer join mart as m
    on m.link_threshold = e.link_threshold and m.estimated_xjs_id = e.estimated_xjs_id
where m.n is distinct from 1 or e.estimated_xjs_id is null
{% endtest %}

{# Every factor the register says `wave` can measure is a boolean flag column of the mart. #}
{% test has_every_register_measure(model, wave) %}
select r.id
from {{ ref('risk_factor_register') }} as r
left join information_schema.columns as c
    on c.table_schema = '{{ model.schema }}'
    and c.table_name = '{{ model.identifier }}'
    and c.column_name = r.id
    and c.data_type = 'BOOLEAN'
where r.wave = {{ wave }} and r.measure_type <> 'none' and c.column_name is null
{% endtest %}
