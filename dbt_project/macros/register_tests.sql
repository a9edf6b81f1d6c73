{# Rows of a person mart where any flag of the wave's register rows is null (flags are always
   true or false). #}
{% test register_flags_not_null(model, wave) %}
{%- set flags = register_flags(wave) %}
select *
from {{ model }}
where {% for f in flags %}{{ f.id }} is null{{ ' or ' if not loop.last }}{% else %}false{% endfor %}
{% endtest %}

{# Signals of a wave's int_signals_wave_<n> that are not evidence declared for that wave in
   var('evidence_signals'). A generic test on each wave's model (not one singular test over
   every wave), so a wave's job, which selects only its own models, runs only its own check. #}
{% test signals_are_declared_evidence(model, wave) %}
select distinct signal
from {{ model }}
where signal not in (
    {%- for e in evidence_signals() if e.wave == wave %}'{{ e.name }}'{{ ', ' if not loop.last }}{% endfor -%}
)
{% endtest %}
