-- HES Admitted Patient Care: one row per consultant episode, keyed to the PDS person by
-- nhs_number_hash. Diagnosis flags are true when any of the 20 diagnosis positions (diag_4_01,
-- the primary, .. diag_4_20) is in the ICD-10 code list of bold_assets/catalog/icd10.py (macro
-- icd10_in, generated into macros/catalog.sql): mental_health F20-F48, substance_use F10-F19,
-- self_harm X60-X84, drug_poisoning (ONS), long_term_physical (the project's list). Emergency
-- admissions: admission method 2x (21-28, 2A, 2B: via A&E, GP, bed bureau, clinic, crisis team,
-- other, another provider's A&E). event_date: the admission date (the episode start when it is
-- missing), the date the evidence signals count an episode on.
{%- set positions = [] %}
{%- for i in range(1, 21) %}{% do positions.append('diag_4_%02d' % i) %}{% endfor %}
{%- set lists = ['mental_health', 'substance_use', 'self_harm', 'drug_poisoning', 'long_term_physical'] %}
with episodes as (
    select * from {{ source('research', 'hes_apc') }}
),

-- every diagnosis position of every episode, long form
diagnoses as (
    select row_id_hash, unnest([{{ positions | join(', ') }}]) as code
    from episodes
),

diagnosed as (
    select
        row_id_hash,
        {%- for l in lists %}
        coalesce(bool_or({{ icd10_in('code', l) }}), false) as diag_{{ l }}{{ ',' if not loop.last }}
        {%- endfor %}
    from diagnoses
    group by row_id_hash
)

select
    e.row_id_hash,
    'hes_apc' as source_dataset,
    e.nhs_number_hash,
    coalesce(e.admidate, e.epistart) as event_date,
    e.admidate,
    e.disdate,
    e.epistart,
    e.epiend,
    e.admimeth,
    coalesce(e.admimeth like '2%', false) as emergency_admission,
    e.admisorc,
    e.dismeth,
    coalesce(e.dismeth = '4', false) as died_in_hospital,
    e.mainspef,
    coalesce(e.mainspef in ('710', '711', '712', '715'), false) as mental_illness_specialty,
    e.diag_4_01 as primary_diagnosis,
    {%- for l in lists %}
    coalesce(d.diag_{{ l }}, false) as diag_{{ l }},
    {%- endfor %}
    {{ sex_code('e.sex') }} as sex,
    {{ nhs_ethnic_group('e.ethnos') }} as ethnic_group,
    e.startage,
    e.age_at_event,
    e.lsoa_code,
    e.lad_code
from episodes as e
left join diagnosed as d using (row_id_hash)
