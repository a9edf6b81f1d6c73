-- Every factor the register says wave 0 can measure is a boolean flag column of the mart.
{{ config(meta={"dagster": {"ref": {"name": "person_needs_wave_0"}}}) }}
select r.id
from {{ ref('risk_factor_register') }} as r
left join information_schema.columns as c
    on c.table_schema = '{{ ref("person_needs_wave_0").schema }}'
    and c.table_name = '{{ ref("person_needs_wave_0").identifier }}'
    and c.column_name = r.id
    and c.data_type = 'BOOLEAN'
where r.wave = 0 and r.measure_type <> 'none' and c.column_name is null
