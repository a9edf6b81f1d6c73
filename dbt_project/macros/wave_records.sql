{#
  Per-wave intermediate models, so a wave's models read only its own sources and the waves
  before it (wave 0's job never needs wave 1's tables):
  - int_records_wave_<n> = wave_records(n): every person record of wave n's sources in one shape
    (when, where, who; no identifiers). The source list is catalog_record_sources()
    (macros/catalog.sql, generated from the catalogue); attribute tables (no persons of their
    own: PNC offences, NPD attainment ...) are not stacked but reach a person through their
    parent in int_record_links_wave_<n>.
  - int_record_links_wave_<n> = wave_record_links(n): every research record of wave n with its
    estimated person at each linkage threshold (the spine id columns of var('link_thresholds')),
    from wave n's link table (catalog_wave_links(), macros/catalog.sql), null at thresholds the
    wave does not declare.
    Person records come from int_records_wave_<n> (is_attribute false; civil companies have
    none); rows of an attribute table take the person of its parent source's records with the
    same hashed parent key (the most frequent one when those records link to several).
  - int_signals_wave_<n> = evidence_signal_rows(n) (macros/evidence.sql).
  The model files (one macro call each) and their YAML are generated for every active wave of
  the catalogue by `python -m bold_assets.catalog.dbt`.
#}

{% macro wave_records(wave) %}
{%- set common = "source_dataset, row_id_hash, event_date, sex, ethnic_group, age_at_event, lsoa_code" -%}
{%- set persons = [] -%}
{%- for src in catalog_record_sources() if src.wave == wave and src.link_role not in ('attribute', 'coverage') -%}
    {%- do persons.append(src) -%}
{%- endfor -%}
{%- if not persons -%}
    {{ exceptions.raise_compiler_error("wave " ~ wave ~ " declares no person source") }}
{%- endif -%}
{%- for src in persons %}
select {{ wave }} as wave, {{ common }} from {{ ref('stg_' ~ src.name) }}
{%- if src.persons_only %} where is_person{% endif %}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{% endmacro %}

{% macro wave_link(wave) -%}
    {%- set out = [] -%}
    {%- for w in catalog_wave_links() if w.wave == wave -%}{%- do out.append(w) -%}{%- endfor -%}
    {%- if out | length != 1 -%}
        {{ exceptions.raise_compiler_error("wave " ~ wave ~ " needs exactly one entry in "
            ~ "catalog_wave_links() (macros/catalog.sql, generated from the catalogue)") }}
    {%- endif -%}
    {{- return(out[0]) -}}
{%- endmacro %}

{% macro wave_record_links(wave) %}
{%- set w = wave_link(wave) -%}
{%- set id_columns = var('link_thresholds') -%}
{%- set attributes = [] -%}
{%- for src in catalog_record_sources() if src.wave == wave and src.link_role == 'attribute' -%}
    {%- do attributes.append(src) -%}
{%- endfor %}
with links as (
    select
        source_dataset,
        row_id_hash,
        {%- for t in id_columns %}
        {{ t.id_column if t.name in w.thresholds else 'cast(null as varchar)' }} as {{ t.id_column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('stg_' ~ w.link) }}
),

person_records as (
    select
        {{ wave }} as wave,
        r.source_dataset,
        r.row_id_hash,
        r.event_date,
        false as is_attribute,
        {%- for t in id_columns %}
        l.{{ t.id_column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('int_records_wave_' ~ wave) }} as r
    inner join links as l
        on l.source_dataset = r.source_dataset and l.row_id_hash = r.row_id_hash
)
{%- for src in attributes %}
{%- set key = src.parent_key ~ '_hash' %},

-- {{ src.name }} -> {{ src.parent }} by {{ key }}: the parent key's most frequent person
parent_{{ src.name }} as (
    select
        p.{{ key }} as parent_key_hash,
        {%- for t in id_columns %}
        l.{{ t.id_column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('stg_' ~ src.parent) }} as p
    inner join person_records as l
        on l.source_dataset = '{{ src.parent }}' and l.row_id_hash = p.row_id_hash
    group by p.{{ key }}{% for t in id_columns %}, l.{{ t.id_column }}{% endfor %}
    qualify row_number() over (
        partition by p.{{ key }} order by count(*) desc{% for t in id_columns %}, l.{{ t.id_column }}{% endfor %}
    ) = 1
)
{%- endfor %}

select * from person_records
{%- for src in attributes %}
union all
select
    {{ wave }} as wave,
    a.source_dataset,
    a.row_id_hash,
    a.event_date,
    true as is_attribute,
    {%- for t in id_columns %}
    p.{{ t.id_column }}{{ ',' if not loop.last }}
    {%- endfor %}
from {{ ref('stg_' ~ src.name) }} as a
inner join parent_{{ src.name }} as p on p.parent_key_hash = a.{{ src.parent_key }}_hash
{%- endfor %}
{% endmacro %}
