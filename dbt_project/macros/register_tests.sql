{# Rows of a person mart where any flag of the wave's register rows is null (flags are always
   true or false). #}
{% test register_flags_not_null(model, wave) %}
{%- set flags = register_flags(wave) %}
select *
from {{ model }}
where {% for f in flags %}{{ f.id }} is null{{ ' or ' if not loop.last }}{% else %}false{% endfor %}
{% endtest %}
