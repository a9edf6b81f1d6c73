{# Sex codes differ by source (M/F, Male/Female, 1/2, U): map to M / F, anything else null. #}
{% macro sex_code(col) -%}
    case
        when upper(trim(cast({{ col }} as varchar))) in ('M', 'MALE', '1') then 'M'
        when upper(trim(cast({{ col }} as varchar))) in ('F', 'FEMALE', '2') then 'F'
    end
{%- endmacro %}

{# ONS 18+1 ethnicity code -> high-level group by its first letter. #}
{% macro ethnic_group(col) -%}
    case upper(left(trim({{ col }}), 1))
        when 'W' then 'White'
        when 'M' then 'Mixed'
        when 'A' then 'Asian'
        when 'B' then 'Black'
        when 'O' then 'Other'
    end
{%- endmacro %}

{# True when a delimited requirement list (e.g. 'UPW;DRR') holds the code as a whole token. #}
{% macro has_token(col, code) -%}
    coalesce(regexp_matches(upper({{ col }}), '(^|[^A-Z]){{ code }}([^A-Z]|$)'), false)
{%- endmacro %}

{# The as-at window: [snapshot - lookback, snapshot). #}
{% macro snapshot_date() -%}
    cast('{{ var("snapshot_date") }}' as date)
{%- endmacro %}

{% macro in_window(date_col) -%}
    ({{ date_col }} < {{ snapshot_date() }}
     and {{ date_col }} >= {{ snapshot_date() }} - interval ({{ var("lookback_years") }}) year)
{%- endmacro %}

{# NHS ethnic category (2001 census letters A-S; Z not stated, 99 not known) -> high-level group. #}
{% macro nhs_ethnic_group(col) -%}
    case
        when upper(trim({{ col }})) in ('A', 'B', 'C') then 'White'
        when upper(trim({{ col }})) in ('D', 'E', 'F', 'G') then 'Mixed'
        when upper(trim({{ col }})) in ('H', 'J', 'K', 'L') then 'Asian'
        when upper(trim({{ col }})) in ('M', 'N', 'P') then 'Black'
        when upper(trim({{ col }})) in ('R', 'S') then 'Other'
    end
{%- endmacro %}
