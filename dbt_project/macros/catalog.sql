{#- Generated from the catalogue (bold_assets/catalog) by `python -m bold_assets.catalog.dbt`: do not edit. -#}

{#- The sources whose person records int_records stacks (wave 0's spine), in catalogue
    order; persons_only: keep rows where is_person (the source has non-person rows). -#}
{% macro catalog_record_sources() %}
{{ return([
    {'name': 'mags', 'persons_only': false},
    {'name': 'crown', 'persons_only': false},
    {'name': 'prison', 'persons_only': false},
    {'name': 'probation', 'persons_only': false},
    {'name': 'oasys', 'persons_only': false},
    {'name': 'family', 'persons_only': false},
    {'name': 'civil', 'persons_only': true}
]) }}
{% endmacro %}
