-- Every signal in int_signals is evidence declared in var('evidence_signals').
select distinct s.signal
from {{ ref('int_signals') }} as s
where s.signal not in (
    {%- for e in evidence_signals() %}'{{ e.name }}'{{ ', ' if not loop.last }}{% endfor -%}
)
