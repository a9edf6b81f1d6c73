{# OASys section score = sum of its item scores (0/1/2); null when every item is missing. #}
{% macro oasys_score(section, items) -%}
    case when {% for i in range(1, items + 1) %}s{{ section }}_q{{ i }} is null{% if not loop.last %} and {% endif %}{% endfor %}
        then null
        else {% for i in range(1, items + 1) %}coalesce(s{{ section }}_q{{ i }}, 0){% if not loop.last %} + {% endif %}{% endfor %}
    end
{%- endmacro %}

{# Need at `level` (standard / severe): item sum >= threshold; when the items are missing, the
   recorded need level (1 standard, 2 severe) if the section has one. #}
{% macro oasys_need(s, level) -%}
    {%- set threshold = s[level] -%}
    {%- set min_level = 1 if level == 'standard' else 2 -%}
    {%- if s.need_level -%}
    coalesce({{ oasys_score(s.section, s['items']) }} >= {{ threshold }}, s{{ s.section }}_need_level >= {{ min_level }})
    {%- else -%}
    ({{ oasys_score(s.section, s['items']) }} >= {{ threshold }})
    {%- endif -%}
{%- endmacro %}
