-- Every linked person with a record before the snapshot has exactly one mart row.
{{ config(meta={"dagster": {"ref": {"name": "person_needs_wave_0"}}}) }}
with expected as (
    select distinct l.estimated_xjs_id
    from {{ ref('int_record_links') }} as l
    where l.estimated_xjs_id is not null and l.event_date < {{ snapshot_date() }}
)
select e.estimated_xjs_id
from expected as e
left join {{ ref('person_needs_wave_0') }} as m using (estimated_xjs_id)
where m.estimated_xjs_id is null
