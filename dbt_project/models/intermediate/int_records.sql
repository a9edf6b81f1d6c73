-- Every person record of wave 0's sources in one shape: when, where and who (no identifiers).
-- The source list is catalog_record_sources() (macros/catalog.sql, generated from the catalogue).
{% set common = "source_dataset, row_id_hash, event_date, sex, ethnic_group, age_at_event, lsoa_code" %}
{% for src in catalog_record_sources() %}
select {{ common }} from {{ ref('stg_' ~ src.name) }}
{%- if src.persons_only %} where is_person{% endif %}
{% if not loop.last %}union all{% endif %}
{% endfor %}
