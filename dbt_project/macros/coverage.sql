{#
  No data is not zero: the council coverage rule (var('council_coverage') in dbt_project.yml,
  declared once: {wave, model, start, measures}). From its wave on, the register's `measures` rest on a
  return that some councils miss (H-CLIC): a council-quarter without a return is no data for that
  council, never zero cases. `model` holds a row per council and quarter: la_code (the council's
  LAD code), quarter_start_date and submitted (boolean); a quarter without a row is a quarter not
  submitted. `start` is the collection's first day (H-CLIC: April 2018).
  - marts.area_coverage_wave_<n> = area_coverage(n), one per wave from the rule's on (generated
    by `python -m bold_assets.catalog.dbt`): one row per LAD of stg_lsoa and declared measure
    (lad_code, measure, coverage_source, quarters_expected, quarters_submitted, covered,
    snapshot_date). The expected quarters are calendar quarters, not the quarters `model` happens
    to hold (a quarter with no row for a council, or for every council, is a quarter not
    submitted): from the later of the collection's `start` and the quarter holding
    snapshot - lookback_years, to the latest quarter begun before the snapshot that any council
    has submitted. So a mid-quarter snapshot expects the current quarter once returns for it
    arrive (a council that has not sent it while others have is not covered), and a quarter whose
    returns are not due yet from anyone is not expected of anyone. Covered when the council
    submitted every expected quarter (and there is at least one): a council that missed any, or
    has no rows at all, is not covered, because its zero cannot be told from no data. One missed
    quarter keeps a council not covered until it leaves the lookback window: the flags count
    events over the whole window, so its counts stay short until then.
  - the person marts of those waves carry council_covered (person_needs), the covered value of
    the person's LAD (null when the LAD is unknown).
#}

{# var('council_coverage') when the rule applies to `wave` (wave >= its wave), else none. #}
{% macro council_coverage_rule(wave) -%}
    {%- set c = var('council_coverage', none) -%}
    {%- if c is none -%}{{ return(none) }}{%- endif -%}
    {%- for k in ['wave', 'model', 'start', 'measures'] if k not in c -%}
        {{ exceptions.raise_compiler_error("var('council_coverage') needs wave, model, start and measures "
            ~ "(dbt_project.yml); it has " ~ (c.keys() | list)) }}
    {%- endfor -%}
    {%- if not c.measures -%}
        {{ exceptions.raise_compiler_error("var('council_coverage') declares no measures") }}
    {%- endif -%}
    {{- return(c if wave >= c.wave else none) -}}
{%- endmacro %}

{% macro area_coverage(wave) %}
{%- set c = council_coverage_rule(wave) -%}
{%- if c is none -%}
    {{ exceptions.raise_compiler_error("area_coverage(" ~ wave ~ "): var('council_coverage') "
        ~ "does not apply to wave " ~ wave) }}
{%- endif %}
-- the calendar quarters expected: from the later of the collection's start and the quarter holding
-- snapshot - lookback_years, to the latest quarter begun before the snapshot that any council
-- has submitted (returns arrive after their quarter: one nobody has sent yet is not expected)
with latest as (
    select max(quarter_start_date) as last_quarter
    from {{ ref(c.model) }}
    where submitted and quarter_start_date < {{ snapshot_date() }}
),

quarters as (
    select cast(unnest(generate_series(
        greatest(
            date_trunc('quarter', cast('{{ c.start }}' as date)),
            date_trunc('quarter', {{ snapshot_date() }} - interval ({{ var('lookback_years') }}) year)
        ),
        last_quarter,
        interval 3 month
    )) as date) as quarter_start_date
    from latest
    where last_quarter is not null
),

-- per council, the expected quarters whose return arrived
returns as (
    select s.la_code as lad_code, count(distinct s.quarter_start_date) as quarters_submitted
    from {{ ref(c.model) }} as s
    inner join quarters as q using (quarter_start_date)
    where s.submitted
    group by s.la_code
),

lads as (
    select distinct lad_code
    from {{ ref('stg_lsoa') }}
    where lad_code is not null
),

measures as (
    select unnest([{% for m in c.measures %}'{{ m }}'{{ ', ' if not loop.last }}{% endfor %}]) as measure
),

expected as (
    select cast(count(*) as integer) as quarters_expected
    from quarters
)

select
    cast(l.lad_code as varchar) as lad_code,
    cast(m.measure as varchar) as measure,
    cast('{{ c.model }}' as varchar) as coverage_source,
    e.quarters_expected,
    cast(coalesce(r.quarters_submitted, 0) as integer) as quarters_submitted,
    e.quarters_expected > 0 and coalesce(r.quarters_submitted, 0) = e.quarters_expected as covered,
    {{ snapshot_date() }} as snapshot_date
from lads as l
cross join measures as m
cross join expected as e
left join returns as r on r.lad_code = l.lad_code
{% endmacro %}

{# The person's council coverage: per LAD, whether every measure of the rule is covered there
   (the rule's measures rest on one return, so they agree). #}
{% macro council_covered_by_lad(wave) -%}
    select lad_code, bool_and(covered) as council_covered
    from {{ ref('area_coverage_wave_' ~ wave) }}
    group by lad_code
{%- endmacro %}

{# One row per LAD of stg_lsoa and measure of the rule, and no other rows: returns the missing
   (n = 0) and the repeated or unexpected (lad_code, measure) pairs. #}
{% test area_coverage_one_row_per_lad_and_measure(model, wave) %}
{%- set c = council_coverage_rule(wave) %}
with expected as (
    select distinct l.lad_code, m.measure
    from {{ ref('stg_lsoa') }} as l
    cross join (
        select unnest([{% for m in c.measures %}'{{ m }}'{{ ', ' if not loop.last }}{% endfor %}]) as measure
    ) as m
    where l.lad_code is not null
),

got as (
    select lad_code, measure, count(*) as n
    from {{ model }}
    group by all
)

select
    coalesce(e.lad_code, g.lad_code) as lad_code,
    coalesce(e.measure, g.measure) as measure,
    coalesce(g.n, 0) as n
from expected as e
full outer join got as g on g.lad_code = e.lad_code and g.measure = e.measure
where g.n is distinct from 1 or e.lad_code is null
{% endtest %}

{# covered is true exactly when the council submitted every expected quarter (and there is one):
   returns the rows where it says otherwise. #}
{% test area_coverage_covered_is_every_quarter(model) %}
select *
from {{ model }}
where covered is distinct from (quarters_expected > 0 and quarters_submitted = quarters_expected)
    or quarters_submitted > quarters_expected
{% endtest %}
