-- Every signal in each wave's int_signals_wave_<n> is evidence declared for that wave in
-- var('evidence_signals').
{%- for w in var('wave_links') %}
select distinct {{ w.wave }} as wave, s.signal
from {{ ref('int_signals_wave_' ~ w.wave) }} as s
where s.signal not in (
    {%- for e in evidence_signals() if e.wave == w.wave %}'{{ e.name }}'{{ ', ' if not loop.last }}{% endfor -%}
)
{%- if not loop.last %}
union all{% endif %}
{%- endfor %}
