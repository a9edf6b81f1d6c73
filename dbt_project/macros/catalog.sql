{#- Generated from the catalogue (bold_assets/catalog) by `python -m bold_assets.catalog.dbt`: do not edit. -#}

{#- Every declared source in catalogue order, with its wave and link role. int_records
    stacks the person records of those whose link_role is neither attribute nor coverage
    (persons_only: keep rows where is_person); an attribute table reaches its person
    through its parent source's record with the same <parent_key>_hash; a coverage table
    (which councils submitted) is no one's record. -#}
{% macro catalog_record_sources() %}
{{ return([
    {'name': 'mags', 'wave': 0, 'link_role': 'criminal', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'crown', 'wave': 0, 'link_role': 'criminal', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'prison', 'wave': 0, 'link_role': 'criminal', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'probation', 'wave': 0, 'link_role': 'criminal', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'oasys', 'wave': 0, 'link_role': 'criminal', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'family', 'wave': 0, 'link_role': 'weak', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'civil', 'wave': 0, 'link_role': 'weak', 'persons_only': true, 'parent': none, 'parent_key': none},
    {'name': 'pnc_people', 'wave': 1, 'link_role': 'person', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'pnc_offences', 'wave': 1, 'link_role': 'attribute', 'persons_only': false, 'parent': 'pnc_people', 'parent_key': 'pnc_id'},
    {'name': 'npd_census', 'wave': 1, 'link_role': 'population', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'npd_ks2', 'wave': 1, 'link_role': 'attribute', 'persons_only': false, 'parent': 'npd_census', 'parent_key': 'upn'},
    {'name': 'npd_ks4', 'wave': 1, 'link_role': 'attribute', 'persons_only': false, 'parent': 'npd_census', 'parent_key': 'upn'},
    {'name': 'npd_exclusions', 'wave': 1, 'link_role': 'attribute', 'persons_only': false, 'parent': 'npd_census', 'parent_key': 'upn'},
    {'name': 'npd_absence', 'wave': 1, 'link_role': 'attribute', 'persons_only': false, 'parent': 'npd_census', 'parent_key': 'upn'},
    {'name': 'npd_cin', 'wave': 1, 'link_role': 'attribute', 'persons_only': false, 'parent': 'npd_census', 'parent_key': 'upn'},
    {'name': 'npd_cla', 'wave': 1, 'link_role': 'attribute', 'persons_only': false, 'parent': 'npd_census', 'parent_key': 'upn'},
    {'name': 'dwp_cis', 'wave': 2, 'link_role': 'population', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'dwp_benefit_spells', 'wave': 2, 'link_role': 'attribute', 'persons_only': false, 'parent': 'dwp_cis', 'parent_key': 'nino'},
    {'name': 'hmrc_employments', 'wave': 2, 'link_role': 'attribute', 'persons_only': false, 'parent': 'dwp_cis', 'parent_key': 'nino'},
    {'name': 'pds', 'wave': 3, 'link_role': 'population', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'hes_apc', 'wave': 3, 'link_role': 'attribute', 'persons_only': false, 'parent': 'pds', 'parent_key': 'nhs_number'},
    {'name': 'hes_ae', 'wave': 3, 'link_role': 'attribute', 'persons_only': false, 'parent': 'pds', 'parent_key': 'nhs_number'},
    {'name': 'mhsds_mpi', 'wave': 3, 'link_role': 'attribute', 'persons_only': false, 'parent': 'pds', 'parent_key': 'nhs_number'},
    {'name': 'mhsds_referrals', 'wave': 3, 'link_role': 'attribute', 'persons_only': false, 'parent': 'pds', 'parent_key': 'nhs_number'},
    {'name': 'mhsds_care_contacts', 'wave': 3, 'link_role': 'attribute', 'persons_only': false, 'parent': 'pds', 'parent_key': 'nhs_number'},
    {'name': 'mhsds_hosp_spells', 'wave': 3, 'link_role': 'attribute', 'persons_only': false, 'parent': 'pds', 'parent_key': 'nhs_number'},
    {'name': 'ons_deaths', 'wave': 3, 'link_role': 'attribute', 'persons_only': false, 'parent': 'pds', 'parent_key': 'nhs_number'},
    {'name': 'hclic_people', 'wave': 4, 'link_role': 'population', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'hclic_main', 'wave': 4, 'link_role': 'attribute', 'persons_only': false, 'parent': 'hclic_people', 'parent_key': 'case_ref'},
    {'name': 'hclic_support_needs', 'wave': 4, 'link_role': 'attribute', 'persons_only': false, 'parent': 'hclic_people', 'parent_key': 'case_ref'},
    {'name': 'hclic_prevention', 'wave': 4, 'link_role': 'attribute', 'persons_only': false, 'parent': 'hclic_people', 'parent_key': 'case_ref'},
    {'name': 'hclic_relief', 'wave': 4, 'link_role': 'attribute', 'persons_only': false, 'parent': 'hclic_people', 'parent_key': 'case_ref'},
    {'name': 'hclic_main_duty', 'wave': 4, 'link_role': 'attribute', 'persons_only': false, 'parent': 'hclic_people', 'parent_key': 'case_ref'},
    {'name': 'hclic_assistance', 'wave': 4, 'link_role': 'attribute', 'persons_only': false, 'parent': 'hclic_people', 'parent_key': 'case_ref'},
    {'name': 'hclic_temp_accommodation', 'wave': 4, 'link_role': 'attribute', 'persons_only': false, 'parent': 'hclic_people', 'parent_key': 'case_ref'},
    {'name': 'hclic_reviews', 'wave': 4, 'link_role': 'attribute', 'persons_only': false, 'parent': 'hclic_people', 'parent_key': 'case_ref'},
    {'name': 'hclic_submissions', 'wave': 4, 'link_role': 'coverage', 'persons_only': false, 'parent': none, 'parent_key': none},
    {'name': 'la_tenancies', 'wave': 4, 'link_role': 'population', 'persons_only': false, 'parent': none, 'parent_key': none}
]) }}
{% endmacro %}

{#- Every active wave (one with sources): its link table (research.<link>:
    source_dataset, row_id_hash and a spine id column per threshold it holds) and the
    linkage thresholds of its person mart. A wave's mart reads the records of every
    wave up to it at its thresholds, so each threshold a wave lists must be in the link
    tables of the waves before it. -#}
{% macro catalog_wave_links() %}
{{ return([
    {'wave': 0, 'link': 'xjs_link', 'thresholds': ['high', 'medium', 'low']},
    {'wave': 1, 'link': 'wave_1_link', 'thresholds': ['medium']},
    {'wave': 2, 'link': 'wave_2_link', 'thresholds': ['medium']},
    {'wave': 3, 'link': 'wave_3_link', 'thresholds': ['medium']},
    {'wave': 4, 'link': 'wave_4_link', 'thresholds': ['medium']}
]) }}
{% endmacro %}

{#- ICD-10 code lists (bold_assets/catalog/icd10.py, CODE_LISTS), declared once in
    Python: icd10_in(column, list_name) is CODE_LISTS[list_name].sql(column), true when
    the column's three-character category (dots ignored, NULL false) is in the list. -#}
{% macro icd10_in(column, list_name) -%}
{%- set lists = {
    'substance_use': "(upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'F10' and 'F19')",
    'mental_health': "(upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'F20' and 'F48')",
    'schizophrenia': "(upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'F20' and 'F29')",
    'mood': "(upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'F30' and 'F39')",
    'neurotic': "(upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'F40' and 'F48')",
    'self_harm': "(upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'X60' and 'X84')",
    'undetermined_intent': "(upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'Y10' and 'Y34')",
    'suicide': "(upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'X60' and 'X84' or upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'Y10' and 'Y34')",
    'drug_poisoning': "(upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'X40' and 'X44' or upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'X60' and 'X64' or upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'X85' and 'X85' or upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'Y10' and 'Y14')",
    'assault': "(upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'X85' and 'Y09')",
    'external_causes': "(upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'V01' and 'Y98')",
    'long_term_physical': "(upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'C00' and 'C97' or upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'E10' and 'E14' or upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'G40' and 'G41' or upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'I20' and 'I25' or upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'I50' and 'I50' or upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'I60' and 'I69' or upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'J40' and 'J47' or upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'K70' and 'K77' or upper(substr(replace(coalesce(__icd10_column__, ''), '.', ''), 1, 3)) between 'N18' and 'N18')"
} -%}
{%- if list_name not in lists -%}
    {{ exceptions.raise_compiler_error("unknown ICD-10 code list '" ~ list_name
        ~ "'; declared: substance_use, mental_health, schizophrenia, mood, neurotic, self_harm, undetermined_intent, suicide, drug_poisoning, assault, external_causes, long_term_physical (bold_assets/catalog/icd10.py)") }}
{%- endif -%}
{{- lists[list_name] | replace('__icd10_column__', column) -}}
{%- endmacro %}
