{# Use the configured schema as is (marts, dbt_staging, dbt_intermediate), not target_custom. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
