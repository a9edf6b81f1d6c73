-- Every person record of the seven sources in one shape: when, where and who (no identifiers).
{% set common = "source_dataset, row_id_hash, event_date, sex, ethnic_group, age_at_event, lsoa_code" %}
{% for src in ['mags', 'crown', 'prison', 'probation', 'oasys', 'family', 'civil'] %}
select {{ common }} from {{ ref('stg_' ~ src) }}
{%- if src == 'civil' %} where is_person{% endif %}
{% if not loop.last %}union all{% endif %}
{% endfor %}
