{#
  Evidence the risk factor register's flag definitions (column flag_sql) are written over,
  declared once in dbt_project.yml:
  - assessments of var('evidence_assessments') (name, wave, meaning, model, date, sections,
    carry): the evidence of the person's latest assessment in the lookback window;
  - the signals of var('evidence_signals') (name, wave, window, meaning, from).
#}

{# Assessments of waves up to `wave` (every wave when none), each with `evidence`: the names
   need_s<N> / severe_s<N> for each section of var(<its sections>) (columns of its model). #}
{% macro evidence_assessments(wave=none) -%}
    {%- set out = [] -%}
    {%- for a in var('evidence_assessments') if wave is none or a.wave <= wave -%}
        {%- set names = [] -%}
        {%- for s in var(a.sections) -%}
            {%- do names.extend(['need_s' ~ s.section, 'severe_s' ~ s.section]) -%}
        {%- endfor -%}
        {%- do out.append(dict(a, evidence=names)) -%}
    {%- endfor -%}
    {{- return(out) -}}
{%- endmacro %}

{# Signals of waves up to `wave` (every wave when none). #}
{% macro evidence_signals(wave=none) -%}
    {%- set out = [] -%}
    {%- for s in var('evidence_signals') if wave is none or s.wave <= wave -%}
        {%- do out.append(s) -%}
    {%- endfor -%}
    {{- return(out) -}}
{%- endmacro %}

{# int_signals_wave_<wave>: one select per `from` entry of each signal declared for `wave` whose
   SQL is written (an empty, typed select when there is none). #}
{% macro evidence_signal_rows(wave) -%}
    {%- set parts = [] -%}
    {%- for s in evidence_signals() if s.wave == wave -%}
        {%- for f in s['from'] -%}
            {%- do parts.append(
                "-- evidence " ~ s.name ~ " (wave " ~ s.wave ~ "): " ~ s.meaning ~ "\n"
                ~ "select source_dataset, row_id_hash, '" ~ s.name ~ "' as signal, "
                ~ f.date ~ " as signal_date\nfrom " ~ ref(f.model)
                ~ ("\nwhere " ~ f.where if f.get('where') else "")) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if not parts -%}
        {%- do parts.append("select cast(null as varchar) as source_dataset, cast(null as varchar) "
            ~ "as row_id_hash, cast(null as varchar) as signal, cast(null as date) as signal_date "
            ~ "where false") -%}
    {%- endif -%}
    {{- parts | join("\nunion all\n") -}}
{%- endmacro %}

{# The window condition of a signal on `date_col` (the signal's date). #}
{% macro evidence_window(signal, date_col) -%}
    {%- if signal.window == 'lookback' -%}
        {{ in_window(date_col) }}
    {%- elif signal.window == 'ever' -%}
        ({{ date_col }} < {{ snapshot_date() }})
    {%- else -%}
        {{ exceptions.raise_compiler_error("evidence " ~ signal.name ~ ": unknown window '"
            ~ signal.window ~ "' (lookback or ever)") }}
    {%- endif -%}
{%- endmacro %}

{#
  The register's measured rows (measure_type validated / proxy) of `wave`, in register order:
  a list of {id, measure_type, flag_sql, defined_in}. A row with an empty flag_sql keeps the
  nearest earlier wave's definition of its factor (defined_in: the wave whose row writes it).
  Read from the seed at run time; empty while parsing.
#}
{% macro register_flags(wave) -%}
    {%- set register = ref('risk_factor_register') -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set sql -%}
        select id, wave, measure_type, coalesce(trim(flag_sql), '') as flag_sql
        from {{ register }}
        where wave <= {{ wave }} and measure_type <> 'none'
    {%- endset -%}
    {%- set rows = run_query(sql) -%}
    {%- set written = {} -%}
    {%- for r in rows if r['flag_sql'] and r['wave'] < wave -%}
        {%- if r['id'] not in written or written[r['id']].defined_in < r['wave'] -%}
            {%- do written.update({r['id']: {'flag_sql': r['flag_sql'], 'defined_in': r['wave']}}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set out = [] -%}
    {%- for r in rows if r['wave'] == wave -%}
        {%- set own = {'flag_sql': r['flag_sql'], 'defined_in': wave} if r['flag_sql'] else none -%}
        {%- set f = own or written.get(r['id']) -%}
        {%- if not f -%}
            {{ exceptions.raise_compiler_error("risk_factor_register row " ~ r['id'] ~ " wave "
                ~ wave ~ ": measure_type " ~ r['measure_type'] ~ " but no flag_sql (nor an "
                ~ "earlier wave's to inherit)") }}
        {%- endif -%}
        {%- do out.append({'id': r['id'], 'measure_type': r['measure_type'],
                           'flag_sql': f.flag_sql, 'defined_in': f.defined_in}) -%}
    {%- endfor -%}
    {%- if not out -%}
        {{ exceptions.raise_compiler_error("risk_factor_register has no measured rows for wave " ~ wave) }}
    {%- endif -%}
    {{- return(out) -}}
{%- endmacro %}
