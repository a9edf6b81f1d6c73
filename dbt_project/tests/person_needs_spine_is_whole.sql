-- Every linked person with a record before the snapshot has exactly one mart row at each
-- linkage threshold (and no other rows).
{{ config(meta={"dagster": {"ref": {"name": "person_needs_wave_0"}}}) }}
with expected as (
    {%- for t in var('link_thresholds') %}
    select distinct '{{ t.name }}' as link_threshold, l.{{ t.id_column }} as estimated_xjs_id
    from {{ ref('int_record_links') }} as l
    where l.{{ t.id_column }} is not null and l.event_date < {{ snapshot_date() }}
    {%- if not loop.last %}
    union all{% endif %}
    {%- endfor %}
),

mart as (
    select link_threshold, estimated_xjs_id, count(*) as n
    from {{ ref('person_needs_wave_0') }}
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
